"""Working-time arithmetic (R-CH-1): pure functions, no database.

A `Calendar` says when a service is open: either round the clock, or between `opens` and `closes` on
working days. Working days are the weekdays in `weekdays`, minus public holidays, plus make-up working
days (调休), when the calendar observes public holidays. SLA clocks only run while the calendar is open.

    due = add_working_time(cal, start, timedelta(hours=1))
    used = working_time_between(cal, start, end)

Both take and return aware datetimes; local days are those of `cal.tz`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS_SCANNED = 3 * 366  # a calendar closed for three years is a configuration error, not a wait


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    is_24_hours: bool = False
    opens: time = time(8, 0)
    closes: time = time(20, 0)  # time(0, 0) means midnight at the end of the day
    weekdays: frozenset[int] = frozenset(range(7))  # Monday = 0
    observes_public_holidays: bool = False
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.is_24_hours and self.closes != time(0, 0) and self.closes <= self.opens:
            raise CalendarError("closing time must be after opening time")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise CalendarError("opening hours are local times without a time zone")

    def is_working_day(self, day: date) -> bool:
        if self.observes_public_holidays:
            if day in self.makeup_workdays:
                return True
            if day in self.holidays:
                return False
        return day.weekday() in self.weekdays

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The aware [start, end) the calendar is open on a local day, or None when closed."""
        if not self.is_working_day(day):
            return None
        if self.is_24_hours:
            start_time, end_day, end_time = time(0, 0), day + timedelta(days=1), time(0, 0)
        else:
            start_time = self.opens
            end_day, end_time = (
                (day + timedelta(days=1), time(0, 0))
                if self.closes == time(0, 0)
                else (
                    day,
                    self.closes,
                )
            )
        return (
            datetime.combine(day, start_time, tzinfo=self.tz),
            datetime.combine(end_day, end_time, tzinfo=self.tz),
        )


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise CalendarError("datetimes must be timezone-aware")


def _intervals_from(cal: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    day = start.astimezone(cal.tz).date()
    for offset in range(MAX_DAYS_SCANNED):
        interval = cal.open_interval(day + timedelta(days=offset))
        if interval is None:
            continue
        begin, end = interval
        if end <= start:
            continue
        yield max(begin, start), end
    raise CalendarError("the calendar has no working time in the next three years")


def add_working_time(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant when `duration` of working time has passed since `start`.

    A clock started outside working hours starts at the next opening. A zero duration gives the first
    working instant at or after `start`.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise CalendarError("duration must not be negative")
    remaining = duration
    for begin, end in _intervals_from(cal, start):
        available = end - begin
        if remaining <= available:
            return (begin + remaining).astimezone(cal.tz)
        remaining -= available
    raise CalendarError("unreachable")  # pragma: no cover - _intervals_from raises first


def working_time_between(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time elapsed from `start` to `end` (zero when `end` is not after `start`)."""
    _require_aware(start, end)
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    last_day = end.astimezone(cal.tz).date()
    while day <= last_day:
        interval = cal.open_interval(day)
        if interval is not None:
            begin, finish = max(interval[0], start), min(interval[1], end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
