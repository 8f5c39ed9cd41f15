"""Scoring of the reports to HQ (R-IR-1): timeliness, completeness and quality per reporting unit, per
month and per year, a weighted total, ranking and a trend. The one module the scorecard page, its PDF and
Excel workbook and the API read; the rubric (QualityLevel) and the weights are edited here too.

Which reports a figure counts ("expected"): the ReportSubmission rows of the unit
- whose period starts in the month (or year): the expected periodic and yearly reports (the monthly report
  of November counts in November, although it is due on 10 December);
- with no period, whose event occurred (occurred_at, in company time) in the month: instant reports
  (a class-1 emergency, a major complaint handed over from a feedback item, …).
Class-2 events are left out (confirmed class 2, or proposed class 2 and not yet confirmed): they have no
deadline of their own at HQ, they are reported in the monthly business report (R-IR-3, R-IR-4).

The units: a project's figure counts the project's reports; a branch's own reports (made by the branch
company itself, `project` empty) are the unit "本部"; a branch's figure, which ranks the branches within the
company, pools the branch's own reports and its projects' (the branch answers for its projects' reporting,
R-IR-2); the projects and the branch's own unit are ranked within the branch.

The figures, from counts over those reports:
- on time ⇔ first_submitted_at within the deadline's last second (deadlines.is_on_time; a report returned
  for correction keeps its first submission; a missing report counts as late); timeliness = on time ÷
  expected;
- completeness = reports received (first_submitted_at set) with every required field and attachment
  (is_complete, stored at submission) ÷ expected. A late report that is complete counts as complete:
  completeness is about the content, timeliness about the time;
- quality = the mean of HQ's scores (quality_score, stored from the rubric when the report was accepted) of
  the accepted reports; None while none is accepted (a rubric change does not move old scores);
- total = the weighted mean of the three with ReportingRules' weights (weights as data: 40/30/30 by default).
  When quality is None the total weighs timeliness and completeness only (their weights renormalised to
  their sum; the page says so); when nothing is expected every figure is None, shown as "—" (never 0 or
  100), and the unit is ranked last, without a rank.
- A year's figure is pooled from the year's counts (never a mean of monthly rates).
Every figure is an exact fraction (fractions.Fraction) rounded half-up to two decimals at the end; ranks
follow the total as shown (equal totals share a rank: 1, 1, 3).

SQL aggregation: one grouped query for the period's units (branch and project), two for the trend of the 12
months (periodic reports by period, instant ones by event month), however many reports there are.
Each figure's condition is one Q (`FIGURES`): the counts and the drill-down list (the reports behind a
figure) filter with the same one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common import months, rounding
from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import NO_ROWS, scope_for
from estatedesk.org.models import Branch, Company, Project
from estatedesk.org.permissions import CAPABILITIES, require
from estatedesk.reporting import deadlines
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus
from estatedesk.reporting.models import QualityLevel, ReportingRules, ReportSubmission
from estatedesk.reporting.selectors import rules_for_company

HUNDRED = 100
CENT = Decimal("0.01")
YEAR_PATTERN = re.compile(r"\d{4}", re.ASCII)
TREND_MONTHS = 12

# --- each figure's condition, once ---------------------------------------------------------------------

RECEIVED = Q(first_submitted_at__isnull=False)
# on time ⇔ first submitted within the deadline's last second (deadlines.is_on_time: 23:59:59.999 counts)
ON_TIME = Q(first_submitted_at__isnull=False, first_submitted_at__lt=F("due_at") + deadlines.DEADLINE_SECOND)
COMPLETE = Q(first_submitted_at__isnull=False, is_complete=True)
SCORED = Q(status=SubmissionStatus.ACCEPTED, quality_score__isnull=False)
CLASS_2_EVENT = Q(confirmed_class=EmergencyClass.CLASS_2) | Q(
    confirmed_class="", proposed_class=EmergencyClass.CLASS_2
)

# the reports behind a figure (drill-down): `None` is every expected report
FIGURES: dict[str, Q | None] = {
    "expected": None,
    "on_time": ON_TIME,
    "late": ~ON_TIME,
    "received": RECEIVED,
    "missing": ~RECEIVED,
    "complete": COMPLETE,
    "incomplete": ~COMPLETE,
    "scored": SCORED,
}

COUNTS: dict[str, Any] = {
    "expected": Count("pk"),
    "on_time": Count("pk", filter=ON_TIME),
    "received": Count("pk", filter=RECEIVED),
    "complete": Count("pk", filter=COMPLETE),
    "scored": Count("pk", filter=SCORED),
    # wide enough for a year of a large company's scores (the column holds 5 digits)
    "quality_sum": Sum(
        "quality_score", filter=SCORED, output_field=DecimalField(max_digits=20, decimal_places=2)
    ),
}


# --- periods -------------------------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar month or year in company time: [start, end) as dates."""

    kind: str  # "month" or "year"
    start: date
    end: date

    @classmethod
    def month(cls, month: date) -> Period:
        first = month.replace(day=1)
        return cls("month", first, add_months(first, 1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", date(year, 1, 1), date(year + 1, 1, 1))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.kind == "month" else f"{self.start:%Y}"

    @property
    def query(self) -> dict[str, str]:
        """The period as the pages and the API ask for it (?month=2026-11 or ?year=2026)."""
        return {self.kind: self.label}

    def trend_months(self) -> list[date]:
        """The 12 months the trend shows: the year's, or the 12 months ending with the month."""
        first = self.start if self.kind == "year" else add_months(self.start, 1 - TREND_MONTHS)
        return [add_months(first, offset) for offset in range(TREND_MONTHS)]


def default_period(now: datetime | None = None) -> Period:
    """Last month: this month's reports are not due yet (the 10th of next month)."""
    return Period.month(add_months(months.current_month(now), -1))


def parse_period(*, month: str = "", year: str = "") -> Period | None:
    """?year=2026 (a year), else ?month=2026-11, else last month; None when the text is no month or year."""
    if year.strip():
        text = year.strip()
        if YEAR_PATTERN.fullmatch(text) and 1970 <= int(text) <= 9998:  # noqa: PLR2004 - as months.parse_month
            return Period.year(int(text))
        return None
    if month.strip():
        parsed = months.parse_month(month)
        return Period.month(parsed) if parsed is not None else None
    return default_period()


def _instant(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    return datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)


def in_period(start: date, end: date) -> Q:
    """Reports of [start, end): periodic ones by the start of their period, instant ones by their event."""
    occurred_from, occurred_to = _instant(start, end)
    return Q(period_start__gte=start, period_start__lt=end) | Q(
        period_start__isnull=True, occurred_at__gte=occurred_from, occurred_at__lt=occurred_to
    )


# --- exact figures ---------------------------------------------------------------------------------------


def half_up(value: Fraction) -> Decimal:
    """An exact non-negative value rounded half-up to two decimals (0.125 → 0.13)."""
    return rounding.half_up(value)


@dataclass(frozen=True)
class Weights:
    timeliness: Decimal
    completeness: Decimal
    quality: Decimal

    @classmethod
    def of(cls, rules: ReportingRules) -> Weights:
        return cls(
            Decimal(rules.weight_timeliness).quantize(CENT),
            Decimal(rules.weight_completeness).quantize(CENT),
            Decimal(rules.weight_quality).quantize(CENT),
        )


@dataclass(frozen=True)
class Counts:
    expected: int = 0
    on_time: int = 0
    received: int = 0
    complete: int = 0
    scored: int = 0
    quality_sum: Decimal = Decimal(0)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.expected + other.expected,
            self.on_time + other.on_time,
            self.received + other.received,
            self.complete + other.complete,
            self.scored + other.scored,
            self.quality_sum + other.quality_sum,
        )

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Counts:
        return cls(
            expected=row["expected"],
            on_time=row["on_time"],
            received=row["received"],
            complete=row["complete"],
            scored=row["scored"],
            quality_sum=Decimal(row["quality_sum"] or 0),
        )

    @classmethod
    def pooled(cls, parts: Iterable[Counts]) -> Counts:
        return sum(parts, cls())


@dataclass(frozen=True)
class Score:
    """The figures of some reports; None where undefined (nothing expected, nothing scored)."""

    counts: Counts
    timeliness: Decimal | None
    completeness: Decimal | None
    quality: Decimal | None
    total: Decimal | None
    renormalised: bool  # quality undefined: the total weighs timeliness and completeness only

    @property
    def late(self) -> int:
        return self.counts.expected - self.counts.on_time


def score_of(counts: Counts, weights: Weights) -> Score:
    """The figures of `counts` (pure; see the module's docstring)."""
    if counts.expected == 0:
        return Score(counts, None, None, None, None, renormalised=False)
    timeliness = Fraction(counts.on_time, counts.expected) * HUNDRED
    completeness = Fraction(counts.complete, counts.expected) * HUNDRED
    quality = Fraction(counts.quality_sum) / counts.scored if counts.scored else None
    parts = [(Fraction(weights.timeliness), timeliness), (Fraction(weights.completeness), completeness)]
    if quality is not None:
        parts.append((Fraction(weights.quality), quality))
    weight_sum = sum((weight for weight, _value in parts), Fraction(0))
    total = sum((w * v for w, v in parts), Fraction(0)) / weight_sum if weight_sum else None
    return Score(
        counts,
        timeliness=half_up(timeliness),
        completeness=half_up(completeness),
        quality=half_up(quality) if quality is not None else None,
        total=half_up(total) if total is not None else None,
        renormalised=quality is None and weights.quality > 0,
    )


# --- who sees which scores ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreAccess:
    """Where the user holds reporting.scores: whole companies (HQ, the general manager, leaders), whole
    branches (the branch manager: the branch and its projects) or single projects (the project manager)."""

    company_ids: frozenset[int] = frozenset()
    branch_ids: frozenset[int] = frozenset()
    project_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.company_ids or self.branch_ids or self.project_ids)

    def submissions_q(self) -> Q:
        condition = NO_ROWS
        if self.company_ids:
            condition |= Q(branch__company_id__in=sorted(self.company_ids))
        if self.branch_ids:
            condition |= Q(branch_id__in=sorted(self.branch_ids))
        if self.project_ids:
            condition |= Q(project_id__in=sorted(self.project_ids))
        return condition

    def covers_branch(self, branch: Branch) -> bool:
        """The whole branch: its own reports and every project's."""
        return branch.company_id in self.company_ids or branch.pk in self.branch_ids

    def covers_project(self, project: Project, branch: Branch) -> bool:
        return self.covers_branch(branch) or project.pk in self.project_ids


def score_access(user: Any) -> ScoreAccess:
    scope = scope_for(user)
    allowed = CAPABILITIES["reporting.scores"]
    return ScoreAccess(
        company_ids=scope.company_ids if scope.roles_global & allowed else frozenset(),
        branch_ids=frozenset(pk for pk, roles in scope.roles_by_branch.items() if roles & allowed),
        project_ids=frozenset(pk for pk, roles in scope.roles_by_project.items() if roles & allowed),
    )


def _company_id(access: ScoreAccess) -> int | None:
    """The company whose scores the user reads (a person works for one company; the lowest id otherwise)."""
    if access.company_ids:
        return min(access.company_ids)
    branches = Branch.objects.filter(Q(pk__in=access.branch_ids) | Q(projects__pk__in=access.project_ids))
    return branches.order_by("company_id").values_list("company_id", flat=True).first()


def _base(user: Any, access: ScoreAccess, company_id: int) -> QuerySet[ReportSubmission]:
    """Every report the user may score, of one company, class-2 events left out."""
    return (
        ReportSubmission.objects.visible_to(user)
        .filter(access.submissions_q(), branch__company_id=company_id)
        .exclude(CLASS_2_EVENT)
    )


# --- the scorecard ----------------------------------------------------------------------------------------

OWN = "own"


@dataclass(frozen=True)
class Selection:
    """Which reports a figure is about: the whole view, a branch (pooled), a branch's own reports, a
    project."""

    branch: Branch | None = None
    own: bool = False
    project: Project | None = None

    def q(self) -> Q:
        if self.project is not None:
            return Q(project_id=self.project.pk)
        if self.branch is not None and self.own:
            return Q(branch_id=self.branch.pk, project__isnull=True)
        if self.branch is not None:
            return Q(branch_id=self.branch.pk)
        return Q()

    @property
    def params(self) -> dict[str, str]:
        """The selection as the drill-down page asks for it."""
        if self.project is not None:
            return {"project": self.project.code}
        if self.branch is not None and self.own:
            return {"branch": self.branch.code, "unit": OWN}
        if self.branch is not None:
            return {"branch": self.branch.code}
        return {}


@dataclass(frozen=True)
class UnitScore:
    kind: str  # "branch" (pooled), "own" (the branch's own reports) or "project"
    code: str
    name: str
    branch_code: str
    score: Score
    selection: Selection
    rank: int | None = None


@dataclass(frozen=True)
class TrendPoint:
    month: date
    score: Score


@dataclass(frozen=True)
class Scorecard:
    """What the scorecard shows. `headline` is the figure of `selection` (the chosen branch, pooled; else
    everything the user may score) and `trend` its 12 months."""

    company: Company
    period: Period
    weights: Weights
    selection: Selection
    headline: Score
    headline_label: str
    branches: list[UnitScore]
    branch: Branch | None
    units: list[UnitScore]
    units_ranked: bool
    trend: list[TrendPoint]


def _open_in(unit: Branch | Project, period: Period) -> bool:
    opened = unit.opened_on is None or unit.opened_on < period.end
    not_closed = unit.closed_on is None or unit.closed_on >= period.start
    return opened and not_closed


def ranked(rows: list[UnitScore]) -> list[UnitScore]:
    """Highest total first; equal totals (as shown) share a rank; no total, no rank, last."""
    order = sorted(rows, key=lambda r: (r.score.total is None, -(r.score.total or 0), r.code))
    result: list[UnitScore] = []
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(order, start=1):
        if row.score.total is None:
            result.append(_with_rank(row, None))
            continue
        if row.score.total != previous:
            rank, previous = position, row.score.total
        result.append(_with_rank(row, rank))
    return result


def _with_rank(row: UnitScore, rank: int | None) -> UnitScore:
    return UnitScore(row.kind, row.code, row.name, row.branch_code, row.score, row.selection, rank)


def _unit_counts(
    queryset: QuerySet[ReportSubmission], period: Period
) -> dict[tuple[int, int | None], Counts]:
    rows = (
        queryset.filter(in_period(period.start, period.end))
        .order_by()
        .values("branch_id", "project_id")
        .annotate(**COUNTS)
    )
    return {(row["branch_id"], row["project_id"]): Counts.of(row) for row in rows}


def trend(queryset: QuerySet[ReportSubmission], period: Period, weights: Weights) -> list[TrendPoint]:
    """The figures of each of the 12 months of the trend: two grouped queries."""
    months = period.trend_months()
    start, end = months[0], add_months(months[-1], 1)
    zone = timezone.get_default_timezone()
    counts: dict[date, Counts] = {}
    periodic = (
        queryset.filter(period_start__gte=start, period_start__lt=end)
        .order_by()
        .annotate(bucket=TruncMonth("period_start"))
        .values("bucket")
        .annotate(**COUNTS)
    )
    occurred_from, occurred_to = _instant(start, end)
    instant = (
        queryset.filter(
            period_start__isnull=True, occurred_at__gte=occurred_from, occurred_at__lt=occurred_to
        )
        .order_by()
        .annotate(bucket=TruncMonth("occurred_at", tzinfo=zone))
        .values("bucket")
        .annotate(**COUNTS)
    )
    for row in [*periodic, *instant]:
        bucket = row["bucket"]
        month = (timezone.localtime(bucket, zone).date() if isinstance(bucket, datetime) else bucket).replace(
            day=1
        )
        counts[month] = counts.get(month, Counts()) + Counts.of(row)
    return [TrendPoint(month, score_of(counts.get(month, Counts()), weights)) for month in months]


class ScopeError(LookupError):
    """A branch or project the user may not score (the views answer 404)."""


def _branch_rows(
    branches: list[Branch], counts: dict[tuple[int, int | None], Counts], period: Period, weights: Weights
) -> list[UnitScore]:
    rows = []
    for branch in branches:
        pooled = Counts.pooled(c for (branch_id, _p), c in counts.items() if branch_id == branch.pk)
        if not _open_in(branch, period) and not pooled.expected:
            continue
        rows.append(
            UnitScore(
                "branch", branch.code, branch.name, branch.code, score_of(pooled, weights), Selection(branch)
            )
        )
    return ranked(rows)


def _unit_rows(
    branch: Branch | None,
    projects: list[Project],
    counts: dict[tuple[int, int | None], Counts],
    period: Period,
    weights: Weights,
) -> list[UnitScore]:
    rows = []
    if branch is not None:
        own = counts.get((branch.pk, None), Counts())
        rows.append(
            UnitScore(
                OWN,
                branch.code,
                _("%(branch)s (own reports)") % {"branch": branch.name},
                branch.code,
                score_of(own, weights),
                Selection(branch, own=True),
            )
        )
    for project in projects:
        mine = counts.get((project.branch_id, project.pk), Counts())
        if not mine.expected and not (project.is_active and _open_in(project, period)):
            continue
        rows.append(
            UnitScore(
                "project",
                project.code,
                project.name,
                project.branch.code,
                score_of(mine, weights),
                Selection(project=project),
            )
        )
    return rows


def scorecard(*, user: Any, period: Period, branch_code: str = "") -> Scorecard:
    """The scores the user may read for `period`: the branches ranked (company-wide readers), the units of
    a branch (its own reports and its projects, ranked) or the user's projects, the whole view's figure and
    its 12-month trend. Raises ScopeError for a branch the user does not cover wholly."""
    access = score_access(user)
    company_id = _company_id(access) if not access.is_empty else None
    if company_id is None:
        raise ScopeError("no scores")
    company = Company.objects.get(pk=company_id)
    weights = Weights.of(rules_for_company(company_id))
    base = _base(user, access, company_id)
    counts = _unit_counts(base, period)

    branch_query = Branch.objects.filter(company_id=company_id).order_by("code")
    if company_id not in access.company_ids:
        branch_query = branch_query.filter(pk__in=access.branch_ids)
    covered = list(branch_query)
    branches = _branch_rows(covered, counts, period, weights)

    selected = next((b for b in covered if b.code == branch_code), None) if branch_code else None
    if branch_code and selected is None:
        raise ScopeError(branch_code)
    if selected is None and len(covered) == 1 and company_id not in access.company_ids:
        selected = covered[0]

    if selected is not None:
        projects = list(Project.objects.filter(branch=selected).select_related("branch").order_by("code"))
        units = ranked(_unit_rows(selected, projects, counts, period, weights))
        units_ranked = True
    else:
        single = access.project_ids - {
            p.pk for p in Project.objects.filter(pk__in=access.project_ids, branch__in=covered)
        }
        projects = list(
            Project.objects.filter(pk__in=single, branch__company_id=company_id)
            .select_related("branch")
            .order_by("code")
        )
        units = _unit_rows(None, projects, counts, period, weights)
        units_ranked = False

    selection = Selection(selected) if selected is not None else Selection()
    if selected is not None:
        label = selected.name
        headline = Counts.pooled(c for (branch_id, _p), c in counts.items() if branch_id == selected.pk)
    else:
        label = company.name if company_id in access.company_ids else _("Your units")
        headline = Counts.pooled(counts.values())
    return Scorecard(
        company=company,
        period=period,
        weights=weights,
        selection=selection,
        headline=score_of(headline, weights),
        headline_label=label,
        branches=branches if (company_id in access.company_ids or len(covered) > 1) else [],
        branch=selected,
        units=units,
        units_ranked=units_ranked,
        trend=trend(base.filter(selection.q()), period, weights),
    )


def company_for(user: Any) -> Company | None:
    """The company whose scores (and rubric) the user reads."""
    access = score_access(user)
    company_id = _company_id(access) if not access.is_empty else None
    if company_id is None:
        ids = scope_for(user).company_ids
        company_id = min(ids) if ids else None
    return Company.objects.filter(pk=company_id).first() if company_id is not None else None


# --- the reports behind a figure (drill-down) ----------------------------------------------------------


def selection_for(*, user: Any, branch_code: str = "", unit: str = "", project_code: str = "") -> Selection:
    """The selection of the drill-down's parameters, or ScopeError when the user may not score it."""
    access = score_access(user)
    if access.is_empty:
        raise ScopeError("no scores")
    if project_code:
        project = Project.objects.select_related("branch").filter(code=project_code).first()
        if project is None or not access.covers_project(project, project.branch):
            raise ScopeError(project_code)
        return Selection(project=project)
    if branch_code:
        branch = Branch.objects.filter(code=branch_code).first()
        if branch is None or not access.covers_branch(branch):
            raise ScopeError(branch_code)
        return Selection(branch, own=unit == OWN)
    return Selection()


def score_reports(
    *, user: Any, period: Period, selection: Selection, figure: str
) -> QuerySet[ReportSubmission]:
    """Exactly the reports behind a figure: the expected reports of the selection in the period (the
    denominator) or those meeting the figure's condition, each marked on time / complete / scored by the
    same conditions the counts use."""
    if figure not in FIGURES:
        raise DomainError(
            "reporting.figure_unknown", _("Unknown figure."), fields={"figure": [_("Unknown.")]}
        )
    access = score_access(user)
    company_id = _company_id(access) if not access.is_empty else None
    if company_id is None:
        raise ScopeError("no scores")
    queryset = _base(user, access, company_id).filter(in_period(period.start, period.end), selection.q())
    condition = FIGURES[figure]
    if condition is not None:
        queryset = queryset.filter(condition)
    flag = BooleanField()
    return (
        queryset.select_related("information_type", "branch", "project")
        .annotate(
            is_on_time=Case(When(ON_TIME, then=Value(True)), default=Value(False), output_field=flag),
            is_received=Case(When(RECEIVED, then=Value(True)), default=Value(False), output_field=flag),
            counts_complete=Case(When(COMPLETE, then=Value(True)), default=Value(False), output_field=flag),
            is_scored=Case(When(SCORED, then=Value(True)), default=Value(False), output_field=flag),
        )
        .order_by(
            "period_start", "occurred_at", "branch__code", "project__code", "information_type__position", "id"
        )
    )


# --- the rubric and the weights (HQ edits them) --------------------------------------------------------


@dataclass(frozen=True)
class LevelInput:
    """One row of the rubric's form: `pk` None for a new level."""

    pk: int | None
    label: str
    score: Decimal
    description: str = ""
    position: int = 0
    delete: bool = False


def quality_levels(*, company: Company) -> list[QualityLevel]:
    return list(QualityLevel.objects.filter(company=company).order_by("position", "-score", "id"))


def rubric_save(*, actor: Any, company: Company, levels: list[LevelInput], weights: Weights) -> None:
    """Save the rubric's levels (edit, add, delete an unused one) and the weights of the total.
    Weights are each 0–100 and together 100. A score changed here applies to reports accepted from now on:
    an accepted report keeps the score it was given."""
    require(actor, "reporting.catalogue")
    if company.pk not in scope_for(actor).company_ids:
        raise DomainError("reporting.not_your_company", _("This is not your company."), status=404)
    problems: dict[str, list[Any]] = {}
    for name in ("timeliness", "completeness", "quality"):
        value = getattr(weights, name)
        if not Decimal(0) <= value <= Decimal(HUNDRED):
            problems[f"weight_{name}"] = [_("A weight is between 0 and 100.")]
    if not problems and weights.timeliness + weights.completeness + weights.quality != HUNDRED:
        problems["__all__"] = [_("The three weights add up to 100.")]
    if problems:
        raise DomainError("reporting.weights_invalid", _("The weights are not valid."), fields=problems)
    with transaction.atomic():
        rules = ReportingRules.objects.select_for_update().get(pk=rules_for_company(company.pk).pk)
        before = model_changes(rules, ["weight_timeliness", "weight_completeness", "weight_quality"])
        rules.weight_timeliness = weights.timeliness.quantize(CENT)
        rules.weight_completeness = weights.completeness.quantize(CENT)
        rules.weight_quality = weights.quality.quantize(CENT)
        rules.save(update_fields=["weight_timeliness", "weight_completeness", "weight_quality"])
        after = model_changes(rules, ["weight_timeliness", "weight_completeness", "weight_quality"])
        if before != after:
            audit_record(actor=actor, action="update", obj=rules, before=before, after=after)
        for row in levels:
            _level_save(actor=actor, company=company, row=row)


def _level_save(*, actor: Any, company: Company, row: LevelInput) -> None:
    fields = ["label", "score", "description", "position"]
    score = row.score.quantize(CENT)  # as the column holds it: 80 and 80.00 are one score
    if row.pk is None:
        if row.delete or not row.label.strip():
            return
        level = QualityLevel.objects.create(
            company=company,
            label=row.label.strip(),
            score=score,
            description=row.description.strip(),
            position=row.position,
        )
        audit_record(actor=actor, action="create", obj=level, after=model_changes(level, fields))
        return
    found = QualityLevel.objects.select_for_update().filter(company=company, pk=row.pk).first()
    if found is None:
        raise DomainError("reporting.level_unknown", _("That quality level does not exist."), status=404)
    level = found
    if row.delete:
        if ReportSubmission.objects.filter(quality_level=level).exists():
            raise DomainError(
                "reporting.level_in_use",
                _("“%(level)s” was given to accepted reports: change it, but it cannot be deleted.")
                % {"level": level.label},
                status=409,
            )
        audit_record(actor=actor, action="delete", obj=level, before=model_changes(level, fields))
        level.delete()
        return
    before = model_changes(level, fields)
    level.label = row.label.strip()
    level.score = score
    level.description = row.description.strip()
    level.position = row.position
    level.save(update_fields=fields)
    after = model_changes(level, fields)
    if before != after:
        audit_record(actor=actor, action="update", obj=level, before=before, after=after)
