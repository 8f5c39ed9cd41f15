"""Housekeeping jobs that belong to no domain."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task
from django.utils import timezone

from estatedesk.common.scheduling import Daily, periodic

KEEP_FINISHED_TASKS = timedelta(days=14)
KEEP_SCHEDULED_RUNS = timedelta(days=90)


@periodic(name="common.prune_finished_tasks", at=Daily(time(3, 0)))
@task(queue_name="periodic")
def prune_finished_tasks() -> int:
    """Delete finished task results and scheduler claims older than the retention period (03:00 daily)."""
    from django_tasks_db.models import DBTaskResult

    from estatedesk.common.models import ScheduledRun

    now = timezone.now()
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED_TASKS).delete()
    ScheduledRun.objects.filter(enqueued_at__lt=now - KEEP_SCHEDULED_RUNS).delete()
    return deleted


@periodic(name="common.refresh_planner_statistics", at=Daily(time(3, 30)))
@task(queue_name="periodic")
def refresh_planner_statistics() -> str:
    """Keep the query planner's statistics current (03:30 daily). SQLite has no autovacuum: without fresh
    statistics it may read a million items through the wrong index (bench/RESULTS.md). On PostgreSQL
    autovacuum does this already."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return "skipped: autovacuum analyzes"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")  # sample: seconds, not minutes, on a large database
        cursor.execute("PRAGMA optimize=0x10002")  # analyze every table whose statistics are missing or stale
    return "optimized"
