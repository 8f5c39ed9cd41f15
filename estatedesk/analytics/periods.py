"""Periods of the dashboards and packs (issue 15): a calendar month, quarter or year, or custom dates, in
company time, with the period before it and the same period a year earlier. Pure apart from reading the
time zone (settings.TIME_ZONE is the company's); tested alone.

A period is [start, end) as dates. Its text, as the pages, the API and the command take it:
`2026-11` (a month), `2026-Q4` (a quarter), `2026` (a year), `2026-11-03..2026-11-20` (custom dates,
both days included: end is the day after the second date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.analytics.choices import PeriodKind

_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])", re.ASCII)
_YEAR = re.compile(r"(\d{4})", re.ASCII)
_CUSTOM = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|~|至|到)\s*(\d{4}-\d{1,2}-\d{1,2})", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1970, 9998
LONGEST_CUSTOM_DAYS = 366 * 3


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    kind: str  # PeriodKind
    start: date
    end: date  # exclusive

    # --- making one ---------------------------------------------------------------------------------------
    @classmethod
    def month(cls, month: date) -> Period:
        first = month.replace(day=1)
        return cls(PeriodKind.MONTH, first, add_months(first, 1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = date(year, 3 * (quarter - 1) + 1, 1)
        return cls(PeriodKind.QUARTER, first, add_months(first, 3))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def custom(cls, first: date, last: date) -> Period:
        """From `first` to `last`, both included."""
        return cls(PeriodKind.CUSTOM, first, last + timedelta(days=1))

    # --- reading one --------------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The period as it is typed and put in URLs (see the module's docstring)."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start:%Y}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.YEAR:
            return f"{self.start:%Y}"
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    @property
    def label(self) -> str:
        """The period for people: 2026年11月 / 2026年第4季度 / 2026年 / 2026-11-03 至 2026-11-20."""
        if self.kind == PeriodKind.MONTH:
            return _("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == PeriodKind.QUARTER:
            return _("%(year)d Q%(quarter)d") % {
                "year": self.start.year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == PeriodKind.YEAR:
            return _("Year %(year)d") % {"year": self.start.year}
        return _("%(first)s to %(last)s") % {
            "first": self.start.isoformat(),
            "last": self.last_day.isoformat(),
        }

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at midnight in company time."""
        zone = timezone.get_default_timezone()
        return datetime.combine(self.start, time(), zone), datetime.combine(self.end, time(), zone)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    # --- the periods beside it ----------------------------------------------------------------------------
    def previous(self) -> Period:
        """The period just before: the month, quarter or year before; for custom dates, as many days
        ending the day before."""
        if self.kind == PeriodKind.MONTH:
            return Period.month(add_months(self.start, -1))
        if self.kind == PeriodKind.QUARTER:
            first = add_months(self.start, -3)
            return Period(PeriodKind.QUARTER, first, self.start)
        if self.kind == PeriodKind.YEAR:
            return Period.year(self.start.year - 1)
        return Period(PeriodKind.CUSTOM, self.start - timedelta(days=self.days), self.start)

    def year_earlier(self) -> Period:
        """The same period a year earlier (29 February counts as the 28th)."""
        if self.kind == PeriodKind.CUSTOM:
            return Period(PeriodKind.CUSTOM, _year_earlier(self.start), _year_earlier(self.end))
        return Period(self.kind, self.start.replace(year=self.start.year - 1), _year_earlier(self.end))

    def months(self) -> list[date]:
        """The first days of the months the period touches (for trends)."""
        result, month = [], self.start.replace(day=1)
        while month < self.end:
            result.append(month)
            month = add_months(month, 1)
        return result


def current_month(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now()).replace(day=1)


def last_closed_month(now: datetime | None = None) -> Period:
    """The previous calendar month (the month a pack on the 1st is about)."""
    return Period.month(add_months(current_month(now), -1))


def _date(text: str) -> date | None:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def parse_period(text: str) -> Period | None:
    """A period from its text (see the module's docstring); None when it is none, or outside the years
    1970–9998, or custom dates backwards or longer than three years. Full-width digits are read too."""
    text = (text or "").strip().translate(_FULL_WIDTH)
    if match := _CUSTOM.fullmatch(text):
        first, last = _date(match[1]), _date(match[2])
        if first is None or last is None or last < first or (last - first).days >= LONGEST_CUSTOM_DAYS:
            return None
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            return None
        return Period.custom(first, last)
    if match := _QUARTER.fullmatch(text):
        year = int(match[1])
        return Period.quarter(year, int(match[2])) if FIRST_YEAR <= year <= LAST_YEAR else None
    if match := _MONTH.fullmatch(text):
        year, month = int(match[1]), int(match[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:  # noqa: PLR2004
            return Period.month(date(year, month, 1))
        return None
    if match := _YEAR.fullmatch(text):
        year = int(match[1])
        return Period.year(year) if FIRST_YEAR <= year <= LAST_YEAR else None
    return None


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－．～Ｑｑ", "0123456789-.~Qq")
