"""Heartbeats of the background processes and the health page `/health/` (issue 16, item 5).

Each watched process writes its heartbeat, a row per (name, host, pid) in `Heartbeat`:

    worker     the task worker's loop (common/worker.py), at most every 10 s while idle, and between tasks
    scheduler  every scheduler tick (every 15 s by default)
    mailbox    each run of the complaint-mailbox poll task (every 2 minutes; feedback/tasks.py)

`/health/` answers JSON: whether the database answers and, for each name, the newest beat of any process,
its age and "ok" or "stale". HTTP 200 when the database answers and every beat is fresh, 503 otherwise.
One query; no personal data, no host names. A load balancer should probe `/healthz` (the web process and
its database) instead: a stale worker is a reason to page someone, not to stop serving pages.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from estatedesk.common.models import Heartbeat
from estatedesk.common.reconnect import DATABASE_ERRORS

WORKER = "worker"
SCHEDULER = "scheduler"
MAILBOX = "mailbox"
KEEP_HEARTBEATS = timedelta(days=1)  # rows of processes gone for longer are deleted (heartbeat_prune)


def stale_after() -> dict[str, timedelta]:
    """How old each name's newest beat may be before it counts as stale. The worker beats between tasks,
    so a long task (the SLA sweep stops after 45 s) delays it; the mailbox poll runs every 2 minutes and
    may wait on slow IMAP servers."""
    tick = settings.ESTATEDESK_SCHEDULER_TICK_SECONDS
    return {
        WORKER: timedelta(minutes=5),
        SCHEDULER: timedelta(seconds=max(60.0, 4 * tick)),
        MAILBOX: timedelta(minutes=10),
    }


def heartbeat_beat(name: str, *, now: datetime | None = None) -> None:
    """Record that this process (`name` on this host, this pid) is alive now. One UPDATE, or an INSERT the
    first time; each process writes only its own row, so there is no race to lose."""
    now = now or timezone.now()
    host, pid = socket.gethostname()[:100], os.getpid()
    if Heartbeat.objects.filter(name=name, host=host, pid=pid).update(at=now):
        return
    try:
        with transaction.atomic():
            Heartbeat.objects.create(name=name, host=host, pid=pid, at=now)
    except IntegrityError:  # the same process beat from another thread in between
        Heartbeat.objects.filter(name=name, host=host, pid=pid).update(at=now)


def heartbeat_prune(*, now: datetime | None = None) -> int:
    """Delete the heartbeats of processes silent for a day (each restart has a new pid)."""
    deleted, _ = Heartbeat.objects.filter(at__lt=(now or timezone.now()) - KEEP_HEARTBEATS).delete()
    return deleted


@dataclass(frozen=True)
class Beat:
    name: str
    last_at: datetime | None
    age: timedelta | None
    stale_after: timedelta

    @property
    def ok(self) -> bool:
        return self.age is not None and self.age <= self.stale_after

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "stale",
            "last_beat_at": self.last_at.isoformat() if self.last_at else None,
            "age_seconds": round(self.age.total_seconds()) if self.age is not None else None,
            "stale_after_seconds": round(self.stale_after.total_seconds()),
        }


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    database_ok: bool
    beats: tuple[Beat, ...]

    @property
    def ok(self) -> bool:
        return self.database_ok and all(beat.ok for beat in self.beats)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "checked_at": self.checked_at.isoformat(),
            "database": "ok" if self.database_ok else "down",
            "heartbeats": {beat.name: beat.as_json() for beat in self.beats},
        }


def health_report(*, now: datetime | None = None) -> HealthReport:
    """The newest beat of each watched name (one aggregate query, which also proves the database answers)."""
    now = now or timezone.now()
    limits = stale_after()
    try:
        newest = dict(
            Heartbeat.objects.filter(name__in=list(limits))
            .values("name")
            .annotate(last=Max("at"))
            .values_list("name", "last")
        )
        database_ok = True
    except DATABASE_ERRORS:
        newest, database_ok = {}, False
    beats = tuple(
        Beat(
            name=name,
            last_at=newest.get(name),
            age=max(timedelta(0), now - newest[name]) if name in newest else None,
            stale_after=limit,
        )
        for name, limit in limits.items()
    )
    return HealthReport(checked_at=now, database_ok=database_ok, beats=beats)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """GET /health/: the report as JSON; 200 when everything is fresh, 503 otherwise."""
    report = health_report()
    return JsonResponse(report.as_json(), status=200 if report.ok else 503)
