"""Staff pages of survey campaigns (R-SV-1, R-SV-2, R-SV-6): the list (every staff member's menu page), a
new campaign, the campaign with its areas' return rates (live while it runs) and each step's form for who
may take it, the printed forms (附表一 as PDF), the repeating schedules, and the questionnaire catalogue.
Thin: a form in, the service, a redirect with a message, or the page again with the errors.

Campaign addresses use the reference (SV-QD-A-202611-01), matched by its "SV-" prefix so the other survey
pages (/surveys/mine/, /surveys/reports/ …) are never taken for a campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Mod, RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.common.text import filename_safe
from estatedesk.org import selectors as org_selectors
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Building, Company, Department, Project
from estatedesk.org.permissions import can, can_anywhere, projects_with
from estatedesk.surveys import campaigns as services
from estatedesk.surveys import catalogue, figures, forms_pdf, rates, selectors
from estatedesk.surveys.choices import CampaignStatus, Frequency, Runner
from estatedesk.surveys.forms import (
    CampaignFilterForm,
    CampaignForm,
    CountForm,
    ItemForm,
    QuestionnaireForm,
    ReasonForm,
    RouteForm,
    RulesForm,
    ScheduleForm,
    WaiverForm,
)
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    Questionnaire,
    ReportRoute,
    SurveyForm,
    SurveyItem,
    SurveySchedule,
)

PAGE_SIZE = 50
REFERENCE = r"(?P<reference>SV-[A-Za-z0-9-]{1,36})"


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "surveys.view"):
        raise PermissionDenied


def _campaign(request: HttpRequest, reference: str) -> Campaign:
    _require_view(request)
    return selectors.campaign_get_for_user(user=request.user, reference=reference)


def _runnable_projects(user: Any) -> list[Project]:
    allowed = projects_with(user, "surveys.run")
    rows = Project.objects.visible_to(user).filter(is_active=True).select_related("branch__company")
    if allowed is not None:
        rows = rows.filter(id__in=sorted(allowed))
    return list(rows.order_by("code"))


# --- the list ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Every staff member's menu page: the campaigns of their scope (none: an empty list), filtered by
    project, status and running department, with the forms returned of those handed out."""
    _require_view(request)
    user = request.user
    projects = org_selectors.filter_projects(user=user)
    form = CampaignFilterForm(request.GET or None, projects=projects)
    rows = (
        Campaign.objects.visible_to(user)
        .select_related("project", "department")
        .order_by("-period_start", "-id")
    )
    is_filtered = False
    if form.is_valid():
        data = form.cleaned_data
        if data["project"]:
            rows = rows.filter(project__code=data["project"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["runner"]:
            rows = rows.filter(runner=data["runner"])
        is_filtered = any(data.values())
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    selectors.campaign_form_counts(page.object_list)  # the page's campaigns only
    for campaign in page.object_list:
        rate = rates.return_rate(campaign.returned, campaign.handed_out)
        campaign.return_rate_text = rates.percent_text(rate)
    return render(
        request,
        "surveys/campaign_list.html",
        {
            "form": form,
            "page": page,
            "is_filtered": is_filtered,
            "can_run": can_anywhere(user, "surveys.run"),
        },
    )


# --- a new campaign or schedule ---------------------------------------------------------------------------


def _choose_project(request: HttpRequest) -> Project | HttpResponse:
    """The project of a new campaign or schedule: `?project=<code>`, the user's only one, or a choice."""
    projects = _runnable_projects(request.user)
    if not projects:
        raise PermissionDenied
    code = request.GET.get("project", "")
    if code:
        chosen = next((p for p in projects if p.code == code), None)
        if chosen is None:  # not theirs to run (or no such project): the same answer
            raise Http404
        return chosen
    if len(projects) == 1:
        return projects[0]
    return render(request, "surveys/campaign_choose_project.html", {"projects": projects})


def _survey_choices(project: Project) -> dict[str, Any]:
    company_id = project.branch.company_id
    catalogue.catalogue_ensure(company=project.branch.company)
    return {
        "departments": list(
            Department.objects.filter(company_id=company_id)
            .filter(
                Q(project=project)
                | Q(branch_id=project.branch_id, project__isnull=True)
                | Q(branch__isnull=True, project__isnull=True)
            )
            .order_by("project", "branch", "kind")
        ),
        "questionnaires": list(Questionnaire.objects.filter(company_id=company_id, is_active=True)),
        "areas": list(Building.objects.filter(project=project).order_by(*services.AREA_ORDER)),
    }


def _picked(choices: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The department, questionnaire and areas of the form's ids, from the choices it offered."""
    department = next((d for d in choices["departments"] if d.pk == data.get("department")), None)
    questionnaire = next(q for q in choices["questionnaires"] if q.pk == data["questionnaire"])
    areas = [a for a in choices["areas"] if a.pk in set(data.get("areas") or [])]
    return {"department": department, "questionnaire": questionnaire, "areas": areas}


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Make a campaign of a project's areas from a questionnaire (and open it at once, by default)."""
    _require_view(request)
    chosen = _choose_project(request)
    if isinstance(chosen, HttpResponse):
        return chosen
    project = chosen
    choices = _survey_choices(project)
    today = timezone.localdate()
    first = today.replace(day=1)
    initial = {
        "runner": Runner.CUSTOMER_SERVICE,
        "frequency": Frequency.MONTHLY,
        "period_start": first,
        "period_end": services.add_months(first, 1) - timedelta(days=1),
        "questionnaire": choices["questionnaires"][0].pk if choices["questionnaires"] else None,
        "open_now": True,
    }
    form = CampaignForm(request.POST or None, initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=request.user,
                data=services.CampaignData(
                    project=project,
                    runner=data["runner"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    frequency=data["frequency"],
                    title=data["title"],
                    one_answer_per_unit=data["one_answer_per_unit"],
                    double_entry_percent=data["double_entry_percent"],
                    **_picked(choices, data),
                ),
            )
            if data["open_now"]:
                services.campaign_open(actor=request.user, campaign=campaign)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Campaign %(reference)s made.") % {"reference": campaign.reference})
            return redirect("surveys:campaign_detail", campaign.reference)
    return render(
        request,
        "surveys/campaign_new.html",
        {"form": form, "project": project},
        status=400 if request.method == "POST" else 200,
    )


# --- one campaign -----------------------------------------------------------------------------------------


def _area_rows(campaign: Campaign) -> dict[str, Any]:
    """The areas' returns (figures.area_returns) with the forms made and not yet printed, for the table."""
    rules = figures.rules_for(campaign)
    returns = figures.area_returns(campaign, threshold=rules.return_rate_threshold)
    made = {
        row["pk"]: row
        for row in CampaignArea.objects.filter(campaign=campaign)
        .annotate(made=Count("forms"), unprinted=Count("forms", filter=Q(forms__printed_at__isnull=True)))
        .values("pk", "made", "unprinted")
    }
    size = forms_pdf.MAX_FORMS_PER_PDF
    starts: dict[int, list[int]] = {}  # per area, the first serial of each run of `size` forms (to print)
    if any(counts["made"] > size for counts in made.values()):
        firsts = (
            SurveyForm.objects.filter(campaign=campaign)
            .annotate(place=Window(RowNumber(), partition_by=[F("area_id")], order_by=F("serial").asc()))
            .annotate(offset=Mod(F("place") - 1, size))
            .filter(offset=0)
            .order_by("area_id", "serial")
            .values_list("area_id", "serial")
        )
        for area_id, serial in firsts:
            starts.setdefault(area_id, []).append(serial)
    rows = []
    for row in returns:
        counts = made.get(row.campaign_area_id, {"made": 0, "unprinted": 0})
        parts = [
            {"number": number, "first": forms_pdf.serial_text(serial)}
            for number, serial in enumerate(starts.get(row.campaign_area_id, [0]), start=1)
        ]
        rows.append(
            {
                "area": row,
                "rate": rates.percent_text(row.rate),
                "made": counts["made"],
                "unprinted": counts["unprinted"],
                "parts": parts,
            }
        )
    return {
        "rows": rows,
        "threshold": rules.return_rate_threshold,
        "blocking": [row for row in returns if row.blocks],
        "returns": returns,
    }


def _step_forms(
    request: HttpRequest, campaign: Campaign, returns: list[figures.AreaReturn]
) -> dict[str, Any]:
    """Each step's form, only for who may take it."""
    user = request.user
    project = campaign.project
    run = can(user, "surveys.run", project=project)
    waive = can(user, "surveys.waive", project=project)
    areas = list(campaign.areas.select_related("area", "waiver_by").order_by("position", "id"))
    forms: dict[str, Any] = {
        "areas": areas,
        "can_run": run,
        "can_waive": waive,
        "has_waivers": any(area.has_waiver for area in areas),
    }
    if run and campaign.status == CampaignStatus.DRAFT:
        forms["can_open"] = True
    if run and campaign.is_open:
        forms["make_form"] = CountForm(areas=areas, prefix="make")
        forms["cancel_form"] = ReasonForm(prefix="cancel")
    if run and campaign.status == CampaignStatus.RUNNING:
        forms["hand_out_form"] = CountForm(areas=areas, prefix="hand")
        forms["can_close"] = True
    if waive and campaign.is_open:
        unwaived = [area for area in areas if not area.has_waiver]
        below = {row.campaign_area_id for row in returns if not row.passes}
        if unwaived:
            # the areas below the threshold first: the ones a waiver is for
            unwaived.sort(key=lambda area: (area.pk not in below, area.position, area.pk))
            forms["waiver_form"] = WaiverForm(areas=unwaived, prefix="waiver")
        forms["withdrawable"] = [area for area in areas if area.has_waiver]
    return forms


def _render_detail(
    request: HttpRequest, campaign: Campaign, *, status: int = 200, **bound: Any
) -> HttpResponse:
    table = _area_rows(campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "items": list(campaign.items.order_by("position", "id")),
        **table,
        **_step_forms(request, campaign, table["returns"]),
        "can_enter": can(request.user, "surveys.enter", project=campaign.project),
        "poll": campaign.status == CampaignStatus.RUNNING,
    }
    context.update(bound)
    return render(request, "surveys/campaign_detail.html", context, status=status)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_detail(request, _campaign(request, reference))


@login_required
@require_GET
def campaign_returns(request: HttpRequest, reference: str) -> HttpResponse:
    """The areas' table alone (htmx, every 20 s while the campaign runs)."""
    campaign = _campaign(request, reference)
    context = {
        "campaign": campaign,
        **_area_rows(campaign),
        "poll": campaign.status == CampaignStatus.RUNNING,
    }
    context["can_run"] = can(request.user, "surveys.run", project=campaign.project)
    return render(request, "surveys/campaign_returns.html", context)


def _step(
    request: HttpRequest,
    reference: str,
    *,
    act: Callable[[Campaign, dict[str, Any]], str],
    form_class: Any = None,
    form_name: str = "",
    prefix: str = "",
    area_forms: bool = False,
) -> HttpResponse:
    """One step: the form (if any), the service, back to the campaign with a message (the form kept with its
    errors on a bad input; a refusal shown as a message)."""
    campaign = _campaign(request, reference)
    data: dict[str, Any] = {}
    form: Any = None
    if form_class is not None:
        kwargs: dict[str, Any] = {"prefix": prefix}
        if area_forms:
            kwargs["areas"] = list(campaign.areas.select_related("area").order_by("position", "id"))
        form = form_class(request.POST, **kwargs)
        if not form.is_valid():
            return _render_detail(request, campaign, status=400, **{form_name: form})
        data = form.cleaned_data
        if area_forms:
            data["area"] = next(a for a in kwargs["areas"] if a.pk == data["area"])
    try:
        done = act(campaign, data)
    except DomainError as error:
        if form is not None and error.fields and error.code != "surveys.below_return_rate":
            add_domain_error(form, error)  # beside the fields of the form that was sent
            return _render_detail(request, campaign, status=400, **{form_name: form})
        messages.error(request, str(error.message))
        return redirect("surveys:campaign_detail", campaign.reference)
    messages.success(request, done)
    return redirect("surveys:campaign_detail", campaign.reference)


@login_required
@require_POST
def campaign_open(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        services.campaign_open(actor=request.user, campaign=campaign)
        return _("The campaign is running: hand out the forms.")

    return _step(request, reference, act=act)


@login_required
@require_POST
def forms_make(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        made = services.forms_make(
            actor=request.user, campaign=campaign, area=data["area"], count=data["count"]
        )
        return _("%(count)s forms made for %(area)s (No. %(first)s–%(last)s): print them.") % {
            "count": len(made),
            "area": data["area"].area.name,
            "first": forms_pdf.serial_text(made[0].serial),
            "last": forms_pdf.serial_text(made[-1].serial),
        }

    return _step(
        request,
        reference,
        act=act,
        form_class=CountForm,
        form_name="make_form",
        prefix="make",
        area_forms=True,
    )


@login_required
@require_POST
def forms_hand_out(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        count = services.forms_hand_out(
            actor=request.user, campaign=campaign, area=data["area"], count=data["count"]
        )
        return _("%(count)s more forms handed out in %(area)s.") % {
            "count": count,
            "area": data["area"].area.name,
        }

    return _step(
        request,
        reference,
        act=act,
        form_class=CountForm,
        form_name="hand_out_form",
        prefix="hand",
        area_forms=True,
    )


@login_required
@require_POST
def area_waive(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        services.area_waive(actor=request.user, area=data["area"], reason=data["reason"])
        return _("Waiver recorded for %(area)s.") % {"area": data["area"].area.name}

    return _step(
        request,
        reference,
        act=act,
        form_class=WaiverForm,
        form_name="waiver_form",
        prefix="waiver",
        area_forms=True,
    )


@login_required
@require_POST
def waiver_withdraw(request: HttpRequest, reference: str, area_id: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        area = CampaignArea.objects.select_related("area").filter(campaign=campaign, pk=int(area_id)).first()
        if area is None:
            raise Http404
        services.area_waiver_withdraw(actor=request.user, area=area)
        return _("Waiver withdrawn for %(area)s.") % {"area": area.area.name}

    return _step(request, reference, act=act)


@login_required
@require_POST
def campaign_close(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        services.campaign_close(actor=request.user, campaign=campaign)
        return _("The campaign is closed.")

    return _step(request, reference, act=act)


@login_required
@require_POST
def campaign_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    def act(campaign: Campaign, data: dict[str, Any]) -> str:
        services.campaign_cancel(actor=request.user, campaign=campaign, reason=data["reason"])
        return _("The campaign is cancelled.")

    return _step(request, reference, act=act, form_class=ReasonForm, form_name="cancel_form", prefix="cancel")


@login_required
@require_GET
def forms_pdf_view(request: HttpRequest, reference: str) -> HttpResponse:
    """附表一 for the forms of one area (R-SV-6), a page each: `?area=<campaign area id>`, and `unprinted=1`
    for the forms not printed yet or `part=N` for the Nth run of `MAX_FORMS_PER_PDF` in serial order (all
    of them when they are fewer)."""
    campaign = _campaign(request, reference)
    if not can(request.user, "surveys.run", project=campaign.project):
        raise PermissionDenied
    area_id = request.GET.get("area", "")
    area = (
        CampaignArea.objects.select_related("area").filter(campaign=campaign, pk=int(area_id)).first()
        if area_id.isdigit()
        else None
    )
    if area is None:
        raise Http404
    rows = SurveyForm.objects.filter(area=area).order_by("serial")
    size = forms_pdf.MAX_FORMS_PER_PDF
    if request.GET.get("unprinted"):
        rows = rows.filter(printed_at__isnull=True)
        part = 1
    else:
        part_text = request.GET.get("part", "1")
        part = int(part_text) if part_text.isdigit() and int(part_text) >= 1 else 1
    forms = list(rows[(part - 1) * size : part * size])
    if not forms:
        messages.error(
            request, _("No forms to print for %(area)s: make them first.") % {"area": area.area.name}
        )
        return redirect("surveys:campaign_detail", campaign.reference)
    pdf = forms_pdf.forms_pdf(
        campaign=campaign, area=area, forms=forms, base=forms_pdf.base_url(request.build_absolute_uri("/"))
    )
    name = filename_safe(
        f"{campaign.reference}-{area.area.name}-{forms_pdf.serial_text(forms[0].serial)}.pdf",
        fallback="forms.pdf",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name, safe='')}"
    response["Cache-Control"] = "private, no-store"
    return response


# --- schedules ------------------------------------------------------------------------------------------


@login_required
@require_GET
def schedule_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    rows = list(
        SurveySchedule.objects.visible_to(user)
        .select_related("project__branch", "questionnaire", "department")
        .annotate(area_count=Count("areas"), campaign_count=Count("campaigns", distinct=True))
        .order_by("project__code", "next_period_start", "id")
    )
    return render(
        request,
        "surveys/schedule_list.html",
        {
            "schedules": [(row, can(user, "surveys.run", project=row.project)) for row in rows],
            "can_run": can_anywhere(user, "surveys.run"),
        },
    )


@login_required
def schedule_new(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    chosen = _choose_project(request)
    if isinstance(chosen, HttpResponse):
        return chosen
    project = chosen
    choices = _survey_choices(project)
    initial = {
        "runner": Runner.CUSTOMER_SERVICE,
        "frequency": Frequency.MONTHLY,
        "next_period_start": services.add_months(timezone.localdate().replace(day=1), 1),
        "questionnaire": choices["questionnaires"][0].pk if choices["questionnaires"] else None,
    }
    form = ScheduleForm(request.POST or None, initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_create(
                actor=request.user,
                data=services.ScheduleData(
                    project=project,
                    runner=data["runner"],
                    frequency=data["frequency"],
                    next_period_start=data["next_period_start"],
                    one_answer_per_unit=data["one_answer_per_unit"],
                    double_entry_percent=data["double_entry_percent"],
                    **_picked(choices, data),
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Schedule made: each period's campaign will be opened on its first day.")
            )
            return redirect("surveys:schedule_list")
    return render(
        request,
        "surveys/schedule_new.html",
        {"form": form, "project": project},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def schedule_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    schedule = get_for_user_or_404(SurveySchedule.objects.select_related("project"), user=request.user, pk=pk)
    active = request.POST.get("is_active") == "1"
    services.schedule_set_active(actor=request.user, schedule=schedule, is_active=active)
    messages.success(request, _("Schedule started again.") if active else _("Schedule stopped."))
    return redirect("surveys:schedule_list")


# --- the catalogue ------------------------------------------------------------------------------------------


def _company(request: HttpRequest) -> Company:
    """The company whose catalogue is shown: the user's (`?company=<code>` when they see several)."""
    _require_view(request)
    companies = list(Company.objects.visible_to(request.user).order_by("code"))
    code = request.GET.get("company", "") or request.POST.get("company", "")
    chosen = next((c for c in companies if c.code == code), companies[0] if companies else None)
    if chosen is None:
        raise PermissionDenied
    return chosen


def _render_catalogue(
    request: HttpRequest,
    company: Company,
    *,
    status: int = 200,
    bound_item: tuple[int, ItemForm] | None = None,
    bound_route: tuple[int, RouteForm] | None = None,
    **bound: Any,
) -> HttpResponse:
    catalogue.catalogue_ensure(company=company)
    editable = catalogue.may_edit(request.user, company)
    items = list(SurveyItem.objects.filter(company=company).order_by("position", "id"))
    questionnaires = list(
        Questionnaire.objects.filter(company=company).prefetch_related("entries__item").order_by("name", "id")
    )
    routes = list(ReportRoute.objects.filter(company=company).order_by("runner"))
    rules = figures.rules_for_company(company.pk)
    context: dict[str, Any] = {
        "company": company,
        "companies": list(Company.objects.visible_to(request.user).order_by("code")),
        "editable": editable,
        "items": items,
        "questionnaires": questionnaires,
        "routes": routes,
        "rules": rules,
    }
    item_forms: dict[int, Any] = {}
    route_forms: dict[int, Any] = {}
    if editable:
        item_forms = {item.pk: ItemForm.for_item(item) for item in items}
        route_forms = {
            route.pk: RouteForm(
                initial={"reviewer_roles": route.reviewer_roles, "audience": route.audience},
                prefix=f"route{route.pk}",
            )
            for route in routes
        }
        if bound_item is not None:
            item_forms[bound_item[0]] = bound_item[1]
        if bound_route is not None:
            route_forms[bound_route[0]] = bound_route[1]
        context.update(
            new_item_form=ItemForm(prefix="new"),
            rules_form=RulesForm(instance=rules, prefix="rules"),
        )
    roles = dict(Role.choices)
    departments = dict(DepartmentKind.choices)
    context.update(
        item_rows=[
            (item, departments.get(item.department_kind, ""), item_forms.get(item.pk)) for item in items
        ],
        route_rows=[
            (route, [str(roles.get(role, role)) for role in route.reviewer_roles], route_forms.get(route.pk))
            for route in routes
        ],
    )
    context.update(bound)
    return render(request, "surveys/catalogue.html", context, status=status)


def _require_catalogue(request: HttpRequest, company: Company) -> None:
    if not catalogue.may_edit(request.user, company):
        raise PermissionDenied


@login_required
@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    """The items, questionnaires, rules and report routes: HQ edits them, other staff read them."""
    return _render_catalogue(request, _company(request))


def _back_to_catalogue(company: Company) -> HttpResponse:
    return redirect(f"{reverse('surveys:catalogue')}?company={company.code}")


@login_required
@require_POST
def catalogue_item_save(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = _company(request)
    _require_catalogue(request, company)
    item = get_for_company(SurveyItem, company, pk) if pk is not None else None
    form = ItemForm(request.POST, prefix=f"item{pk}" if pk is not None else "new")
    if form.is_valid():
        try:
            saved = catalogue.survey_item_save(
                actor=request.user, company=company, item=item, data=catalogue.ItemData(**form.cleaned_data)
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Item %(name)s saved.") % {"name": saved.name})
            return _back_to_catalogue(company)
    if item is None:
        return _render_catalogue(request, company, status=400, new_item_form=form)
    return _render_catalogue(request, company, status=400, bound_item=(item.pk, form))


def get_for_company[T: (SurveyItem, Questionnaire, ReportRoute)](
    model: type[T], company: Company, pk: int
) -> T:
    row = model.objects.filter(company=company, pk=pk).first()
    if row is None:
        raise Http404
    return row


@login_required
def questionnaire_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A questionnaire's own page: its name, kind, greeting in both languages and its items in order."""
    company = _company(request)
    catalogue.catalogue_ensure(company=company)
    editable = catalogue.may_edit(request.user, company)
    questionnaire = get_for_company(Questionnaire, company, pk) if pk is not None else None
    if questionnaire is None and not editable:
        raise PermissionDenied
    if request.method == "POST" and not editable:
        raise PermissionDenied
    items = list(SurveyItem.objects.filter(company=company).order_by("position", "id"))
    initial: dict[str, Any] = {"kind": "feedback_form", "is_active": True}
    if questionnaire is not None:
        initial = {
            name: getattr(questionnaire, name)
            for name in ("name", "kind", "greeting", "greeting_en", "is_active")
        }
        for entry in questionnaire.entries.all():
            initial[f"item_{entry.item_id}"] = entry.position
    else:
        initial.update(greeting=catalogue.GREETING, greeting_en=catalogue.GREETING_EN)
    form = QuestionnaireForm(request.POST or None, initial=initial, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = catalogue.questionnaire_save(
                actor=request.user,
                company=company,
                questionnaire=questionnaire,
                data=catalogue.QuestionnaireData(
                    name=data["name"],
                    kind=data["kind"],
                    greeting=data["greeting"],
                    greeting_en=data["greeting_en"],
                    is_active=data["is_active"],
                    items=form.chosen_items(),
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Questionnaire %(name)s saved.") % {"name": saved.name})
            return _back_to_catalogue(company)
    return render(
        request,
        "surveys/catalogue_questionnaire.html",
        {"form": form, "questionnaire": questionnaire, "company": company, "editable": editable},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def catalogue_rules_save(request: HttpRequest) -> HttpResponse:
    company = _company(request)
    _require_catalogue(request, company)
    rules = figures.rules_for_company(company.pk)
    form = RulesForm(request.POST, instance=rules, prefix="rules")
    if form.is_valid():
        try:
            catalogue.survey_rules_update(
                actor=request.user,
                company=company,
                values={name: form.cleaned_data[name] for name in form.fields},
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Survey rules saved."))
            return _back_to_catalogue(company)
    return _render_catalogue(request, company, status=400, rules_form=form)


@login_required
@require_POST
def catalogue_route_save(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(request)
    _require_catalogue(request, company)
    route = get_for_company(ReportRoute, company, pk)
    form = RouteForm(request.POST, prefix=f"route{route.pk}")
    if form.is_valid():
        try:
            catalogue.report_route_update(actor=request.user, route=route, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Report route saved."))
            return _back_to_catalogue(company)
    return _render_catalogue(request, company, status=400, bound_route=(route.pk, form))


urlpatterns: list[URLPattern] = [
    path("", campaign_list, name="campaign_list"),
    path("new/", campaign_new, name="campaign_new"),
    path("schedules/", schedule_list, name="schedule_list"),
    path("schedules/new/", schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/active/", schedule_active, name="schedule_active"),
    path("catalogue/", catalogue_page, name="catalogue"),
    path("catalogue/items/", catalogue_item_save, name="catalogue_item_new"),
    path("catalogue/items/<int:pk>/", catalogue_item_save, name="catalogue_item"),
    path("catalogue/questionnaires/new/", questionnaire_edit, name="questionnaire_new"),
    path("catalogue/questionnaires/<int:pk>/", questionnaire_edit, name="questionnaire_edit"),
    path("catalogue/rules/", catalogue_rules_save, name="catalogue_rules"),
    path("catalogue/routes/<int:pk>/", catalogue_route_save, name="catalogue_route"),
    re_path(rf"^{REFERENCE}/$", campaign_detail, name="campaign_detail"),
    re_path(rf"^{REFERENCE}/returns/$", campaign_returns, name="campaign_returns"),
    re_path(rf"^{REFERENCE}/forms\.pdf$", forms_pdf_view, name="forms_pdf"),
    re_path(rf"^{REFERENCE}/open/$", campaign_open, name="campaign_open"),
    re_path(rf"^{REFERENCE}/forms/make/$", forms_make, name="forms_make"),
    re_path(rf"^{REFERENCE}/hand-out/$", forms_hand_out, name="forms_hand_out"),
    re_path(rf"^{REFERENCE}/waiver/$", area_waive, name="area_waive"),
    re_path(
        rf"^{REFERENCE}/waiver/(?P<area_id>[0-9]{{1,12}})/withdraw/$", waiver_withdraw, name="waiver_withdraw"
    ),
    re_path(rf"^{REFERENCE}/close/$", campaign_close, name="campaign_close"),
    re_path(rf"^{REFERENCE}/cancel/$", campaign_cancel, name="campaign_cancel"),
]
