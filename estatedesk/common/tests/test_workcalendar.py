"""R-CH-1: working-time arithmetic at its boundaries (pure: no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from estatedesk.common.workcalendar import Calendar, CalendarError, add_working_time, working_time_between

TZ = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)

# Customer service centre: 08:00–20:00 every day (the seed's 12-hour service).
CENTRE = Calendar(tz=TZ, opens=time(8), closes=time(20))
# Hotline: 24 hours.
HOTLINE = Calendar(tz=TZ, is_24_hours=True)
# Office: Monday–Friday 09:00–18:00, closed on public holidays, open on make-up days (2026 National Day).
OFFICE = Calendar(
    tz=TZ,
    opens=time(9),
    closes=time(18),
    weekdays=frozenset(range(5)),
    observes_public_holidays=True,
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    makeup_workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_ch_1_inside_hours_the_clock_runs_straight():
    assert add_working_time(CENTRE, at(2026, 11, 26, 10, 15), HOUR) == at(2026, 11, 26, 11, 15)


def test_ch_1_registered_before_opening_starts_at_opening():
    assert add_working_time(CENTRE, at(2026, 11, 26, 6, 30), HOUR) == at(2026, 11, 26, 9, 0)


def test_ch_1_registered_at_closing_carries_to_next_morning():
    assert add_working_time(CENTRE, at(2026, 11, 26, 20, 0), HOUR) == at(2026, 11, 27, 9, 0)


def test_ch_1_clock_that_ends_exactly_at_closing_is_due_at_closing():
    assert add_working_time(CENTRE, at(2026, 11, 26, 19, 0), HOUR) == at(2026, 11, 26, 20, 0)


def test_ch_1_clock_split_over_the_night():
    assert add_working_time(CENTRE, at(2026, 11, 26, 19, 30), HOUR) == at(2026, 11, 27, 8, 30)


def test_ch_1_24_hour_hotline_runs_across_midnight():
    assert add_working_time(HOTLINE, at(2026, 11, 26, 23, 30), HOUR) == at(2026, 11, 27, 0, 30)
    assert working_time_between(HOTLINE, at(2026, 11, 26, 23, 30), at(2026, 11, 27, 0, 30)) == HOUR


def test_ch_1_office_skips_the_weekend():
    friday_evening = at(2026, 11, 27, 17, 30)
    assert add_working_time(OFFICE, friday_evening, HOUR) == at(2026, 11, 30, 9, 30)


def test_ch_1_office_skips_public_holidays():
    # 30 September 2026 (Wednesday) 17:00 + 2 hours: 1–7 October are holidays, 8 October is a Thursday.
    assert add_working_time(OFFICE, at(2026, 9, 30, 17, 0), 2 * HOUR) == at(2026, 10, 8, 10, 0)


def test_ch_1_office_works_on_a_makeup_saturday():
    # Friday 9 October 17:00 + 2 hours: Saturday 10 October is a make-up working day (调休).
    assert add_working_time(OFFICE, at(2026, 10, 9, 17, 0), 2 * HOUR) == at(2026, 10, 10, 10, 0)
    assert working_time_between(OFFICE, at(2026, 10, 10, 0, 0), at(2026, 10, 11, 0, 0)) == 9 * HOUR


def test_ch_1_makeup_sunday_before_national_day():
    # Sunday 20 September 2026 is a make-up day; a clock started Saturday evening runs on Sunday morning.
    assert add_working_time(OFFICE, at(2026, 9, 19, 12, 0), HOUR) == at(2026, 9, 20, 10, 0)


def test_ch_1_holidays_ignored_by_a_calendar_that_does_not_observe_them():
    assert add_working_time(CENTRE, at(2026, 10, 1, 8, 0), HOUR) == at(2026, 10, 1, 9, 0)


def test_ch_1_elapsed_working_time_over_a_night_and_a_holiday_week():
    assert working_time_between(CENTRE, at(2026, 11, 26, 19, 0), at(2026, 11, 27, 9, 0)) == 2 * HOUR
    assert working_time_between(OFFICE, at(2026, 9, 30, 17, 0), at(2026, 10, 8, 10, 0)) == 2 * HOUR


def test_ch_1_elapsed_is_zero_when_end_not_after_start_or_outside_hours():
    assert working_time_between(CENTRE, at(2026, 11, 26, 12, 0), at(2026, 11, 26, 11, 0)) == timedelta(0)
    assert working_time_between(CENTRE, at(2026, 11, 26, 21, 0), at(2026, 11, 27, 7, 0)) == timedelta(0)


def test_ch_1_add_and_elapsed_agree():
    start = at(2026, 9, 25, 16, 47)
    for minutes in (0, 1, 59, 60, 61, 540, 541, 5000):
        due = add_working_time(OFFICE, start, timedelta(minutes=minutes))
        assert working_time_between(OFFICE, start, due) == timedelta(minutes=minutes)


def test_ch_1_zero_duration_is_the_next_working_instant():
    assert add_working_time(CENTRE, at(2026, 11, 26, 21, 0), timedelta(0)) == at(2026, 11, 27, 8, 0)
    assert add_working_time(CENTRE, at(2026, 11, 26, 12, 0), timedelta(0)) == at(2026, 11, 26, 12, 0)


def test_ch_1_utc_input_is_measured_in_local_days():
    utc_start = datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("UTC"))  # 19:30 in Shanghai
    assert add_working_time(CENTRE, utc_start, HOUR) == at(2026, 11, 27, 8, 30)


def test_ch_1_closing_at_midnight_means_end_of_day():
    late = Calendar(tz=TZ, opens=time(18), closes=time(0))
    assert add_working_time(late, at(2026, 11, 26, 23, 30), HOUR) == at(2026, 11, 27, 18, 30)


def test_ch_1_bad_calendars_and_inputs_are_refused():
    with pytest.raises(CalendarError):
        Calendar(tz=TZ, opens=time(20), closes=time(8))
    with pytest.raises(CalendarError):
        add_working_time(CENTRE, datetime(2026, 11, 26, 10, 0), HOUR)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(CalendarError):
        add_working_time(CENTRE, at(2026, 11, 26, 10), -HOUR)
    with pytest.raises(CalendarError):
        add_working_time(Calendar(tz=TZ, weekdays=frozenset()), at(2026, 11, 26, 10), HOUR)
