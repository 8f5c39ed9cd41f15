"""The change history and the audit trail mask like the pages (issue 16, item 2a; ADR 0007): phones in full
only for the roles that call owners (`owners.phone.full`) at the row's project, ID numbers never (the full
number only through the audited reveal). One masking, `owners.privacy.audit_changes_for_viewer`, applied
wherever the trail is read (`common.audit.audit_entries_for_viewer`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from estatedesk.common.audit import audit_entries_for_viewer
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.org.permissions import CAPABILITIES, CONTACTS_OWNERS
from estatedesk.owners.models import Resident
from estatedesk.owners.privacy import audit_changes_for_viewer
from estatedesk.owners.services import resident_update

FULL_PHONE = "13800001234"
MASKED_PHONE = "138****1234"
NEW_PHONE = "13912345678"
MASKED_NEW_PHONE = "139****5678"
ID_NUMBER = "11010519491231002X"
MASKED_ID_NUMBER = "110***********002X"


@pytest.fixture
def history(world: Any) -> Resident:
    """owner_a's record at project A: a phone added and an ID number set by the CS supervisor, and a row
    written before the trail masked ID numbers itself (the admin wrote them in full)."""
    resident = Resident.objects.get(user=world.owner_a)
    resident_update(
        actor=world.supervisor_a,
        resident=resident,
        phones=[FULL_PHONE, NEW_PHONE],
        id_type="id_card",
        id_number=ID_NUMBER,
    )
    AuditEntry.objects.create(
        actor=None,
        action="update",
        object_type="owners.resident",
        object_id=str(resident.pk),
        object_repr=resident.name,
        changes={"id_number": ["", ID_NUMBER], "contact_phone": ["", FULL_PHONE]},
        project_id=world.project_a.pk,
    )
    return resident


def _member(world: Any, role: str) -> Any:
    """A user holding `role` where it belongs: company-wide roles at the company, the branch manager at
    branch A, everyone else at project A."""
    user = get_user_model().objects.create_user(username=f"r-{role}", display_name=f"r-{role}")
    if role in {Role.HQ_PROPERTY, Role.GENERAL_MANAGER, Role.LEADER, Role.SYSTEM_ADMIN}:
        place: dict[str, Any] = {"level": ScopeLevel.COMPANY}
    elif role == Role.BRANCH_MANAGER:
        place = {"level": ScopeLevel.BRANCH, "branch": world.branch_a}
    else:
        place = {"level": ScopeLevel.PROJECT, "project": world.project_a}
    Membership.objects.create(user=user, role=role, company=world.company, **place)
    return user


def test_sec_audit_changes_are_masked_in_one_function():
    # given a row with phones, a contact phone and an ID number, some already masked
    changes = {
        "phones": [[FULL_PHONE], [FULL_PHONE, NEW_PHONE]],
        "contact_phone": ["", FULL_PHONE],
        "id_number": [MASKED_ID_NUMBER, ID_NUMBER],
        "name": ["沈业主", "沈先生"],
    }
    # when it is read by someone who calls owners, and by someone who does not
    full = audit_changes_for_viewer(changes, full_phones=True)
    masked = audit_changes_for_viewer(changes, full_phones=False)
    # then phones are in full only for the first, ID numbers never, other fields as recorded
    assert full["phones"] == changes["phones"]
    assert masked["phones"] == [[MASKED_PHONE], [MASKED_PHONE, MASKED_NEW_PHONE]]
    assert masked["contact_phone"] == ["", MASKED_PHONE]
    assert full["id_number"] == masked["id_number"] == [MASKED_ID_NUMBER, MASKED_ID_NUMBER]
    assert full["name"] == masked["name"] == ["沈业主", "沈先生"]
    # and masking twice changes nothing
    assert audit_changes_for_viewer(masked, full_phones=False) == masked


@pytest.mark.parametrize("role", Role.values)
def test_sec_resident_history_masks_like_the_page_for_every_role(history, world, login, role):
    # given a staff member of project A holding `role`
    user = _member(world, role)
    # when they open owner_a's page
    body = login(user).get(reverse("owners:resident_detail", args=[history.pk])).content.decode()
    # then the history shows phones in full only for the roles that call owners, ID numbers never in full
    calls_owners = role in CONTACTS_OWNERS
    assert (NEW_PHONE in body) == calls_owners
    assert (MASKED_NEW_PHONE in body) == (not calls_owners)
    assert ID_NUMBER not in body
    assert MASKED_ID_NUMBER in body


@pytest.mark.parametrize("role", sorted(CAPABILITIES["audit.view"]))
def test_sec_audit_trail_page_masks_for_every_role_that_reads_it(history, world, login, role):
    # given a manager who reads the audit trail (only the project manager calls owners)
    user = _member(world, role)
    # when they open it
    response = login(user).get(reverse("org:audit_trail"))
    body = response.content.decode()
    # then phones are in full only for them, ID numbers never, and the rows are there to mask
    assert response.status_code == 200
    assert any(e.object_type == "owners.resident" for e in response.context["entries"])
    calls_owners = role in CONTACTS_OWNERS
    assert (NEW_PHONE in body) == calls_owners
    assert (MASKED_NEW_PHONE in body) == (not calls_owners)
    assert ID_NUMBER not in body


def test_sec_a_row_of_another_project_is_masked_for_who_calls_owners_only_at_a(history, world):
    # given a row written at project B, and A's CS agent who calls owners at A only
    other = AuditEntry.objects.create(
        action="update",
        object_type="owners.resident",
        object_id="0",
        object_repr="B",
        changes={"phones": [[], [FULL_PHONE]]},
        project_id=world.project_b.pk,
    )
    # when an A row and the B row are read for them and for HQ (company-wide, does not call owners)
    rows = AuditEntry.objects.filter(pk__in=[other.pk]) | AuditEntry.objects.filter(
        project_id=world.project_a.pk, changes__has_key="phones"
    )
    for_agent = audit_entries_for_viewer(viewer=world.agent_a, entries=rows.order_by("id"))
    for_hq = audit_entries_for_viewer(viewer=world.hq, entries=rows.order_by("id"))
    # then the agent reads A's phones in full and B's masked; HQ reads both masked
    assert [row.project_id for row in for_agent] == [world.project_a.pk, world.project_b.pk]
    assert NEW_PHONE in for_agent[0].shown_changes["phones"][1]
    assert for_agent[1].shown_changes["phones"] == [[], [MASKED_PHONE]]
    assert MASKED_NEW_PHONE in for_hq[0].shown_changes["phones"][1]
    assert for_hq[1].shown_changes["phones"] == [[], [MASKED_PHONE]]
    # and the rows themselves are not changed
    other.refresh_from_db()
    assert other.changes == {"phones": [[], [FULL_PHONE]]}


def test_sec_the_admin_never_writes_an_id_number_into_the_trail(history, world):
    # given the system administrator saving owner_a's record in the Django admin
    resident = Resident.objects.get(pk=history.pk)
    resident.notes = "changed in the admin"
    request = RequestFactory().post("/admin/owners/resident/")
    request.user = world.sysadmin
    # when the admin saves it
    admin.site._registry[Resident].save_model(request, resident, form=None, change=True)
    # then the row records the change, and holds no ID number
    entry = AuditEntry.objects.filter(object_type="owners.resident", actor=world.sysadmin).get()
    assert entry.changes["notes"] == ["", "changed in the admin"]
    assert "id_number" not in entry.changes
    assert ID_NUMBER not in str(entry.changes)


def test_sec_the_audit_trail_in_the_admin_masks_id_numbers_too(history, world, client):
    # given the superuser opening the old row that held an ID number in full
    entry = next(e for e in AuditEntry.objects.filter(actor=None) if "id_number" in e.changes)
    client.force_login(world.sysadmin)
    # when the admin shows it
    page = client.get(reverse("admin:common_auditentry_change", args=[entry.pk]))
    # then the number is masked as on every page
    assert page.status_code == 200
    assert ID_NUMBER not in page.content.decode()
