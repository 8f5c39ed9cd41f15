"""Reclassification after registration: kind, category, place, department, priority and flags change with an
audit row and a timeline event, the running clocks are counted again, and an item that becomes a major
incident alerts the general manager then (R-FB-3), whatever its channel."""

from __future__ import annotations

from dataclasses import replace

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback import events
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Priority
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.reclassification import Reclassification, feedback_item_reclassify
from estatedesk.feedback.tests.helpers import add_member, api_for, assert_error, local, register
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Building, Department

TUESDAY = (2026, 11, 24)


def reclassify(world, item, *, actor=None, reason="电话里记错了", **changes) -> FeedbackItem:
    target = replace(Reclassification.of(item), **changes)
    return feedback_item_reclassify(
        actor=actor or world.supervisor_a, item=item, version=item.version, target=target, reason=reason
    )


def test_fb_3_a_qr_item_that_becomes_a_major_incident_alerts_the_general_manager_then(world):
    # given a complaint someone left through a QR code (no one could mark it major then)
    gm = add_member(world, "gm", Role.GENERAL_MANAGER, email="gm@example.invalid")
    item = register(world, actor=None, channel=Channel.QR, contact_phone="13800005555")
    assert not Notification.objects.filter(user=gm).exists()
    # when the CS supervisor finds it is a major incident
    item = reclassify(world, item, is_major=True, reason="燃气泄漏，属重大事故")
    # then the general manager is alerted at once, and the timeline says so
    assert Notification.objects.filter(user=gm, title__contains=item.reference).count() == 1
    assert list(item.events.filter(kind=EventKind.MAJOR_ALERT).values_list("data", flat=True)) == [
        {"notified": [gm.pk]}
    ]
    # and taking the flag off and on again does not alert twice
    item = reclassify(world, item, is_major=False)
    item = reclassify(world, item, is_major=True)
    assert Notification.objects.filter(user=gm, title__contains=item.reference).count() == 1


def test_fb_3_an_item_registered_as_major_is_not_alerted_again_on_reclassification(world):
    gm = add_member(world, "gm", Role.GENERAL_MANAGER)
    item = register(world, is_major=True)
    reclassify(world, item, category=Category.ORDER)
    assert Notification.objects.filter(user=gm).count() == 1


def test_reclassification_is_audited_and_on_the_timeline_in_words(world):
    # given a repair registered as engineering
    item = register(world, kind=Kind.REPAIR, category=Category.ENGINEERING)
    # when the supervisor moves it to cleaning, complaint, a common area
    area = Building.objects.get(project=world.project_a, code="G1")
    item = reclassify(world, item, kind=Kind.COMPLAINT, category=Category.CLEANING, building=area, unit=None)
    # then the audit trail has the before and after
    entry = AuditEntry.objects.get(action="reclassify", object_id=str(item.pk))
    assert entry.actor == world.supervisor_a
    assert entry.changes["category"] == ["engineering", "cleaning"]
    assert entry.changes["kind"] == ["repair", "complaint"]
    # and the timeline reads in words, never codes
    event = item.events.get(kind=EventKind.RECLASSIFIED)
    with translation.override("en"):
        described = events.describe_all([event])[0]
    assert described.what == "Reclassified"
    assert "Category: Engineering and repairs → Cleaning" in described.details
    assert "Kind: Repair request → Complaint" in described.details
    assert "Building or area: — → 中心花园" in described.details
    assert described.message == "电话里记错了"
    assert item.version == 2


def test_fb_2_reclassification_counts_the_running_clocks_again(world):
    # given a walk-in complaint registered at 19:30, half an hour before the service centre closes
    with time_machine.travel(local(*TUESDAY, 19, 30), tick=False):
        item = register(world, channel=Channel.WALK_IN, priority=Priority.NORMAL)
    assert item.contact_due_at == local(2026, 11, 25, 8, 30)  # the rest of the hour next morning
    # when it turns out to be urgent (counted on the 24-hour hotline calendar, resolved within 4 hours)
    with time_machine.travel(local(*TUESDAY, 19, 40), tick=False):
        item = reclassify(world, item, priority=Priority.URGENT)
    # then both running clocks are counted again from registration
    assert (item.contact_due_at, item.resolution_due_at) == (local(*TUESDAY, 20, 30), local(*TUESDAY, 23, 30))
    assert item.escalation_due_at == local(*TUESDAY, 20, 30)
    event = item.events.get(kind=EventKind.RECLASSIFIED)
    assert set(event.data["clocks"]) == {"contact", "resolution"}


def test_reclassification_refuses_places_and_departments_of_other_projects(world):
    item = register(world)
    foreign = Department.objects.get(project=world.project_b, kind=DepartmentKind.CUSTOMER_SERVICE)
    with pytest.raises(DomainError) as error:
        reclassify(world, item, department=foreign, unit=world.unit_b)
    assert set(error.value.fields) == {"department", "unit"}


def test_reclassification_needs_the_role_and_the_current_version(world):
    item = register(world)
    with pytest.raises(PermissionDenied):
        reclassify(world, item, actor=world.agent_a, priority=Priority.HIGH)
    reclassify(world, item, priority=Priority.HIGH)
    with pytest.raises(DomainError) as error:  # the version the first edit saw is gone
        feedback_item_reclassify(
            actor=world.pm_a,
            item=item,
            version=1,
            target=replace(Reclassification.of(item), priority=Priority.LOW),
            reason="x",
        )
    assert error.value.code == "feedback.conflict"


def test_reclassification_through_the_api_and_its_outsiders(world):
    item = register(world)
    url = f"/api/feedback/items/{item.reference}/classification/"
    body = {"version": 1, "reason": "类别登记错误", "category": "cleaning"}
    assert_error(api_for(world.outsider).post(url, body, format="json"), 404, "not_found")
    assert_error(api_for(world.agent_a).post(url, body, format="json"), 403, "permission_denied")
    assert_error(api_for(world.owner_a).post(url, body, format="json"), 404, "not_found")
    response = api_for(world.supervisor_a).post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["category"], response.json()["version"]) == ("cleaning", 2)
    assert_error(api_for(world.supervisor_a).post(url, body, format="json"), 409, "feedback.conflict")
    unknown = {"version": 2, "reason": "x", "department": 999999}
    assert_error(
        api_for(world.supervisor_a).post(url, unknown, format="json"), 400, "feedback.invalid", {"department"}
    )


def test_reclassification_page_starts_from_what_is_stored_and_saves(world, staff):
    item = register(world, category=Category.ENGINEERING, location_note="二单元门口")
    page_url = f"/feedback/{item.reference}/reclassify/"
    assert staff(world.outsider).get(page_url).status_code == 404
    assert staff(world.agent_a).get(page_url).status_code == 403
    assert b'data-testid="reclassify"' not in staff(world.agent_a).get(f"/feedback/{item.reference}/").content
    client = staff(world.supervisor_a)
    assert b'data-testid="reclassify"' in client.get(f"/feedback/{item.reference}/").content
    form = client.get(page_url).context["form"]
    assert (form["category"].value(), form["location_note"].value(), form["version"].value()) == (
        "engineering",
        "二单元门口",
        1,
    )
    response = client.post(
        page_url,
        {
            "version": 1,
            "kind": Kind.COMPLAINT,
            "category": Category.ORDER,
            "priority": Priority.HIGH,
            "unit_label": "1-1-102",
            "location_note": "",
            "is_hot": "on",
            "reason": "业主多次来电",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.category, item.priority, item.is_hot, item.unit, item.building) == (
        Category.ORDER,
        Priority.HIGH,
        True,
        world.unit_a_neighbour,
        world.unit_a_neighbour.building,
    )
    missing_reason = client.post(
        page_url, {"version": 2, "kind": "complaint", "category": "order", "priority": "high"}
    )
    assert missing_reason.status_code == 400
