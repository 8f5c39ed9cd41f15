"""`estatedesk scheduler`: enqueue periodic jobs once per period. Safe to run more than one.

Each tick is guarded (issue 16, item 5): when the database is gone, the tick is logged as failed, the
connections are dropped and the scheduler waits 1 s, 2 s, 4 s, … at most 60 s before the next tick; it
never exits on a database error. A successful tick beats the "scheduler" heartbeat (/health/).
"""

from __future__ import annotations

import signal
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from estatedesk.common.health import SCHEDULER, heartbeat_beat
from estatedesk.common.reconnect import DATABASE_ERRORS, Backoff
from estatedesk.common.scheduling import PeriodicJob, periodic_jobs, scheduler_tick

PAUSE_STEP_SECONDS = 0.5


def scheduler_step(
    *, jobs: dict[str, PeriodicJob], backoff: Backoff, now: datetime | None = None
) -> list[str] | None:
    """One tick that outlives the database: the names enqueued, or None when the database failed (after
    the back-off wait)."""
    try:
        close_old_connections()
        enqueued = scheduler_tick(jobs=jobs, now=now)
        heartbeat_beat(SCHEDULER)
    except DATABASE_ERRORS as error:
        backoff.failed(error)
        return None
    backoff.succeeded()
    return enqueued


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (several may run; each job is enqueued once per period)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="tick once and exit")
        parser.add_argument("--interval", type=float, default=settings.ESTATEDESK_SCHEDULER_TICK_SECONDS)

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        jobs = periodic_jobs()
        self.stdout.write(f"scheduler: {len(jobs)} periodic jobs (calendar rules in {settings.TIME_ZONE}):")
        for name in sorted(jobs):
            self.stdout.write(f"  {name}: {jobs[name].rule}")
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        def pause(seconds: float) -> None:
            """Sleep, but return within half a second of SIGTERM/SIGINT."""
            slept = 0.0
            while running and slept < seconds:
                time.sleep(min(PAUSE_STEP_SECONDS, seconds - slept))
                slept += PAUSE_STEP_SECONDS

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        backoff = Backoff(what="scheduler", sleep=pause)
        while running:
            for name in scheduler_step(jobs=jobs, backoff=backoff) or []:
                self.stdout.write(f"scheduler: enqueued {name}")
            if once:
                break
            pause(interval)
