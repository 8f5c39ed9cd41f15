"""Reads of the organisation, all scoped through `visible_to(user)`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from estatedesk.common.models import AuditEntry
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.common.workcalendar import Calendar
from estatedesk.org.choices import DayKind, Role
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
from estatedesk.org.permissions import projects_with


def project_list(*, user: Any) -> QuerySet[Project]:
    return (
        Project.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("branch", "service_calendar", "hotline_calendar")
        .annotate(building_count=_count_of(Building, kind="building"), unit_count=_count_of(Unit))
        .order_by("branch__code", "code")
    )


def _count_of(model: Any, **conditions: Any) -> Coalesce:
    """The project's rows of `model`, counted in a subquery each: counting buildings and units through two
    joins multiplied them (every building by every unit: 48 ms for one project of 2,000 units on each
    visit of a home page)."""
    rows = model.objects.filter(project=OuterRef("pk"), **conditions).order_by().values("project")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


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


# --- pickers of the forms: projects, buildings and people a user may choose ----------------------------

MANY_PROJECTS = 5  # beyond this, pickers of people and buildings wait for a chosen project


def filter_projects(*, user: Any) -> list[Project]:
    return list(Project.objects.visible_to(user).filter(is_active=True).order_by("code"))


class PickedProject(NamedTuple):
    """A project as a list's picker names it: no model instance (HQ's picker lists 200 projects)."""

    pk: int
    code: str
    name: str


# {(database, the scope's projects, the project table's stamp): the picker}: a scope's projects are the same
# on every page it opens (ADR 0020, third round); a few hundred scopes at most (a company's users share
# them), cut back when there are more
_PICKERS: dict[tuple[Any, ...], tuple[PickedProject, ...]] = {}
_PICKERS_KEPT = 512
# what changes when a project is added, deleted, renamed or (de)activated through save() (every service
# writes projects so: auto_now sets updated_at); one indexless read of a table of a few hundred rows
_PROJECTS_STAMP = "SELECT count(*), max(id), max(updated_at) FROM org_project"


def project_picker(*, user: Any) -> list[PickedProject]:
    """`filter_projects` as (pk, code, name): the list page's picker, its QR sheets and the building and
    assignee pickers need no more, and 200 model instances cost more than the page's rows. Kept per scope
    while the project table's stamp is unchanged (the memberships that make the scope are read afresh
    for each request, so a user who loses a project stops seeing it at once)."""
    scope = scope_for(user)
    if scope.user_id is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PROJECTS_STAMP)
        stamp = tuple(cursor.fetchone())
    key = (connection.alias, scope.is_global, scope.project_ids, scope.owner_project_ids, stamp)
    picked = _PICKERS.get(key)
    if picked is None:
        rows = Project.objects.visible_to(user).filter(is_active=True).order_by("code")
        picked = tuple(PickedProject(*row) for row in rows.values_list("pk", "code", "name"))
        if len(_PICKERS) >= _PICKERS_KEPT:
            _PICKERS.clear()
        _PICKERS[key] = picked
    return list(picked)


def filter_buildings(
    *, user: Any, projects: Sequence[Project | PickedProject], project_code: str = ""
) -> list[Building]:
    """The buildings and common areas of the chosen project; with none chosen, of the user's only project
    (a company-wide user chooses a project first: every building of 200 projects helps nobody).
    `projects`: the projects of the list's filter (`filter_projects`)."""
    if not project_code and len(projects) != 1:
        return []
    queryset = Building.objects.visible_to(user).select_related("project").order_by("project__code", "code")
    if project_code:
        return list(queryset.filter(project__code=project_code)[:300])
    return list(queryset.filter(project_id=projects[0].pk)[:300])


def filter_assignees(*, projects: Sequence[Project | PickedProject], project_code: str = "") -> list[Any]:
    """Staff who can be an item's supervisor or executor: at the chosen project, or at the user's projects
    when they are a few (a company-wide user chooses a project first). `projects`: as for buildings."""
    project_ids = [p.pk for p in projects if not project_code or p.code == project_code]
    if len(project_ids) > MANY_PROJECTS:
        return []
    user_ids = Membership.objects.filter(
        is_active=True,
        project_id__in=project_ids,
        role__in=[Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR, Role.EXECUTOR, Role.PROJECT_MANAGER],
    ).values("user_id")
    return list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .order_by("display_name", "username")[:300]
    )


def registrable_projects(*, user: Any) -> list[Project]:
    """Active projects where the user may register feedback (feedback.register)."""
    allowed = projects_with(user, "feedback.register")
    queryset = Project.objects.visible_to(user).filter(is_active=True).select_related("branch")
    if allowed is not None:
        queryset = queryset.filter(id__in=sorted(allowed))
    return list(queryset.order_by("code"))


def registration_buildings(*, projects: list[Project]) -> list[Building]:
    return list(
        Building.objects.filter(project__in=projects)
        .select_related("project")
        .order_by("project", "kind", "code")
    )


def unit_by_label(*, project: Project, label: str) -> Unit | None:
    return Unit.objects.filter(project=project, label=label.strip()).select_related("building").first()


def project_people(*, project: Project, roles: frozenset[str]) -> list[tuple[int, str]]:
    """Active users holding one of `roles` at the project (or its branch, or company-wide), the people a
    step may assign the item to, as (user id, "name · roles") choices."""
    rows = (
        memberships_at(project=project, roles=roles)
        .order_by("user__display_name", "user__username", "role")
        .values_list(
            "user_id", "user__display_name", "user__first_name", "user__last_name", "user__username", "role"
        )
    )
    labels = dict(Role.choices)
    people: dict[int, tuple[str, list[str]]] = {}
    for pk, display_name, first_name, last_name, username, role in rows:
        # as User.__str__ says it, without building a User per row (the step forms ask on every item page)
        name = display_name or f"{first_name} {last_name}".strip() or username
        people.setdefault(pk, (name, []))[1].append(str(labels.get(role, role)))
    return [(pk, f"{name} · {', '.join(roles)}") for pk, (name, roles) in people.items()]


def project_staff(*, project: Project, roles: set[str]) -> list[Any]:
    """Active users holding one of `roles` at the project, its branch or the whole company."""
    user_ids = memberships_at(project=project, roles=roles).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True))
