"""Nonconformity figures against values computed by hand (issue 12, item 8)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from estatedesk.org.models import Building
from estatedesk.quality.choices import ActionKind, CauseCategory, Origin, Stage
from estatedesk.quality.figures import nonconformity_figures
from estatedesk.quality.models import Nonconformity, NonconformityAction

NOW = timezone.now()
_numbers = count(1)


def make(world, *, stage=Stage.DRAFT, raised_days_ago=1.0, open_days=None, reopen=0, project=None, **extra):
    raised_at = NOW - timedelta(days=raised_days_ago)
    return Nonconformity.objects.create(
        project=project or world.project_a,
        reference=f"NC-T-{next(_numbers)}",
        title="t",
        description="d",
        origin=Origin.MANUAL,
        stage=stage,
        raised_at=raised_at,
        closed_at=raised_at + timedelta(days=open_days) if open_days is not None else None,
        reopen_count=reopen,
        **extra,
    )


def test_figures_days_to_close_reopen_rate_open_stages_and_overdue_actions(world):
    # given six closed in project A, open in 1, 2, 3, 4.5, 10 and 20 days (two of them reopened once)
    for days, reopen in ((1, 0), (2, 1), (3, 0), (4.5, 0), (10, 1), (20, 0)):
        make(world, stage=Stage.CLOSED, raised_days_ago=40, open_days=days, reopen=reopen)
    # a draft, and one reopened back in progress with an overdue, an open and a done action
    make(world, stage=Stage.DRAFT)
    working = make(world, stage=Stage.IN_PROGRESS, reopen=1)
    today = timezone.localdate(NOW)
    for due, done in ((today - timedelta(days=1), None), (today + timedelta(days=1), None), (today, NOW)):
        NonconformityAction.objects.create(
            nonconformity=working,
            kind=ActionKind.CORRECTIVE,
            description="a",
            owner=world.pm_a,
            due_on=due,
            done_at=done,
        )
    # and another branch's closed one, outside pm_a's scope
    make(world, stage=Stage.CLOSED, raised_days_ago=40, open_days=100, reopen=1, project=world.project_b)
    # when pm_a reads the figures
    figures = nonconformity_figures(user=world.pm_a, now=NOW)
    # then, by hand: sorted 1, 2, 3, 4.5, 10, 20 → median (3 + 4.5) / 2 = 3.75 → 3.8; P90 the ⌈5.4⌉ = 6th → 20
    assert (figures.closed, figures.days_to_close_median, figures.days_to_close_p90) == (
        6,
        Decimal("3.8"),
        Decimal("20.0"),
    )
    # reopened 3 (two closed, one in progress) of 7 ever closed or reopened: 42.857… → 42.86 %
    assert (figures.reopened, figures.ever_closed, figures.reopen_rate) == (3, 7, Decimal("42.86"))
    assert figures.open_by_stage == {
        "draft": 1,
        "analysis": 0,
        "action_plan": 0,
        "in_progress": 1,
        "verification": 0,
    }
    assert (figures.open_total, figures.overdue_actions, figures.open_actions) == (2, 1, 2)
    assert figures.raised == 8


def test_figures_median_of_an_odd_count_and_none_without_data(world):
    for days in (5, 1, 3):
        make(world, stage=Stage.CLOSED, raised_days_ago=10, open_days=days)
    figures = nonconformity_figures(user=world.pm_a, now=NOW)
    # sorted 1, 3, 5: median the 2nd = 3; P90 the ⌈2.7⌉ = 3rd = 5
    assert (figures.days_to_close_median, figures.days_to_close_p90) == (Decimal("3.0"), Decimal("5.0"))
    empty = nonconformity_figures(user=world.outsider, now=NOW)
    assert (empty.closed, empty.days_to_close_median, empty.reopen_rate) == (0, None, None)


def test_figures_recurrence_same_cause_and_area_within_90_days(world):
    garden = Building.objects.get(project=world.project_a, code="G1")
    building = Building.objects.get(project=world.project_a, code="1")
    equipment = CauseCategory.EQUIPMENT
    # given equipment at the garden 200, 100, 50 and 10 days ago: 100 → 50 and 50 → 10 are within 90 days
    for days in (200, 100, 50, 10):
        make(world, raised_days_ago=days, cause_category=equipment, area=garden)
    # not recurrences: another cause at the garden, the same cause elsewhere, a cancelled one and what
    # follows it
    make(world, raised_days_ago=5, cause_category=CauseCategory.PEOPLE, area=garden)
    make(world, raised_days_ago=5, cause_category=equipment, area=building)
    make(
        world, stage=Stage.CANCELLED, raised_days_ago=400, cause_category=CauseCategory.MATERIAL, area=garden
    )
    make(world, raised_days_ago=380, cause_category=CauseCategory.MATERIAL, area=garden)
    # when
    figures = nonconformity_figures(user=world.pm_a, now=NOW)
    # then 2 recurrences, both of equipment at the garden
    assert figures.recurrences == 2
    assert [(g.cause_category, g.area, g.count) for g in figures.recurrence_groups] == [
        ("equipment", "中心花园", 2)
    ]
    # a period counts what was raised in it: the last 30 days hold the one 10 days ago
    recent = nonconformity_figures(user=world.pm_a, start=NOW - timedelta(days=30), now=NOW)
    assert (recent.recurrences, recent.raised) == (1, 3)
