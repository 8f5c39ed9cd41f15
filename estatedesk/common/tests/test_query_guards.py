"""Query guards of the admin lists of the shared models (issue 5, item 7): the audit trail and the
scheduler's runs make as many queries with many rows as with a few
(estatedesk.common.testing.assert_queries_do_not_grow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from estatedesk.common.models import AuditEntry, ScheduledRun
from estatedesk.common.testing import assert_queries_do_not_grow

ROWS = 20


def audit(world, n: int, actor) -> str:
    return AuditEntry.objects.create(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        object_type="org.project",
        object_id=str(world.project_a.pk),
        object_repr=f"Guard change {n:02d}",
        changes={"name": ["old", "new"]},
        project_id=world.project_a.pk,
    ).object_repr


def test_admin_audit_trail_queries_do_not_grow_with_rows(world, login):
    audit(world, 90, world.hq)
    audit(world, 91, None)
    actors = [world.hq, world.pm_a, world.agent_a, world.sysadmin, None]
    assert_queries_do_not_grow(
        login(world.sysadmin),
        reverse("admin:common_auditentry_changelist"),
        lambda: [audit(world, n, actors[n % len(actors)]) for n in range(ROWS)],
        ceiling=12,
    )


def test_admin_scheduled_runs_queries_do_not_grow_with_rows(world, login):
    start = datetime(2026, 11, 1, tzinfo=UTC)

    def run(n: int, job: str) -> str:
        ScheduledRun.objects.create(
            job_name=job,
            period_key=n,
            period_start=start + timedelta(hours=n),
            task_result_id=f"guard-task-{n:02d}",
        )
        return f"guard-task-{n:02d}"

    run(90, "sla_sweep")
    run(91, "completeness_snapshot")
    assert_queries_do_not_grow(
        login(world.sysadmin),
        reverse("admin:common_scheduledrun_changelist"),
        lambda: [run(n, ["sla_sweep", "poll_mailboxes"][n % 2]) for n in range(ROWS)],
        ceiling=12,
    )
