"""The questionnaire catalogue (R-SV-1, R-SV-6): reusable items, questionnaires built from them in order, the
company's survey rules and the report routes (R-SV-5), all data that HQ edits (`surveys.catalogue`).

`catalogue_ensure` seeds a company once with the procedure's defaults: the eight items of a property
service survey, the feedback form of 附表一 with its bilingual greeting, `SurveyRules` (90% return rate) and
the report routes. Running it again adds only what is missing and never overwrites HQ's edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Company
from estatedesk.org.permissions import can
from estatedesk.surveys.choices import Audience, FormKind, Runner
from estatedesk.surveys.models import (
    Questionnaire,
    QuestionnaireItem,
    ReportRoute,
    SurveyItem,
    SurveyRules,
)

FORM_NAME = "物业服务质量意见征询表"
# 附表一 of the procedure, word for word (the seed's line breaks and OCR noise removed)
GREETING = (
    "尊敬的客户: 感谢您对本公司的支持和关心! 为了更好的为您服务,全方位的提高本公司的服务水平,"
    "真诚的欢迎您对本公司的服务提出宝贵的意见。谢谢!"
)
GREETING_EN = (
    "Dear Customer, Thank you for your support and attention! To improve our service in all respects so as "
    "to serve you even better, the company heartily welcomes your feedback about our service. Thanks again!"
)

# (code, 中文, English, the department a finding about it goes to: a DepartmentKind value, which is also a
# feedback item category)
DEFAULT_ITEMS: tuple[tuple[str, str, str, str], ...] = (
    ("customer-service", "客户服务", "Customer service", DepartmentKind.CUSTOMER_SERVICE),
    ("engineering", "工程维修", "Engineering repairs", DepartmentKind.ENGINEERING),
    ("order", "秩序维护", "Order and security", DepartmentKind.ORDER),
    ("cleaning", "保洁卫生", "Cleaning", DepartmentKind.CLEANING),
    ("greening", "绿化养护", "Greening", DepartmentKind.GREENING),
    ("facilities", "公共设施", "Common facilities", DepartmentKind.ENGINEERING),
    ("attitude", "服务态度", "Staff attitude", DepartmentKind.CUSTOMER_SERVICE),
    ("fees", "收费管理", "Fees", DepartmentKind.CUSTOMER_SERVICE),
)

# R-SV-5: who reviews a running department's report (never its author) and who it goes to
MANAGER_REVIEW: list[str] = [
    Role.PROJECT_MANAGER.value,
    Role.BRANCH_MANAGER.value,
    Role.GENERAL_MANAGER.value,
]
DEFAULT_ROUTES: tuple[tuple[str, list[str], str], ...] = (
    (Runner.CUSTOMER_SERVICE, MANAGER_REVIEW, Audience.DEPARTMENTS),
    (Runner.ADMIN, MANAGER_REVIEW, Audience.DEPARTMENTS),
    (Runner.MANAGEMENT_OFFICE, [Role.PROJECT_MANAGER.value], Audience.LEADERS),
    (Runner.QUALITY, [Role.QA_MANAGER.value], Audience.LEADERS),
)

ITEM_FIELDS = ["code", "name", "name_en", "department_kind", "position", "is_active"]
QUESTIONNAIRE_FIELDS = ["name", "kind", "greeting", "greeting_en", "is_active"]
RULES_FIELDS = [
    "return_rate_threshold",
    "small_sample_below",
    "check_share_percent",
    "check_minimum_per_area",
    "report_reminder_days",
]


def _missing(company: Company) -> bool:
    """Is anything of the defaults missing? Four small reads, so pages may ask on every view."""
    codes = [code for code, *_rest in DEFAULT_ITEMS]
    runners = [runner for runner, *_rest in DEFAULT_ROUTES]
    return (
        SurveyItem.objects.filter(company=company, code__in=codes).count() < len(codes)
        or not Questionnaire.objects.filter(company=company).exists()
        or not SurveyRules.objects.filter(company=company).exists()
        or ReportRoute.objects.filter(company=company, runner__in=runners).count() < len(runners)
    )


def catalogue_ensure(*, company: Company) -> None:
    """Seed the company's catalogue once: the items missing by code, the feedback form of 附表一 when the
    company has no questionnaire yet, the rules, and the routes of the runners that have none. Idempotent
    (also when run at once: the company's row is locked while seeding); what HQ changed stays as it is."""
    if not _missing(company):
        return
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).get()
        existing = set(SurveyItem.objects.filter(company=company).values_list("code", flat=True))
        SurveyItem.objects.bulk_create(
            [
                SurveyItem(
                    company=company,
                    code=code,
                    name=name,
                    name_en=name_en,
                    department_kind=department_kind,
                    position=position * 10,
                )
                for position, (code, name, name_en, department_kind) in enumerate(DEFAULT_ITEMS, start=1)
                if code not in existing
            ]
        )
        if not Questionnaire.objects.filter(company=company).exists():
            form = Questionnaire.objects.create(
                company=company,
                name=FORM_NAME,
                kind=FormKind.FEEDBACK_FORM,
                greeting=GREETING,
                greeting_en=GREETING_EN,
            )
            items = {item.code: item for item in SurveyItem.objects.filter(company=company)}
            QuestionnaireItem.objects.bulk_create(
                [
                    QuestionnaireItem(questionnaire=form, item=items[code], position=position)
                    for position, (code, *_rest) in enumerate(DEFAULT_ITEMS, start=1)
                ]
            )
        SurveyRules.objects.get_or_create(company=company)
        for runner, roles, audience in DEFAULT_ROUTES:
            ReportRoute.objects.get_or_create(
                company=company,
                runner=runner,
                defaults={"reviewer_roles": list(roles), "audience": audience},
            )


# --- editing (HQ) -------------------------------------------------------------------------------------------


def may_edit(user: Any, company: Company) -> bool:
    """`surveys.catalogue` is a company-wide capability, over the user's own company."""
    return company.pk in scope_for(user).company_ids and can(user, "surveys.catalogue")


def _require_edit(actor: Any, company: Company) -> None:
    if not may_edit(actor, company):
        raise PermissionDenied("surveys.catalogue")


def _invalid(problems: dict[str, str]) -> DomainError:
    return DomainError(
        "surveys.invalid",
        _("Some fields are not valid."),
        fields={name: [text] for name, text in problems.items()},
    )


@dataclass(frozen=True)
class ItemData:
    code: str
    name: str
    name_en: str = ""
    department_kind: str = ""
    position: int = 0
    is_active: bool = True


@transaction.atomic
def survey_item_save(
    *, actor: Any, company: Company, data: ItemData, item: SurveyItem | None = None
) -> SurveyItem:
    """Add an item to the catalogue, or change one. A campaign keeps the labels it was made with."""
    _require_edit(actor, company)
    problems: dict[str, str] = {}
    code = data.code.strip()
    if not data.name.strip():
        problems["name"] = _("This field is required.")
    if not code:
        problems["code"] = _("This field is required.")
    elif SurveyItem.objects.filter(company=company, code=code).exclude(id=item.pk if item else 0).exists():
        problems["code"] = _("Another item has this code.")
    if data.department_kind and data.department_kind not in DepartmentKind.values:
        problems["department_kind"] = _("Choose a department.")
    if problems:
        raise _invalid(problems)
    if item is not None and item.company_id != company.pk:
        raise PermissionDenied("surveys.catalogue")
    before = model_changes(item, ITEM_FIELDS) if item is not None else {}
    target = item or SurveyItem(company=company)
    target.code = code
    target.name = data.name.strip()
    target.name_en = data.name_en.strip()
    target.department_kind = data.department_kind
    target.position = data.position
    target.is_active = data.is_active
    target.save()
    audit_record(
        actor=actor,
        action="update" if item is not None else "create",
        obj=target,
        before=before,
        after=model_changes(target, ITEM_FIELDS),
    )
    return target


@dataclass(frozen=True)
class QuestionnaireData:
    name: str
    kind: str
    greeting: str
    greeting_en: str
    items: tuple[SurveyItem, ...]  # in the order they are asked
    is_active: bool = True


@transaction.atomic
def questionnaire_save(
    *, actor: Any, company: Company, data: QuestionnaireData, questionnaire: Questionnaire | None = None
) -> Questionnaire:
    """Add a questionnaire (征询表 or 调查表) or change one: its greeting in both languages and its items in
    order. Campaigns already made keep their own copy."""
    _require_edit(actor, company)
    problems: dict[str, str] = {}
    for name in ("name", "greeting", "greeting_en"):
        if not str(getattr(data, name)).strip():
            problems[name] = _("This field is required.")
    if data.kind not in FormKind.values:
        problems["kind"] = _("Choose the kind.")
    if not data.items:
        problems["items"] = _("Choose at least one item.")
    elif any(item.company_id != company.pk for item in data.items):
        problems["items"] = _("Choose items of the catalogue.")
    elif len({item.pk for item in data.items}) != len(data.items):
        problems["items"] = _("Each item can be asked once.")
    if problems:
        raise _invalid(problems)
    if questionnaire is not None and questionnaire.company_id != company.pk:
        raise PermissionDenied("surveys.catalogue")
    before: dict[str, Any] = {}
    if questionnaire is not None:
        before = {
            **model_changes(questionnaire, QUESTIONNAIRE_FIELDS),
            "items": list(questionnaire.entries.order_by("position").values_list("item__code", flat=True)),
        }
    target = questionnaire or Questionnaire(company=company)
    target.name = data.name.strip()
    target.kind = data.kind
    target.greeting = data.greeting.strip()
    target.greeting_en = data.greeting_en.strip()
    target.is_active = data.is_active
    target.save()
    QuestionnaireItem.objects.filter(questionnaire=target).delete()
    QuestionnaireItem.objects.bulk_create(
        [
            QuestionnaireItem(questionnaire=target, item=item, position=position)
            for position, item in enumerate(data.items, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="update" if questionnaire is not None else "create",
        obj=target,
        before=before,
        after={**model_changes(target, QUESTIONNAIRE_FIELDS), "items": [item.code for item in data.items]},
    )
    return target


@transaction.atomic
def survey_rules_update(*, actor: Any, company: Company, values: dict[str, Any]) -> SurveyRules:
    """Change the company's survey parameters (the return-rate threshold of R-SV-2 among them)."""
    _require_edit(actor, company)
    rules, _created = SurveyRules.objects.select_for_update().get_or_create(company=company)
    threshold = Decimal(values.get("return_rate_threshold", rules.return_rate_threshold))
    if not Decimal(0) <= threshold <= Decimal(100):
        raise _invalid({"return_rate_threshold": _("Give a percentage from 0 to 100.")})
    if int(values.get("check_share_percent", rules.check_share_percent)) > 100:
        raise _invalid({"check_share_percent": _("Give a percentage from 0 to 100.")})
    before = model_changes(rules, RULES_FIELDS)
    for name in RULES_FIELDS:
        if name in values:
            setattr(rules, name, values[name])
    rules.save()
    audit_record(
        actor=actor, action="update", obj=rules, before=before, after=model_changes(rules, RULES_FIELDS)
    )
    return rules


@transaction.atomic
def report_route_update(
    *, actor: Any, route: ReportRoute, reviewer_roles: list[str], audience: str
) -> ReportRoute:
    """Change who reviews a running department's report and who it goes to (R-SV-5)."""
    _require_edit(actor, route.company)
    problems: dict[str, str] = {}
    if not reviewer_roles or any(role not in Role.values for role in reviewer_roles):
        problems["reviewer_roles"] = _("Choose at least one role.")
    if audience not in Audience.values:
        problems["audience"] = _("Choose who receives the report.")
    if problems:
        raise _invalid(problems)
    fields = ["reviewer_roles", "audience"]
    before = model_changes(route, fields)
    route.reviewer_roles = list(reviewer_roles)
    route.audience = audience
    route.save(update_fields=fields)
    audit_record(actor=actor, action="update", obj=route, before=before, after=model_changes(route, fields))
    return route
