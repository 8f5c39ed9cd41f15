"""Staff pages of return visits (R-FB-6, R-RV-1 to R-RV-5, 附表三) and the owner's view of a visit's
result. Thin: a form in, the service (visits.services), a page or a redirect out; reads through
visits.selectors (scoped by `ReturnVisit.objects.visible_to`).

- the list, with filters (month, status, purpose, project, visitor); a visitor opens on their own due visits;
- a visit: its items with their handling results, the attempts and a quick attempt form, the grade form for
  who may grade it (else the reason they may not: `eligibility.visitor_refusal`), assign and cancel for
  planners, the link to its serious follow-up or to the visit it follows, the printable 附表三;
- the monthly list: made by a planner for a project and month, exported to Excel (phones masked for
  whoever does not call owners);
- the figures (visits.figures.visit_figures) with an ECharts chart drawn by static/visits/figures.js;
- a fragment for feedback's staff page of an item: its return visits (htmx, `/visits/item/<reference>/`);
- the owner: the visit's result on their item and a comment (`/visits/mine/<id>/`), and a fragment for
  feedback's owner page of the item (htmx, `/visits/mine/item/<reference>/`).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common import months
from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Membership, Project
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.owners.contacts import mask_phone
from estatedesk.visits import eligibility, selectors, services
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.export import monthly_list_export
from estatedesk.visits.figures import GradeRow, visit_figures
from estatedesk.visits.forms import (
    MINE,
    AssignForm,
    AttemptForm,
    CancelForm,
    FiguresFilterForm,
    GradeForm,
    MonthlyListForm,
    OwnerCommentForm,
    VisitFilterForm,
)
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.pdf import covered_items, return_visit_pdf

PAGE_SIZE = 50


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "visits.view"):
        raise PermissionDenied


def _project(request: HttpRequest, code: str) -> Project:
    """A project of the user's scope by code, else 404."""
    project = next((p for p in org_selectors.filter_projects(user=request.user) if p.code == code), None)
    if project is None:
        raise Http404
    return project


# --- the list -------------------------------------------------------------------------------------------


def _list_filters(request: HttpRequest, form: VisitFilterForm) -> dict[str, Any]:
    values = form.values()
    filters: dict[str, Any] = {
        "status": values.get("status") or None,
        "purpose": values.get("purpose") or None,
        "month": values.get("month"),
        "project": None,
        "visitor": None,
    }
    if values.get("project"):
        filters["project"] = _project(request, values["project"])
    visitor = values.get("visitor", "")
    if visitor == MINE:
        filters["visitor"] = request.user
    elif visitor:
        filters["visitor"] = (
            get_user_model().objects.filter(pk=int(visitor)).first() if visitor.isdigit() else None
        )
    return filters


def _visitor_choices(projects: list[Project], project_code: str) -> list[Any]:
    """People who make visits at the chosen project, or at the user's projects when they are a few."""
    project_ids = [p.pk for p in projects if not project_code or p.code == project_code]
    if len(project_ids) > org_selectors.MANY_PROJECTS:
        return []
    user_ids = Membership.objects.filter(
        is_active=True, project_id__in=project_ids, role__in=eligibility.RECORDERS
    ).values("user_id")
    return list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .order_by("display_name", "username")[:300]
    )


def _default_query(request: HttpRequest) -> dict[str, str] | None:
    """A visitor opening the bare list sees their own due visits."""
    if request.GET or not can_anywhere(request.user, "visits.record"):
        return None
    return {"visitor": MINE, "status": VisitStatus.DUE}


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    query: QueryDict = request.GET
    default = _default_query(request)
    if default is not None:  # a visitor opening the list sees their own visits due, filters shown as such
        query = QueryDict(mutable=True)
        query.update(default)
    projects = org_selectors.filter_projects(user=user)
    form = VisitFilterForm(
        query, projects=projects, visitors=_visitor_choices(projects, query.get("project", ""))
    )
    filters = _list_filters(request, form)
    rows = selectors.return_visit_list(user=user, **filters)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    planned = [p for p in projects if can(user, "visits.plan", project=p)]
    exportable = [p for p in projects if can(user, "visits.export", project=p)]
    last_month = (months.current_month() - timedelta(days=1)).replace(day=1)
    monthly_initial = {
        "month": f"{last_month:%Y-%m}",
        "project": filters["project"].code if filters["project"] else "",
    }
    return render(
        request,
        "visits/visit_list.html",
        {
            "form": form,
            "page": page,
            "now": timezone.now(),
            "is_filtered": any(value for name, value in query.items() if name not in ("page", "all")),
            "make_form": MonthlyListForm(initial=monthly_initial, projects=planned) if planned else None,
            "export_form": MonthlyListForm(
                initial=monthly_initial, projects=exportable, auto_id="id_export_%s"
            )
            if exportable
            else None,
        },
    )


# --- one visit ------------------------------------------------------------------------------------------


def _visit(request: HttpRequest, pk: int, *, for_write: bool = False) -> ReturnVisit:
    """The visit as staff of its project see it; anyone else (an owner included) gets a 404."""
    _require_view(request)
    visit = selectors.return_visit_get_for_user(user=request.user, pk=pk, for_write=for_write)
    if not can(request.user, "visits.view", project=visit.project):
        raise Http404
    return visit


def _grade_refusal(request: HttpRequest, visit: ReturnVisit) -> str | None:
    """Why this user may not record the visit's result, None when they may."""
    if visit.status != VisitStatus.DUE:
        return _("This visit is already recorded or cancelled.")
    return eligibility.visitor_refusal(visit=visit, user=request.user)


def _phone(request: HttpRequest, visit: ReturnVisit) -> str:
    if can(request.user, "owners.phone.full", project=visit.project):
        return visit.customer_phone
    return mask_phone(visit.customer_phone)


def _forms_for(request: HttpRequest, visit: ReturnVisit, forms: dict[str, Any]) -> dict[str, Any]:
    """The forms this user may use on the visit (a form that failed comes in bound)."""
    user, project, due = request.user, visit.project, visit.status == VisitStatus.DUE
    if due and can(user, "visits.record", project=project):
        forms.setdefault("attempt_form", AttemptForm())
    refusal = _grade_refusal(request, visit) if due else None
    if due and can(user, "visits.record", project=project) and refusal is None:
        forms.setdefault(
            "grade_form",
            GradeForm(
                initial={"handling_result": "\n".join(i.result for i in covered_items(visit) if i.result)},
                recorders=_recorders(visit),
                asks_quality=visit.purpose == Purpose.PAID_SERVICE,
            ),
        )
    if due and can(user, "visits.plan", project=project):
        forms.setdefault("assign_form", AssignForm(visitors=selectors.eligible_visitors(visit=visit)))
        forms.setdefault("cancel_form", CancelForm())
    forms["grade_refusal"] = refusal if due and "grade_form" not in forms else None
    return forms


def _recorders(visit: ReturnVisit) -> list[Any]:
    """Who may be named the recorder: colleagues of the project who may record visits."""
    return org_selectors.project_staff(project=visit.project, roles=set(eligibility.RECORDERS))


def _render_visit(
    request: HttpRequest, visit: ReturnVisit, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "visit": visit,
        "items": covered_items(visit),
        "attempts": list(visit.attempts.select_related("by")),
        "follow_ups": list(visit.follow_ups.select_related("visitor").order_by("id")),
        "phone": _phone(request, visit),
        "now": timezone.now(),
        **_forms_for(request, visit, forms),
    }
    return render(request, "visits/visit_detail.html", context, status=status)


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_visit(request, _visit(request, pk))


@login_required
@require_POST
def visit_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    form = AttemptForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            attempt = services.return_visit_record_attempt(
                actor=request.user, visit=visit, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(
                request, _("Attempt recorded: %(outcome)s.") % {"outcome": attempt.get_outcome_display()}
            )
            return redirect("visits:visit_detail", pk=visit.pk)
    return _render_visit(request, visit, status=status, attempt_form=form)


@login_required
@require_POST
def visit_grade(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    recorders = _recorders(visit)
    form = GradeForm(request.POST, recorders=recorders, asks_quality=visit.purpose == Purpose.PAID_SERVICE)
    status = 400
    if form.is_valid():
        recorder = next((u for u in recorders if u.pk == form.cleaned_data["recorder"]), None)
        result = services.VisitResult(**form.result_values(), visitor=request.user, recorder=recorder)
        try:
            visit = services.return_visit_grade(actor=request.user, visit=visit, result=result)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(
                request, _("The visit is recorded: %(grade)s.") % {"grade": visit.get_grade_display()}
            )
            return redirect("visits:visit_detail", pk=visit.pk)
    return _render_visit(request, visit, status=status, grade_form=form)


@login_required
@require_POST
def visit_assign(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    if not can(request.user, "visits.plan", project=visit.project):
        raise PermissionDenied
    visitors = selectors.eligible_visitors(visit=visit)
    form = AssignForm(request.POST, visitors=visitors)
    status = 400
    if form.is_valid():
        visitor = next((u for u in visitors if u.pk == form.cleaned_data["visitor"]), None)
        try:
            services.return_visit_assign(actor=request.user, visit=visit, visitor=visitor)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The visit is given to %(name)s.") % {"name": visitor})
            return redirect("visits:visit_detail", pk=visit.pk)
    return _render_visit(request, visit, status=status, assign_form=form)


@login_required
@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, for_write=True)
    form = CancelForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.return_visit_cancel(actor=request.user, visit=visit, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The visit is cancelled."))
            return redirect("visits:visit_detail", pk=visit.pk)
    return _render_visit(request, visit, status=status, cancel_form=form)


@login_required
@require_GET
def visit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """附表三, the visit's record (R-RV-5), for staff of the visit's project."""
    visit = _visit(request, pk)
    response = HttpResponse(return_visit_pdf(visit=visit), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-visit-{visit.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the monthly list (R-FB-6) ---------------------------------------------------------------------------


def _monthly_form(
    request: HttpRequest, data: Any, capability: str
) -> tuple[MonthlyListForm, Project | None, date | None]:
    projects = [
        p
        for p in org_selectors.filter_projects(user=request.user)
        if can(request.user, capability, project=p)
    ]
    if not projects:
        raise PermissionDenied
    form = MonthlyListForm(data, projects=projects)
    if not form.is_valid():
        return form, None, None
    project = next(p for p in projects if p.code == form.cleaned_data["project"])
    return form, project, form.cleaned_data["month"]


@login_required
@require_POST
def monthly_make(request: HttpRequest) -> HttpResponse:
    """A planner makes the project's list of a month's customers now (the scheduler makes it on the 1st)."""
    _require_view(request)
    form, project, month = _monthly_form(request, request.POST, "visits.plan")
    if project is None or month is None:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return redirect("visits:visit_list")
    made = services.monthly_list_make(project=project, month=month)
    messages.success(
        request,
        _("Monthly list of %(month)s for %(project)s: %(count)d new visit(s).")
        % {"month": f"{month:%Y-%m}", "project": project.name, "count": len(made)},
    )
    query = urlencode({"project": project.code, "month": f"{month:%Y-%m}", "purpose": Purpose.MONTHLY})
    return redirect(f"{reverse('visits:visit_list')}?{query}")


@login_required
@require_GET
def monthly_export(request: HttpRequest) -> FileResponse | HttpResponse:
    _require_view(request)
    form, project, month = _monthly_form(request, request.GET, "visits.export")
    if project is None or month is None:
        raise Http404
    path = monthly_list_export(actor=request.user, project=project, month=month)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    filename = f"回访名单-{project.code}-{month:%Y%m}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


# --- the staff page of a feedback item (a fragment) ----------------------------------------------------


@login_required
@require_GET
def item_visits(request: HttpRequest, reference: str) -> HttpResponse:
    """The return visits about one feedback item (its own, and the monthly visits covering it), in the order
    they were arranged (a separate visit after the visit it follows), as a fragment
    for feedback's staff page of the item (htmx on load); 204 when there is none, so the page keeps its
    placeholder. The item is read through the user's scope: 404 when it is not theirs."""
    _require_view(request)
    item = (
        FeedbackItem.objects.visible_to(request.user)
        .filter(reference=reference)
        .select_related("project__branch")
        .first()
    )
    if item is None or not can(request.user, "visits.view", project=item.project):
        raise Http404
    covering = ReturnVisit.covered_items.through.objects.filter(feedbackitem_id=item.pk).values(
        "returnvisit_id"
    )
    visits = list(
        ReturnVisit.objects.visible_to(request.user)
        .filter(Q(item_id=item.pk) | Q(pk__in=covering))
        .select_related("visitor", "graded_by")
        .order_by("id")
    )
    if not visits:
        return HttpResponse(status=204)
    return render(
        request, "visits/_item_visits.html", {"item": item, "visits": visits, "now": timezone.now()}
    )


# --- the owner (portal) ---------------------------------------------------------------------------------


def _user_id(request: HttpRequest) -> int:
    user: Any = request.user
    return int(user.pk)


def _owner_visit(request: HttpRequest, pk: int) -> ReturnVisit:
    """A graded visit about one of the owner's own items (the model's owner scope), else 404."""
    visit = (
        ReturnVisit.objects.visible_to(request.user)
        .filter(pk=pk, item__resident__user_id=_user_id(request), status=VisitStatus.GRADED)
        .select_related("item", "project", "graded_by")
        .first()
    )
    if visit is None:
        raise Http404
    return visit


@login_required
@require_http_methods(["GET", "POST"])
def portal_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner reads the visit's result on their item and may add a comment, once."""
    visit = _owner_visit(request, pk)
    form = OwnerCommentForm(request.POST or None) if not visit.owner_comment else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            try:
                services.return_visit_owner_comment(
                    actor=request.user, visit=visit, comment=form.cleaned_data["comment"]
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Thank you. Your comment is added to the visit."))
                return redirect("visits:portal_visit", pk=visit.pk)
        elif form is None:
            messages.error(request, _("You have already commented."))
            status = 409
    return render(request, "visits/portal_visit.html", {"visit": visit, "form": form}, status=status)


@login_required
@require_GET
def portal_item_visits(request: HttpRequest, reference: str) -> HttpResponse:
    """The results of the visits about one of the owner's items, as a fragment for feedback's owner page
    of the item (htmx on load); 204 with nothing to show, so the page stays as it is."""
    if (
        not FeedbackItem.objects.visible_to(request.user)
        .filter(reference=reference, resident__user_id=_user_id(request))
        .exists()
    ):
        raise Http404
    visits = list(
        ReturnVisit.objects.visible_to(request.user)
        .filter(item__reference=reference, item__resident__user_id=_user_id(request))
        .filter(status=VisitStatus.GRADED)
        .select_related("graded_by")
        .order_by("recorded_at", "id")
    )
    if not visits:
        return HttpResponse(status=204)
    return render(request, "visits/_portal_item_visits.html", {"visits": visits})


# --- the figures (issue 12, item 8) ---------------------------------------------------------------------


def _grade_table(rows: list[GradeRow], unnamed: str) -> list[dict[str, Any]]:
    return [
        {
            "label": row.label or unnamed,
            "a": row.counts.a,
            "b": row.counts.b,
            "c": row.counts.c,
            "graded": row.counts.graded,
            "satisfaction": row.counts.satisfaction,
        }
        for row in rows
    ]


def _figures_chart(tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """What the chart draws (json_script): A/B/C stacked per project, the same numbers as the table."""
    rows = tables["project"]
    return {
        "labels": [row["label"] for row in rows],
        "series": [
            {"name": _("A Satisfied"), "key": "a", "values": [row["a"] for row in rows]},
            {"name": _("B Fairly satisfied"), "key": "b", "values": [row["b"] for row in rows]},
            {"name": _("C Unsatisfied"), "key": "c", "values": [row["c"] for row in rows]},
        ],
    }


@login_required
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    """Coverage, contact success, A/B/C and 回访满意率 of the visits due in a month (visits.figures)."""
    _require_view(request)
    user = request.user
    this_month = months.current_month()
    month_text = request.GET.get("month", "").strip()
    month = (months.parse_month(month_text) if month_text else None) or this_month
    project_code = request.GET.get("project", "").strip()
    project = _project(request, project_code) if project_code else None
    start, end = months.month_bounds(month)
    result = visit_figures(user=user, start=start, end=end, project=project)
    tables = {
        "project": _grade_table(result.by_project, _("No project")),
        "department": _grade_table(result.by_department, _("No department recorded")),
        "handler": _grade_table(result.by_handler, _("No handler recorded")),
    }
    projects = org_selectors.filter_projects(user=user)
    return render(
        request,
        "visits/figures.html",
        {
            "form": FiguresFilterForm(
                initial={"month": f"{month:%Y-%m}", "project": project_code}, projects=projects
            ),
            "invalid_month": month_text if month_text and months.parse_month(month_text) is None else "",
            "month": month,
            "project": project,
            "figures": result,
            "tables": [
                ("project", _("By project"), tables["project"]),
                ("department", _("By department at the time of the grade"), tables["department"]),
                ("handler", _("By handler at the time of the grade"), tables["handler"]),
            ],
            "chart_data": _figures_chart(tables) if result.graded else None,
        },
    )
