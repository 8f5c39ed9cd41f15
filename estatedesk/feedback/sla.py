"""SLA clocks (R-FB-2, R-FB-4): which policy applies to an item and when each clock is due. Pure: the
caller passes the policies and the calendars; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from estatedesk.common.workcalendar import Calendar, add_working_time

# The seeded defaults, from the requirements (editable as SlaPolicy rows).
CONTACT_MINUTES = 60  # R-FB-2: the CS department contacts the supervisor within 1 hour
ACTION_MINUTES = 30  # R-FB-4: the seed's number is illegible; we chose 30 minutes
RESOLUTION_MINUTES = {"repair": 24 * 60, "complaint": 48 * 60, "suggestion": 5 * 12 * 60, "inquiry": 12 * 60}
URGENT_RESOLUTION_MINUTES = 4 * 60


@dataclass(frozen=True)
class Policy:
    clock: str
    kind: str
    category: str
    priority: str
    minutes: int
    uses_hotline_calendar: bool

    def matches(self, *, kind: str, category: str, priority: str) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (not self.category or self.category == category)
            and (not self.priority or self.priority == priority)
        )

    @property
    def specificity(self) -> int:
        return bool(self.kind) + bool(self.category) + bool(self.priority)


def pick(policies: Iterable[Policy], *, clock: str, kind: str, category: str, priority: str) -> Policy | None:
    """The most specific policy of `clock` matching the item (ties: priority beats category beats kind)."""
    candidates = [
        p for p in policies if p.clock == clock and p.matches(kind=kind, category=category, priority=priority)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.specificity, bool(p.priority), bool(p.category), bool(p.kind)))


@dataclass(frozen=True)
class Deadlines:
    contact_due_at: datetime | None
    action_due_at: datetime | None
    resolution_due_at: datetime | None


def deadlines(
    *,
    policies: Iterable[Policy],
    registered_at: datetime,
    kind: str,
    category: str,
    priority: str,
    is_quality_problem: bool,
    service_calendar: Calendar,
    hotline_calendar: Calendar,
) -> Deadlines:
    policies = list(policies)

    def due(clock: str) -> datetime | None:
        policy = pick(policies, clock=clock, kind=kind, category=category, priority=priority)
        if policy is None:
            return None
        calendar = hotline_calendar if policy.uses_hotline_calendar else service_calendar
        return add_working_time(calendar, registered_at, timedelta(minutes=policy.minutes))

    return Deadlines(
        contact_due_at=due("contact"),
        action_due_at=due("action") if is_quality_problem else None,
        resolution_due_at=due("resolution"),
    )


def default_policies() -> list[Policy]:
    """The rows seeded for a new company."""
    rows = [
        Policy("contact", "", "", "", CONTACT_MINUTES, False),
        Policy("contact", "", "", "urgent", CONTACT_MINUTES, True),
        Policy("action", "", "", "", ACTION_MINUTES, False),
        Policy("resolution", "", "", "urgent", URGENT_RESOLUTION_MINUTES, True),
    ]
    rows += [
        Policy("resolution", kind, "", "", minutes, False) for kind, minutes in RESOLUTION_MINUTES.items()
    ]
    return rows


def time_left(due_at: datetime | None, *, now: datetime) -> timedelta | None:
    return None if due_at is None else due_at - now
