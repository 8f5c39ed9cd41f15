"""`estatedesk scheduler`: enqueue periodic jobs once per period. Safe to run more than one."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from estatedesk.common.scheduling import periodic_jobs, scheduler_tick


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

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while running:
            close_old_connections()
            for name in scheduler_tick(jobs=jobs):
                self.stdout.write(f"scheduler: enqueued {name}")
            if once:
                break
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
