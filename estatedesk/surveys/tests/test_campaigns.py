"""Survey campaigns, the services (R-SV-1, R-SV-2): made from a questionnaire with the labels frozen, the
numbered forms per area, the return-rate flag at 89.99%, 90.00% and 90.01%, the gate on closing with and
without a waiver, and the schedules that open each period's campaign once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Building, Company, Department
from estatedesk.surveys import campaigns, catalogue, checks, figures
from estatedesk.surveys.campaigns import CampaignData, ScheduleData
from estatedesk.surveys.choices import CampaignStatus, Frequency, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    Questionnaire,
    QuestionnaireItem,
    SurveyForm,
    SurveyItem,
    SurveyRules,
    SurveySchedule,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):  # the refusals' messages are compared word for word
        yield


# --- helpers shared by the campaign tests (imported by test_campaigns_views/api.py and test_forms_pdf.py) ---


def questionnaire_of(company: Company) -> Questionnaire:
    catalogue.catalogue_ensure(company=company)
    return Questionnaire.objects.get(company=company, name=catalogue.FORM_NAME)


def make_campaign(world: Any, *, actor: Any = None, open_it: bool = False, **extra: Any) -> Campaign:
    """A November 2026 campaign of project A's areas (1号楼 and 中心花园) by its CS supervisor."""
    values: dict[str, Any] = {
        "project": world.project_a,
        "runner": Runner.CUSTOMER_SERVICE,
        "questionnaire": questionnaire_of(world.company),
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 11, 30),
        "frequency": Frequency.MONTHLY,
        **extra,
    }
    campaign = campaigns.campaign_create(actor=actor or world.supervisor_a, data=CampaignData(**values))
    if open_it:
        campaigns.campaign_open(actor=actor or world.supervisor_a, campaign=campaign)
        campaign.refresh_from_db()
    return campaign


def area_named(campaign: Campaign, name: str) -> CampaignArea:
    return CampaignArea.objects.select_related("area", "campaign__project").get(
        campaign=campaign, area__name=name
    )


def set_returns(area: CampaignArea, *, handed_out: int, returned: int) -> None:
    """Give the area `handed_out` forms handed out, `returned` of them back (bulk, for big counts)."""
    campaign = Campaign.objects.get(pk=area.campaign_id)
    now = timezone.now()
    first = campaign.last_serial + 1
    SurveyForm.objects.bulk_create(
        [
            SurveyForm(
                campaign=campaign,
                area=area,
                serial=first + index,
                token=f"t{area.pk}-{first + index}",
                handed_out_at=now,
                returned_at=now if index < returned else None,
            )
            for index in range(handed_out)
        ],
        batch_size=2000,
    )
    Campaign.objects.filter(pk=campaign.pk).update(last_serial=first + handed_out - 1)


# --- R-SV-1: a campaign from a questionnaire ----------------------------------------------------------------


def test_sv_1_campaign_is_made_from_the_questionnaire_with_frozen_labels(world: Any) -> None:
    # given the seeded catalogue
    questionnaire = questionnaire_of(world.company)
    # when the CS supervisor makes a campaign with no areas chosen
    campaign = make_campaign(world)
    # then it is a draft of every area, its items copied from the questionnaire in order
    assert campaign.reference == "SV-QD-A-202611-01"
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.greeting == catalogue.GREETING
    assert campaign.greeting_en == catalogue.GREETING_EN
    assert campaign.title == "物业服务质量意见征询表 2026-11"
    labels = list(campaign.items.order_by("position").values_list("position", "label", "label_en"))
    assert labels[:2] == [(1, "客户服务", "Customer service"), (2, "工程维修", "Engineering repairs")]
    assert len(labels) == questionnaire.entries.count() == 8
    assert list(campaign.areas.order_by("position").values_list("area__name", flat=True)) == [
        "1号楼",
        "中心花园",
    ]
    # and when HQ renames an item and drops another from the questionnaire, the campaign keeps its copy
    SurveyItem.objects.filter(company=world.company, code="customer-service").update(name="客服")
    QuestionnaireItem.objects.filter(questionnaire=questionnaire, item__code="fees").delete()
    assert campaign.items.get(position=1).label == "客户服务"
    assert campaign.items.count() == 8
    assert AuditEntry.objects.filter(object_type="surveys.campaign", object_id=str(campaign.pk)).exists()


def test_sv_1_campaign_of_chosen_areas_and_the_next_reference_of_the_month(world: Any) -> None:
    make_campaign(world)
    garden = Building.objects.get(project=world.project_a, name="中心花园")
    second = make_campaign(world, areas=[garden], runner=Runner.QUALITY)
    assert second.reference == "SV-QD-A-202611-02"
    assert list(second.areas.values_list("area__name", flat=True)) == ["中心花园"]


def test_sv_1_inactive_items_are_not_asked(world: Any) -> None:
    questionnaire_of(world.company)
    SurveyItem.objects.filter(company=world.company, code="fees").update(is_active=False)
    campaign = make_campaign(world)
    assert "收费管理" not in list(campaign.items.values_list("label", flat=True))
    assert campaign.items.count() == 7


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period_end": date(2026, 10, 31)}, "period_end"),
        ({"runner": "marketing"}, "runner"),
        ({"double_entry_percent": 101}, "double_entry_percent"),
    ],
)
def test_campaign_create_refuses_bad_input(world: Any, change: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        make_campaign(world, **change)
    assert refused.value.code == "surveys.invalid"
    assert list(refused.value.fields) == [field]
    assert not Campaign.objects.exists()


def test_campaign_create_refuses_areas_of_another_project(world: Any) -> None:
    elsewhere = Building.objects.get(project=world.project_b)
    with pytest.raises(DomainError) as refused:
        make_campaign(world, areas=[elsewhere])
    assert list(refused.value.fields) == ["areas"]


def test_campaign_create_refuses_a_questionnaire_of_another_company_or_without_items(world: Any) -> None:
    other = Company.objects.create(code="ZZ", name="别家物业")
    foreign = questionnaire_of(other)
    with pytest.raises(DomainError) as refused:
        make_campaign(world, questionnaire=foreign)
    assert list(refused.value.fields) == ["questionnaire"]
    empty = Questionnaire.objects.create(
        company=world.company, name="空表", greeting="您好", greeting_en="Hello"
    )
    with pytest.raises(DomainError) as refused:
        make_campaign(world, questionnaire=empty)
    assert refused.value.fields == {"questionnaire": ["This questionnaire has no items."]}


def test_campaign_create_takes_a_department_of_the_project_branch_or_company_only(world: Any) -> None:
    own = Department.objects.get(project=world.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    branch = Department.objects.create(
        company=world.company, branch=world.branch_a, kind=DepartmentKind.QUALITY, name="青岛品质部"
    )
    hq = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    for department in (own, branch, hq):
        assert make_campaign(world, department=department).department == department
    other_branch = Department.objects.create(
        company=world.company, branch=world.branch_b, kind=DepartmentKind.QUALITY, name="济南品质部"
    )
    other_project = Department.objects.get(project=world.project_b, kind=DepartmentKind.CUSTOMER_SERVICE)
    for department in (other_branch, other_project):
        with pytest.raises(DomainError) as refused:
            make_campaign(world, department=department)
        assert list(refused.value.fields) == ["department"]


@pytest.mark.parametrize("persona", ["agent_a", "outsider", "owner_a", "nobody"])
def test_campaign_create_needs_surveys_run_at_the_project(world: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        make_campaign(world, actor=world.users[persona])
    assert not Campaign.objects.exists()


def test_campaign_open_from_draft_only(world: Any) -> None:
    campaign = make_campaign(world)
    campaigns.campaign_open(actor=world.supervisor_a, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert campaign.opened_at is not None
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_open(actor=world.supervisor_a, campaign=campaign)
    assert refused.value.code == "surveys.status"


# --- forms: serials, tokens, handing out --------------------------------------------------------------------


def test_forms_make_numbers_forms_once_across_areas(world: Any) -> None:
    campaign = make_campaign(world)
    building, garden = area_named(campaign, "1号楼"), area_named(campaign, "中心花园")
    first = campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=building, count=3)
    second = campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=garden, count=2)
    assert [f.serial for f in first] == [1, 2, 3]
    assert [f.serial for f in second] == [4, 5]
    assert {f.area_id for f in second} == {garden.pk}
    tokens = set(SurveyForm.objects.values_list("token", flat=True))
    assert len(tokens) == 5
    assert all(len(token) >= 20 for token in tokens)
    assert Campaign.objects.get(pk=campaign.pk).last_serial == 5


def test_forms_make_takes_serials_from_the_database_not_a_stale_copy(world: Any) -> None:
    # given two printers holding the same campaign read before either printed (last_serial 0)
    campaign = make_campaign(world)
    stale_one, stale_two = Campaign.objects.get(pk=campaign.pk), Campaign.objects.get(pk=campaign.pk)
    area = area_named(campaign, "1号楼")
    # when both make forms
    one = campaigns.forms_make(actor=world.supervisor_a, campaign=stale_one, area=area, count=4)
    two = campaigns.forms_make(actor=world.pm_a, campaign=stale_two, area=area, count=4)
    # then no serial is given twice
    assert [f.serial for f in one] == [1, 2, 3, 4]
    assert [f.serial for f in two] == [5, 6, 7, 8]
    assert SurveyForm.objects.filter(campaign=campaign).values("serial").distinct().count() == 8


@pytest.mark.parametrize("count", [0, -1, campaigns.MAX_FORMS_PER_CALL + 1])
def test_forms_make_refuses_counts_out_of_range(world: Any, count: int) -> None:
    campaign = make_campaign(world)
    with pytest.raises(DomainError) as refused:
        campaigns.forms_make(
            actor=world.supervisor_a, campaign=campaign, area=area_named(campaign, "1号楼"), count=count
        )
    assert list(refused.value.fields) == ["count"]


def test_forms_make_refuses_an_area_of_another_campaign(world: Any) -> None:
    campaign, other = make_campaign(world), make_campaign(world)
    with pytest.raises(DomainError):
        campaigns.forms_make(
            actor=world.supervisor_a, campaign=campaign, area=area_named(other, "1号楼"), count=1
        )


def test_forms_make_needs_surveys_run(world: Any) -> None:
    campaign = make_campaign(world)
    with pytest.raises(PermissionDenied):
        campaigns.forms_make(
            actor=world.agent_a, campaign=campaign, area=area_named(campaign, "1号楼"), count=1
        )


def test_sv_2_hand_out_marks_the_lowest_serials_and_makes_more_when_needed(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    building = area_named(campaign, "1号楼")
    campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=building, count=3)
    assert campaigns.forms_hand_out(actor=world.supervisor_a, campaign=campaign, area=building, count=2) == 2
    assert campaigns.forms_hand_out(actor=world.supervisor_a, campaign=campaign, area=building, count=3) == 3
    handed = SurveyForm.objects.filter(area=building, handed_out_at__isnull=False)
    assert sorted(handed.values_list("serial", flat=True)) == [1, 2, 3, 4, 5]
    row = figures.area_returns(campaign)[0]
    assert (row.name, row.handed_out, row.returned) == ("1号楼", 5, 0)


def test_hand_out_is_refused_before_the_campaign_is_opened(world: Any) -> None:
    campaign = make_campaign(world)
    with pytest.raises(DomainError) as refused:
        campaigns.forms_hand_out(
            actor=world.supervisor_a, campaign=campaign, area=area_named(campaign, "1号楼"), count=1
        )
    assert refused.value.code == "surveys.status"


# --- R-SV-2: the return-rate flag, exact -------------------------------------------------------------------


def _returns_of(campaign: Campaign, name: str) -> figures.AreaReturn:
    return next(row for row in figures.area_returns(campaign) if row.name == name)


def test_sv_2_area_at_89_99_percent_is_flagged(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=999, returned=899)
    row = _returns_of(campaign, "1号楼")
    assert str(row.percent) == "89.99"
    assert row.passes is False
    assert row.blocks is True


def test_sv_2_area_at_exactly_90_percent_passes(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=10, returned=9)
    row = _returns_of(campaign, "1号楼")
    assert str(row.percent) == "90.00"
    assert row.passes is True
    assert row.blocks is False


def test_sv_2_area_at_90_01_percent_passes(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=1011, returned=910)
    row = _returns_of(campaign, "1号楼")
    assert str(row.percent) == "90.01"
    assert row.passes is True


def test_sv_2_threshold_is_data(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=10, returned=8)
    assert _returns_of(campaign, "1号楼").passes is False
    SurveyRules.objects.filter(company=world.company).update(return_rate_threshold="80.00")
    assert _returns_of(campaign, "1号楼").passes is True


# --- R-SV-2: closing behind the gate, waivers ------------------------------------------------------------


@pytest.fixture
def arranged(monkeypatch: pytest.MonkeyPatch) -> list[Campaign]:
    """The campaigns `checks.survey_checks_arrange` was asked to sample (R-RV-1)."""
    calls: list[Campaign] = []

    def record(*, actor: Any, campaign: Campaign) -> list[SurveyForm]:
        calls.append(campaign)
        return []

    monkeypatch.setattr(checks, "survey_checks_arrange", record)
    return calls


def _below_and_passing(world: Any) -> Campaign:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=999, returned=899)
    set_returns(area_named(campaign, "中心花园"), handed_out=10, returned=9)
    return campaign


def test_sv_2_close_is_refused_while_an_area_is_below_the_threshold_without_a_waiver(
    world: Any, arranged: list[Campaign]
) -> None:
    campaign = _below_and_passing(world)
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert refused.value.code == "surveys.below_return_rate"
    assert refused.value.status == 409
    assert refused.value.fields == {"areas": ["1号楼: 89.99% (899 of 999)"]}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RUNNING
    assert arranged == []


def test_sv_2_close_is_allowed_once_a_manager_waives_the_area(world: Any, arranged: list[Campaign]) -> None:
    # given an area at 89.99% and the project manager's waiver with a reason
    campaign = _below_and_passing(world)
    area = campaigns.area_waive(
        actor=world.pm_a, area=area_named(campaign, "1号楼"), reason="  业主长期不在家  "
    )
    # then who and when are recorded
    assert (area.waiver_reason, area.waiver_by, area.waiver_at is not None) == (
        "业主长期不在家",
        world.pm_a,
        True,
    )
    assert figures.blocking_areas(campaign) == []
    # and the campaign closes, and its forms are sampled for return-visit checks (R-RV-1)
    closed = campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert closed.status == CampaignStatus.CLOSED
    assert (closed.closed_by, closed.closed_at is not None) == (world.supervisor_a, True)
    assert [c.pk for c in arranged] == [campaign.pk]
    assert AuditEntry.objects.filter(object_type="surveys.campaignarea", object_id=str(area.pk)).exists()


def test_a_campaign_with_unsettled_double_entry_differences_does_not_close(
    world: Any, arranged: list[Campaign]
) -> None:
    # given a campaign whose areas pass, and a form whose two keyings differ on one item
    campaign = _below_and_passing(world)
    campaigns.area_waive(actor=world.pm_a, area=area_named(campaign, "1号楼"), reason="业主长期不在家")
    form = SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=False).order_by("serial").first()
    item = campaign.items.order_by("position").first()
    SurveyForm.objects.filter(pk=form.pk).update(mismatch_items=[item.pk])
    # when it is closed, then it is refused with the form's serial
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert refused.value.code == "surveys.unsettled_mismatches"
    assert f"{form.serial:04d}" in refused.value.message
    # and once the difference is settled it closes
    SurveyForm.objects.filter(pk=form.pk).update(mismatch_items=[])
    closed = campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert closed.status == CampaignStatus.CLOSED


def test_sv_2_an_area_with_no_form_handed_out_blocks_closing(world: Any, arranged: list[Campaign]) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=10, returned=10)
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert refused.value.fields == {"areas": ["中心花园: — (0 of 0)"]}


def test_sv_2_waiver_needs_surveys_waive(world: Any) -> None:
    campaign = _below_and_passing(world)
    with pytest.raises(PermissionDenied):
        campaigns.area_waive(actor=world.supervisor_a, area=area_named(campaign, "1号楼"), reason="忙")
    assert area_named(campaign, "1号楼").has_waiver is False


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_sv_2_waiver_needs_a_reason(world: Any, reason: str) -> None:
    campaign = _below_and_passing(world)
    with pytest.raises(DomainError) as refused:
        campaigns.area_waive(actor=world.pm_a, area=area_named(campaign, "1号楼"), reason=reason)
    assert list(refused.value.fields) == ["reason"]


def test_sv_2_a_withdrawn_waiver_blocks_closing_again(world: Any, arranged: list[Campaign]) -> None:
    campaign = _below_and_passing(world)
    area = campaigns.area_waive(
        actor=world.branch_manager, area=area_named(campaign, "1号楼"), reason="楼栋维修"
    )
    campaigns.area_waiver_withdraw(actor=world.branch_manager, area=area)
    area.refresh_from_db()
    assert (area.waiver_reason, area.waiver_by, area.waiver_at) == ("", None, None)
    with pytest.raises(DomainError):
        campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)


def test_close_needs_a_running_campaign(world: Any, arranged: list[Campaign]) -> None:
    campaign = make_campaign(world)
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_close(actor=world.supervisor_a, campaign=campaign)
    assert refused.value.code == "surveys.status"


def test_cancel_needs_a_reason_and_an_open_campaign(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    with pytest.raises(DomainError):
        campaigns.campaign_cancel(actor=world.supervisor_a, campaign=campaign, reason=" ")
    cancelled = campaigns.campaign_cancel(actor=world.supervisor_a, campaign=campaign, reason="项目交接")
    assert (cancelled.status, cancelled.cancelled_reason) == (CampaignStatus.CANCELLED, "项目交接")
    with pytest.raises(DomainError) as refused:
        campaigns.campaign_cancel(actor=world.supervisor_a, campaign=campaign, reason="again")
    assert refused.value.code == "surveys.status"


# --- R-SV-1: repeating schedules ------------------------------------------------------------------------


def _schedule(world: Any, *, start: date, frequency: str = Frequency.MONTHLY, **extra: Any) -> SurveySchedule:
    return campaigns.schedule_create(
        actor=world.supervisor_a,
        data=ScheduleData(
            project=world.project_a,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=questionnaire_of(world.company),
            frequency=frequency,
            next_period_start=start,
            **extra,
        ),
    )


def test_sv_1_schedule_opens_the_next_campaign_once_even_when_run_twice(world: Any) -> None:
    schedule = _schedule(world, start=date(2026, 12, 1))
    # not before the period starts
    assert campaigns.schedules_open_due(today=date(2026, 11, 30)) == 0
    # on its first day: one running campaign of the month
    assert campaigns.schedules_open_due(today=date(2026, 12, 1)) == 1
    assert campaigns.schedules_open_due(today=date(2026, 12, 1)) == 0
    assert campaigns.schedules_open_due(today=date(2026, 12, 20)) == 0
    campaign = Campaign.objects.get(schedule=schedule)
    assert campaign.reference == "SV-QD-A-202612-01"
    assert (campaign.period_start, campaign.period_end) == (date(2026, 12, 1), date(2026, 12, 31))
    assert (campaign.status, campaign.frequency) == (CampaignStatus.RUNNING, Frequency.MONTHLY)
    assert campaign.items.count() == 8
    assert campaign.areas.count() == 2
    schedule.refresh_from_db()
    assert schedule.next_period_start == date(2027, 1, 1)
    # and the next month's, on its day
    assert campaigns.schedules_open_due(today=date(2027, 1, 1)) == 1
    assert Campaign.objects.filter(schedule=schedule).count() == 2


def test_sv_1_schedule_opens_a_period_once_when_another_scheduler_made_it_first(world: Any) -> None:
    # given a second scheduler that made December's campaign but has not moved the schedule on yet
    schedule = _schedule(world, start=date(2026, 12, 1))
    campaigns._make(
        actor=None,
        data=CampaignData(
            project=world.project_a,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=schedule.questionnaire,
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            frequency=Frequency.MONTHLY,
        ),
        schedule=schedule,
    )
    # when this scheduler runs: the unique (schedule, period) lets nothing else in
    assert campaigns.schedules_open_due(today=date(2026, 12, 1)) == 0
    assert Campaign.objects.filter(schedule=schedule).count() == 1
    schedule.refresh_from_db()
    assert schedule.next_period_start == date(2027, 1, 1)


def test_sv_1_schedule_catches_up_to_the_current_period(world: Any) -> None:
    schedule = _schedule(world, start=date(2026, 9, 1))
    assert campaigns.schedules_open_due(today=date(2026, 12, 15)) == 1
    campaign = Campaign.objects.get(schedule=schedule)
    assert campaign.period_start == date(2026, 12, 1)
    schedule.refresh_from_db()
    assert schedule.next_period_start == date(2027, 1, 1)


def test_sv_1_quarterly_schedule_of_chosen_areas(world: Any) -> None:
    garden = Building.objects.get(project=world.project_a, name="中心花园")
    schedule = _schedule(world, start=date(2027, 1, 1), frequency=Frequency.QUARTERLY, areas=[garden])
    assert campaigns.schedules_open_due(today=date(2027, 1, 1)) == 1
    campaign = Campaign.objects.get(schedule=schedule)
    assert (campaign.period_start, campaign.period_end) == (date(2027, 1, 1), date(2027, 3, 31))
    assert campaign.title == "物业服务质量意见征询表 2027Q1"
    assert list(campaign.areas.values_list("area__name", flat=True)) == ["中心花园"]
    schedule.refresh_from_db()
    assert schedule.next_period_start == date(2027, 4, 1)


def test_stopped_schedule_opens_nothing(world: Any) -> None:
    schedule = _schedule(world, start=date(2026, 12, 1))
    campaigns.schedule_set_active(actor=world.supervisor_a, schedule=schedule, is_active=False)
    assert campaigns.schedules_open_due(today=date(2026, 12, 1)) == 0
    assert not Campaign.objects.exists()


def test_schedule_create_is_monthly_or_quarterly_and_needs_surveys_run(world: Any) -> None:
    with pytest.raises(DomainError) as refused:
        _schedule(world, start=date(2026, 12, 1), frequency=Frequency.AD_HOC)
    assert list(refused.value.fields) == ["frequency"]
    with pytest.raises(PermissionDenied):
        campaigns.schedule_create(
            actor=world.outsider,
            data=ScheduleData(
                project=world.project_a,
                runner=Runner.CUSTOMER_SERVICE,
                questionnaire=questionnaire_of(world.company),
                frequency=Frequency.MONTHLY,
                next_period_start=date(2026, 12, 1),
            ),
        )
    assert not SurveySchedule.objects.exists()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert campaigns.add_months(day, months) == expected
