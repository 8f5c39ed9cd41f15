"""Calendar months in the company's time zone: parsing "YYYY-MM", the current month and a month's bounds.
Pure apart from reading settings.TIME_ZONE; used by lists, statistics and (later) reports."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def parse_month(text: str) -> date | None:
    """Month "2026-11", as <input type="month"> sends it, is date(2026, 11, 1); anything else is None."""
    match = MONTH_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1970 <= year <= 9998 and 1 <= month <= 12):  # 9999-12 has no following month
        return None
    return date(year, month, 1)


def current_month(now: datetime | None = None) -> date:
    """The first day of the month it is now in the company's time zone."""
    return timezone.localdate(now, timezone.get_default_timezone()).replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the company's time zone (Asia/Shanghai,
    settings.TIME_ZONE), whatever time zone the request has activated: one month, one set of figures."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = timezone.get_default_timezone()
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)
