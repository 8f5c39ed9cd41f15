"""The scheduler enqueues each periodic job once per period, however many schedulers and workers run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django_tasks_db.models import DBTaskResult

from estatedesk.common.models import AuditEntry, ScheduledRun
from estatedesk.common.scheduling import PeriodicJob, periodic_jobs, scheduler_tick
from estatedesk.common.tests.tasks_for_tests import record_run

JOB = PeriodicJob(name="test.every_5_minutes", task=record_run, every=timedelta(minutes=5))
JOBS = {JOB.name: JOB}


def test_period_keys_and_offsets():
    daily_at_2am_shanghai = PeriodicJob(
        name="d", task=record_run, every=timedelta(days=1), offset=timedelta(hours=18)
    )
    before = datetime(2026, 11, 26, 17, 59, tzinfo=UTC)  # 01:59 in Shanghai
    after = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 02:00 in Shanghai
    assert daily_at_2am_shanghai.period_key(after) == daily_at_2am_shanghai.period_key(before) + 1
    assert daily_at_2am_shanghai.period_start(daily_at_2am_shanghai.period_key(after)) == after


def test_housekeeping_job_is_registered():
    assert "common.prune_finished_tasks" in periodic_jobs()


@pytest.mark.django_db
def test_two_schedulers_in_one_period_enqueue_once():
    now = datetime(2026, 11, 26, 8, 1, tzinfo=UTC)
    assert scheduler_tick(now=now, jobs=JOBS) == [JOB.name]
    assert scheduler_tick(now=now + timedelta(minutes=2), jobs=JOBS) == []  # a second scheduler, same period
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
    assert scheduler_tick(now=now + timedelta(minutes=5), jobs=JOBS) == [JOB.name]  # next period
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_enqueue_once():
    threads_count = 4
    now = datetime(2026, 11, 26, 8, 1, tzinfo=UTC)
    barrier = threading.Barrier(threads_count)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(scheduler_tick(now=now, jobs=JOBS))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(len(r) for r in results) == [0] * (threads_count - 1) + [1]
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_a_queued_job_once():
    from django_tasks_db.management.commands.db_worker import Worker

    with time_machine.travel(datetime(2026, 11, 26, 8, 1, tzinfo=UTC), tick=True):
        scheduler_tick(jobs=JOBS)

    def work(worker_id: str) -> None:
        try:
            Worker(
                queue_names=["periodic"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            ).run()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert AuditEntry.objects.filter(object_type="test.run").count() == 1
    assert DBTaskResult.objects.successful().count() == 1
