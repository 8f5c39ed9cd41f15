"""R-FB-6: "due in N working days" on a project's calendar ends at the close of the N-th working day
(deadlines.py, pure)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from estatedesk.common.workcalendar import Calendar
from estatedesk.feedback.tests.helpers import local
from estatedesk.visits.deadlines import due_after_working_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = Calendar(tz=SHANGHAI, opens=time(9, 0), closes=time(17, 30), weekdays=frozenset(range(5)))


def test_r_fb_6_the_start_day_counts_when_it_is_a_working_day_before_closing():
    # Monday 2026-11-02 at 08:00, before opening: Monday is day 1, Friday day 5
    assert due_after_working_days(OFFICE, local(2026, 11, 2, 8), 5) == local(2026, 11, 6, 17, 30)


def test_r_fb_6_weekends_and_the_time_after_closing_do_not_count():
    # Sunday the 1st: Monday is day 1; Friday after closing: Monday is day 1
    assert due_after_working_days(OFFICE, local(2026, 11, 1, 8), 5) == local(2026, 11, 6, 17, 30)
    assert due_after_working_days(OFFICE, local(2026, 11, 6, 18), 1) == local(2026, 11, 9, 17, 30)


def test_r_fb_6_public_holidays_do_not_count_and_make_up_days_do():
    calendar = Calendar(
        tz=SHANGHAI,
        opens=time(9, 0),
        closes=time(17, 30),
        weekdays=frozenset(range(5)),
        observes_public_holidays=True,
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
        makeup_workdays=frozenset({date(2026, 10, 10)}),  # a Saturday
    )

    assert due_after_working_days(calendar, local(2026, 10, 1, 8), 1) == local(2026, 10, 5, 17, 30)
    assert due_after_working_days(calendar, local(2026, 10, 9, 18), 1) == local(2026, 10, 10, 17, 30)


def test_r_fb_6_a_24_hour_calendar_closes_at_midnight():
    always = Calendar(tz=SHANGHAI, is_24_hours=True)

    assert due_after_working_days(always, local(2026, 11, 1, 8), 2) == local(2026, 11, 3)
