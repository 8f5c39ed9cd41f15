"""The month's feedback statistics for a project or for everything the user sees: counts by kind,
category, channel and status, SLA compliance per clock, and the average handling time.

One SQL query does it: the month's items are grouped by (kind, category, channel, status) with the clock
outcomes and handling times summed per group, and the four breakdowns are added up from those few hundred
groups in Python. The month is read through the (project, registered_at) and registered_at indexes, so
the cost follows the month's items, not the table's (bench/RESULTS.md has the figures at 1M items)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, FloatField, Func, Q, Sum
from django.utils import timezone

from estatedesk.common.months import month_bounds
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback.choices import OPEN_STATUSES, Category, Channel, Kind, SlaClock, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from estatedesk.org.selectors import filter_projects


class SecondsBetween(Func):
    """end - start in seconds, as a float, on SQLite and PostgreSQL (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - "
        )


@dataclass(frozen=True)
class Share:
    value: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class ClockCompliance:
    clock: str
    label: str
    decided: int  # done, or past due without being done
    met: int
    breached: int
    running: int  # not done and not yet due

    @property
    def rate(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class MonthStatistics:
    month: date
    project: Project | None
    total: int
    by_kind: list[Share] = field(default_factory=list)
    by_category: list[Share] = field(default_factory=list)
    by_channel: list[Share] = field(default_factory=list)
    by_status: list[Share] = field(default_factory=list)
    clocks: list[ClockCompliance] = field(default_factory=list)
    closed: int = 0
    average_handling_seconds: float | None = None  # registration to closing, closed items only

    @property
    def open(self) -> int:
        return sum(
            share.count for share in self.by_status if share.value not in (Status.CLOSED, Status.CANCELLED)
        )


def statistics_projects(*, user: Any) -> list[Project]:
    """The projects a user may pick: those of the item list's filter where the user is staff (a staff
    member who also lives somewhere sees their home project, but not its statistics)."""
    scope = scope_for(user)
    return [p for p in filter_projects(user=user) if scope.is_global or p.pk in scope.project_ids]


def statistics_project_get(*, user: Any, code: str) -> Project:
    """The project of that code if the user is staff there; 404 otherwise, whether missing or out of scope."""
    return get_for_user_or_404(Project.objects.filter(scope_for(user).project_q("id")), user=user, code=code)


def month_statistics(
    *, user: Any, month: date, project: Project | None = None, now: datetime | None = None
) -> MonthStatistics:
    now = now or timezone.now()
    start, end = month_bounds(month)
    # the items the user sees as staff: not those a staff member raised as a resident elsewhere
    items = (
        FeedbackItem.objects.visible_to(user)
        .filter(scope_for(user).project_q("project_id"))
        .filter(registered_at__gte=start, registered_at__lt=end)
    )
    if project is not None:
        items = items.filter(project=project)
    sums: dict[str, Any] = {"n": Count("id")}
    # A clock left undone on a closed or cancelled item stopped with the item: it is neither breached nor
    # running (as for the SLA sweep and the list's "overdue" filter, which look at open items only).
    is_open = Q(status__in=OPEN_STATUSES)
    for clock, (due, done) in CLOCK_COLUMNS.items():
        sums[f"{clock}_met"] = Count("id", filter=Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)}))
        sums[f"{clock}_late"] = Count("id", filter=Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)}))
        sums[f"{clock}_overdue"] = Count(
            "id", filter=is_open & Q(**{f"{done}__isnull": True, f"{due}__lt": now})
        )
        sums[f"{clock}_running"] = Count(
            "id", filter=is_open & Q(**{f"{done}__isnull": True, f"{due}__gte": now})
        )
    closed = Q(status=Status.CLOSED, closed_at__isnull=False)
    sums["closed"] = Count("id", filter=closed)
    sums["handling"] = Sum(SecondsBetween("closed_at", "registered_at"), filter=closed)
    rows: Any = items.order_by().values("kind", "category", "channel", "status").annotate(**sums)
    groups: list[dict[str, Any]] = list(rows)  # a few hundred groups at most

    total = sum(group["n"] for group in groups)
    closed_count = sum(group["closed"] for group in groups)
    handling = sum(group["handling"] or 0.0 for group in groups)
    clocks = []
    for clock in CLOCK_COLUMNS:
        met, late, overdue, running = (
            sum(group[f"{clock}_{part}"] for group in groups)
            for part in ("met", "late", "overdue", "running")
        )
        clocks.append(
            ClockCompliance(
                clock=clock,
                label=str(SlaClock(clock).label),
                decided=met + late + overdue,
                met=met,
                breached=late + overdue,
                running=running,
            )
        )
    return MonthStatistics(
        month=month.replace(day=1),
        project=project,
        total=total,
        by_kind=_shares(groups, "kind", Kind, total),
        by_category=_shares(groups, "category", Category, total),
        by_channel=_shares(groups, "channel", Channel, total),
        by_status=_shares(groups, "status", Status, total),
        clocks=clocks,
        closed=closed_count,
        average_handling_seconds=handling / closed_count if closed_count else None,
    )


def _shares(groups: list[dict[str, Any]], name: str, choices: Any, total: int) -> list[Share]:
    """Every choice in its declared order (zeros included, so charts keep their axes), then any value
    that is no longer a choice."""
    counts: Counter[str] = Counter()
    for group in groups:
        counts[group[name]] += group["n"]
    labels = dict(choices.choices)
    values = list(labels) + sorted(value for value in counts if value not in labels)
    return [
        Share(
            value=value,
            label=str(labels.get(value, value)),
            count=counts[value],
            percent=round(100 * counts[value] / total, 1) if total else 0.0,
        )
        for value in values
    ]
