"""Reminders of nonconformity actions (R-RV-4): before the deadline in working days (QualityRules), and once
overdue to the owner and the project manager; each once however often the daily job runs."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from estatedesk.common.workcalendar import Calendar
from estatedesk.notifications.models import Notification
from estatedesk.org.models import WorkingCalendar
from estatedesk.quality.choices import ActionKind, Stage
from estatedesk.quality.models import NonconformityAction, QualityRules
from estatedesk.quality.reminders import actions_remind, remind_on
from estatedesk.quality.tasks import action_reminders
from estatedesk.quality.tests.helpers import manual, walk_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = Calendar(tz=SHANGHAI, weekdays=frozenset(range(5)))


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=SHANGHAI)


def test_remind_on_counts_working_days_back_over_a_weekend():
    # Tuesday 2026-12-08 less 2 working days is Friday 2026-12-04; 0 days is the deadline itself
    assert remind_on(due_on=date(2026, 12, 8), working_days=2, calendar=WEEKDAYS) == date(2026, 12, 4)
    assert remind_on(due_on=date(2026, 12, 8), working_days=0, calendar=WEEKDAYS) == date(2026, 12, 8)


def _action(visiting, due_on: date) -> NonconformityAction:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        nc = walk_to(visiting, manual(visiting), Stage.ACTION_PLAN)
        from estatedesk.quality import services

        return services.nonconformity_action_add(
            actor=visiting.pm_a,
            nonconformity=nc,
            kind=ActionKind.CORRECTIVE,
            description="更换电梯门锁",
            owner=visiting.executor_a,
            due_on=due_on,
        )


@pytest.fixture(autouse=True)
def _english():
    """The titles are read in English here; without this, what another test left active decided it."""
    with translation.override("en"):
        yield


def _titles(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def test_r_rv_4_reminded_two_working_days_before_then_overdue_to_the_project_manager(visiting):
    # given a weekday calendar and an action due Tuesday 2026-12-08 (QualityRules: 2 working days)
    WorkingCalendar.objects.filter(pk=visiting.project_a.service_calendar_id).update(working_weekdays="12345")
    action = _action(visiting, date(2026, 12, 8))
    QualityRules.objects.get_or_create(company=visiting.company)
    # Thursday: nothing yet; Friday: the owner, once however often the job runs
    assert actions_remind(now=at(date(2026, 12, 3))).due_soon == 0
    assert actions_remind(now=at(date(2026, 12, 4))).due_soon == 1
    assert actions_remind(now=at(date(2026, 12, 5))).due_soon == 0
    assert [t for t in _titles(visiting.executor_a) if "due 2026-12-08" in t and "your action" in t] != []
    # on the deadline nothing is overdue; the day after, the owner and the project manager, once
    assert actions_remind(now=at(date(2026, 12, 8))).overdue == 0
    assert actions_remind(now=at(date(2026, 12, 9))).overdue == 1
    assert actions_remind(now=at(date(2026, 12, 10))).overdue == 0
    assert sum("overdue" in t for t in _titles(visiting.pm_a)) == 1
    assert sum("overdue" in t for t in _titles(visiting.executor_a)) == 1
    action.refresh_from_db()
    assert action.due_soon_notified_at is not None
    assert action.overdue_notified_at is not None


def test_r_rv_4_the_company_sets_the_days_before(visiting):
    WorkingCalendar.objects.filter(pk=visiting.project_a.service_calendar_id).update(working_weekdays="12345")
    _action(visiting, date(2026, 12, 8))
    QualityRules.objects.update_or_create(
        company=visiting.company, defaults={"remind_working_days_before": 0}
    )
    assert actions_remind(now=at(date(2026, 12, 7))).due_soon == 0
    assert actions_remind(now=at(date(2026, 12, 8))).due_soon == 1


def test_r_rv_4_done_actions_are_not_reminded(visiting):
    action = _action(visiting, date(2026, 12, 8))
    NonconformityAction.objects.filter(pk=action.pk).update(done_at=at(date(2026, 12, 2)), result="done")
    run = actions_remind(now=at(date(2026, 12, 20)))
    assert (run.due_soon, run.overdue) == (0, 0)


def test_the_daily_job_is_registered_at_nine():
    from estatedesk.common.scheduling import periodic_jobs

    job = periodic_jobs()["quality.action_reminders"]
    assert str(job.rule) == "daily at 09:00"
    assert job.task is action_reminders
