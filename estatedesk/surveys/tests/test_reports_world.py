"""A survey world for the report and check tests, built with the ORM (no campaign services): a campaign of
project A over "1号楼" and "中心花园" with three items, forms with answers, and the report routes of R-SV-5.
Imported by test_reports*.py, test_checks.py and test_report_pdf.py (holds no tests itself)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Building, Department, Membership, Project, Unit
from estatedesk.surveys.choices import Audience, CampaignStatus, FormKind, Frequency, ReportStatus, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignItem,
    CampaignReport,
    Questionnaire,
    ReportRoute,
    SurveyAnswer,
    SurveyForm,
    SurveyItem,
    SurveyRules,
)

_tokens = itertools.count(1)

ITEMS = (
    ("customer-service", "客户服务", "Customer service", DepartmentKind.CUSTOMER_SERVICE),
    ("engineering", "工程维修", "Engineering repairs", DepartmentKind.ENGINEERING),
    ("cleaning", "保洁卫生", "Cleaning", DepartmentKind.CLEANING),
)
MANAGER_REVIEW = [Role.PROJECT_MANAGER, Role.BRANCH_MANAGER, Role.GENERAL_MANAGER]


@dataclass
class Survey:
    campaign: Campaign
    items: list[CampaignItem]
    areas: list[CampaignArea]  # 1号楼, 中心花园
    forms: list[SurveyForm] = field(default_factory=list)


def routes(company: Any) -> None:
    """R-SV-5 as the catalogue seeds it."""
    for runner, roles, audience in (
        (Runner.CUSTOMER_SERVICE, MANAGER_REVIEW, Audience.DEPARTMENTS),
        (Runner.ADMIN, MANAGER_REVIEW, Audience.DEPARTMENTS),
        (Runner.MANAGEMENT_OFFICE, [Role.PROJECT_MANAGER], Audience.LEADERS),
        (Runner.QUALITY, [Role.QA_MANAGER], Audience.LEADERS),
    ):
        ReportRoute.objects.get_or_create(
            company=company, runner=runner, defaults={"reviewer_roles": list(roles), "audience": audience}
        )


def member(
    django_user_model: Any,
    world: Any,
    username: str,
    role: str,
    *,
    project: Project | None = None,
    branch: Any = None,
    department: Department | None = None,
) -> Any:
    user = django_user_model.objects.create_user(username=username, password="x", display_name=username)
    level = ScopeLevel.PROJECT if project else ScopeLevel.BRANCH if branch else ScopeLevel.COMPANY
    Membership.objects.create(
        user=user,
        role=role,
        level=level,
        company=world.company,
        branch=branch,
        project=project,
        department=department,
    )
    return user


def make_campaign(
    world: Any,
    *,
    runner: str = Runner.CUSTOMER_SERVICE,
    reference: str = "SV-QD-A-202611-01",
    status: str = CampaignStatus.CLOSED,
    period_start: date = date(2026, 11, 1),
    project: Project | None = None,
    department: Department | None = None,
) -> Survey:
    project = project or world.project_a
    company = world.company
    survey_items = []
    for position, (code, name, name_en, kind) in enumerate(ITEMS):
        item, _created = SurveyItem.objects.get_or_create(
            company=company,
            code=code,
            defaults={"name": name, "name_en": name_en, "department_kind": kind, "position": position},
        )
        survey_items.append(item)
    questionnaire, _created = Questionnaire.objects.get_or_create(
        company=company,
        name="物业服务质量意见征询表",
        defaults={"kind": FormKind.FEEDBACK_FORM, "greeting": "尊敬的客户", "greeting_en": "Dear customer"},
    )
    campaign = Campaign.objects.create(
        reference=reference,
        project=project,
        runner=runner,
        department=department,
        questionnaire=questionnaire,
        kind=FormKind.FEEDBACK_FORM,
        title=f"{project.name}{period_start:%Y年%m月}客户满意度调查",
        greeting="尊敬的客户",
        greeting_en="Dear customer",
        frequency=Frequency.MONTHLY,
        period_start=period_start,
        period_end=period_start + timedelta(days=29),
        status=status,
        opened_at=timezone.now(),
    )
    items = [
        CampaignItem.objects.create(
            campaign=campaign,
            item=item,
            position=position,
            label=item.name,
            label_en=item.name_en,
            department_kind=item.department_kind,
        )
        for position, item in enumerate(survey_items)
    ]
    areas = [
        CampaignArea.objects.create(campaign=campaign, area=building, position=position)
        for position, building in enumerate(Building.objects.filter(project=project).order_by("code"))
    ]
    return Survey(campaign, items, areas)


def add_form(
    survey: Survey,
    area: CampaignArea,
    ratings: list[int] | None,
    *,
    unit: Unit | None = None,
    handed_out: bool = True,
) -> SurveyForm:
    """A form of the area: handed out; returned with `ratings` (one per item, in order) unless None."""
    campaign = survey.campaign
    campaign.last_serial += 1
    Campaign.objects.filter(pk=campaign.pk).update(last_serial=campaign.last_serial)
    now = timezone.now()
    form = SurveyForm.objects.create(
        campaign=campaign,
        area=area,
        serial=campaign.last_serial,
        token=f"tok{next(_tokens):08d}",
        unit=unit,
        printed_at=now,
        handed_out_at=now if handed_out else None,
        returned_at=now if ratings is not None else None,
        channel="paper" if ratings is not None else "",
    )
    if ratings is not None:
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(form=form, item=item, rating=rating)
                for item, rating in zip(survey.items, ratings, strict=True)
            ]
        )
    survey.forms.append(form)
    return form


def fill(survey: Survey) -> Survey:
    """Answers in both areas, every form returned (so no area blocks): 1号楼 4 forms, 中心花园 2 forms.

    客户服务: 1,1,2,4 | 1,0  → qualified 4, unsatisfied 1, unrated 1 → 80.00%
    工程维修: 4,4,3,1 | 4,2  → qualified 3, unsatisfied 3 → 50.00%
    保洁卫生: 2,2,2,2 | 3,4  → qualified 5, unsatisfied 1 → 83.33%
    """
    building, garden = survey.areas
    for ratings in ([1, 4, 2], [1, 4, 2], [2, 3, 2], [4, 1, 2]):
        add_form(survey, building, ratings)
    for ratings in ([1, 4, 3], [0, 2, 4]):
        add_form(survey, garden, ratings)
    return survey


def report_of(survey: Survey, author: Any, *, status: str = ReportStatus.DRAFT, summary: str = "") -> Any:
    return CampaignReport.objects.create(
        campaign=survey.campaign,
        author=author,
        status=status,
        summary=summary or "工程维修不满意较多，加强巡检。",
    )


def qa_setup(django_user_model: Any, world: Any) -> dict[str, Any]:
    """A QA department at branch A with a QA manager and QA staff, and a leader in charge of branch A."""
    qa = Department.objects.create(
        company=world.company, branch=world.branch_a, kind=DepartmentKind.QUALITY, name="青岛品质部"
    )
    return {
        "qa": qa,
        "qa_manager": member(
            django_user_model, world, "qa_manager", Role.QA_MANAGER, branch=world.branch_a, department=qa
        ),
        "qa_staff": member(
            django_user_model, world, "qa_staff", Role.QA_STAFF, branch=world.branch_a, department=qa
        ),
    }


@pytest.fixture
def survey(world: Any) -> Survey:
    routes(world.company)
    SurveyRules.objects.get_or_create(company=world.company)
    return fill(make_campaign(world))
