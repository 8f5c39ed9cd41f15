"""Staff pages of customer feedback (R-FB): the list, the item with its clocks, timeline and steps, the
registration by staff and the hotline screen. Thin: a form in, the service, a page or a redirect out."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.feedback import (
    appointments,
    notices,
    queues,
    reclassification,
    search,
    selectors,
    services,
)
from estatedesk.feedback.choices import (
    Category,
    EventKind,
)
from estatedesk.feedback.forms import (
    FAST_WIDGETS,
    AppointmentForm,
    CommentForm,
    ExecutionRecordForm,
    HandOverForm,
    ItemFilterForm,
    ItemRegisterForm,
    ReclassifyForm,
    StaffTalkForm,
    StepForm,
)
from estatedesk.feedback.intake import confirmation, registration
from estatedesk.feedback.list_rows import item_rows_html
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.pdf import execution_record_pdf as render_execution_record
from estatedesk.feedback.photos import PICTURE_TYPES, feedback_photos_add, thumbnail_ensure
from estatedesk.feedback.queues import queue_tabs
from estatedesk.feedback.workflow import STEPS, Step
from estatedesk.notifications.services import notifications_mark_read
from estatedesk.org import selectors as org_selectors
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.owners.privacy import full_phone_policy, phones_for_display

PAGE_SIZE = 50
# The staff list counts up to 1,000 items (20 pages), as a searched list does, then says "more than 1,000
# items: filter to narrow them down": nobody pages further, and counting ten thousand of a million items
# (the lists' cap, common.pagination) was 0.6 ms of SQL on every page view (ADR 0020). The API keeps its own.
LIST_COUNT_CAP = 1000
HQ_REPORT_SESSION_KEY = "feedback_hq_report"


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "feedback.view"):
        raise PermissionDenied


def _require_register(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "feedback.register"):
        raise PermissionDenied


# --- list -------------------------------------------------------------------------------------------------


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    project_code = request.GET.get("project", "")
    projects = org_selectors.project_picker(user=user)
    form = ItemFilterForm(
        request.GET,
        projects=projects,
        buildings=org_selectors.filter_buildings(user=user, projects=projects, project_code=project_code),
        assignees=org_selectors.filter_assignees(projects=projects, project_code=project_code),
    )
    filters = form.filters()
    queue_name = request.GET.get("queue", "")
    if queue_name and queue_name not in queues.QUEUES:
        message = _("There is no work queue “%(name)s”: showing every item.")
        messages.warning(request, message % {"name": queue_name[:40]})
        queue_name = ""
    filters = dataclasses.replace(filters, queue=queue_name)
    cap = search.count_cap(filters.search) or LIST_COUNT_CAP
    page = CappedPaginator(selectors.item_list_rows(user=user, filters=filters), PAGE_SIZE, cap=cap).get_page(
        request.GET.get("page")
    )
    rows = selectors.list_rows(cast(QuerySet[FeedbackItem], page.object_list))
    return render(
        request,
        "feedback/item_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "rows_html": item_rows_html(rows),
            "queue_tabs": queue_tabs(user=user, current=queue_name, query=request.GET),
            "is_filtered": any(value for name, value in request.GET.items() if name != "page"),
            "filters_open": any(value for name, value in request.GET.items() if name not in ("page", "q")),
            "can_register": can_anywhere(user, "feedback.register"),
            # with many projects, the sheet of the chosen one (a button per project would fill the page)
            "qr_projects": projects
            if len(projects) <= org_selectors.MANY_PROJECTS
            else [p for p in projects if p.code == filters.project],
            "qr_choose_project": len(projects) > org_selectors.MANY_PROJECTS and not filters.project,
        },
    )


# --- the item ---------------------------------------------------------------------------------------------


def _item(request: HttpRequest, reference: str, *, with_record: bool = False) -> FeedbackItem:
    """The item as staff of its project see it; anyone else gets a 404 (an owner uses the portal).
    `with_record`: its execution record read with it (the page is only shown: nothing writes the record)."""
    _require_view(request)
    item = selectors.item_get_for_user(user=request.user, reference=reference, with_record=with_record)
    if not selectors.item_viewer_is_staff(user=request.user, item=item):
        raise Http404
    return item


# the item's choices the page names (get_FOO_display reads the labels from a table: common.models.BaseModel)
SHOWN_CHOICES = ("status", "kind", "category", "priority", "channel", "informed_by", "rating")


def _shown(item: FeedbackItem) -> dict[str, str]:
    """{field: label} as get_FOO_display gives it (the stored value when it is not a choice)."""
    return {name: getattr(item, f"get_{name}_display")() for name in SHOWN_CHOICES}


def _step_form(item: FeedbackItem, step: Step, **initial: Any) -> StepForm:
    return StepForm(
        initial={"step": step.name, "version": item.version, **initial},
        step=step,
        people=selectors.step_assignee_choices(item=item, step=step),
    )


def _render_item(
    request: HttpRequest,
    item: FeedbackItem,
    *,
    status: int = 200,
    step_form: StepForm | None = None,
    conflict: dict[str, Any] | None = None,
    **forms: Any,
) -> HttpResponse:
    """The item page; a form that failed is passed in bound, so what the user typed stays on screen."""
    user = request.user
    project = item.project
    step_forms = []
    for step in selectors.item_steps(user=user, item=item):
        if step_form is not None and step_form.workflow_step.name == step.name:
            step_forms.append(step_form)
        elif conflict is not None and conflict["step"] == step.name:
            step_forms.append(_step_form(item, step, **conflict["initial"]))
        else:
            step_forms.append(_step_form(item, step))
    if step_form is not None and step_form not in step_forms:
        # the step is no longer offered (the item moved on): its errors go on top of the page
        for problem in step_form.errors.get("__all__", []) or [_("This step is not possible now.")]:
            messages.error(request, str(problem))
    record = selectors.execution_record_for(item=item)
    writable = selectors.execution_record_writable(user=user, item=item, record=record)
    if "execution_form" not in forms and writable:
        forms["execution_form"] = ExecutionRecordForm(writable=writable, record=record)
    can_talk = item.category == Category.STAFF_ATTITUDE and can(user, "feedback.staff_talk", project=project)
    if "talk_form" not in forms and can_talk:
        forms["talk_form"] = StaffTalkForm()
    can_comment = can(user, "feedback.comment", project=project)
    if "comment_form" not in forms and can_comment:
        forms["comment_form"] = CommentForm()
    if "appointment_form" not in forms and appointments.may_set_appointment(user=user, item=item):
        forms["appointment_form"] = AppointmentForm(initial={"at": item.appointment_at})
    if "handover_form" not in forms and appointments.may_hand_over(user=user, item=item):
        forms["handover_form"] = HandOverForm(people=appointments.hand_over_choices(item=item))
    for form in (*step_forms, *forms.values()):
        form.renderer = FAST_WIDGETS  # its widgets in Python; its fields by `as_field` (forms.field_html)
    resident = item.resident
    attachments = list(item.attachments.order_by("uploaded_at"))
    context = {
        "item": item,
        "shown": _shown(item),
        "clocks": selectors.clock_rows(item=item),
        "timeline": selectors.timeline_rows(user=user, item=item),
        "step_forms": step_forms,
        "conflict": conflict,
        "contact_phone": selectors.item_contact_phone(user=user, item=item),
        "resident_phones": phones_for_display(resident, full=full_phone_policy(user)(resident))
        if resident
        else [],
        "execution_title": selectors.RECORD_TITLE,
        "execution_rows": selectors.execution_record_rows(item=item, record=record),
        "talks": list(item.staff_talks.select_related("recorded_by").order_by("recorded_at"))
        if item.category == Category.STAFF_ATTITUDE
        else [],
        "attachments": [a for a in attachments if a.content_type not in PICTURE_TYPES],
        "pictures": [a for a in attachments if a.content_type in PICTURE_TYPES],
        "can_report_hq": (item.is_major or item.is_hot) and can(user, "feedback.report_hq", project=project),
        "can_reclassify": item.is_open and can(user, "feedback.reclassify", project=project),
        "contact_email_known": confirmation.contact_email_is_known(item),
        "hq_report": request.session.pop(HQ_REPORT_SESSION_KEY, {}).get(item.reference)
        if status == 200
        else None,
        "hq_report_link": _hq_report_link(item),
        **forms,
    }
    return render(request, "feedback/item_detail.html", context, status=status)


@login_required
def item_detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference, with_record=True)
    notifications_mark_read(user=request.user, group_key=notices.item_group_key(item))  # issue 11: opened
    return _render_item(request, item)


@login_required
@require_POST
def item_step(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    step = STEPS.get(request.POST.get("step", ""))
    if step is None:
        messages.error(request, _("Unknown step."))
        return redirect("feedback:item_detail", reference=item.reference)
    form = StepForm(request.POST, step=step, people=selectors.step_assignee_choices(item=item, step=step))
    if not form.is_valid():
        return _render_item(request, item, status=400, step_form=form)
    try:
        services.feedback_item_step(
            actor=request.user,
            item=item,
            step=step.name,
            version=form.cleaned_data["version"],
            note=form.cleaned_data.get("note", ""),
            data=form.service_data(),
        )
    except DomainError as error:
        if error.code != "feedback.conflict":
            add_domain_error(form, error)
            return _render_item(request, item, status=error.status, step_form=form)
        # Someone else changed the item: show it as it is now, and keep what this user typed.
        fresh = selectors.item_get_for_user(user=request.user, reference=item.reference)
        typed = form.typed()
        conflict = {
            "message": error.message,
            "step": step.name,
            "step_label": step.label,
            "note": typed.get("note", ""),
            "initial": typed,
        }
        return _render_item(request, fresh, status=409, conflict=conflict)
    messages.success(request, _("Recorded: %(step)s.") % {"step": step.label})
    back = request.POST.get("next", "")  # a step taken from a work queue (the home page) goes back there
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("feedback:item_detail", reference=item.reference)


@login_required
@require_POST
def item_comment(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_comment_add(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Comment added."))
            return redirect("feedback:item_detail", reference=item.reference)
    return _render_item(request, item, status=400, comment_form=form)


@login_required
@require_POST
def item_staff_talk(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    form = StaffTalkForm(request.POST)
    if form.is_valid():
        try:
            services.staff_talk_record(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The talk with the employee is recorded."))
            return redirect("feedback:item_detail", reference=item.reference)
    return _render_item(request, item, status=400, talk_form=form)


@login_required
@require_POST
def item_execution_record(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    writable = selectors.execution_record_writable(
        user=request.user, item=item, record=selectors.execution_record_for(item=item)
    )
    if not writable:
        raise PermissionDenied
    form = ExecutionRecordForm(request.POST, writable=writable)
    status = 400
    if form.is_valid():
        # only what was posted: a field left out is not emptied
        values = {name: value for name, value in form.cleaned_data.items() if name in request.POST}
        try:
            services.execution_record_update(actor=request.user, item=item, **values)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("Execution record saved."))
            return redirect("feedback:item_detail", reference=item.reference)
    return _render_item(request, item, status=status, execution_form=form)


@login_required
@require_POST
def item_report_to_hq(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    """R-IR-8: hand the item to HQ reporting; "sent" only when HQ reporting stored the report. The page then
    shows the report's receipt once (the report itself is at HQ, not in this session)."""
    try:
        _content, receipt = services.feedback_item_hand_to_hq(actor=request.user, item=item)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("feedback:item_detail", reference=item.reference)
    if receipt.created:
        request.session[HQ_REPORT_SESSION_KEY] = {
            item.reference: {"reference": receipt.reference, "url": receipt.url, "title": receipt.title}
        }
        messages.success(request, _("Reported to HQ as an instant report."))
    else:
        messages.info(
            request,
            _("Already reported to HQ as %(report)s: the item's progress reaches it as follow-ups.")
            % {"report": receipt.reference},
        )
    return redirect("feedback:item_detail", reference=item.reference)


def _hq_report_link(item: FeedbackItem) -> dict[str, str] | None:
    """The instant report the item was handed over as (R-IR-8), from its timeline: {report, url}; None
    when it was not (or only before HQ reporting stored reports)."""
    if item.reported_to_hq_at is None:
        return None
    data = (
        item.events.filter(kind=EventKind.HQ_REPORT, data__has_key="report")
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return {"report": str(data["report"]), "url": str(data.get("url") or "")} if data else None


# --- registration by staff and the hotline screen ---------------------------------------------------------


@login_required
def item_register(request: HttpRequest) -> HttpResponse:
    """Walk-in, patrol finding (R-CS-5), client visit or a call from an unknown number (R-FB-1)."""
    _require_register(request)
    projects = org_selectors.registrable_projects(user=request.user)
    buildings = org_selectors.registration_buildings(projects=projects)
    initial = {
        name: request.GET[name]
        for name in ("channel", "contact_phone", "contact_name", "project", "category")
        if request.GET.get(name)
    }
    form = ItemRegisterForm(request.POST or None, initial=initial, projects=projects, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        resident = selectors.resident_for_contact(
            user=request.user, project=values["project"], unit=values["unit"], phone=values["contact_phone"]
        )
        try:
            item = registration.feedback_item_register(
                actor=request.user,
                data=registration.ItemInput(resident=resident, **values),
                idempotency_key=form.cleaned_data["form_token"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Registered as %(reference)s.") % {"reference": item.reference})
            return redirect("feedback:item_detail", reference=item.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "feedback/item_register.html", {"form": form}, status=status)


@login_required
def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponseBase:
    """A photo or document of an item, for whoever may see the item (its staff, or the customer who raised
    it), under its own (safe) name, RFC 6266: pictures we checked are shown inline, anything else is a
    download, so a document never runs in the page."""
    from urllib.parse import quote

    from django.http import FileResponse

    item = selectors.item_get_for_user(user=request.user, reference=reference)
    attachment = item.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except OSError as error:  # the file is gone from storage (FileNotFoundError included)
        raise Http404 from error
    content_type = attachment.content_type or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    pictures = {"image/jpeg", "image/png", "image/gif", "image/webp"}  # the formats photos.py checks
    disposition = "inline" if content_type in pictures else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(attachment.name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def item_photos(request: HttpRequest, reference: str) -> HttpResponse:

    item = selectors.item_get_for_user(user=request.user, reference=reference)
    try:
        count = feedback_photos_add(actor=request.user, item=item, photos=request.FILES.getlist("photos"))
    except DomainError as error:
        for problems in error.fields.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("%(count)d photo(s) added.") % {"count": count})
    return redirect("feedback:item_detail", reference=item.reference)


@login_required
@require_GET
def execution_record_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The execution record (附表二, R-FB-8) as a PDF, for staff of the item's project."""
    item = selectors.item_get_for_user(user=request.user, reference=reference)  # 404 outside the scope
    if not can(request.user, "feedback.view", project=item.project):
        raise PermissionDenied  # the customer sees their own item, but not the internal record
    response = HttpResponse(render_execution_record(item=item), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.reference}-execution-record.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def item_reclassify(request: HttpRequest, reference: str) -> HttpResponse:
    """Change kind, category, place, department, priority or flags after registration (audited)."""
    item = _item(request, reference)
    if not can(request.user, "feedback.reclassify", project=item.project):
        raise PermissionDenied
    form = ReclassifyForm(
        request.POST or None,
        initial=ReclassifyForm.initial_for(item),
        buildings=org_selectors.registration_buildings(projects=[item.project]),
        departments=list(reclassification.departments_for(item).order_by("project_id", "kind")),
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            reclassification.feedback_item_reclassify(
                actor=request.user,
                item=item,
                version=form.cleaned_data["version"],
                target=reclassification.reclassification_from(item=item, values=form.values()),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The classification is changed."))
            return redirect("feedback:item_detail", reference=item.reference)
    return render(request, "feedback/item_reclassify.html", {"form": form, "item": item}, status=status)


# --- field work (issue 11): the appointment with the customer, handing the job over, thumbnails ----------


@login_required
@require_POST
def item_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    form = AppointmentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            appointments.feedback_item_set_appointment(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The appointment is recorded."))
            return redirect("feedback:item_detail", reference=item.reference)
    return _render_item(request, item, status=status, appointment_form=form)


@login_required
@require_POST
def item_hand_over(request: HttpRequest, reference: str) -> HttpResponse:
    item = _item(request, reference)
    form = HandOverForm(request.POST, people=appointments.hand_over_choices(item=item))
    status = 400
    if form.is_valid():
        try:
            appointments.feedback_item_hand_over(
                actor=request.user,
                item=item,
                to_id=form.cleaned_data["executor"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The job is handed over."))
            return redirect("feedback:item_detail", reference=item.reference)
    return _render_item(request, item, status=status, handover_form=form)


@login_required
@require_GET
def attachment_thumbnail(request: HttpRequest, reference: str, pk: int) -> HttpResponseBase:
    """A photo's thumbnail, for whoever may open the photo (attachment_download's scope)."""
    from django.http import FileResponse

    item = selectors.item_get_for_user(user=request.user, reference=reference)
    attachment = item.attachments.filter(pk=pk).first()
    name = thumbnail_ensure(attachment=attachment) if attachment is not None else None
    if attachment is None or name is None:
        raise Http404
    try:
        handle = attachment.file.storage.open(name, "rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
