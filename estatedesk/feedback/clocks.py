"""The SLA clocks of an item as the company configured them (R-FB-2, R-FB-4, R-CH-1): which `SlaPolicy`
rows apply and on which working calendar each clock is counted. `sla.py` does the pure arithmetic; this
module reads the policies and calendars for it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from estatedesk.common.workcalendar import Calendar
from estatedesk.feedback import sla
from estatedesk.feedback.choices import SlaClock
from estatedesk.feedback.models import SlaPolicy
from estatedesk.org.models import Project
from estatedesk.org.selectors import calendar_for


def policies_for(project: Project) -> list[sla.Policy]:
    rows = SlaPolicy.objects.filter(company_id=project.branch.company_id)
    policies = [
        sla.Policy(r.clock, r.kind, r.category, r.priority, r.minutes, r.uses_hotline_calendar) for r in rows
    ]
    return policies or sla.default_policies()


def always_open() -> Any:
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from estatedesk.common.workcalendar import Calendar

    return Calendar(tz=ZoneInfo(settings.TIME_ZONE), is_24_hours=True)


def calendars_for(project: Project) -> tuple[Calendar, Calendar]:
    """(service centre calendar, 24-hour hotline calendar) of the project (R-CH-1)."""
    service = calendar_for(project.service_calendar) if project.service_calendar else always_open()
    hotline = calendar_for(project.hotline_calendar) if project.hotline_calendar else always_open()
    return service, hotline


def deadlines_for(
    *,
    project: Project,
    channel: str,
    kind: str,
    category: str,
    priority: str,
    is_quality_problem: bool,
    start: datetime,
) -> sla.Deadlines:
    """The due times of the clocks that start at registration, counted from `start`."""
    service_calendar, hotline_calendar = calendars_for(project)
    return sla.deadlines(
        policies=policies_for(project),
        registered_at=start,
        kind=kind,
        category=category,
        priority=priority,
        is_quality_problem=is_quality_problem,
        service_calendar=service_calendar,
        hotline_calendar=hotline_calendar,
    )


# clock -> (due column, done column) on FeedbackItem: a clock runs while its due time is set and its done
# time is not; it is met when done by its due time. The one list for steps, the sweep, pages and statistics.
CLOCK_COLUMNS: dict[str, tuple[str, str]] = {
    SlaClock.CONTACT: ("contact_due_at", "contacted_at"),
    SlaClock.ARRANGE: ("arrange_due_at", "arranged_at"),
    SlaClock.ACTION: ("action_due_at", "acted_at"),
    SlaClock.RESOLUTION: ("resolution_due_at", "customer_informed_at"),
}


def running_clocks(values: Any) -> dict[str, datetime]:
    """{clock: due time} of the clocks running on `values` (an item, or a mapping of its columns)."""

    def get(name: str) -> Any:
        return values.get(name) if isinstance(values, Mapping) else getattr(values, name)

    result = {}
    for clock, (due, done) in CLOCK_COLUMNS.items():
        if get(due) is not None and get(done) is None:
            result[clock] = get(due)
    return result


def first_escalation_check(values: Any) -> datetime | None:
    """When the sweep must first look at an item whose clocks were just set: the earliest running due
    time (the sweep then works out the levels and the next time itself). None when no clock runs."""
    running = running_clocks(values)
    return min(running.values()) if running else None
