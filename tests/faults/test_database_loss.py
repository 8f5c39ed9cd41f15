"""Fault tests (issue 16, items 5 and 10a): the database connection drops under the task worker and under
the scheduler; each logs the failure, waits (1 s, 2 s, 4 s, … at most 60 s), reconnects and carries on.
A task left RUNNING by a dead worker is put back and run. Real database and task queue; the waits go to a
list (the loops never sleep in these tests)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from estatedesk.common.health import SCHEDULER, WORKER
from estatedesk.common.management.commands.scheduler import scheduler_step
from estatedesk.common.models import Heartbeat, ScheduledRun
from estatedesk.common.reconnect import Backoff
from estatedesk.common.scheduling import PeriodicJob
from estatedesk.common.worker import (
    MAX_CLAIMS,
    RUNNING_TIMEOUT,
    WORKER_LOST,
    ResilientWorker,
    task_result_reclaim_stuck,
)
from tests.faults.conftest import LOST, connection_lost
from tests.faults.tasks_for_faults import record, runs

pytestmark = pytest.mark.django_db(transaction=True)  # the loops close and reopen connections
WORKER_ID = "host-1-test"
NOW = datetime(2026, 11, 26, 8, 0, 30, tzinfo=UTC)


def worker(sleeps: list[float], **options: Any) -> ResilientWorker:
    """A worker that runs what is queued and stops when nothing is left; its waits are recorded."""
    settings = {
        "queue_names": ["*"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": WORKER_ID,
        "excluded_queue_names": [],
    }
    return ResilientWorker(sleep=sleeps.append, clock=lambda: 0.0, **(settings | options))


def claiming(sql: str, params: Any) -> bool:
    """The worker's claim: the SELECT of the next READY task."""
    return sql.lstrip().upper().startswith("SELECT") and "dbtaskresult" in sql and "READY" in (params or ())


def counted_statuses() -> dict[str, int]:
    return {status: DBTaskResult.objects.filter(status=status).count() for status in ("READY", "SUCCESSFUL")}


def test_worker_reconnects_after_losing_the_database_and_runs_the_next_task(how, caplog):
    # given two queued tasks
    record.enqueue("first")
    record.enqueue("second")
    sleeps: list[float] = []

    # when the connection drops as the worker claims its first task
    with caplog.at_level(logging.WARNING), connection_lost(claiming, how=how) as failed:
        worker(sleeps).run()

    # then it logged the failure, waited a second, reconnected and ran both tasks, once each
    assert len(failed) == 1
    assert sleeps == [1.0]
    assert runs() == ["first", "second"]
    assert counted_statuses() == {"READY": 0, "SUCCESSFUL": 2}
    warnings = [
        record.getMessage() for record in caplog.records if record.name == "estatedesk.common.reconnect"
    ]
    assert warnings[0].startswith(f"worker {WORKER_ID}: database error (OperationalError: ")
    assert warnings[0].endswith("failure 1 in a row; reconnecting in 1 s")
    assert warnings[1] == f"worker {WORKER_ID}: database reachable again after 1 failures"
    assert Heartbeat.objects.filter(name=WORKER).exists()


def test_worker_waits_longer_after_each_failure_up_to_a_minute(caplog):
    # given a queued task and a database that fails eight times in a row
    record.enqueue("after the outage")
    sleeps: list[float] = []

    with caplog.at_level(logging.WARNING), connection_lost(claiming, times=8):
        worker(sleeps).run()

    # then the waits double up to a minute, each failure is logged, and the task runs once it is back
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    failures = [r.getMessage() for r in caplog.records if "in a row; reconnecting" in r.getMessage()]
    assert len(failures) == 8
    assert LOST in failures[-1]
    assert runs() == ["after the outage"]


def test_a_task_interrupted_by_a_database_error_runs_again(monkeypatch):
    # given a task, and a database that goes away while the worker records its result (django-tasks-db
    # retries the write three times, then tries to record the failure three times: all six fail)
    monkeypatch.setattr(
        "django_tasks_db.utils.time", type("NoWait", (), {"sleep": staticmethod(lambda s: None)})
    )
    record.enqueue("interrupted")
    sleeps: list[float] = []

    def recording_result(sql: str, params: Any) -> bool:
        return (
            sql.lstrip().upper().startswith("UPDATE")
            and "dbtaskresult" in sql
            and ("SUCCESSFUL" in (params or ()) or "FAILED" in (params or ()))
        )

    with connection_lost(recording_result, times=6):
        worker(sleeps).run()

    # then the worker waited, put the task back once the database answered, and ran it again (at least
    # once: the task ran twice, and succeeded)
    assert sleeps == [1.0]
    assert runs() == ["interrupted", "interrupted"]
    result = DBTaskResult.objects.get()
    assert (result.status, result.worker_ids) == (TaskResultStatus.SUCCESSFUL, [WORKER_ID, WORKER_ID])


def test_scheduler_tick_reconnects_after_losing_the_database(how, caplog):
    # given a scheduler with one job due
    job = PeriodicJob(name="test.fault_every_minute", task=record, every=timedelta(minutes=1))
    sleeps: list[float] = []
    backoff = Backoff(what="scheduler", sleep=sleeps.append)

    def claiming_the_period(sql: str, params: Any) -> bool:
        return sql.lstrip().upper().startswith("INSERT") and "scheduledrun" in sql

    # when the connection drops as it claims the job's period
    with caplog.at_level(logging.WARNING), connection_lost(claiming_the_period, how=how) as failed:
        first = scheduler_step(jobs={job.name: job}, backoff=backoff, now=NOW)
        second = scheduler_step(jobs={job.name: job}, backoff=backoff, now=NOW)

    # then the failed tick is logged and waited out, and the next tick enqueues the job once and beats
    assert (len(failed), first, second, sleeps) == (1, None, [job.name], [1.0])
    assert backoff.failures == 0
    assert ScheduledRun.objects.filter(job_name=job.name).count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert Heartbeat.objects.filter(name=SCHEDULER).exists()
    assert any(r.getMessage().startswith("scheduler: database error") for r in caplog.records)


def test_scheduler_beats_only_after_a_tick_that_reached_the_database():
    job = PeriodicJob(name="test.fault_every_minute", task=record, every=timedelta(minutes=1))
    backoff = Backoff(what="scheduler", sleep=lambda seconds: None)

    with connection_lost(lambda sql, params: True, times=1):
        assert scheduler_step(jobs={job.name: job}, backoff=backoff, now=NOW) is None

    assert not Heartbeat.objects.filter(name=SCHEDULER).exists()


# --- a worker killed mid-task -------------------------------------------------------------------------------


def running_since(started_at: datetime, *, claims: int = 1) -> DBTaskResult:
    """A task claimed by a worker that was then killed (SIGKILL, power loss): RUNNING for ever."""
    result = DBTaskResult.objects.get(pk=record.enqueue("orphan").id)
    DBTaskResult.objects.filter(pk=result.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=started_at,
        worker_ids=[f"dead-{n}" for n in range(claims)],
    )
    return result


def test_a_task_left_running_by_a_killed_worker_is_put_back_after_30_minutes_and_run():
    result = running_since(NOW - RUNNING_TIMEOUT)

    # at 30 minutes it may still be running; a second later its worker is taken for dead
    assert task_result_reclaim_stuck(now=NOW) == 0
    assert task_result_reclaim_stuck(now=NOW + timedelta(seconds=1)) == 1
    result.refresh_from_db()
    assert (result.status, result.started_at) == (TaskResultStatus.READY, None)

    # and the next worker runs it
    worker([]).run()
    result.refresh_from_db()
    assert (result.status, result.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["dead-0", WORKER_ID])
    assert runs() == ["orphan"]


def test_a_task_that_killed_its_worker_three_times_is_failed_not_run_again():
    result = running_since(NOW - timedelta(hours=1), claims=MAX_CLAIMS)

    assert task_result_reclaim_stuck(now=NOW) == 1

    result.refresh_from_db()
    assert (result.status, result.exception_class_path) == (TaskResultStatus.FAILED, WORKER_LOST)
    assert result.traceback.startswith("running for more than 0:30:00, its worker is gone; claimed 3 times")
    worker([]).run()
    assert runs() == []


def test_the_worker_reclaims_stuck_tasks_as_it_starts():
    # given a task left RUNNING an hour ago by a worker that was killed
    running_since(NOW - timedelta(hours=1))

    # when a worker starts
    with time_machine.travel(NOW, tick=False):
        worker([]).run()

    # then it put the task back and ran it
    assert runs() == ["orphan"]


def test_the_worker_command_runs_queued_tasks(monkeypatch):
    monkeypatch.setattr("signal.signal", lambda *args: None)  # leave pytest's Ctrl-C handler alone
    record.enqueue("by the command")

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)

    assert runs() == ["by the command"]
    (worker_id,) = DBTaskResult.objects.get().worker_ids
    assert worker_id.count("-") >= 2  # host-pid-random
