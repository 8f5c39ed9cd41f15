"""Alerts between packs (issue 15, deliverable 4; R-FB-2 contact on time, R-RV C visits): thresholds as
data, checked daily, each breach recorded and sent once, to the project's managers only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from estatedesk.analytics.alerts import alert_rules_seed, alerts_check
from estatedesk.analytics.choices import AlertComparison, AlertMetric, AlertWindow
from estatedesk.analytics.models import AlertBreach, AlertRule
from estatedesk.feedback.choices import Category, Channel, Kind, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Building, Membership, Project
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit

ZONE = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2026, 11, 11, 10, 0, tzinfo=ZONE)  # week from Monday 9 November
MONDAY = datetime(2026, 11, 9, 9, 0, tzinfo=ZONE)
_numbers = count(1)


def _item(project: Project, *, at: datetime, on_time: bool, building: Building | None = None) -> FeedbackItem:
    due = at + timedelta(minutes=30)
    return FeedbackItem.objects.create(
        reference=f"T-{next(_numbers):06d}",
        project=project,
        building=building,
        channel=Channel.HOTLINE,
        kind=Kind.REPAIR,
        category=Category.ENGINEERING,
        title="漏水",
        description="厨房漏水",
        status=Status.SUPERVISOR_CONTACTED,
        registered_at=at,
        contact_due_at=due,
        contacted_at=due - timedelta(minutes=5) if on_time else due + timedelta(minutes=5),
    )


def _items(project: Project, *, met: int, late: int, at: datetime = MONDAY) -> None:
    for n in range(met + late):
        _item(project, at=at + timedelta(minutes=n), on_time=n < met)


def _c_visit(project: Project, building: Building, *, on: date) -> ReturnVisit:
    item = _item(project, at=datetime.combine(on, datetime.min.time(), ZONE), on_time=True, building=building)
    return ReturnVisit.objects.create(
        project=project,
        purpose=Purpose.AD_HOC,
        item=item,
        status=VisitStatus.GRADED,
        grade=Grade.C,
        visited_on=on,
    )


def _contact_rule(world: Any) -> AlertRule:
    return AlertRule.objects.create(
        company=world.company,
        name="项目本周联系主管及时率低于80%",
        metric=AlertMetric.CONTACT_ON_TIME,
        comparison=AlertComparison.BELOW,
        threshold=Decimal(80),
        window=AlertWindow.WEEK,
        minimum_count=5,
    )


def _c_rule(world: Any) -> AlertRule:
    return AlertRule.objects.create(
        company=world.company,
        name="同一楼栋本月出现3次C级回访",
        metric=AlertMetric.C_VISITS_BUILDING,
        comparison=AlertComparison.AT_LEAST,
        threshold=Decimal(3),
        window=AlertWindow.MONTH,
        minimum_count=1,
    )


def _check(capture: Any, now: datetime = WEDNESDAY) -> list[AlertBreach]:
    with capture(execute=True):
        return alerts_check(now=now)


@pytest.fixture
def managers(world: Any, django_user_model: Any) -> dict[str, Any]:
    """pm_a and branch_manager (QD) with addresses, and a branch manager of JN who must hear nothing of A."""
    for name in ("pm_a", "branch_manager"):
        user = world.users[name]
        user.email = f"{name}@aj.invalid"
        user.save(update_fields=["email"])
    jn = django_user_model.objects.create_user(username="bm_jn", password="x", email="bm_jn@aj.invalid")
    Membership.objects.create(
        user=jn,
        role=Role.BRANCH_MANAGER,
        level=ScopeLevel.BRANCH,
        company=world.company,
        branch=world.branch_b,
    )
    return {"pm_a": world.pm_a, "branch_manager": world.branch_manager, "bm_jn": jn}


def _told(user: Any) -> int:
    return Notification.objects.filter(user=user).count()


# --- the contact-on-time rule -------------------------------------------------------------------------------


def test_fb_2_contact_on_time_rule_fires_at_75_percent_with_eight_items(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given 6 of 8 items this week contacted on time in QD-A (75%), and 5 of 5 in QD-B
    rule = _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    _items(world.project_a2, met=5, late=0)
    # when the daily check runs
    found = _check(django_capture_on_commit_callbacks)
    # then QD-A breaches once, at 75.00% of 8 counted, in the week from Monday
    assert [(b.rule_id, b.unit_key, b.value, b.counted, b.window_start) for b in found] == [
        (rule.pk, f"project:{world.project_a.pk}", Decimal("75.00"), 8, date(2026, 11, 9))
    ]
    assert AlertBreach.objects.get().sent_at == WEDNESDAY


def test_fb_2_contact_on_time_rule_does_not_fire_at_exactly_80_percent(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=4, late=1)  # 80.00% of 5: not below 80
    assert _check(django_capture_on_commit_callbacks) == []
    assert AlertBreach.objects.count() == 0


def test_fb_2_contact_on_time_rule_needs_the_minimum_count(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=3, late=1)  # 75% but only 4 decided
    assert _check(django_capture_on_commit_callbacks) == []


def test_fb_2_items_of_last_week_do_not_count_this_week(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=0, late=6, at=MONDAY - timedelta(hours=10))  # Sunday evening
    assert _check(django_capture_on_commit_callbacks) == []


# --- C visits by building -----------------------------------------------------------------------------------


def test_rv_three_c_visits_in_one_building_this_month_fire(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    rule = _c_rule(world)
    building = Building.objects.get(project=world.project_a, code="1")
    for day in (2, 5, 10):
        _c_visit(world.project_a, building, on=date(2026, 11, day))
    found = _check(django_capture_on_commit_callbacks)
    assert [(b.rule_id, b.unit_key, b.building_id, b.project_id, b.value, b.window_start) for b in found] == [
        (rule.pk, f"building:{building.pk}", building.pk, world.project_a.pk, Decimal(3), date(2026, 11, 1))
    ]


def test_rv_three_c_visits_over_two_buildings_do_not_fire(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _c_rule(world)
    one = Building.objects.get(project=world.project_a, code="1")
    garden = Building.objects.get(project=world.project_a, code="G1")
    _c_visit(world.project_a, one, on=date(2026, 11, 2))
    _c_visit(world.project_a, one, on=date(2026, 11, 3))
    _c_visit(world.project_a, garden, on=date(2026, 11, 4))
    _c_visit(world.project_a, one, on=date(2026, 10, 30))  # last month
    assert _check(django_capture_on_commit_callbacks) == []


# --- once per breach ----------------------------------------------------------------------------------------


def test_checking_twice_sends_once(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given a breach found and sent by the morning's check
    _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    assert len(_check(django_capture_on_commit_callbacks)) == 1
    # when the check runs again the same day and the next
    again = _check(django_capture_on_commit_callbacks, WEDNESDAY + timedelta(hours=2))
    later = _check(django_capture_on_commit_callbacks, WEDNESDAY + timedelta(days=1))
    # then nothing new is found and nobody is told twice
    assert (again, later) == ([], [])
    assert AlertBreach.objects.count() == 1
    assert (_told(managers["pm_a"]), _told(managers["branch_manager"])) == (1, 1)
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        "branch_manager@aj.invalid",
        "pm_a@aj.invalid",
    ]


def test_a_breach_claimed_by_another_worker_is_not_sent_again(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from estatedesk.analytics.alerts import alert_breaches_send

    _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    _check(django_capture_on_commit_callbacks)
    # a second worker's late send finds the breach claimed
    assert alert_breaches_send(now=WEDNESDAY) == 0
    assert _told(managers["pm_a"]) == 1


def test_next_week_is_a_new_breach(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    _check(django_capture_on_commit_callbacks)
    # the next week, QD-A is late again
    next_monday = MONDAY + timedelta(days=7)
    _items(world.project_a, met=1, late=4, at=next_monday)
    found = _check(django_capture_on_commit_callbacks, next_monday + timedelta(hours=5))
    assert [(b.window_start, b.value, b.counted) for b in found] == [
        (date(2026, 11, 16), Decimal("20.00"), 5)
    ]
    assert _told(managers["pm_a"]) == 2


def test_the_branch_manager_of_another_branch_is_not_told(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    _check(django_capture_on_commit_callbacks)
    assert (_told(managers["pm_a"]), _told(managers["branch_manager"]), _told(managers["bm_jn"])) == (1, 1, 0)
    assert (_told(world.outsider), _told(world.hq), _told(world.supervisor_a)) == (0, 0, 0)


def test_an_inactive_rule_is_not_checked(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    rule = _contact_rule(world)
    rule.is_active = False
    rule.save()
    _items(world.project_a, met=0, late=6)
    assert _check(django_capture_on_commit_callbacks) == []


def test_overdue_and_major_rules_count_per_project(
    world: Any, managers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    AlertRule.objects.create(
        company=world.company,
        name="overdue",
        metric=AlertMetric.OVERDUE_ITEMS,
        comparison=AlertComparison.AT_LEAST,
        threshold=Decimal(2),
        window=AlertWindow.WEEK,
    )
    # two open items of QD-A whose contact is past due and not done, one in QD-B
    for project in (world.project_a, world.project_a, world.project_a2):
        item = _item(project, at=MONDAY, on_time=True)
        FeedbackItem.objects.filter(pk=item.pk).update(contacted_at=None, status=Status.REGISTERED)
    found = _check(django_capture_on_commit_callbacks)
    assert [(b.unit_key, b.value) for b in found] == [(f"project:{world.project_a.pk}", Decimal(2))]


# --- the seeded rules ---------------------------------------------------------------------------------------


def test_the_default_rules_are_seeded_once(world: Any) -> None:
    made = alert_rules_seed(company=world.company)
    assert [(r.metric, r.comparison, r.threshold, r.window, r.minimum_count) for r in made] == [
        (AlertMetric.CONTACT_ON_TIME, AlertComparison.BELOW, Decimal(80), AlertWindow.WEEK, 5),
        (AlertMetric.C_VISITS_BUILDING, AlertComparison.AT_LEAST, Decimal(3), AlertWindow.MONTH, 1),
        (AlertMetric.RESOLUTION_ON_TIME, AlertComparison.BELOW, Decimal(80), AlertWindow.MONTH, 10),
    ]
    assert alert_rules_seed(company=world.company) == []


# --- pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["branch_manager", "pm_a", "supervisor_a", "outsider", "agent_a"])
def test_rules_page_is_403_for_those_who_do_not_manage_alerts(world: Any, login: Any, persona: str) -> None:
    client = login(world.users[persona])
    assert client.get(reverse("analytics:alert_rules")).status_code == 403
    assert client.post(reverse("analytics:alert_rules"), {"name": "x"}).status_code == 403


def test_hq_adds_and_edits_a_rule(world: Any, login: Any) -> None:
    client = login(world.hq)
    assert client.get(reverse("analytics:alert_rules")).status_code == 200
    data = {
        "name": "本月重大事件",
        "metric": AlertMetric.MAJOR_INCIDENTS,
        "comparison": AlertComparison.AT_LEAST,
        "threshold": "1",
        "window": AlertWindow.MONTH,
        "minimum_count": "1",
        "is_active": "on",
    }
    response = client.post(reverse("analytics:alert_rules"), data)
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.name, rule.company_id, rule.threshold) == ("本月重大事件", world.company.pk, Decimal(1))
    response = client.post(reverse("analytics:alert_rule_edit", args=[rule.pk]), {**data, "threshold": "2"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == Decimal(2)


def test_a_rate_threshold_above_100_is_refused_in_words(world: Any, login: Any) -> None:
    client = login(world.hq)
    response = client.post(
        reverse("analytics:alert_rules"),
        {
            "name": "x",
            "metric": AlertMetric.CONTACT_ON_TIME,
            "comparison": AlertComparison.BELOW,
            "threshold": "120",
            "window": AlertWindow.WEEK,
            "minimum_count": "5",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "A rate&#x27;s threshold is a percentage from 0 to 100." in response.content.decode()
    assert AlertRule.objects.count() == 0


def test_outsider_cannot_see_another_projects_alert(
    world: Any, managers: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _contact_rule(world)
    _items(world.project_a, met=6, late=2)
    (breach,) = _check(django_capture_on_commit_callbacks)
    mine = login(world.pm_a).get(reverse("analytics:alert_list"))
    assert mine.status_code == 200
    assert f'data-breach="{breach.pk}"' in mine.content.decode()
    theirs = login(world.outsider).get(reverse("analytics:alert_list"))
    assert theirs.status_code == 200
    assert f'data-breach="{breach.pk}"' not in theirs.content.decode()
    assert login(world.owner_a).get(reverse("analytics:alert_list")).status_code == 403


def test_alert_list_queries_do_not_grow(
    world: Any,
    managers: dict[str, Any],
    login: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    _contact_rule(world)
    _c_rule(world)
    _items(world.project_a, met=6, late=2)
    _items(world.project_a2, met=0, late=5)
    building = Building.objects.get(project=world.project_a, code="1")
    for day in (2, 5, 10):
        _c_visit(world.project_a, building, on=date(2026, 11, day))
    assert len(_check(django_capture_on_commit_callbacks)) == 3
    client = login(world.hq)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("analytics:alert_list")).status_code == 200
