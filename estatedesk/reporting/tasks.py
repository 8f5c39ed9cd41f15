"""Background work of HQ reporting (periodic). Each task calls the module that does it."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task

from estatedesk.common.scheduling import Daily, periodic


@periodic(name="reporting.expected", at=Daily(time(0, 10)))
@task(queue_name="periodic")
def make_expected_reports() -> int:
    """The expected reports of the periods that have begun (expected.expected_reports_make); the count."""
    from estatedesk.reporting.expected import expected_reports_make

    return expected_reports_make()


@periodic(name="reporting.deadlines", every=timedelta(minutes=15))
@task(queue_name="periodic")
def deadline_sweep() -> dict[str, int]:
    """Reminders before deadlines, the non-reporters after, escalation to the branch manager
    (expected.deadline_sweep)."""
    from estatedesk.reporting.expected import deadline_sweep as sweep

    return sweep()


@periodic(name="reporting.document_reminders", at=Daily(time(9, 0)))
@task(queue_name="periodic")
def document_reminders() -> int:
    """Remind whoever has not opened a forwarded document (noticeboard.delivery_reminders_send)."""
    from estatedesk.reporting.noticeboard import delivery_reminders_send

    return delivery_reminders_send()
