"""Pages of the scoring of reports to HQ (R-IR-1). Thin: they read `reporting.scoring` (the same figures as
the PDF, the workbook and the API) and write the rubric through its service.

- the scorecard (/reporting/scores/?month=2026-11 or ?year=2026[&branch=QD]): the branches ranked, a
  branch's own reports and its projects ranked, the 12-month trend (ECharts, static/reporting/scorecard.js,
  with the same numbers in tables), every figure a link to the reports behind it;
- the reports behind a figure (/reporting/scores/reports/?…&figure=on_time);
- the scorecard as a PDF (charts as SVG) and as an Excel workbook;
- the rubric (quality levels) and the weights of the total: read by whoever reads scores, edited by HQ.

Who: reporting.scores (HQ, the general manager and leaders everything; a branch manager the branch and its
projects; a project manager the project); anyone else 403, a branch or project outside their scores 404.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import scoring
from estatedesk.reporting.models import ReportSubmission
from estatedesk.reporting.scorecard_export import scorecard_workbook
from estatedesk.reporting.scorecard_pdf import scorecard_pdf
from estatedesk.reporting.scoring import FIGURES, Period, ScopeError, Scorecard, Selection, UnitScore
from estatedesk.reporting.selectors import rules_for_company

PAGE_SIZE = 100
LINKED_FIGURES = ("expected", "on_time", "late", "complete", "incomplete", "missing", "scored")
FIGURE_TITLES = {
    "expected": gettext_lazy("Reports expected"),
    "on_time": gettext_lazy("Reports on time"),
    "late": gettext_lazy("Reports late or missing"),
    "received": gettext_lazy("Reports received"),
    "missing": gettext_lazy("Reports missing"),
    "complete": gettext_lazy("Reports received complete"),
    "incomplete": gettext_lazy("Reports incomplete or missing"),
    "scored": gettext_lazy("Accepted reports with a quality score"),
}


def _require_scores(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.scores"):
        raise PermissionDenied


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The period asked for, and the text when it was no month or year (last month is shown instead)."""
    month, year = request.GET.get("month", ""), request.GET.get("year", "")
    period = scoring.parse_period(month=month, year=year)
    if period is None:
        return scoring.default_period(), (year or month).strip()
    return period, ""


def _scorecard(request: HttpRequest, period: Period) -> Scorecard:
    try:
        return scoring.scorecard(user=request.user, period=period, branch_code=request.GET.get("branch", ""))
    except ScopeError as exc:
        raise Http404 from exc


def _drill_url(period: Period, selection: Selection, figure: str) -> str:
    query = urlencode({**period.query, **selection.params, "figure": figure})
    return f"{reverse('reporting:score_reports')}?{query}"


def _row(unit: UnitScore, period: Period) -> dict[str, Any]:
    links = {figure: _drill_url(period, unit.selection, figure) for figure in LINKED_FIGURES}
    branch_link = ""
    if unit.kind == "branch":
        branch_link = f"{reverse('reporting:scorecard')}?{urlencode({**period.query, 'branch': unit.code})}"
    return {"unit": unit, "score": unit.score, "links": links, "branch_link": branch_link}


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _chart_data(card: Scorecard) -> dict[str, Any]:
    """What the charts draw (json_script): the same numbers as the tables."""
    ranked_units = card.branches or (card.units if card.units_ranked else [])
    return {
        "bars": {
            "labels": [unit.name for unit in ranked_units],
            "values": [_number(unit.score.total) for unit in ranked_units],
        },
        "trend": {
            "labels": [f"{point.month:%Y-%m}" for point in card.trend],
            "series": [
                {
                    "name": str(name),
                    "key": key,
                    "values": [_number(getattr(p.score, key)) for p in card.trend],
                }
                for key, name in (
                    ("total", _("Total")),
                    ("timeliness", _("Timeliness")),
                    ("completeness", _("Completeness")),
                    ("quality", _("Quality")),
                )
            ],
        },
    }


@login_required
@require_GET
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """The scores of a month or year (reporting.scoring.scorecard)."""
    _require_scores(request)
    period, invalid = _period(request)
    card = _scorecard(request, period)
    query = {**period.query, **({"branch": card.branch.code} if card.branch else {})}
    return render(
        request,
        "reporting/score_card.html",
        {
            "card": card,
            "period": period,
            "invalid_period": invalid,
            "headline": {
                "score": card.headline,
                "links": {f: _drill_url(period, card.selection, f) for f in LINKED_FIGURES},
            },
            "branches": [_row(unit, period) for unit in card.branches],
            "units": [_row(unit, period) for unit in card.units],
            "trend": [
                {
                    "month": point.month,
                    "score": point.score,
                    "link": _drill_url(Period.month(point.month), card.selection, "expected"),
                }
                for point in card.trend
            ],
            "chart_data": _chart_data(card),
            "month_value": f"{period.start:%Y-%m}",
            "year_value": f"{period.start:%Y}",
            "branch_choices": [(unit.code, unit.name) for unit in card.branches],
            "query": urlencode(query),
            "can_edit_rubric": can(request.user, "reporting.catalogue"),
            "list_url": optional_url("reporting:submission_list"),
        },
    )


def optional_url(name: str, *args: Any) -> str:
    """The URL of another module's page, or "" while that module has none (the pages still work)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def period_words(report: ReportSubmission) -> str:
    """A report's period as people say it: 2026-11 (a month), 2026 (a year), else its dates; an event's
    time."""
    start, end = report.period_start, report.period_end
    if start is not None and end is not None:
        if start.day == 1 and end == scoring.add_months(start, 1) - timedelta(days=1):
            return f"{start:%Y-%m}"
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
            return f"{start:%Y}"
        return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    if start is not None:
        return f"{start:%Y-%m-%d}"
    if report.occurred_at is not None:
        return f"{timezone.localtime(report.occurred_at):%Y-%m-%d %H:%M}"
    return ""


@login_required
@require_GET
def score_reports_page(request: HttpRequest) -> HttpResponse:
    """Exactly the reports behind a figure: ?month=…|year=…, branch / branch & unit=own / project, figure."""
    _require_scores(request)
    period, invalid = _period(request)
    if invalid:
        raise Http404
    figure = request.GET.get("figure", "expected")
    if figure not in FIGURES:
        raise Http404
    try:
        selection = scoring.selection_for(
            user=request.user,
            branch_code=request.GET.get("branch", "").strip(),
            unit=request.GET.get("unit", "").strip(),
            project_code=request.GET.get("project", "").strip(),
        )
        reports = scoring.score_reports(user=request.user, period=period, selection=selection, figure=figure)
    except ScopeError as exc:
        raise Http404 from exc
    paginator = CappedPaginator(reports, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "report": report,
            "url": optional_url("reporting:submission_detail", report.reference),
            "period": period_words(report),
        }
        for report in page.object_list
    ]
    back = {**period.query, **({"branch": selection.branch.code} if selection.branch else {})}
    if selection.project is not None:
        back["branch"] = selection.project.branch.code
    return render(
        request,
        "reporting/score_reports.html",
        {
            "period": period,
            "figure": figure,
            "figure_title": FIGURE_TITLES[figure],
            "selection": selection,
            "page": page,
            "rows": rows,
            "count": paginator.count,
            "figures": [
                (key, FIGURE_TITLES[key], _drill_url(period, selection, key)) for key in LINKED_FIGURES
            ],
            "back_url": f"{reverse('reporting:scorecard')}?{urlencode(back)}",
            "page_query": urlencode({**period.query, **selection.params, "figure": figure}),
        },
    )


@login_required
@require_GET
def scorecard_pdf_view(request: HttpRequest) -> HttpResponse:
    """The scorecard as a PDF (Chinese, charts as SVG): the same figures as the page."""
    _require_scores(request)
    period, _invalid = _period(request)
    card = _scorecard(request, period)
    response = HttpResponse(scorecard_pdf(card=card), content_type="application/pdf")
    suffix = f"-{card.branch.code}" if card.branch else ""
    response["Content-Disposition"] = f'inline; filename="scores-{period.label}{suffix}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def scorecard_xlsx(request: HttpRequest) -> FileResponse:
    """The scorecard as an Excel workbook (audited)."""
    _require_scores(request)
    period, _invalid = _period(request)
    card = _scorecard(request, period)
    path_name = scorecard_workbook(actor=request.user, card=card)
    handle = open(path_name, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path_name)  # the open handle keeps the data until the response is sent
    suffix = f"-{card.branch.code}" if card.branch else ""
    return FileResponse(handle, as_attachment=True, filename=f"信息报送考核-{period.label}{suffix}.xlsx")


# --- the rubric and the weights --------------------------------------------------------------------------

SCORE_FIELD: dict[str, Any] = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


class WeightsForm(forms.Form):
    weight_timeliness = forms.DecimalField(label=gettext_lazy("Weight of timeliness (%)"), **SCORE_FIELD)
    weight_completeness = forms.DecimalField(label=gettext_lazy("Weight of completeness (%)"), **SCORE_FIELD)
    weight_quality = forms.DecimalField(label=gettext_lazy("Weight of quality (%)"), **SCORE_FIELD)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get(name) for name in self.fields]
        if all(value is not None for value in values) and sum(values) != scoring.HUNDRED:  # type: ignore[arg-type]
            raise forms.ValidationError(_("The three weights add up to 100."))
        return data


class LevelForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(label=gettext_lazy("Level"), max_length=30, required=False)
    score = forms.DecimalField(label=gettext_lazy("Score"), required=False, **SCORE_FIELD)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    position = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=999, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("label", "").strip() and data.get("score") is None and not data.get("DELETE"):
            self.add_error("score", _("Give the level a score."))
        return data


LevelFormSet = forms.formset_factory(LevelForm, extra=2, can_delete=True, max_num=50, absolute_max=60)


def _company(request: HttpRequest) -> Company:
    company = scoring.company_for(request.user)
    if company is None:
        raise Http404
    return company


def _levels_initial(company: Company) -> list[dict[str, Any]]:
    return [
        {
            "id": level.pk,
            "label": level.label,
            "score": level.score,
            "description": level.description,
            "position": level.position,
        }
        for level in scoring.quality_levels(company=company)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def rubric(request: HttpRequest) -> HttpResponse:
    """HQ's rubric for the quality of accepted reports and the weights of the total."""
    may_edit = can(request.user, "reporting.catalogue")
    if not (may_edit or can_anywhere(request.user, "reporting.scores")):
        raise PermissionDenied
    company = _company(request)
    rules = rules_for_company(company.pk)
    weights_initial = {
        "weight_timeliness": rules.weight_timeliness,
        "weight_completeness": rules.weight_completeness,
        "weight_quality": rules.weight_quality,
    }
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        weights_form = WeightsForm(request.POST)
        formset = LevelFormSet(request.POST, prefix="levels")
        if weights_form.is_valid() and formset.is_valid():
            levels = [
                scoring.LevelInput(
                    pk=form.cleaned_data.get("id"),
                    label=form.cleaned_data.get("label", ""),
                    score=form.cleaned_data.get("score") or Decimal(0),
                    description=form.cleaned_data.get("description", ""),
                    position=form.cleaned_data.get("position") or 0,
                    delete=bool(form.cleaned_data.get("DELETE")),
                )
                for form in formset.forms
                if form.has_changed() or form.cleaned_data.get("id")
            ]
            try:
                scoring.rubric_save(
                    actor=request.user,
                    company=company,
                    levels=levels,
                    weights=scoring.Weights(
                        weights_form.cleaned_data["weight_timeliness"],
                        weights_form.cleaned_data["weight_completeness"],
                        weights_form.cleaned_data["weight_quality"],
                    ),
                )
            except DomainError as error:
                add_domain_error(weights_form, error)
            else:
                messages.success(request, _("The rubric and the weights are saved."))
                return redirect("reporting:rubric")
        status = 400
    else:
        weights_form = WeightsForm(initial=weights_initial)
        formset = LevelFormSet(initial=_levels_initial(company), prefix="levels")
        status = 200
    return render(
        request,
        "reporting/score_rubric.html",
        {
            "company": company,
            "may_edit": may_edit,
            "levels": scoring.quality_levels(company=company),
            "weights": scoring.Weights.of(rules),
            "weights_form": weights_form,
            "formset": formset,
        },
        status=status,
    )


urlpatterns = [
    path("scores/", scorecard_page, name="scorecard"),
    path("scores/reports/", score_reports_page, name="score_reports"),
    path("scores/pdf/", scorecard_pdf_view, name="scorecard_pdf"),
    path("scores/xlsx/", scorecard_xlsx, name="scorecard_xlsx"),
    path("scores/rubric/", rubric, name="rubric"),
]
