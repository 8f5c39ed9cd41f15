"""Query guards of the owner archive's list pages, list APIs, export, owner portal and admin lists (issue 5,
item 7): each makes as many queries with many rows as with a few
(estatedesk.common.testing.assert_queries_do_not_grow).

The world's residents of project A are the few rows; each test adds ROWS more, spread over new buildings
and units of projects A and A2, as owners, tenants and household members, with one or two phones."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from estatedesk.common.models import AuditEntry
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.org.choices import UnitStatus
from estatedesk.org.models import Branch, Building, Project, Unit
from estatedesk.owners.choices import ChangeRequestStatus, ImportStatus, Relation
from estatedesk.owners.models import (
    CompletenessSnapshot,
    ContactChangeRequest,
    ImportBatch,
    Occupancy,
    Resident,
    ResidentPhone,
)

ROWS = 20
RELATIONS = [Relation.OWNER, Relation.TENANT, Relation.MEMBER]
SHARED_LAST4 = "7777"  # what a hotline agent types: the last four digits many callers share


def api_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def new_unit(project: Project, label: str, *, building: Building | None = None) -> Unit:
    """A unit `label` ("GB1-2-301") of `project`, in a building of its own unless one is given."""
    code, entrance, number = label.split("-")
    if building is None:
        building, _ = Building.objects.get_or_create(
            project=project, code=code, defaults={"name": f"Guard building {code}"}
        )
    return Unit.objects.create(
        project=project,
        building=building,
        entrance=entrance,
        floor=int(number[:-2]),
        number=number,
        label=label,
        status=UnitStatus.OCCUPIED,
    )


def new_resident(name: str, *phones: str, user=None) -> Resident:
    resident = Resident.objects.create(name=name, name_initials="gr", user=user)
    for position, number in enumerate(phones):
        ResidentPhone.objects.create(resident=resident, number=number, last4=number[-4:], position=position)
    return resident


def add_residents(world, count: int = ROWS, *, first: int = 0) -> list[Resident]:
    """`count` residents, each in a new unit of project A (three buildings), every fourth also in a unit of
    project A2; owners, tenants and household members with one or two phones ending in SHARED_LAST4;
    some with a move-in date."""
    residents = []
    for n in range(first, first + count):
        phones = [f"136{n:04d}{SHARED_LAST4}"] + ([f"135{n:04d}{n:04d}"] if n % 2 else [])
        resident = new_resident(f"Guard resident {n:02d}", *phones)
        units = [new_unit(world.project_a, f"GB{n % 3}-2-{n + 1}01")]
        if n % 4 == 0:
            units.append(new_unit(world.project_a2, f"GA{n % 2}-1-{n + 1}01"))
        for unit in units:
            Occupancy.objects.create(
                resident=resident,
                unit=unit,
                relation=RELATIONS[n % 3],
                started_on=date(2024, 1, 1) + timedelta(days=n) if n % 2 else None,
            )
        residents.append(resident)
    return residents


def names(residents: list[Resident]) -> list[str]:
    return [resident.name for resident in residents]


@pytest.fixture
def archive(world):
    """Project A's units occupied, and two residents (in A and A2) whose phones end in SHARED_LAST4."""
    Unit.objects.filter(project=world.project_a).update(status=UnitStatus.OCCUPIED)
    add_residents(world, 2, first=90)
    return world


# --- the staff archive ------------------------------------------------------------------------------------


def test_archive_home_projects_queries_do_not_grow_with_rows(archive, login):
    def add_rows():
        codes = []
        for n in range(ROWS):
            branch = Branch.objects.create(company=archive.company, code=f"GB-{n:02d}", name=f"Branch {n}")
            project = Project.objects.create(branch=branch, code=f"GP-{n:02d}", name=f"Guard project {n:02d}")
            building = Building.objects.create(project=project, code="1", name="1")
            for number in range(1 + n % 3):
                Unit.objects.create(
                    project=project,
                    building=building,
                    floor=1,
                    number=f"10{number}",
                    label=f"1-1-10{number}",
                    status=UnitStatus.OCCUPIED,
                )
            codes.append(f'data-project-code="{project.code}"')
        return codes

    assert_queries_do_not_grow(login(archive.hq), reverse("owners:archive_home"), add_rows, ceiling=11)


def test_project_archive_residents_queries_do_not_grow_with_rows(archive, login):
    assert_queries_do_not_grow(
        login(archive.agent_a),
        reverse("owners:project_archive", args=["QD-A"]),
        lambda: names(add_residents(archive)),
        ceiling=15,
    )


def test_project_archive_search_queries_do_not_grow_with_rows(archive, login):
    assert_queries_do_not_grow(
        login(archive.agent_a),
        reverse("owners:project_archive", args=["QD-A"]) + f"?q={SHARED_LAST4}",
        lambda: names(add_residents(archive)),
        ceiling=15,
    )


def test_project_archive_htmx_rows_queries_do_not_grow_with_rows(archive, login):
    """The rows the search box swaps in as one types (htmx)."""
    client = login(archive.agent_a)
    client.defaults.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="resident-rows")
    url = reverse("owners:project_archive", args=["QD-A"]) + "?q=Guard+resident"
    assert_queries_do_not_grow(client, url, lambda: names(add_residents(archive)), ceiling=15)
    assert "<html" not in client.get(url).content.decode()  # the rows alone, not the page


def test_completeness_gaps_queries_do_not_grow_with_rows(archive, login):
    def add_rows():
        labels = []
        for n in range(ROWS):
            unit = new_unit(archive.project_a, f"GG{n % 3}-1-{n + 1}01")
            if n % 3:  # an owner without a phone, or without a move-in date; else no owner at all
                resident = new_resident(f"Incomplete {n:02d}", *([] if n % 3 == 1 else [f"1370000{n:04d}"]))
                Occupancy.objects.create(resident=resident, unit=unit, relation=Relation.OWNER)
            labels.append(f'<td class="nowrap">{unit.label}</td>')
        return labels

    assert_queries_do_not_grow(
        login(archive.supervisor_a),
        reverse("owners:project_archive", args=["QD-A"]) + "?gaps=1",
        add_rows,
        ceiling=16,
    )


def test_lookup_queries_do_not_grow_with_rows(archive, login):
    # two callers on file share the last four digits; fifteen more do then (the lookup shows at most 20)
    assert_queries_do_not_grow(
        login(archive.branch_manager),
        reverse("owners:lookup") + f"?q={SHARED_LAST4}",
        lambda: names(add_residents(archive, 15)),
        ceiling=12,
    )


def test_change_request_list_queries_do_not_grow_with_rows(archive, login):
    def request(resident: Resident, n: int) -> str:
        ContactChangeRequest.objects.create(
            resident=resident, requested={"phones": [f"1390000{n:04d}", "13800001111"], "email": f"g{n}@x.cn"}
        )
        return f"g{n}@x.cn"

    for n, resident in enumerate(Resident.objects.filter(name__startswith="Guard resident")):
        request(resident, 90 + n)
    assert_queries_do_not_grow(
        login(archive.agent_a),
        reverse("owners:change_request_list"),
        lambda: [request(resident, n) for n, resident in enumerate(add_residents(archive))],
        ceiling=10,
    )


def test_resident_detail_household_and_history_queries_do_not_grow_with_rows(archive, login):
    owner = Resident.objects.get(user=archive.owner_a)
    actors = [archive.agent_a, archive.supervisor_a, archive.pm_a, None]

    def history(n: int) -> str:
        AuditEntry.objects.create(
            actor=actors[n % len(actors)],
            action=AuditEntry.Action.UPDATE,
            object_type="owners.resident",
            object_id=str(owner.pk),
            object_repr=owner.name,
            changes={"email": [f"old{n}@x.cn", f"new{n}@x.cn"]},
        )
        return f"new{n}@x.cn"

    Occupancy.objects.create(
        resident=new_resident("Guard spouse", "13600009999"), unit=archive.unit_a, relation=Relation.MEMBER
    )
    history(90)

    def add_rows():
        markers = []
        for n in range(ROWS // 4):  # four more units of the owner, four people living in each
            unit = new_unit(archive.project_a if n % 2 else archive.project_a2, f"GH{n}-1-{n + 1}01")
            Occupancy.objects.create(resident=owner, unit=unit, relation=Relation.OWNER)
            markers.append(unit.label)
            for m in range(4):
                member = new_resident(f"Guard household {n}{m}", f"1360001{n}{m}00")
                Occupancy.objects.create(resident=member, unit=unit, relation=RELATIONS[m % 3])
                markers.append(member.name)
        return markers + [history(n) for n in range(ROWS)]

    # the branch manager sees the household in both projects
    assert_queries_do_not_grow(
        login(archive.branch_manager),
        reverse("owners:resident_detail", args=[owner.pk]),
        add_rows,
        ceiling=14,
    )


def test_import_batches_queries_do_not_grow_with_rows(archive, login):
    users = [archive.supervisor_a, archive.pm_a, None]

    def batch(n: int) -> str:
        return ImportBatch.objects.create(
            project=archive.project_a,
            created_by=users[n % len(users)],
            file=f"owner-imports/guard-{n:02d}.xlsx",
            filename=f"guard-{n:02d}.xlsx",
            sha256=f"{n:064d}",
            status=[ImportStatus.INVALID, ImportStatus.VALIDATED, ImportStatus.COMMITTED][n % 3],
            row_count=n,
            problem_count=n % 2,
        ).filename

    batch(90)
    batch(91)
    # the page shows the ten most recent imports
    assert_queries_do_not_grow(
        login(archive.supervisor_a),
        reverse("owners:import_upload", args=["QD-A"]),
        lambda: [batch(n) for n in range(8)],
        ceiling=10,
    )


def test_project_export_queries_do_not_grow_with_rows(archive, login):
    def cells(response) -> str:
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
        return "\n".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)

    assert_queries_do_not_grow(
        login(archive.supervisor_a),
        reverse("owners:project_export", args=["QD-A"]),
        lambda: names(add_residents(archive)),
        ceiling=13,
        read=cells,
    )


# --- API --------------------------------------------------------------------------------------------------


def test_resident_list_api_queries_do_not_grow_with_rows(archive):
    assert_queries_do_not_grow(
        api_for(archive.agent_a),
        "/api/owners/projects/QD-A/residents/",
        lambda: names(add_residents(archive)),
        ceiling=12,
    )


def test_resident_lookup_api_queries_do_not_grow_with_rows(archive):
    assert_queries_do_not_grow(
        api_for(archive.branch_manager),
        f"/api/owners/lookup/?q={SHARED_LAST4}",
        lambda: names(add_residents(archive, 15)),
        ceiling=11,
    )


def test_resident_detail_api_units_queries_do_not_grow_with_rows(archive):
    owner = Resident.objects.get(user=archive.owner_a)

    def add_rows():
        """Units in A and in A2: A's agent is shown those of A only (issue 16: a viewer's own scope)."""
        labels = []
        for n in range(ROWS):
            unit = new_unit(archive.project_a if n % 2 else archive.project_a2, f"GU{n % 4}-1-{n + 1}01")
            Occupancy.objects.create(resident=owner, unit=unit, relation=RELATIONS[n % 3])
            if n % 2:
                labels.append(f'"{unit.label}"')
        return labels

    assert_queries_do_not_grow(
        api_for(archive.agent_a), f"/api/owners/residents/{owner.pk}/", add_rows, ceiling=10
    )


def test_completeness_api_trend_queries_do_not_grow_with_rows(archive):
    today = timezone.localdate()

    def snapshot(days_ago: int) -> str:
        day = today - timedelta(days=days_ago)
        CompletenessSnapshot.objects.create(
            project=archive.project_a, day=day, occupied_units=10 + days_ago, complete_units=days_ago % 10
        )
        return f'"{day.isoformat()}"'

    snapshot(0)
    snapshot(1)
    assert_queries_do_not_grow(
        api_for(archive.agent_a),
        "/api/owners/projects/QD-A/completeness/",
        lambda: [snapshot(days_ago) for days_ago in range(2, 2 + ROWS)],
        ceiling=10,
    )


# --- the owner portal -------------------------------------------------------------------------------------


def test_portal_units_and_household_queries_do_not_grow_with_rows(archive, login):
    owner = Resident.objects.get(user=archive.owner_a)
    Occupancy.objects.create(
        resident=new_resident("Guard spouse", "13600009999"), unit=archive.unit_a, relation=Relation.MEMBER
    )

    def add_rows():
        markers = []
        for n in range(ROWS // 4):  # four more units of the owner, in A and A2, four people in each
            project = archive.project_a if n % 2 else archive.project_a2
            unit = new_unit(project, f"GP{n}-1-{n + 1}01")
            Occupancy.objects.create(resident=owner, unit=unit, relation=RELATIONS[n % 2])
            markers.append(unit.label)
            for m in range(4):
                member = new_resident(f"Guard household {n}{m}")
                Occupancy.objects.create(resident=member, unit=unit, relation=RELATIONS[m % 3])
                markers.append(member.name)
        return markers

    assert_queries_do_not_grow(login(archive.owner_a), reverse("owners:portal"), add_rows, ceiling=14)


def test_portal_profile_phones_queries_do_not_grow_with_rows(archive, login):
    owner = Resident.objects.get(user=archive.owner_a)
    ContactChangeRequest.objects.create(
        resident=owner, requested={"email": "old@x.cn"}, status=ChangeRequestStatus.REJECTED
    )

    def add_rows():
        numbers = [f"1360002{n:04d}" for n in range(ROWS // 2)]
        for position, number in enumerate(numbers, start=1):
            ResidentPhone.objects.create(resident=owner, number=number, last4=number[-4:], position=position)
        return numbers

    assert_queries_do_not_grow(login(archive.owner_a), reverse("owners:portal_profile"), add_rows, ceiling=12)


# --- the admin's lists ------------------------------------------------------------------------------------


def test_admin_resident_list_queries_do_not_grow_with_rows(archive, login):
    def add_rows():
        residents = add_residents(archive)
        for resident in residents[::2]:
            resident.user = get_user_model().objects.create_user(username=f"portal-{resident.pk}")
            resident.save(update_fields=["user"])
        return names(residents)

    assert_queries_do_not_grow(
        login(archive.sysadmin), reverse("admin:owners_resident_changelist"), add_rows, ceiling=11
    )


def test_admin_change_request_list_queries_do_not_grow_with_rows(archive, login):
    reviewers = [archive.agent_a, archive.supervisor_a, None]

    def add_rows():
        residents = add_residents(archive)
        for n, resident in enumerate(residents):
            ContactChangeRequest.objects.create(
                resident=resident,
                requested={"email": f"g{n}@x.cn"},
                status=ChangeRequestStatus.APPROVED if reviewers[n % 3] else ChangeRequestStatus.PENDING,
                reviewed_by=reviewers[n % 3],
            )
        return names(residents)

    assert_queries_do_not_grow(
        login(archive.sysadmin), reverse("admin:owners_contactchangerequest_changelist"), add_rows, ceiling=11
    )


def test_admin_import_batch_list_queries_do_not_grow_with_rows(archive, login):
    def add_rows():
        filenames = []
        for n in range(ROWS):
            project = archive.project_a if n % 2 else archive.project_a2
            user = get_user_model().objects.create_user(username=f"uploader-{n:02d}") if n % 3 else None
            filenames.append(
                ImportBatch.objects.create(
                    project=project,
                    created_by=user,
                    file=f"owner-imports/guard-{n:02d}.xlsx",
                    filename=f"guard-{n:02d}.xlsx",
                    sha256=f"{n:064d}",
                    status=ImportStatus.VALIDATED,
                ).filename
            )
        return filenames

    ImportBatch.objects.create(
        project=archive.project_a,
        created_by=archive.supervisor_a,
        file="owner-imports/first.xlsx",
        filename="first.xlsx",
        sha256="0" * 64,
        status=ImportStatus.INVALID,
    )
    assert_queries_do_not_grow(
        login(archive.sysadmin), reverse("admin:owners_importbatch_changelist"), add_rows, ceiling=11
    )
