"""The task worker that never silently stops (issue 16, item 5): django-tasks-db's worker loop, made to
outlive the database, to show it is alive, and to pick up the work of workers that died.

django-tasks-db 0.13's `db_worker` re-raises any database error but "database is locked" out of its loop,
so the process exits when the database restarts; a task whose worker is killed stays RUNNING for ever (the
package has no timeout). `estatedesk worker` runs `ResilientWorker` instead:

- each iteration (claim a task, run it) is guarded: a lost connection is logged, the connections are
  dropped and the loop waits 1 s, 2 s, 4 s, … at most 60 s (common/reconnect.py), then carries on;
- a task interrupted by such an error is put back to READY once the database answers again (tasks are
  written to run more than once safely: conditional UPDATEs, unique constraints);
- it beats the "worker" heartbeat at most every 10 s (common/health.py);
- every 5 minutes it puts tasks RUNNING for more than 30 minutes back to READY (their worker died: the
  longest of our tasks stops itself after 45 s), or marks them FAILED on their third claim, so a task that
  kills its worker is not run for ever.

See docs/adr/0012-what-we-promise.md.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from estatedesk.common.health import WORKER, heartbeat_beat, heartbeat_prune
from estatedesk.common.reconnect import DATABASE_ERRORS, Backoff

logger = logging.getLogger(__name__)

BEAT_EVERY_SECONDS = 10.0
RECLAIM_EVERY_SECONDS = 300.0
RUNNING_TIMEOUT = timedelta(minutes=30)
MAX_CLAIMS = 3  # a task claimed this often without finishing is failed, not run again
RECLAIM_BATCH = 500
WORKER_LOST = "estatedesk.common.worker.WorkerLost"


def worker_id_default() -> str:
    """host-pid-random: unique across the pool and readable in the task admin (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def _put_back(
    *, task_result_id: Any, started_at: datetime | None, claims: int, now: datetime, why: str
) -> bool:
    """A RUNNING task whose worker is gone: READY again, or FAILED after MAX_CLAIMS claims. Conditional on
    the row being still RUNNING from the same start, so a worker that finishes meanwhile wins."""
    rows = DBTaskResult.objects.filter(
        pk=task_result_id, status=TaskResultStatus.RUNNING, started_at=started_at
    )
    if claims >= MAX_CLAIMS:
        updated = rows.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=f"{why}; claimed {claims} times without finishing, not run again\n",
        )
        if updated:
            logger.error("task %s failed: %s, claimed %d times", task_result_id, why, claims)
    else:
        updated = rows.update(status=TaskResultStatus.READY, started_at=None)
        if updated:
            logger.warning("task %s put back to READY: %s", task_result_id, why)
    return bool(updated)


def task_result_reclaim_stuck(
    *, now: datetime | None = None, running_for: timedelta = RUNNING_TIMEOUT
) -> int:
    """Put back tasks RUNNING for longer than `running_for` (their worker was killed); the number put back
    or failed. Safe with several workers doing it at once."""
    now = now or timezone.now()
    stuck = (
        DBTaskResult.objects.running()
        .filter(started_at__lt=now - running_for)
        .values_list("id", "started_at", "worker_ids")[:RECLAIM_BATCH]
    )
    why = f"running for more than {running_for}, its worker is gone"
    return sum(
        _put_back(task_result_id=pk, started_at=started_at, claims=len(worker_ids or []), now=now, why=why)
        for pk, started_at, worker_ids in stuck
    )


def task_result_release(*, task_result_id: Any, worker_id: str, now: datetime | None = None) -> bool:
    """Put back the task this worker was running when the database went away (if it is still RUNNING and
    this worker's claim is the last)."""
    row = (
        DBTaskResult.objects.filter(pk=task_result_id, status=TaskResultStatus.RUNNING)
        .values_list("started_at", "worker_ids")
        .first()
    )
    if row is None or not row[1] or row[1][-1] != worker_id:
        return False
    why = f"interrupted by a database error in worker {worker_id}"
    return _put_back(
        task_result_id=task_result_id,
        started_at=row[0],
        claims=len(row[1]),
        now=now or timezone.now(),
        why=why,
    )


class ResilientWorker(Worker):
    """django-tasks-db's Worker with every iteration guarded against database errors. `sleep` and `clock`
    (monotonic seconds) are injected by tests, which then never wait."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.sleep = sleep
        self.clock = clock
        self.backoff = Backoff(what=f"worker {self.worker_id}", sleep=sleep)
        self.interrupted: Any = None  # the id of the task a database error interrupted
        self._next_beat = 0.0
        self._next_reclaim = 0.0

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            self.sleep(random.random())  # noqa: S311 - spreads the start of many workers, not a secret
        while self.running:
            try:
                ran = self.run_once()
            except DATABASE_ERRORS as error:
                self.backoff.failed(error)
                continue
            self.backoff.succeeded()
            if self._finished(ran=ran):
                return
            if self.running and not ran:
                self.sleep(self.interval)

    def run_once(self) -> bool:
        """One iteration: housekeeping, then claim and run one task; False when there was none."""
        close_old_connections()
        if self.interrupted is not None:
            task_result_release(task_result_id=self.interrupted, worker_id=self.worker_id)
            self.interrupted = None
        self._housekeeping()
        task_result = self._claim()
        if task_result is None:
            return False
        self.interrupted = task_result.id  # until run_task returns: set_failed may meet the same error
        self.run_task(task_result)
        self.interrupted = None
        close_old_connections()
        return True

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # RUNNING, so no other worker takes it
        return task_result

    def _housekeeping(self) -> None:
        now = self.clock()
        if now >= self._next_beat:
            heartbeat_beat(WORKER)
            self._next_beat = now + BEAT_EVERY_SECONDS
        if now >= self._next_reclaim:
            task_result_reclaim_stuck()
            heartbeat_prune()
            self._next_reclaim = now + RECLAIM_EVERY_SECONDS

    def _finished(self, *, ran: bool) -> bool:
        if self.batch and not ran:
            logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
            return True
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            logger.info(
                "Ran the maximum of %d tasks on worker_id=%s - exiting.", self._run_tasks, self.worker_id
            )
            return True
        return False
