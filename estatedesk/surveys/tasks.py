"""Background work of surveys (periodic): the schedules open their next campaign (R-SV-1), and readers who
have not opened a distributed report are reminded (R-SV-5). Each task calls the module that does it."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task

from estatedesk.common.scheduling import Daily, periodic


@periodic(name="surveys.schedules", every=timedelta(hours=1))
@task(queue_name="periodic")
def open_scheduled_campaigns() -> int:
    """Open the campaigns whose period has started (campaigns.schedules_open_due); the campaigns made."""
    from estatedesk.surveys.campaigns import schedules_open_due

    return schedules_open_due()


@periodic(name="surveys.report_reminders", at=Daily(time(9, 30)))
@task(queue_name="periodic")
def report_reminders() -> int:
    """Remind the recipients who have not read a distributed report (reports.report_reminders_send)."""
    from estatedesk.surveys.reports import report_reminders_send

    return report_reminders_send()
