"""Deadlines of reports to HQ (R-IR-1, R-IR-3): pure rule code, no database (tested alone).

A deadline is an aware datetime at 23:59:59 company time (settings.TIME_ZONE) of the deadline's day:
"before the 10th of the next month" (每月10日前) is 10 December 23:59:59 for November's monthly report.
The numbers are data on the information type (`deadline_day`, `deadline_month`, `deadline_hours`,
`every_days`) and on the company's `ReportingRules` (`at_once_hours`, "at once" = 24 h by default).

- monthly_by_day: day N of the month after the period (clamped to the month's last day);
- within_hours: the event's time plus the type's hours, or the rules' `at_once_hours` when the type has
  none (即时 "at once"; a class-1 emergency has its own 24 h);
- yearly_by_day / yearly_in_month: the period of a yearly type is the calendar year of its January
  deadline (the 2027 annual plan and summary is due 15 January 2027, the 2027 training outline by
  31 January 2027); day N of `deadline_month` (January) or that month's last day;
- daily (move-in bulletins during a centralised move-in): the end of the day reported on; when move-ins
  are few and nothing major happens (`quiet`), the next bulletin within `every_days` (5) days;
  every_n_days: within `every_days` days.

On time (R-IR-1): a report is on time when it is submitted within the deadline's second:
`is_on_time(submitted_at, due_at)` ⇔ submitted_at < due_at + 1 s (23:59:59.4 on the 10th is on time,
00:00:00 on the 11th is late). A report never submitted is late.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Protocol

from django.utils import timezone

from estatedesk.reporting.choices import DeadlineRule

END_OF_DAY = time(23, 59, 59)
DEADLINE_SECOND = timedelta(seconds=1)  # the deadline is the whole second 23:59:59


class TypeRule(Protocol):
    """What the deadline maths reads of an information type (an `InformationType` or any look-alike)."""

    @property
    def deadline_rule(self) -> str: ...
    @property
    def deadline_day(self) -> int | None: ...
    @property
    def deadline_month(self) -> int | None: ...
    @property
    def deadline_hours(self) -> int | None: ...
    @property
    def every_days(self) -> int | None: ...


class HoursRule(Protocol):
    """What it reads of the company's rules (`ReportingRules`)."""

    @property
    def at_once_hours(self) -> int: ...


def end_of_day(day: date) -> datetime:
    """23:59:59 company time of `day`, aware."""
    return datetime.combine(day, END_OF_DAY, tzinfo=timezone.get_default_timezone())


def _day_of_month(year: int, month: int, day: int | None) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(max(day or last, 1), last))


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def due_at(
    information_type: TypeRule,
    *,
    period_start: date | None = None,
    occurred_at: datetime | None = None,
    rules: HoursRule,
    quiet: bool = False,
) -> datetime:
    """The deadline of a report of this type: of a period (periodic and yearly types: give
    `period_start`) or of an event (instant types: give `occurred_at`)."""
    rule = information_type.deadline_rule
    if rule == DeadlineRule.MONTHLY_BY_DAY:
        if period_start is None:
            raise ValueError("a monthly deadline needs the period")
        year, month = _next_month(period_start)
        return end_of_day(_day_of_month(year, month, information_type.deadline_day or 10))
    if rule in (DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH):
        if period_start is None:
            raise ValueError("a yearly deadline needs the period")
        month = information_type.deadline_month or 1
        day = information_type.deadline_day if rule == DeadlineRule.YEARLY_BY_DAY else None
        return end_of_day(_day_of_month(period_start.year, month, day))
    if occurred_at is None:
        raise ValueError("an instant deadline needs the time of the event")
    if rule == DeadlineRule.WITHIN_HOURS:
        hours = information_type.deadline_hours or rules.at_once_hours
        return occurred_at + timedelta(hours=hours)
    event_day = timezone.localtime(occurred_at).date()
    if rule == DeadlineRule.EVERY_N_DAYS or (quiet and information_type.every_days):
        return end_of_day(event_day + timedelta(days=information_type.every_days or 1))
    if rule == DeadlineRule.DAILY:
        return end_of_day(event_day)
    raise ValueError(f"unknown deadline rule {rule!r}")


def is_on_time(submitted_at: datetime | None, due_at: datetime) -> bool:
    """Submitted within the deadline (its whole last second counts); never submitted is late."""
    return submitted_at is not None and submitted_at < due_at + DEADLINE_SECOND


def periods(information_type: TypeRule, start: date, end: date) -> list[tuple[date, date]]:
    """The periods (first day, last day) of a type that overlap [start, end], oldest first: calendar
    months, calendar years, days or blocks of `every_days` days from `start`; none for event types."""
    rule = information_type.deadline_rule
    found: list[tuple[date, date]] = []
    if end < start:
        return found
    if rule == DeadlineRule.MONTHLY_BY_DAY:
        year, month = start.year, start.month
        while date(year, month, 1) <= end:
            found.append((date(year, month, 1), _day_of_month(year, month, None)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif rule in (DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH):
        found = [(date(year, 1, 1), date(year, 12, 31)) for year in range(start.year, end.year + 1)]
    elif rule in (DeadlineRule.DAILY, DeadlineRule.EVERY_N_DAYS):
        step = 1 if rule == DeadlineRule.DAILY else max(information_type.every_days or 1, 1)
        day = start
        while day <= end:
            found.append((day, day + timedelta(days=step - 1)))
            day += timedelta(days=step)
    return found


def period_label(information_type: TypeRule, period_start: date) -> str:
    """How a period is named in references and titles: 202611, 2027, 20261202."""
    rule = information_type.deadline_rule
    if rule == DeadlineRule.MONTHLY_BY_DAY:
        return f"{period_start:%Y%m}"
    if rule in (DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH):
        return f"{period_start:%Y}"
    return f"{period_start:%Y%m%d}"
