"""The questionnaire catalogue (R-SV-1, R-SV-5, R-SV-6): seeded once with the procedure's items, 附表一's
bilingual greeting, the 90% rule and the report routes; HQ edits it; a campaign keeps its own copy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import Role
from estatedesk.surveys import catalogue
from estatedesk.surveys.choices import Audience, FormKind, Runner
from estatedesk.surveys.models import Questionnaire, ReportRoute, SurveyItem, SurveyRules


def test_catalogue_is_seeded_once_with_the_procedures_defaults(world: Any) -> None:
    # when seeded twice
    catalogue.catalogue_ensure(company=world.company)
    catalogue.catalogue_ensure(company=world.company)
    # then eight items with their departments, one questionnaire of them in order, the rules and the routes
    items = list(
        SurveyItem.objects.filter(company=world.company).values_list("name", "name_en", "department_kind")
    )
    assert items == [
        ("客户服务", "Customer service", "customer_service"),
        ("工程维修", "Engineering repairs", "engineering"),
        ("秩序维护", "Order and security", "order"),
        ("保洁卫生", "Cleaning", "cleaning"),
        ("绿化养护", "Greening", "greening"),
        ("公共设施", "Common facilities", "engineering"),
        ("服务态度", "Staff attitude", "customer_service"),
        ("收费管理", "Fees", "customer_service"),
    ]
    form = Questionnaire.objects.get(company=world.company)
    assert (form.name, form.kind) == ("物业服务质量意见征询表", FormKind.FEEDBACK_FORM)
    assert form.greeting == (
        "尊敬的客户: 感谢您对本公司的支持和关心! 为了更好的为您服务,全方位的提高本公司的服务水平,"
        "真诚的欢迎您对本公司的服务提出宝贵的意见。谢谢!"
    )
    assert form.greeting_en == (
        "Dear Customer, Thank you for your support and attention! To improve our service in all respects so "
        "as to serve you even better, the company heartily welcomes your feedback about our service. "
        "Thanks again!"
    )
    assert [entry.item.name for entry in form.entries.select_related("item")][:3] == [
        "客户服务",
        "工程维修",
        "秩序维护",
    ]
    assert form.entries.count() == 8
    assert SurveyRules.objects.get(company=world.company).return_rate_threshold == Decimal("90.00")
    routes = {
        r.runner: (r.reviewer_roles, r.audience) for r in ReportRoute.objects.filter(company=world.company)
    }
    assert routes == {
        Runner.CUSTOMER_SERVICE: (
            ["project_manager", "branch_manager", "general_manager"],
            Audience.DEPARTMENTS,
        ),
        Runner.ADMIN: (["project_manager", "branch_manager", "general_manager"], Audience.DEPARTMENTS),
        Runner.MANAGEMENT_OFFICE: (["project_manager"], Audience.LEADERS),
        Runner.QUALITY: (["qa_manager"], Audience.LEADERS),
    }


def test_catalogue_ensure_keeps_what_hq_changed(world: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    SurveyItem.objects.filter(company=world.company, code="fees").update(name="物业费", is_active=False)
    Questionnaire.objects.filter(company=world.company).update(name="满意度调查表")
    SurveyRules.objects.filter(company=world.company).update(return_rate_threshold=Decimal("85.00"))
    catalogue.catalogue_ensure(company=world.company)
    assert SurveyItem.objects.get(company=world.company, code="fees").name == "物业费"
    assert list(Questionnaire.objects.filter(company=world.company).values_list("name", flat=True)) == [
        "满意度调查表"
    ]
    assert SurveyRules.objects.get(company=world.company).return_rate_threshold == Decimal("85.00")


def test_catalogue_ensure_is_cheap_once_seeded(world: Any, django_assert_max_num_queries: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    with django_assert_max_num_queries(4):
        catalogue.catalogue_ensure(company=world.company)


def test_hq_adds_and_changes_an_item(world: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    item = catalogue.survey_item_save(
        actor=world.hq,
        company=world.company,
        data=catalogue.ItemData(
            code="parking", name="停车管理", name_en="Parking", department_kind="order", position=90
        ),
    )
    assert (item.name, item.department_kind, item.is_active) == ("停车管理", "order", True)
    changed = catalogue.survey_item_save(
        actor=world.hq,
        company=world.company,
        item=item,
        data=catalogue.ItemData(code="parking", name="停车", position=95, is_active=False),
    )
    assert (changed.name, changed.position, changed.is_active) == ("停车", 95, False)
    assert AuditEntry.objects.filter(object_type="surveys.surveyitem", object_id=str(item.pk)).count() == 2


def test_item_codes_are_unique_in_the_company(world: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    with pytest.raises(DomainError) as refused:
        catalogue.survey_item_save(
            actor=world.hq, company=world.company, data=catalogue.ItemData(code="fees", name="收费")
        )
    assert list(refused.value.fields) == ["code"]


@pytest.mark.parametrize(
    "persona", ["supervisor_a", "pm_a", "branch_manager", "outsider", "owner_a", "nobody"]
)
def test_only_hq_edits_the_catalogue(world: Any, persona: str) -> None:
    catalogue.catalogue_ensure(company=world.company)
    with pytest.raises(PermissionDenied):
        catalogue.survey_item_save(
            actor=world.users[persona], company=world.company, data=catalogue.ItemData(code="x", name="某项")
        )
    with pytest.raises(PermissionDenied):
        catalogue.survey_rules_update(
            actor=world.users[persona], company=world.company, values={"return_rate_threshold": Decimal(50)}
        )


def test_hq_builds_a_questionnaire_with_items_in_order(world: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    by_code = {item.code: item for item in SurveyItem.objects.filter(company=world.company)}
    questionnaire = catalogue.questionnaire_save(
        actor=world.hq,
        company=world.company,
        data=catalogue.QuestionnaireData(
            name="保洁绿化专项调查表",
            kind=FormKind.QUESTIONNAIRE,
            greeting="您好",
            greeting_en="Hello",
            items=(by_code["greening"], by_code["cleaning"]),
        ),
    )
    assert [e.item.code for e in questionnaire.entries.select_related("item")] == ["greening", "cleaning"]
    with pytest.raises(DomainError) as refused:
        catalogue.questionnaire_save(
            actor=world.hq,
            company=world.company,
            questionnaire=questionnaire,
            data=catalogue.QuestionnaireData(
                name="x", kind=FormKind.QUESTIONNAIRE, greeting="a", greeting_en="b", items=()
            ),
        )
    assert list(refused.value.fields) == ["items"]


def test_hq_changes_the_rules_and_a_route(world: Any) -> None:
    catalogue.catalogue_ensure(company=world.company)
    rules = catalogue.survey_rules_update(
        actor=world.hq, company=world.company, values={"return_rate_threshold": Decimal("95.00")}
    )
    assert rules.return_rate_threshold == Decimal("95.00")
    with pytest.raises(DomainError):
        catalogue.survey_rules_update(
            actor=world.hq, company=world.company, values={"return_rate_threshold": Decimal("101")}
        )
    route = ReportRoute.objects.get(company=world.company, runner=Runner.QUALITY)
    catalogue.report_route_update(
        actor=world.hq,
        route=route,
        reviewer_roles=[Role.QA_MANAGER, Role.GENERAL_MANAGER],
        audience=Audience.LEADERS,
    )
    route.refresh_from_db()
    assert route.reviewer_roles == ["qa_manager", "general_manager"]
    with pytest.raises(DomainError):
        catalogue.report_route_update(
            actor=world.hq, route=route, reviewer_roles=["wizard"], audience=Audience.LEADERS
        )
