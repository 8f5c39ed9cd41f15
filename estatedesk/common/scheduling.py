"""Periodic jobs: declared next to their task, enqueued once per period by the scheduler process.

    @periodic(name="common.prune_task_results", every=timedelta(days=1), offset=timedelta(hours=18))
    @task(queue_name="periodic")
    def prune_task_results() -> None: ...

Periods are counted from the Unix epoch in UTC plus `offset` (18 hours puts a daily job at 02:00 in
Asia/Shanghai). `scheduler_tick` claims the current period of every job by inserting a `ScheduledRun` row
and enqueues the task in the same transaction; the unique constraint on (job, period) means a second
scheduler, or a restarted one, enqueues nothing more for that period. Workers then claim each queued task
once (django-tasks-db locks rows with SELECT … FOR UPDATE SKIP LOCKED, or an exclusive transaction on
SQLite).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from estatedesk.common.models import ScheduledRun

logger = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django.tasks Task
    every: timedelta
    offset: timedelta = timedelta(0)

    def period_key(self, now: datetime) -> int:
        return int((now - EPOCH - self.offset) // self.every)

    def period_start(self, key: int) -> datetime:
        return EPOCH + self.offset + key * self.every


_registry: dict[str, PeriodicJob] = {}


def periodic(*, name: str, every: timedelta, offset: timedelta = timedelta(0)) -> Callable[[Any], Any]:
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive period")

    def register(task_obj: Any) -> Any:
        _registry[name] = PeriodicJob(name=name, task=task_obj, every=every, offset=offset)
        return task_obj

    return register


def periodic_jobs() -> dict[str, PeriodicJob]:
    autodiscover_modules("tasks")
    return dict(_registry)


def scheduler_tick(*, now: datetime | None = None, jobs: dict[str, PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job whose current period has not been claimed yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in (jobs if jobs is not None else periodic_jobs()).values():
        key = job.period_key(now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(
                    job_name=job.name, period_key=key, period_start=job.period_start(key)
                )
                result = job.task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another scheduler claimed this period first
        logger.info("enqueued %s for period starting %s", job.name, run.period_start.isoformat())
        enqueued.append(job.name)
    return enqueued
