"""The catalogue of information reported to HQ (R-IR-3) and its versioned templates (R-IR-5): the seed's
table, HQ's edits, new template versions that leave old reports on theirs, the pages and the API, and
who may see and change what (the outsider, nobody and an owner)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback.tests.helpers import api_for
from estatedesk.reporting import catalogue, deadlines
from estatedesk.reporting.choices import DeadlineRule, InfoClass, ReportingScope, Special
from estatedesk.reporting.models import InformationType, QualityLevel, ReportSubmission, ReportTemplate
from estatedesk.reporting.selectors import rules_for_company

SHANGHAI = ZoneInfo("Asia/Shanghai")

SEED_TABLE = [
    # code, class, deadline rule, day, month, hours, every days, expected
    ("monthly_business", InfoClass.PERIODIC, DeadlineRule.MONTHLY_BY_DAY, 10, None, None, None, True),
    ("monthly_finance", InfoClass.PERIODIC, DeadlineRule.MONTHLY_BY_DAY, 10, None, None, None, True),
    ("litigation", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("media_exposure", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("major_complaint", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("move_in", InfoClass.INSTANT, DeadlineRule.DAILY, None, None, None, 5, False),
    ("emergency_class1", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, 24, None, False),
    ("media_interview", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("honours", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("new_project", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("personnel_change", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("management_review", InfoClass.INSTANT, DeadlineRule.WITHIN_HOURS, None, None, None, None, False),
    ("annual_plan", InfoClass.OTHER, DeadlineRule.YEARLY_BY_DAY, 15, 1, None, None, True),
    ("annual_training", InfoClass.OTHER, DeadlineRule.YEARLY_IN_MONTH, None, 1, None, None, True),
]


@pytest.fixture
def seeded(world):
    return catalogue.catalogue_ensure(company=world.company)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def _type(world, code):
    return InformationType.objects.get(company=world.company, code=code)


def _report(world, itype, *, template=None, period=date(2026, 11, 1)):
    return ReportSubmission.objects.create(
        reference=f"RP-QD-{period:%Y%m}-{itype.code.upper()}",
        information_type=itype,
        template=template,
        branch=world.branch_a,
        unit_key=f"B{world.branch_a.pk}",
        period_start=period,
        period_end=date(period.year, period.month, 28),
        due_at=datetime(2026, 12, 10, 23, 59, 59, tzinfo=SHANGHAI),
        status="draft",
        values={"managed_area": 1200},
    )


# --- the seed ---------------------------------------------------------------------------------------------


def test_ir_3_the_seeded_catalogue_holds_the_seeds_14_types_with_their_classes_and_deadlines(world, seeded):
    # given the catalogue seeded for the company (in setup)
    # then it holds the procedure's 14 types, in its order, each with its class and deadline numbers
    rows = list(
        InformationType.objects.filter(company=world.company)
        .order_by("position")
        .values_list(
            "code",
            "info_class",
            "deadline_rule",
            "deadline_day",
            "deadline_month",
            "deadline_hours",
            "every_days",
            "is_expected",
        )
    )
    assert rows == SEED_TABLE
    assert [t.code for t in seeded] == [row[0] for row in SEED_TABLE]


def test_ir_3_the_seeded_types_carry_the_procedures_content_and_scope(world, seeded):
    monthly = _type(world, "monthly_business")
    assert (monthly.name, monthly.content, monthly.scope) == (
        "物业公司月报",
        "各地物业公司业务动态",
        ReportingScope.BRANCH,
    )
    assert monthly.scope_note == "各地业务管理情况、客户投诉及突发事件等"
    assert monthly.special == Special.BUSINESS
    complaint = _type(world, "major_complaint")
    assert (complaint.content, complaint.special, complaint.scope) == (
        "投诉事由、事态进展情况",
        Special.COMPLAINT,
        ReportingScope.PROJECT,
    )
    assert _type(world, "emergency_class1").special == Special.EMERGENCY
    assert (
        _type(world, "personnel_change").scope_note
        == "部门经理以上人员变动、公司办公地点变动、管理架构模式变动"
    )


def test_ir_3_the_deadlines_in_words(world, seeded, english):
    rules = rules_for_company(world.company.pk)
    words = {t.code: catalogue.deadline_words(t, rules) for t in seeded}
    assert words["monthly_business"] == "By day 10 of the next month"
    assert words["litigation"] == "At once (within 24 hours)"
    assert words["emergency_class1"] == "Within 24 hours of the event"
    assert words["annual_plan"] == "By 1/15 each year"
    assert words["annual_training"] == "Within month 1 each year"
    assert words["move_in"] == "Daily; at least every 5 days when move-ins are few and nothing major happens"


def test_ir_3_seeding_makes_the_rules_and_the_quality_rubric(world, seeded):
    rules = rules_for_company(world.company.pk)
    assert (rules.at_once_hours, rules.reminder_days, rules.escalate_after_days) == (24, [3, 1], 1)
    assert list(QualityLevel.objects.filter(company=world.company).values_list("label", "score")) == [
        ("优", Decimal(100)),
        ("良", Decimal(80)),
        ("中", Decimal(60)),
        ("差", Decimal(40)),
    ]


def test_ir_3_seeding_again_adds_nothing_and_keeps_hqs_edits(world, seeded):
    # given HQ renamed a type
    catalogue.information_type_update(
        actor=world.hq, information_type=_type(world, "honours"), name="公司荣誉与奖项"
    )
    # when the catalogue is seeded again
    again = catalogue.catalogue_ensure(company=world.company)
    # then nothing was added and the edit stays
    assert len(again) == 14
    assert ReportTemplate.objects.filter(information_type__company=world.company).count() == 14
    assert QualityLevel.objects.filter(company=world.company).count() == 4
    assert _type(world, "honours").name == "公司荣誉与奖项"


# --- templates (R-IR-5) -------------------------------------------------------------------------------------


def test_ir_5_each_seeded_type_has_a_first_template_with_its_required_fields(world, seeded):
    monthly = catalogue.current_template(_type(world, "monthly_business"))
    assert monthly is not None
    assert monthly.version == 1
    assert catalogue.required_fields(monthly) == [
        "managed_area",
        "projects_in_service",
        "operations",
        "complaints_received",
        "complaints_handled",
        "class2_events",
    ]
    labels = {field["key"]: (field["label"], field["type"], field["unit"]) for field in monthly.fields}
    assert labels["managed_area"] == ("管理面积", "number", "m²")
    assert labels["class2_events_note"] == ("突发事件(二类)说明", "text", "")
    finance = catalogue.current_template(_type(world, "monthly_finance"))
    assert finance is not None
    assert (finance.attachments_required, finance.attachment_note) == (1, "月度财务报表")
    assert catalogue.required_fields(finance) == ["revenue", "expenses", "fee_collection_rate"]
    assert catalogue.required_fields(None) == []


def test_ir_5_a_template_is_refused_with_every_problem_listed(world, seeded, english):
    itype = _type(world, "honours")
    bad = [
        {"key": "Honour", "label": "荣誉", "type": "text"},
        {"key": "level", "label": "", "type": "colour"},
        {"key": "level", "label": "级别", "type": "choice", "choices": []},
    ]
    with pytest.raises(DomainError) as error:
        catalogue.template_new_version(actor=world.hq, information_type=itype, fields=bad)
    assert error.value.code == "reporting.template_invalid"
    problems = [str(p) for p in error.value.fields["fields"]]
    assert problems == [
        "Field 1: the key is lower-case letters, digits and _ , starting with a letter.",
        "Field 2 (level): give a label of at most 80 characters.",
        "Field 2 (level): choose a kind.",
        "Field 3: the key level is used twice.",
        "Field 3 (level): list the choices.",
    ]
    assert ReportTemplate.objects.filter(information_type=itype).count() == 1


def test_ir_5_a_template_saved_unchanged_makes_no_version(world, seeded):
    itype = _type(world, "honours")
    current = catalogue.current_template(itype)
    assert current is not None
    with pytest.raises(DomainError) as error:
        catalogue.template_new_version(actor=world.hq, information_type=itype, fields=current.fields)
    assert error.value.code == "reporting.template_unchanged"


# --- HQ edits ----------------------------------------------------------------------------------------------


def test_ir_3_hq_edits_a_type_and_its_deadline_follows(world, seeded):
    # given the monthly business report due by the 10th
    monthly = _type(world, "monthly_business")
    # when HQ moves it to the 8th and renames it
    catalogue.information_type_update(actor=world.hq, information_type=monthly, deadline_day=8, name="月报")
    # then the type says so, its next deadline is the 8th, and the change is in the audit trail
    monthly.refresh_from_db()
    assert (monthly.name, monthly.deadline_day) == ("月报", 8)
    rules = rules_for_company(world.company.pk)
    assert deadlines.due_at(monthly, period_start=date(2026, 11, 1), rules=rules) == datetime(
        2026, 12, 8, 23, 59, 59, tzinfo=SHANGHAI
    )
    entry = AuditEntry.objects.get(object_type="reporting.informationtype", object_id=str(monthly.pk))
    assert entry.changes["deadline_day"] == [10, 8]
    assert entry.changes["name"] == ["物业公司月报", "月报"]


def test_ir_3_a_type_without_the_numbers_its_deadline_needs_is_refused(world, seeded):
    monthly = _type(world, "monthly_business")
    with pytest.raises(DomainError) as error:
        catalogue.information_type_update(actor=world.hq, information_type=monthly, deadline_day=None)
    assert set(error.value.fields) == {"deadline_day"}
    litigation = _type(world, "litigation")
    with pytest.raises(DomainError) as error:
        catalogue.information_type_update(actor=world.hq, information_type=litigation, is_expected=True)
    assert set(error.value.fields) == {"is_expected"}
    assert _type(world, "monthly_business").deadline_day == 10


def test_ir_3_only_hq_edits_the_catalogue(world, seeded):
    monthly = _type(world, "monthly_business")
    for user in (world.branch_manager, world.pm_a, world.outsider, world.owner_a, world.nobody):
        with pytest.raises(PermissionDenied):
            catalogue.information_type_update(actor=user, information_type=monthly, deadline_day=5)
        with pytest.raises(PermissionDenied):
            catalogue.template_new_version(actor=user, information_type=monthly, fields=[])
    assert _type(world, "monthly_business").deadline_day == 10


def test_ir_3_at_once_is_configurable_by_the_rules(world, seeded, english):
    # when HQ says "at once" means 12 hours
    catalogue.reporting_rules_update(
        actor=world.hq,
        company=world.company,
        at_once_hours=12,
        reminder_days=[1, 3, 3],
        escalate_after_days=2,
    )
    # then instant types without hours of their own are due 12 hours after the event; class 1 keeps 24
    rules = rules_for_company(world.company.pk)
    assert (rules.at_once_hours, rules.reminder_days, rules.escalate_after_days) == (12, [3, 1], 2)
    occurred = datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    litigation, class_1 = _type(world, "litigation"), _type(world, "emergency_class1")
    assert deadlines.due_at(litigation, occurred_at=occurred, rules=rules) == datetime(
        2026, 12, 2, 20, 0, tzinfo=SHANGHAI
    )
    assert deadlines.due_at(class_1, occurred_at=occurred, rules=rules) == datetime(
        2026, 12, 3, 8, 0, tzinfo=SHANGHAI
    )
    assert catalogue.deadline_words(litigation, rules) == "At once (within 12 hours)"


def test_ir_3_rules_out_of_range_are_refused(world, seeded):
    with pytest.raises(DomainError) as error:
        catalogue.reporting_rules_update(
            actor=world.hq, company=world.company, at_once_hours=0, reminder_days=[90], escalate_after_days=1
        )
    assert set(error.value.fields) == {"at_once_hours", "reminder_days"}
    with pytest.raises(PermissionDenied):
        catalogue.reporting_rules_update(
            actor=world.branch_manager,
            company=world.company,
            at_once_hours=12,
            reminder_days=[],
            escalate_after_days=1,
        )


def test_ir_3_a_new_template_version_leaves_an_old_report_on_its_version(world, seeded):
    # given a report filled in version 1 of the monthly business report
    monthly = _type(world, "monthly_business")
    v1 = catalogue.current_template(monthly)
    assert v1 is not None
    report = _report(world, monthly, template=v1)
    # when HQ adds a required field (a new version)
    fields = [
        *v1.fields,
        {"key": "owners_committees", "label": "业委会数", "type": "number", "required": True},
    ]
    v2 = catalogue.template_new_version(actor=world.hq, information_type=monthly, fields=fields)
    # then the type's template is version 2 with the new field, and the old report keeps version 1 as it was
    assert v2.version == 2
    assert catalogue.current_template(monthly) == v2
    assert "owners_committees" in catalogue.required_fields(v2)
    report.refresh_from_db()
    assert report.template == v1
    assert report.template is not None
    assert report.template.version == 1
    assert "owners_committees" not in catalogue.required_fields(report.template)
    assert report.template.fields == v1.fields
    assert (
        AuditEntry.objects.filter(object_type="reporting.reporttemplate", object_id=str(v2.pk)).count() == 1
    )


# --- pages --------------------------------------------------------------------------------------------------


def test_ir_3_every_staff_member_reads_the_catalogue_on_a_phone_friendly_page(world, seeded, login):
    page = login(world.pm_a).get(reverse("reporting:catalogue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="type-row"') == 14
    assert "table--stack" in html
    assert "data-label=" in html
    assert "物业公司月报" in html
    assert 'data-testid="rules-form"' not in html


def test_ir_3_hq_sees_the_rules_form_and_saves_the_rules(world, seeded, login):
    client = login(world.hq)
    assert 'data-testid="rules-form"' in client.get(reverse("reporting:catalogue")).content.decode()
    response = client.post(
        reverse("reporting:catalogue_rules"),
        {"at_once_hours": "12", "reminder_days": "3，1", "escalate_after_days": "1"},
    )
    assert response.status_code == 302
    assert rules_for_company(world.company.pk).at_once_hours == 12
    bad = client.post(
        reverse("reporting:catalogue_rules"),
        {"at_once_hours": "12", "reminder_days": "x", "escalate_after_days": "1"},
    )
    assert bad.status_code == 400


def test_ir_3_hq_fills_an_empty_catalogue_from_the_page(world, login):
    client = login(world.hq)
    assert 'data-testid="seed-form"' in client.get(reverse("reporting:catalogue")).content.decode()
    assert client.post(reverse("reporting:catalogue_seed")).status_code == 302
    assert InformationType.objects.filter(company=world.company).count() == 14


def test_ir_3_hq_edits_a_type_on_its_page(world, seeded, login):
    client = login(world.hq)
    url = reverse("reporting:catalogue_type", args=["monthly_business"])
    page = client.get(url).content.decode()
    assert 'data-testid="type-form"' in page
    assert 'data-testid="template-form"' in page
    data = {
        "name": "物业公司月报",
        "name_en": "Monthly business report",
        "info_class": "periodic",
        "content": "各地物业公司业务动态",
        "scope": "branch",
        "scope_note": "",
        "deadline_rule": "monthly_by_day",
        "deadline_day": "9",
        "position": "10",
        "is_expected": "on",
        "is_active": "on",
    }
    response = client.post(reverse("reporting:catalogue_type_edit", args=["monthly_business"]), data)
    assert response.status_code == 302
    assert _type(world, "monthly_business").deadline_day == 9
    refused = client.post(
        reverse("reporting:catalogue_type_edit", args=["monthly_business"]), {**data, "deadline_day": ""}
    )
    assert refused.status_code == 400
    assert _type(world, "monthly_business").deadline_day == 9


def _formset(fields, *, attachments="0"):
    data = {
        "fields-TOTAL_FORMS": str(len(fields)),
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "40",
        "attachments_required": attachments,
        "attachment_note": "",
    }
    for number, field in enumerate(fields):
        for name, value in field.items():
            data[f"fields-{number}-{name}"] = value
    return data


def test_ir_5_hq_saves_a_template_as_a_new_version_on_the_page(world, seeded, login):
    client = login(world.hq)
    url = reverse("reporting:catalogue_template", args=["honours"])
    data = _formset(
        [
            {"key": "honour", "label": "荣誉名称", "type": "text", "required": "on"},
            {"key": "level", "label": "级别", "type": "choice", "choices": "国家级，省级, 市级"},
            {"key": "dropped", "label": "删掉", "type": "text", "DELETE": "on"},
            {"key": "", "label": "", "type": "text", "unit": "", "choices": ""},  # a blank extra form
        ],
        attachments="1",
    )
    response = client.post(url, data)
    assert response.status_code == 302
    template = catalogue.current_template(_type(world, "honours"))
    assert template is not None
    assert template.version == 2
    assert [f["key"] for f in template.fields] == ["honour", "level"]
    assert template.fields[1]["choices"] == ["国家级", "省级", "市级"]
    assert template.attachments_required == 1
    page = client.get(reverse("reporting:catalogue_type", args=["honours"])).content.decode()
    assert page.count('data-testid="version"') == 2


def test_ir_5_a_template_page_post_with_errors_shows_them(world, seeded, login):
    client = login(world.hq)
    response = client.post(
        reverse("reporting:catalogue_template", args=["honours"]),
        _formset([{"key": "level", "label": "级别", "type": "choice"}]),
    )
    assert response.status_code == 400
    assert catalogue.current_template(_type(world, "honours")).version == 1  # type: ignore[union-attr]


def test_ir_3_outsider_reads_the_catalogue_but_changes_nothing(world, seeded, login):
    client = login(world.outsider)
    page = client.get(reverse("reporting:catalogue_type", args=["monthly_business"]))
    assert page.status_code == 200
    assert 'data-testid="type-form"' not in page.content.decode()
    assert (
        client.post(reverse("reporting:catalogue_type_edit", args=["monthly_business"]), {}).status_code
        == 403
    )
    assert (
        client.post(reverse("reporting:catalogue_template", args=["monthly_business"]), {}).status_code == 403
    )
    assert client.post(reverse("reporting:catalogue_rules"), {}).status_code == 403
    assert client.post(reverse("reporting:catalogue_seed")).status_code == 403
    assert _type(world, "monthly_business").deadline_day == 10


def test_ir_3_nobody_an_owner_and_anonymous_see_no_catalogue(world, seeded, login, client):
    urls = [reverse("reporting:catalogue"), reverse("reporting:catalogue_type", args=["monthly_business"])]
    for user in (world.nobody, world.owner_a):
        for url in urls:
            assert login(user).get(url).status_code == 403, (user, url)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_ir_3_an_unknown_or_inactive_type_is_not_found(world, seeded, login):
    catalogue.information_type_update(
        actor=world.hq, information_type=_type(world, "honours"), is_active=False
    )
    assert login(world.pm_a).get(reverse("reporting:catalogue_type", args=["honours"])).status_code == 404
    assert login(world.pm_a).get(reverse("reporting:catalogue_type", args=["nothing"])).status_code == 404
    assert login(world.hq).get(reverse("reporting:catalogue_type", args=["honours"])).status_code == 200


# --- API ----------------------------------------------------------------------------------------------------


def test_ir_3_api_lists_the_catalogue_with_deadlines_in_words(world, seeded):
    response = api_for(world.branch_manager).get("/api/reporting/types/")
    assert response.status_code == 200
    body = response.json()
    assert [row["code"] for row in body] == [row[0] for row in SEED_TABLE]
    monthly = body[0]
    assert monthly["deadline"] == "By day 10 of the next month"
    assert (monthly["info_class"], monthly["scope"], monthly["is_expected"]) == ("periodic", "branch", True)


def test_ir_5_api_shows_a_type_with_its_template_versions(world, seeded):
    monthly = _type(world, "monthly_business")
    v1 = catalogue.current_template(monthly)
    assert v1 is not None
    catalogue.template_new_version(
        actor=world.hq, information_type=monthly, fields=v1.fields[:3], attachments_required=1
    )
    body = api_for(world.pm_a).get("/api/reporting/types/monthly_business/").json()
    assert [t["version"] for t in body["templates"]] == [2, 1]
    assert [f["key"] for f in body["templates"][0]["fields"]] == [
        "managed_area",
        "projects_in_service",
        "operations",
    ]
    assert body["templates"][0]["attachments_required"] == 1
    assert api_for(world.pm_a).get("/api/reporting/types/nothing/").status_code == 404


def test_ir_3_api_refuses_nobody_an_owner_and_anonymous(world, seeded, client):
    for user in (world.nobody, world.owner_a):
        assert api_for(user).get("/api/reporting/types/").status_code == 403
        assert api_for(user).get("/api/reporting/types/monthly_business/").status_code == 403
    assert client.get("/api/reporting/types/").status_code == 401
    # the outsider, staff of the same company, reads the catalogue (it holds nothing of branch A)
    assert api_for(world.outsider).get("/api/reporting/types/").status_code == 200


def test_ir_3_the_catalogue_page_type_page_and_api_make_as_many_queries_with_many_rows(world, seeded, login):
    from estatedesk.common.testing import assert_queries_do_not_grow

    def add_types():
        for number in range(5):
            InformationType.objects.create(
                company=world.company,
                code=f"extra_{number}",
                name=f"附加信息{number}",
                info_class=InfoClass.INSTANT,
                scope=ReportingScope.BRANCH,
                deadline_rule=DeadlineRule.WITHIN_HOURS,
                position=200 + number,
            )
        return [f"附加信息{number}" for number in range(5)]

    client = login(world.hq)
    assert_queries_do_not_grow(client, reverse("reporting:catalogue"), add_types, ceiling=15)
    InformationType.objects.filter(code__startswith="extra_").delete()
    assert_queries_do_not_grow(client, "/api/reporting/types/", add_types, ceiling=15)

    monthly = _type(world, "monthly_business")

    def add_versions():
        template = catalogue.current_template(monthly)
        assert template is not None
        labels = []
        for number in range(4):
            label = f"新增栏目{number}"
            fields = [*template.fields, {"key": f"extra_{number}", "label": label, "type": "text"}]
            template = catalogue.template_new_version(actor=world.hq, information_type=monthly, fields=fields)
            _report(world, monthly, template=template, period=date(2026, number + 1, 1))
            labels.append(label)
        return labels

    url = reverse("reporting:catalogue_type", args=["monthly_business"])
    assert_queries_do_not_grow(client, url, add_versions, ceiling=15, read=_versions_text)


def _versions_text(response):
    """The versions listed (the template editor shows the current version's fields too)."""
    html = response.content.decode()
    return html[html.index('data-testid="versions"') : html.index('data-testid="template-edit"')]
