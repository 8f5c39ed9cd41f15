"""figures.campaign_figures and figures_snapshot (R-SV-3, R-SV-4) on campaigns made with the ORM.

The builders here (`make_campaign`, `add_forms`, `hand_out`) are shared by the other analysis tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from estatedesk.org.models import Building
from estatedesk.surveys.choices import CampaignStatus, FormKind, Frequency, Runner
from estatedesk.surveys.figures import campaign_figures, figures_snapshot, previous_campaign
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignItem,
    Questionnaire,
    SurveyAnswer,
    SurveyForm,
    SurveyItem,
)
from estatedesk.surveys.rates import Counts

ITEMS = [
    ("customer_service", "客户服务", "Customer service", "customer_service"),
    ("engineering", "工程维修", "Engineering repairs", "engineering"),
    ("order", "秩序维护", "Order and security", "order"),
    ("cleaning", "保洁卫生", "Cleaning", "cleaning"),
]


@dataclass
class Built:
    campaign: Campaign
    items: list[CampaignItem]
    areas: list[CampaignArea]


def make_campaign(
    world: Any,
    *,
    reference: str = "SV-QD-A-202611-01",
    period: tuple[date, date] = (date(2026, 11, 1), date(2026, 11, 30)),
    status: str = CampaignStatus.RUNNING,
    runner: str = Runner.CUSTOMER_SERVICE,
    items: list[tuple[str, str, str, str]] | None = None,
    area_names: list[str] | None = None,
    project: Any = None,
) -> Built:
    """A campaign of project A (or `project`) over its areas (1号楼, 中心花园 by default) with the items."""
    project = project or world.project_a
    company = project.branch.company
    questionnaire, _created = Questionnaire.objects.get_or_create(
        company=company,
        name="物业服务质量意见征询表",
        defaults={"greeting": "尊敬的业主", "greeting_en": "Dear owner"},
    )
    campaign = Campaign.objects.create(
        reference=reference,
        project=project,
        runner=runner,
        questionnaire=questionnaire,
        kind=FormKind.FEEDBACK_FORM,
        title=f"{period[0]:%Y年%m月}满意度调查",
        greeting="尊敬的业主",
        greeting_en="Dear owner",
        frequency=Frequency.MONTHLY,
        period_start=period[0],
        period_end=period[1],
        status=status,
    )
    made_items = []
    for position, (code, name, name_en, department_kind) in enumerate(items or ITEMS, start=1):
        survey_item, _created = SurveyItem.objects.get_or_create(
            company=company,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "department_kind": department_kind,
                "position": position,
            },
        )
        made_items.append(
            CampaignItem.objects.create(
                campaign=campaign,
                item=survey_item,
                position=position,
                label=name,
                label_en=name_en,
                department_kind=department_kind,
            )
        )
    names = area_names or ["1号楼", "中心花园"]
    made_areas = [
        CampaignArea.objects.create(
            campaign=campaign, area=Building.objects.get(project=project, name=name), position=position
        )
        for position, name in enumerate(names, start=1)
    ]
    return Built(campaign, made_items, made_areas)


def add_area(built: Built, *, code: str, name: str) -> CampaignArea:
    building = Building.objects.create(project=built.campaign.project, code=code, name=name, kind="building")
    area = CampaignArea.objects.create(campaign=built.campaign, area=building, position=len(built.areas) + 1)
    built.areas.append(area)
    return area


def _new_forms(built: Built, area: CampaignArea, count: int, *, returned: bool) -> list[SurveyForm]:
    campaign = built.campaign
    now = timezone.now()
    start = campaign.last_serial
    forms = SurveyForm.objects.bulk_create(
        SurveyForm(
            campaign=campaign,
            area=area,
            serial=start + offset,
            token=f"{campaign.reference}-{start + offset}",
            handed_out_at=now,
            returned_at=now if returned else None,
            channel="paper" if returned else "",
        )
        for offset in range(1, count + 1)
    )
    campaign.last_serial = start + count
    campaign.save(update_fields=["last_serial"])
    return forms


def add_forms(built: Built, area: CampaignArea, ratings: dict[int, list[int]]) -> list[SurveyForm]:
    """Returned forms of `area`: {item index: [the rating on each form]}; as many forms as the longest
    list (a form without a rating for an item in a shorter list has no answer to it)."""
    count = max((len(values) for values in ratings.values()), default=0)
    forms = _new_forms(built, area, count, returned=True)
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(form=forms[n], item=built.items[index], rating=rating)
        for index, values in ratings.items()
        for n, rating in enumerate(values)
    )
    return forms


def hand_out(built: Built, area: CampaignArea, count: int) -> list[SurveyForm]:
    """Forms of `area` handed out and not (yet) returned."""
    return _new_forms(built, area, count, returned=False)


def ratings(*, very: int = 0, satisfied: int = 0, fairly: int = 0, unsatisfied: int = 0, unrated: int = 0):
    return [1] * very + [2] * satisfied + [3] * fairly + [4] * unsatisfied + [0] * unrated


def hand_computed(world: Any) -> Built:
    """The campaign the analysis tests compute by hand.

    1号楼 (10 forms returned of 10 handed out) and 中心花园 (2 returned of 4):
                  1号楼                          中心花园                    item overall
    客户服务      9 satisfied, 1 unsatisfied     1 satisfied, 1 unsatisfied  10/12 = 83.33 (not 70.00)
    工程维修      4 very, 1 fairly, 5 unsat.     2 unsatisfied               5/12 = 41.67
    秩序维护      8 satisfied, 2 unrated         2 unrated                   8/8 = 100.00, 4 unrated
    保洁卫生      10 unrated                     2 unrated                   — (nobody rated)
    area overall  22/28 = 78.57, 12 unrated      1/4 = 25.00, 4 unrated      23/32 = 71.88, 16 unrated
    Unsatisfied answers: 工程维修 7, 客户服务 2 → Pareto 7 (77.78%), 2 (22.22%, cumulative 100%).
    """
    built = make_campaign(world)
    building, garden = built.areas
    add_forms(
        built,
        building,
        {
            0: ratings(satisfied=9, unsatisfied=1),
            1: ratings(very=4, fairly=1, unsatisfied=5),
            2: ratings(satisfied=8, unrated=2),
            3: ratings(unrated=10),
        },
    )
    add_forms(
        built,
        garden,
        {
            0: ratings(satisfied=1, unsatisfied=1),
            1: ratings(unsatisfied=2),
            2: ratings(unrated=2),
            3: ratings(unrated=2),
        },
    )
    hand_out(built, garden, 2)
    return built


# --- the survey table ---------------------------------------------------------------------------------------


def test_sv_4_items_pool_their_areas_and_leave_unrated_out(world):
    built = hand_computed(world)
    figures = campaign_figures(built.campaign)
    service, engineering, order, cleaning = figures.items
    assert service.total.counts == Counts(satisfied=10, unsatisfied=2)
    assert service.total.percent == Decimal("83.33")  # pooled 10/12, not the mean of 90 and 50 (70.00)
    assert [cell.percent for cell in service.cells] == [Decimal("90.00"), Decimal("50.00")]
    assert engineering.total.percent == Decimal("41.67")
    assert order.total.percent == Decimal("100.00")
    assert (order.total.rated, order.total.unrated) == (8, 4)
    assert [cell.text for cell in order.cells] == ["100.00%", "—"]  # 中心花园: only 未表态


def test_sv_4_nobody_rated_is_undefined_not_zero(world):
    built = hand_computed(world)
    cleaning = campaign_figures(built.campaign).items[3]
    assert cleaning.total.rate is None
    assert cleaning.total.percent is None
    assert cleaning.total.text == "—"
    assert (cleaning.total.rated, cleaning.total.unrated) == (0, 12)
    assert cleaning.total.is_small is False  # no caution without a rate


def test_sv_4_areas_and_overall_pool_the_counts(world):
    built = hand_computed(world)
    figures = campaign_figures(built.campaign)
    building, garden = figures.areas
    assert building.total.counts == Counts(
        very_satisfied=4, satisfied=17, fairly_satisfied=1, unsatisfied=6, unrated=12
    )
    assert building.total.percent == Decimal("78.57")  # 22/28
    assert garden.total.percent == Decimal("25.00")  # 1/4
    assert figures.overall.counts.rated == 32
    assert figures.overall.counts.unrated == 16
    assert figures.overall.percent == Decimal("71.88")  # 23/32
    # a mean of the item rates (83.33, 41.67, 100) or of the area rates (78.57, 25) would differ
    assert figures.overall.percent != Decimal("75.00")
    assert figures.overall.percent != Decimal("51.79")


def test_sv_4_caution_below_the_small_sample_size(world):
    built = hand_computed(world)
    figures = campaign_figures(built.campaign)
    assert figures.small_sample_below == 30
    assert figures.items[0].total.is_small is True  # 12 rated
    assert figures.areas[0].total.is_small is True  # 28 rated
    assert figures.overall.is_small is False  # 32 rated


def test_sv_2_returns_per_area_and_in_all(world):
    built = hand_computed(world)
    figures = campaign_figures(built.campaign)
    building, garden = (area.returns for area in figures.areas)
    assert (building.handed_out, building.returned, building.percent, building.passes) == (
        10,
        10,
        Decimal("100.00"),
        True,
    )
    assert (garden.handed_out, garden.returned, garden.percent, garden.passes) == (
        4,
        2,
        Decimal("50.00"),
        False,
    )
    assert (figures.handed_out, figures.returned) == (14, 12)


def test_sv_4_forms_not_returned_do_not_count(world):
    built = make_campaign(world)
    forms = add_forms(built, built.areas[0], {0: ratings(satisfied=1, unsatisfied=1)})
    SurveyForm.objects.filter(pk=forms[1].pk).update(returned_at=None)
    figures = campaign_figures(built.campaign)
    assert figures.items[0].total.counts == Counts(satisfied=1)


# --- R-SV-3: Pareto -----------------------------------------------------------------------------------------


def test_sv_3_pareto_of_unsatisfied_answers_by_item(world):
    built = hand_computed(world)
    figures = campaign_figures(built.campaign)
    assert [(row.label, row.count) for row in figures.pareto] == [("工程维修", 7), ("客户服务", 2)]
    snapshot = figures_snapshot(figures)
    assert snapshot["pareto"] == [
        {
            "item": built.items[1].pk,
            "label": "工程维修",
            "count": 7,
            "share": "77.78",
            "cumulative": "77.78",
            "vital": True,
        },
        {
            "item": built.items[0].pk,
            "label": "客户服务",
            "count": 2,
            "share": "22.22",
            "cumulative": "100.00",
            "vital": True,
        },
    ]


# --- the comparison with the previous campaign --------------------------------------------------------------


def _previous(world: Any, **extra: Any) -> Built:
    values = {
        "reference": "SV-QD-A-202610-01",
        "period": (date(2026, 10, 1), date(2026, 10, 31)),
        "status": CampaignStatus.CLOSED,
        **extra,
    }
    return make_campaign(world, **values)


def test_sv_3_compares_with_the_latest_closed_campaign_of_the_same_runner(world):
    # given an older closed one, the latest closed one, a later-cancelled one and another runner's
    older = _previous(world, reference="SV-QD-A-202609-01", period=(date(2026, 9, 1), date(2026, 9, 30)))
    latest = _previous(world)
    _previous(
        world,
        reference="SV-QD-A-202610-02",
        status=CampaignStatus.CANCELLED,
        period=(date(2026, 10, 15), date(2026, 10, 31)),
    )
    _previous(
        world,
        reference="SV-QD-A-202610-03",
        runner=Runner.QUALITY,
        period=(date(2026, 10, 20), date(2026, 10, 31)),
    )
    later = make_campaign(
        world,
        reference="SV-QD-A-202612-01",
        period=(date(2026, 12, 1), date(2026, 12, 31)),
        status=CampaignStatus.CLOSED,
    )
    current = hand_computed(world)
    # then
    assert previous_campaign(current.campaign) == latest.campaign
    assert previous_campaign(latest.campaign) == older.campaign
    assert previous_campaign(older.campaign) is None
    # a running campaign in between is not comparable yet
    assert previous_campaign(later.campaign) == latest.campaign


def test_sv_3_comparison_per_item_and_overall_in_percentage_points(world):
    before = _previous(world, items=ITEMS[:3])  # 保洁卫生 was not asked then
    add_forms(
        before,
        before.areas[0],
        {
            0: ratings(satisfied=3, unsatisfied=1),  # 75.00 → now 83.33: +8.33
            1: ratings(very=1, unsatisfied=1),  # 50.00 → now 41.67: -8.33
            2: ratings(unrated=2),  # — → now 100.00: no change to show
        },
    )
    current = hand_computed(world)
    figures = campaign_figures(current.campaign)
    assert figures.previous is not None
    assert figures.previous.reference == "SV-QD-A-202610-01"
    changes = [
        (row.label, row.then.text if row.then else None, row.now.text, row.points)
        for row in figures.comparison
    ]
    assert changes == [
        ("客户服务", "75.00%", "83.33%", Decimal("8.33")),
        ("工程维修", "50.00%", "41.67%", Decimal("-8.33")),
        ("秩序维护", "—", "100.00%", None),
        ("保洁卫生", None, "—", None),
    ]
    overall = figures.overall_comparison
    assert overall is not None
    assert overall.then is not None
    assert (overall.then.text, overall.now.text, overall.points) == ("66.67%", "71.88%", Decimal("5.21"))
    snapshot = figures_snapshot(figures)["comparison"]
    assert snapshot["previous"]["reference"] == "SV-QD-A-202610-01"
    assert [row["change_points"] for row in snapshot["items"]] == ["8.33", "-8.33", None, None]
    assert snapshot["items"][3]["then"] is None
    assert snapshot["overall"]["then"]["rate"] == "66.67"
    assert snapshot["overall"]["now"]["rate"] == "71.88"
    assert snapshot["overall"]["change_points"] == "5.21"


def test_sv_3_no_previous_campaign_no_comparison(world):
    figures = campaign_figures(hand_computed(world).campaign)
    assert figures.previous is None
    assert figures.comparison == []
    assert figures.overall_comparison is None
    assert figures_snapshot(figures)["comparison"] == {"previous": None, "items": [], "overall": None}


# --- the snapshot -------------------------------------------------------------------------------------------


def test_sv_4_snapshot_has_rates_as_strings_counts_beside_and_null_when_undefined(world):
    built = hand_computed(world)
    snapshot = figures_snapshot(campaign_figures(built.campaign))
    json.dumps(snapshot)  # JSON-able as it is
    assert snapshot["campaign"]["reference"] == "SV-QD-A-202611-01"
    assert snapshot["rules"] == {"return_rate_threshold": "90.00", "small_sample_below": 30}
    assert snapshot["overall"] == {
        "rate": "71.88",
        "counts": {
            "very_satisfied": 4,
            "satisfied": 18,
            "fairly_satisfied": 1,
            "unsatisfied": 9,
            "unrated": 16,
            "rated": 32,
        },
        "caution": False,
    }
    by_label = {row["label"]: row for row in snapshot["items"]}
    assert by_label["客户服务"]["rate"] == "83.33"
    assert by_label["客户服务"]["caution"] is True
    assert by_label["保洁卫生"]["rate"] is None
    assert by_label["保洁卫生"]["counts"]["unrated"] == 12
    garden = snapshot["areas"][1]
    assert (
        garden["name"],
        garden["rate"],
        garden["handed_out"],
        garden["returned"],
        garden["return_rate"],
        garden["passes"],
    ) == (
        "中心花园",
        "25.00",
        4,
        2,
        "50.00",
        False,
    )
    cell = next(
        c for c in snapshot["cells"] if c["item"] == built.items[2].pk and c["area"] == built.areas[1].pk
    )
    assert (cell["rate"], cell["counts"]["unrated"], cell["caution"]) == (None, 2, False)
    assert len(snapshot["cells"]) == 8
    assert snapshot["returns"] == {"handed_out": 14, "returned": 12, "rate": "85.71"}


def test_sv_4_an_empty_campaign_has_undefined_rates(world):
    built = make_campaign(world)
    snapshot = figures_snapshot(campaign_figures(built.campaign))
    assert snapshot["overall"]["rate"] is None
    assert snapshot["returns"]["rate"] is None
    assert snapshot["pareto"] == []
    assert all(row["rate"] is None for row in snapshot["items"])


# --- bounded queries ----------------------------------------------------------------------------------------


def _count(campaign: Campaign) -> int:
    campaign_figures(campaign)  # warm up: the company's survey rules are made on first use
    fresh = Campaign.objects.select_related("project__branch").get(pk=campaign.pk)
    with CaptureQueriesContext(connection) as captured:
        campaign_figures(fresh)
    return len(captured)


def test_figures_queries_do_not_grow_with_areas_and_forms(world):
    _previous(world)
    built = hand_computed(world)
    few = _count(built.campaign)
    # when areas, forms and answers are added
    for n in range(5):
        area = add_area(built, code=f"X{n}", name=f"{n + 2}号楼")
        add_forms(
            built, area, {0: ratings(satisfied=3, unsatisfied=2), 1: ratings(unrated=5), 3: ratings(very=5)}
        )
        hand_out(built, area, 3)
    many = _count(built.campaign)
    # then the number of queries is the same, and small
    assert many == few
    assert many <= 7
    assert len(campaign_figures(built.campaign).areas) == 7
