"""Pages of the catalogue (R-IR-3, R-IR-5), HQ's list of non-reporters (R-IR-1) and the branches' rule
proposals (R-IR-2). Thin: input → the service or the selector → a page or a redirect.

- reporting:catalogue: the table of types (class, type, content, scope, deadline in words) for every staff
  member; HQ (`reporting.catalogue`) also edits the reporting rules and seeds an empty catalogue;
- reporting:catalogue_type: a type with its template versions; HQ edits the row and makes a new template
  version (a formset of fields);
- reporting:missing: HQ's non-reporters of a period (?period=YYYY-MM), by type and unit, with days late;
- reporting:proposal_list / proposal_new / proposal_decide.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import catalogue, proposals
from estatedesk.reporting.choices import ProposalStatus
from estatedesk.reporting.expected import (
    may_see_missing,
    missing_for_period,
    parse_period,
    previous_month,
    report_url,
)
from estatedesk.reporting.forms_catalogue import (
    DecideForm,
    InformationTypeForm,
    ProposalForm,
    RulesForm,
    TemplateFieldFormSet,
    TemplateForm,
    formset_fields,
    template_initial,
)
from estatedesk.reporting.models import InformationType, ReportSubmission, ReportTemplate
from estatedesk.reporting.selectors import rules_for_company


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _require_catalogue(request: HttpRequest) -> None:
    if not can(request.user, "reporting.catalogue"):
        raise PermissionDenied


def _company(request: HttpRequest) -> Company:
    company = Company.objects.visible_to(request.user).order_by("pk").first()
    if company is None:
        raise Http404
    return company


def _types(request: HttpRequest, company: Company) -> list[InformationType]:
    rows = InformationType.objects.visible_to(request.user).filter(company=company)
    if not can(request.user, "reporting.catalogue"):
        rows = rows.filter(is_active=True)
    return list(rows.order_by("position", "id"))


def _type(request: HttpRequest, code: str) -> InformationType:
    _require_view(request)
    company = _company(request)
    itype = next((t for t in _types(request, company) if t.code == code), None)
    if itype is None:
        raise Http404
    return itype


# --- the catalogue ----------------------------------------------------------------------------------------


@login_required
@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    company = _company(request)
    rules = rules_for_company(company.pk)
    types = _types(request, company)
    can_edit = can(request.user, "reporting.catalogue")
    rules_form = None
    if can_edit:
        rules_form = RulesForm(
            initial={
                "at_once_hours": rules.at_once_hours,
                "reminder_days": ", ".join(str(day) for day in rules.reminder_days or []),
                "escalate_after_days": rules.escalate_after_days,
            }
        )
    return _render_catalogue(request, types=types, rules=rules, can_edit=can_edit, rules_form=rules_form)


def _render_catalogue(
    request: HttpRequest,
    *,
    types: list[InformationType],
    rules: Any,
    can_edit: bool,
    rules_form: Any,
    status: int = 200,
) -> HttpResponse:
    rows = [{"type": itype, "deadline": catalogue.deadline_words(itype, rules)} for itype in types]
    return render(
        request,
        "reporting/catalogue.html",
        {"rows": rows, "rules": rules, "can_edit": can_edit, "rules_form": rules_form},
        status=status,
    )


@login_required
@require_POST
def catalogue_seed(request: HttpRequest) -> HttpResponse:
    """HQ fills an empty catalogue with the procedure's table (adds only what is missing)."""
    _require_view(request)
    _require_catalogue(request)
    catalogue.catalogue_ensure(company=_company(request))
    messages.success(request, _("The catalogue holds the procedure's information types."))
    return redirect("reporting:catalogue")


@login_required
@require_POST
def catalogue_rules(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    _require_catalogue(request)
    company = _company(request)
    form = RulesForm(request.POST)
    if form.is_valid():
        try:
            catalogue.reporting_rules_update(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Reporting rules saved."))
            return redirect("reporting:catalogue")
    rules = rules_for_company(company.pk)
    return _render_catalogue(
        request, types=_types(request, company), rules=rules, can_edit=True, rules_form=form, status=400
    )


# --- a type and its templates ------------------------------------------------------------------------------


def _render_type(
    request: HttpRequest,
    itype: InformationType,
    *,
    type_form: Any = None,
    formset: Any = None,
    template_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = can(request.user, "reporting.catalogue")
    templates = list(ReportTemplate.objects.filter(information_type=itype).select_related("created_by"))
    used = dict(
        ReportSubmission.objects.visible_to(request.user)
        .filter(information_type=itype, template__isnull=False)
        .values("template_id")
        .annotate(n=Count("id"))
        .values_list("template_id", "n")
    )
    current = templates[0] if templates else None
    if can_edit:
        type_form = type_form or InformationTypeForm.for_type(itype)
        formset = formset or TemplateFieldFormSet(initial=template_initial(current), prefix="fields")
        template_form = template_form or TemplateForm(
            initial={
                "attachments_required": current.attachments_required if current else 0,
                "attachment_note": current.attachment_note if current else "",
            }
        )
    rules = rules_for_company(itype.company_id)
    kinds = dict(catalogue.FieldKind.choices)
    return render(
        request,
        "reporting/catalogue_type.html",
        {
            "itype": itype,
            "deadline": catalogue.deadline_words(itype, rules),
            "versions": [
                {
                    "template": t,
                    "reports": used.get(t.pk, 0),
                    "fields": [{**f, "kind": kinds.get(f.get("type"), f.get("type"))} for f in t.fields],
                }
                for t in templates
            ],
            "current": current,
            "can_edit": can_edit,
            "type_form": type_form,
            "formset": formset,
            "template_form": template_form,
        },
        status=status,
    )


@login_required
@require_GET
def catalogue_type(request: HttpRequest, code: str) -> HttpResponse:
    return _render_type(request, _type(request, code))


@login_required
@require_POST
def catalogue_type_edit(request: HttpRequest, code: str) -> HttpResponse:
    itype = _type(request, code)
    _require_catalogue(request)
    form = InformationTypeForm(request.POST)
    if form.is_valid():
        try:
            catalogue.information_type_update(actor=request.user, information_type=itype, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            itype.refresh_from_db()
        else:
            messages.success(request, _("%(type)s saved.") % {"type": itype.name})
            return redirect("reporting:catalogue_type", itype.code)
    return _render_type(request, itype, type_form=form, status=400)


@login_required
@require_POST
def catalogue_template(request: HttpRequest, code: str) -> HttpResponse:
    """HQ saves the template's fields as its next version."""
    itype = _type(request, code)
    _require_catalogue(request)
    formset = TemplateFieldFormSet(request.POST, prefix="fields")
    form = TemplateForm(request.POST)
    if formset.is_valid() and form.is_valid():
        try:
            template = catalogue.template_new_version(
                actor=request.user,
                information_type=itype,
                fields=formset_fields(formset),
                attachments_required=form.cleaned_data["attachments_required"],
                attachment_note=form.cleaned_data["attachment_note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Template version %(version)s saved; reports already filed keep theirs.")
                % {"version": template.version},
            )
            return redirect("reporting:catalogue_type", itype.code)
    return _render_type(request, itype, formset=formset, template_form=form, status=400)


# --- the non-reporters of a period --------------------------------------------------------------------------


@login_required
@require_GET
def missing_page(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if not may_see_missing(request.user):
        raise PermissionDenied
    month = parse_period(request.GET.get("period", "")) or previous_month(timezone.localdate())
    found = missing_for_period(user=request.user, month=month)
    rows = [{"row": row, "url": report_url(row.submission.reference)} for row in found.rows]
    return render(
        request,
        "reporting/missing.html",
        {"found": found, "rows": rows, "period": f"{month:%Y-%m}"},
    )


# --- rule proposals -----------------------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    status = request.GET.get("status", "")
    if status not in ProposalStatus.values:
        status = ""
    rows = list(proposals.proposal_list(user=request.user, status=status)[:200])
    return render(
        request,
        "reporting/proposal_list.html",
        {
            "proposals": rows,
            "status": status,
            "statuses": ProposalStatus.choices,
            "can_propose": bool(proposals.proposing_branches(request.user)),
            "can_decide": proposals.may_decide(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    branches = proposals.proposing_branches(request.user)
    if not branches:
        raise PermissionDenied
    types = list(
        InformationType.objects.visible_to(request.user)
        .filter(is_active=True, company_id__in=sorted({b.company_id for b in branches}))
        .order_by("position", "id")
    )
    form = ProposalForm(request.POST or None, branches=branches, types=types)
    if request.method == "POST":
        if form.is_valid():
            branch = next(b for b in branches if str(b.pk) == form.cleaned_data["branch"])
            chosen = form.cleaned_data["information_type"]
            itype = next((t for t in types if str(t.pk) == chosen), None)
            try:
                proposals.proposal_make(
                    actor=request.user, branch=branch, information_type=itype, text=form.cleaned_data["text"]
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Proposal sent to HQ."))
                return redirect("reporting:proposal_list")
        return render(request, "reporting/proposal_new.html", {"form": form}, status=400)
    return render(request, "reporting/proposal_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    proposal = proposals.proposal_get_for_user(user=request.user, pk=pk)
    if not proposals.may_decide(request.user):
        raise PermissionDenied
    form = DecideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposals.proposal_decide(
                    actor=request.user,
                    proposal=proposal,
                    accept=form.cleaned_data["decision"] == "accept",
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Decision sent to the branch."))
                return redirect("reporting:proposal_list")
        else:
            status = 400
    return render(
        request, "reporting/proposal_decide.html", {"proposal": proposal, "form": form}, status=status
    )


urlpatterns = [
    path("catalogue/", catalogue_page, name="catalogue"),
    path("catalogue/seed/", catalogue_seed, name="catalogue_seed"),
    path("catalogue/rules/", catalogue_rules, name="catalogue_rules"),
    path("catalogue/<slug:code>/", catalogue_type, name="catalogue_type"),
    path("catalogue/<slug:code>/edit/", catalogue_type_edit, name="catalogue_type_edit"),
    path("catalogue/<slug:code>/template/", catalogue_template, name="catalogue_template"),
    path("missing/", missing_page, name="missing"),
    path("proposals/", proposal_list, name="proposal_list"),
    path("proposals/new/", proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/decide/", proposal_decide, name="proposal_decide"),
]
