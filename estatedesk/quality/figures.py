"""Nonconformity figures (issue 12, item 8): one selector, `nonconformity_figures`, that the figures page,
the API and the dashboards read. Counts are SQL aggregates; the median and the 90th percentile of the days
to close are picked by the database (ORDER BY the duration, OFFSET the rank), never by a loop over rows.

Definitions (each figure comes with the counts behind it):
- open by stage: open nonconformities now, per stage;
- overdue actions: open actions of open nonconformities whose deadline (a date) is before today;
- days to close: of the nonconformities closed in the period, closed_at − raised_at in days; the median
  (the mean of the two middle values for an even count) and the 90th percentile by the nearest rank
  (the ⌈0.9 n⌉-th smallest), rounded half-up to one decimal;
- reopen rate: of the nonconformities raised in the period that were ever closed or reopened, the share
  reopened at least once, a percentage rounded half-up to two decimals (None when there is none);
- recurrence: nonconformities raised in the period that follow another one (not cancelled) of the same
  cause category and the same area raised within the `recurrence_days` (default 90) before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from estatedesk.common.rounding import half_up
from estatedesk.org.models import Project
from estatedesk.quality.choices import OPEN_STAGES, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction

DEFAULT_RECURRENCE_DAYS = 90
SECONDS_A_DAY = 86400


@dataclass(frozen=True)
class RecurrenceGroup:
    cause_category: str
    area: str
    count: int  # the recurrences of this cause and area in the period


@dataclass(frozen=True)
class NonconformityFigures:
    open_by_stage: dict[str, int]
    open_total: int
    overdue_actions: int
    open_actions: int
    closed: int  # closed in the period: the count behind the days to close
    days_to_close_median: Decimal | None
    days_to_close_p90: Decimal | None
    reopened: int
    ever_closed: int
    reopen_rate: Decimal | None  # percent
    raised: int  # raised in the period
    recurrences: int
    recurrence_groups: list[RecurrenceGroup] = field(default_factory=list)


def _round(value: Fraction, places: str) -> Decimal:
    """Half-up to the places of `places` ("0.1", "0.01"): common.rounding."""
    return half_up(value, len(places.partition(".")[2]))


def _in_period(
    rows: QuerySet[Nonconformity], column: str, start: datetime | None, end: datetime | None
) -> Any:
    if start is not None:
        rows = rows.filter(**{f"{column}__gte": start})
    if end is not None:
        rows = rows.filter(**{f"{column}__lt": end})
    return rows


def _duration_at(rows: QuerySet[Nonconformity], rank: int) -> Fraction:
    """The `rank`-th smallest time to close (0-based), in days, picked by the database."""
    value = rows.order_by("to_close", "id").values_list("to_close", flat=True)[rank]  # type: ignore[misc]
    return Fraction(int(value.total_seconds()), SECONDS_A_DAY)


def _days_to_close(rows: QuerySet[Nonconformity]) -> tuple[int, Decimal | None, Decimal | None]:
    closed = rows.filter(stage=Stage.CLOSED, closed_at__isnull=False).annotate(
        to_close=ExpressionWrapper(F("closed_at") - F("raised_at"), output_field=DurationField())
    )
    count = closed.count()
    if not count:
        return 0, None, None
    if count % 2:
        median = _duration_at(closed, count // 2)
    else:
        median = (_duration_at(closed, count // 2 - 1) + _duration_at(closed, count // 2)) / 2
    p90 = _duration_at(closed, math.ceil(Fraction(9, 10) * count) - 1)
    return count, _round(median, "0.1"), _round(p90, "0.1")


def _recurrences(rows: QuerySet[Nonconformity], scoped: QuerySet[Nonconformity], days: int) -> QuerySet[Any]:
    earlier = scoped.filter(
        cause_category=OuterRef("cause_category"),
        area=OuterRef("area"),
        raised_at__lt=OuterRef("raised_at"),
        raised_at__gte=ExpressionWrapper(
            OuterRef("raised_at") - timedelta(days=days), output_field=DateTimeField()
        ),
    ).exclude(stage=Stage.CANCELLED)
    return (
        rows.exclude(cause_category="")
        .exclude(area__isnull=True)
        .exclude(stage=Stage.CANCELLED)
        .filter(Exists(earlier))
    )


def nonconformity_figures(
    *,
    user: Any,
    start: datetime | None = None,
    end: datetime | None = None,
    project: Project | None = None,
    now: datetime | None = None,
    recurrence_days: int = DEFAULT_RECURRENCE_DAYS,
) -> NonconformityFigures:
    """The figures over the user's scope (one project when given); the period [start, end) applies to what
    was raised (reopen rate, recurrence) and closed (days to close) in it; open stages and overdue actions
    are as they stand at `now`."""
    now = now or timezone.now()
    scoped = Nonconformity.objects.visible_to(user)
    if project is not None:
        scoped = scoped.filter(project=project)
    stage_counts = dict(
        scoped.filter(stage__in=OPEN_STAGES)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    open_by_stage = {str(stage): stage_counts.get(stage, 0) for stage in OPEN_STAGES}
    actions = NonconformityAction.objects.filter(
        nonconformity__in=scoped.filter(stage__in=OPEN_STAGES), done_at__isnull=True
    ).aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=timezone.localdate(now))))
    closed, median, p90 = _days_to_close(_in_period(scoped, "closed_at", start, end))
    raised_rows = _in_period(scoped, "raised_at", start, end)
    counts = raised_rows.aggregate(
        raised=Count("id"),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        ever_closed=Count("id", filter=Q(closed_at__isnull=False) | Q(reopen_count__gt=0)),
    )
    recurring = _recurrences(raised_rows, scoped, recurrence_days)
    groups = [
        RecurrenceGroup(cause_category=row["cause_category"], area=row["area__name"], count=row["n"])
        for row in recurring.values("cause_category", "area__name")
        .annotate(n=Count("id"))
        .order_by("-n", "cause_category", "area__name")
    ]
    return NonconformityFigures(
        open_by_stage=open_by_stage,
        open_total=sum(open_by_stage.values()),
        overdue_actions=actions["overdue"],
        open_actions=actions["open"],
        closed=closed,
        days_to_close_median=median,
        days_to_close_p90=p90,
        reopened=counts["reopened"],
        ever_closed=counts["ever_closed"],
        reopen_rate=_round(Fraction(counts["reopened"] * 100, counts["ever_closed"]), "0.01")
        if counts["ever_closed"]
        else None,
        raised=counts["raised"],
        recurrences=sum(group.count for group in groups),
        recurrence_groups=groups,
    )
