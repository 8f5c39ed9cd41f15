"""The staff owner archive: completeness (R-OA-1), lookup, masking and audit, export (R-OA-2), edits."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import Role
from estatedesk.org.models import Unit
from estatedesk.owners.choices import EmailChangeStatus, Relation
from estatedesk.owners.models import (
    CompletenessSnapshot,
    ContactChangeRequest,
    EmailChange,
    Occupancy,
    Resident,
    ResidentPhone,
)
from estatedesk.owners.selectors import (
    completeness_by_project,
    completeness_gaps,
    completeness_snapshot_take,
    resident_lookup,
)
from estatedesk.owners.services import contact_change_request_submit, resident_update


@pytest.fixture
def archive(world):
    """Project A: 1-1-101 owner_a complete; 1-1-102 neighbour without move-in date; 1-1-103 occupied, no
    owner on file; 1-1-104 vacant. The owner of A also has ID number on file."""
    Unit.objects.filter(project=world.project_a).update(status="occupied")
    building = world.unit_a.building
    Unit.objects.create(
        project=world.project_a,
        building=building,
        entrance="1",
        floor=1,
        number="103",
        label="1-1-103",
        status="occupied",
    )
    Unit.objects.create(
        project=world.project_a,
        building=building,
        entrance="1",
        floor=1,
        number="104",
        label="1-1-104",
        status="vacant",
    )
    Resident.objects.filter(name="沈业主").update(id_type="id_card", id_number="11010519491231002X")
    return world


def test_oa_1_completeness_counts_occupied_units_with_name_phone_and_move_in(archive):
    figure = completeness_by_project(project_ids=[archive.project_a.pk])[archive.project_a.pk]
    assert (figure.occupied_units, figure.complete_units, figure.rate) == (3, 1, 33.3)


def test_oa_1_gaps_say_what_is_missing(archive):
    gaps = {
        unit.label: (unit.has_owner, unit.owner_has_phone, unit.has_move_in)
        for unit in completeness_gaps(project=archive.project_a)
    }
    assert gaps == {"1-1-102": (True, True, False), "1-1-103": (False, False, False)}


def test_oa_1_a_tenant_does_not_make_the_owner_record_complete(archive):
    tenant = Resident.objects.create(name="租客")
    ResidentPhone.objects.create(resident=tenant, number="13911112222", last4="2222")
    unit = Unit.objects.get(label="1-1-103", project=archive.project_a)
    Occupancy.objects.create(
        resident=tenant, unit=unit, relation=Relation.TENANT, started_on=date(2024, 1, 1)
    )
    assert (
        completeness_by_project(project_ids=[archive.project_a.pk])[archive.project_a.pk].complete_units == 1
    )


def test_oa_1_daily_snapshot_once_per_day_and_trend(archive, login):
    completeness_snapshot_take(day=date(2026, 11, 25))
    completeness_snapshot_take(day=date(2026, 11, 25))
    Occupancy.objects.filter(unit__label="1-1-102", unit__project=archive.project_a).update(
        started_on=date(2022, 1, 1)
    )
    completeness_snapshot_take(day=date(2026, 11, 26))
    rows = list(
        CompletenessSnapshot.objects.filter(project=archive.project_a)
        .order_by("day")
        .values_list("day", "complete_units")
    )
    assert rows == [(date(2026, 11, 25), 1), (date(2026, 11, 26), 2)]
    body = APIClient()
    body.force_authenticate(archive.pm_a)
    data = body.get("/api/owners/projects/QD-A/completeness/").json()
    assert (data["occupied_units"], data["complete_units"], data["rate"]) == (3, 2, 66.7)


@pytest.mark.parametrize(
    "query", ["13800001234", "138 0000 1234", "+86 138-0000-1234", "1234", "沈业主", "沈", "syz", "1-1-101"]
)
def test_lookup_finds_the_caller_by_phone_last_digits_name_initials_or_unit(archive, query):
    assert [r.name for r in resident_lookup(user=archive.agent_a, query=query)] == ["沈业主"]


def test_lookup_is_scoped(archive):
    assert resident_lookup(user=archive.outsider, query="13800001234") == []
    assert resident_lookup(user=archive.outsider, query="沈业主") == []
    assert [r.name for r in resident_lookup(user=archive.outsider, query="外人")] == ["外人"]


def test_hotline_lookup_page_accepts_phone_from_the_phone_system(archive, login):
    response = login(archive.agent_a).get(reverse("owners:lookup") + "?phone=13800001234")
    body = response.content.decode()
    assert "沈业主" in body
    assert "13800001234" in body


def test_phones_are_masked_for_roles_that_do_not_call_owners(archive, login):
    url = reverse("owners:project_archive", args=["QD-A"])
    assert "13800001234" in login(archive.agent_a).get(url).content.decode()
    hq_body = login(archive.hq).get(url).content.decode()
    assert "13800001234" not in hq_body
    assert "138****1234" in hq_body


def test_id_number_is_masked_and_revealing_it_is_audited(archive, login):
    resident = Resident.objects.get(name="沈业主")
    page = (
        login(archive.supervisor_a)
        .get(reverse("owners:resident_detail", args=[resident.pk]))
        .content.decode()
    )
    assert "11010519491231002X" not in page
    assert "110***********002X" in page
    revealed = login(archive.supervisor_a).post(reverse("owners:resident_id_reveal", args=[resident.pk]))
    assert "11010519491231002X" in revealed.content.decode()
    entry = AuditEntry.objects.get(action="view_sensitive", object_id=str(resident.pk))
    assert entry.actor == archive.supervisor_a
    assert entry.changes == {"field": [None, "id_number"]}


def test_agents_and_outsiders_cannot_reveal_an_id_number(archive, login):
    resident = Resident.objects.get(name="沈业主")
    url = reverse("owners:resident_id_reveal", args=[resident.pk])
    assert login(archive.agent_a).post(url).status_code == 403
    assert login(archive.outsider).post(url).status_code == 404
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()


def test_oa_2_export_is_scoped_audited_and_safe_from_formulas(archive, login):
    Resident.objects.filter(name="邻居").update(name='=HYPERLINK("http://evil")')
    response = login(archive.supervisor_a).get(reverse("owners:project_export", args=["QD-A"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["楼栋", "单元", "房号"]
    names = [row[6] for row in rows[1:]]
    assert names == ["沈业主", '\'=HYPERLINK("http://evil")']
    owner_row = rows[1]
    assert owner_row[8] == "13800001234"  # the CS supervisor calls owners: full phones
    assert owner_row[11] == "110***********002X"  # ID numbers are always masked in exports
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.project_id) == (archive.supervisor_a, archive.project_a.pk)


def test_oa_2_export_needs_the_right_role_and_scope(archive, login):
    url = reverse("owners:project_export", args=["QD-A"])
    assert login(archive.agent_a).get(url).status_code == 403
    assert login(archive.hq).get(url).status_code == 403
    assert login(archive.outsider).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_resident_edit_keeps_history(archive, login):
    resident = Resident.objects.get(name="沈业主")
    response = login(archive.agent_a).post(
        reverse("owners:resident_edit", args=[resident.pk]),
        {
            "name": "沈业主",
            "phones": "13800001234 / 0532-88001234",
            "email": "shen@example.com",
            "id_type": "id_card",
            "id_number": "",
            "preferred_language": "zh-hans",
            "contact_preference": "sms",
            "notes": "",
        },
    )
    assert response.status_code == 302
    assert list(resident.phones.values_list("number", flat=True)) == ["13800001234", "053288001234"]
    resident.refresh_from_db()
    assert resident.id_number == "11010519491231002X"  # an empty field keeps the number on file
    # owner_a signs in with this record's email: the new one waits for them (issue 16)
    assert resident.email == ""
    assert EmailChange.objects.get(resident=resident).new_email == "shen@example.com"
    entry = AuditEntry.objects.get(object_type="owners.resident", action="update", changes__has_key="phones")
    assert entry.changes["phones"] == [["13800001234"], ["13800001234", "053288001234"]]
    assert entry.changes["contact_preference"] == ["phone", "sms"]
    assert "email" not in entry.changes
    page = login(archive.agent_a).get(reverse("owners:resident_detail", args=[resident.pk])).content.decode()
    assert "053288001234" in page


def test_invalid_edit_shows_errors_and_changes_nothing(archive, login):
    resident = Resident.objects.get(name="沈业主")
    response = login(archive.agent_a).post(
        reverse("owners:resident_edit", args=[resident.pk]),
        {
            "name": "沈业主",
            "phones": "12345",
            "email": "",
            "id_type": "",
            "id_number": "",
            "preferred_language": "zh-hans",
            "contact_preference": "phone",
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phones"]
    assert list(resident.phones.values_list("number", flat=True)) == ["13800001234"]


def test_outsider_sees_nothing_of_the_archive_of_a(archive, login):
    client = login(archive.outsider)
    resident = Resident.objects.get(name="沈业主")
    assert client.get(reverse("owners:project_archive", args=["QD-A"])).status_code == 404
    assert client.get(reverse("owners:resident_detail", args=[resident.pk])).status_code == 404
    assert client.get(reverse("owners:resident_edit", args=[resident.pk])).status_code == 404
    assert (
        'data-testid="lookup-row"' not in client.get(reverse("owners:lookup") + "?q=沈业主").content.decode()
    )
    assert "海景花园" not in client.get(reverse("owners:archive_home")).content.decode()
    api = APIClient()
    api.force_authenticate(archive.outsider)
    assert api.get("/api/owners/projects/QD-A/residents/").status_code == 404
    assert api.get(f"/api/owners/residents/{resident.pk}/").status_code == 404
    assert api.get("/api/owners/projects/QD-A/completeness/").status_code == 404
    assert api.get("/api/owners/lookup/?q=13800001234").json() == []


def test_owners_cannot_open_the_staff_archive(archive, login):
    client = login(archive.owner_a)
    assert client.get(reverse("owners:archive_home")).status_code == 403
    assert client.get(reverse("owners:lookup") + "?q=邻居").status_code == 403
    api = APIClient()
    api.force_authenticate(archive.owner_a)
    assert api.get("/api/owners/lookup/?q=邻居").status_code == 403


def test_api_masks_like_the_pages(archive):
    def phones(user):
        api = APIClient()
        api.force_authenticate(user)
        results = api.get("/api/owners/projects/QD-A/residents/").json()["results"]
        return {r["name"]: (r["phones"], r["phones_masked"], r["id_number"]) for r in results}

    assert phones(archive.agent_a)["沈业主"] == (["13800001234"], False, "110***********002X")
    assert phones(archive.hq)["沈业主"] == (["138****1234"], True, "110***********002X")


def test_archive_lists_use_a_bounded_number_of_queries(archive, login, django_assert_max_num_queries):
    for number in range(30):
        resident = Resident.objects.create(name=f"住户{number}")
        ResidentPhone.objects.create(resident=resident, number=f"139000{number:05d}", last4=f"{number:04d}")
        Occupancy.objects.create(resident=resident, unit=archive.unit_a, relation=Relation.MEMBER)
    client = login(archive.agent_a)
    api = APIClient()
    api.force_authenticate(archive.agent_a)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("owners:project_archive", args=["QD-A"])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("owners:lookup") + "?q=住户").status_code == 200
    with django_assert_max_num_queries(15):
        assert api.get("/api/owners/projects/QD-A/residents/").status_code == 200


def test_staff_confirm_an_owners_correction(archive, login):
    contact_change_request_submit(actor=archive.owner_a, phones=["13800009999"], email="new@example.com")
    resident = Resident.objects.get(name="沈业主")
    assert list(resident.phones.values_list("number", flat=True)) == ["13800001234"]
    client = login(archive.supervisor_a)
    page = client.get(reverse("owners:change_request_list")).content.decode()
    assert "13800009999" in page
    change = ContactChangeRequest.objects.get()
    assert (
        client.post(reverse("owners:change_request_review", args=[change.pk]), {"approve": "1"}).status_code
        == 302
    )
    assert list(resident.phones.values_list("number", flat=True)) == ["13800009999"]
    resident.refresh_from_db()
    # the new email is owner_a's sign-in address: it waits for owner_a to confirm it (issue 16)
    assert resident.email == ""
    pending = EmailChange.objects.get(resident=resident)
    assert (pending.new_email, pending.status, pending.requested_by) == (
        "new@example.com",
        EmailChangeStatus.PENDING,
        archive.supervisor_a,
    )
    assert (
        login(archive.outsider)
        .post(reverse("owners:change_request_review", args=[change.pk]), {"approve": "1"})
        .status_code
        == 404
    )


def test_service_refuses_edits_outside_scope(archive):
    from django.core.exceptions import PermissionDenied

    resident = Resident.objects.get(name="沈业主")
    with pytest.raises(PermissionDenied):
        resident_update(actor=archive.outsider, resident=resident, name="改名")
    with pytest.raises(PermissionDenied):
        resident_update(actor=archive.hq, resident=resident, name="改名")


def test_oa_1_completeness_snapshot_is_a_daily_periodic_job(archive):
    from estatedesk.common.scheduling import periodic_jobs
    from estatedesk.owners.tasks import completeness_snapshot

    assert "owners.completeness_snapshot" in periodic_jobs()
    assert completeness_snapshot.call() == 3  # one row per active project
    assert CompletenessSnapshot.objects.filter(project=archive.project_a).count() == 1


@pytest.mark.parametrize("role", Role.values)
def test_masking_holds_for_every_role(archive, login, django_user_model, role):
    """Each role at project A: phones in full only for the roles that call owners; ID numbers never."""
    from estatedesk.org.models import Membership
    from estatedesk.org.permissions import CONTACTS_OWNERS

    user = django_user_model.objects.create_user(username=f"r-{role}", password="x")
    Membership.objects.create(
        user=user, role=role, level="project", company=archive.company, project=archive.project_a
    )
    resident = Resident.objects.get(name="沈业主")
    body = login(user).get(reverse("owners:resident_detail", args=[resident.pk])).content.decode()
    assert ("13800001234" in body) == (role in CONTACTS_OWNERS)
    assert ("138****1234" in body) == (role not in CONTACTS_OWNERS)
    assert "11010519491231002X" not in body
    api = APIClient()
    api.force_authenticate(user)
    phones = api.get(f"/api/owners/residents/{resident.pk}/").json()["phones"]
    assert phones == (["13800001234"] if role in CONTACTS_OWNERS else ["138****1234"])
