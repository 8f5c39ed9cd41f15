"""Reads of the organisation, all scoped through `visible_to(user)`."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from estatedesk.common.models import AuditEntry
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.common.workcalendar import Calendar
from estatedesk.org.choices import DayKind
from estatedesk.org.models import (
    Branch,
    Building,
    Department,
    Membership,
    Project,
    PublicHoliday,
    Unit,
    WorkingCalendar,
)


def project_list(*, user: Any) -> QuerySet[Project]:
    return (
        Project.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("branch", "service_calendar", "hotline_calendar")
        .annotate(
            building_count=Count("buildings", filter=Q(buildings__kind="building"), distinct=True),
            unit_count=Count("units", distinct=True),
        )
        .order_by("branch__code", "code")
    )


def project_get_for_user(*, user: Any, code: str) -> Project:
    return get_for_user_or_404(
        Project.objects.select_related("branch__company", "service_calendar", "hotline_calendar"),
        user=user,
        code=code,
    )


def branch_list(*, user: Any) -> QuerySet[Branch]:
    return Branch.objects.visible_to(user).annotate(project_count=Count("projects", distinct=True))


def building_list(*, user: Any, project: Project) -> QuerySet[Building]:
    return (
        Building.objects.visible_to(user)
        .filter(project=project)
        .annotate(unit_count=Count("units"))
        .order_by("kind", "code")
    )


def department_list(*, user: Any, project: Project | None = None) -> QuerySet[Department]:
    queryset = Department.objects.visible_to(user).select_related("branch", "project")
    if project is not None:
        queryset = queryset.filter(Q(project=project) | Q(branch=project.branch_id, project__isnull=True))
    return queryset


def membership_list(*, user: Any, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.visible_to(user)
        .filter(Q(project=project) | Q(branch=project.branch_id), is_active=True)
        .select_related("user", "department", "branch", "project")
        .order_by("role", "user__username")
    )


def unit_list(*, user: Any) -> QuerySet[Unit]:
    return Unit.objects.visible_to(user).select_related("building", "project")


def calendar_list(*, user: Any) -> QuerySet[WorkingCalendar]:
    return WorkingCalendar.objects.visible_to(user).order_by("kind", "code")


def holiday_list(*, user: Any, year: int) -> QuerySet[PublicHoliday]:
    return PublicHoliday.objects.visible_to(user).filter(day__year=year).order_by("day")


def audit_list(*, user: Any, limit: int = 200) -> QuerySet[AuditEntry]:
    """Global managers read the whole trail; project and branch managers the rows of their projects."""
    scope = scope_for(user)
    queryset = AuditEntry.objects.select_related("actor")
    if not scope.is_global:
        queryset = queryset.filter(project_id__in=sorted(scope.project_ids))
    return queryset[:limit]


def calendar_for(calendar: WorkingCalendar) -> Calendar:
    """The pure-arithmetic view of a stored calendar, with the company's holidays."""
    holidays: set[date] = set()
    makeups: set[date] = set()
    if calendar.observes_public_holidays:
        for day, kind in PublicHoliday.objects.filter(company_id=calendar.company_id).values_list(
            "day", "kind"
        ):
            (holidays if kind == DayKind.HOLIDAY else makeups).add(day)
    return Calendar(
        tz=ZoneInfo(settings.TIME_ZONE),
        is_24_hours=calendar.is_24_hours,
        opens=calendar.opens_at,
        closes=calendar.closes_at,
        weekdays=frozenset(int(ch) - 1 for ch in calendar.working_weekdays),
        observes_public_holidays=calendar.observes_public_holidays,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeups),
    )


def memberships_at(*, project: Project, roles: set[str] | frozenset[str]) -> QuerySet[Membership]:
    """Active memberships with one of `roles` that apply at `project`: on the project itself, on its
    branch, or company-wide. The one definition of "who holds a role at a project"."""
    return Membership.objects.filter(
        Q(project=project)
        | Q(branch_id=project.branch_id, project__isnull=True)
        | Q(branch__isnull=True, project__isnull=True),
        role__in=roles,
        is_active=True,
        user__is_active=True,
        company_id=project.branch.company_id,
    )
