"""Staff pages of a campaign's report (R-SV-5): the report page with its state, its numbers (live before
approval, frozen once approved) and the actions for whoever may take them (draft and edit, submit, approve
or return with a note, distribute to the chosen departments), the recipients with their sent, read and
reminder times; the PDF; and the inbox of reports to review, to read and returned for changes.

A recipient outside the campaign's project sees the distributed report and nothing else of the campaign;
opening the page records their first reading. Thin: a form in, the service, a redirect or the page again
with the errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.scoping import scope_for
from estatedesk.common.svgcharts import fluid, pareto_svg
from estatedesk.notifications.services import notifications_mark_read
from estatedesk.org.models import Department
from estatedesk.org.permissions import can
from estatedesk.surveys import figures, reports
from estatedesk.surveys.choices import Audience, ReportStatus
from estatedesk.surveys.models import Campaign, ReportRecipient
from estatedesk.surveys.report_pdf import FINAL, campaign_report_pdf, report_figures

# --- forms -------------------------------------------------------------------------------------------------


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Findings and measures"),
        required=False,
        max_length=reports.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("What the figures show, the causes, and the measures each department takes."),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Return for changes"))]
    )
    note = forms.CharField(
        label=gettext_lazy("Review note"),
        required=False,
        max_length=reports.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when the report is returned for changes."),
    )


class DepartmentChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


class DistributeForm(forms.Form):
    departments = DepartmentChoice(
        label=gettext_lazy("Departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Their active members receive the report."),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["departments"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - narrows the type
        field.queryset = reports.distribution_departments(campaign)
        if not self.is_bound:
            self.initial["departments"] = [row.pk for row in reports.default_departments(campaign)]


# --- who sees what -----------------------------------------------------------------------------------------


def _access(request: HttpRequest, reference: str) -> reports.ReportAccess:
    return reports.report_access(user=request.user, reference=reference)


def _staff(request: HttpRequest, reference: str) -> reports.ReportAccess:
    """For the writing steps: project staff only (a recipient from elsewhere gets 404)."""
    access = _access(request, reference)
    if access.recipient_only:
        raise Http404
    return access


# --- the page ----------------------------------------------------------------------------------------------


def _charts(snapshot: dict[str, Any]) -> str:
    rows = snapshot.get("pareto") or []
    return mark_safe(  # noqa: S308 - svgcharts escapes every text it writes
        fluid(
            pareto_svg(
                [str(row["label"]) for row in rows],
                [int(row["count"]) for row in rows],
                [row["cumulative"] or "0" for row in rows],
                title=_("Pareto chart of unsatisfied answers"),
                count_label=_("Unsatisfied"),
                cumulative_label=_("Cumulative"),
                empty_text=_("No unsatisfied answers in this survey."),
            )
        )
    )


def _actions(request: HttpRequest, access: reports.ReportAccess) -> dict[str, Any]:
    """The forms of the report's state, each only for who may use it."""
    user: Any = request.user
    campaign, report = access.campaign, access.report
    if access.recipient_only:
        return {}
    actions: dict[str, Any] = {}
    runs = can(user, "surveys.run", project=campaign.project)
    is_author = report is not None and report.author_id == user.pk
    if runs and (report is None or (is_author and report.status in reports.EDITABLE)):
        actions["summary_form"] = SummaryForm(initial={"summary": report.summary if report else ""})
    if report is None:
        return actions
    if is_author and report.status in reports.EDITABLE:
        actions["can_submit"] = True
    if report.status == ReportStatus.IN_REVIEW:
        refusal = reports.reviewer_refusal(user=user, report=report)
        if refusal is None:
            actions["review_form"] = ReviewForm()
        else:
            actions["review_refusal"] = refusal
    if reports.may_distribute(user=user, report=report):
        route = reports.route_for(campaign)
        actions["can_distribute"] = True
        actions["audience"] = route.audience if route is not None else ""
        if route is not None and route.audience == Audience.DEPARTMENTS:
            actions["distribute_form"] = DistributeForm(campaign=campaign)
    return actions


def _link(name: str, reference: str) -> str:
    """A campaign page's address for project staff ("" while that page is not wired)."""
    try:
        return reverse(name, args=[reference])
    except NoReverseMatch:
        return ""


def _render(
    request: HttpRequest, access: reports.ReportAccess, *, status: int = 200, **bound: Any
) -> HttpResponse:
    campaign, report = access.campaign, access.report
    snapshot = report_figures(campaign=campaign, report=report)
    actions = _actions(request, access)
    actions.update(bound)
    recipients: list[ReportRecipient] = []
    if report is not None and not access.recipient_only:
        recipients = list(report.recipients.select_related("user", "department").order_by("sent_at", "id"))
    blocking = (
        []
        if access.recipient_only or (report and report.status in FINAL)
        else figures.blocking_areas(campaign)
    )
    context = {
        "campaign": campaign,
        "report": report,
        "recipient_only": access.recipient_only,
        "is_frozen": report is not None and report.status in FINAL and bool(report.figures),
        "figures": snapshot,
        "pareto_chart": _charts(snapshot),
        "recipients": recipients,
        "blocking": blocking,
        "campaign_url": "" if access.recipient_only else _link("surveys:campaign_detail", campaign.reference),
        "analysis_url": "" if access.recipient_only else _link("surveys:analysis", campaign.reference),
        **actions,
    }
    return render(request, "surveys/report.html", context, status=status)


@login_required
@require_GET
def report_page(request: HttpRequest, reference: str) -> HttpResponse:
    access = _access(request, reference)
    if access.report is not None and access.report.status == ReportStatus.DISTRIBUTED:
        reports.report_mark_read(user=request.user, report=access.report)  # a recipient's first reading
    notifications_mark_read(user=request.user, group_key=reports.report_url(access.campaign))
    return _render(request, access)


@login_required
@require_POST
def report_draft(request: HttpRequest, reference: str) -> HttpResponse:
    access = _staff(request, reference)
    if not can(request.user, "surveys.run", project=access.campaign.project):
        raise PermissionDenied
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            reports.report_draft(
                actor=request.user, campaign=access.campaign, summary=form.cleaned_data["summary"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The report is saved."))
            return redirect("surveys:report", reference)
    return _render(request, access, status=400, summary_form=form)


def _step(request: HttpRequest, reference: str, call: Any, success: str) -> HttpResponse:
    """A step without a form (submit): the service, then the page with a message."""
    access = _staff(request, reference)
    if access.report is None:
        raise Http404
    try:
        call(access.report)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    return redirect("surveys:report", reference)


@login_required
@require_POST
def report_submit(request: HttpRequest, reference: str) -> HttpResponse:
    return _step(
        request,
        reference,
        lambda report: reports.report_submit(actor=request.user, report=report),
        _("The report was sent for review."),
    )


@login_required
@require_POST
def report_review(request: HttpRequest, reference: str) -> HttpResponse:
    access = _staff(request, reference)
    if access.report is None:
        raise Http404
    form = ReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            reports.report_review(
                actor=request.user, report=access.report, approve=approve, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("The report is approved.") if approve else _("The report was returned to its author."),
            )
            return redirect("surveys:report", reference)
    return _render(request, access, status=400, review_form=form)


@login_required
@require_POST
def report_distribute(request: HttpRequest, reference: str) -> HttpResponse:
    access = _staff(request, reference)
    if access.report is None:
        raise Http404
    route = reports.route_for(access.campaign)
    form = DistributeForm(request.POST, campaign=access.campaign)
    if form.is_valid():
        departments = None
        if route is not None and route.audience == Audience.DEPARTMENTS:
            departments = list(form.cleaned_data["departments"])
        try:
            report = reports.report_distribute(
                actor=request.user, report=access.report, departments=departments
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            count = report.recipients.count()
            messages.success(request, _("The report was sent to %(count)d people.") % {"count": count})
            return redirect("surveys:report", reference)
    return _render(request, access, status=400, distribute_form=form)


@login_required
@require_GET
def report_pdf(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The stored PDF of an approved report; before approval a fresh rendering marked as a draft."""
    access = _access(request, reference)
    report = access.report
    filename = f"{access.campaign.reference}-report.pdf"
    disposition = f"inline; filename*=UTF-8''{quote(filename, safe='')}"
    if report is not None and report.status in FINAL and report.pdf.name:
        try:
            handle = default_storage.open(report.pdf.name, "rb")
        except OSError as error:
            raise Http404 from error
        response: HttpResponseBase = FileResponse(handle, content_type="application/pdf")
    else:
        response = HttpResponse(
            campaign_report_pdf(campaign=access.campaign, report=report), content_type="application/pdf"
        )
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


# --- the inbox ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def report_inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scope_for(user).is_staff_member:
        raise PermissionDenied
    return render(
        request,
        "surveys/report_inbox.html",
        {
            "to_review": reports.reports_to_review(user=user),
            "to_read": list(reports.reports_to_read(user=user)[: reports.INBOX_ROWS]),
            "returned": list(reports.reports_returned(user=user)[: reports.INBOX_ROWS]),
        },
    )


urlpatterns = [
    path("reports/", report_inbox, name="report_inbox"),
    path("<str:reference>/report/", report_page, name="report"),
    path("<str:reference>/report/draft/", report_draft, name="report_draft"),
    path("<str:reference>/report/submit/", report_submit, name="report_submit"),
    path("<str:reference>/report/review/", report_review, name="report_review"),
    path("<str:reference>/report/distribute/", report_distribute, name="report_distribute"),
    path("<str:reference>/report.pdf", report_pdf, name="report_pdf"),
]
