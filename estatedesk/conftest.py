"""Personas shared by every test (../shared/STYLE.md):

- agent_a, supervisor_a, pm_a: customer-service agent, CS supervisor and project manager of project A;
- branch_manager: manager of branch A (projects A and A2);
- hq: HQ property management department, company-wide;
- owner_a: resident of unit 1-1-101 of project A;
- outsider: CS supervisor of project B in another branch, who must see and change nothing of A.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from estatedesk.org.choices import BuildingKind, DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Branch, Building, Company, Department, Membership, Project, Unit
from estatedesk.org.services import company_seed_defaults
from estatedesk.owners.choices import Relation
from estatedesk.owners.contacts import name_initials, name_pinyin
from estatedesk.owners.models import Occupancy, Resident, ResidentPhone

PASSWORD = "persona-pass-2026"  # noqa: S105 - test personas only


@dataclass
class World:
    company: Company
    branch_a: Branch
    branch_b: Branch
    project_a: Project
    project_a2: Project
    project_b: Project
    unit_a: Unit
    unit_a_neighbour: Unit
    unit_b: Unit
    users: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def _project(branch: Branch, code: str, name: str, calendars: dict[str, Any]) -> Project:
    project = Project.objects.create(
        branch=branch,
        code=code,
        name=name,
        hotline_1=f"0532-{code[-1]}000-0001",
        hotline_2=f"0532-{code[-1]}000-0002",
        complaint_email=f"{code.lower()}@complaints.invalid",
        service_calendar=calendars["CS-CENTRE"],
        hotline_calendar=calendars["HOTLINE-24H"],
    )
    Department.objects.create(
        company=branch.company, project=project, kind=DepartmentKind.CUSTOMER_SERVICE, name=f"{name}客服部"
    )
    return project


def _unit(project: Project, building: Building, label: str) -> Unit:
    entrance, number = label.split("-")[1:]
    return Unit.objects.create(
        project=project,
        building=building,
        entrance=entrance,
        floor=int(number[:-2]),
        number=number,
        label=label,
    )


def _resident(name: str, phone: str, **extra: Any) -> Resident:
    resident = Resident.objects.create(
        name=name, name_initials=name_initials(name), name_pinyin=name_pinyin(name), **extra
    )
    ResidentPhone.objects.create(resident=resident, number=phone, last4=phone[-4:])
    return resident


def _user(django_user_model: Any, username: str, **extra: Any) -> Any:
    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, display_name=username, **extra
    )
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever the test before it asked for: a request by a
    user who prefers English leaves English active in the thread (the locale middleware does not switch
    back), and background work and mail made later in the same test process would follow it."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def world(db: Any, django_user_model: Any) -> World:
    company = Company.objects.create(code="AJ", name="安居物业")
    company_seed_defaults(company=company)
    calendars = {c.code: c for c in company.calendars.all()}
    branch_a = Branch.objects.create(company=company, code="QD", name="青岛分公司")
    branch_b = Branch.objects.create(company=company, code="JN", name="济南分公司")
    project_a = _project(branch_a, "QD-A", "海景花园", calendars)
    project_a2 = _project(branch_a, "QD-B", "绿溪苑", calendars)
    project_b = _project(branch_b, "JN-C", "泉城公馆", calendars)
    building_a = Building.objects.create(
        project=project_a, code="1", name="1号楼", kind=BuildingKind.BUILDING
    )
    Building.objects.create(project=project_a, code="G1", name="中心花园", kind=BuildingKind.AREA)
    building_b = Building.objects.create(
        project=project_b, code="1", name="1号楼", kind=BuildingKind.BUILDING
    )
    unit_a = _unit(project_a, building_a, "1-1-101")
    unit_a_neighbour = _unit(project_a, building_a, "1-1-102")
    unit_b = _unit(project_b, building_b, "1-1-101")

    users: dict[str, Any] = {}

    def member(
        username: str, role: str, *, branch: Branch | None = None, project: Project | None = None
    ) -> None:
        users[username] = _user(django_user_model, username)
        level = ScopeLevel.PROJECT if project else ScopeLevel.BRANCH if branch else ScopeLevel.COMPANY
        Membership.objects.create(
            user=users[username], role=role, level=level, company=company, branch=branch, project=project
        )

    member("agent_a", Role.CS_AGENT, project=project_a)
    member("supervisor_a", Role.CS_SUPERVISOR, project=project_a)
    member("pm_a", Role.PROJECT_MANAGER, project=project_a)
    member("branch_manager", Role.BRANCH_MANAGER, branch=branch_a)
    member("hq", Role.HQ_PROPERTY)
    member("outsider", Role.CS_SUPERVISOR, project=project_b)
    users["owner_a"] = _user(django_user_model, "owner_a")
    owner = _resident("沈业主", "13800001234", user=users["owner_a"])
    Occupancy.objects.create(
        resident=owner, unit=unit_a, relation=Relation.OWNER, started_on=date(2021, 5, 1)
    )
    neighbour = _resident("邻居", "13900005678")
    Occupancy.objects.create(resident=neighbour, unit=unit_a_neighbour, relation=Relation.OWNER)
    stranger = _resident("外人", "13700009999")
    Occupancy.objects.create(resident=stranger, unit=unit_b, relation=Relation.OWNER)
    users["nobody"] = _user(django_user_model, "nobody")
    users["sysadmin"] = django_user_model.objects.create_superuser(username="sysadmin", password=PASSWORD)
    return World(
        company, branch_a, branch_b, project_a, project_a2, project_b, unit_a, unit_a_neighbour, unit_b, users
    )


@pytest.fixture
def login(client: Client) -> Any:
    """login(user) -> a Django test client signed in as that user (a fresh client per call)."""

    def _login(user: Any) -> Client:
        new_client = Client()
        new_client.force_login(user)
        return new_client

    return _login
