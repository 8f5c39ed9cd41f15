"""Query guards of the organisation's list pages, list APIs and admin lists (issue 5, item 7): each makes
as many queries with many rows as with a few (estatedesk.common.testing.assert_queries_do_not_grow).

The world's three projects, their buildings, departments and members are the few rows; each test adds
ROWS more, spread over new branches, projects, calendars, departments and users."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from estatedesk.common.models import AuditEntry
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.org.choices import BuildingKind, CalendarKind, DayKind, DepartmentKind, Role, ScopeLevel
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

ROWS = 20
YEAR = 2030  # no seeded holidays: the test's own are the only ones


def api_for(user):
    client = APIClient()
    client.force_login(user)  # a session, so each request loads the user and its scope afresh
    return client


def add_projects(world, count: int = ROWS) -> list[Project]:
    """`count` projects, each in a branch of its own with its own calendars, a customer-service
    department at the branch and at the project, a building and two units."""
    projects = []
    for n in range(count):
        branch = Branch.objects.create(
            company=world.company, code=f"GB-{n:02d}", name=f"Guard branch {n:02d}", city=f"City {n:02d}"
        )
        service = WorkingCalendar.objects.create(
            company=world.company,
            code=f"GS-{n:02d}",
            name=f"Guard service hours {n:02d}",
            kind=CalendarKind.SERVICE_CENTRE,
            opens_at=time(7, n),
        )
        hotline = WorkingCalendar.objects.create(
            company=world.company,
            code=f"GH-{n:02d}",
            name=f"Guard hotline hours {n:02d}",
            kind=CalendarKind.HOTLINE,
            is_24_hours=True,
        )
        project = Project.objects.create(
            branch=branch,
            code=f"GP-{n:02d}",
            name=f"Guard project {n:02d}",
            hotline_1=f"0532-9000-{n:04d}",
            service_calendar=service,
            hotline_calendar=hotline,
        )
        for node in ({"branch": branch}, {"project": project}):
            Department.objects.create(
                company=world.company,
                kind=DepartmentKind.CUSTOMER_SERVICE,
                name=f"Guard department {n:02d} of {next(iter(node))}",
                **node,
            )
        building = Building.objects.create(project=project, code="1", name=f"Guard building {n:02d}")
        for number in ("101", "102"):
            Unit.objects.create(
                project=project,
                building=building,
                entrance="1",
                floor=1,
                number=number,
                label=f"G{n:02d}-1-{number}",
            )
        projects.append(project)
    return projects


def add_buildings(project: Project, count: int = ROWS) -> list[Building]:
    """Buildings and common areas of `project`, every other one with a unit."""
    buildings = []
    for n in range(count):
        building = Building.objects.create(
            project=project,
            code=f"GB{n:02d}",
            name=f"Guard building {n:02d}",
            kind=BuildingKind.AREA if n % 3 == 0 else BuildingKind.BUILDING,
        )
        if n % 2:
            Unit.objects.create(
                project=project,
                building=building,
                entrance="1",
                floor=n,
                number="01",
                label=f"GB{n:02d}-1-01",
            )
        buildings.append(building)
    return buildings


def add_members(world, project: Project, count: int = ROWS) -> list[str]:
    """Users with a role at `project` or at its branch, some in a department of their own; their names."""
    names = []
    for n in range(count):
        user = get_user_model().objects.create_user(username=f"guard_user_{n:02d}", display_name="")
        at_branch = n % 2 == 0
        department = None
        if n % 3 == 0:
            department = Department.objects.create(
                company=world.company,
                kind=DepartmentKind.ENGINEERING,
                name=f"Guard crew {n:02d}",
                project=Project.objects.create(
                    branch=project.branch, code=f"GD-{n:02d}", name=f"Guard site {n:02d}"
                ),
            )
        Membership.objects.create(
            user=user,
            role=Role.EXECUTOR if n % 2 else Role.CS_AGENT,
            level=ScopeLevel.BRANCH if at_branch else ScopeLevel.PROJECT,
            company=world.company,
            branch=project.branch if at_branch else None,
            project=None if at_branch else project,
            department=department,
        )
        names.append(user.username)
    return names


# --- pages ------------------------------------------------------------------------------------------------


def test_home_projects_queries_do_not_grow_with_rows(world, login):
    assert_queries_do_not_grow(
        login(world.hq),
        reverse("home"),
        lambda: [f'data-project-code="{p.code}"' for p in add_projects(world)],
        # 9 for the page and its projects; 2 for the survey reports to review and read (issue 13), 2 for HQ's
        # reporting queues: reports to review, open class-1 events (issue 14)
        ceiling=13,
    )


def test_project_list_queries_do_not_grow_with_rows(world, login):
    assert_queries_do_not_grow(
        login(world.hq),
        reverse("org:project_list"),
        lambda: [f'data-project-code="{p.code}"' for p in add_projects(world)],
        ceiling=9,
    )


def test_project_detail_buildings_departments_members_queries_do_not_grow_with_rows(world, login):
    project = world.project_a
    Membership.objects.filter(user=world.agent_a).update(
        department=Department.objects.get(project=project, kind=DepartmentKind.CUSTOMER_SERVICE)
    )
    Department.objects.create(
        company=world.company, branch=project.branch, kind=DepartmentKind.QUALITY, name="QA of branch A"
    )

    def add_rows():
        buildings = add_buildings(project)
        departments = [
            Department.objects.create(
                company=world.company, project=project, kind=kind, name=f"Guard {kind} department"
            ).name
            for kind in DepartmentKind.values
            if kind != DepartmentKind.CUSTOMER_SERVICE
        ]
        return [b.name for b in buildings] + departments + add_members(world, project)

    assert_queries_do_not_grow(
        login(world.hq), reverse("org:project_detail", args=[project.code]), add_rows, ceiling=12
    )


def test_calendar_list_queries_do_not_grow_with_rows(world, login):
    for day in (1, 2):
        PublicHoliday.objects.create(
            company=world.company, day=date(YEAR, 1, day), kind=DayKind.HOLIDAY, name=f"New year {day}"
        )

    def add_rows():
        markers = []
        for n in range(ROWS):
            calendar = WorkingCalendar.objects.create(
                company=world.company,
                code=f"GC-{n:02d}",
                name=f"Guard calendar {n:02d}",
                kind=CalendarKind.OFFICE,
                observes_public_holidays=bool(n % 2),
            )
            holiday = PublicHoliday.objects.create(
                company=world.company,
                day=date(YEAR, 3, n + 1),
                kind=DayKind.MAKEUP_WORKDAY if n % 2 else DayKind.HOLIDAY,
                name=f"Guard day {n:02d}",
            )
            markers += [calendar.name, holiday.name]
        return markers

    assert_queries_do_not_grow(
        login(world.hq), f"{reverse('org:calendar_list')}?year={YEAR}", add_rows, ceiling=10
    )


def _audit(world, n: int, actor) -> str:
    entry = AuditEntry.objects.create(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        object_type="org.project",
        object_id=str(world.project_a.pk),
        object_repr=f"Guard change {n:02d}",
        changes={"name": [f"old {n}", f"new {n}"]},
        project_id=world.project_a.pk,
    )
    return entry.object_repr


def test_audit_trail_queries_do_not_grow_with_rows(world, login):
    _audit(world, 90, world.hq)
    _audit(world, 91, None)
    actors = [world.hq, world.pm_a, world.agent_a, world.branch_manager, None]
    assert_queries_do_not_grow(
        login(world.pm_a),
        reverse("org:audit_trail"),
        lambda: [_audit(world, n, actors[n % len(actors)]) for n in range(ROWS)],
        ceiling=9,
    )


# --- API --------------------------------------------------------------------------------------------------


def test_branch_list_api_queries_do_not_grow_with_rows(world):
    assert_queries_do_not_grow(
        api_for(world.hq),
        "/api/org/branches/",
        lambda: [f'"{p.branch.code}"' for p in add_projects(world)],
        ceiling=9,
    )


def test_project_list_api_queries_do_not_grow_with_rows(world):
    assert_queries_do_not_grow(
        api_for(world.hq),
        "/api/org/projects/",
        lambda: [f'"{p.code}"' for p in add_projects(world)],
        ceiling=9,
    )


def test_building_list_api_queries_do_not_grow_with_rows(world):
    assert_queries_do_not_grow(
        api_for(world.hq),
        f"/api/org/projects/{world.project_a.code}/buildings/",
        lambda: [f'"{b.name}"' for b in add_buildings(world.project_a)],
        ceiling=10,
    )


def test_unit_list_api_queries_do_not_grow_with_rows(world):
    assert_queries_do_not_grow(
        api_for(world.hq),
        "/api/org/units/",
        lambda: [f'"G{n:02d}-1-101"' for n, _ in enumerate(add_projects(world))],
        ceiling=9,
    )


def test_department_list_api_queries_do_not_grow_with_rows(world):
    def add_rows():
        add_projects(world)
        return [f"Guard department {n:02d} of {node}" for n in range(ROWS) for node in ("branch", "project")]

    assert_queries_do_not_grow(api_for(world.hq), "/api/org/departments/?page_size=200", add_rows, ceiling=9)


def test_calendar_list_api_queries_do_not_grow_with_rows(world):
    assert_queries_do_not_grow(
        api_for(world.hq),
        "/api/org/calendars/?page_size=200",
        lambda: [f'"{p.service_calendar.code}"' for p in add_projects(world)],
        ceiling=9,
    )


def test_holiday_list_api_queries_do_not_grow_with_rows(world):
    for day in (1, 2):
        PublicHoliday.objects.create(
            company=world.company, day=date(YEAR, 1, day), kind=DayKind.HOLIDAY, name=f"New year {day}"
        )

    def add_rows():
        return [
            PublicHoliday.objects.create(
                company=world.company,
                day=date(YEAR, 5, n + 1),
                kind=DayKind.HOLIDAY,
                name=f"Guard day {n:02d}",
            ).name
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(api_for(world.hq), f"/api/org/holidays/?year={YEAR}", add_rows, ceiling=9)


# --- the admin's lists ------------------------------------------------------------------------------------


ADMIN_LISTS = {
    "branch": lambda project: project.branch.name,
    "project": lambda project: project.name,
    "building": lambda project: f"Guard building {project.code[-2:]}",
    "unit": lambda project: f"G{project.code[-2:]}-1-101",
    "department": lambda project: f"Guard department {project.code[-2:]} of project",
    "workingcalendar": lambda project: project.service_calendar.name,
}


@pytest.mark.parametrize("model", sorted(ADMIN_LISTS))
def test_admin_org_list_queries_do_not_grow_with_rows(world, login, model):
    assert_queries_do_not_grow(
        login(world.sysadmin),
        reverse(f"admin:org_{model}_changelist"),
        lambda: [ADMIN_LISTS[model](project) for project in add_projects(world)],
        ceiling=12,
    )


def test_admin_membership_list_queries_do_not_grow_with_rows(world, login):
    assert_queries_do_not_grow(
        login(world.sysadmin),
        reverse("admin:org_membership_changelist"),
        lambda: add_members(world, world.project_a),
        ceiling=12,
    )


def test_admin_public_holiday_list_queries_do_not_grow_with_rows(world, login):
    def add_rows():
        return [
            PublicHoliday.objects.create(
                company=world.company,
                day=date(YEAR, 5, n + 1),
                kind=DayKind.HOLIDAY,
                name=f"Guard day {n:02d}",
            ).name
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(
        login(world.sysadmin), reverse("admin:org_publicholiday_changelist"), add_rows, ceiling=13
    )
