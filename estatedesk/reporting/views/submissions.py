"""Pages of reports to HQ (issue 14, deliverables 3–5): the list (every staff member; a branch sees its own
and its projects' reports, HQ all), a report's page (the template's form, attachments, submit, HQ's
review, follow-ups, the class of an emergency, its history, the feedback item it came from), an event
report with its facts and the class proposed as they change (htmx), and an attachment's download. Thin:
a form in, the service (submissions.py), a redirect or the page again with the errors; out of scope is
404."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.scoping import scope_for
from estatedesk.org.models import Branch, Project
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import emergencies, expected, submissions
from estatedesk.reporting.choices import EmergencyClass, Special, SubmissionStatus
from estatedesk.reporting.forms import (
    AcceptForm,
    AttachmentForm,
    ClassForm,
    FactsForm,
    FilterForm,
    FollowUpForm,
    InstantClassForm,
    InstantForm,
    ReturnForm,
    SubmissionForm,
    submission_initial,
    template_values,
)
from estatedesk.reporting.models import InformationType, ReportAttachment, ReportSubmission
from estatedesk.reporting.selectors import rules_for_company, submission_get_for_user

PAGE_SIZE = 50
REFERENCE = r"(?P<reference>[RI][PR]-[A-Za-z0-9_.-]+)"  # RP-… (periodic) or IR-… (an event); no nested group


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _submission(request: HttpRequest, reference: str) -> ReportSubmission:
    _require_view(request)
    return submission_get_for_user(user=request.user, reference=reference)


def _company_id(user: Any) -> int | None:
    companies = sorted(scope_for(user).company_ids)
    return companies[0] if companies else None


def _visible_units(user: Any) -> list[tuple[str, str]]:
    """The branch companies and projects the user's reports belong to, as filter choices."""
    branches = Branch.objects.visible_to(user).order_by("code")
    projects = Project.objects.visible_to(user).select_related("branch").order_by("code")
    return [(f"B{b.pk}", b.name) for b in branches] + [
        (f"P{p.pk}", f"{p.branch.name} · {p.name}") for p in projects
    ]


# --- the list -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def submission_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    company_id = _company_id(user)
    types = list(
        InformationType.objects.filter(company_id=company_id or 0)
        .order_by("position", "id")
        .values_list("code", "name")
    )
    form = FilterForm(request.GET or None, types=types, units=_visible_units(user))
    filters = submissions.SubmissionFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = submissions.SubmissionFilters(
            period=data["period"], type_code=data["type"], status=data["status"], unit_key=data["unit"]
        )
    page = CappedPaginator(submissions.submission_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in page.object_list:
        row.on_time = submissions.is_on_time(row)  # type: ignore[attr-defined]
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "reporting/submission_list.html",
        {
            "form": form,
            "page": page,
            "now": timezone.now(),
            "is_filtered": bool(query),
            "query": urlencode(query),
            "can_report_event": can_anywhere(user, "reporting.instant"),
            "can_see_missing": expected.may_see_missing(user),
            "can_see_scores": can_anywhere(user, "reporting.scores"),
        },
    )


# --- a report's page ------------------------------------------------------------------------------------


def _shown_value(spec: dict[str, Any], value: Any) -> str:
    if value is None or value == "":
        return ""
    if spec.get("type") == "yes_no":
        return _("Yes") if value else _("No")
    if spec.get("type") == "choice":
        return dict(submissions.choice_values(spec)).get(str(value), str(value))
    return str(value)


def _field_rows(submission: ReportSubmission) -> list[dict[str, Any]]:
    template = submissions.template_of(submission)
    values = submission.values or {}
    return [
        {
            "key": spec.get("key"),
            "label": submissions.field_label(spec),
            "value": _shown_value(spec, values.get(spec.get("key"))),
            "unit": spec.get("unit") or "",
            "required": bool(spec.get("required")),
        }
        for spec in (template.fields if template is not None else [])
    ]


def _forms(request: HttpRequest, submission: ReportSubmission) -> dict[str, Any]:
    """The forms of the report's state, each only for who may use it."""
    user = request.user
    status = submission.status
    forms: dict[str, Any] = {}
    editable = status in submissions.EDITABLE
    if editable and submissions.may_write(user, submission):
        forms["edit_form"] = SubmissionForm(
            template=submissions.template_of(submission), initial=submission_initial(submission)
        )
        forms["attachment_form"] = AttachmentForm()
    if editable and submissions.may_submit(user, submission):
        forms["can_submit"] = True
    if status == SubmissionStatus.SUBMITTED and submissions.may_review(user, submission):
        forms["return_form"] = ReturnForm()
        forms["accept_form"] = AcceptForm(company_id=submission.branch.company_id)
    if (
        status in submissions.FILED
        and submission.final_at is None
        and submissions.may_write(user, submission)
    ):
        forms["follow_up_form"] = FollowUpForm()
    if not submission.is_locked and submissions.may_classify(user, submission):
        forms["class_form"] = ClassForm(
            initial={"chosen": submission.confirmed_class or submission.proposed_class}
        )
    return forms


def _render(
    request: HttpRequest, submission: ReportSubmission, *, status: int = 200, **bound: Any
) -> HttpResponse:
    forms = _forms(request, submission)
    forms.update(bound)
    attachments = list(submission.attachments.select_related("uploaded_by").order_by("uploaded_at", "id"))
    rules = rules_for_company(submission.branch.company_id)
    reasons: list[str] = []
    if submission.proposed_class:
        _class, codes = emergencies.propose_class(
            emergencies.Facts.from_json(submission.facts), loss_threshold=rules.class1_loss_yuan
        )
        reasons = emergencies.reason_texts(codes, loss_threshold=rules.class1_loss_yuan)
    item = submission.feedback_item if submission.feedback_item_id else None
    context = {
        "submission": submission,
        "fields": _field_rows(submission),
        "attachments": attachments,
        "missing": submissions.completeness(submission, attachment_count=len(attachments))
        if submission.status in submissions.EDITABLE
        else [],
        "on_time": submissions.is_on_time(submission),
        "history": submissions.history(submission),
        "class_2_events": submissions.class_2_events_for(submission),
        "is_emergency": submissions.is_emergency(submission),
        "emergency_class": submissions.class_of(submission),
        "class_reasons": reasons,
        "item": item,
        "item_visible": item is not None and can(request.user, "feedback.view", project=item.project),
        "now": timezone.now(),
        **forms,
    }
    return render(request, "reporting/submission_detail.html", context, status=status)


@login_required
@require_GET
def submission_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render(request, _submission(request, reference))


def _post(
    request: HttpRequest,
    reference: str,
    *,
    form: Callable[[ReportSubmission], Any] | None = None,
    form_name: str = "",
    act: Callable[[ReportSubmission, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """One operation: the form (if any), the service, back to the report (the form kept on errors)."""
    submission = _submission(request, reference)
    bound = form(submission) if form is not None else None
    if bound is not None and not bound.is_valid():
        return _render(request, submission, status=400, **{form_name: bound})
    try:
        act(submission, bound.cleaned_data if bound is not None else {})
    except DomainError as error:
        if bound is None:
            messages.error(request, str(error.message))
            return redirect("reporting:submission_detail", submission.reference)
        add_domain_error(bound, error)
        return _render(
            request, submission, status=error.status if error.status != 403 else 400, **{form_name: bound}
        )
    messages.success(request, done)
    return redirect("reporting:submission_detail", submission.reference)


@login_required
@require_POST
def submission_save(request: HttpRequest, reference: str) -> HttpResponse:
    def act(submission: ReportSubmission, data: dict[str, Any]) -> Any:
        return submissions.submission_draft(
            actor=request.user,
            submission=submission,
            values=template_values(edit_form),
            title=data["title"],
            body=data["body"],
        )

    edit_form: Any = None

    def build(submission: ReportSubmission) -> SubmissionForm:
        nonlocal edit_form
        edit_form = SubmissionForm(request.POST, template=submissions.template_of(submission))
        return edit_form

    return _post(request, reference, form=build, form_name="edit_form", act=act, done=_("Draft saved."))


@login_required
@require_POST
def submission_submit(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        act=lambda submission, data: submissions.submission_submit(actor=request.user, submission=submission),
        done=_("Submitted to HQ."),
    )


@login_required
@require_POST
def submission_return(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form=lambda submission: ReturnForm(request.POST),
        form_name="return_form",
        act=lambda submission, data: submissions.submission_return(
            actor=request.user, submission=submission, reason=data["reason"]
        ),
        done=_("Returned for correction; the unit has been told."),
    )


@login_required
@require_POST
def submission_accept(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form=lambda submission: AcceptForm(request.POST, company_id=submission.branch.company_id),
        form_name="accept_form",
        act=lambda submission, data: submissions.submission_accept(
            actor=request.user, submission=submission, quality_level=data["quality_level"]
        ),
        done=_("Accepted; the report is locked."),
    )


@login_required
@require_POST
def submission_follow_up(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form=lambda submission: FollowUpForm(request.POST),
        form_name="follow_up_form",
        act=lambda submission, data: submissions.follow_up_add(
            actor=request.user, submission=submission, kind=data["kind"], text=data["text"]
        ),
        done=_("Added to the report."),
    )


@login_required
@require_POST
def submission_class(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form=lambda submission: ClassForm(request.POST),
        form_name="class_form",
        act=lambda submission, data: submissions.class_confirm(
            actor=request.user, submission=submission, chosen=data["chosen"], reason=data["reason"]
        ),
        done=_("Class recorded."),
    )


@login_required
@require_POST
def submission_attachment_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form=lambda submission: AttachmentForm(request.POST, request.FILES),
        form_name="attachment_form",
        act=lambda submission, data: submissions.attachment_add(
            actor=request.user, submission=submission, file=data["file"]
        ),
        done=_("File added."),
    )


def _attachment(request: HttpRequest, reference: str, pk: str) -> tuple[ReportSubmission, ReportAttachment]:
    submission = _submission(request, reference)
    attachment = ReportAttachment.objects.filter(submission=submission, pk=int(pk)).first()
    if attachment is None:
        raise Http404
    attachment.submission = submission
    return submission, attachment


@login_required
@require_POST
def submission_attachment_remove(request: HttpRequest, reference: str, pk: str) -> HttpResponse:
    submission, attachment = _attachment(request, reference, pk)
    try:
        submissions.attachment_remove(actor=request.user, attachment=attachment)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("File removed."))
    return redirect("reporting:submission_detail", submission.reference)


@login_required
@require_GET
def submission_attachment(request: HttpRequest, reference: str, pk: str) -> HttpResponseBase:
    """A report's file, always as a download under its own name (scoped: the report's 404 first)."""
    _submission_row, attachment = _attachment(request, reference, pk)
    try:
        handle = attachment.file.open("rb")
    except (OSError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- an event's report (R-IR-4, R-CS-4) ---------------------------------------------------------------------


def instant_units(user: Any) -> list[tuple[str, str]]:
    """The projects and branch companies where the user reports events, as choices (P<id> / B<id>)."""
    projects = [
        p
        for p in Project.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("branch")
        .order_by("code")
        if can(user, "reporting.instant", project=p)
    ]
    branches = [
        b
        for b in Branch.objects.visible_to(user).order_by("code")
        if can(user, "reporting.instant", branch=b)
    ]
    return [(f"P{p.pk}", f"{p.branch.name} · {p.name}") for p in projects] + [
        (f"B{b.pk}", b.name) for b in branches
    ]


def _unit_from_key(key: str) -> tuple[Project | None, Branch | None]:
    if key.startswith("P") and key[1:].isdigit():
        return Project.objects.select_related("branch").get(pk=int(key[1:])), None
    if key.startswith("B") and key[1:].isdigit():
        return None, Branch.objects.get(pk=int(key[1:]))
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def instant_new(request: HttpRequest) -> HttpResponse:
    """Report an event: choose its type, then when, where, what (the type's template), and for an emergency
    its facts, with the class proposed as they change; who may classify confirms or overrides it here."""
    _require_view(request)
    user = request.user
    if not can_anywhere(user, "reporting.instant"):
        raise PermissionDenied
    company_id = _company_id(user)
    types = submissions.instant_types(company_id=company_id) if company_id else []
    code = request.GET.get("type", "")
    information_type = next((t for t in types if t.code == code), None)
    if information_type is None:
        return render(request, "reporting/instant_choose.html", {"types": types})
    units = instant_units(user)
    if not units:
        raise PermissionDenied
    template = submissions.catalogue.current_template(information_type)
    emergency = information_type.special == Special.EMERGENCY
    data = request.POST if request.method == "POST" else None
    form = InstantForm(
        data,
        request.FILES or None,
        units=units,
        template=template,
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    facts_form = FactsForm(data, prefix="facts") if emergency else None
    class_form = InstantClassForm(data) if emergency and can_anywhere(user, "reporting.classify") else None
    status = 200
    if request.method == "POST":
        status = 400
        valid = (
            form.is_valid()
            and (facts_form is None or facts_form.is_valid())
            and (class_form is None or class_form.is_valid())
        )
        if valid:
            project, branch = _unit_from_key(form.cleaned_data["unit"])
            chosen = class_form.cleaned_data["chosen"] if class_form is not None else ""
            try:
                submission = submissions.instant_report_make(
                    actor=user,
                    report=submissions.EventReport(
                        information_type=information_type,
                        project=project,
                        branch=branch,
                        occurred_at=form.cleaned_data["occurred_at"],
                        title=form.cleaned_data["title"],
                        body=form.cleaned_data["body"],
                        place=form.cleaned_data["place"],
                        facts=facts_form.facts() if facts_form is not None else None,
                        values=template_values(form),
                        class_choice=submissions.ClassChoice(
                            chosen=chosen, reason=class_form.cleaned_data["class_reason"]
                        )
                        if chosen and class_form is not None
                        else None,
                        attachments=form.cleaned_data["attachments"],
                    ),
                )
            except DomainError as error:
                target = (
                    class_form
                    if class_form is not None and set(error.fields) & {"chosen", "reason"}
                    else form
                )
                if target is class_form and "reason" in error.fields:
                    error.fields["class_reason"] = error.fields.pop("reason")
                add_domain_error(target, error)
                status = error.status if error.status != 403 else 400
            except PermissionDenied:
                form.add_error("unit", _("You may not report events for this unit."))
            else:
                messages.success(request, _("Reported: %(reference)s.") % {"reference": submission.reference})
                return redirect("reporting:submission_detail", submission.reference)
    proposal = (
        _proposal(
            company_id,
            facts_form.facts() if facts_form is not None and facts_form.is_bound else emergencies.Facts(),
        )
        if emergency
        else None
    )
    return render(
        request,
        "reporting/instant_new.html",
        {
            "information_type": information_type,
            "form": form,
            "facts_form": facts_form,
            "class_form": class_form,
            "proposal": proposal,
        },
        status=status,
    )


def _proposal(company_id: int | None, facts: emergencies.Facts) -> dict[str, Any]:
    rules = rules_for_company(company_id) if company_id else None
    threshold = rules.class1_loss_yuan if rules is not None else Decimal(3000)
    chosen, codes = emergencies.propose_class(facts, loss_threshold=threshold)
    return {
        "class": chosen,
        "label": EmergencyClass(chosen).label,
        "reasons": emergencies.reason_texts(codes, loss_threshold=threshold),
    }


@login_required
@require_GET
def instant_class(request: HttpRequest) -> HttpResponse:
    """The class proposed from the facts posted so far (htmx fragment of the event report's page)."""
    _require_view(request)
    if not can_anywhere(request.user, "reporting.instant"):
        raise PermissionDenied
    facts_form = FactsForm(request.GET, prefix="facts")
    facts = facts_form.facts() if facts_form.is_valid() else emergencies.Facts()
    return render(
        request, "reporting/instant_class.html", {"proposal": _proposal(_company_id(request.user), facts)}
    )


urlpatterns: list[URLPattern] = [
    path("", submission_list, name="submission_list"),
    path("instant/new/", instant_new, name="instant_new"),
    path("instant/class/", instant_class, name="instant_class"),
    re_path(rf"^{REFERENCE}/$", submission_detail, name="submission_detail"),
    re_path(rf"^{REFERENCE}/save/$", submission_save, name="submission_save"),
    re_path(rf"^{REFERENCE}/submit/$", submission_submit, name="submission_submit"),
    re_path(rf"^{REFERENCE}/return/$", submission_return, name="submission_return"),
    re_path(rf"^{REFERENCE}/accept/$", submission_accept, name="submission_accept"),
    re_path(rf"^{REFERENCE}/follow-up/$", submission_follow_up, name="submission_follow_up"),
    re_path(rf"^{REFERENCE}/class/$", submission_class, name="submission_class"),
    re_path(rf"^{REFERENCE}/attachments/$", submission_attachment_add, name="submission_attachment_add"),
    re_path(
        rf"^{REFERENCE}/attachments/(?P<pk>[0-9]+)/$", submission_attachment, name="submission_attachment"
    ),
    re_path(
        rf"^{REFERENCE}/attachments/(?P<pk>[0-9]+)/delete/$",
        submission_attachment_remove,
        name="submission_attachment_remove",
    ),
]
