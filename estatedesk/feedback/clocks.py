"""The SLA clocks of an item as the company configured them (R-FB-2, R-FB-4, R-CH-1): which `SlaPolicy`
rows apply and on which working calendar each clock is counted. `sla.py` does the pure arithmetic; this
module reads the policies and calendars for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from estatedesk.common.workcalendar import Calendar
from estatedesk.feedback import sla
from estatedesk.feedback.choices import SlaClock
from estatedesk.feedback.models import FeedbackItem, SlaPolicy
from estatedesk.org.models import Project
from estatedesk.org.selectors import calendar_for


def policies_for(project: Project) -> list[sla.Policy]:
    """The company's SLA policies, or the seeded defaults while it has none."""
    rows = SlaPolicy.objects.filter(company_id=project.branch.company_id)
    policies = [
        sla.Policy(r.clock, r.kind, r.category, r.priority, r.minutes, r.uses_hotline_calendar, r.channel)
        for r in rows
    ]
    return policies or sla.default_policies()


def always_open() -> Calendar:
    """The calendar of a project that has none configured: every minute counts."""
    return Calendar(tz=ZoneInfo(settings.TIME_ZONE), is_24_hours=True)


def calendars_for(project: Project) -> sla.Calendars:
    """The service centre's calendar and the 24-hour hotline's calendar of the project (R-CH-1)."""
    service = calendar_for(project.service_calendar) if project.service_calendar else always_open()
    hotline = calendar_for(project.hotline_calendar) if project.hotline_calendar else always_open()
    return sla.Calendars(service=service, hotline=hotline)


@dataclass(frozen=True)
class ClockRules:
    """A project's policies and calendars: read once, used for every clock of its items (the sweep keeps
    one per project for a run)."""

    policies: list[sla.Policy]
    calendars: sla.Calendars


def rules_for(project: Project) -> ClockRules:
    return ClockRules(policies=policies_for(project), calendars=calendars_for(project))


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
    """The due times of the clocks that start at registration, counted from `start`, on the calendars the
    policies for this channel name (R-CH-1)."""
    rules = rules_for(project)
    return sla.deadlines(
        policies=rules.policies,
        registered_at=start,
        kind=kind,
        category=category,
        priority=priority,
        channel=channel,
        is_quality_problem=is_quality_problem,
        calendars=rules.calendars,
    )


def due_for(item: FeedbackItem, clock: str, start: datetime) -> datetime | None:
    """When `clock` of `item`, started at `start`, is due (its policy's minutes on its policy's calendar);
    None when no policy covers it. For the clocks that start after registration: arrange and action when
    the handling opinion reaches the project manager (R-FB-4), resolution again when an item is reopened.
    The caller decides whether the clock runs at all (action: only for a concrete quality problem)."""
    rules = rules_for(item.project)
    return sla.due(
        rules.policies,
        clock=clock,
        start=start,
        kind=item.kind,
        category=item.category,
        priority=item.priority,
        channel=item.channel,
        calendars=rules.calendars,
    )


# the instant each clock starts from; only used when no policy covers a running clock any more
CLOCK_STARTS = {
    SlaClock.CONTACT: "registered_at",
    SlaClock.ARRANGE: "opinion_recorded_at",
    SlaClock.ACTION: "opinion_recorded_at",
    SlaClock.RESOLUTION: "registered_at",
}


def period_for(item: FeedbackItem, clock: str, rules: ClockRules) -> sla.Period:
    """The allowed period of a running clock of `item`, measured on its policy's calendar: the span
    between escalation levels. Should HQ have removed the policy since the clock started, the clock's own
    span (start to due, round the clock) stands in."""
    found = sla.period(
        rules.policies,
        clock=clock,
        kind=item.kind,
        category=item.category,
        priority=item.priority,
        channel=item.channel,
        calendars=rules.calendars,
    )
    if found is not None:
        return found
    start = getattr(item, CLOCK_STARTS[SlaClock(clock)]) or item.registered_at
    due_at = running_clocks(item).get(clock)
    minutes = int((due_at - start).total_seconds() // 60) if due_at is not None else 0
    return sla.Period(calendar=rules.calendars.hotline, minutes=max(minutes, 1))


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
    time (the sweep then works out the levels and the next time itself). None when no clock runs.

    Every writer of a clock column sets `escalation_due_at` to this: registration, each step that starts
    or stops a clock, reclassification, and reopening (which also adds one to `escalation_cycle` and sets
    `escalation_level` to 0, so the levels start again from 1; escalation.py, ADR 0010)."""
    running = running_clocks(values)
    return min(running.values()) if running else None
