"""R-RV-1: a sample of a campaign's returned forms is checked for authenticity by return visits of the
department that ran the survey: the customer-service department's by the project manager, QA's by the QA
manager. The sample: per area ceil(share × returned forms with a unit), at least the minimum, drawn
deterministically; arranging it again draws nothing new."""

from __future__ import annotations

import pytest

from estatedesk.common.errors import DomainError
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department, Membership, Unit
from estatedesk.surveys.checks import draw_key, sample_size, survey_checks_arrange
from estatedesk.surveys.choices import Runner
from estatedesk.surveys.models import SurveyForm, SurveyRules
from estatedesk.surveys.tests.test_reports_world import add_form, make_campaign, qa_setup
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit


def _units(world, count):
    building = world.unit_a.building
    made = [
        Unit.objects.create(
            project=world.project_a,
            building=building,
            entrance="1",
            floor=2,
            number=f"2{n:02d}",
            label=f"1-1-2{n:02d}",
        )
        for n in range(max(count - 2, 0))
    ]
    return [world.unit_a, world.unit_a_neighbour, *made][:count]


def _survey(world, *, runner=Runner.CUSTOMER_SERVICE, department=None, building_forms=20, garden_forms=3):
    """1号楼: `building_forms` returned forms with a unit, 2 returned without one, 1 not returned;
    中心花园: `garden_forms` returned forms with a unit."""
    SurveyRules.objects.get_or_create(company=world.company)
    survey = make_campaign(world, runner=runner, department=department)
    building, garden = survey.areas
    units = _units(world, building_forms + garden_forms)
    for unit in units[:building_forms]:
        add_form(survey, building, [1, 2, 3], unit=unit)
    add_form(survey, building, [1, 1, 1])
    add_form(survey, building, [1, 1, 1])
    add_form(survey, building, None, unit=world.unit_a)
    for unit in units[building_forms:]:
        add_form(survey, garden, [2, 2, 2], unit=unit)
    return survey


@pytest.mark.parametrize(
    ("returned", "share", "minimum", "expected"),
    [
        (20, 10, 1, 2),
        (21, 10, 1, 3),
        (3, 10, 1, 1),
        (3, 10, 2, 2),
        (1, 10, 2, 1),
        (0, 10, 1, 0),
        (10, 100, 1, 10),
    ],
)
def test_rv_1_sample_size_is_the_share_rounded_up_with_a_minimum(returned, share, minimum, expected):
    assert sample_size(returned_with_unit=returned, share_percent=share, minimum=minimum) == expected


def test_rv_1_closing_arranges_check_visits_for_the_sample_by_the_project_manager(world):
    survey = _survey(world)

    checked = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    building, garden = survey.areas
    assert sorted(form.area_id for form in checked) == sorted([building.pk, building.pk, garden.pk])
    assert all(form.unit_id is not None and form.returned_at is not None for form in checked)
    visits = list(ReturnVisit.objects.filter(purpose=Purpose.SURVEY_CHECK))
    assert len(visits) == 3
    cs = Department.objects.get(project=world.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    for visit in visits:
        assert visit.project == world.project_a
        assert visit.department == cs
        assert visit.visitor == world.pm_a
        assert visit.arranged_by == world.supervisor_a
        assert visit.status == VisitStatus.DUE
        assert visit.item is None
    assert set(
        SurveyForm.objects.filter(check_visit__isnull=False).values_list("check_visit_id", flat=True)
    ) == {visit.pk for visit in visits}


def test_rv_1_the_sample_is_deterministic_by_the_hash_of_the_serial(world):
    survey = _survey(world)
    building = survey.areas[0]
    expected = sorted(
        (form for form in survey.forms if form.area_id == building.pk and form.unit_id and form.returned_at),
        key=lambda form: draw_key(survey.campaign.reference, form.serial),
    )[:2]

    checked = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    assert sorted(form.serial for form in checked if form.area_id == building.pk) == sorted(
        form.serial for form in expected
    )


def test_rv_1_the_minimum_per_area_applies(world):
    survey = _survey(world)
    SurveyRules.objects.filter(company=world.company).update(check_minimum_per_area=2)

    checked = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    garden = survey.areas[1]
    assert len([form for form in checked if form.area_id == garden.pk]) == 2
    assert len(checked) == 4


def test_rv_1_arranging_again_is_idempotent(world):
    survey = _survey(world)
    first = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    again = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    assert len(first) == 3
    assert again == []
    assert ReturnVisit.objects.filter(purpose=Purpose.SURVEY_CHECK).count() == 3


def test_rv_1_forms_already_checked_count_towards_a_larger_sample(world):
    survey = _survey(world)
    first = {form.pk for form in survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)}
    SurveyRules.objects.filter(company=world.company).update(check_share_percent=20)

    more = survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    building = survey.areas[0]
    assert len([form for form in more if form.area_id == building.pk]) == 2  # 4 in all, 2 already
    assert not first & {form.pk for form in more}
    assert ReturnVisit.objects.filter(purpose=Purpose.SURVEY_CHECK).count() == 5


def test_rv_1_the_visit_names_the_customer_of_the_unit(world):
    survey = _survey(world, building_forms=2, garden_forms=0)

    survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign)

    visit = ReturnVisit.objects.get(purpose=Purpose.SURVEY_CHECK, resident__name="沈业主")
    assert visit.customer_phone == "13800001234"
    assert "1-1-101" in visit.customer_name
    assert survey.campaign.reference in visit.customer_name


def test_rv_1_a_qa_survey_is_checked_by_the_qa_manager(world, django_user_model):
    qa = qa_setup(django_user_model, world)
    survey = _survey(world, runner=Runner.QUALITY, department=qa["qa"], building_forms=5, garden_forms=0)

    # QA staff close the campaign: they may not arrange visits, so the QA manager arranges them
    checked = survey_checks_arrange(actor=qa["qa_staff"], campaign=survey.campaign)

    assert len(checked) == 1
    visit = ReturnVisit.objects.get(purpose=Purpose.SURVEY_CHECK)
    assert visit.department == qa["qa"]
    assert visit.visitor == qa["qa_manager"]
    assert visit.arranged_by == qa["qa_manager"]


@pytest.mark.parametrize("runner", [Runner.ADMIN, Runner.MANAGEMENT_OFFICE])
def test_rv_1_other_runners_surveys_are_checked_by_the_project_manager(world, runner):
    survey = _survey(world, runner=runner, building_forms=5, garden_forms=0)

    survey_checks_arrange(actor=world.pm_a, campaign=survey.campaign)

    visit = ReturnVisit.objects.get(purpose=Purpose.SURVEY_CHECK)
    assert visit.department.kind == DepartmentKind.CUSTOMER_SERVICE
    assert visit.visitor == world.pm_a


def test_rv_1_without_a_qa_department_nothing_is_arranged_and_the_closer_is_told(world):
    survey = _survey(world, runner=Runner.QUALITY, building_forms=5, garden_forms=0)

    with pytest.raises(DomainError) as error:
        survey_checks_arrange(actor=world.pm_a, campaign=survey.campaign)

    assert error.value.code == "surveys.no_checking_department"
    assert not ReturnVisit.objects.exists()
    assert not SurveyForm.objects.filter(check_visit__isnull=False).exists()


def test_rv_1_nobody_to_check_and_a_closer_who_may_not_arrange_visits_is_refused(world, django_user_model):
    qa = qa_setup(django_user_model, world)
    Membership.objects.filter(user=qa["qa_manager"]).update(is_active=False)
    survey = _survey(world, runner=Runner.QUALITY, department=qa["qa"], building_forms=5, garden_forms=0)

    with pytest.raises(DomainError) as error:
        survey_checks_arrange(actor=qa["qa_staff"], campaign=survey.campaign)

    assert error.value.code == "surveys.no_checker"
    assert not ReturnVisit.objects.exists()


def test_rv_1_no_returned_forms_with_a_unit_arranges_nothing(world):
    survey = _survey(world, building_forms=0, garden_forms=0)

    assert survey_checks_arrange(actor=world.supervisor_a, campaign=survey.campaign) == []
    assert not ReturnVisit.objects.exists()
