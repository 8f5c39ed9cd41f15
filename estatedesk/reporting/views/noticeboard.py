"""Pages of HQ's noticeboard and formal documents (R-IR-6): the departments' pages (read by every staff
member of the company, written by each department and HQ's property management department), and the
documents HQ's document administrator registers and forwards (inbox, registration, sending to projects,
the document with its deliveries and read times, its file). Thin: a form in, reporting/noticeboard.py, a
page or a redirect out. A document the user may not see is 404, as a missing one."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.text import filename_safe
from estatedesk.common.widgets import FastSelect
from estatedesk.org.models import Company, Department, Project
from estatedesk.org.permissions import can_anywhere
from estatedesk.reporting import noticeboard
from estatedesk.reporting.choices import DocumentDirection
from estatedesk.reporting.models import Document, NoticePage

PAGE_SIZE = 50
DATETIME = {"type": "datetime-local"}


def _require_staff(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


# --- forms ----------------------------------------------------------------------------------------------


class NoticeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 12})
    )
    is_published = forms.BooleanField(
        label=gettext_lazy("Published (every staff member of the company reads it)"), required=False
    )

    def notice(self) -> noticeboard.NoticeInput:
        data = self.cleaned_data
        return noticeboard.NoticeInput(
            title=data["title"], body=data["body"], is_published=data["is_published"]
        )


class RecipientsForm(forms.Form):
    """Leaders and departments to forward a document to."""

    users = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Leaders"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    departments = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Departments"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=gettext_lazy("Note to the recipients"), max_length=300, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leader_rows = {user.pk: user for user in noticeboard.document_leaders(company=company)}
        self.department_rows = {d.pk: d for d in noticeboard.document_departments(company=company)}
        cast(forms.ChoiceField, self.fields["users"]).choices = [
            (pk, str(u)) for pk, u in self.leader_rows.items()
        ]
        cast(forms.ChoiceField, self.fields["departments"]).choices = [
            (
                pk,
                _("%(name)s (%(count)s members)") % {"name": d.name, "count": d.members},  # type: ignore[attr-defined]
            )
            for pk, d in self.department_rows.items()
        ]

    def recipients(self) -> noticeboard.Recipients:
        data = self.cleaned_data
        return noticeboard.Recipients(
            users=[self.leader_rows[pk] for pk in data["users"]],
            departments=[self.department_rows[pk] for pk in data["departments"]],
            note=data["note"],
        )


class DocumentFields(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    file = forms.FileField(label=gettext_lazy("File"), required=False)

    def document(self, **extra: Any) -> noticeboard.DocumentInput:
        data = self.cleaned_data
        return noticeboard.DocumentInput(
            title=data["title"], summary=data["summary"], file=data.get("file"), **extra
        )


class DocumentRegisterForm(DocumentFields, RecipientsForm):
    """A document HQ received: from whom, when, and whom to forward it to."""

    sender = forms.CharField(
        label=pgettext_lazy("document", "From"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Who sent it, when it came from outside the company."),
    )
    from_branch = forms.TypedChoiceField(
        label=gettext_lazy("From branch company"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=FastSelect,
    )
    from_project = forms.TypedChoiceField(
        label=gettext_lazy("From project"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Leave empty for now."),
    )
    field_order = ["title", "sender", "from_branch", "from_project", "received_at", "summary", "file"]

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.branch_rows = {b.pk: b for b in noticeboard.document_branches(company=company)}
        self.project_rows = {p.pk: p for p in noticeboard.document_projects(company=company).order_by("code")}
        none: list[tuple[Any, Any]] = [("", "—")]
        cast(forms.ChoiceField, self.fields["from_branch"]).choices = none + [
            (pk, b.name) for pk, b in self.branch_rows.items()
        ]
        cast(forms.ChoiceField, self.fields["from_project"]).choices = none + [
            (pk, f"{p.code} · {p.name}") for pk, p in self.project_rows.items()
        ]

    def document(self, **extra: Any) -> noticeboard.DocumentInput:
        data = self.cleaned_data
        return super().document(
            sender=data["sender"],
            from_branch=self.branch_rows.get(data["from_branch"]) if data["from_branch"] else None,
            from_project=self.project_rows.get(data["from_project"]) if data["from_project"] else None,
            received_at=data["received_at"],
        )


class DocumentSendForm(DocumentFields):
    """A document HQ sends to projects (their managers and document administrators)."""

    projects = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Projects"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Each project's manager and document administrator receive it."),
    )
    note = forms.CharField(label=gettext_lazy("Note to the recipients"), max_length=300, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project_rows = {p.pk: p for p in noticeboard.document_projects(company=company).order_by("code")}
        cast(forms.ChoiceField, self.fields["projects"]).choices = [
            (pk, f"{p.code} · {p.name} ({p.branch.name})") for pk, p in self.project_rows.items()
        ]

    def chosen_projects(self) -> list[Project]:
        return [self.project_rows[pk] for pk in self.cleaned_data["projects"]]


# --- department pages -----------------------------------------------------------------------------------


@login_required
@require_GET
def noticeboard_home(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    user = request.user
    return render(
        request,
        "reporting/noticeboard.html",
        {
            "sections": noticeboard.noticeboard_sections(user=user),
            "unread": noticeboard.document_unread_count(user=user),
            "keeps_documents": noticeboard.keeps_documents(user),
        },
    )


@login_required
@require_GET
def notice_department(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    department = noticeboard.notice_department_get_for_user(user=request.user, pk=pk)
    page = CappedPaginator(
        noticeboard.notice_page_list(user=request.user, department=department), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/notice_department.html",
        {
            "department": department,
            "page": page,
            "may_write": noticeboard.notice_may_write(user=request.user, department=department),
        },
    )


@login_required
@require_GET
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    page = noticeboard.notice_page_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "reporting/notice_page.html",
        {
            "notice": page,
            "may_write": noticeboard.notice_may_write(user=request.user, department=page.department),
        },
    )


def _notice_form_page(
    request: HttpRequest, *, department: Department, notice: NoticePage | None
) -> HttpResponse:
    initial = (
        {"title": notice.title, "body": notice.body, "is_published": notice.is_published} if notice else None
    )
    form = NoticeForm(request.POST or None, initial=initial)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            if notice is None:
                notice = noticeboard.notice_page_create(
                    actor=request.user, department=department, data=form.notice()
                )
            else:
                notice = noticeboard.notice_page_update(actor=request.user, page=notice, data=form.notice())
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The page is saved."))
            return redirect("reporting:notice_page", pk=notice.pk)
    return render(
        request,
        "reporting/notice_edit.html",
        {"form": form, "department": department, "notice": notice},
        status=status,
    )


@login_required
def notice_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    department = noticeboard.notice_department_get_for_user(user=request.user, pk=pk)
    if not noticeboard.notice_may_write(user=request.user, department=department):
        raise PermissionDenied
    return _notice_form_page(request, department=department, notice=None)


@login_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    notice = noticeboard.notice_page_get_for_user(user=request.user, pk=pk, for_write=True)
    return _notice_form_page(request, department=notice.department, notice=notice)


# --- documents ------------------------------------------------------------------------------------------


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    """The inbox (what was forwarded to me) and, for those who keep the documents, every document with
    how many of its recipients read it."""
    _require_staff(request)
    user = request.user
    keeps = noticeboard.keeps_documents(user)
    box = request.GET.get("box") or ("registered" if keeps else "inbox")
    if box not in ("inbox", "registered") or (box == "registered" and not keeps):
        box = "inbox"
    direction = request.GET.get("direction", "")
    if direction not in DocumentDirection.values:
        direction = ""
    rows: Any = (
        noticeboard.document_registered(user=user, direction=direction)
        if box == "registered"
        else noticeboard.document_inbox(user=user)
    )
    return render(
        request,
        "reporting/document_list.html",
        {
            "box": box,
            "direction": direction,
            "directions": DocumentDirection.choices,
            "keeps": keeps,
            "page": CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
            "unread": noticeboard.document_unread_count(user=user),
        },
    )


@login_required
def document_new(request: HttpRequest) -> HttpResponse:
    """Register a document received and forward it (default), or send one to projects (?to=projects)."""
    _require_staff(request)
    company = noticeboard.document_company(user=request.user)
    if company is None:
        raise PermissionDenied
    to_projects = request.GET.get("to") == "projects"
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form: DocumentRegisterForm | DocumentSendForm = (
        DocumentSendForm(data, files, company=company)
        if to_projects
        else DocumentRegisterForm(data, files, company=company)
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(form, DocumentSendForm):
                document = noticeboard.document_send_to_projects(
                    actor=request.user,
                    company=company,
                    data=form.document(),
                    projects=form.chosen_projects(),
                    note=form.cleaned_data["note"],
                )
            else:
                recipients = form.recipients()
                document = noticeboard.document_register(
                    actor=request.user,
                    company=company,
                    data=form.document(),
                    recipients=recipients if recipients.users or recipients.departments else None,
                )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The document is registered."))
            return redirect("reporting:document_detail", pk=document.pk)
    return render(
        request,
        "reporting/document_new.html",
        {"form": form, "to_projects": to_projects},
        status=status,
    )


def _render_document(
    request: HttpRequest, document: Document, *, forward_form: RecipientsForm | None = None, status: int = 200
) -> HttpResponse:
    keeps = noticeboard.keeps_documents(request.user)
    if keeps and forward_form is None and document.direction == DocumentDirection.INBOUND:
        forward_form = RecipientsForm(company=document.company)
    return render(
        request,
        "reporting/document_detail.html",
        {
            "document": document,
            "mine": noticeboard.document_delivery_for(user=request.user, document=document),
            "keeps": keeps,
            "deliveries": noticeboard.document_deliveries(document=document) if keeps else [],
            "forward_form": forward_form,
        },
        status=status,
    )


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    document = noticeboard.document_get_for_user(user=request.user, pk=pk)
    noticeboard.document_open(user=request.user, document=document)
    return _render_document(request, document)


@login_required
@require_POST
def document_forward(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    document = noticeboard.document_get_for_user(user=request.user, pk=pk)
    if not noticeboard.keeps_documents(request.user):
        raise PermissionDenied
    form = RecipientsForm(request.POST, company=document.company)
    status = 400
    if form.is_valid():
        try:
            rows = noticeboard.document_forward(
                actor=request.user, document=document, recipients=form.recipients()
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            if rows:
                messages.success(request, _("Forwarded to %(count)d people.") % {"count": len(rows)})
            else:
                messages.info(request, _("Everyone chosen has the document already."))
            return redirect("reporting:document_detail", pk=document.pk)
    return _render_document(request, document, forward_form=form, status=status)


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The document's file, for whoever may see the document (opening it counts as reading it), always as
    a download under its own (safe) name, never run in the page."""
    _require_staff(request)
    document = noticeboard.document_get_for_user(user=request.user, pk=pk)
    if not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except OSError as error:
        raise Http404 from error
    noticeboard.document_open(user=request.user, document=document)
    name = filename_safe((document.file.name or "").rsplit("/", 1)[-1], fallback="document")
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("noticeboard/", noticeboard_home, name="noticeboard"),
    path("noticeboard/departments/<int:pk>/", notice_department, name="notice_department"),
    path("noticeboard/departments/<int:pk>/new/", notice_new, name="notice_new"),
    path("noticeboard/pages/<int:pk>/", notice_page, name="notice_page"),
    path("noticeboard/pages/<int:pk>/edit/", notice_edit, name="notice_edit"),
    path("documents/", document_list, name="document_list"),
    path("documents/new/", document_new, name="document_new"),
    path("documents/<int:pk>/", document_detail, name="document_detail"),
    path("documents/<int:pk>/forward/", document_forward, name="document_forward"),
    path("documents/<int:pk>/file/", document_file, name="document_file"),
]
