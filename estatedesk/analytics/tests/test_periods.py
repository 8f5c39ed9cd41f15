"""Periods of the dashboards and packs (issue 15, R-FB-7): months, quarters, years and custom dates in
company time, the period before and a year earlier, and the text the pages, the API and the command take."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from estatedesk.analytics.choices import PeriodKind
from estatedesk.analytics.periods import Period, last_closed_month, parse_period

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", Period.month(date(2026, 11, 1))),
        ("2026-1", Period.month(date(2026, 1, 1))),
        (" 2026-11 ", Period.month(date(2026, 11, 1))),
        ("２０２６－１１", Period.month(date(2026, 11, 1))),  # full-width digits, as a Chinese IME types them
        ("2026-Q4", Period.quarter(2026, 4)),
        ("2026q1", Period.quarter(2026, 1)),
        ("２０２６－Ｑ２", Period.quarter(2026, 2)),
        ("2026", Period.year(2026)),
        ("2026-11-03..2026-11-20", Period.custom(date(2026, 11, 3), date(2026, 11, 20))),
        ("2026-11-03 至 2026-11-20", Period.custom(date(2026, 11, 3), date(2026, 11, 20))),
        ("2026-11-03~2026-11-03", Period.custom(date(2026, 11, 3), date(2026, 11, 3))),
    ],
)
def test_fb_7_period_text_is_parsed(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "november",
        "2026-13",
        "2026-00",
        "2026-Q5",
        "1969",
        "9999",
        "2026-11-20..2026-11-03",  # backwards
        "2020-01-01..2026-01-01",  # longer than three years
        "2026-02-30..2026-03-01",  # no such day
        "2026-11-03..",
    ],
)
def test_fb_7_bad_period_text_is_none(text):
    assert parse_period(text) is None


def test_fb_7_texts_round_trip():
    for period in (
        Period.month(date(2026, 11, 1)),
        Period.quarter(2026, 4),
        Period.year(2026),
        Period.custom(date(2026, 11, 3), date(2026, 11, 20)),
    ):
        assert parse_period(period.text) == period
    assert [
        p.text for p in (Period.quarter(2026, 4), Period.custom(date(2026, 11, 3), date(2026, 11, 20)))
    ] == [
        "2026-Q4",
        "2026-11-03..2026-11-20",
    ]


def test_fb_7_month_bounds_are_in_company_time():
    start, end = Period.month(date(2026, 11, 1)).bounds()

    assert start == datetime.combine(date(2026, 11, 1), time(), SHANGHAI)
    assert end == datetime.combine(date(2026, 12, 1), time(), SHANGHAI)


def test_fb_7_the_period_before():
    assert Period.month(date(2026, 1, 1)).previous() == Period.month(date(2025, 12, 1))
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert Period.year(2026).previous() == Period.year(2025)
    custom = Period.custom(date(2026, 11, 3), date(2026, 11, 20))  # 18 days
    assert custom.previous() == Period.custom(date(2026, 10, 16), date(2026, 11, 2))
    assert custom.previous().days == custom.days == 18  # noqa: PLR2004


def test_fb_7_a_year_earlier():
    assert Period.month(date(2026, 11, 1)).year_earlier() == Period.month(date(2025, 11, 1))
    assert Period.quarter(2026, 4).year_earlier() == Period.quarter(2025, 4)
    assert Period.year(2026).year_earlier() == Period.year(2025)
    leap = Period.custom(date(2028, 2, 29), date(2028, 3, 5))
    assert leap.year_earlier() == Period(PeriodKind.CUSTOM, date(2027, 2, 28), date(2027, 3, 6))
    february = Period.month(date(2028, 2, 1))
    assert february.year_earlier() == Period.month(date(2027, 2, 1))


def test_fb_7_quarter_and_year_months():
    assert Period.quarter(2026, 4).months() == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert len(Period.year(2026).months()) == 12  # noqa: PLR2004
    assert Period.custom(date(2026, 11, 20), date(2026, 12, 5)).months() == [
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]


def test_fb_7_last_closed_month_in_company_time():
    # 1 December 00:30 in Shanghai is still 30 November in UTC: the pack is about November
    now = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)
    assert last_closed_month(now) == Period.month(date(2026, 11, 1))
