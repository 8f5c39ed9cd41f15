"""The metrics layer against hand-computed values (R-FB-7 the monthly summary, R-FB-2 the SLA clocks, R-RV-5
回访满意率, R-RV-4 nonconformities, R-SV-2 return rate, R-SV-4 survey satisfaction, R-IR-1 reporting score):
every figure of the fixed month (conftest.month_world + dataset.py) for the company, a branch, a project and
their units, the month before and a year earlier, quarter / year / custom periods, a bounded number of
queries, and agreement with the domain pages' own functions for the same scope and month."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _

from estatedesk.analytics.metrics import (
    COUNT,
    FIGURES,
    UNIT_FIGURES,
    Figure,
    metrics_compute,
    metrics_report,
    metrics_trend,
    unit_key,
)
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import branch_scope, company_scope, project_scope, reader
from estatedesk.analytics.tests.conftest import NOVEMBER, NOW, local
from estatedesk.analytics.tests.dataset import dataset  # noqa: F401 - the fixture
from estatedesk.feedback.choices import Channel, Kind, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.statistics.selectors import month_statistics
from estatedesk.org.models import Branch, Project
from estatedesk.quality.figures import nonconformity_figures
from estatedesk.quality.models import Nonconformity
from estatedesk.reporting import scoring
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.figures import visit_figures
from estatedesk.visits.models import ReturnVisit

MONTH = Period.month(NOVEMBER)


def values(metrics, *keys):
    return {key: metrics[key].value for key in keys}


def texts(metrics, *keys):
    return {key: metrics[key].text for key in keys}


@pytest.fixture
def company(dataset):  # noqa: F811
    return metrics_compute(scope=company_scope(dataset.company), period=MONTH, now=NOW)


# --- feedback (R-FB-7, R-FB-2) -----------------------------------------------------------------------------


def test_fb_7_month_summary_counts_of_the_company(company):
    assert values(
        company,
        "feedback.total",
        "feedback.open",
        "feedback.closed",
        "feedback.major",
        "feedback.hot",
        "feedback.overdue_now",
    ) == {
        "feedback.total": 11,
        "feedback.open": 4,
        "feedback.closed": 6,
        "feedback.major": 2,
        "feedback.hot": 2,
        "feedback.overdue_now": 3,
    }


def test_fb_7_month_summary_breakdowns_list_every_choice_in_order_with_zeros(company):
    by_channel = {share.value: share.count for share in company.breakdowns["feedback.by_channel"]}
    assert [share.value for share in company.breakdowns["feedback.by_channel"]] == list(Channel.values)
    assert {value: n for value, n in by_channel.items() if n} == {
        "hotline": 6,
        "qr": 2,
        "portal": 1,
        "walk_in": 1,
        "email": 1,
    }
    by_kind = {share.value: share.count for share in company.breakdowns["feedback.by_kind"]}
    assert [share.value for share in company.breakdowns["feedback.by_kind"]] == list(Kind.values)
    assert {value: n for value, n in by_kind.items() if n} == {
        "complaint": 6,
        "repair": 2,
        "inquiry": 1,
        "suggestion": 1,
        "praise": 1,
    }
    by_category = {s.value: s.count for s in company.breakdowns["feedback.by_category"] if s.count}
    assert by_category == {
        "engineering": 4,
        "order": 2,
        "cleaning": 1,
        "fees": 1,
        "greening": 1,
        "staff_attitude": 1,
        "customer_service": 1,
    }
    by_status = {s.value: s.count for s in company.breakdowns["feedback.by_status"] if s.count}
    assert by_status == {
        "closed": 6,
        "registered": 2,
        "supervisor_contacted": 1,
        "in_progress": 1,
        "cancelled": 1,
    }
    assert [s.value for s in company.breakdowns["feedback.by_status"]] == list(Status.values)
    hotline = company.breakdowns["feedback.by_channel"][list(Channel.values).index("hotline")]
    assert hotline.percent == Decimal("54.55")  # 6 ÷ 11 = 54.545…


def test_fb_7_an_unknown_value_is_listed_after_the_choices(dataset):  # noqa: F811
    FeedbackItem.objects.filter(pk=dataset.items["A1"].pk).update(channel="fax")

    metrics = metrics_compute(scope=company_scope(dataset.company), period=MONTH, now=NOW)

    shares = metrics.breakdowns["feedback.by_channel"]
    assert [share.value for share in shares] == [*Channel.values, "fax"]
    assert (shares[-1].label, shares[-1].count) == ("fax", 1)


def test_fb_2_contact_on_time_rate_is_met_over_met_and_breached(company):
    contact = company["feedback.contact.on_time"]
    # met A1 A3 A5 B1 C1 C2; breached: late A2 B2, overdue A4 C3; the cancelled A6 is neither
    assert (company["feedback.contact.met"].value, company["feedback.contact.breached"].value) == (6, 4)
    assert (contact.value, contact.numerator, contact.denominator, contact.text) == (
        Decimal("60.00"),
        6,
        10,
        "60.00%",
    )


def test_fb_2_resolution_on_time_leaves_the_running_clock_out(company):
    # met A1 A2 B1 C1 C2; breached A3 (late) A4 B2 C3 (overdue); A5 running (due 10 December)
    figure = company["feedback.resolution.on_time"]
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("55.56"), 5, 9)


def test_fb_2_clocks_never_started_are_undefined_not_zero(company):
    for clock in ("arrange", "action"):
        figure = company[f"feedback.{clock}.on_time"]
        assert (figure.value, figure.text, figure.denominator) == (None, "—", 0)


def test_fb_7_handling_hours_and_owners_ratings(company):
    # (24 + 36 + 48 + 24 + 12 + 6) ÷ 6 closed items = 25.0 hours; ratings A 3, B 1, C 1 → 4 ÷ 5
    assert (company["feedback.handling_hours"].value, company["feedback.handling_hours"].text) == (
        Decimal("25.0"),
        "25.0",
    )
    assert values(company, "feedback.rating_a", "feedback.rating_b", "feedback.rating_c") == {
        "feedback.rating_a": 3,
        "feedback.rating_b": 1,
        "feedback.rating_c": 1,
    }
    assert company["feedback.rating_satisfaction"].value == Decimal("80.00")


# --- return visits (R-RV-5), nonconformities (R-RV-4) -------------------------------------------------------


def test_rv_5_visit_satisfaction_and_coverage(company):
    assert values(company, "visits.due", "visits.graded", "visits.a", "visits.b", "visits.c") == {
        "visits.due": 8,  # V6 cancelled: left out
        "visits.graded": 7,
        "visits.a": 3,
        "visits.b": 2,
        "visits.c": 2,
    }
    assert texts(company, "visits.coverage", "visits.satisfaction") == {
        "visits.coverage": "87.50%",  # 7 ÷ 8
        "visits.satisfaction": "71.43%",  # (3 + 2) ÷ 7 = 71.428…
    }
    assert [(s.value, s.count, s.percent) for s in company.breakdowns["visits.by_grade"]] == [
        (Grade.A, 3, Decimal("42.86")),
        (Grade.B, 2, Decimal("28.57")),
        (Grade.C, 2, Decimal("28.57")),
    ]


def test_rv_4_nonconformities_raised_closed_open_and_overdue_actions(company):
    assert values(company, "quality.raised", "quality.closed", "quality.open", "quality.overdue_actions") == {
        "quality.raised": 2,  # NC1, NC2 (NC3 was raised in October)
        "quality.closed": 1,  # NC2
        "quality.open": 2,  # NC1 in progress, NC3 in analysis
        "quality.overdue_actions": 1,  # NC1's action, due 25 November
    }
    stages = {s.value: s.count for s in company.breakdowns["quality.open_by_stage"]}
    assert stages == {"draft": 0, "analysis": 1, "action_plan": 0, "in_progress": 1, "verification": 0}


# --- surveys (R-SV-2, R-SV-4) -------------------------------------------------------------------------------


def test_sv_4_survey_satisfaction_excludes_unrated(company):
    assert values(
        company, "surveys.campaigns", "surveys.qualified", "surveys.unsatisfied", "surveys.unrated"
    ) == {
        "surveys.campaigns": 1,  # the cancelled JN-C campaign and October's are left out
        "surveys.qualified": 23,
        "surveys.unsatisfied": 9,
        "surveys.unrated": 16,
    }
    figure = company["surveys.satisfaction"]
    # 23 ÷ (23 + 9) = 71.875 → 71.88 (with the 16 unrated in the denominator it would be 47.92)
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("71.88"), 23, 32)


def test_sv_2_return_rate(company):
    figure = company["surveys.return_rate"]
    assert (company["surveys.handed_out"].value, company["surveys.returned"].value) == (14, 12)
    assert (figure.value, figure.text) == (Decimal("85.71"), "85.71%")  # 12 ÷ 14 = 85.714…


# --- reporting (R-IR-1) -------------------------------------------------------------------------------------


def test_ir_1_reporting_score_of_the_company(company):
    assert values(
        company,
        "reporting.expected",
        "reporting.on_time",
        "reporting.timeliness",
        "reporting.completeness",
        "reporting.quality",
        "reporting.score",
    ) == {
        "reporting.expected": 3,
        "reporting.on_time": 1,
        "reporting.timeliness": Decimal("33.33"),
        "reporting.completeness": Decimal("66.67"),
        "reporting.quality": Decimal("90.00"),
        # (40 × 100/3 + 30 × 200/3 + 30 × 90) ÷ 100 = 181/3 = 60.333…
        "reporting.score": Decimal("60.33"),
    }


def test_ir_1_a_branch_pools_its_own_reports_with_its_projects(company):
    rows = {row.unit.code: row for row in company.units}
    # QD: its own monthly report (on time, complete, 90) and QD-A's missing emergency report
    # → (40 × 50 + 30 × 50 + 30 × 90) ÷ 100 = 62.00; JN: one late complete report, none scored
    # → the total weighs timeliness and completeness only: (40 × 0 + 30 × 100) ÷ 70 = 42.857…
    assert rows["QD"].figures["reporting.score"].value == Decimal("62.00")
    assert rows["JN"].figures["reporting.score"].value == Decimal("42.86")


# --- units --------------------------------------------------------------------------------------------------


def test_fb_7_the_company_is_broken_down_by_branch(company):
    assert [(row.unit.kind, row.unit.code, unit_key(row.unit)) for row in company.units] == [
        ("branch", "JN", "branch:JN"),
        ("branch", "QD", "branch:QD"),
    ]
    rows = {row.unit.code: {key: figure.text for key, figure in row.figures.items()} for row in company.units}
    assert rows["QD"] == {
        "feedback.total": "8",
        "feedback.contact.on_time": "57.14%",
        "feedback.handling_hours": "33.0",
        "visits.satisfaction": "80.00%",
        "visits.c": "1",
        "quality.open": "2",
        "surveys.satisfaction": "71.88%",
        "reporting.score": "62.00",
    }
    assert rows["JN"] == {
        "feedback.total": "3",
        "feedback.contact.on_time": "66.67%",
        "feedback.handling_hours": "9.0",
        "visits.satisfaction": "50.00%",
        "visits.c": "1",
        "quality.open": "0",
        "surveys.satisfaction": "—",
        "reporting.score": "42.86",
    }
    assert all(tuple(row.figures) == UNIT_FIGURES for row in company.units)


def test_fb_7_a_branch_is_broken_down_by_project(dataset):  # noqa: F811
    metrics = metrics_compute(scope=branch_scope(dataset.branch_a), period=MONTH, now=NOW)

    rows = {row.unit.code: row.figures for row in metrics.units}
    assert list(rows) == ["QD-A", "QD-B"]
    assert {code: figures["feedback.total"].value for code, figures in rows.items()} == {"QD-A": 6, "QD-B": 2}
    assert rows["QD-A"]["feedback.contact.on_time"].text == "60.00%"  # 3 ÷ 5
    assert rows["QD-A"]["feedback.handling_hours"].text == "36.0"  # (24 + 36 + 48) ÷ 3
    assert rows["QD-A"]["visits.satisfaction"].text == "75.00%"  # A 2 B 1 C 1
    assert rows["QD-B"]["visits.satisfaction"].text == "100.00%"
    assert (rows["QD-A"]["quality.open"].value, rows["QD-B"]["quality.open"].value) == (1, 1)
    # the branch's own monthly report belongs to no project: only QD-A's missing report is a project's
    assert rows["QD-A"]["reporting.score"].value == Decimal("0.00")
    assert rows["QD-B"]["reporting.score"].value is None
    assert metrics["reporting.expected"].value == 2  # the branch's figure counts its own report too


def test_fb_7_a_project_is_broken_down_by_department(dataset):  # noqa: F811
    metrics = metrics_compute(scope=project_scope(dataset.project_a), period=MONTH, now=NOW)

    rows = {unit_key(row.unit): row for row in metrics.units}
    cs, qa, engineering = dataset.cs, dataset.qa, dataset.engineering
    assert list(rows) == [
        f"department:{cs.pk}",
        f"department:{qa.pk}",
        f"department:{engineering.pk}",  # the branch's department, named by A3
        "department:none",
    ]
    assert rows["department:none"].unit.name == str(_("No department"))
    table = {
        key: {name: row.figures[name].text for name in ("feedback.total", "feedback.contact.on_time",
                                                         "feedback.handling_hours", "visits.satisfaction",
                                                         "visits.c", "quality.open", "surveys.satisfaction")}
        for key, row in rows.items()
    }  # fmt: skip
    assert table[f"department:{cs.pk}"] == {
        "feedback.total": "2",
        "feedback.contact.on_time": "50.00%",
        "feedback.handling_hours": "30.0",
        "visits.satisfaction": "100.00%",
        "visits.c": "0",
        "quality.open": "0",
        "surveys.satisfaction": "—",
    }
    assert table[f"department:{engineering.pk}"]["feedback.contact.on_time"] == "100.00%"
    assert table[f"department:{engineering.pk}"]["feedback.handling_hours"] == "48.0"
    assert table[f"department:{qa.pk}"]["feedback.total"] == "0"
    assert table["department:none"] == {
        "feedback.total": "3",
        "feedback.contact.on_time": "50.00%",
        "feedback.handling_hours": "—",
        "visits.satisfaction": "66.67%",
        "visits.c": "1",
        "quality.open": "1",
        "surveys.satisfaction": "71.88%",
    }
    # reports have no department: no department row carries them
    assert all(row.figures["reporting.score"].value is None for row in metrics.units)


def test_fb_7_a_project_has_a_no_department_row_only_when_some_rows_name_none(dataset):  # noqa: F811
    own = dataset.project_a2.departments.get()  # QD-B's customer service department (the world's)
    scope = project_scope(dataset.project_a2)

    # B1, B2 and V7 name no department, nor does NC3 (open now, raised in October)
    busy = metrics_compute(scope=scope, period=MONTH, now=NOW)
    assert [unit_key(row.unit) for row in busy.units] == [f"department:{own.pk}", "department:none"]
    assert busy.units[-1].figures["feedback.total"].value == 2  # noqa: PLR2004
    assert busy.units[-1].figures["quality.open"].value == 1

    FeedbackItem.objects.filter(project=dataset.project_a2).update(department=own)
    ReturnVisit.objects.filter(project=dataset.project_a2).update(handler_department=own)
    Nonconformity.objects.filter(project=dataset.project_a2).update(department=own)
    named = metrics_compute(scope=scope, period=MONTH, now=NOW)
    assert [unit_key(row.unit) for row in named.units] == [f"department:{own.pk}"]
    assert named.units[0].figures["feedback.total"].value == 2  # noqa: PLR2004


# --- a branch holds nothing of another ----------------------------------------------------------------------


def test_fb_7_a_branch_scope_holds_nothing_of_the_other_branch(dataset):  # noqa: F811
    metrics = metrics_compute(scope=branch_scope(dataset.branch_a), period=MONTH, now=NOW)

    assert values(
        metrics,
        "feedback.total",
        "feedback.open",
        "feedback.closed",
        "feedback.major",
        "feedback.hot",
        "feedback.overdue_now",
        "visits.due",
        "visits.graded",
        "quality.raised",
        "quality.closed",
        "quality.open",
        "quality.overdue_actions",
        "surveys.campaigns",
        "reporting.expected",
    ) == {
        "feedback.total": 8,
        "feedback.open": 3,
        "feedback.closed": 4,
        "feedback.major": 2,
        "feedback.hot": 1,
        "feedback.overdue_now": 2,
        "visits.due": 6,
        "visits.graded": 5,
        "quality.raised": 1,
        "quality.closed": 0,
        "quality.open": 2,
        "quality.overdue_actions": 1,
        "surveys.campaigns": 1,
        "reporting.expected": 2,
    }
    assert texts(
        metrics,
        "feedback.contact.on_time",
        "feedback.resolution.on_time",
        "feedback.handling_hours",
        "feedback.rating_satisfaction",
        "visits.coverage",
        "visits.satisfaction",
    ) == {
        "feedback.contact.on_time": "57.14%",
        "feedback.resolution.on_time": "50.00%",
        "feedback.handling_hours": "33.0",
        "feedback.rating_satisfaction": "75.00%",
        "visits.coverage": "83.33%",
        "visits.satisfaction": "80.00%",
    }
    assert [unit_key(row.unit) for row in metrics.units] == ["project:QD-A", "project:QD-B"]


def test_fb_7_the_other_branch_sees_only_its_own(dataset):  # noqa: F811
    metrics = metrics_compute(scope=branch_scope(dataset.branch_b), period=MONTH, now=NOW)

    assert values(metrics, "feedback.total", "visits.due", "quality.open", "surveys.campaigns") == {
        "feedback.total": 3,
        "visits.due": 2,
        "quality.open": 0,
        "surveys.campaigns": 0,  # its only campaign was cancelled
    }
    assert metrics["surveys.satisfaction"].text == "—"
    assert metrics["reporting.score"].value == Decimal("42.86")


def test_fb_7_another_company_is_not_counted(dataset):  # noqa: F811
    from estatedesk.org.models import Company

    other = Company.objects.create(code="ZZ", name="另一家物业")
    branch = Branch.objects.create(company=other, code="ZZ1", name="别处分公司")
    project = Project.objects.create(branch=branch, code="ZZ-1", name="别处小区")
    FeedbackItem.objects.create(
        reference="ZZ-1",
        project=project,
        channel=Channel.HOTLINE,
        kind=Kind.COMPLAINT,
        category="engineering",
        title="t",
        description="d",
        status=Status.REGISTERED,
        registered_at=local(2026, 11, 3, 9),
    )

    metrics = metrics_compute(scope=company_scope(dataset.company), period=MONTH, now=NOW)

    assert metrics["feedback.total"].value == 11


# --- the periods beside it ----------------------------------------------------------------------------------


def test_fb_7_previous_month_and_a_year_earlier(dataset):  # noqa: F811
    report = metrics_report(scope=company_scope(dataset.company), period=MONTH, now=NOW)

    assert report.previous.period == Period.month(date(2026, 10, 1))
    assert report.year_earlier.period == Period.month(date(2025, 11, 1))
    # October: P1 (closed after 10 h, contact met, rated A), NC3 raised, the October campaign (1 satisfied)
    assert values(
        report.previous,
        "feedback.total",
        "feedback.handling_hours",
        "feedback.contact.on_time",
        "quality.raised",
        "surveys.campaigns",
        "surveys.satisfaction",
        "visits.due",
    ) == {
        "feedback.total": 1,
        "feedback.handling_hours": Decimal("10.0"),
        "feedback.contact.on_time": Decimal("100.00"),
        "quality.raised": 1,
        "surveys.campaigns": 1,
        "surveys.satisfaction": Decimal("100.00"),
        "visits.due": 0,
    }
    assert report.previous["visits.satisfaction"].text == "—"
    # November 2025: Y1 (20 h)
    assert values(report.year_earlier, "feedback.total", "feedback.handling_hours", "reporting.expected") == {
        "feedback.total": 1,
        "feedback.handling_hours": Decimal("20.0"),
        "reporting.expected": 0,
    }
    assert report.year_earlier["reporting.score"].text == "—"
    assert report.current["feedback.total"].value == 11


def test_fb_7_quarter_year_and_custom_periods(dataset):  # noqa: F811
    scope = company_scope(dataset.company)
    quarter = metrics_compute(scope=scope, period=Period.quarter(2026, 4), now=NOW)
    year = metrics_compute(scope=scope, period=Period.year(2026), now=NOW)
    # 3 to 10 November, both included: A1 (3rd), B1 (5th), C1 (8th), C2 (9th), A2 (10th, 09:00)
    custom = metrics_compute(
        scope=scope, period=Period.custom(date(2026, 11, 3), date(2026, 11, 10)), now=NOW
    )
    assert (quarter["feedback.total"].value, year["feedback.total"].value) == (12, 12)  # + P1 of October
    assert quarter["quality.raised"].value == 3  # NC1, NC2 and October's NC3
    assert year["feedback.handling_hours"].value == Decimal("22.9")  # (150 + 10) ÷ 7 = 22.857…
    assert custom["feedback.total"].value == 5
    assert custom["visits.due"].value == 4  # V1 (4th), V2 (6th), V3 (9th), V8 (10th)
    previous = metrics_compute(
        scope=scope, period=Period.custom(date(2026, 10, 26), date(2026, 11, 2)), now=NOW
    )
    assert previous["feedback.total"].value == 0
    assert Period.custom(date(2026, 11, 3), date(2026, 11, 10)).previous() == Period.custom(
        date(2026, 10, 26), date(2026, 11, 2)
    )


def test_fb_7_trend_month_by_month(dataset):  # noqa: F811
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    scope = company_scope(dataset.company)
    with CaptureQueriesContext(connection) as captured:
        trend = metrics_trend(scope=scope, months=months, now=NOW)
    assert len(captured) == 1
    assert [(month, figures["feedback.total"].value) for month, figures in trend] == [
        (date(2026, 9, 1), 0),
        (date(2026, 10, 1), 1),
        (date(2026, 11, 1), 11),
    ]
    assert trend[2][1]["feedback.contact.on_time"].value == Decimal("60.00")
    assert trend[0][1]["feedback.contact.on_time"].text == "—"


# --- what it reads as of now, how it prints -----------------------------------------------------------------


def test_fb_7_figures_that_read_the_present_are_marked(company):
    assert {key for key, definition in FIGURES.items() if definition.as_of_now} == {
        "feedback.open",
        "feedback.overdue_now",
        "quality.open",
        "quality.overdue_actions",
    }  # a clock done late after a pack was sent is a correction of that month's rate: not "as of now"
    assert list(company.figures) == list(FIGURES)


def test_fb_7_texts_and_json():
    assert Figure("feedback.total", 1234).text == "1,234"
    assert Figure("visits.coverage", Decimal("93.33"), 14, 15).text == "93.33%"
    assert Figure("feedback.handling_hours", Decimal("12.5")).text == "12.5"
    assert Figure("reporting.score", Decimal("60.33")).text == "60.33"
    assert Figure("visits.satisfaction", None, 0, 0).text == "—"
    assert Figure("visits.coverage", Decimal("93.33"), 14, 15).to_dict() == {
        "key": "visits.coverage",
        "label": str(FIGURES["visits.coverage"].label),
        "unit": "percent",
        "source": "visits",
        "as_of_now": False,
        "value": "93.33",
        "text": "93.33%",
        "numerator": 14,
        "denominator": 15,
    }


def test_fb_7_the_report_as_json(dataset):  # noqa: F811
    report = metrics_report(scope=company_scope(dataset.company), period=MONTH, now=NOW)

    data = json.loads(json.dumps(report.to_dict()))

    current = data["current"]
    assert current["scope"] == {"key": "company", "kind": "company", "label": "安居物业"}
    assert current["period"]["text"] == "2026-11"
    assert current["figures"]["feedback.contact.on_time"]["value"] == "60.00"
    assert current["figures"]["feedback.total"]["value"] == 11
    assert current["units"][1]["key"] == "branch:QD"
    assert current["units"][1]["figures"]["feedback.total"]["text"] == "8"
    grade_a = {"value": "A", "label": str(Grade.A.label), "count": 3, "percent": "42.86"}
    assert current["breakdowns"]["visits.by_grade"][0] == grade_a
    assert data["previous"]["period"]["text"] == "2026-10"
    assert data["year_earlier"]["period"]["text"] == "2025-11"
    assert all(key in current["figures"] for key in FIGURES)


# --- a bounded number of queries ----------------------------------------------------------------------------


def _more_rows(dataset, count: int) -> None:  # noqa: F811
    """Many more rows in every project: items, visits."""
    for n in range(count):
        project = (dataset.project_a, dataset.project_a2, dataset.project_b)[n % 3]
        at = local(2026, 11, 1 + n % 28, 9)
        FeedbackItem.objects.create(
            reference=f"MORE-{n}",
            project=project,
            channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT,
            category="engineering",
            title="t",
            description="d",
            status=Status.CLOSED,
            registered_at=at,
            contact_due_at=at + timedelta(hours=1),
            contacted_at=at + timedelta(minutes=n),
            closed_at=at + timedelta(hours=n),
            department=dataset.cs if project == dataset.project_a else None,
        )
        ReturnVisit.objects.create(
            project=project,
            purpose=Purpose.AD_HOC,
            status=VisitStatus.GRADED,
            grade=Grade.B,
            due_at=at,
        )


@pytest.mark.parametrize("kind", ["company", "branch", "project"])
def test_fb_7_queries_do_not_grow_with_the_rows(dataset, kind):  # noqa: F811
    scope = {
        "company": lambda: company_scope(dataset.company),
        "branch": lambda: branch_scope(dataset.branch_a),
        "project": lambda: project_scope(dataset.project_a),
    }[kind]()
    metrics_report(scope=scope, period=MONTH, now=NOW)  # the reporting rules exist from now on
    with CaptureQueriesContext(connection) as few:
        metrics_report(scope=scope, period=MONTH, now=NOW)
    _more_rows(dataset, 90)
    with CaptureQueriesContext(connection) as many:
        report = metrics_report(scope=scope, period=MONTH, now=NOW)
    assert report.current["feedback.total"].value > 11  # noqa: PLR2004
    assert len(many) == len(few)
    assert len(few) <= 3 * 15  # noqa: PLR2004 - about 13 a period, three periods


# --- the same numbers as the domain pages -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["company", "branch_a", "branch_b", "project_a"])
def test_fb_7_metrics_agree_with_the_domain_pages(dataset, kind):  # noqa: F811
    scope = {
        "company": lambda: company_scope(dataset.company),
        "branch_a": lambda: branch_scope(dataset.branch_a),
        "branch_b": lambda: branch_scope(dataset.branch_b),
        "project_a": lambda: project_scope(dataset.project_a),
    }[kind]()
    user = reader(scope)
    metrics = metrics_compute(scope=scope, period=MONTH, now=NOW)
    start, end = MONTH.bounds()

    statistics = month_statistics(user=user, month=NOVEMBER, now=NOW)
    assert metrics["feedback.total"].value == statistics.total
    assert metrics["feedback.closed"].value == statistics.closed
    assert metrics["feedback.open"].value == statistics.open
    for clock in statistics.clocks:
        assert metrics[f"feedback.{clock.clock}.met"].value == clock.met
        assert metrics[f"feedback.{clock.clock}.breached"].value == clock.breached
        assert metrics[f"feedback.{clock.clock}.on_time"].denominator == clock.decided
    for name in ("channel", "kind", "category", "status"):
        assert [(s.value, s.count) for s in metrics.breakdowns[f"feedback.by_{name}"]] == [
            (s.value, s.count) for s in getattr(statistics, f"by_{name}")
        ]
    if statistics.average_handling_seconds is not None:
        hours = Decimal(statistics.average_handling_seconds / 3600).quantize(Decimal("0.1"))
        assert metrics["feedback.handling_hours"].value == hours

    visits = visit_figures(user=user, start=start, end=end)
    assert (metrics["visits.due"].value, metrics["visits.graded"].value) == (visits.due, visits.graded)
    assert metrics["visits.coverage"].value == visits.coverage
    assert metrics["visits.satisfaction"].value == visits.satisfaction
    assert (metrics["visits.a"].value, metrics["visits.b"].value, metrics["visits.c"].value) == (
        visits.totals.a,
        visits.totals.b,
        visits.totals.c,
    )

    quality = nonconformity_figures(user=user, start=start, end=end, now=NOW)
    assert (metrics["quality.raised"].value, metrics["quality.closed"].value) == (
        quality.raised,
        quality.closed,
    )
    assert (metrics["quality.open"].value, metrics["quality.overdue_actions"].value) == (
        quality.open_total,
        quality.overdue_actions,
    )
    assert {s.value: s.count for s in metrics.breakdowns["quality.open_by_stage"]} == quality.open_by_stage

    card = scoring.scorecard(user=user, period=scoring.Period.month(NOVEMBER))
    assert metrics["reporting.expected"].value == card.headline.counts.expected
    assert metrics["reporting.timeliness"].value == card.headline.timeliness
    assert metrics["reporting.completeness"].value == card.headline.completeness
    assert metrics["reporting.quality"].value == card.headline.quality
    assert metrics["reporting.score"].value == card.headline.total


def test_sv_4_metrics_agree_with_the_campaigns_figures(dataset):  # noqa: F811
    from estatedesk.surveys.figures import campaign_figures
    from estatedesk.surveys.rates import percent

    figures = campaign_figures(dataset.campaign)
    metrics = metrics_compute(scope=project_scope(dataset.project_a), period=MONTH, now=NOW)

    assert metrics["surveys.satisfaction"].value == figures.overall.percent
    assert metrics["surveys.return_rate"].value == percent(figures.return_rate)
    assert (metrics["surveys.handed_out"].value, metrics["surveys.returned"].value) == (
        figures.handed_out,
        figures.returned,
    )
    assert metrics["surveys.unrated"].value == figures.overall.unrated


def test_fb_7_every_count_figure_is_an_int_and_every_rate_carries_its_counts(company):
    for key, definition in FIGURES.items():
        figure = company[key]
        if definition.unit == COUNT:
            assert isinstance(figure.value, int), key
        elif definition.unit == "percent":
            assert figure.denominator is not None, key
