"""The analysis of a campaign (R-SV-3, R-SV-4): the survey table (items × areas, each rate with its counts),
the returns per area, the Pareto chart of the unsatisfied answers by item, the comparison with the previous
campaign, the workbook, and the findings that become a feedback item or open a nonconformity. Every number
comes from figures.campaign_figures; the views only shape it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Kind
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.surveys import export, findings, rates, selectors
from estatedesk.surveys.figures import CampaignFigures, campaign_figures
from estatedesk.surveys.models import Campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _campaign(request: HttpRequest, reference: str) -> Campaign:
    """The campaign for a user who may see surveys at its project; 404 when it is not theirs."""
    if not can_anywhere(request.user, "surveys.view"):
        raise PermissionDenied
    campaign = selectors.campaign_get_for_user(user=request.user, reference=reference)
    if not can(request.user, "surveys.view", project=campaign.project):
        raise Http404
    return campaign


def pareto_chart_data(figures: CampaignFigures) -> dict[str, Any]:
    """What the page's chart draws (static/surveys/analysis.js): bars descending, the cumulative share on a
    second axis (0-100%), and the cutoff's reference line; the shares as shown (two decimals)."""
    return {
        "labels": [row.label for row in figures.pareto],
        "counts": [row.count for row in figures.pareto],
        "cumulative": [float(rates.percent(row.cumulative) or 0) for row in figures.pareto],
        "cutoff": float(rates.PARETO_CUTOFF),
        "names": {
            "count": _("Unsatisfied answers"),
            "cumulative": _("Cumulative share"),
            "cutoff": _("%(cutoff)s%% line") % {"cutoff": int(rates.PARETO_CUTOFF)},
        },
    }


def _finding_rows(request: HttpRequest, campaign: Campaign, figures: CampaignFigures) -> list[dict[str, Any]]:
    can_raise = can(request.user, "quality.raise", project=campaign.project)
    return [
        {
            "finding": finding,
            "reference": findings.survey_reference(campaign=campaign, finding=finding),
            "rate": rates.percent_text(rates.satisfaction_rate(finding.counts)),
            "nonconformity_query": findings.nonconformity_query(campaign=campaign, finding=finding)
            if can_raise
            else "",
        }
        for finding in findings.findings_list(figures)
    ]


def _url(name: str, *args: Any) -> str:
    """A link to another surveys page, or "" while that page is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _links(campaign: Campaign, figures: CampaignFigures) -> dict[str, str]:
    previous = figures.previous
    return {
        "list": _url("surveys:campaign_list"),
        "campaign": _url("surveys:campaign_detail", campaign.reference),
        "report": _url("surveys:report", campaign.reference),
        "previous": _url("surveys:analysis", previous.reference) if previous is not None else "",
    }


@login_required
@require_GET
def analysis(request: HttpRequest, reference: str) -> HttpResponse:
    campaign = _campaign(request, reference)
    figures = campaign_figures(campaign)
    user = request.user
    project = campaign.project
    rows = [
        {"figure": row, "cells": list(zip(figures.areas, row.cells, strict=True))} for row in figures.items
    ]
    return render(
        request,
        "surveys/analysis.html",
        {
            "campaign": campaign,
            "figures": figures,
            "rows": rows,
            "finding_rows": _finding_rows(request, campaign, figures),
            "chart_data": pareto_chart_data(figures) if figures.pareto else None,
            "can_register": can(user, "feedback.register", project=project),
            "can_raise": can(user, "quality.raise", project=project),
            "can_export": can(user, "surveys.export", project=project),
            "kinds": [(kind.value, kind.label) for kind in findings.FINDING_KINDS],
            "links": _links(campaign, figures),
            "return_rate_text": rates.percent_text(figures.return_rate),
            "return_rows": [
                {"area": area, "text": rates.percent_text(area.returns.rate)} for area in figures.areas
            ],
            "pareto_rows": [
                {
                    "label": row.label,
                    "count": row.count,
                    "share": rates.percent_text(row.share),
                    "cumulative": rates.percent_text(row.cumulative),
                    "vital": row.is_vital,
                }
                for row in figures.pareto
            ],
            "cutoff": int(rates.PARETO_CUTOFF),
        },
    )


@login_required
@require_GET
def analysis_xlsx(request: HttpRequest, reference: str) -> HttpResponse:
    """The analysis as a workbook (a sheet per table), for who may export at the campaign's project."""
    campaign = _campaign(request, reference)
    if not can(request.user, "surveys.export", project=campaign.project):
        raise PermissionDenied
    response = HttpResponse(
        export.analysis_workbook(actor=request.user, campaign=campaign), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="{campaign.reference}-analysis.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


class FindingForm(forms.Form):
    item = forms.IntegerField(min_value=1)
    area = forms.IntegerField(min_value=1, required=False)
    kind = forms.ChoiceField(choices=[(kind.value, kind.label) for kind in findings.FINDING_KINDS])


@login_required
@require_POST
def finding_item(request: HttpRequest, reference: str) -> HttpResponse:
    """An unsatisfied item (over every area, or in one) registered as a feedback item (R-SV-3)."""
    campaign = _campaign(request, reference)
    if not can(request.user, "feedback.register", project=campaign.project):
        raise PermissionDenied
    form = FindingForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Choose an item of the campaign and whether it is a complaint or a suggestion.")
        )
        return redirect("surveys:analysis", campaign.reference)
    data = form.cleaned_data
    try:
        item = findings.finding_to_feedback_item(
            actor=request.user,
            campaign=campaign,
            campaign_item_id=data["item"],
            campaign_area_id=data["area"],
            kind=data["kind"] or Kind.COMPLAINT,
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, str(error.message))
        return redirect("surveys:analysis", campaign.reference)
    messages.success(
        request,
        _("Feedback item %(reference)s registered: %(title)s")
        % {"reference": item.reference, "title": item.title},
    )
    return redirect("surveys:analysis", campaign.reference)


urlpatterns: list[URLPattern] = [
    path("<str:reference>/analysis/", analysis, name="analysis"),
    path("<str:reference>/analysis.xlsx", analysis_xlsx, name="analysis_xlsx"),
    path("<str:reference>/analysis/finding/", finding_item, name="finding_item"),
]
