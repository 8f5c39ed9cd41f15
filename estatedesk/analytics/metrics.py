"""The one metrics layer (issue 15): every figure the dashboards, the monthly pack (PDF and workbook) and
the analytics API show, computed for a scope (company, branch, project; `scopes.py`) and a period (month,
quarter, year, custom dates; `periods.py`), with the period before and the same period a year earlier.

Figure keys are stable (the pack's JSON, the workbook, the API and the drill-down use them); FIGURES is
the catalogue, in display order: key → label, unit, source, what the drill-down lists, and whether the
figure is about the present rather than the period (`as_of_now`: open now, past due now; the pack's
correction lines compare only the others: a clock of a month's item done late after the pack was sent is a
correction of that month's on-time rate). Definitions
(each rate is an exact fraction with its counts, rounded half-up to two decimals at the end by
`common.rounding`, None when the denominator is 0, shown "—"):

feedback (items registered in the period, R-FB-7; feedback.statistics' definitions):
- `feedback.total`, `feedback.open` (of those, still open now), `feedback.closed` (closed now),
  `feedback.major` (重大), `feedback.hot` (热点); breakdowns by channel, kind, category, status (every
  choice in its declared order with zeros, then any value that is no longer a choice);
- per SLA clock c in contact / arrange / action / resolution (`feedback.clocks.CLOCK_COLUMNS`):
  `feedback.<c>.met` (done by its due time), `.breached` (done late, or undone on an open item and past due
  now; a clock left undone on a closed or cancelled item stopped with it: neither breached nor running),
  `.on_time` = met ÷ (met + breached), the statistics page's rate with two decimals instead of one;
- `feedback.handling_hours`: mean hours from registration to closing of the items closed (one decimal);
- owners' ratings `feedback.rating_a|b|c`, `feedback.rating_satisfaction` = (A + B) ÷ (A + B + C);
- `feedback.overdue_now`: open items (registered any time) with a clock undone and past due now.
return visits (due in the period, cancelled left out; visits.figures' definitions, R-RV-5, R-FB-6):
- `visits.due`, `visits.graded`, `visits.coverage` = graded ÷ due, `visits.a|b|c`,
  `visits.satisfaction` (回访满意率) = (A + B) ÷ (A + B + C); breakdown `visits.by_grade`.
nonconformities (R-RV-4; quality.figures' definitions): `quality.raised` (raised in the period, whatever
  became of it), `quality.closed` (closed in the period and still closed), `quality.open` (open now),
  `quality.overdue_actions` (open actions of open nonconformities whose deadline is before today; counts
  actions, not nonconformities); breakdown `quality.open_by_stage`.
surveys (campaigns of the scope whose survey period starts in the period, running or closed; R-SV-2,
  R-SV-4; surveys.rates' definitions): `surveys.campaigns`, `surveys.handed_out`, `surveys.returned`,
  `surveys.return_rate` = returned ÷ handed out, and over the answers of returned forms
  `surveys.qualified` (很满意 + 满意 + 较满意), `surveys.unsatisfied`, `surveys.unrated` (未表态),
  `surveys.satisfaction` = qualified ÷ (qualified + unsatisfied), the unrated left out.
reporting to HQ (reporting.scoring's definitions, R-IR-1; class-2 events left out): `reporting.expected`,
  `reporting.on_time`, `reporting.timeliness`, `reporting.completeness`, `reporting.quality` (mean of
  HQ's scores), `reporting.score` (the weighted total with the company's weights). A branch's figure pools
  its own reports (project empty) with its projects'; a department has no reports of its own.

Every table is read through `visible_to(reader(scope))`. Each count is one named condition
(`CONDITIONS`: population + Q); the counts here and the drill-down's rows (`drilldown.py`) filter with the
same one. Computation: per population one SQL query grouped by project (and by department for a project
scope; by branch for the branch's own reports), rolled up to the scope and its units in Python, plus one for
the feedback breakdowns: about 13 queries per period whatever the number of rows (three periods for a
report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.analytics.choices import ScopeKind
from estatedesk.analytics.periods import Period, add_months
from estatedesk.analytics.scopes import MetricScope, Unit, reader, units_of
from estatedesk.common.rounding import half_up, percent_of
from estatedesk.feedback.choices import OPEN_STATUSES, Category, Channel, Kind, Rating, SlaClock, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.statistics.selectors import SecondsBetween
from estatedesk.org.models import Department
from estatedesk.quality.choices import OPEN_STAGES, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction
from estatedesk.reporting import scoring
from estatedesk.reporting.models import ReportSubmission
from estatedesk.reporting.selectors import rules_for_company
from estatedesk.surveys import rates
from estatedesk.surveys.choices import CampaignStatus
from estatedesk.surveys.choices import Rating as SurveyRating
from estatedesk.surveys.models import Campaign, SurveyAnswer, SurveyForm
from estatedesk.visits.choices import Grade, VisitStatus
from estatedesk.visits.figures import GRADE_COUNTS
from estatedesk.visits.models import ReturnVisit

# units of a figure's value
COUNT, PERCENT, HOURS, SCORE = "count", "percent", "hours", "score"
SOURCES = ("feedback", "visits", "quality", "surveys", "reporting")
SECONDS_AN_HOUR = 3600
NO_DEPARTMENT = 0  # the pk of the "no department" row of a project's breakdown


@dataclass(frozen=True)
class FigureDefinition:
    key: str
    label: Any  # lazy translation
    unit: str  # COUNT, PERCENT, HOURS, SCORE
    source: str  # "feedback", "visits", "quality", "surveys", "reporting"
    drill: str | None  # the drill-down's key (drilldown.DRILLS) listing the rows behind it; None: none
    as_of_now: bool = False  # reads the present (open now, past due now): changes without new data


def _catalogue() -> dict[str, FigureDefinition]:
    lazy = gettext_lazy
    rows: list[FigureDefinition] = [
        FigureDefinition("feedback.total", lazy("Items registered"), COUNT, "feedback", "feedback.total"),
        FigureDefinition("feedback.open", lazy("Still open"), COUNT, "feedback", "feedback.open", True),
        FigureDefinition("feedback.closed", lazy("Closed"), COUNT, "feedback", "feedback.closed"),
        FigureDefinition("feedback.major", lazy("Major incidents"), COUNT, "feedback", "feedback.major"),
        FigureDefinition("feedback.hot", lazy("Hot complaints"), COUNT, "feedback", "feedback.hot"),
    ]
    clock_labels = {
        SlaClock.CONTACT: (lazy("Contact on time"), lazy("Contact: met"), lazy("Contact: breached")),
        SlaClock.ARRANGE: (lazy("Arranged on time"), lazy("Arranging: met"), lazy("Arranging: breached")),
        SlaClock.ACTION: (lazy("Acted on time"), lazy("Action: met"), lazy("Action: breached")),
        SlaClock.RESOLUTION: (
            lazy("Resolved on time"),
            lazy("Resolution: met"),
            lazy("Resolution: breached"),
        ),
    }
    for clock in CLOCK_COLUMNS:
        rate, met, breached = clock_labels[SlaClock(clock)]
        prefix = f"feedback.{clock}"
        rows += [
            FigureDefinition(f"{prefix}.on_time", rate, PERCENT, "feedback", f"{prefix}.breached"),
            FigureDefinition(f"{prefix}.met", met, COUNT, "feedback", f"{prefix}.met"),
            FigureDefinition(f"{prefix}.breached", breached, COUNT, "feedback", f"{prefix}.breached"),
        ]
    rows += [
        FigureDefinition(
            "feedback.handling_hours",
            lazy("Mean handling time (hours)"),
            HOURS,
            "feedback",
            "feedback.closed",
        ),
        FigureDefinition(
            "feedback.rating_a", lazy("Owners' rating A"), COUNT, "feedback", "feedback.rating_a"
        ),
        FigureDefinition(
            "feedback.rating_b", lazy("Owners' rating B"), COUNT, "feedback", "feedback.rating_b"
        ),
        FigureDefinition(
            "feedback.rating_c", lazy("Owners' rating C"), COUNT, "feedback", "feedback.rating_c"
        ),
        FigureDefinition(
            "feedback.rating_satisfaction",
            lazy("Owners' satisfaction"),
            PERCENT,
            "feedback",
            "feedback.rating_c",
        ),
        FigureDefinition(
            "feedback.overdue_now",
            lazy("Open items past a deadline"),
            COUNT,
            "feedback",
            "feedback.overdue_now",
            True,
        ),
        FigureDefinition("visits.due", lazy("Return visits due"), COUNT, "visits", "visits.due"),
        FigureDefinition("visits.graded", lazy("Return visits made"), COUNT, "visits", "visits.graded"),
        FigureDefinition(
            "visits.coverage", lazy("Return visit coverage"), PERCENT, "visits", "visits.not_graded"
        ),
        FigureDefinition("visits.a", lazy("Visits graded A"), COUNT, "visits", "visits.a"),
        FigureDefinition("visits.b", lazy("Visits graded B"), COUNT, "visits", "visits.b"),
        FigureDefinition("visits.c", lazy("Visits graded C"), COUNT, "visits", "visits.c"),
        FigureDefinition(
            "visits.satisfaction", lazy("Return visit satisfaction"), PERCENT, "visits", "visits.c"
        ),
        FigureDefinition(
            "quality.raised", lazy("Nonconformities raised"), COUNT, "quality", "quality.raised"
        ),
        FigureDefinition(
            "quality.closed", lazy("Nonconformities closed"), COUNT, "quality", "quality.closed"
        ),
        FigureDefinition(
            "quality.open", lazy("Nonconformities open"), COUNT, "quality", "quality.open", True
        ),
        FigureDefinition(
            "quality.overdue_actions",
            lazy("Overdue corrective actions"),
            COUNT,
            "quality",
            "quality.overdue_actions",
            True,
        ),
        FigureDefinition(
            "surveys.campaigns", lazy("Survey campaigns"), COUNT, "surveys", "surveys.campaigns"
        ),
        FigureDefinition(
            "surveys.handed_out", lazy("Forms handed out"), COUNT, "surveys", "surveys.handed_out"
        ),
        FigureDefinition("surveys.returned", lazy("Forms returned"), COUNT, "surveys", "surveys.returned"),
        FigureDefinition(
            "surveys.return_rate", lazy("Survey return rate"), PERCENT, "surveys", "surveys.not_returned"
        ),
        FigureDefinition(
            "surveys.qualified", lazy("Satisfied answers"), COUNT, "surveys", "surveys.qualified"
        ),
        FigureDefinition(
            "surveys.unsatisfied", lazy("Unsatisfied answers"), COUNT, "surveys", "surveys.unsatisfied"
        ),
        FigureDefinition(
            "surveys.unrated", lazy("Answers with no rating"), COUNT, "surveys", "surveys.unrated"
        ),
        FigureDefinition(
            "surveys.satisfaction", lazy("Survey satisfaction"), PERCENT, "surveys", "surveys.campaigns"
        ),
        FigureDefinition(
            "reporting.expected", lazy("Reports expected"), COUNT, "reporting", "reporting.expected"
        ),
        FigureDefinition(
            "reporting.on_time", lazy("Reports on time"), COUNT, "reporting", "reporting.on_time"
        ),
        FigureDefinition(
            "reporting.timeliness", lazy("Reporting timeliness"), PERCENT, "reporting", "reporting.late"
        ),
        FigureDefinition(
            "reporting.completeness",
            lazy("Reporting completeness"),
            PERCENT,
            "reporting",
            "reporting.incomplete",
        ),
        FigureDefinition(
            "reporting.quality", lazy("Reporting quality"), SCORE, "reporting", "reporting.scored"
        ),
        FigureDefinition(
            "reporting.score", lazy("Reporting score"), SCORE, "reporting", "reporting.expected"
        ),
    ]
    return {row.key: row for row in rows}


FIGURES: dict[str, FigureDefinition] = _catalogue()  # in display order


def _number(value: int | Decimal | None) -> Any:
    if value is None or isinstance(value, int):
        return value
    return str(value)


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
        if self.value is None:
            return "—"
        if self.definition.unit == COUNT:
            return f"{self.value:,}"
        if self.definition.unit == PERCENT:
            return f"{self.value}%"
        return str(self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: Decimals as strings."""
        definition = self.definition
        return {
            "key": self.key,
            "label": str(definition.label),
            "unit": definition.unit,
            "source": definition.source,
            "as_of_now": definition.as_of_now,
            "value": _number(self.value),
            "text": self.text,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class Share:
    value: str
    label: str
    count: int
    percent: Decimal | None  # of the breakdown's total

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "count": self.count,
            "percent": _number(self.percent),
        }


@dataclass(frozen=True)
class UnitRow:
    """One branch, project or department of the scope's breakdown with its key figures (UNIT_FIGURES)."""

    unit: Unit
    figures: dict[str, Figure]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": unit_key(self.unit),
            "kind": self.unit.kind,
            "code": self.unit.code,
            "name": self.unit.name,
            "figures": {key: figure.to_dict() for key, figure in self.figures.items()},
        }


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
        return {
            "scope": {"key": self.scope.key, "kind": self.scope.kind, "label": self.scope.label},
            "period": {
                "text": self.period.text,
                "label": self.period.label,
                "kind": self.period.kind,
                "start": self.period.start.isoformat(),
                "end": self.period.last_day.isoformat(),
            },
            "computed_at": self.computed_at.isoformat(),
            "figures": {key: figure.to_dict() for key, figure in self.figures.items()},
            "breakdowns": {
                name: [share.to_dict() for share in shares] for name, shares in self.breakdowns.items()
            },
            "units": [row.to_dict() for row in self.units],
        }


@dataclass(frozen=True)
class MetricsReport:
    """A period's metrics with the period before and the same period a year earlier."""

    current: Metrics
    previous: Metrics
    year_earlier: Metrics

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "year_earlier": self.year_earlier.to_dict(),
        }


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


def unit_key(unit: Unit) -> str:
    """How a unit of the breakdown is named (drill-down URLs, JSON): `branch:QD`, `project:QD-A`,
    `department:12`, `department:none`."""
    if unit.kind == "department":
        return f"department:{unit.pk}" if unit.pk != NO_DEPARTMENT else "department:none"
    return f"{unit.kind}:{unit.code}"


# --- the rows each figure counts: populations and conditions, once -----------------------------------------


@dataclass(frozen=True)
class Window:
    """What a figure is counted over: the scope, the period's [start, end) in company time, and now."""

    scope: MetricScope
    period: Period
    start: datetime
    end: datetime
    now: datetime

    @classmethod
    def of(cls, scope: MetricScope, period: Period, now: datetime) -> Window:
        start, end = period.bounds()
        return cls(scope, period, start, end, now)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now, timezone.get_default_timezone())


Rows = Callable[[Any, Window], QuerySet[Any]]
Condition = Callable[[Window], Q | None]  # None: every row of the population


@dataclass(frozen=True)
class Population:
    """The rows some figures count, read as the scope's reader, and where a row's unit is found."""

    source: str
    rows: Rows
    project: str  # lookup of the row's project id
    department: str | None  # lookup of the row's department id; None: rows have no department
    branch: str | None = None  # lookup of the branch id, for rows with no project (a branch's own reports)
    newest_first: tuple[str, ...] = ("-id",)
    related: tuple[str, ...] = ("project",)


def _of_company(rows: QuerySet[Any], window: Window, lookup: str) -> QuerySet[Any]:
    """The company reader sees every project (a company-wide scope): keep the scope's company's, by the
    projects' ids (`lookup`: the row's project id column). A list of ids, not a join to the branch's
    company: the database then reads each project's rows of the period through the (project, date) index;
    with the join SQLite scanned every project's index for the period, 6× slower at a million items."""
    if window.scope.kind == ScopeKind.COMPANY:
        return rows.filter(**{f"{lookup}__in": sorted(window.scope.project_ids)})
    return rows


def _feedback_registered(user: Any, window: Window) -> QuerySet[Any]:
    rows = FeedbackItem.objects.visible_to(user).filter(
        registered_at__gte=window.start, registered_at__lt=window.end
    )
    return _of_company(rows, window, "project_id")


def clock_met(clock: str) -> Q:
    due, done = CLOCK_COLUMNS[clock]
    return Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})


def clock_breached(clock: str, now: datetime) -> Q:
    """Done late, or undone on an open item and past due now (feedback.statistics' late + overdue)."""
    due, done = CLOCK_COLUMNS[clock]
    late = Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)})
    overdue = Q(status__in=OPEN_STATUSES, **{f"{done}__isnull": True, f"{due}__lt": now})
    return late | overdue


def overdue_now(now: datetime) -> Q:
    """An open item with a clock undone and past due now."""
    past_due = Q(pk__in=[])
    for due, done in CLOCK_COLUMNS.values():
        past_due |= Q(**{f"{done}__isnull": True, f"{due}__lt": now})
    return Q(status__in=OPEN_STATUSES) & past_due


FEEDBACK_CLOSED = Q(status=Status.CLOSED, closed_at__isnull=False)


def _feedback_overdue(user: Any, window: Window) -> QuerySet[Any]:
    rows = FeedbackItem.objects.visible_to(user).filter(overdue_now(window.now))
    return _of_company(rows, window, "project_id")


def _visits_due(user: Any, window: Window) -> QuerySet[Any]:
    rows = (
        ReturnVisit.objects.visible_to(user)
        .filter(due_at__gte=window.start, due_at__lt=window.end)
        .exclude(status=VisitStatus.CANCELLED)
    )
    return _of_company(rows, window, "project_id")


def _raised_in(window: Window) -> Q:
    return Q(raised_at__gte=window.start, raised_at__lt=window.end)


def _closed_in(window: Window) -> Q:
    return Q(stage=Stage.CLOSED, closed_at__gte=window.start, closed_at__lt=window.end)


def _nonconformities(user: Any, window: Window) -> QuerySet[Any]:
    rows = Nonconformity.objects.visible_to(user).filter(_raised_in(window) | _closed_in(window))
    return _of_company(rows, window, "project_id")


def _open_nonconformities(user: Any, window: Window) -> QuerySet[Any]:
    rows = Nonconformity.objects.visible_to(user).filter(stage__in=OPEN_STAGES)
    return _of_company(rows, window, "project_id")


def _overdue_actions(user: Any, window: Window) -> QuerySet[Any]:
    return NonconformityAction.objects.filter(
        nonconformity__in=_open_nonconformities(user, window).values("pk"),
        done_at__isnull=True,
        due_on__lt=window.today,
    )


SURVEYED = (CampaignStatus.RUNNING, CampaignStatus.CLOSED)
QUALIFIED_RATINGS = (SurveyRating.VERY_SATISFIED, SurveyRating.SATISFIED, SurveyRating.FAIRLY_SATISFIED)


def _campaigns(user: Any, window: Window) -> QuerySet[Any]:
    period = window.period
    rows = Campaign.objects.visible_to(user).filter(
        period_start__gte=period.start, period_start__lt=period.end, status__in=SURVEYED
    )
    return _of_company(rows, window, "project_id")


def _forms(user: Any, window: Window) -> QuerySet[Any]:
    return SurveyForm.objects.filter(campaign__in=_campaigns(user, window).values("pk"))


def _answers(user: Any, window: Window) -> QuerySet[Any]:
    return SurveyAnswer.objects.filter(
        form__campaign__in=_campaigns(user, window).values("pk"), form__returned_at__isnull=False
    )


def _reports(user: Any, window: Window) -> QuerySet[Any]:
    period = window.period
    return (
        ReportSubmission.objects.visible_to(user)
        .filter(scoring.in_period(period.start, period.end), branch__company_id=window.scope.company_id)
        .exclude(scoring.CLASS_2_EVENT)
    )


POPULATIONS: dict[str, Population] = {
    "feedback": Population(
        "feedback",
        _feedback_registered,
        "project_id",
        "department_id",
        newest_first=("-registered_at", "-id"),
    ),
    "feedback_overdue": Population(
        "feedback", _feedback_overdue, "project_id", "department_id", newest_first=("-registered_at", "-id")
    ),
    "visits": Population(
        "visits", _visits_due, "project_id", "handler_department_id", newest_first=("-due_at", "-id")
    ),
    "quality": Population(
        "quality", _nonconformities, "project_id", "department_id", newest_first=("-raised_at", "-id")
    ),
    "quality_open": Population(
        "quality", _open_nonconformities, "project_id", "department_id", newest_first=("-raised_at", "-id")
    ),
    "quality_actions": Population(
        "quality",
        _overdue_actions,
        "nonconformity__project_id",
        "nonconformity__department_id",
        newest_first=("-due_on", "-id"),
        related=("nonconformity__project",),
    ),
    "surveys": Population(
        "surveys", _campaigns, "project_id", "department_id", newest_first=("-period_start", "-id")
    ),
    "survey_forms": Population(
        "surveys",
        _forms,
        "campaign__project_id",
        "campaign__department_id",
        newest_first=("-returned_at", "-handed_out_at", "-id"),
        related=("campaign__project", "area__area"),
    ),
    "survey_answers": Population(
        "surveys",
        _answers,
        "form__campaign__project_id",
        "form__campaign__department_id",
        newest_first=("-form__returned_at", "-id"),
        related=("form__campaign__project", "item"),
    ),
    "reporting": Population(
        "reporting",
        _reports,
        "project_id",
        None,
        branch="branch_id",
        newest_first=("-due_at", "-id"),
        related=("project", "branch", "information_type"),
    ),
}


def _q(condition: Q | None) -> Condition:
    return lambda _window: condition


def _filter_of(aggregate: Any) -> Q:
    """The Q of a filtered aggregate (Django wraps it in an AggregateFilter)."""
    condition = aggregate.filter
    return condition if isinstance(condition, Q) else condition.get_source_expressions()[0]


def _breached(clock: str) -> Condition:
    return lambda window: clock_breached(clock, window.now)


# name → (population, condition): what each count counts, and what its drill-down lists
CONDITIONS: dict[str, tuple[str, Condition]] = {
    "feedback.total": ("feedback", _q(None)),
    "feedback.open": ("feedback", _q(Q(status__in=OPEN_STATUSES))),
    "feedback.closed": ("feedback", _q(FEEDBACK_CLOSED)),
    "feedback.major": ("feedback", _q(Q(is_major=True))),
    "feedback.hot": ("feedback", _q(Q(is_hot=True))),
    **{f"feedback.{clock}.met": ("feedback", _q(clock_met(clock))) for clock in CLOCK_COLUMNS},
    **{f"feedback.{clock}.breached": ("feedback", _breached(clock)) for clock in CLOCK_COLUMNS},
    "feedback.rating_a": ("feedback", _q(Q(rating=Rating.A))),
    "feedback.rating_b": ("feedback", _q(Q(rating=Rating.B))),
    "feedback.rating_c": ("feedback", _q(Q(rating=Rating.C))),
    "feedback.overdue_now": ("feedback_overdue", _q(None)),
    "visits.due": ("visits", _q(None)),
    "visits.graded": ("visits", _q(Q(status=VisitStatus.GRADED))),
    "visits.not_graded": ("visits", _q(~Q(status=VisitStatus.GRADED))),
    # visits.figures.GRADE_COUNTS' own conditions
    **{f"visits.{grade}": ("visits", _q(_filter_of(GRADE_COUNTS[grade]))) for grade in ("a", "b", "c")},
    "quality.raised": ("quality", _raised_in),
    "quality.closed": ("quality", _closed_in),
    "quality.open": ("quality_open", _q(None)),
    **{f"quality.open.{stage}": ("quality_open", _q(Q(stage=stage))) for stage in OPEN_STAGES},
    "quality.overdue_actions": ("quality_actions", _q(None)),
    "surveys.campaigns": ("surveys", _q(None)),
    "surveys.handed_out": ("survey_forms", _q(Q(handed_out_at__isnull=False))),
    "surveys.returned": ("survey_forms", _q(Q(returned_at__isnull=False))),
    "surveys.not_returned": ("survey_forms", _q(Q(handed_out_at__isnull=False, returned_at__isnull=True))),
    "surveys.qualified": ("survey_answers", _q(Q(rating__in=QUALIFIED_RATINGS))),
    "surveys.unsatisfied": ("survey_answers", _q(Q(rating=SurveyRating.UNSATISFIED))),
    "surveys.unrated": ("survey_answers", _q(Q(rating=SurveyRating.UNRATED))),
    # reporting.scoring.FIGURES' own conditions
    **{f"reporting.{name}": ("reporting", _q(condition)) for name, condition in scoring.FIGURES.items()},
}


def condition_rows(*, name: str, user: Any, window: Window) -> QuerySet[Any]:
    """The rows a condition counts (the drill-down's list), unordered."""
    population_key, condition = CONDITIONS[name]
    rows = POPULATIONS[population_key].rows(user, window)
    where = condition(window)
    return rows.filter(where) if where is not None else rows


# --- counting: one grouped query per population ------------------------------------------------------------

Cell = tuple[int | None, int | None, int | None]  # (project id, department id, own-reports branch id)
NOT_A_DEPARTMENT = -1  # the department of rows that have none to have (reports)

# sums beside the counts, per population
_EXTRA_SUMS: dict[str, Callable[[], dict[str, Any]]] = {
    "feedback": lambda: {
        "feedback.handling_seconds": Sum(SecondsBetween("closed_at", "registered_at"), filter=FEEDBACK_CLOSED)
    },
    "reporting": lambda: {f"reporting.count.{name}": aggregate for name, aggregate in scoring.COUNTS.items()},
}


def _by_population() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for name, (population, _condition) in CONDITIONS.items():
        names.setdefault(population, []).append(name)
    return names


_COUNTED = _by_population()
_COUNTED["reporting"] = []  # counted with reporting.scoring.COUNTS (its own conditions)


def _count_cells(user: Any, window: Window) -> dict[Cell, dict[str, Any]]:
    by_department = window.scope.kind == ScopeKind.PROJECT
    cells: dict[Cell, dict[str, Any]] = {}
    for key, population in POPULATIONS.items():
        aggregates: dict[str, Any] = {}
        for name in _COUNTED.get(key, []):
            where = CONDITIONS[name][1](window)
            aggregates[name] = Count("pk", filter=where) if where is not None else Count("pk")
        if key in _EXTRA_SUMS:
            aggregates.update(_EXTRA_SUMS[key]())
        group = [population.project]
        if by_department and population.department:
            group.append(population.department)
        if population.branch:
            group.append(population.branch)
        rows = population.rows(user, window).order_by().values(*group).annotate(**aggregates)
        for row in rows:
            project_id = row[population.project]
            if not by_department:
                department = None
            elif population.department:
                department = row[population.department]
            else:
                department = NOT_A_DEPARTMENT
            own_branch = row[population.branch] if population.branch and project_id is None else None
            tally = cells.setdefault((project_id, department, own_branch), {})
            for name in aggregates:
                if row[name] is not None:
                    tally[name] = tally.get(name, 0) + row[name]
    return cells


def _pooled(tallies: Iterable[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for tally in tallies:
        for name, value in tally.items():
            total[name] = total.get(name, 0) + value
    return total


def _rate(key: str, numerator: int, denominator: int) -> Figure:
    return Figure(key, percent_of(numerator, denominator), numerator, denominator)


def _reporting_counts(tally: dict[str, Any]) -> scoring.Counts:
    return scoring.Counts(
        expected=tally.get("reporting.count.expected", 0),
        on_time=tally.get("reporting.count.on_time", 0),
        received=tally.get("reporting.count.received", 0),
        complete=tally.get("reporting.count.complete", 0),
        scored=tally.get("reporting.count.scored", 0),
        quality_sum=Decimal(tally.get("reporting.count.quality_sum", 0)),
    )


def _figures(tally: dict[str, Any], weights: scoring.Weights) -> dict[str, Figure]:
    def n(name: str) -> int:
        return int(tally.get(name, 0))

    figures: dict[str, Figure] = {}
    for key in FIGURES:
        if key in CONDITIONS:
            figures[key] = Figure(key, n(key))
    for clock in CLOCK_COLUMNS:
        met, breached = n(f"feedback.{clock}.met"), n(f"feedback.{clock}.breached")
        figures[f"feedback.{clock}.on_time"] = _rate(f"feedback.{clock}.on_time", met, met + breached)
    closed = n("feedback.closed")
    seconds = tally.get("feedback.handling_seconds", 0) or 0
    hours = half_up(Fraction(round(seconds), closed * SECONDS_AN_HOUR), 1) if closed else None
    figures["feedback.handling_hours"] = Figure("feedback.handling_hours", hours, closed, closed)
    a, b, c = n("feedback.rating_a"), n("feedback.rating_b"), n("feedback.rating_c")
    figures["feedback.rating_satisfaction"] = _rate("feedback.rating_satisfaction", a + b, a + b + c)
    figures["visits.coverage"] = _rate("visits.coverage", n("visits.graded"), n("visits.due"))
    a, b, c = n("visits.a"), n("visits.b"), n("visits.c")
    figures["visits.satisfaction"] = _rate("visits.satisfaction", a + b, a + b + c)
    handed_out, returned = n("surveys.handed_out"), n("surveys.returned")
    figures["surveys.return_rate"] = Figure(
        "surveys.return_rate", rates.percent(rates.return_rate(returned, handed_out)), returned, handed_out
    )
    answers = rates.Counts(
        very_satisfied=n("surveys.qualified"),  # the three qualified ratings, counted together
        unsatisfied=n("surveys.unsatisfied"),
        unrated=n("surveys.unrated"),
    )
    figures["surveys.satisfaction"] = Figure(
        "surveys.satisfaction",
        rates.percent(rates.satisfaction_rate(answers)),
        answers.qualified,
        answers.rated,
    )
    counts = _reporting_counts(tally)
    score = scoring.score_of(counts, weights)
    figures["reporting.expected"] = Figure("reporting.expected", counts.expected)
    figures["reporting.on_time"] = Figure("reporting.on_time", counts.on_time)
    figures["reporting.timeliness"] = Figure(
        "reporting.timeliness", score.timeliness, counts.on_time, counts.expected
    )
    figures["reporting.completeness"] = Figure(
        "reporting.completeness", score.completeness, counts.complete, counts.expected
    )
    figures["reporting.quality"] = Figure("reporting.quality", score.quality, None, counts.scored)
    figures["reporting.score"] = Figure("reporting.score", score.total, None, counts.expected)
    return {key: figures[key] for key in FIGURES}


# --- breakdowns ---------------------------------------------------------------------------------------------


def _shares(counts: dict[str, int], choices: Any, total: int) -> list[Share]:
    """Every choice in its declared order (zeros included, so charts keep their axes), then any value that
    is no longer a choice."""
    labels = {str(value): str(label) for value, label in choices.choices}
    values = list(labels) + sorted(value for value in counts if value not in labels)
    return [
        Share(value, labels.get(value, value), counts.get(value, 0), percent_of(counts.get(value, 0), total))
        for value in values
    ]


def _feedback_breakdowns(user: Any, window: Window, total: int) -> dict[str, list[Share]]:
    names = ("channel", "kind", "category", "status")
    groups = _feedback_registered(user, window).order_by().values(*names).annotate(n=Count("pk"))  # one query
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    for group in groups:
        for name in names:
            counts[name][group[name]] = counts[name].get(group[name], 0) + group["n"]
    choices = {"channel": Channel, "kind": Kind, "category": Category, "status": Status}
    return {f"feedback.by_{name}": _shares(counts[name], choices[name], total) for name in names}


def _breakdowns(user: Any, window: Window, tally: dict[str, Any]) -> dict[str, list[Share]]:
    result = _feedback_breakdowns(user, window, int(tally.get("feedback.total", 0)))
    grades = {grade: int(tally.get(f"visits.{grade.lower()}", 0)) for grade in Grade.values}
    result["visits.by_grade"] = _shares(grades, Grade, sum(grades.values()))
    stages = {str(stage): int(tally.get(f"quality.open.{stage}", 0)) for stage in OPEN_STAGES}
    labels = dict(Stage.choices)
    result["quality.open_by_stage"] = [
        Share(stage, str(labels[stage]), count, percent_of(count, sum(stages.values())))
        for stage, count in stages.items()
    ]
    return result


# --- the units of the breakdown ---------------------------------------------------------------------------


def _in_unit(cell: Cell, unit: Unit) -> bool:
    project_id, department_id, own_branch = cell
    if unit.kind == "branch":
        return project_id in unit.project_ids or (project_id is None and own_branch == unit.pk)
    if unit.kind == "project":
        return project_id == unit.pk
    if unit.pk == NO_DEPARTMENT:
        return department_id is None
    return department_id == unit.pk


def _is_empty(tally: dict[str, Any]) -> bool:
    return not any(tally.values())


def _units(scope: MetricScope, listed: list[Unit], cells: dict[Cell, dict[str, Any]]) -> list[Unit]:
    """The scope's units (scopes.units_of); for a project, also the departments of another project or of
    the branch that its rows name, and "no department" when some rows name none."""
    if scope.kind != ScopeKind.PROJECT:
        return listed
    known = {unit.pk for unit in listed}
    named = {cell[1] for cell, tally in cells.items() if not _is_empty(tally)}
    others = sorted(pk for pk in named if pk is not None and pk != NOT_A_DEPARTMENT and pk not in known)
    project_ids = frozenset({scope.project_id or 0})
    extra = (
        [
            Unit("department", d.pk, d.kind, d.name, project_ids)
            for d in Department.objects.filter(pk__in=others).order_by("kind", "name", "pk")
        ]
        if others
        else []
    )
    none = [Unit("department", NO_DEPARTMENT, "", _("No department"), project_ids)] if None in named else []
    return [*listed, *extra, *none]


# --- computing ---------------------------------------------------------------------------------------------


def _compute(
    *, scope: MetricScope, period: Period, now: datetime, weights: scoring.Weights, listed: list[Unit]
) -> Metrics:
    user = reader(scope)
    window = Window.of(scope, period, now)
    cells = _count_cells(user, window)
    tally = _pooled(cells.values())
    units = []
    for unit in _units(scope, listed, cells):
        figures = _figures(_pooled(t for cell, t in cells.items() if _in_unit(cell, unit)), weights)
        units.append(UnitRow(unit, {key: figures[key] for key in UNIT_FIGURES}))
    return Metrics(
        scope=scope,
        period=period,
        computed_at=now,
        figures=_figures(tally, weights),
        breakdowns=_breakdowns(user, window, tally),
        units=units,
    )


def _weights(scope: MetricScope) -> scoring.Weights:
    return scoring.Weights.of(rules_for_company(scope.company_id))


def metrics_compute(*, scope: MetricScope, period: Period, now: datetime | None = None) -> Metrics:
    """Every figure of FIGURES for the scope and period, its breakdowns and its units' UNIT_FIGURES."""
    return _compute(
        scope=scope, period=period, now=now or timezone.now(), weights=_weights(scope), listed=units_of(scope)
    )


def metrics_report(*, scope: MetricScope, period: Period, now: datetime | None = None) -> MetricsReport:
    """The period's metrics, the period before's and the same period a year earlier's, at one `now`."""
    now = now or timezone.now()
    weights, listed = _weights(scope), units_of(scope)
    computed: dict[Period, Metrics] = {}  # a year's "period before" is also its "year earlier": once
    for one in (period, period.previous(), period.year_earlier()):
        if one not in computed:
            computed[one] = _compute(scope=scope, period=one, now=now, weights=weights, listed=listed)
    return MetricsReport(
        current=computed[period],
        previous=computed[period.previous()],
        year_earlier=computed[period.year_earlier()],
    )


# --- a trend: figures of feedback month by month ------------------------------------------------------------

TREND_FIGURES: tuple[str, ...] = (
    "feedback.total",
    *(f"feedback.{clock}.{part}" for clock in CLOCK_COLUMNS for part in ("met", "breached", "on_time")),
)


def metrics_trend(
    *, scope: MetricScope, months: list[date], now: datetime | None = None
) -> list[tuple[date, dict[str, Figure]]]:
    """TREND_FIGURES of each month (first days, consecutive, oldest first) with the same definitions as
    `metrics_compute`, in one grouped query whatever the number of months."""
    if not months:
        return []
    window = Window.of(
        scope, Period.custom(months[0], add_months(months[-1], 1) - timedelta(days=1)), now or timezone.now()
    )
    aggregates: dict[str, Any] = {}
    for name in TREND_FIGURES:
        if name in CONDITIONS:
            where = CONDITIONS[name][1](window)
            aggregates[name] = Count("pk", filter=where) if where is not None else Count("pk")
    # the month of each row by comparisons with the months' starts (company time), in SQL: a per-row time
    # zone conversion (TruncMonth) is a Python call per row on SQLite, seconds at a year of a large company
    starts = [Period.month(month).bounds()[0] for month in months]
    bucket = Case(
        *(When(registered_at__lt=start, then=Value(index - 1)) for index, start in enumerate(starts[1:], 1)),
        default=Value(len(months) - 1),
        output_field=IntegerField(),
    )
    rows = (
        _feedback_registered(reader(scope), window)
        .order_by()
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(**aggregates)
    )
    tallies: dict[date, dict[str, Any]] = {months[row["bucket"]]: row for row in rows}
    result = []
    for month in months:
        tally = tallies.get(month, {})
        figures = {key: Figure(key, int(tally.get(key, 0))) for key in aggregates}
        for clock in CLOCK_COLUMNS:
            met, breached = (int(tally.get(f"feedback.{clock}.{part}", 0)) for part in ("met", "breached"))
            figures[f"feedback.{clock}.on_time"] = _rate(f"feedback.{clock}.on_time", met, met + breached)
        result.append((month, {key: figures[key] for key in TREND_FIGURES}))
    return result
