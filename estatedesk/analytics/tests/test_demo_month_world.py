"""The shared `month_world` (conftest.py) holds what its docstring says, counted by the domain modules'
own figures (feedback statistics R-FB-7, visit figures R-RV-5, nonconformity figures R-RV-4, report scoring
R-IR-1), so that the analytics tests that count on it start from checked numbers."""

from __future__ import annotations

from decimal import Decimal

from estatedesk.analytics.scopes import branch_scope, company_scope, project_scope, reader
from estatedesk.analytics.tests.conftest import NOVEMBER, NOW, local
from estatedesk.feedback.statistics.selectors import month_statistics
from estatedesk.quality.figures import nonconformity_figures
from estatedesk.reporting import scoring
from estatedesk.visits.figures import GradeCounts, visit_figures

START, END = local(2026, 11, 1), local(2026, 12, 1)


def clocks(stats) -> dict[str, tuple[int, int, int]]:
    return {c.clock: (c.met, c.breached, c.running) for c in stats.clocks}


def test_fb_7_month_world_feedback_counts_as_documented(month_world):
    company = reader(company_scope(month_world.company))
    qd = reader(branch_scope(month_world.branch_a))
    jn = reader(branch_scope(month_world.branch_b))

    whole = month_statistics(user=company, month=NOVEMBER, now=NOW)
    branch_qd = month_statistics(user=qd, month=NOVEMBER, now=NOW)
    branch_jn = month_statistics(user=jn, month=NOVEMBER, now=NOW)
    october = month_statistics(user=company, month=local(2026, 10, 1).date(), now=NOW)

    assert (whole.total, whole.closed, whole.open) == (11, 6, 4)
    assert clocks(whole)["contact"] == (6, 4, 0)
    assert clocks(whole)["resolution"] == (5, 4, 1)
    assert clocks(whole)["arrange"] == (0, 0, 0)
    assert whole.average_handling_seconds == 25.0 * 3600
    assert {s.value: s.count for s in whole.by_channel if s.count} == {
        "hotline": 6,
        "qr": 2,
        "portal": 1,
        "walk_in": 1,
        "email": 1,
    }
    assert {s.value: s.count for s in whole.by_kind if s.count} == {
        "complaint": 6,
        "repair": 2,
        "inquiry": 1,
        "suggestion": 1,
        "praise": 1,
    }
    assert {s.value: s.count for s in whole.by_category if s.count} == {
        "engineering": 4,
        "order": 2,
        "cleaning": 1,
        "fees": 1,
        "greening": 1,
        "staff_attitude": 1,
        "customer_service": 1,
    }
    assert {s.value: s.count for s in whole.by_status if s.count} == {
        "closed": 6,
        "registered": 2,
        "supervisor_contacted": 1,
        "in_progress": 1,
        "cancelled": 1,
    }
    assert (branch_qd.total, branch_qd.closed, branch_qd.open) == (8, 4, 3)
    assert clocks(branch_qd)["contact"][:2] == (4, 3)
    assert clocks(branch_qd)["resolution"][:2] == (3, 3)
    assert branch_qd.average_handling_seconds == 33.0 * 3600
    assert (branch_jn.total, clocks(branch_jn)["contact"][:2], branch_jn.average_handling_seconds) == (
        3,
        (2, 1),
        9.0 * 3600,
    )
    assert october.total == 1
    ratings = {
        name: item.rating for name, item in month_world.items.items() if item.rating and name[0] != "P"
    }
    assert sorted(r for n, r in ratings.items() if n != "Y1") == ["A", "A", "A", "B", "C"]


def test_r_rv_5_month_world_visits_and_nonconformities_as_documented(month_world):
    company = reader(company_scope(month_world.company))
    qd = reader(branch_scope(month_world.branch_a))
    qd_a = reader(project_scope(month_world.project_a))

    visits = visit_figures(user=company, start=START, end=END)
    visits_qd = visit_figures(user=qd, start=START, end=END)
    visits_qd_a = visit_figures(user=qd_a, start=START, end=END)
    quality = nonconformity_figures(user=company, start=START, end=END, now=NOW)

    assert (visits.due, visits.graded, visits.coverage) == (8, 7, Decimal("87.50"))
    assert (visits.totals, visits.satisfaction) == (GradeCounts(3, 2, 2), Decimal("71.43"))
    assert (visits_qd.due, visits_qd.totals, visits_qd.satisfaction) == (
        6,
        GradeCounts(2, 2, 1),
        Decimal("80.00"),
    )
    assert (visits_qd_a.due, visits_qd_a.coverage, visits_qd_a.satisfaction) == (
        5,
        Decimal("80.00"),
        Decimal("75.00"),
    )
    assert (quality.raised, quality.closed, quality.open_total, quality.overdue_actions) == (2, 1, 2, 1)
    assert month_world.nonconformities["NC1"].visit == month_world.visits["V4"]


def test_r_ir_1_month_world_reports_as_documented(month_world):
    card = scoring.scorecard(user=month_world.hq, period=scoring.Period.month(NOVEMBER))

    by_branch = {row.code: row.score for row in card.branches}
    assert card.headline.timeliness == Decimal("33.33")
    assert card.headline.completeness == Decimal("66.67")
    assert card.headline.quality == Decimal("90.00")
    assert (by_branch["QD"].timeliness, by_branch["QD"].completeness) == (Decimal("50.00"), Decimal("50.00"))
    assert (by_branch["JN"].timeliness, by_branch["JN"].completeness) == (Decimal("0.00"), Decimal("100.00"))
    assert by_branch["JN"].quality is None
