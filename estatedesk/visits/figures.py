"""Return-visit figures (issue 12, item 8): the one function pages, the API, exports and dashboards read.

The population is the visits the user may see (`visible_to`) that fall due in [start, end), cancelled ones
left out:
- coverage = graded ÷ due (the visits of the period that were made);
- contact success = the tries that reached the customer ÷ all tries: every graded visit is a try that
  reached them, every attempt a try; refused (拒访) and rescheduled (改约) attempts reached the customer,
  no answer (无人接听) and wrong number (号码错误) did not;
- A/B/C in total, per project, per department and per handler (the department and handler frozen on the
  visit when it was graded, so a later reassignment moves nothing);
- 回访满意率 = (A + B) ÷ (A + B + C), an exact fraction rounded half-up to two decimals of a percent at the
  end; None when nothing was graded (undefined, never 0 or 100).

By SQL aggregation: five queries however many visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from estatedesk.common.rounding import percent_of
from estatedesk.org.models import Project
from estatedesk.visits.choices import AttemptOutcome, Grade, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt

REACHED = (AttemptOutcome.REFUSED, AttemptOutcome.RESCHEDULED)
HUNDREDTH = Decimal("0.01")


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a percent, rounded half-up to 2 decimals at the end; None when undefined."""
    return percent_of(numerator, denominator)


@dataclass(frozen=True)
class GradeCounts:
    a: int = 0
    b: int = 0
    c: int = 0

    @property
    def graded(self) -> int:
        return self.a + self.b + self.c

    @property
    def satisfaction(self) -> Decimal | None:
        """回访满意率: (A + B) ÷ (A + B + C) in percent; None when nothing was graded."""
        return percent(self.a + self.b, self.graded)


@dataclass(frozen=True)
class GradeRow:
    """A/B/C of one project, department or handler (`pk` None: none recorded)."""

    pk: int | None
    label: str
    counts: GradeCounts


@dataclass(frozen=True)
class VisitFigures:
    due: int
    graded: int
    coverage: Decimal | None
    tries: int
    reached: int
    contact_success: Decimal | None
    totals: GradeCounts
    by_project: list[GradeRow]
    by_department: list[GradeRow]
    by_handler: list[GradeRow]

    @property
    def satisfaction(self) -> Decimal | None:
        return self.totals.satisfaction


GRADE_COUNTS = {
    "a": Count("pk", filter=Q(status=VisitStatus.GRADED, grade=Grade.A)),
    "b": Count("pk", filter=Q(status=VisitStatus.GRADED, grade=Grade.B)),
    "c": Count("pk", filter=Q(status=VisitStatus.GRADED, grade=Grade.C)),
}


def _population(
    *, user: Any, start: datetime, end: datetime, project: Project | None
) -> QuerySet[ReturnVisit]:
    queryset = (
        ReturnVisit.objects.visible_to(user)
        .filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=VisitStatus.CANCELLED)
    )
    return queryset.filter(project=project) if project is not None else queryset


def _person(display_name: str, first: str, last: str, username: str) -> str:
    return display_name or f"{first} {last}".strip() or username


def _rows(queryset: QuerySet[ReturnVisit], key: str, labels: tuple[str, ...]) -> list[GradeRow]:
    graded = queryset.filter(status=VisitStatus.GRADED)
    order = [F(name).asc(nulls_first=True) for name in (*labels, key)]  # one order on SQLite and PostgreSQL
    rows = graded.values(key, *labels).annotate(**GRADE_COUNTS).order_by(*order)
    result = []
    for row in rows:
        names = [row[label] or "" for label in labels]
        label = _person(*names) if len(names) == 4 else names[0]
        result.append(GradeRow(row[key], label, GradeCounts(row["a"], row["b"], row["c"])))
    return result


def visit_figures(
    *, user: Any, start: datetime, end: datetime, project: Project | None = None
) -> VisitFigures:
    """The figures of the visits due in [start, end) that the user may see (see the module's docstring)."""
    visits = _population(user=user, start=start, end=end, project=project)
    totals = visits.aggregate(
        due=Count("pk"), graded=Count("pk", filter=Q(status=VisitStatus.GRADED)), **GRADE_COUNTS
    )
    attempts = VisitAttempt.objects.filter(visit__in=visits.values("pk")).aggregate(
        all=Count("pk"), reached=Count("pk", filter=Q(outcome__in=REACHED))
    )
    tries = totals["graded"] + attempts["all"]
    reached = totals["graded"] + attempts["reached"]
    return VisitFigures(
        due=totals["due"],
        graded=totals["graded"],
        coverage=percent(totals["graded"], totals["due"]),
        tries=tries,
        reached=reached,
        contact_success=percent(reached, tries),
        totals=GradeCounts(totals["a"], totals["b"], totals["c"]),
        by_project=_rows(visits, "project_id", ("project__name",)),
        by_department=_rows(visits, "handler_department_id", ("handler_department__name",)),
        by_handler=_rows(
            visits,
            "handler_id",
            ("handler__display_name", "handler__first_name", "handler__last_name", "handler__username"),
        ),
    )
