"""Issue 12, item 8: return-visit figures against hand-computed values: coverage (graded ÷ due), contact
success, A/B/C per project, department and handler, 回访满意率 = (A + B) ÷ (A + B + C) (None when nothing
was graded); scoped; a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

from estatedesk.feedback.tests.helpers import local
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.figures import GradeCounts, GradeRow, percent, visit_figures
from estatedesk.visits.models import ReturnVisit, VisitAttempt

START, END = local(2026, 11, 1), local(2026, 12, 1)


def visit(world, grade: str = "", *, project=None, handler=None, department=None, due_at=None, status=None):
    return ReturnVisit.objects.create(
        project=project or world.project_a,
        purpose=Purpose.AD_HOC,
        status=status or (VisitStatus.GRADED if grade else VisitStatus.DUE),
        grade=grade,
        channel=VisitChannel.PHONE if grade else "",
        handler=handler,
        handler_department=department,
        due_at=due_at or local(2026, 11, 5, 20),
    )


def month_of_visits(world):
    """3 A, 1 B, 2 C graded; 2 still due (3 attempts between them); 1 cancelled; 1 due next month."""
    cs = Department.objects.get(project=world.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    for _ in range(3):
        visit(world, Grade.A, handler=world.executor_a, department=cs)
    visit(world, Grade.B, handler=world.dept_supervisor_a)
    visit(world, Grade.C, handler=world.executor_a, department=cs)
    visit(world, Grade.C, handler=world.dept_supervisor_a)
    first, second = visit(world), visit(world)
    for due, outcome in (
        (first, AttemptOutcome.NO_ANSWER),
        (first, AttemptOutcome.REFUSED),
        (second, AttemptOutcome.WRONG_NUMBER),
    ):
        VisitAttempt.objects.create(visit=due, at=START, outcome=outcome, by=world.visitor_a)
    visit(world, status=VisitStatus.CANCELLED)
    visit(world, Grade.C, due_at=local(2026, 12, 1))  # the next period
    return cs


def test_r_rv_5_figures_against_hand_computed_values(visiting):
    cs = month_of_visits(visiting)

    figures = visit_figures(user=visiting.supervisor_a, start=START, end=END)

    assert (figures.due, figures.graded) == (8, 6)
    assert figures.coverage == Decimal("75.00")  # 6 ÷ 8
    assert (figures.tries, figures.reached) == (9, 7)  # 6 graded + 3 attempts; graded + 1 refusal
    assert figures.contact_success == Decimal("77.78")  # 7 ÷ 9 = 77.777…
    assert figures.totals == GradeCounts(a=3, b=1, c=2)
    assert figures.satisfaction == Decimal("66.67")  # (3 + 1) ÷ (3 + 1 + 2) = 66.666…
    assert figures.by_project == [GradeRow(visiting.project_a.pk, "海景花园", GradeCounts(3, 1, 2))]
    assert figures.by_department == [
        GradeRow(None, "", GradeCounts(0, 1, 1)),
        GradeRow(cs.pk, cs.name, GradeCounts(3, 0, 1)),
    ]
    assert figures.by_handler == [
        GradeRow(visiting.dept_supervisor_a.pk, "dept_supervisor_a", GradeCounts(0, 1, 1)),
        GradeRow(visiting.executor_a.pk, "executor_a", GradeCounts(3, 0, 1)),
    ]
    assert [row.counts.satisfaction for row in figures.by_handler] == [Decimal("50.00"), Decimal("75.00")]


def test_r_rv_5_satisfaction_is_undefined_when_nothing_was_graded(visiting):
    visit(visiting)

    figures = visit_figures(user=visiting.supervisor_a, start=START, end=END)

    assert (figures.due, figures.graded, figures.coverage) == (1, 0, Decimal("0.00"))
    assert figures.satisfaction is None
    assert figures.contact_success is None
    assert figures.by_handler == []


def test_percent_rounds_half_up_at_the_end():
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 200) == Decimal("0.50")
    assert percent(1, 0) is None


def test_figures_are_scoped_an_outsider_sees_none_and_a_project_filter_narrows(visiting):
    month_of_visits(visiting)
    visit(visiting, Grade.A, project=visiting.project_a2)

    outsider = visit_figures(user=visiting.outsider, start=START, end=END)
    branch = visit_figures(user=visiting.branch_manager, start=START, end=END)
    one = visit_figures(user=visiting.branch_manager, start=START, end=END, project=visiting.project_a2)

    assert (outsider.due, outsider.satisfaction) == (0, None)
    assert branch.totals == GradeCounts(4, 1, 2)
    assert (one.totals, one.satisfaction) == (GradeCounts(1, 0, 0), Decimal("100.00"))


def test_figures_take_a_fixed_number_of_queries(visiting, django_assert_num_queries):
    month_of_visits(visiting)
    visit_figures(user=visiting.supervisor_a, start=START, end=END)  # the user's scope, once

    with django_assert_num_queries(5):
        visit_figures(user=visiting.supervisor_a, start=START, end=END)
