"""Deadlines of reports to HQ (R-IR-1, R-IR-3): pure rule code, tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from estatedesk.reporting import deadlines
from estatedesk.reporting.choices import DeadlineRule

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Kind:
    deadline_rule: str
    deadline_day: int | None = None
    deadline_month: int | None = None
    deadline_hours: int | None = None
    every_days: int | None = None


@dataclass
class Rules:
    at_once_hours: int = 24


MONTHLY = Kind(DeadlineRule.MONTHLY_BY_DAY, deadline_day=10)
AT_ONCE = Kind(DeadlineRule.WITHIN_HOURS)
CLASS_1 = Kind(DeadlineRule.WITHIN_HOURS, deadline_hours=24)
ANNUAL_PLAN = Kind(DeadlineRule.YEARLY_BY_DAY, deadline_day=15, deadline_month=1)
ANNUAL_TRAINING = Kind(DeadlineRule.YEARLY_IN_MONTH, deadline_month=1)
MOVE_IN = Kind(DeadlineRule.DAILY, every_days=5)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc, arg-type]


def test_ir_1_deadline_of_novembers_monthly_report_is_the_10th_of_december_at_23_59_59():
    # given November's monthly report
    # when its deadline is computed
    due = deadlines.due_at(MONTHLY, period_start=date(2026, 11, 1), rules=Rules())
    # then it is 10 December 2026 23:59:59 company time
    assert due == local(2026, 12, 10, 23, 59, 59)
    assert due.utcoffset() == timedelta(hours=8)


def test_ir_1_submitted_at_23_59_59_on_the_10th_is_on_time_and_at_00_00_00_on_the_11th_late():
    due = deadlines.due_at(MONTHLY, period_start=date(2026, 11, 1), rules=Rules())
    assert deadlines.is_on_time(local(2026, 12, 10, 23, 59, 59), due) is True
    assert deadlines.is_on_time(local(2026, 12, 10, 23, 59, 59, 999999), due) is True
    assert deadlines.is_on_time(local(2026, 12, 11, 0, 0, 0), due) is False
    assert deadlines.is_on_time(local(2026, 12, 1, 9, 0), due) is True


def test_ir_1_a_report_never_submitted_is_late():
    due = deadlines.due_at(MONTHLY, period_start=date(2026, 11, 1), rules=Rules())
    assert deadlines.is_on_time(None, due) is False


def test_ir_1_on_time_compares_instants_in_any_time_zone():
    due = deadlines.due_at(MONTHLY, period_start=date(2026, 11, 1), rules=Rules())
    # 15:59:59 UTC is 23:59:59 in Shanghai; 16:00:00 UTC is midnight
    assert deadlines.is_on_time(datetime(2026, 12, 10, 15, 59, 59, tzinfo=ZoneInfo("UTC")), due) is True
    assert deadlines.is_on_time(datetime(2026, 12, 10, 16, 0, 0, tzinfo=ZoneInfo("UTC")), due) is False


def test_ir_1_decembers_monthly_report_is_due_in_january_of_the_next_year():
    due = deadlines.due_at(MONTHLY, period_start=date(2026, 12, 1), rules=Rules())
    assert due == local(2027, 1, 10, 23, 59, 59)


def test_ir_3_a_deadline_day_beyond_the_month_is_its_last_day():
    kind = Kind(DeadlineRule.MONTHLY_BY_DAY, deadline_day=31)
    assert deadlines.due_at(kind, period_start=date(2027, 1, 1), rules=Rules()) == local(
        2027, 2, 28, 23, 59, 59
    )


def test_ir_3_at_once_is_24_hours_by_default_and_follows_the_rules():
    occurred = local(2026, 12, 2, 14, 30)
    assert deadlines.due_at(AT_ONCE, occurred_at=occurred, rules=Rules()) == local(2026, 12, 3, 14, 30)
    assert deadlines.due_at(AT_ONCE, occurred_at=occurred, rules=Rules(at_once_hours=12)) == local(
        2026, 12, 3, 2, 30
    )


def test_ir_3_at_once_set_on_the_type_wins_over_the_rules():
    occurred = local(2026, 12, 2, 14, 30)
    six_hours = Kind(DeadlineRule.WITHIN_HOURS, deadline_hours=6)
    assert deadlines.due_at(six_hours, occurred_at=occurred, rules=Rules(at_once_hours=48)) == local(
        2026, 12, 2, 20, 30
    )
    # a class-1 emergency keeps its own 24 hours whatever "at once" means
    assert deadlines.due_at(CLASS_1, occurred_at=occurred, rules=Rules(at_once_hours=4)) == local(
        2026, 12, 3, 14, 30
    )


def test_ir_3_annual_plan_and_summary_is_due_before_15_january():
    due = deadlines.due_at(ANNUAL_PLAN, period_start=date(2027, 1, 1), rules=Rules())
    assert due == local(2027, 1, 15, 23, 59, 59)


def test_ir_3_annual_training_outline_is_due_in_january():
    due = deadlines.due_at(ANNUAL_TRAINING, period_start=date(2027, 1, 1), rules=Rules())
    assert due == local(2027, 1, 31, 23, 59, 59)
    assert deadlines.is_on_time(local(2027, 1, 31, 18, 0), due) is True
    assert deadlines.is_on_time(local(2027, 2, 1, 0, 0), due) is False


def test_ir_3_move_in_bulletin_daily_or_every_5_days_when_quiet():
    day = local(2026, 12, 2, 9, 0)
    assert deadlines.due_at(MOVE_IN, occurred_at=day, rules=Rules()) == local(2026, 12, 2, 23, 59, 59)
    assert deadlines.due_at(MOVE_IN, occurred_at=day, rules=Rules(), quiet=True) == local(
        2026, 12, 7, 23, 59, 59
    )
    every_3 = Kind(DeadlineRule.EVERY_N_DAYS, every_days=3)
    assert deadlines.due_at(every_3, occurred_at=day, rules=Rules()) == local(2026, 12, 5, 23, 59, 59)


def test_ir_3_periods_are_months_and_years():
    assert deadlines.periods(MONTHLY, date(2026, 11, 20), date(2027, 1, 2)) == [
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
    ]
    assert deadlines.periods(ANNUAL_PLAN, date(2026, 6, 1), date(2027, 1, 1)) == [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 12, 31)),
    ]
    assert deadlines.periods(AT_ONCE, date(2026, 1, 1), date(2026, 12, 31)) == []
    assert deadlines.periods(MONTHLY, date(2026, 12, 1), date(2026, 11, 1)) == []


def test_ir_3_a_period_is_named_in_references():
    assert deadlines.period_label(MONTHLY, date(2026, 11, 1)) == "202611"
    assert deadlines.period_label(ANNUAL_PLAN, date(2027, 1, 1)) == "2027"


def test_ir_3_an_instant_deadline_needs_the_event_and_a_periodic_one_the_period():
    with pytest.raises(ValueError, match="time of the event"):
        deadlines.due_at(AT_ONCE, rules=Rules())
    with pytest.raises(ValueError, match="period"):
        deadlines.due_at(MONTHLY, occurred_at=local(2026, 12, 2), rules=Rules())
