"""The dashboards per role and the drill-down behind their numbers (issue 15; R-FB-7, the CS department's
monthly summary for the general manager's 月结例会, with the figures of R-RV, R-SV and R-IR).

Thin: the filters in (a scope of `scopes.scopes_for_user`, a period of `periods.parse_period`), the one
metrics layer (`metrics.metrics_report`, `drilldown.drill_rows`), the page out. Nothing is counted here:
each number on the page, in the workbook (`analytics.export`) and in the API is a `Figure` of the metrics
layer, and each links to the drill-down listing the rows behind it, whose count is that number.

- /analytics/?scope=branch:QD&period=2026-11: the dashboard. The user's widest scope by default (the
  company broken down by branch for the GM, leaders and HQ; a branch manager's branch by project; a project
  manager's or CS supervisor's project by department), the current month by default.
- /analytics/items/?scope=…&period=…&figure=…&unit=…: the rows behind one figure (of one unit).
- /analytics/workbook/?scope=…&period=…: the dashboard as an .xlsx, a sheet per table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.analytics import drilldown, export, metrics
from estatedesk.analytics.metrics import (
    COUNT,
    FIGURES,
    PERCENT,
    UNIT_FIGURES,
    Figure,
    Metrics,
    MetricsReport,
    Share,
    metrics_compute,
    metrics_report,
)
from estatedesk.analytics.periods import Period, add_months, current_month, parse_period
from estatedesk.analytics.scopes import MetricScope, Unit, scope_for_user, scopes_for_user
from estatedesk.common.errors import DomainError
from estatedesk.common.pagination import CappedPaginator
from estatedesk.feedback.choices import SlaClock

DRILL_PAGE_SIZE = 50

# the KPI cards, in the order of the monthly meeting: volume, speed, owners' view, visits, quality, surveys,
# reporting
CARD_FIGURES: tuple[str, ...] = (
    "feedback.total",
    "feedback.contact.on_time",
    "feedback.resolution.on_time",
    "feedback.handling_hours",
    "feedback.rating_satisfaction",
    "visits.coverage",
    "visits.satisfaction",
    "quality.open",
    "quality.overdue_actions",
    "surveys.return_rate",
    "surveys.satisfaction",
    "reporting.score",
)
# the SLA clocks, named as feedback names them
CLOCKS: tuple[tuple[str, Any], ...] = tuple((clock.value, clock.label) for clock in SlaClock)
# the breakdowns drawn as charts: key, title, chart type
BREAKDOWNS: tuple[tuple[str, Any, str], ...] = (
    ("feedback.by_channel", gettext_lazy("Items by channel"), "bar"),
    ("feedback.by_kind", gettext_lazy("Items by kind"), "pie"),
    ("feedback.by_category", gettext_lazy("Items by category"), "hbar"),
    ("feedback.by_status", gettext_lazy("Items by status"), "hbar"),
    ("visits.by_grade", gettext_lazy("Return visits by grade"), "pie"),
    ("quality.open_by_stage", gettext_lazy("Open nonconformities by stage"), "hbar"),
)
TREND_MONTHS = 12
UNIT_KIND_LABELS: dict[str, Any] = {
    "branch": gettext_lazy("Branch company"),
    "project": gettext_lazy("Project"),
    "department": gettext_lazy("Department"),
}


# --- the filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    scope: MetricScope
    period: Period
    scopes: list[MetricScope]  # the scope picker's choices
    invalid_period: str  # the text typed when it was no period ("" otherwise)

    def query(self, **extra: str) -> str:
        """The filters (and `extra`) as a URL's query string."""
        values = {"scope": self.scope.key, "period": self.period.text, **extra}
        return urlencode({name: value for name, value in values.items() if value})


def filters_of(request: HttpRequest) -> Filters:
    """The scope and period asked for: the user's widest scope and the current month by default; 403 for a
    user who may look at no scope, 404 for a scope out of reach (`scopes.scope_for_user`); a period that is
    none falls back to the current month, with the text kept for the page's message."""
    user = request.user
    scopes = scopes_for_user(user)
    if not scopes:
        raise PermissionDenied
    key = request.GET.get("scope", "").strip()
    scope = next((s for s in scopes if s.key == key), None) if key else scopes[0]
    if scope is None:
        scope = scope_for_user(user=user, key=key)  # 404 unless it is a scope the user may look at
    text = request.GET.get("period", "").strip()
    period = parse_period(text) if text else None
    invalid = text if period is None and text else ""
    return Filters(scope, period or Period.month(current_month()), scopes, invalid)


def quick_periods(now: datetime | None = None) -> list[tuple[str, Period]]:
    """The quick links: this month, last month, this quarter, this year."""
    month = current_month(now)
    return [
        (_("This month"), Period.month(month)),
        (_("Last month"), Period.month(add_months(month, -1))),
        (_("This quarter"), Period.quarter(month.year, (month.month - 1) // 3 + 1)),
        (_("This year"), Period.year(month.year)),
    ]


def unit_key(unit: Unit) -> str:
    """How a unit of the breakdown is named in a drill-down's URL (`branch:QD`, `project:QD-A`,
    `department:12`), as `drilldown.drill_rows(unit_key=…)` takes it."""
    return drilldown.unit_key(unit)


def drill_url(
    filters: Filters, figure: str, *, period: Period | None = None, unit: Unit | None = None
) -> str:
    """The drill-down of a figure (of a unit; of another period: the previous or a year earlier); "" for a
    figure nothing lists."""
    if FIGURES[figure].drill is None:
        return ""
    query = {
        "scope": filters.scope.key,
        "period": (period or filters.period).text,
        "figure": figure,
        **({"unit": unit_key(unit)} if unit is not None else {}),
    }
    return f"{reverse('analytics:drilldown')}?{urlencode(query)}"


# --- the trend: twelve months in one query -----------------------------------------------------------------


@dataclass(frozen=True)
class TrendMonth:
    period: Period
    items: Figure  # feedback.total of the month
    contact: Figure  # feedback.contact.on_time of the month


def trend_months(*, scope: MetricScope, period: Period, now: datetime | None = None) -> list[TrendMonth]:
    """The twelve months ending with the period's last month: items registered and contact on time, each
    month as `metrics_compute` counts it (`metrics.metrics_trend`: one query, not twelve computations)."""
    last = period.last_day.replace(day=1)
    months = [add_months(last, offset) for offset in range(-TREND_MONTHS + 1, 1)]
    return [
        TrendMonth(Period.month(month), figures["feedback.total"], figures["feedback.contact.on_time"])
        for month, figures in metrics.metrics_trend(scope=scope, months=months, now=now)
    ]


# --- what the page shows -----------------------------------------------------------------------------------


def change_text(current: Figure, earlier: Figure) -> str:
    """The change from an earlier value: +3 / −1.5 / +2.50 pp (a rate's change is in percentage points);
    "" when either is undefined (the "—" beside it says so), "±0" when nothing changed."""
    if current.value is None or earlier.value is None:
        return ""
    difference = Decimal(current.value) - Decimal(earlier.value)
    if difference == 0:
        return "±0"
    sign = "+" if difference > 0 else "−"
    size = abs(difference)
    unit = current.definition.unit
    if unit == COUNT:
        return f"{sign}{size:,.0f}"
    if unit == PERCENT:
        return _("%(change)s pp") % {"change": f"{sign}{size:.2f}"}
    return f"{sign}{size:,}"  # hours and scores keep their decimals


def change_direction(current: Figure, earlier: Figure) -> str:
    """ "up", "down" or "" (for a CSS class and a screen reader's word: not good or bad, only the way)."""
    if current.value is None or earlier.value is None or current.value == earlier.value:
        return ""
    return "up" if current.value > earlier.value else "down"


def _card(report: MetricsReport, filters: Filters, key: str) -> dict[str, Any]:
    current, previous, year_earlier = (m.figures[key] for m in _three(report))
    return {
        "key": key,
        "label": FIGURES[key].label,
        "unit": FIGURES[key].unit,
        "figure": current,
        "url": drill_url(filters, key),
        "counts": _counts_text(current),
        "previous": previous,
        "previous_url": drill_url(filters, key, period=filters.period.previous()),
        "previous_change": change_text(current, previous),
        "previous_direction": change_direction(current, previous),
        "year_earlier": year_earlier,
        "year_earlier_url": drill_url(filters, key, period=filters.period.year_earlier()),
        "year_earlier_change": change_text(current, year_earlier),
        "year_earlier_direction": change_direction(current, year_earlier),
    }


def _three(report: MetricsReport) -> tuple[Metrics, Metrics, Metrics]:
    return report.current, report.previous, report.year_earlier


def _counts_text(figure: Figure) -> str:
    """A rate's counts, "(14 / 15)"; "" for a count."""
    if figure.definition.unit != PERCENT or figure.denominator is None:
        return ""
    return f"({figure.numerator or 0:,} / {figure.denominator:,})"


def _share_drill(breakdown: str, value: str) -> str:
    """The drill listing one share of a breakdown, when there is one: a grade's visits, a stage's open
    nonconformities; "" otherwise (the items of one channel, kind or category are the feedback list's)."""
    candidates = {
        "visits.by_grade": f"visits.{value.lower()}",
        "quality.open_by_stage": f"quality.open.{value}",
    }
    key = candidates.get(breakdown, "")
    return key if key in drilldown.DRILLS else ""


def _share_rows(filters: Filters, breakdown: str, shares: list[Share]) -> list[dict[str, Any]]:
    rows = []
    for share in shares:
        drill = _share_drill(breakdown, share.value) if share.count else ""
        rows.append(
            {
                "value": share.value,
                "label": share.label,
                "count": share.count,
                "percent": "—" if share.percent is None else f"{share.percent}%",
                "url": f"{reverse('analytics:drilldown')}?{filters.query(figure=drill)}" if drill else "",
            }
        )
    return rows


def _chart_number(figure: Figure) -> float | None:
    return None if figure.value is None else float(figure.value)


def dashboard_context(report: MetricsReport, filters: Filters, trend: list[TrendMonth]) -> dict[str, Any]:
    """Everything the page and the workbook show, from the one report."""
    metrics = report.current
    cards = [_card(report, filters, key) for key in CARD_FIGURES if key in metrics.figures]
    figures = [_card(report, filters, key) for key in FIGURES if key in metrics.figures]
    breakdowns = [
        {
            "key": key,
            "slug": key.replace(".", "-"),
            "title": title,
            "chart": chart,
            "rows": _share_rows(filters, key, metrics.breakdowns.get(key, [])),
        }
        for key, title, chart in BREAKDOWNS
    ]
    clocks = [
        {
            "clock": clock,
            "label": label,
            "rate": metrics.figures[f"feedback.{clock}.on_time"],
            "rate_url": drill_url(filters, f"feedback.{clock}.on_time"),
            "met": metrics.figures[f"feedback.{clock}.met"],
            "met_url": drill_url(filters, f"feedback.{clock}.met"),
            "breached": metrics.figures[f"feedback.{clock}.breached"],
            "breached_url": drill_url(filters, f"feedback.{clock}.breached"),
        }
        for clock, label in CLOCKS
    ]
    units = [
        {
            "unit": row.unit,
            "key": unit_key(row.unit),
            "cells": [
                {"key": key, "figure": row.figures[key], "url": drill_url(filters, key, unit=row.unit)}
                for key in UNIT_FIGURES
            ],
        }
        for row in metrics.units
    ]
    chart_data: dict[str, Any] = {
        key: {
            "type": chart,
            "labels": [share.label for share in metrics.breakdowns.get(key, [])],
            "values": [share.count for share in metrics.breakdowns.get(key, [])],
            "name": _("Count"),
        }
        for key, _title, chart in BREAKDOWNS
    }
    chart_data["clocks"] = {
        "type": "rate",
        "labels": [str(row["label"]) for row in clocks],
        "values": [_chart_number(row["rate"]) for row in clocks],
        "name": _("On time (%)"),
    }
    chart_data["units"] = {
        "type": "units",
        "labels": [row.unit.name for row in metrics.units],
        "figures": [
            {
                "key": key,
                "label": str(FIGURES[key].label),
                "percent": FIGURES[key].unit == PERCENT,
                "values": [_chart_number(row.figures[key]) for row in metrics.units],
            }
            for key in UNIT_FIGURES
        ],
    }
    chart_data["trend"] = {
        "type": "trend",
        "labels": [month.period.text for month in trend],
        "items": [_chart_number(month.items) for month in trend],
        "items_name": str(FIGURES["feedback.total"].label),
        "rate": [_chart_number(month.contact) for month in trend],
        "rate_name": str(FIGURES["feedback.contact.on_time"].label),
    }
    return {
        "metrics": metrics,
        "cards": cards,
        "figures": figures,
        "breakdowns": breakdowns,
        "clocks": clocks,
        "units": units,
        "unit_figures": [{"key": key, "label": FIGURES[key].label} for key in UNIT_FIGURES],
        "unit_kind_label": UNIT_KIND_LABELS.get(filters.scope.child_kind, ""),
        "trend": [
            {
                "label": month.period.label,
                "period": month.period,
                "items": month.items,
                "items_url": drill_url(filters, "feedback.total", period=month.period),
                "rate": month.contact,
                "rate_url": drill_url(filters, "feedback.contact.on_time", period=month.period),
            }
            for month in trend
        ],
        "chart_data": chart_data,
        "computed_at": metrics.computed_at,
    }


def _filter_context(filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    return {
        "filters": filters,
        "scope": filters.scope,
        "period": filters.period,
        "previous_period": filters.period.previous(),
        "year_earlier_period": filters.period.year_earlier(),
        "invalid_period": filters.invalid_period,
        "quick_periods": [
            {
                "label": label,
                "period": period,
                "query": urlencode({"scope": filters.scope.key, "period": period.text}),
                "active": period == filters.period,
            }
            for label, period in quick_periods(now)
        ],
        "query": filters.query(),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = filters_of(request)
    now = timezone.now()
    report = metrics_report(scope=filters.scope, period=filters.period, now=now)
    trend = trend_months(scope=filters.scope, period=filters.period, now=now)
    return render(
        request,
        "analytics/dashboard.html",
        {**_filter_context(filters), **dashboard_context(report, filters, trend)},
    )


@login_required
def dashboard_workbook(request: HttpRequest) -> HttpResponse:
    filters = filters_of(request)
    report = metrics_report(scope=filters.scope, period=filters.period)
    content = export.dashboard_workbook_bytes(
        report=report,
        scope=filters.scope,
        period=filters.period,
        breakdowns=[(key, title) for key, title, _chart in BREAKDOWNS],
        clocks=CLOCKS,
        unit_kind_label=UNIT_KIND_LABELS.get(filters.scope.child_kind, ""),
    )
    filename = f"dashboard-{filters.scope.key.replace(':', '-')}-{filters.period.text}.xlsx"
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the drill-down ----------------------------------------------------------------------------------------


def _row(obj: Any) -> dict[str, Any]:
    """One row of a drill-down: its reference, what it is, its date, project, state and its own page."""
    from estatedesk.feedback.models import FeedbackItem
    from estatedesk.quality.models import Nonconformity, NonconformityAction
    from estatedesk.reporting.models import ReportSubmission
    from estatedesk.surveys.models import Campaign
    from estatedesk.visits.models import ReturnVisit

    if isinstance(obj, FeedbackItem):
        return {
            "reference": obj.reference,
            "title": obj.title,
            "when": obj.registered_at,
            "project": obj.project,
            "state": obj.get_status_display(),
            "url": reverse("feedback:item_detail", args=[obj.reference]),
        }
    if isinstance(obj, ReturnVisit):
        return {
            "reference": f"#{obj.pk}",
            "title": str(obj),
            "when": obj.due_at,
            "project": obj.project,
            "state": " · ".join(filter(None, [obj.get_status_display(), obj.get_grade_display()])),
            "url": reverse("visits:visit_detail", args=[obj.pk]),
        }
    if isinstance(obj, Nonconformity):
        return {
            "reference": obj.reference,
            "title": obj.title,
            "when": obj.raised_at,
            "project": obj.project,
            "state": obj.get_stage_display(),
            "url": reverse("quality:detail", args=[obj.reference]),
        }
    if isinstance(obj, NonconformityAction):
        nonconformity = obj.nonconformity
        return {
            "reference": nonconformity.reference,
            "title": f"{obj.get_kind_display()}: {obj.description}",
            "when": obj.due_on,
            "project": nonconformity.project,
            "state": _("Done") if obj.done_at else _("Overdue"),
            "url": reverse("quality:detail", args=[nonconformity.reference]),
        }
    if isinstance(obj, Campaign):
        return {
            "reference": obj.reference,
            "title": obj.title,
            "when": obj.period_start,
            "project": obj.project,
            "state": obj.get_status_display(),
            "url": reverse("surveys:campaign_detail", kwargs={"reference": obj.reference}),
        }
    if isinstance(obj, ReportSubmission):
        return {
            "reference": obj.reference,
            "title": obj.title or str(obj.information_type),
            "when": obj.due_at,
            "project": obj.project or obj.branch,
            "state": obj.get_status_display(),
            "url": reverse("reporting:submission_detail", kwargs={"reference": obj.reference}),
        }
    return {
        "reference": str(obj.pk),
        "title": str(obj),
        "when": None,
        "project": None,
        "state": "",
        "url": "",
    }


# what a drill-down's rows need beside themselves, per model (one query for the page, not one per row)
_RELATED: dict[str, tuple[str, ...]] = {
    "FeedbackItem": ("project",),
    "ReturnVisit": ("project",),
    "Nonconformity": ("project",),
    "NonconformityAction": ("nonconformity__project",),
    "Campaign": ("project",),
    "ReportSubmission": ("project", "branch", "information_type"),
}


def _figure_value(metrics: Metrics, figure: str, unit: str) -> tuple[Figure | None, Unit | None]:
    """The figure as the dashboard shows it: the scope's, or the unit's row of the breakdown."""
    if not unit:
        return metrics.figures.get(figure), None
    for row in metrics.units:
        if unit_key(row.unit) == unit:
            return row.figures.get(figure), row.unit  # None: a figure the units' table does not hold
    return None, None


@login_required
def drilldown_page(request: HttpRequest) -> HttpResponse:
    filters = filters_of(request)
    figure = request.GET.get("figure", "").strip()
    unit = request.GET.get("unit", "").strip()
    try:
        drill = drilldown.drill_rows(scope=filters.scope, period=filters.period, figure=figure, unit_key=unit)
    except DomainError as error:
        return render(
            request,
            "analytics/drilldown_error.html",
            {**_filter_context(filters), "message": error.message, "figure_key": figure, "unit_key": unit},
            status=400,
        )
    metrics = metrics_compute(scope=filters.scope, period=filters.period)
    value, unit_row = _figure_value(metrics, figure, unit)
    unit_row = unit_row or drill.unit
    queryset = drill.queryset
    related = _RELATED.get(queryset.model.__name__, ())
    if related:
        queryset = queryset.select_related(*related)
    paginator = CappedPaginator(queryset, DRILL_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/drilldown.html",
        {
            **_filter_context(filters),
            "drill": drill,
            "definition": FIGURES.get(figure),
            "figure_label": FIGURES[figure].label if figure in FIGURES else drill.label,
            "figure": value,
            "unit": unit_row,
            "unit_key": unit,
            "unit_kind_label": UNIT_KIND_LABELS.get(filters.scope.child_kind, ""),
            "rows": [_row(obj) for obj in page.object_list],
            "page": page,
            "paginator": paginator,
            "page_query": filters.query(figure=figure, unit=unit),
            "dashboard_url": f"{reverse('analytics:dashboard')}?{filters.query()}",
        },
    )


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("items/", drilldown_page, name="drilldown"),
    path("workbook/", dashboard_workbook, name="dashboard_workbook"),
]
