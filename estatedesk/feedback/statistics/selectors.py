"""The month's feedback statistics for a project or for everything the user sees: counts by kind,
category, channel and status, SLA compliance per clock, and the average handling time.

One SQL query does it: the month's items are grouped by (kind, category, channel, status) with the clock
outcomes and handling times summed per group, and the four breakdowns are added up from those few hundred
groups in Python. The month is read through the (project, registered_at) and registered_at indexes, so
the cost follows the month's items, not the table's (bench/RESULTS.md has the figures at 1M items)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, F, FloatField, Func, Q, Sum
from django.utils import timezone

from estatedesk.common.months import month_bounds
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback.choices import OPEN_STATUSES, Category, Channel, Kind, SlaClock, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project


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
    # the item list's filter (org.selectors.filter_projects) within the staff scope, read with the three
    # columns the picker shows: HQ's list is every project, and whole rows cost more than the month's query
    return list(
        Project.objects.visible_to(user)
        .filter(scope_for(user).project_q("id"), is_active=True)
        .order_by("code")
        .only("id", "code", "name")
    )


def statistics_project_get(*, user: Any, code: str) -> Project:
    """The project of that code if the user is staff there; 404 otherwise, whether missing or out of scope."""
    return get_for_user_or_404(Project.objects.filter(scope_for(user).project_q("id")), user=user, code=code)


# Stand-ins for the values that change from call to call, so that one compiled query serves them all.
_START = datetime(1901, 1, 1, 0, 0, 1, tzinfo=UTC)
_END = datetime(1901, 1, 1, 0, 0, 2, tzinfo=UTC)
_NOW = datetime(1901, 1, 1, 0, 0, 3, tzinfo=UTC)
_COMPILED_KEPT = 256


def _month_groups_query(*, user: Any, project: Project | None) -> Any:
    """The month's items the user sees as staff (not those a staff member raised as a resident elsewhere),
    grouped by (kind, category, channel, status) with the clock outcomes and handling times summed."""
    items = (
        FeedbackItem.objects.visible_to(user)
        .filter(scope_for(user).project_q("project_id"))
        .filter(registered_at__gte=_START, registered_at__lt=_END)
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
            "id", filter=is_open & Q(**{f"{done}__isnull": True, f"{due}__lt": _NOW})
        )
        sums[f"{clock}_running"] = Count(
            "id", filter=is_open & Q(**{f"{done}__isnull": True, f"{due}__gte": _NOW})
        )
    closed = Q(status=Status.CLOSED, closed_at__isnull=False)
    sums["closed"] = Count("id", filter=closed)
    sums["handling"] = Sum(SecondsBetween("closed_at", "registered_at"), filter=closed)
    return items.order_by().values("kind", "category", "channel", "status").annotate(**sums)


_compiled: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def _month_groups(
    *, user: Any, project: Project | None, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Runs the groups query. The ORM spends longer building this query of 19 sums than the database
    spends running it, so its SQL is compiled once per (database, scope, project) in each process and the
    stand-ins are replaced by this call's month and time."""
    scope = scope_for(user)
    key = (
        connection.vendor,
        scope.user_id,
        scope.is_global,
        scope.is_staff_member,
        tuple(sorted(scope.project_ids)),
        scope.is_owner,
        project.pk if project is not None else None,
    )
    if key not in _compiled:
        if len(_compiled) >= _COMPILED_KEPT:
            _compiled.clear()
        query = _month_groups_query(user=user, project=project).query
        sql, params = query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
        _compiled[key] = (sql, tuple(params))
    sql, stand_in_params = _compiled[key]
    adapt = connection.ops.adapt_datetimefield_value
    actual: dict[Any, Any] = {adapt(_START): adapt(start), adapt(_END): adapt(end), adapt(_NOW): adapt(now)}
    params = [
        actual.get(value, value) if isinstance(value, str | datetime) else value for value in stand_in_params
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        groups = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for group in groups:  # PostgreSQL's EXTRACT gives a Decimal
        group["handling"] = float(group["handling"]) if group["handling"] is not None else None
    return groups


def month_statistics(
    *, user: Any, month: date, project: Project | None = None, now: datetime | None = None
) -> MonthStatistics:
    now = now or timezone.now()
    start, end = month_bounds(month)
    groups = _month_groups(user=user, project=project, start=start, end=end, now=now)  # a few hundred at most

    sums: Counter[str] = Counter()
    for group in groups:  # one pass over the groups for every sum
        sums.update({name: value for name, value in group.items() if isinstance(value, int | float)})
    total, closed_count, handling = sums["n"], sums["closed"], sums["handling"]
    clocks = []
    for clock in CLOCK_COLUMNS:
        met, late, overdue, running = (
            sums[f"{clock}_{part}"] for part in ("met", "late", "overdue", "running")
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
