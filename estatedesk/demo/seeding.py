"""Demo data: one company, two branches, three projects, and one account for every role.

Idempotent: every object is found by its natural key first, so a second run adds nothing. Names and
phone numbers are generated; they belong to no real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from estatedesk.demo.analytics_seeding import seed_analytics
from estatedesk.demo.client_visit_seeding import seed_client_visits
from estatedesk.demo.feedback_seeding import seed_feedback
from estatedesk.demo.quality_seeding import seed_quality
from estatedesk.demo.reporting_seeding import seed_reporting
from estatedesk.demo.survey_seeding import seed_surveys
from estatedesk.demo.visit_seeding import seed_visits
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import BuildingKind, DepartmentKind, Role, ScopeLevel, UnitStatus
from estatedesk.org.models import (
    Branch,
    Building,
    Company,
    Department,
    Membership,
    Project,
    Unit,
    WorkingCalendar,
)
from estatedesk.org.services import company_seed_defaults
from estatedesk.owners.choices import Relation
from estatedesk.owners.contacts import name_initials, name_pinyin
from estatedesk.owners.models import CompletenessSnapshot, Occupancy, Resident, ResidentPhone
from estatedesk.owners.selectors import completeness_by_project

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - published demo password, printed by make demo


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str  # a Role value, or "owner"
    level: str  # company / branch / project
    node: str  # branch or project code ("" for the company)
    department: str = ""
    description: str = ""


ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "sysadmin",
        "系统管理员",
        Role.SYSTEM_ADMIN,
        ScopeLevel.COMPANY,
        "",
        "",
        "System administrator, Django admin",
    ),
    DemoAccount(
        "gm",
        "王总经理",
        Role.GENERAL_MANAGER,
        ScopeLevel.COMPANY,
        "",
        DepartmentKind.GENERAL_MANAGEMENT,
        "General manager 总经理",
    ),
    DemoAccount(
        "leader",
        "李分管领导",
        Role.LEADER,
        ScopeLevel.COMPANY,
        "",
        DepartmentKind.GENERAL_MANAGEMENT,
        "Leader in charge 分管领导",
    ),
    DemoAccount(
        "hq",
        "赵物业管理部",
        Role.HQ_PROPERTY,
        ScopeLevel.COMPANY,
        "",
        DepartmentKind.HQ_PROPERTY,
        "HQ property management dept 物业管理部",
    ),
    DemoAccount(
        "hqdocadmin",
        "何文件管理员",
        Role.DOC_ADMIN,
        ScopeLevel.COMPANY,
        "",
        DepartmentKind.HQ_PROPERTY,
        "Document administrator 文件管理员 of HQ 物业管理部: registers and forwards formal documents",
    ),
    DemoAccount(
        "admindept",
        "钱行政部",
        Role.ADMIN_DEPT,
        ScopeLevel.COMPANY,
        "",
        DepartmentKind.ADMIN,
        "Admin department 行政部",
    ),
    DemoAccount(
        "branchmgr",
        "孙分公司经理",
        Role.BRANCH_MANAGER,
        ScopeLevel.BRANCH,
        "QD",
        "",
        "Branch manager, 青岛分公司",
    ),
    DemoAccount(
        "qamgr",
        "周品质部经理",
        Role.QA_MANAGER,
        ScopeLevel.BRANCH,
        "QD",
        DepartmentKind.QUALITY,
        "QA manager 品质部经理, 青岛分公司",
    ),
    DemoAccount(
        "qastaff",
        "吴品质专员",
        Role.QA_STAFF,
        ScopeLevel.BRANCH,
        "QD",
        DepartmentKind.QUALITY,
        "QA staff 品质部, 青岛分公司",
    ),
    DemoAccount(
        "docadmin",
        "郑文件管理员",
        Role.DOC_ADMIN,
        ScopeLevel.BRANCH,
        "QD",
        DepartmentKind.ADMIN,
        "Document administrator 文件管理员, 青岛分公司: submits the branch's reports to HQ",
    ),
    DemoAccount(
        "pm_a",
        "冯项目经理",
        Role.PROJECT_MANAGER,
        ScopeLevel.PROJECT,
        "QD-HJ",
        "",
        "Project manager 项目经理, 海景花园 (project A)",
    ),
    DemoAccount(
        "supervisor_a",
        "陈客服主管",
        Role.CS_SUPERVISOR,
        ScopeLevel.PROJECT,
        "QD-HJ",
        DepartmentKind.CUSTOMER_SERVICE,
        "CS supervisor 客服主管, project A",
    ),
    DemoAccount(
        "agent_a",
        "褚客服专员",
        Role.CS_AGENT,
        ScopeLevel.PROJECT,
        "QD-HJ",
        DepartmentKind.CUSTOMER_SERVICE,
        "CS agent 客服专员, project A",
    ),
    DemoAccount(
        "engineer_a",
        "卫工程主管",
        Role.DEPT_SUPERVISOR,
        ScopeLevel.PROJECT,
        "QD-HJ",
        DepartmentKind.ENGINEERING,
        "Department supervisor 工作主管 (engineering), project A",
    ),
    DemoAccount(
        "executor_a",
        "蒋维修工",
        Role.EXECUTOR,
        ScopeLevel.PROJECT,
        "QD-HJ",
        DepartmentKind.ENGINEERING,
        "Executor 执行人 (engineering), project A",
    ),
    DemoAccount(
        "visitor_a",
        "秦回访专员",
        Role.CS_AGENT,
        ScopeLevel.PROJECT,
        "QD-HJ",
        DepartmentKind.CUSTOMER_SERVICE,
        "Return visitor 回访专员, project A (did not handle the demo items, so may visit their customers)",
    ),
    DemoAccount(
        "owner_a", "沈业主", "owner", ScopeLevel.PROJECT, "QD-HJ", "", "Owner 业主 of unit 1-1-101, project A"
    ),
    DemoAccount(
        "outsider",
        "韩外部主管",
        Role.CS_SUPERVISOR,
        ScopeLevel.PROJECT,
        "JN-QC",
        DepartmentKind.CUSTOMER_SERVICE,
        "CS supervisor of another branch: sees nothing of 青岛",
    ),
]


def demo_logins() -> list[str]:
    """The demo logins as `seed_demo` and `make demo` print them: the password, then one line an account."""
    return [
        f"demo logins (password {DEMO_PASSWORD}):",
        *(f"  {account.username:<14} {account.description}" for account in ACCOUNTS),
    ]


BRANCHES = [("QD", "青岛分公司", "青岛"), ("JN", "济南分公司", "济南")]
PROJECTS = [
    # code, branch, name, address, hotline 1, hotline 2, mailbox
    (
        "QD-HJ",
        "QD",
        "海景花园",
        "青岛市市南区海景路 8 号",
        "0532-8000 1001",
        "0532-8000 1002",
        "complaints-hj@estatedesk.invalid",
    ),
    (
        "QD-LX",
        "QD",
        "绿溪苑",
        "青岛市崂山区绿溪路 18 号",
        "0532-8000 2001",
        "0532-8000 2002",
        "complaints-lx@estatedesk.invalid",
    ),
    (
        "JN-QC",
        "JN",
        "泉城公馆",
        "济南市历下区泉城路 66 号",
        "0531-8000 3001",
        "0531-8000 3002",
        "complaints-qc@estatedesk.invalid",
    ),
]
PROJECT_DEPARTMENTS = [
    (DepartmentKind.CUSTOMER_SERVICE, "客服部"),
    (DepartmentKind.ENGINEERING, "工程部"),
    (DepartmentKind.ORDER, "秩序维护部"),
    (DepartmentKind.CLEANING, "保洁部"),
    (DepartmentKind.GREENING, "绿化部"),
]
BRANCH_DEPARTMENTS = [(DepartmentKind.QUALITY, "品质部"), (DepartmentKind.ADMIN, "行政部")]
COMPANY_DEPARTMENTS = [
    (DepartmentKind.HQ_PROPERTY, "物业管理部"),
    (DepartmentKind.GENERAL_MANAGEMENT, "总经理办公室"),
    (DepartmentKind.QUALITY, "品质部"),
    (DepartmentKind.ADMIN, "行政部"),
]
COMMON_AREAS = [("G1", "中心花园"), ("P1", "地下车库"), ("M1", "南门岗亭")]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰红梅志文海燕鹏飞晓东"


def _company() -> Company:
    company, _ = Company.objects.get_or_create(code="AJ", defaults={"name": "安居物业管理有限公司"})
    company_seed_defaults(company=company)
    return company


def _org(company: Company) -> dict[str, Project]:
    calendars = {c.code: c for c in WorkingCalendar.objects.filter(company=company)}
    for kind, name in COMPANY_DEPARTMENTS:
        Department.objects.get_or_create(
            company=company, branch=None, project=None, kind=kind, defaults={"name": name}
        )
    branches = {}
    for code, name, city in BRANCHES:
        branch, _ = Branch.objects.get_or_create(
            code=code, defaults={"company": company, "name": name, "city": city}
        )
        branches[code] = branch
        for kind, dept_name in BRANCH_DEPARTMENTS:
            Department.objects.get_or_create(
                company=company,
                branch=branch,
                project=None,
                kind=kind,
                defaults={"name": f"{name}{dept_name}"},
            )
    projects = {}
    for code, branch_code, name, address, hotline_1, hotline_2, mailbox in PROJECTS:
        project, _ = Project.objects.get_or_create(
            code=code,
            defaults={
                "branch": branches[branch_code],
                "name": name,
                "address": address,
                "hotline_1": hotline_1,
                "hotline_2": hotline_2,
                "complaint_email": mailbox,
                "service_calendar": calendars["CS-CENTRE"],
                "hotline_calendar": calendars["HOTLINE-24H"],
            },
        )
        projects[code] = project
        for kind, dept_name in PROJECT_DEPARTMENTS:
            Department.objects.get_or_create(
                company=company,
                branch=None,
                project=project,
                kind=kind,
                defaults={"name": f"{name}{dept_name}"},
            )
        _buildings_and_units(project)
    return projects


def _buildings_and_units(project: Project) -> None:
    """8 buildings × 2 entrances × 11 floors × 2 doors = 352 units, plus three common areas."""
    if project.buildings.exists():
        return
    buildings = [
        Building(project=project, code=str(number), name=f"{number}号楼", kind=BuildingKind.BUILDING)
        for number in range(1, 9)
    ] + [
        Building(project=project, code=code, name=name, kind=BuildingKind.AREA) for code, name in COMMON_AREAS
    ]
    Building.objects.bulk_create(buildings)
    rng = random.Random(f"units-{project.code}")  # noqa: S311 - demo data, not security
    units = []
    for building in Building.objects.filter(project=project, kind=BuildingKind.BUILDING):
        for entrance in (1, 2):
            for floor in range(1, 12):
                for door in (1, 2):
                    number = f"{floor}{door:02d}"
                    units.append(
                        Unit(
                            project=project,
                            building=building,
                            entrance=str(entrance),
                            floor=floor,
                            number=number,
                            label=f"{building.code}-{entrance}-{number}",
                            floor_area=Decimal(rng.choice([89, 96, 118, 135, 142])),
                            handover_on=date(
                                2019 + rng.randrange(3), 1 + rng.randrange(12), 1 + rng.randrange(28)
                            ),
                        )
                    )
    Unit.objects.bulk_create(units)


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    phone = (
        "1"
        + rng.choice(["38", "39", "58", "86", "89", "77"])
        + "".join(str(rng.randrange(10)) for _ in range(8))
    )
    return name, phone


def _residents(project: Project) -> None:
    """Most units occupied by an owner (some rented out), many with household members; a realistic share
    of incomplete records: no phone, an unreachable phone, no move-in date. Deterministic per project."""
    if Occupancy.objects.filter(unit__project=project).exists():
        return
    rng = random.Random(project.code)  # noqa: S311 - demo data, not security
    units = list(Unit.objects.filter(project=project).order_by("label"))
    plan: list[tuple[Unit, str, str, str, date | None]] = []  # unit, name, phone, relation, moved in
    for unit in units:
        draw = rng.random()
        if draw < 0.12:
            unit.status = UnitStatus.VACANT
            continue
        unit.status = UnitStatus.DECORATING if draw < 0.16 else UnitStatus.OCCUPIED
        moved_in = (
            None
            if rng.random() < 0.1
            else date(2020 + rng.randrange(6), 1 + rng.randrange(12), 1 + rng.randrange(28))
        )
        name, phone = _person(rng)
        if rng.random() < 0.07:
            phone = ""  # nobody ever wrote it down
        plan.append((unit, name, phone, Relation.OWNER, moved_in))
        if rng.random() < 0.12:
            plan.append((unit, *_person(rng), Relation.TENANT, moved_in))
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            plan.append((unit, *_person(rng), Relation.MEMBER, moved_in))
    Unit.objects.bulk_update(units, ["status"])
    residents = Resident.objects.bulk_create(
        [
            Resident(name=name, name_initials=name_initials(name), name_pinyin=name_pinyin(name))
            for _, name, _, _, _ in plan
        ]
    )
    ResidentPhone.objects.bulk_create(
        [
            ResidentPhone(resident=resident, number=phone, last4=phone[-4:], is_mobile=True)
            for resident, (_, _, phone, _, _) in zip(residents, plan, strict=True)
            if phone
        ]
    )
    Occupancy.objects.bulk_create(
        [
            Occupancy(resident=resident, unit=unit, relation=relation, started_on=moved_in)
            for resident, (unit, _, _, relation, moved_in) in zip(residents, plan, strict=True)
        ]
    )


def _completeness_history(projects: list[Project]) -> None:
    """Twelve weeks of archive-completeness snapshots, climbing towards today's figure (the daily job
    writes the real ones from now on)."""
    if CompletenessSnapshot.objects.filter(project__in=projects).exists():
        return
    today = timezone.localdate()
    figures = completeness_by_project(project_ids=[p.pk for p in projects])
    rows = []
    for project in projects:
        figure = figures[project.pk]
        for weeks_ago in range(12, -1, -1):
            missing_then = figure.missing_units + weeks_ago * max(1, figure.occupied_units // 60)
            rows.append(
                CompletenessSnapshot(
                    project=project,
                    day=today - timedelta(weeks=weeks_ago),
                    occupied_units=figure.occupied_units,
                    complete_units=max(0, figure.occupied_units - missing_then),
                )
            )
    CompletenessSnapshot.objects.bulk_create(rows)


def _accounts(company: Company, projects: dict[str, Project]) -> None:
    User = get_user_model()
    for account in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={"display_name": account.display_name, "is_staff": account.role == Role.SYSTEM_ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if account.role == Role.SYSTEM_ADMIN:
                user.is_superuser = True
            user.save()
        if account.role == "owner":
            unit = Unit.objects.get(project=projects[account.node], label="1-1-101")
            resident, created = Resident.objects.get_or_create(
                user=user,
                defaults={
                    "name": account.display_name,
                    "name_initials": name_initials(account.display_name),
                    "name_pinyin": name_pinyin(account.display_name),
                },
            )
            if created:
                ResidentPhone.objects.create(resident=resident, number="13800001234", last4="1234")
                resident.email = "owner_a@estatedesk.invalid"
                resident.save(update_fields=["email"])
            Occupancy.objects.filter(unit=unit, ended_on__isnull=True).exclude(resident=resident).update(
                ended_on=date(2024, 12, 31)
            )
            Occupancy.objects.get_or_create(
                resident=resident,
                unit=unit,
                relation=Relation.OWNER,
                ended_on=None,
                defaults={"started_on": date(2021, 5, 1)},
            )
            continue
        branch = Branch.objects.get(code=account.node) if account.level == ScopeLevel.BRANCH else None
        project = projects[account.node] if account.level == ScopeLevel.PROJECT else None
        department = None
        if account.department:
            department = Department.objects.filter(
                company=company, branch=branch, project=project, kind=account.department
            ).first()
        Membership.objects.get_or_create(
            user=user,
            role=account.role,
            level=account.level,
            company=company,
            branch=branch,
            project=project,
            defaults={"department": department},
        )


def _mark_read_since(since: int) -> None:
    Notification.objects.filter(id__gt=since, read_at__isnull=True).exclude(
        group_key__startswith="/feedback/"
    ).update(read_at=timezone.now())


@transaction.atomic
def seed_demo(*, feedback: bool = True) -> dict[str, int]:
    """Everything `make demo` shows. Browser tests that need only the organisation and the accounts pass
    `feedback=False` (the feedback history takes most of the seconds)."""
    company = _company()
    projects = _org(company)
    for project in projects.values():
        _residents(project)
    _completeness_history(list(projects.values()))
    _accounts(company, projects)
    if feedback:
        since = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
        seed_feedback()  # the owners' C ratings in it already arrange separate visits and nonconformities
        # return visits of last month's customers, client visits, nonconformities (issue 12)
        seed_visits(company=company, now=timezone.now())
        seed_client_visits()
        seed_quality()
        seed_surveys()  # last month's campaign closed and reported, this month's running (issue 13)
        seed_reporting()  # a year of reports to HQ, emergencies, the newsletter, documents (issue 14)
        seed_analytics(company=company)  # last month's packs, a regenerated one, alert rules and alerts (15)
        # the work these made waits in the home pages' queues; what they told people on the way is read,
        # now and once the seed commits (some services tell people only then: transaction.on_commit)
        _mark_read_since(since)
        transaction.on_commit(lambda: _mark_read_since(since))
    return {
        "projects": Project.objects.count(),
        "units": Unit.objects.count(),
        "residents": Resident.objects.count(),
        "accounts": get_user_model().objects.count(),
    }
