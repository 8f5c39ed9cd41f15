"""The one metrics layer (issue 15): every figure the dashboards, the monthly pack (PDF and workbook) and
the analytics API show, computed for a scope (company, branch, project; `scopes.py`) and a period (month,
quarter, year, custom dates; `periods.py`), with the period before and the same period a year earlier.

Figure keys are stable (the pack's JSON, the workbook, the API and the drill-down use them); FIGURES is
the catalogue: key → label, unit, source and what the drill-down lists. Definitions (each rate is an
exact fraction with its counts, rounded half-up to two decimals at the end, None when the denominator is 0,
shown "—"):

feedback (items registered in the period, R-FB):
- `feedback.total`, `feedback.open` (still open now), `feedback.closed`, `feedback.major` (重大),
  `feedback.hot` (热点); breakdowns by channel, kind, category, status;
- per SLA clock c in contact / arrange / action / resolution: `feedback.<c>.met`, `.breached` (done late,
  or open and past due now), `.on_time` = met ÷ (met + breached) — feedback.statistics' definition;
- `feedback.handling_hours`: mean hours registration → closing of the items closed (one decimal);
- owners' ratings `feedback.rating_a|b|c`, `feedback.rating_satisfaction` = (A + B) ÷ (A + B + C);
- `feedback.overdue_now`: open items (registered any time) with a clock past due now (the pack's list).
return visits (due in the period, cancelled left out; visits.figures' definitions, R-RV, R-FB-6):
- `visits.due`, `visits.graded`, `visits.coverage` = graded ÷ due, `visits.a|b|c`,
  `visits.satisfaction` (回访满意率) = (A + B) ÷ (A + B + C).
nonconformities (R-RV-4): `quality.raised`, `quality.closed` (in the period), `quality.open`,
  `quality.overdue_actions` (now).
surveys (campaigns of the scope whose survey period starts in the period, not cancelled; R-SV-2, R-SV-4):
  `surveys.campaigns`, `surveys.handed_out`, `surveys.returned`, `surveys.return_rate`,
  `surveys.qualified`, `surveys.unsatisfied`, `surveys.unrated`, `surveys.satisfaction` = qualified ÷
  (qualified + unsatisfied).
reporting to HQ (reporting.scoring's definitions, R-IR-1): `reporting.expected`, `reporting.on_time`,
  `reporting.timeliness`, `reporting.completeness`, `reporting.quality`, `reporting.score`.

Computation: SQL aggregation grouped by project (and by department for a project scope), rolled up to the
scope and its units in Python; a bounded number of queries whatever the number of rows (about 12 per
period, three periods for a report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import MetricScope, Unit

# units of a figure's value
COUNT, PERCENT, HOURS, SCORE = "count", "percent", "hours", "score"


@dataclass(frozen=True)
class FigureDefinition:
    key: str
    label: Any  # lazy translation
    unit: str  # COUNT, PERCENT, HOURS, SCORE
    source: str  # "feedback", "visits", "quality", "surveys", "reporting"
    drill: str | None  # the drill-down's key (drilldown.DRILLS) listing the rows behind it; None: none


FIGURES: dict[str, FigureDefinition] = {}  # filled below, in display order


@dataclass(frozen=True)
class Figure:
    """One figure's value. A rate carries its counts; a count is its own numerator."""

    key: str
    value: int | Decimal | None  # None: undefined (nothing to count), shown "—"
    numerator: int | None = None
    denominator: int | None = None

    @property
    def definition(self) -> FigureDefinition:
        return FIGURES[self.key]

    @property
    def text(self) -> str:
        """As every surface prints it: 1,234 / 93.33% / 12.5 / —."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: Decimals as strings."""
        raise NotImplementedError


@dataclass(frozen=True)
class Share:
    value: str
    label: str
    count: int
    percent: Decimal | None  # of the breakdown's total


@dataclass(frozen=True)
class UnitRow:
    """One branch, project or department of the scope's breakdown with its key figures (UNIT_FIGURES)."""

    unit: Unit
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Metrics:
    scope: MetricScope
    period: Period
    computed_at: datetime
    figures: dict[str, Figure]  # every key of FIGURES
    breakdowns: dict[str, list[Share]]  # feedback.by_channel, feedback.by_kind, feedback.by_category,
    # feedback.by_status, visits.by_grade, quality.open_by_stage
    units: list[UnitRow] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class MetricsReport:
    """A period's metrics with the period before and the same period a year earlier."""

    current: Metrics
    previous: Metrics
    year_earlier: Metrics

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


UNIT_FIGURES: tuple[str, ...] = (
    "feedback.total",
    "feedback.contact.on_time",
    "feedback.handling_hours",
    "visits.satisfaction",
    "visits.c",
    "quality.open",
    "surveys.satisfaction",
    "reporting.score",
)


def metrics_compute(*, scope: MetricScope, period: Period, now: datetime | None = None) -> Metrics:
    raise NotImplementedError


def metrics_report(*, scope: MetricScope, period: Period, now: datetime | None = None) -> MetricsReport:
    raise NotImplementedError
