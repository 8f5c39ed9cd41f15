"""Shared by the submissions, emergencies, hand-off and home tests: a small catalogue made with the ORM
(the catalogue's own seed is tested by its module), the reporting personas, expected reports.

Personas added to the `world`: doc_admin_a (document administrator of branch A), doc_admin_b and
branch_manager_b (branch B), leader (company-wide). `hq` reviews; `pm_a` classifies at project A."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.reporting import deadlines
from estatedesk.reporting.choices import DeadlineRule, InfoClass, ReportingScope, Special, SubmissionStatus
from estatedesk.reporting.models import InformationType, QualityLevel, ReportSubmission, ReportTemplate
from estatedesk.reporting.selectors import rules_for_company

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def field(
    key: str, label: str, kind: str = "text", *, required: bool = True, choices: Any = ()
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "label_en": key.replace("_", " ").capitalize(),
        "type": kind,
        "required": required,
        "unit": "",
        "choices": list(choices),
    }


def add_type(
    world: Any, code: str, *, fields: list[dict[str, Any]], attachments: int = 0, **values: Any
) -> InformationType:
    itype = InformationType.objects.create(company=world.company, code=code, **values)
    ReportTemplate.objects.create(
        information_type=itype, version=1, fields=fields, attachments_required=attachments, attachment_note=""
    )
    return itype


def person(world: Any, username: str, role: str, *, branch: Any = None, project: Any = None) -> Any:
    user = get_user_model().objects.create_user(
        username=username, display_name=username, email=f"{username}@example.invalid"
    )
    level = ScopeLevel.PROJECT if project else ScopeLevel.BRANCH if branch else ScopeLevel.COMPANY
    Membership.objects.create(
        user=user,
        role=role,
        level=level,
        company=world.company,
        branch=branch or (project.branch if project else None),
        project=project,
    )
    world.users[username] = user
    return user


def hq_setup(world: Any) -> Any:
    """The world with a small catalogue, the rubric and the reporting personas (each test module's
    `hq_world` fixture)."""
    rules = rules_for_company(world.company.pk)
    world.rules = rules
    world.monthly = add_type(
        world,
        "monthly_business",
        name="物业公司月报",
        info_class=InfoClass.PERIODIC,
        scope=ReportingScope.BRANCH,
        deadline_rule=DeadlineRule.MONTHLY_BY_DAY,
        deadline_day=10,
        special=Special.BUSINESS,
        is_expected=True,
        fields=[
            field("managed_area", "管理面积", "number"),
            field("operations", "业务管理情况"),
            field("class2_events_note", "突发事件(二类)说明", required=False),
        ],
    )
    world.finance = add_type(
        world,
        "monthly_finance",
        name="物业财务信息月报",
        info_class=InfoClass.PERIODIC,
        scope=ReportingScope.BRANCH,
        deadline_rule=DeadlineRule.MONTHLY_BY_DAY,
        deadline_day=10,
        is_expected=True,
        attachments=1,
        fields=[field("revenue", "营业收入", "money")],
    )
    world.emergency = add_type(
        world,
        "emergency_class1",
        name="一类突发事件",
        info_class=InfoClass.INSTANT,
        scope=ReportingScope.PROJECT,
        deadline_rule=DeadlineRule.WITHIN_HOURS,
        special=Special.EMERGENCY,
        fields=[field("what_happened", "事件经过"), field("measures", "处置措施", required=False)],
    )
    world.complaint = add_type(
        world,
        "major_complaint",
        name="重大、热点投诉",
        info_class=InfoClass.INSTANT,
        scope=ReportingScope.PROJECT,
        deadline_rule=DeadlineRule.WITHIN_HOURS,
        special=Special.COMPLAINT,
        fields=[
            field("cause", "投诉事由"),
            field("progress", "事态进展"),
            field("is_hot", "热点投诉", "yes_no", required=False),
            field("feedback_reference", "客户信息编号", required=False),
        ],
    )
    world.litigation = add_type(
        world,
        "litigation",
        name="法律诉讼",
        info_class=InfoClass.INSTANT,
        scope=ReportingScope.BRANCH,
        deadline_rule=DeadlineRule.WITHIN_HOURS,
        fields=[field("stage", "进展", "choice", choices=["即将发生", "已立案"])],
    )
    world.excellent = QualityLevel.objects.create(
        company=world.company, label="优", score=Decimal(100), position=1
    )
    world.good = QualityLevel.objects.create(company=world.company, label="良", score=Decimal(80), position=2)
    person(world, "doc_admin_a", Role.DOC_ADMIN, branch=world.branch_a)
    person(world, "doc_admin_b", Role.DOC_ADMIN, branch=world.branch_b)
    person(world, "branch_manager_b", Role.BRANCH_MANAGER, branch=world.branch_b)
    person(world, "leader", Role.LEADER)
    return world


def expected(
    world: Any,
    *,
    itype: Any = None,
    branch: Any = None,
    project: Any = None,
    month: date = date(2026, 11, 1),
    status: str = SubmissionStatus.EXPECTED,
) -> ReportSubmission:
    """The expected report of a unit for a month, as expected.py makes it."""
    itype = itype or world.monthly
    branch = branch or (project.branch if project else world.branch_a)
    code = project.code if project else branch.code
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return ReportSubmission.objects.create(
        reference=f"RP-{code}-{month:%Y%m}-{itype.code.upper()}",
        information_type=itype,
        branch=branch,
        project=project,
        unit_key=f"P{project.pk}" if project else f"B{branch.pk}",
        period_start=month,
        period_end=end.replace(day=1).fromordinal(end.toordinal() - 1),
        due_at=deadlines.due_at(itype, period_start=month, rules=world.rules),
        status=status,
        title=f"{itype.name} {month:%Y-%m}",
    )
