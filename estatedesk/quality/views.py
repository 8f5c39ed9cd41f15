"""Staff pages of nonconformities (R-RV-4): the list, the record with the stage's form for who may act, the
creation from an item (the link target of the feedback item page) or by hand, the item's nonconformities
as a fragment for feedback's staff page of the item, the figures and the printable record. Thin: a form in,
the service, a redirect or the page again with the errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Building, Project
from estatedesk.org.permissions import STAFF_ROLES, can, can_anywhere, projects_with
from estatedesk.quality import events, figures, selectors, services
from estatedesk.quality.choices import CauseCategory, Stage
from estatedesk.quality.forms import (
    ActionDoneForm,
    ActionForm,
    AnalyseForm,
    CreateForm,
    FilterForm,
    ReasonForm,
    VerifyForm,
    VisitForm,
    create_initial,
)
from estatedesk.quality.models import Nonconformity
from estatedesk.quality.pdf import nonconformity_pdf
from estatedesk.visits.choices import VisitStatus

PAGE_SIZE = 50


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "quality.view"):
        raise PermissionDenied


def _nonconformity(request: HttpRequest, reference: str) -> Nonconformity:
    _require_view(request)
    return selectors.nonconformity_get_for_user(user=request.user, reference=reference)


# --- list ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def nonconformity_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    projects = org_selectors.filter_projects(user=user)
    form = FilterForm(request.GET or None, projects=projects)
    filters = selectors.NonconformityFilters()
    if form.is_valid():
        filters = selectors.NonconformityFilters(
            stage=form.cleaned_data["stage"], project=form.cleaned_data["project"]
        )
    page = CappedPaginator(selectors.nonconformity_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "quality/list.html",
        {
            "form": form,
            "page": page,
            "is_filtered": bool(filters.stage or filters.project),
            "can_raise": can_anywhere(user, "quality.raise"),
        },
    )


# --- create -------------------------------------------------------------------------------------------------


def _raisable_projects(user: Any) -> list[Project]:
    allowed = projects_with(user, "quality.raise")
    rows = Project.objects.visible_to(user).filter(is_active=True).select_related("branch")
    if allowed is not None:
        rows = rows.filter(id__in=sorted(allowed))
    return list(rows.order_by("code"))


@login_required
def nonconformity_create(request: HttpRequest) -> HttpResponse:
    """Raise a nonconformity from a feedback item (`?item=<reference>`, the item page's link) or by hand
    (`?project=<code>`, with the fields a link may prefill: a survey finding's `origin=survey`,
    `survey_reference`, `area`, `title` and `description`, see forms.create_initial)."""
    _require_view(request)
    user = request.user
    item = None
    reference = request.GET.get("item", "")
    if reference:
        item = get_for_user_or_404(
            FeedbackItem.objects.select_related("project__branch", "building"), user=user, reference=reference
        )
        project = item.project
    else:
        projects = _raisable_projects(user)
        code = request.GET.get("project", "")
        chosen = [p for p in projects if p.code == code] or (projects if len(projects) == 1 else [])
        if not chosen:
            if not projects:
                raise PermissionDenied
            return render(request, "quality/create_choose_project.html", {"projects": projects})
        project = chosen[0]
    if not can(user, "quality.raise", project=project):
        raise PermissionDenied
    areas = list(Building.objects.filter(project=project).order_by("kind", "code"))
    initial: dict[str, Any] = {"origin": "manual", **create_initial(request.GET, areas=areas)}
    if item is not None:
        initial = {
            "origin": "patrol" if item.channel == "patrol" else "item",
            "title": item.title,
            "description": f"{item.reference} · {item.description}",
            "area": item.building_id or "",
        }
    form = CreateForm(request.POST or None, initial=initial, areas=areas)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            nonconformity = services.nonconformity_create(
                actor=user,
                data=services.NonconformityInput(
                    project=project,
                    origin=data["origin"],
                    title=data["title"],
                    description=data["description"],
                    item=item,
                    survey_reference=data["survey_reference"],
                    area=next((a for a in areas if str(a.pk) == data["area"]), None),
                    department=item.department if item is not None else None,
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Nonconformity %(reference)s raised.") % {"reference": nonconformity.reference}
            )
            return redirect("quality:detail", nonconformity.reference)
    if request.method == "POST":
        status = 400
    existing = list(item.nonconformities.order_by("raised_at")) if item is not None else []
    return render(
        request,
        "quality/create.html",
        {"form": form, "item": item, "project": project, "existing": existing},
        status=status,
    )


# --- the staff page of a feedback item (a fragment) --------------------------------------------------------


@login_required
@require_GET
def item_nonconformities(request: HttpRequest, reference: str) -> HttpResponse:
    """The nonconformities of one feedback item, with the link to raise one for who may, as a fragment for
    feedback's staff page of the item (htmx on load); 204 when there is nothing to show and no right to
    raise. The item is read through the user's scope: 404 when it is not theirs."""
    _require_view(request)
    user = request.user
    item = FeedbackItem.objects.visible_to(user).filter(reference=reference).select_related("project").first()
    if item is None or not can(user, "quality.view", project=item.project):
        raise Http404
    rows = list(Nonconformity.objects.visible_to(user).filter(item_id=item.pk).order_by("raised_at", "id"))
    can_raise = can(user, "quality.raise", project=item.project)
    if not rows and not can_raise:
        return HttpResponse(status=204)
    return render(
        request,
        "quality/_item_nonconformities.html",
        {"item": item, "nonconformities": rows, "can_raise": can_raise},
    )


# --- the record ---------------------------------------------------------------------------------------------


def _people(nonconformity: Nonconformity) -> list[tuple[int, str]]:
    return org_selectors.project_people(project=nonconformity.project, roles=STAFF_ROLES)


def _stage_forms(request: HttpRequest, nonconformity: Nonconformity) -> dict[str, Any]:
    """The forms of the stage, each only for who may use it."""
    user = request.user
    project = nonconformity.project
    stage = nonconformity.stage
    manage = can(user, "quality.manage", project=project)
    verify_refusal = services.verifier_refusal(user=user, nonconformity=nonconformity)
    forms: dict[str, Any] = {}
    if manage and stage == Stage.DRAFT:
        forms["take_up"] = True
    if manage and stage in (Stage.DRAFT, Stage.ANALYSIS, Stage.ACTION_PLAN):
        forms["analyse_form"] = AnalyseForm(
            initial={
                "cause_category": nonconformity.cause_category,
                "severity": nonconformity.severity,
                "cause": nonconformity.cause,
            }
        )
    if manage and stage in (Stage.ACTION_PLAN, Stage.IN_PROGRESS):
        forms["action_form"] = ActionForm(people=_people(nonconformity))
    if manage and stage == Stage.ACTION_PLAN:
        forms["can_start"] = True
    if stage == Stage.IN_PROGRESS:
        forms["done_forms"] = {
            action.pk: ActionDoneForm(prefix=f"a{action.pk}")
            for action in nonconformity.actions.all()
            if action.done_at is None and services.may_complete(user=user, action=action)
        }
        forms["can_to_verification"] = (manage or can(user, "quality.verify", project=project)) and all(
            action.done_at is not None for action in nonconformity.actions.all()
        )
    if stage == Stage.VERIFICATION:
        forms["verify_refusal"] = verify_refusal
        if verify_refusal is None:
            forms["verify_form"] = VerifyForm()
            visit = nonconformity.verification_visit
            if nonconformity.item_id and (visit is None or visit.status != VisitStatus.DUE):
                forms["visit_form"] = VisitForm()
    if manage and nonconformity.is_open:
        forms["cancel_form"] = ReasonForm()
    if not nonconformity.is_open and (manage or can(user, "quality.verify", project=project)):
        forms["reopen_form"] = ReasonForm()
    return forms


def _render(
    request: HttpRequest, nonconformity: Nonconformity, *, status: int = 200, **bound: Any
) -> HttpResponse:
    forms = _stage_forms(request, nonconformity)
    if "done_forms" in bound:
        forms["done_forms"] = {**forms.get("done_forms", {}), **bound.pop("done_forms")}
    forms.update(bound)
    rows = selectors.nonconformity_events(nonconformity=nonconformity)
    context = {
        "nc": nonconformity,
        "actions": list(nonconformity.actions.all()),
        "history": [events.describe(event) for event in rows],
        "today": timezone.localdate(),
        **forms,
    }
    return render(request, "quality/detail.html", context, status=status)


@login_required
@require_GET
def nonconformity_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render(request, _nonconformity(request, reference))


def _post(
    request: HttpRequest,
    reference: str,
    *,
    form_class: Any = None,
    form_name: str = "",
    act: Callable[[Nonconformity, dict[str, Any]], Any],
    done: str,
    form_kwargs: Callable[[Nonconformity], dict[str, Any]] | None = None,
) -> HttpResponse:
    """One stage operation: the form (if any), the service, back to the record (the form kept on errors)."""
    nonconformity = _nonconformity(request, reference)
    form = None
    if form_class is not None:
        extra = form_kwargs(nonconformity) if form_kwargs else {}
        form = form_class(request.POST, request.FILES, **extra)
        if not form.is_valid():
            return _render(request, nonconformity, status=400, **{form_name: form})
    try:
        act(nonconformity, form.cleaned_data if form is not None else {})
    except DomainError as error:
        if form is None:
            messages.error(request, str(error.message))
            return redirect("quality:detail", nonconformity.reference)
        add_domain_error(form, error)
        return _render(
            request, nonconformity, status=error.status if error.status != 403 else 400, **{form_name: form}
        )
    messages.success(request, done)
    return redirect("quality:detail", nonconformity.reference)


@login_required
@require_POST
def take_up(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        act=lambda nc, data: services.nonconformity_take_up(actor=request.user, nonconformity=nc),
        done=_("Taken up for the cause analysis."),
    )


@login_required
@require_POST
def analyse(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=AnalyseForm,
        form_name="analyse_form",
        act=lambda nc, data: services.nonconformity_analyse(actor=request.user, nonconformity=nc, **data),
        done=_("Cause recorded; plan the actions."),
    )


def _add_action(request: HttpRequest, nc: Nonconformity, data: dict[str, Any]) -> Any:
    owner = get_user_model().objects.filter(pk=data["owner"], is_active=True).first()
    return services.nonconformity_action_add(
        actor=request.user,
        nonconformity=nc,
        kind=data["kind"],
        description=data["description"],
        owner=owner,
        due_on=data["due_on"],
    )


@login_required
@require_POST
def action_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=ActionForm,
        form_name="action_form",
        form_kwargs=lambda nc: {"people": _people(nc)},
        act=lambda nc, data: _add_action(request, nc, data),
        done=_("Action added; its owner has been told."),
    )


@login_required
@require_POST
def action_done(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    nonconformity = _nonconformity(request, reference)
    action = selectors.action_get(nonconformity=nonconformity, pk=pk)
    form = ActionDoneForm(request.POST, prefix=f"a{action.pk}")
    if form.is_valid():
        try:
            services.nonconformity_action_done(
                actor=request.user, action=action, result=form.cleaned_data["result"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Action recorded as done."))
            return redirect("quality:detail", nonconformity.reference)
    return _render(request, nonconformity, status=400, done_forms={action.pk: form})


@login_required
@require_POST
def start(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        act=lambda nc, data: services.nonconformity_start(actor=request.user, nonconformity=nc),
        done=_("The actions have started."),
    )


@login_required
@require_POST
def to_verification(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        act=lambda nc, data: services.nonconformity_to_verification(actor=request.user, nonconformity=nc),
        done=_("Sent to verification."),
    )


@login_required
@require_POST
def verify(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=VerifyForm,
        form_name="verify_form",
        act=lambda nc, data: services.nonconformity_verify(
            actor=request.user,
            nonconformity=nc,
            verification=services.Verification(
                evidence=data["evidence"], result=data["result"], evidence_file=data["evidence_file"]
            ),
        ),
        done=_("Verification recorded."),
    )


@login_required
@require_POST
def verification_visit(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=VisitForm,
        form_name="visit_form",
        act=lambda nc, data: services.nonconformity_verification_visit_arrange(
            actor=request.user, nonconformity=nc, evidence=data["evidence"]
        ),
        done=_("Verification visit arranged: the nonconformity closes when it comes back A or B."),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=ReasonForm,
        form_name="cancel_form",
        act=lambda nc, data: services.nonconformity_cancel(
            actor=request.user, nonconformity=nc, reason=data["reason"]
        ),
        done=_("Nonconformity cancelled."),
    )


@login_required
@require_POST
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _post(
        request,
        reference,
        form_class=ReasonForm,
        form_name="reopen_form",
        act=lambda nc, data: services.nonconformity_reopen(
            actor=request.user, nonconformity=nc, reason=data["reason"]
        ),
        done=_("Nonconformity reopened."),
    )


@login_required
@require_GET
def record_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The nonconformity record as a printable PDF (nature, causes, actions, results, verification,
    signatures)."""
    nonconformity = _nonconformity(request, reference)
    response = HttpResponse(nonconformity_pdf(nonconformity=nonconformity), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{nonconformity.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def evidence_download(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The verification evidence file, always as a download under its own name."""
    nonconformity = _nonconformity(request, reference)
    if not nonconformity.verification_file:
        raise Http404
    try:
        handle = nonconformity.verification_file.open("rb")
    except OSError as error:
        raise Http404 from error
    name = (nonconformity.verification_file.name or "evidence").rsplit("/", 1)[-1]
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- figures ------------------------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[Any, Any, str, str]:
    """[from, to] dates of the query as aware datetimes [start, end); ("", "") when not given or not dates."""
    from django.utils.dateparse import parse_date

    first, last = request.GET.get("from", ""), request.GET.get("to", "")
    try:
        start_day = parse_date(first) if first else None
        end_day = parse_date(last) if last else None
    except ValueError:
        start_day = end_day = None
    zone = timezone.get_default_timezone()
    start = datetime.combine(start_day, time(0), tzinfo=zone) if start_day else None
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=zone) if end_day else None
    return start, end, (first if start_day else ""), (last if end_day else "")


@login_required
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    projects = org_selectors.filter_projects(user=user)
    code = request.GET.get("project", "")
    project = next((p for p in projects if p.code == code), None)
    start, end, first, last = _period(request)
    numbers = figures.nonconformity_figures(user=user, start=start, end=end, project=project)
    return render(
        request,
        "quality/figures.html",
        {
            "figures": numbers,
            "stages": [(Stage(stage).label, count) for stage, count in numbers.open_by_stage.items()],
            "recurrence_rows": [
                (CauseCategory(group.cause_category).label, group.area, group.count)
                for group in numbers.recurrence_groups
            ],
            "projects": projects,
            "project": project,
            "first": first,
            "last": last,
        },
    )
