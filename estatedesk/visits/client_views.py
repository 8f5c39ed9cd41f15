"""Pages of client visits (R-CS-1): the list (planned, overdue follow-ups, every visit), planning a visit,
the visit with its record form, the follow-up done, cancelling, and a feedback item made of what the client
raised. Thin: a form in, the service (visits/clients.py), a page or a redirect out."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientVisitKind, ClientVisitStatus
from estatedesk.visits.client_forms import (
    ClientVisitCancelForm,
    ClientVisitFilterForm,
    ClientVisitPlanForm,
    ClientVisitRaiseItemForm,
    ClientVisitRecordForm,
)
from estatedesk.visits.models import ClientVisit

PAGE_SIZE = 50
SECTION_SIZE = 20


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "visits.view"):
        raise PermissionDenied


def _visit(request: HttpRequest, pk: int, *, for_write: bool = False) -> ClientVisit:
    _require_view(request)
    return clients.client_visit_get_for_user(user=request.user, pk=pk, for_write=for_write)


def _visitor_choices(projects: list[Project]) -> list[tuple[int, str]]:
    """The people who may make the visit: of the only project, or of each of a few (named by project)."""
    if len(projects) == 1:
        return clients.client_visit_visitors(project=projects[0])
    if len(projects) > org_selectors.MANY_PROJECTS:
        return []
    return [
        (pk, f"{project.code} · {label}")
        for project in projects
        for pk, label in clients.client_visit_visitors(project=project)
    ]


# --- list -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def client_visit_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    form = ClientVisitFilterForm(request.GET, projects=org_selectors.filter_projects(user=user))
    page = CappedPaginator(clients.client_visit_list(user=user, filters=form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    is_filtered = any(value for name, value in request.GET.items() if name != "page")
    return render(
        request,
        "visits/client_list.html",
        {
            "form": form,
            "page": page,
            "planned": [] if is_filtered else clients.client_visit_planned(user=user, limit=SECTION_SIZE),
            "overdue": []
            if is_filtered
            else list(clients.client_visit_follow_ups_overdue(user=user)[:SECTION_SIZE]),
            "today": clients.today(),
            "is_filtered": is_filtered,
            "filters_open": any(value for name, value in request.GET.items() if name not in ("page", "q")),
            "can_plan": clients.user_may_plan(user),
        },
    )


# --- planning ---------------------------------------------------------------------------------------------


@login_required
def client_visit_plan(request: HttpRequest) -> HttpResponse:
    projects = clients.client_visit_projects(user=request.user)
    if not projects:
        raise PermissionDenied
    form = ClientVisitPlanForm(request.POST or None, projects=projects, visitors=_visitor_choices(projects))
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visitor = clients.client_visit_visitor_get(user_id=data["visitor"]) if data["visitor"] else None
        try:
            visit = clients.client_visit_plan(
                actor=request.user,
                plan=clients.ClientVisitPlan(
                    project=data["project"],
                    kind=data["kind"],
                    client_kind=data["client_kind"],
                    client_name=data["client_name"],
                    contact_person=data["contact_person"],
                    planned_on=data["planned_on"],
                    visitor=visitor,
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The client visit is planned."))
            return redirect("visits:client_visit_detail", pk=visit.pk)
    return render(request, "visits/client_plan.html", {"form": form}, status=status)


# --- the visit --------------------------------------------------------------------------------------------


def _render_visit(
    request: HttpRequest, visit: ClientVisit, *, status: int = 200, record_form: Any = None
) -> HttpResponse:
    may_write = can(request.user, clients.CAPABILITY, project=visit.project)
    planned = visit.status == ClientVisitStatus.PLANNED
    if record_form is None and may_write and planned:
        record_form = ClientVisitRecordForm(is_regular=visit.kind == ClientVisitKind.REGULAR)
    today = clients.today()
    context = {
        "visit": visit,
        "items": clients.client_visit_items(visit=visit),
        "next_visit": clients.client_visit_next(visit=visit) if visit.visited_on else None,
        "record_form": record_form if planned else None,
        "may_write": may_write,
        "is_late": planned and visit.planned_on < today,
        "follow_up_overdue": visit.status == ClientVisitStatus.DONE
        and bool(visit.follow_up)
        and visit.follow_up_done_at is None
        and visit.follow_up_due_on is not None
        and visit.follow_up_due_on < today,
    }
    return render(request, "visits/client_detail.html", context, status=status)


@login_required
@require_GET
def client_visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_visit(request, _visit(request, pk))


@login_required
@require_POST
def client_visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    form = ClientVisitRecordForm(request.POST, is_regular=visit.kind == ClientVisitKind.REGULAR)
    status = 400
    if form.is_valid():
        try:
            clients.client_visit_record(actor=request.user, visit=visit, record=form.record())
        except DomainError as error:
            if error.status == 409:
                messages.error(request, error.message)
                return redirect("visits:client_visit_detail", pk=visit.pk)
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The client visit is recorded."))
            return redirect("visits:client_visit_detail", pk=visit.pk)
    return _render_visit(request, visit, status=status, record_form=form)


@login_required
@require_POST
def client_visit_follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    try:
        clients.client_visit_follow_up_done(actor=request.user, visit=visit)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The follow-up is marked done."))
    return redirect("visits:client_visit_detail", pk=visit.pk)


@login_required
def client_visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    form = ClientVisitCancelForm(request.POST or None)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            clients.client_visit_cancel(actor=request.user, visit=visit, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The client visit is cancelled."))
            return redirect("visits:client_visit_detail", pk=visit.pk)
    return render(request, "visits/client_cancel.html", {"visit": visit, "form": form}, status=status)


@login_required
def client_visit_raise_item(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    form = ClientVisitRaiseItemForm(
        request.POST or None,
        initial={"description": visit.raised},
        buildings=org_selectors.registration_buildings(projects=[visit.project]),
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            item = clients.client_visit_raise_item(
                actor=request.user,
                visit=visit,
                raised=form.raised(),
                idempotency_key=form.cleaned_data["form_token"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("Registered as %(reference)s.") % {"reference": item.reference})
            return redirect("visits:client_visit_detail", pk=visit.pk)
    return render(request, "visits/client_raise_item.html", {"visit": visit, "form": form}, status=status)
