"""Organisation pages. Thin: validated input → service → page; reads come from selectors."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estatedesk.common.audit import audit_entries_for_viewer
from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.navigation import home_sections_for, nav_items_for
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.org import selectors, services
from estatedesk.org.choices import Role
from estatedesk.org.forms import HolidayForm, ProjectContactsForm, WorkingCalendarForm
from estatedesk.org.models import Company, PublicHoliday, WorkingCalendar
from estatedesk.org.permissions import can, can_anywhere, require


def _staff_only(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "org.view"):
        raise PermissionDenied


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.is_staff_member:
        # An owner's home is the first page their menu offers: the owners app registers the portal there
        # (org, below owners in the layer order, does not name its pages).
        menu = nav_items_for(request.user)
        if scope.is_owner and menu:
            return redirect(menu[0].url_name)
        return render(request, "org/no_access.html", status=403)
    # the work queues of the user's roles come first (issue 11: registered by the feedback app)
    sections = home_sections_for(request)
    projects = list(selectors.project_list(user=request.user)[:200])
    return render(
        request,
        "org/home.html",
        {
            "sections": sections,
            "projects": projects,
            "scope": scope,
            "roles": sorted(Role(role).label for role in scope.all_roles),
            "today": timezone.localdate(),
        },
    )


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    return render(request, "org/project_list.html", {"projects": selectors.project_list(user=request.user)})


@login_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    _staff_only(request)
    project = selectors.project_get_for_user(user=request.user, code=code)
    can_edit = can(request.user, "org.calendar.manage", project=project)
    form = ProjectContactsForm(instance=project)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ProjectContactsForm(
            request.POST, instance=selectors.project_get_for_user(user=request.user, code=code)
        )
        if form.is_valid():
            try:
                services.project_contacts_update(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Contacts saved."))
                return redirect("org:project_detail", code=project.code)
    members = (
        selectors.membership_list(user=request.user, project=project)
        if can(request.user, "org.members.view", project=project)
        else None
    )
    return render(
        request,
        "org/project_detail.html",
        {
            "project": project,
            "buildings": selectors.building_list(user=request.user, project=project),
            "departments": selectors.department_list(user=request.user, project=project),
            "members": members,
            "form": form,
            "can_edit": can_edit,
        },
    )


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    year = _year(request)
    return render(
        request,
        "org/calendar_list.html",
        {
            "calendars": selectors.calendar_list(user=request.user),
            "holidays": selectors.holiday_list(user=request.user, year=year),
            "year": year,
            "years": [year - 1, year, year + 1],
            "holiday_form": HolidayForm(),
            "can_edit": can(request.user, "org.calendar.manage"),
        },
    )


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "org.calendar.manage")
    calendar = get_for_user_or_404(WorkingCalendar.objects, user=request.user, pk=pk)
    form = WorkingCalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        fresh = get_for_user_or_404(WorkingCalendar.objects, user=request.user, pk=pk)
        try:
            services.working_calendar_update(actor=request.user, calendar=fresh, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Working hours saved."))
            return redirect("org:calendar_list")
    return render(request, "org/calendar_edit.html", {"calendar": calendar, "form": form})


@login_required
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    require(request.user, "org.calendar.manage")
    form = HolidayForm(request.POST)
    company = Company.objects.visible_to(request.user).order_by("id").first()
    year = timezone.localdate().year
    if company is None:
        messages.error(request, _("No company is set up yet."))
    elif form.is_valid():
        try:
            services.public_holiday_set(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Saved."))
        year = form.cleaned_data["day"].year
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    return redirect(f"{_calendar_url()}?year={year}")


@login_required
@require_POST
def holiday_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "org.calendar.manage")
    holiday = get_for_user_or_404(PublicHoliday.objects, user=request.user, pk=pk)
    year: int = holiday.day.year if isinstance(holiday.day, date) else timezone.localdate().year
    services.public_holiday_remove(actor=request.user, holiday=holiday)
    messages.success(request, _("Removed."))
    return redirect(f"{_calendar_url()}?year={year}")


def _calendar_url() -> str:
    return reverse("org:calendar_list")


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, "audit.view"):
        raise PermissionDenied
    # phones and ID numbers in the rows are masked for this viewer (common.audit, owners.privacy; ADR 0007)
    entries = audit_entries_for_viewer(viewer=request.user, entries=selectors.audit_list(user=request.user))
    return render(request, "org/audit_trail.html", {"entries": entries})
