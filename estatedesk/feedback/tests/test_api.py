"""The feedback API: the whole R-FB path, scoping (the outsider sees nothing, the owner only their own),
one edit wins (409), the staff-attitude rule, the error body, and a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from rest_framework.test import APIClient

from estatedesk.feedback.choices import Category, EventKind, Kind, Status
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, StaffTalk
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.tests.helpers import (
    PATH,
    add_member,
    api_for,
    assert_error,
    register,
    step_data,
    walk,
)
from estatedesk.notifications.models import OutboundEmail
from estatedesk.notifications.tasks import send_email
from estatedesk.org.choices import Role
from estatedesk.owners.models import Resident

ITEMS = "/api/feedback/items/"
CREATE = "/api/feedback/items/create/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def owner_resident(world):
    return Resident.objects.get(user=world.owner_a)


def url(item, tail: str = "") -> str:
    reference = item if isinstance(item, str) else item.reference
    return f"{ITEMS}{reference}/{tail}"


def take(world, item, step: str, persona: str, *, version: int, note: str = "", data=None):
    return api_for(world.users[persona]).post(
        url(item, "steps/"),
        {"step": step, "version": version, "note": note, "data": data or {}},
        format="json",
    )


# --- the whole path ---------------------------------------------------------------------------------------


def test_fb_whole_path_by_api(world, crew, owner_resident):
    # given an owner whose email is on file, and their complaint registered by the agent on the hotline
    owner_resident.email = "owner@example.invalid"
    owner_resident.save(update_fields=["email"])
    response = api_for(world.agent_a).post(
        CREATE,
        {
            "project": "QD-A",
            "channel": "hotline",
            "kind": "complaint",
            "category": "engineering",
            "title": "Water leaking in the stairwell",
            "description": "Water dripping from the ceiling of entrance 1.",
            "unit": world.unit_a.pk,
            "resident": owner_resident.pk,
            "contact_email": "owner@example.invalid",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    reference = body["reference"]
    assert reference.startswith("QD-A-")
    assert (body["status"], body["version"], body["unit"], body["building"]) == (
        "registered",
        1,
        "1-1-101",
        "1号楼",
    )
    assert [s["step"] for s in body["steps"]] == ["contact_supervisor"]
    assert [c["clock"] for c in body["clocks"]] == ["contact", "resolution"]
    assert body["internal"]["escalation_level"] == 0
    # when each role takes its step, in order
    version = 1
    for step, persona, note, data in PATH:
        if step == "close":
            rated = api_for(world.owner_a).post(url(reference, "rating/"), {"rating": "B", "comment": "OK"})
            assert rated.status_code == 200, rated.content
            assert rated.json()["rating"] == "B"
            version = rated.json()["version"]
        response = take(
            world, reference, step, persona, version=version, note=note, data=step_data(world, data)
        )
        assert response.status_code == 200, (step, response.content)
        body = response.json()
        assert body["version"] == version + 1
        version = body["version"]
    # then it is closed, with every step on the staff timeline
    assert body["status"] == "closed"
    assert body["internal"]["supervisor"] == {"id": world.dept_supervisor_a.pk, "name": "dept_supervisor_a"}
    assert body["internal"]["executor"] == {"id": world.executor_a.pk, "name": "executor_a"}
    assert body["handling_opinion"] == "Replace the valve on the riser."
    staff_view = api_for(world.supervisor_a).get(url(reference)).json()
    assert [e["to_status"] for e in staff_view["timeline"] if e["kind"] == "transition"] == [
        "supervisor_contacted",
        "opinion_recorded",
        "arranged",
        "in_progress",
        "handled",
        "cs_informed",
        "customer_informed",
        "closed",
    ]
    assert staff_view["timeline"][1]["actor"] == {"id": world.agent_a.pk, "name": "agent_a"}
    assert [s["step"] for s in staff_view["steps"]] == ["reopen"]
    # and the owner sees the customer's view: public events only, nothing internal
    owner_view = api_for(world.owner_a).get(url(reference)).json()
    assert [(e["kind"], e["to_status"]) for e in owner_view["timeline"]] == [
        ("registered", "registered"),
        ("transition", "customer_informed"),
        ("rating", ""),
        ("transition", "closed"),
    ]
    assert owner_view["timeline"][1]["message"] == "Told the owner the leak is fixed."
    assert {e["actor"] for e in owner_view["timeline"]} == {None}
    assert all(e["data"] == {} for e in owner_view["timeline"])
    assert (owner_view["internal"], owner_view["clocks"], owner_view["steps"]) == (None, [], [])
    assert (owner_view["handling_opinion"], owner_view["result"]) == ("", "")
    # the customer was emailed through the outbox, once however often the task runs
    handled = OutboundEmail.objects.get(to="owner@example.invalid", subject__contains="has been handled")
    send_email.call(outbound_email_id=handled.pk)
    send_email.call(outbound_email_id=handled.pk)
    assert [m.subject for m in mail.outbox] == [f"Your Complaint {reference} has been handled"]


def test_fb_comment_execution_record_and_hq_report(world, crew):
    item = register(world, is_major=True)
    agent, executor, pm = (api_for(world.users[name]) for name in ("agent_a", "executor_a", "pm_a"))
    response = agent.post(url(item, "comments/"), {"message": "Called twice, no answer."}, format="json")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["is_public"]) == ("comment", False)
    assert_error(api_for(world.owner_a).post(url(item, "comments/"), {"message": "x"}), 404, "not_found")
    # the execution record (附表二): blank until written, then written in its order and read back by others
    qa = api_for(add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a))
    blank = pm.get(url(item, "execution-record/"))
    assert blank.json() == {
        "qa_opinion": "",
        "qa_opinion_by": None,
        "qa_opinion_at": None,
        "office_record": "",
        "office_record_by": None,
        "office_record_at": None,
        "qa_acceptance": "",
        "qa_acceptance_by": None,
        "qa_acceptance_at": None,
        "customer_acceptance": "",
        "customer_acceptance_at": None,
        "executor_name": "",
        "executed_at": None,
        "updated_at": None,
        "writable": ["office_record", "executor_name", "executed_at"],
    }
    record = {
        "qa_opinion": "Valve worn out.",
        "office_record": "Replaced the valve.",
        "qa_acceptance": "",
        "customer_acceptance": "",
        "executor_name": "蒋维修工",
        "executed_at": "2026-11-24T15:00:00+08:00",
    }
    # the office may not write QA's opinion, nor its own record before QA's opinion
    assert_error(
        executor.put(url(item, "execution-record/"), record, format="json"), 403, "permission_denied"
    )
    assert_error(
        executor.put(url(item, "execution-record/"), {"office_record": "x"}, format="json"),
        409,
        "feedback.record_out_of_order",
        {"office_record"},
    )
    assert (
        qa.put(url(item, "execution-record/"), {"qa_opinion": "Valve worn out."}, format="json").status_code
        == 200
    )
    # the whole record sent back with QA's part as stored: only the office's part changes
    written = executor.put(url(item, "execution-record/"), record, format="json")
    assert written.status_code == 200
    assert written.json()["office_record_by"] == {"id": world.executor_a.pk, "name": "executor_a"}
    read = pm.get(url(item, "execution-record/")).json()
    assert read["office_record"] == "Replaced the valve."
    assert read["executed_at"] == "2026-11-24T15:00:00+08:00"
    assert read["qa_opinion_by"]["name"] == "qa_a"
    assert ExecutionRecord.objects.get(item=item).executor_name == "蒋维修工"
    assert_error(agent.put(url(item, "execution-record/"), record, format="json"), 403, "permission_denied")
    assert_error(
        qa.put(url(item, "execution-record/"), {"customer_acceptance": "x"}, format="json"),
        400,
        "feedback.customer_acceptance",
        {"customer_acceptance"},
    )
    assert_error(
        executor.put(url(item, "execution-record/"), {"executed_at": "yesterday"}, format="json"),
        400,
        "invalid",
    )
    # R-IR-8: the major incident goes to HQ, with its content
    assert_error(agent.post(url(item, "hq-report/")), 403, "permission_denied")
    report = pm.post(url(item, "hq-report/"))
    assert report.status_code == 200
    assert (report.json()["source"], report.json()["reference"]) == ("feedback", item.reference)
    assert report.json()["type"] == "major_or_hot_complaint"
    assert [p["step"] for p in report.json()["progress"]] == [
        "registered",
        "major_alert",
        "comment",
        "execution_record",
        "execution_record",
    ]
    ordinary = register(world)
    assert_error(pm.post(url(ordinary, "hq-report/")), 400, "feedback.not_reportable")


# --- scoping ----------------------------------------------------------------------------------------------


def test_fb_outsider_gets_404_for_project_a_items_and_an_empty_list(world, crew):
    item = register(world, is_major=True)
    client = api_for(world.outsider)
    assert client.get(ITEMS).json()["results"] == []
    assert client.get(ITEMS, {"project": "QD-A"}).json() == {
        "count": 0,
        "count_capped": False,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert client.get(ITEMS, {"search": item.reference}).json()["results"] == []
    assert_error(client.get(url(item)), 404, "not_found")
    for tail, body in (
        ("steps/", {"step": "contact_supervisor", "version": 1}),
        ("comments/", {"message": "mine now"}),
        ("staff-talks/", {"employee_name": "x", "kind": "talk", "notes": "x"}),
        ("rating/", {"rating": "A"}),
        ("hq-report/", {}),
    ):
        assert_error(client.post(url(item, tail), body, format="json"), 404, "not_found")
    assert_error(client.get(url(item, "execution-record/")), 404, "not_found")
    assert_error(client.put(url(item, "execution-record/"), {}, format="json"), 404, "not_found")
    created = client.post(
        CREATE,
        {
            "project": "QD-A",
            "channel": "hotline",
            "kind": "complaint",
            "category": "order",
            "description": "x",
        },
        format="json",
    )
    assert_error(created, 404, "not_found")
    item.refresh_from_db()
    assert (item.status, item.version, item.events.count()) == (Status.REGISTERED, 1, 2)
    assert FeedbackItem.objects.count() == 1


def test_fb_owner_sees_only_their_own_items(world, owner_resident):
    mine = register(world, resident=owner_resident, kind=Kind.REPAIR)
    neighbours = register(world, resident=Resident.objects.get(name="邻居"))
    register(world, contact_phone="13800001234")  # the owner's number, but not their item
    client = api_for(world.owner_a)
    body = client.get(ITEMS).json()
    assert [row["reference"] for row in body["results"]] == [mine.reference]
    assert body["results"][0]["internal"] is None
    assert_error(client.get(url(neighbours)), 404, "not_found")
    assert client.get(url(mine)).status_code == 200
    assert_error(client.get(url(mine, "execution-record/")), 403, "permission_denied")
    assert_error(take(world, mine, "contact_supervisor", "owner_a", version=1), 403, "permission_denied")
    assert api_for(world.nobody).get(ITEMS).json()["results"] == []


def test_fb_owner_registers_on_the_portal_for_their_own_unit(world, owner_resident):
    client = api_for(world.owner_a)
    request = {
        "project": "QD-A",
        "kind": "repair",
        "category": "engineering",
        "description": "The balcony door does not close.",
        "is_major": True,  # not the customer's to say: ignored
        "priority": "urgent",
    }
    response = client.post(CREATE, request, format="json")
    assert response.status_code == 201, response.content
    item = FeedbackItem.objects.get(reference=response.json()["reference"])
    assert (item.channel, item.resident, item.unit, item.registered_by) == (
        "portal",
        owner_resident,
        world.unit_a,
        None,
    )
    assert (item.is_major, item.priority, item.title) == (False, "normal", "The balcony door does not close")
    assert response.json()["internal"] is None
    neighbour = {**request, "unit": world.unit_a_neighbour.pk}
    assert_error(client.post(CREATE, neighbour, format="json"), 400, "invalid", {"unit"})
    assert_error(client.post(CREATE, {**request, "project": "JN-C"}, format="json"), 404, "not_found")
    assert_error(
        client.post(CREATE, {**request, "channel": "hotline"}, format="json"), 403, "permission_denied"
    )
    assert FeedbackItem.objects.count() == 1


def test_fb_staff_register_checks_its_input(world):
    client = api_for(world.agent_a)
    request = {"project": "QD-A", "kind": "complaint", "category": "order", "description": "Noise at night."}
    assert_error(client.post(CREATE, request, format="json"), 400, "invalid", {"channel"})
    wrong = {**request, "channel": "hotline", "unit": world.unit_b.pk, "kind": "gossip"}
    assert_error(client.post(CREATE, wrong, format="json"), 400, "invalid", {"kind"})
    assert_error(client.post(CREATE, {**wrong, "kind": "complaint"}, format="json"), 400, "invalid", {"unit"})
    stranger = Resident.objects.get(name="外人")  # lives in project B
    assert_error(
        client.post(CREATE, {**request, "channel": "hotline", "resident": stranger.pk}, format="json"),
        400,
        "invalid",
        {"resident"},
    )
    assert_error(api_for(world.hq).post(CREATE, {**request, "channel": "hotline"}), 403, "permission_denied")
    assert_error(APIClient().post(CREATE, {**request, "channel": "hotline"}), 401, "not_authenticated")
    assert not FeedbackItem.objects.exists()


# --- rules --------------------------------------------------------------------------------------------------


def test_fb_stale_version_is_a_409_with_the_error_body(world):
    item = register(world)
    assert take(world, item, "contact_supervisor", "agent_a", version=1).status_code == 200
    body = assert_error(
        take(world, item, "record_opinion", "supervisor_a", version=1, note="Fix it."),
        409,
        "feedback.conflict",
    )
    assert body["fields"] == {}
    item.refresh_from_db()
    assert (item.status, item.version) == (Status.SUPERVISOR_CONTACTED, 2)


def test_fb_step_errors_use_the_error_body(world):
    item = register(world)
    assert_error(take(world, item, "fly", "agent_a", version=1), 400, "invalid", {"step"})
    assert_error(
        api_for(world.agent_a).post(url(item, "steps/"), {"step": "close"}), 400, "invalid", {"version"}
    )
    assert_error(take(world, item, "close", "agent_a", version=1), 409, "feedback.step_not_allowed")
    assert_error(take(world, item, "contact_supervisor", "pm_a", version=1), 403, "permission_denied")
    assert_error(
        take(
            world, item, "contact_supervisor", "agent_a", version=1, data={"supervisor_id": world.outsider.pk}
        ),
        400,
        "feedback.invalid",
        {"supervisor_id"},
    )
    assert_error(take(world, "QD-A-20260101-9999", "close", "agent_a", version=1), 404, "not_found")
    item.refresh_from_db()
    assert item.version == 1


def test_fb_staff_attitude_close_refused_until_the_talk_is_recorded(world, crew):
    item = walk(world, register(world, category=Category.STAFF_ATTITUDE), until="inform_customer")
    body = assert_error(
        take(world, item, "close", "agent_a", version=item.version), 409, "feedback.staff_talk_required"
    )
    assert "talk" in body["message"]
    talk = {"employee_name": "刘保安", "kind": "criticism", "notes": "Criticised at the morning meeting."}
    assert_error(api_for(world.agent_a).post(url(item, "staff-talks/"), talk), 403, "permission_denied")
    response = api_for(world.pm_a).post(url(item, "staff-talks/"), talk, format="json")
    assert response.status_code == 201
    assert response.json()["recorded_by"] == {"id": world.pm_a.pk, "name": "pm_a"}
    assert StaffTalk.objects.filter(item=item).count() == 1
    closed = take(world, item, "close", "agent_a", version=item.version)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_fb_rating_by_the_owner_only_once_it_is_handled(world, crew, owner_resident):
    item = register(world, resident=owner_resident)
    owner = api_for(world.owner_a)
    assert_error(owner.post(url(item, "rating/"), {"rating": "A"}), 409, "feedback.not_done")
    item = walk(world, item, until="inform_customer")
    assert_error(owner.post(url(item, "rating/"), {"rating": "E"}), 400, "invalid", {"rating"})
    assert_error(api_for(world.agent_a).post(url(item, "rating/"), {"rating": "A"}), 403, "permission_denied")
    assert owner.post(url(item, "rating/"), {"rating": "A"}).json()["rating"] == "A"
    assert_error(owner.post(url(item, "rating/"), {"rating": "C"}), 409, "feedback.already_rated")
    public = [e["kind"] for e in owner.get(url(item)).json()["timeline"]]
    assert public == [EventKind.REGISTERED, EventKind.TRANSITION, EventKind.RATING]


# --- the list: filters and a bounded number of queries -------------------------------------------------


def test_fb_list_filters(world, crew, owner_resident):
    late = register(world, kind=Kind.REPAIR, registered_at=timezone.now() - timedelta(days=3))
    mine = register(world, resident=owner_resident, unit=world.unit_a, category=Category.CLEANING)
    assigned = walk(world, register(world, title="Broken lamp"), until="contact_supervisor")
    client = api_for(world.supervisor_a)

    def references(**params) -> list[str]:
        response = client.get(ITEMS, params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert references(kind="repair") == [late.reference]
    assert references(category="cleaning") == [mine.reference]
    assert references(status="supervisor_contacted") == [assigned.reference]
    assert references(assignee=world.dept_supervisor_a.pk) == [assigned.reference]
    assert references(search="lamp") == [assigned.reference]
    assert references(search=mine.reference) == [mine.reference]
    assert late.reference in references(overdue="true")
    assert references(project="QD-B") == []
    assert references(building=world.unit_a.building_id) == [mine.reference]
    assert references(channel="hotline", open="true") == [assigned.reference, mine.reference, late.reference]
    assert references(channel="email") == []
    assert_error(client.get(ITEMS, {"status": "lost"}), 400, "invalid", {"status"})
    assert_error(client.get(ITEMS, {"assignee": "me"}), 400, "invalid", {"assignee"})
    this_month = timezone.localdate().strftime("%Y-%m")
    assert mine.reference in references(month=this_month)
    assert references(month="2001-01") == []
    assert_error(client.get(ITEMS, {"month": "2026-13"}), 400, "invalid", {"month"})


def test_fb_list_and_detail_use_a_bounded_number_of_queries(
    world, crew, owner_resident, django_assert_max_num_queries
):
    for number in range(25):
        item = register(world, resident=owner_resident if number % 2 else None, title=f"Item {number}")
        if number % 3 == 0:
            walk(world, item, until="arrange")
    for persona in ("hq", "supervisor_a", "owner_a", "outsider"):
        client = api_for(world.users[persona])
        with django_assert_max_num_queries(6):
            response = client.get(ITEMS, {"page_size": 100})
        assert response.status_code == 200
    assert api_for(world.supervisor_a).get(ITEMS).json()["count"] == 25
    with django_assert_max_num_queries(6):
        assert api_for(world.owner_a).get(ITEMS, {"overdue": "1", "search": "Item"}).status_code == 200
    arranged = FeedbackItem.objects.filter(status=Status.ARRANGED).first()
    with django_assert_max_num_queries(6):
        assert api_for(world.pm_a).get(url(arranged)).status_code == 200


def test_fb_api_is_in_the_schema(world, client):
    client.force_login(world.agent_a)
    text = client.get("/api/schema/").content.decode()
    for path in (
        ITEMS,
        CREATE,
        "/api/feedback/items/{reference}/steps/",
        "/api/feedback/items/{reference}/hq-report/",
    ):
        assert path in text


def test_fb_steps_by_api_and_by_service_are_the_same_step(world):
    item = register(world)
    feedback_item_step(actor=world.agent_a, item=item, step="contact_supervisor", version=1)
    assert_error(
        take(world, item, "contact_supervisor", "agent_a", version=2), 409, "feedback.step_not_allowed"
    )


def test_fb_list_count_stops_at_the_cap_and_says_so(world, crew, monkeypatch):
    """At a million items the list API counts at most 10,000 (ADR 0009) and flags that there are more."""
    monkeypatch.setattr("estatedesk.common.pagination.COUNT_CAP", 2)
    for number in range(3):
        register(world, title=f"Item {number}")
    body = api_for(world.supervisor_a).get(ITEMS).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (2, True, 2)
    monkeypatch.setattr("estatedesk.common.pagination.COUNT_CAP", 3)
    body = api_for(world.supervisor_a).get(ITEMS).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, False, 3)
