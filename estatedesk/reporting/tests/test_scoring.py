"""Scoring of reports to HQ (R-IR-1) against hand-computed figures: timeliness, completeness, quality, the
weighted total, ranking, the year pooled from counts, half-up rounding at the end, "—" for a unit with
nothing expected, the reports behind each figure, and the API giving the page's numbers.

The reports are made here directly with the ORM (the catalogue and submissions are other modules)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import count
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership, Project
from estatedesk.reporting import scoring
from estatedesk.reporting.choices import (
    DeadlineRule,
    EmergencyClass,
    InfoClass,
    ReportingScope,
    SubmissionStatus,
)
from estatedesk.reporting.models import InformationType, ReportingRules, ReportSubmission
from estatedesk.reporting.scoring import Counts, Period, Weights, score_of

ZONE = timezone.get_default_timezone()
NOVEMBER = date(2026, 11, 1)
DEFAULT_WEIGHTS = Weights(Decimal(40), Decimal(30), Decimal(30))
_numbers = count(1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZONE)


def make_type(world: Any, code: str, name: str, *, scope: str = ReportingScope.BRANCH, **extra: Any) -> Any:
    return InformationType.objects.create(
        company=world.company,
        code=code,
        name=name,
        info_class=extra.pop("info_class", InfoClass.PERIODIC),
        scope=scope,
        deadline_rule=extra.pop("deadline_rule", DeadlineRule.MONTHLY_BY_DAY),
        deadline_day=extra.pop("deadline_day", 10),
        is_expected=extra.pop("is_expected", True),
        **extra,
    )


def make_types(world: Any) -> dict[str, Any]:
    """Four branch types, a project type and the class-1 emergency."""
    return {
        "business": make_type(world, "monthly_business", "物业公司月报"),
        "finance": make_type(world, "monthly_finance", "物业财务信息月报"),
        "review": make_type(world, "management_review", "管理评审报告"),
        "training": make_type(world, "annual_training", "培训计划"),
        "project": make_type(world, "project_monthly", "项目月报", scope=ReportingScope.PROJECT),
        "event": make_type(
            world,
            "emergency_class1",
            "一类突发事件",
            info_class=InfoClass.INSTANT,
            deadline_rule=DeadlineRule.WITHIN_HOURS,
            deadline_day=None,
            deadline_hours=24,
            is_expected=False,
        ),
    }


@pytest.fixture
def types(world: Any) -> dict[str, Any]:
    return make_types(world)


def report(  # noqa: PLR0913 - a report's facts, keyword-only
    info_type: Any,
    *,
    branch: Any = None,
    project: Any = None,
    month: date | None = NOVEMBER,
    occurred_at: datetime | None = None,
    submitted: datetime | None = None,
    complete: bool | None = None,
    score: int | None = None,
    status: str | None = None,
    **extra: Any,
) -> ReportSubmission:
    """A report as the other modules leave it: expected (nothing submitted), submitted, or accepted with a
    score. Periodic: due the 10th of the next month at 23:59:59; an event: 24 hours after it."""
    branch = project.branch if project is not None else branch
    if month is not None:
        following = scoring.add_months(month, 1)
        due = at(following.year, following.month, 10, 23, 59, 59)
        period_end = date.fromordinal(following.toordinal() - 1)
    else:
        assert occurred_at is not None
        due = occurred_at + timedelta(hours=24)
        period_end = None
    if status is None:
        status = (
            SubmissionStatus.ACCEPTED
            if score is not None
            else SubmissionStatus.SUBMITTED
            if submitted
            else SubmissionStatus.EXPECTED
        )
    number = next(_numbers)
    extra = dict(extra)
    unit = f"P{project.pk}" if project is not None else f"B{branch.pk}"
    return ReportSubmission.objects.create(
        reference=f"RP-T-{number:04d}",
        information_type=info_type,
        branch=branch,
        project=project,
        unit_key=unit,
        period_start=month,
        period_end=period_end,
        occurred_at=occurred_at,
        due_at=due,
        status=status,
        title=f"报告{number}",
        first_submitted_at=submitted,
        submitted_at=extra.pop("submitted_at", submitted),
        is_complete=complete if submitted else None,
        quality_score=Decimal(score) if score is not None else None,
        **extra,
    )


@pytest.fixture
def november(world: Any, types: dict[str, Any]) -> dict[str, ReportSubmission]:
    """Branch A (QD), own reports of November 2026 (due 10 December 23:59:59):
    - on time (23:59:59 on the 10th, the last second), complete, accepted at 100;
    - on time, incomplete, accepted at 60;
    - late (00:00:00 on the 11th, the first late second), complete, accepted at 80;
    - missing.
    Branch B (JN): two on time and complete, one accepted at 80, the other awaiting review."""
    qd, jn = world.branch_a, world.branch_b
    return {
        "on_time": report(
            types["business"], branch=qd, submitted=at(2026, 12, 10, 23, 59, 59), complete=True, score=100
        ),
        "incomplete": report(
            types["finance"], branch=qd, submitted=at(2026, 12, 5, 10), complete=False, score=60
        ),
        "late": report(
            types["review"], branch=qd, submitted=at(2026, 12, 11, 0, 0, 0), complete=True, score=80
        ),
        "missing": report(types["training"], branch=qd),
        "jn_accepted": report(
            types["business"], branch=jn, submitted=at(2026, 12, 9, 9), complete=True, score=80
        ),
        "jn_waiting": report(types["finance"], branch=jn, submitted=at(2026, 12, 9, 9), complete=True),
    }


def member(world: Any, django_user_model: Any, username: str, role: str, **where: Any) -> Any:
    user = django_user_model.objects.create_user(username=username, password="x", display_name=username)
    level = (
        ScopeLevel.PROJECT
        if "project" in where
        else ScopeLevel.BRANCH
        if "branch" in where
        else ScopeLevel.COMPANY
    )
    Membership.objects.create(user=user, role=role, level=level, company=world.company, **where)
    return user


def row(card: scoring.Scorecard, code: str, kind: str = "branch") -> scoring.UnitScore:
    rows = card.branches if kind == "branch" else card.units
    return next(unit for unit in rows if unit.code == code and unit.kind == kind)


# --- the figures, hand-computed ------------------------------------------------------------------------


def test_ir_1_branch_month_figures_match_the_hand_computed_values(world, november):
    # given branch A's four November reports (see the fixture)
    # when HQ reads November
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    qd = row(card, "QD").score
    # then on time 2 of 4 (23:59:59 on the 10th is on time, 00:00:00 on the 11th late, missing is late)
    assert (qd.counts.expected, qd.counts.on_time) == (4, 2)
    assert qd.timeliness == Decimal("50.00")
    # completeness: complete ones received ÷ expected = 2/4; the late complete one counts as complete
    assert (qd.counts.received, qd.counts.complete) == (3, 2)
    assert qd.completeness == Decimal("50.00")
    # quality: (100 + 60 + 80) / 3
    assert qd.counts.scored == 3
    assert qd.quality == Decimal("80.00")
    # total: 0.4·50 + 0.3·50 + 0.3·80 = 59.00
    assert qd.total == Decimal("59.00")
    assert qd.renormalised is False


def test_ir_1_branches_are_ranked_by_total(world, november):
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    # JN: 2/2 on time, 2/2 complete, quality 80 → 0.4·100 + 0.3·100 + 0.3·80 = 94.00
    assert [(u.code, u.rank, u.score.total) for u in card.branches] == [
        ("JN", 1, Decimal("94.00")),
        ("QD", 2, Decimal("59.00")),
    ]
    # the company's figure pools every report: 4 on time of 6, 4 complete of 6, (100+60+80+80)/4 = 80
    assert card.headline.counts.expected == 6
    assert card.headline.timeliness == Decimal("66.67")  # 4/6 = 66.666… half-up
    assert card.headline.completeness == Decimal("66.67")
    assert card.headline.quality == Decimal("80.00")
    # 0.4·(200/3) + 0.3·(200/3) + 0.3·80 = 46.666… + 24 = 70.666… → 70.67 (rounded once, at the end)
    assert card.headline.total == Decimal("70.67")


def test_ir_1_equal_totals_share_a_rank_and_no_total_has_none(world, types):
    # given two branches with the same total and a third with nothing expected
    third = world.branch_a.__class__.objects.create(company=world.company, code="YT", name="烟台分公司")
    for branch in (world.branch_a, world.branch_b):
        report(types["business"], branch=branch, submitted=at(2026, 12, 1, 9), complete=True, score=80)
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    assert [(u.code, u.rank, u.score.total) for u in card.branches] == [
        ("JN", 1, Decimal("94.00")),
        ("QD", 1, Decimal("94.00")),
        ("YT", None, None),
    ]
    assert third.code == "YT"


def test_ir_1_quality_without_any_score_renormalises_the_weights(world, types):
    # given a project whose only report is on time and complete but not reviewed yet
    report(types["project"], project=world.project_a, submitted=at(2026, 12, 3, 9), complete=True)
    # and one missing report of the other project
    report(types["project"], project=world.project_a2)
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER), branch_code="QD")
    a = row(card, "QD-A", "project").score
    # then quality is undefined and the total weighs timeliness and completeness only: (40·100 + 30·100)/70
    assert a.quality is None
    assert a.total == Decimal("100.00")
    assert a.renormalised is True
    a2 = row(card, "QD-B", "project").score
    assert (a2.timeliness, a2.completeness, a2.quality, a2.total) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        Decimal("0.00"),
    )
    # the projects are ranked within the branch; the branch's own unit expects nothing: no rank, "—"
    assert [(u.kind, u.code, u.rank) for u in card.units] == [
        ("project", "QD-A", 1),
        ("project", "QD-B", 2),
        ("own", "QD", None),
    ]


def test_ir_1_a_branch_pools_its_own_reports_and_its_projects(world, november, types):
    report(types["project"], project=world.project_a, submitted=at(2026, 12, 3, 9), complete=True, score=100)
    report(types["project"], project=world.project_a2)
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER), branch_code="QD")
    qd = row(card, "QD").score
    # 4 own + 2 projects' = 6 expected; on time 3; complete 3; quality (100+60+80+100)/4 = 85
    assert (qd.counts.expected, qd.counts.on_time, qd.counts.complete, qd.counts.scored) == (6, 3, 3, 4)
    assert (qd.timeliness, qd.completeness, qd.quality) == (
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("85.00"),
    )
    # 0.4·50 + 0.3·50 + 0.3·85 = 60.50
    assert qd.total == Decimal("60.50")
    assert card.headline == qd
    own = row(card, "QD", "own").score
    assert own.total == Decimal("59.00")


def test_ir_1_nothing_expected_shows_a_dash_never_0_or_100(world, november, login):
    # given project A2 of branch A expects nothing in November
    page = login(world.hq).get(reverse("reporting:scorecard") + "?month=2026-11&branch=QD")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-code="QD-B"')
    cells = html[start : html.index("</tr>", start)]
    assert 'data-testid="timeliness">—</td>' in cells
    assert 'data-testid="completeness">—</td>' in cells
    assert 'data-testid="quality">—</td>' in cells
    assert "<strong>—</strong>" in cells
    assert "0.00" not in cells
    assert "100.00" not in cells


def test_ir_1_year_is_pooled_from_counts_not_a_mean_of_monthly_rates(world, types):
    jn = world.branch_b
    # January: 1 expected, on time (100 %); February: 3 expected, none on time (0 %)
    report(types["business"], branch=jn, month=date(2026, 1, 1), submitted=at(2026, 2, 1, 9), complete=True)
    for info_type in ("business", "finance", "review"):
        report(types[info_type], branch=jn, month=date(2026, 2, 1))
    card = scoring.scorecard(user=world.hq, period=Period.year(2026))
    jn_year = row(card, "JN").score
    # pooled 1/4 = 25.00 (the mean of the monthly rates would be 50.00)
    assert jn_year.counts.expected == 4
    assert jn_year.timeliness == Decimal("25.00")
    assert jn_year.completeness == Decimal("25.00")
    # and the trend has the months' own figures
    trend = {point.month: point.score for point in card.trend}
    assert len(card.trend) == 12
    assert trend[date(2026, 1, 1)].timeliness == Decimal("100.00")
    assert trend[date(2026, 2, 1)].timeliness == Decimal("0.00")
    assert trend[date(2026, 3, 1)].timeliness is None


def test_ir_1_rounding_is_half_up_and_only_at_the_end():
    # 1 of 800 on time = 0.125 % → 0.13 (half-up; banker's rounding would give 0.12)
    assert score_of(Counts(expected=800, on_time=1), DEFAULT_WEIGHTS).timeliness == Decimal("0.13")
    # 1 of 3 = 33.333… and 2 of 3 = 66.666…; quality 70.005 (two scores 70.00 and 70.01)
    counts = Counts(expected=3, on_time=1, received=3, complete=2, scored=2, quality_sum=Decimal("140.01"))
    figures = score_of(counts, DEFAULT_WEIGHTS)
    assert (figures.timeliness, figures.completeness, figures.quality) == (
        Decimal("33.33"),
        Decimal("66.67"),
        Decimal("70.01"),  # 70.005 half-up
    )
    exact = (
        Fraction(40, 100) * Fraction(100, 3)
        + Fraction(30, 100) * Fraction(200, 3)
        + Fraction(30, 100) * Fraction(14001, 200)
    )
    # 13.333… + 20 + 21.0015 = 54.334833… → 54.33, where the rounded parts would give 54.3353 → 54.34
    assert exact == Fraction(1630045, 30000)
    assert figures.total == Decimal("54.33")
    rounded_parts = (
        Decimal("0.4") * Decimal("33.33")
        + Decimal("0.3") * Decimal("66.67")
        + Decimal("0.3") * Decimal("70.01")
    )
    assert rounded_parts.quantize(Decimal("0.01")) == Decimal("54.34")


def test_ir_1_weights_are_data(world, november):
    ReportingRules.objects.update_or_create(
        company=world.company,
        defaults={
            "weight_timeliness": 50,
            "weight_completeness": 50,
            "weight_quality": 0,
            "reminder_days": [3, 1],
        },
    )
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    # 0.5·50 + 0.5·50 + 0·80 = 50.00
    assert row(card, "QD").score.total == Decimal("50.00")
    assert card.weights == Weights(Decimal("50.00"), Decimal("50.00"), Decimal("0.00"))


def test_ir_1_instant_reports_count_in_the_month_of_the_event_and_class_2_events_not_at_all(world, types):
    qd = world.branch_a
    # an event at 23:30 on 30 November (company time), reported the next morning: November, on time
    report(
        types["event"],
        project=world.project_a,
        month=None,
        occurred_at=at(2026, 11, 30, 23, 30),
        submitted=at(2026, 12, 1, 9),
        complete=True,
        confirmed_class=EmergencyClass.CLASS_1,
    )
    # an event at 00:10 on 1 December: December
    report(types["event"], project=world.project_a, month=None, occurred_at=at(2026, 12, 1, 0, 10))
    # a class-2 event: reported in the monthly business report, not scored on its own
    report(
        types["event"],
        branch=qd,
        month=None,
        occurred_at=at(2026, 11, 15, 10),
        confirmed_class=EmergencyClass.CLASS_2,
    )
    report(
        types["event"],
        branch=qd,
        month=None,
        occurred_at=at(2026, 11, 16, 10),
        proposed_class=EmergencyClass.CLASS_2,
    )
    november_card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    assert (row(november_card, "QD").score.counts.expected, row(november_card, "QD").score.timeliness) == (
        1,
        Decimal("100.00"),
    )
    december_card = scoring.scorecard(user=world.hq, period=Period.month(date(2026, 12, 1)))
    assert row(december_card, "QD").score.counts.expected == 1
    assert row(december_card, "QD").score.timeliness == Decimal("0.00")


def test_ir_1_a_returned_report_keeps_its_first_submission_for_timeliness(world, types):
    # submitted on time, returned, resubmitted late and accepted: on time by its first submission
    report(
        types["business"],
        branch=world.branch_a,
        submitted=at(2026, 12, 8, 9),
        complete=True,
        score=80,
        submitted_at=at(2026, 12, 15, 9),
        resubmissions=1,
    )
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    assert row(card, "QD").score.timeliness == Decimal("100.00")


def test_ir_1_the_trend_covers_the_12_months_ending_with_the_month(world, november):
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    assert [p.month for p in card.trend][0] == date(2025, 12, 1)
    assert [p.month for p in card.trend][-1] == NOVEMBER
    assert card.trend[-1].score == card.headline


# --- the reports behind a figure ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ("expected", {"on_time", "incomplete", "late", "missing"}),
        ("on_time", {"on_time", "incomplete"}),
        ("late", {"late", "missing"}),
        ("received", {"on_time", "incomplete", "late"}),
        ("missing", {"missing"}),
        ("complete", {"on_time", "late"}),
        ("incomplete", {"incomplete", "missing"}),
        ("scored", {"on_time", "incomplete", "late"}),
    ],
)
def test_ir_1_the_drill_down_lists_exactly_the_reports_behind_a_figure(
    world, november, login, figure, expected
):
    url = reverse("reporting:score_reports") + f"?month=2026-11&branch=QD&unit=own&figure={figure}"
    page = login(world.hq).get(url)
    assert page.status_code == 200
    shown = {r.reference for r in page.context["page"].object_list}
    assert shown == {november[name].reference for name in expected}
    html = page.content.decode()
    for name, submission in november.items():
        assert (f'data-reference="{submission.reference}"' in html) == (name in expected)


def test_ir_1_every_figure_on_the_scorecard_links_to_its_reports(world, november, login):
    page = login(world.hq).get(reverse("reporting:scorecard") + "?month=2026-11")
    qd = next(r for r in page.context["branches"] if r["unit"].code == "QD")
    on_time = login(world.hq).get(qd["links"]["on_time"])
    assert {r.reference for r in on_time.context["page"].object_list} == {
        november["on_time"].reference,
        november["incomplete"].reference,
    }
    assert len(login(world.hq).get(qd["links"]["expected"]).context["page"].object_list) == 4
    assert qd["links"]["on_time"] in page.content.decode().replace("&amp;", "&")


def test_ir_1_the_drill_down_marks_each_report_by_the_counts_conditions(world, november, login):
    page = login(world.hq).get(
        reverse("reporting:score_reports") + "?month=2026-11&branch=QD&figure=expected"
    )
    marks = {
        r.reference: (r.is_on_time, r.counts_complete, r.is_scored) for r in page.context["page"].object_list
    }
    assert marks == {
        november["on_time"].reference: (True, True, True),
        november["incomplete"].reference: (True, False, True),
        november["late"].reference: (False, True, True),
        november["missing"].reference: (False, False, False),
    }


# --- the page, the API, the PDF and the workbook agree ----------------------------------------------------


def _api_units(data: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {f"{u['kind']}:{u['code']}": u for u in data[key]}


def test_ir_1_the_api_returns_the_same_numbers_as_the_page(world, november, types, login):
    report(types["project"], project=world.project_a, submitted=at(2026, 12, 3, 9), complete=True)
    client = login(world.hq)
    page = client.get(reverse("reporting:scorecard") + "?month=2026-11&branch=QD")
    api = client.get("/api/reporting/scorecard/?month=2026-11&branch=QD")
    assert api.status_code == 200
    data = api.json()
    assert data["period"] == "2026-11"
    assert data["branch"] == "QD"
    html = page.content.decode()
    for key in ("branches", "units"):
        units = _api_units(data, key)
        assert len(units) == len(page.context[key])
        for shown in page.context[key]:
            unit = shown["unit"]
            api_score = units[f"{unit.kind}:{unit.code}"]["score"]
            for figure in ("timeliness", "completeness", "quality", "total"):
                value = getattr(unit.score, figure)
                assert api_score[figure] == (str(value) if value is not None else None), (unit.code, figure)
                if value is not None:
                    assert str(value) in html
            assert api_score["expected"] == unit.score.counts.expected
            assert units[f"{unit.kind}:{unit.code}"]["rank"] == unit.rank
    qd = _api_units(data, "branches")["branch:QD"]["score"]
    assert (qd["timeliness"], qd["completeness"], qd["quality"], qd["total"]) == (
        "60.00",
        "60.00",
        "80.00",
        "66.00",
    )
    assert data["headline"] == qd
    assert [p["month"] for p in data["trend"]][-1] == "2026-11"
    assert data["weights"] == {"timeliness": "40.00", "completeness": "30.00", "quality": "30.00"}


def test_ir_1_api_year_and_invalid_period(world, november, login):
    client = login(world.hq)
    data = client.get("/api/reporting/scorecard/?year=2026").json()
    assert data["kind"] == "year"
    assert data["branch"] is None
    assert data["headline_label"] == "安居物业"
    assert _api_units(data, "branches")["branch:QD"]["score"]["total"] == "59.00"
    bad = client.get("/api/reporting/scorecard/?month=2026-13")
    assert bad.status_code == 400
    assert bad.json()["code"] == "reporting.period_invalid"
    assert client.get("/api/reporting/scorecard/?month=2026-11&branch=NOPE").status_code == 404


def test_ir_1_the_page_shows_the_figures_and_its_charts_data(world, november, login):
    page = login(world.hq).get(reverse("reporting:scorecard") + "?month=2026-11")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="score-chart-data"' in html
    assert "reporting/scorecard.js" in html
    assert "总分 = 及时性 40.00% + 完整性 30.00% + 质量 30.00%。" in html  # the company's language
    chart = page.context["chart_data"]
    assert chart["bars"]["labels"] == ["济南分公司", "青岛分公司"]
    assert chart["bars"]["values"] == [94.0, 59.0]
    assert chart["trend"]["labels"][-1] == "2026-11"


def test_ir_1_an_invalid_month_shows_last_month_with_a_warning(world, login):
    page = login(world.hq).get(reverse("reporting:scorecard") + "?month=2026-13")
    assert page.status_code == 200
    assert page.context["invalid_period"] == "2026-13"
    assert 'data-testid="invalid-period"' in page.content.decode()


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    import shutil
    import subprocess

    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils"
    path = tmp_path / "scores.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_ir_1_the_scorecard_prints_in_chinese_with_its_charts_as_svg(world, november, login, tmp_path):
    from estatedesk.reporting.scorecard_pdf import scorecard_html

    client = login(world.hq)
    response = client.get(reverse("reporting:scorecard_pdf") + "?month=2026-11")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(_pdf_text(response.content, tmp_path).split())
    for words in (
        "信息报送考核",
        "分公司排名",
        "青岛分公司",
        "济南分公司",
        "及时性",
        "完整性",
        "59.00",
        "94.00",
        "近12个月趋势",
    ):
        assert words in text, words
    # the charts: inline SVG drawn in Python, their titles printed in the PDF
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    html = scorecard_html(card=card)
    assert html.count("<svg") == 2
    assert 'data-chart="ranking"' in html
    assert 'data-chart="trend"' in html
    assert "总分Totalscore" in text


def test_ir_1_the_workbook_holds_the_page_figures(world, november, login):
    from io import BytesIO

    from openpyxl import load_workbook

    from estatedesk.common.models import AuditEntry

    response = login(world.hq).get(reverse("reporting:scorecard_xlsx") + "?month=2026-11")
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    by_code = {r[2]: r for r in rows[1:] if r[0] == "分公司 Branch"}
    assert by_code["QD"][1] == 2
    assert by_code["QD"][4:] == (4, 2, 50, 2, 50, 3, 80, 59)
    assert by_code["JN"][-1] == 94
    assert len(list(workbook.worksheets[1].iter_rows())) == 13
    assert AuditEntry.objects.filter(action="export", actor=world.hq).count() == 1


def test_ir_1_a_name_that_looks_like_a_formula_is_text_in_the_workbook(world, types, login):
    from io import BytesIO

    from openpyxl import load_workbook

    Project.objects.filter(pk=world.project_a.pk).update(name="=HYPERLINK(1)")
    report(types["project"], project=world.project_a)
    response = login(world.hq).get(reverse("reporting:scorecard_xlsx") + "?month=2026-11&branch=QD")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    names = [r[3] for r in sheet.iter_rows(values_only=True)]
    assert "'=HYPERLINK(1)" in names


# --- who sees which scores --------------------------------------------------------------------------------


def test_ir_1_a_branch_manager_sees_the_branch_and_its_projects_only(world, november, types, login):
    report(types["project"], project=world.project_b, submitted=at(2026, 12, 3, 9), complete=True)
    client = login(world.branch_manager)
    page = client.get(reverse("reporting:scorecard") + "?month=2026-11")
    assert page.status_code == 200
    card = page.context["card"]
    assert card.branch == world.branch_a
    assert card.branches == []
    assert {(u.kind, u.code) for u in card.units} == {("own", "QD"), ("project", "QD-A"), ("project", "QD-B")}
    assert card.headline.total == Decimal("59.00")
    html = page.content.decode()
    assert "济南分公司" not in html
    assert "泉城公馆" not in html
    assert client.get(reverse("reporting:scorecard") + "?month=2026-11&branch=JN").status_code == 404
    assert client.get(reverse("reporting:score_reports") + "?month=2026-11&branch=JN").status_code == 404
    assert client.get(reverse("reporting:score_reports") + "?month=2026-11&project=JN-C").status_code == 404
    assert client.get("/api/reporting/scorecard/?month=2026-11&branch=JN").status_code == 404
    api = client.get("/api/reporting/scorecard/?month=2026-11").json()
    assert api["branches"] == []
    assert api["branch"] == "QD"


def test_ir_1_a_project_manager_sees_the_project_only(world, november, types, login):
    report(types["project"], project=world.project_a, submitted=at(2026, 12, 3, 9), complete=True)
    report(types["project"], project=world.project_a2)
    client = login(world.pm_a)
    page = client.get(reverse("reporting:scorecard") + "?month=2026-11")
    assert page.status_code == 200
    card = page.context["card"]
    assert card.branches == []
    assert card.branch is None
    assert [(u.code, u.rank) for u in card.units] == [("QD-A", None)]
    assert card.headline.counts.expected == 1
    html = page.content.decode()
    assert "绿溪苑" not in html
    assert "济南分公司" not in html
    drill = client.get(reverse("reporting:score_reports") + "?month=2026-11&project=QD-A")
    assert drill.status_code == 200
    assert len(drill.context["page"].object_list) == 1
    for query in ("project=QD-B", "branch=QD", "branch=QD&unit=own"):
        assert client.get(reverse("reporting:score_reports") + f"?month=2026-11&{query}").status_code == 404
    # the whole view of a project manager is their project: the reports behind it are the project's
    everything = client.get(reverse("reporting:score_reports") + "?month=2026-11")
    assert {r.project_id for r in everything.context["page"].object_list} == {world.project_a.pk}


@pytest.mark.parametrize("role", [Role.GENERAL_MANAGER, Role.LEADER])
def test_ir_1_general_manager_and_leaders_see_everything(world, november, login, django_user_model, role):
    user = member(world, django_user_model, f"top-{role}", role)
    data = login(user).get("/api/reporting/scorecard/?month=2026-11").json()
    assert [u["code"] for u in data["branches"]] == ["JN", "QD"]


def _score_urls() -> list[str]:
    return [
        reverse("reporting:scorecard") + "?month=2026-11",
        reverse("reporting:score_reports") + "?month=2026-11&figure=expected",
        reverse("reporting:score_reports") + "?month=2026-11&branch=QD&figure=on_time",
        reverse("reporting:scorecard_pdf") + "?month=2026-11",
        reverse("reporting:scorecard_xlsx") + "?month=2026-11",
    ]


@pytest.mark.parametrize("persona", ["outsider", "nobody", "owner_a", "agent_a", "supervisor_a"])
def test_ir_1_outsiders_get_no_scores(world, november, login, persona):
    client = login(getattr(world, persona))
    for url in _score_urls():
        response = client.get(url)
        assert response.status_code == 403, url
        assert "59.00" not in response.content.decode()
    api = client.get("/api/reporting/scorecard/?month=2026-11")
    assert api.status_code == 403
    assert api.json()["code"] == "permission_denied"


def test_ir_1_anonymous_is_sent_to_login(client, world):
    for url in [*_score_urls(), reverse("reporting:rubric")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]
    assert client.get("/api/reporting/scorecard/").status_code == 401


def test_ir_1_the_urls_are_the_scoring_pages():
    from django.urls import resolve

    from estatedesk.reporting.views import scoring as views

    assert resolve("/reporting/scores/").func is views.scorecard_page
    assert resolve("/reporting/scores/reports/").func is views.score_reports_page
    assert resolve("/reporting/scores/rubric/").func is views.rubric


def test_ir_1_the_scorecard_page_makes_as_many_queries_with_many_units(
    world, types, login, django_user_model
):
    from estatedesk.common.testing import assert_queries_do_not_grow
    from estatedesk.org.models import Branch

    report(types["business"], branch=world.branch_a, submitted=at(2026, 12, 1, 9), complete=True, score=80)
    report(types["project"], project=world.project_a)

    def add_rows() -> list[str]:
        names = []
        for index in range(6):
            branch = Branch.objects.create(company=world.company, code=f"X{index}", name=f"新分公司{index}")
            project = Project.objects.create(branch=branch, code=f"X{index}-P", name=f"新项目{index}")
            report(types["business"], branch=branch, submitted=at(2026, 12, 1, 9), complete=True, score=60)
            report(types["project"], project=project)
            names.append(f"新分公司{index}")
        return names

    assert_queries_do_not_grow(
        login(world.hq), reverse("reporting:scorecard") + "?month=2026-11", add_rows, ceiling=30
    )


# --- the rubric and the weights ---------------------------------------------------------------------------


def _levels(world: Any) -> list[Any]:
    from estatedesk.reporting.models import QualityLevel

    return [
        QualityLevel.objects.create(company=world.company, label=label, score=score, position=index)
        for index, (label, score) in enumerate([("优", 100), ("良", 80), ("中", 60), ("差", 40)])
    ]


def _rubric_post(levels: list[Any], weights: tuple[int, int, int], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "weight_timeliness": weights[0],
        "weight_completeness": weights[1],
        "weight_quality": weights[2],
        "levels-TOTAL_FORMS": len(levels) + 1,
        "levels-INITIAL_FORMS": len(levels),
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 50,
    }
    for index, level in enumerate(levels):
        data.update(
            {
                f"levels-{index}-id": level.pk,
                f"levels-{index}-label": level.label,
                f"levels-{index}-score": level.score,
                f"levels-{index}-description": level.description,
                f"levels-{index}-position": level.position,
            }
        )
    data.update(changes)
    return data


def test_ir_1_hq_edits_the_rubric_and_the_weights(world, login):
    from estatedesk.common.models import AuditEntry
    from estatedesk.reporting.models import QualityLevel

    levels = _levels(world)
    data = _rubric_post(
        levels,
        (50, 30, 20),
        **{"levels-1-score": "85", "levels-4-label": "较差", "levels-4-score": "20", "levels-4-position": 4},
    )
    response = login(world.hq).post(reverse("reporting:rubric"), data)
    assert response.status_code == 302
    rules = ReportingRules.objects.get(company=world.company)
    assert (rules.weight_timeliness, rules.weight_completeness, rules.weight_quality) == (50, 30, 20)
    assert list(QualityLevel.objects.order_by("position").values_list("label", "score")) == [
        ("优", Decimal("100.00")),
        ("良", Decimal("85.00")),
        ("中", Decimal("60.00")),
        ("差", Decimal("40.00")),
        ("较差", Decimal("20.00")),
    ]
    assert AuditEntry.objects.filter(object_type="reporting.qualitylevel").count() == 2  # one change, one new
    assert AuditEntry.objects.filter(object_type="reporting.reportingrules").count() == 1


def test_ir_1_weights_must_add_up_to_100(world, login):
    levels = _levels(world)
    response = login(world.hq).post(reverse("reporting:rubric"), _rubric_post(levels, (50, 30, 30)))
    assert response.status_code == 400
    assert response.context["weights_form"].non_field_errors()
    assert ReportingRules.objects.get(company=world.company).weight_timeliness == Decimal(40)


def test_ir_1_a_level_given_to_a_report_is_kept_and_its_old_scores_do_not_move(world, types, login):
    levels = _levels(world)
    given = report(
        types["business"], branch=world.branch_a, submitted=at(2026, 12, 1, 9), complete=True, score=80
    )
    ReportSubmission.objects.filter(pk=given.pk).update(quality_level=levels[1])
    client = login(world.hq)
    response = client.post(
        reverse("reporting:rubric"), _rubric_post(levels, (40, 30, 30), **{"levels-1-DELETE": "on"})
    )
    assert response.status_code == 400
    assert levels[1].__class__.objects.filter(pk=levels[1].pk).exists()
    # a new score for the level applies from now on: the accepted report keeps 80
    client.post(reverse("reporting:rubric"), _rubric_post(levels, (40, 30, 30), **{"levels-1-score": "70"}))
    given.refresh_from_db()
    assert given.quality_score == Decimal("80.00")
    card = scoring.scorecard(user=world.hq, period=Period.month(NOVEMBER))
    assert row(card, "QD").score.quality == Decimal("80.00")
    # an unused level can go
    response = client.post(
        reverse("reporting:rubric"), _rubric_post(levels, (40, 30, 30), **{"levels-3-DELETE": "on"})
    )
    assert response.status_code == 302
    assert not levels[3].__class__.objects.filter(pk=levels[3].pk).exists()


def test_ir_1_who_reads_scores_reads_the_rubric_and_only_hq_edits_it(world, login):
    levels = _levels(world)
    manager = login(world.branch_manager)
    page = manager.get(reverse("reporting:rubric"))
    assert page.status_code == 200
    assert page.context["may_edit"] is False
    assert "优" in page.content.decode()
    assert manager.post(reverse("reporting:rubric"), _rubric_post(levels, (50, 50, 0))).status_code == 403
    for persona in ("outsider", "nobody", "owner_a", "agent_a"):
        client = login(getattr(world, persona))
        assert client.get(reverse("reporting:rubric")).status_code == 403, persona
        assert client.post(reverse("reporting:rubric"), _rubric_post(levels, (50, 50, 0))).status_code == 403
    assert ReportingRules.objects.filter(company=world.company, weight_quality=0).count() == 0


def test_ir_1_the_drill_down_makes_as_many_queries_with_many_reports(world, types, login):
    from estatedesk.common.testing import assert_queries_do_not_grow

    report(types["business"], branch=world.branch_a, submitted=at(2026, 12, 1, 9), complete=True, score=80)
    report(types["project"], project=world.project_a)

    def add_rows() -> list[str]:
        made = [report(types[name], branch=world.branch_a) for name in ("finance", "review", "training")]
        made.append(
            report(types["project"], project=world.project_a2, submitted=at(2026, 12, 2, 9), complete=False)
        )
        return [f'data-reference="{r.reference}"' for r in made]

    assert_queries_do_not_grow(
        login(world.hq),
        reverse("reporting:score_reports") + "?month=2026-11&branch=QD&figure=expected",
        add_rows,
        ceiling=20,
    )
