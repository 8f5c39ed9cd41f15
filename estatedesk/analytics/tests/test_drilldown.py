"""The rows behind each figure (issue 15, R-FB-7 and the figures of R-RV-5, R-SV-4, R-IR-1): a count's drill
lists exactly the rows counted, for the scope and for each unit of its breakdown; a rate's drill lists the
rows a manager wants to see; rows are scoped, newest first; unknown figures and units are refused."""

from __future__ import annotations

import pytest

from estatedesk.analytics.drilldown import BREAKDOWN_DRILLS, DRILLS, drill_row, drill_rows, unit_key
from estatedesk.analytics.metrics import COUNT, FIGURES, UNIT_FIGURES, metrics_compute
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import branch_scope, company_scope, project_scope
from estatedesk.analytics.tests.conftest import NOVEMBER, NOW
from estatedesk.analytics.tests.dataset import dataset  # noqa: F401 - the fixture
from estatedesk.common.errors import DomainError
from estatedesk.org.models import Project

MONTH = Period.month(NOVEMBER)
COUNTS = [key for key, definition in FIGURES.items() if definition.unit == COUNT]


def scopes(dataset):  # noqa: F811
    return {
        "company": company_scope(dataset.company),
        "branch": branch_scope(dataset.branch_a),
        "project": project_scope(dataset.project_a),
    }


@pytest.mark.parametrize("kind", ["company", "branch", "project"])
def test_fb_7_every_count_figures_drill_lists_exactly_the_rows_counted(dataset, kind):  # noqa: F811
    scope = scopes(dataset)[kind]
    metrics = metrics_compute(scope=scope, period=MONTH, now=NOW)

    for key in COUNTS:
        drill = drill_rows(scope=scope, period=MONTH, figure=key, now=NOW)
        assert drill.count == metrics[key].value, key
        assert len(list(drill.queryset)) == drill.count, key


@pytest.mark.parametrize("kind", ["company", "branch", "project"])
def test_fb_7_a_units_drill_lists_exactly_the_units_rows(dataset, kind):  # noqa: F811
    scope = scopes(dataset)[kind]
    metrics = metrics_compute(scope=scope, period=MONTH, now=NOW)

    for row in metrics.units:
        for key in UNIT_FIGURES:
            if FIGURES[key].unit == COUNT:
                drill = drill_rows(
                    scope=scope, period=MONTH, figure=key, unit_key=unit_key(row.unit), now=NOW
                )
                assert drill.count == row.figures[key].value, (unit_key(row.unit), key)
    # the units' drills partition the scope's items
    total = sum(
        drill_rows(
            scope=scope, period=MONTH, figure="feedback.total", unit_key=unit_key(r.unit), now=NOW
        ).count
        for r in metrics.units
    )
    assert total == metrics["feedback.total"].value


def test_fb_7_unit_drill_of_the_company_by_branch(dataset):  # noqa: F811
    scope = company_scope(dataset.company)

    qd = drill_rows(scope=scope, period=MONTH, figure="feedback.total", unit_key="branch:QD", now=NOW)
    jn = drill_rows(scope=scope, period=MONTH, figure="reporting.expected", unit_key="branch:JN", now=NOW)
    own = drill_rows(scope=scope, period=MONTH, figure="reporting.expected", unit_key="branch:QD", now=NOW)

    assert {item.reference for item in qd.queryset} == {f"MW-{p}-{n}" for p, n in (
        ("QD-A", "A1"), ("QD-A", "A2"), ("QD-A", "A3"), ("QD-A", "A4"), ("QD-A", "A5"), ("QD-A", "A6"),
        ("QD-B", "B1"), ("QD-B", "B2"),
    )}  # fmt: skip
    assert [report.reference for report in jn.queryset] == ["RP-MW-R-LATE"]
    # the branch's own report with its project's
    assert {report.reference for report in own.queryset} == {"RP-MW-R-ONTIME", "RP-MW-R-MISSING"}


def test_fb_2_a_rate_drills_to_the_rows_a_manager_wants(dataset):  # noqa: F811
    scope = company_scope(dataset.company)

    def references(figure):
        drill = drill_rows(scope=scope, period=MONTH, figure=figure, now=NOW)
        return drill.key, {getattr(row, "reference", None) or row.pk for row in drill.queryset}

    assert references("feedback.contact.on_time") == (
        "feedback.contact.breached",
        {"MW-QD-A-A2", "MW-QD-B-B2", "MW-QD-A-A4", "MW-JN-C-C3"},
    )
    assert references("reporting.timeliness") == ("reporting.late", {"RP-MW-R-LATE", "RP-MW-R-MISSING"})
    assert references("surveys.satisfaction") == ("surveys.campaigns", {"SV-QD-A-202611-01"})
    assert references("feedback.rating_satisfaction") == ("feedback.rating_c", {"MW-QD-A-A3"})


def test_rv_5_visit_satisfaction_drills_to_the_c_visits(dataset):  # noqa: F811
    drill = drill_rows(
        scope=company_scope(dataset.company), period=MONTH, figure="visits.satisfaction", now=NOW
    )

    assert drill.key == "visits.c"
    assert set(drill.queryset) == {dataset.visits["V4"], dataset.visits["V9"]}
    # newest first: V9 due the 23rd, V4 the 19th
    assert list(drill.queryset) == [dataset.visits["V9"], dataset.visits["V4"]]


def test_sv_4_survey_answers_behind_the_counts(dataset):  # noqa: F811
    scope = project_scope(dataset.project_a)

    unsatisfied = drill_rows(scope=scope, period=MONTH, figure="surveys.unsatisfied", now=NOW)
    not_returned = drill_rows(scope=scope, period=MONTH, figure="surveys.return_rate", now=NOW)

    assert unsatisfied.count == 9  # noqa: PLR2004
    assert {answer.rating for answer in unsatisfied.queryset} == {4}
    assert (not_returned.key, not_returned.count) == ("surveys.not_returned", 2)


def test_fb_7_a_branch_drill_holds_nothing_of_the_other_branch(dataset):  # noqa: F811
    scope = branch_scope(dataset.branch_a)
    seen = 0
    for key in DRILLS:
        drill = drill_rows(scope=scope, period=MONTH, figure=key, now=NOW)
        for row in drill.queryset:
            where = drill_row(row)["project"]  # a project, or a branch for the branch's own reports
            branch_id = where.branch_id if isinstance(where, Project) else where.pk
            assert branch_id == dataset.branch_a.pk, key
            seen += 1
    assert seen > 0


def test_fb_7_breakdown_shares_drill_to_their_rows(dataset):  # noqa: F811
    scope = company_scope(dataset.company)
    metrics = metrics_compute(scope=scope, period=MONTH, now=NOW)

    for name in BREAKDOWN_DRILLS:
        for share in metrics.breakdowns[name]:
            drill = drill_rows(scope=scope, period=MONTH, figure=name, value=share.value, now=NOW)
            assert drill.count == share.count, (name, share.value)


def test_fb_7_drill_rows_render_with_one_query_per_page(dataset, django_assert_num_queries):  # noqa: F811
    scope = company_scope(dataset.company)
    drills = {key: drill_rows(scope=scope, period=MONTH, figure=key, now=NOW) for key in DRILLS}

    for key, drill in drills.items():
        with django_assert_num_queries(1):
            rows = [drill_row(row) for row in drill.queryset[:50]]
        assert all(row["url"] for row in rows), key


def test_fb_7_unknown_figure_and_unit_are_refused(dataset):  # noqa: F811
    scope = branch_scope(dataset.branch_a)

    with pytest.raises(DomainError) as figure:
        drill_rows(scope=scope, period=MONTH, figure="feedback.nothing", now=NOW)
    with pytest.raises(DomainError) as other_branch:
        drill_rows(scope=scope, period=MONTH, figure="feedback.total", unit_key="branch:JN", now=NOW)
    with pytest.raises(DomainError) as other_project:
        drill_rows(scope=scope, period=MONTH, figure="feedback.total", unit_key="project:JN-C", now=NOW)
    with pytest.raises(DomainError) as nonsense:
        drill_rows(scope=scope, period=MONTH, figure="feedback.total", unit_key="department:abc", now=NOW)
    with pytest.raises(DomainError) as no_value:
        drill_rows(scope=scope, period=MONTH, figure="feedback.by_channel", now=NOW)

    assert figure.value.code == no_value.value.code == "analytics.unknown_figure"
    assert (
        other_branch.value.code == other_project.value.code == nonsense.value.code == "analytics.unknown_unit"
    )


def test_fb_7_newest_first(dataset):  # noqa: F811
    drill = drill_rows(scope=company_scope(dataset.company), period=MONTH, figure="feedback.total", now=NOW)

    times = [item.registered_at for item in drill.queryset]
    assert times == sorted(times, reverse=True)
    assert drill.source == "feedback"
