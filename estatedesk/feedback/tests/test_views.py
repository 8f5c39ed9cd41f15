"""The staff pages of customer feedback (R-FB-1..5, R-FB-8, R-CS-5): the list with its filters, the item with
its clocks, timeline and step forms, the hotline screen, registration by staff, and that the outsider sees
and changes nothing of project A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Status, TalkKind
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, StaffTalk, TimelineEvent
from estatedesk.feedback.tests.helpers import add_member, local, register, walk
from estatedesk.org.choices import Role
from estatedesk.org.models import Building
from estatedesk.owners.models import Resident, ResidentPhone

TUESDAY = (2026, 11, 24)
CONFLICT = "Someone else changed this item a moment ago."


def body(response) -> str:
    return response.content.decode()


def detail_url(item: FeedbackItem, action: str = "") -> str:
    if action:
        return reverse(f"feedback:item_{action}", args=[item.reference])
    return reverse("feedback:item_detail", args=[item.reference])


def post_step(client, item: FeedbackItem, step: str, **values: Any):
    item.refresh_from_db()
    data = {"step": step, "version": item.version, **values}
    return client.post(detail_url(item, "step"), data)


def owner_resident(world) -> Resident:
    return Resident.objects.get(user=world.owner_a)


# --- every page for those who must see nothing --------------------------------------------------------------


def test_feedback_outsider_sees_and_changes_nothing_of_project_a(world, staff):
    item = register(
        world, resident=owner_resident(world), unit=world.unit_a, contact_phone="13800001234", is_major=True
    )
    client = staff(world.outsider)

    listing = client.get(reverse("feedback:item_list"))
    assert listing.status_code == 200
    assert item.reference not in body(listing)
    assert (
        client.get(reverse("feedback:item_list"), {"q": item.reference}).context["page"].paginator.count == 0
    )
    assert (
        client.get(reverse("feedback:item_list"), {"q": "13800001234"}).context["page"].paginator.count == 0
    )

    hotline = client.get(reverse("feedback:hotline"), {"phone": "13800001234"})
    assert hotline.status_code == 200
    assert "沈业主" not in body(hotline)
    assert item.reference not in body(hotline)
    assert hotline.context["form"] is None

    new = client.get(reverse("feedback:item_register"))
    assert [code for code, _label in new.context["form"].fields["project"].choices] == [world.project_b.pk]
    refused = client.post(
        reverse("feedback:item_register"),
        {
            "project": world.project_a.pk,
            "channel": Channel.WALK_IN,
            "kind": Kind.COMPLAINT,
            "category": Category.CLEANING,
            "priority": "normal",
            "description": "planted",
        },
    )
    assert refused.status_code == 400

    assert client.get(detail_url(item)).status_code == 404
    for action, data in [
        ("step", {"step": "contact_supervisor", "version": item.version}),
        ("step", {"step": "cancel", "version": item.version, "note": "x"}),
        ("comment", {"message": "planted"}),
        ("staff_talk", {"employee_name": "x", "kind": TalkKind.TALK, "notes": "x"}),
        ("execution_record", {"qa_opinion": "planted"}),
        ("report_to_hq", {}),
    ]:
        assert client.post(detail_url(item, action), data).status_code == 404, action

    item.refresh_from_db()
    assert (item.status, item.version, item.reported_to_hq_at) == (Status.REGISTERED, 1, None)
    assert FeedbackItem.objects.filter(project=world.project_a).count() == 1
    assert list(item.events.values_list("kind", flat=True)) == [EventKind.REGISTERED, EventKind.MAJOR_ALERT]
    assert not ExecutionRecord.objects.exists()


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_feedback_staff_pages_are_forbidden_to_owners_and_people_without_a_role(world, staff, persona):
    item = register(world, resident=owner_resident(world), unit=world.unit_a)
    client = staff(world.users[persona])
    for url in [
        reverse("feedback:item_list"),
        reverse("feedback:item_register"),
        reverse("feedback:hotline") + "?phone=13800001234",
        detail_url(item),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(detail_url(item, "comment"), {"message": "x"}).status_code == 403


def test_feedback_signed_out_visitors_are_sent_to_sign_in(world, client):
    response = client.get(reverse("feedback:item_list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_feedback_hq_sees_the_item_with_the_phone_masked(world, staff):
    item = register(world, resident=owner_resident(world), unit=world.unit_a, contact_phone="13800001234")
    hq = staff(world.hq).get(detail_url(item))
    agent = staff(world.agent_a).get(detail_url(item))
    assert hq.status_code == 200
    assert (hq.context["contact_phone"], hq.context["resident_phones"]) == ("138****1234", ["138****1234"])
    assert "13800001234" not in body(hq)
    assert (agent.context["contact_phone"], agent.context["resident_phones"]) == (
        "13800001234",
        ["13800001234"],
    )


# --- R-FB-1: the hotline screen and registration by staff ---------------------------------------------------


def test_fb_1_agent_registers_a_repair_from_the_hotline_screen(world, staff):
    earlier = register(world, resident=owner_resident(world), unit=world.unit_a, title="Earlier call")
    client = staff(world.agent_a)
    url = reverse("feedback:hotline") + "?phone=13800001234"

    screen = client.get(url)
    assert screen.status_code == 200
    assert [card["resident"].name for card in screen.context["cards"]] == ["沈业主"]
    assert screen.context["cards"][0]["phones"] == ["13800001234"]
    assert [item.reference for item in screen.context["recent"]] == [earlier.reference]
    form = screen.context["form"]
    resident = owner_resident(world)
    assert form.fields["caller_unit"].choices == [
        (f"{resident.pk}:{world.unit_a.pk}", "沈业主 · 海景花园 1-1-101")
    ]
    assert form["caller_unit"].value() == f"{resident.pk}:{world.unit_a.pk}"

    response = client.post(
        url,
        {
            "caller_unit": f"{resident.pk}:{world.unit_a.pk}",
            "description": "Kitchen tap is leaking\nSince last night.",
            "kind": Kind.REPAIR,
            "category": Category.ENGINEERING,
            "priority": "normal",
        },
    )
    item = FeedbackItem.objects.exclude(pk=earlier.pk).get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(item)
    assert (item.channel, item.kind, item.resident, item.unit, item.building, item.registered_by) == (
        Channel.HOTLINE,
        Kind.REPAIR,
        resident,
        world.unit_a,
        world.unit_a.building,
        world.agent_a,
    )
    assert (item.title, item.contact_phone, item.contact_name) == (
        "Kitchen tap is leaking",
        "13800001234",
        "沈业主",
    )
    page = client.get(response["Location"])
    assert f"Registered as {item.reference}." in body(page)
    assert [i.reference for i in client.get(url).context["recent"]] == [item.reference, earlier.reference]


def test_fb_1_hotline_screen_for_an_unknown_number_offers_registration(world, staff):
    client = staff(world.agent_a)
    screen = client.get(reverse("feedback:hotline"), {"phone": "139 1111 2222"})
    assert screen.context["cards"] == []
    assert screen.context["form"] is None
    assert 'data-testid="unknown-caller"' in body(screen)
    assert screen.context["register_url"] == "/feedback/new/?channel=hotline&contact_phone=13911112222"
    new = client.get(screen.context["register_url"])
    assert (new.context["form"]["channel"].value(), new.context["form"]["contact_phone"].value()) == (
        "hotline",
        "13911112222",
    )


def test_fb_1_walk_in_registration_finds_the_resident_by_phone_and_unit(world, staff):
    response = staff(world.agent_a).post(
        reverse("feedback:item_register"),
        {
            "project": world.project_a.pk,
            "channel": Channel.WALK_IN,
            "kind": Kind.COMPLAINT,
            "category": Category.CLEANING,
            "priority": "normal",
            "description": "The lobby has not been cleaned for two days.",
            "unit_label": "1-1-101",
            "contact_phone": "138-0000-1234",
        },
    )
    item = FeedbackItem.objects.get()
    assert response.status_code == 302
    assert (item.channel, item.resident, item.unit, item.contact_phone) == (
        Channel.WALK_IN,
        owner_resident(world),
        world.unit_a,
        "13800001234",
    )


def test_fb_1_registration_refuses_a_unit_of_another_project(world, staff):
    response = staff(world.agent_a).post(
        reverse("feedback:item_register"),
        {
            "project": world.project_a.pk,
            "channel": Channel.WALK_IN,
            "kind": Kind.COMPLAINT,
            "category": Category.CLEANING,
            "priority": "normal",
            "description": "x",
            "unit_label": "9-9-999",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["unit_label"] == ["No such unit in this project."]
    assert not FeedbackItem.objects.exists()


def test_cs_5_patrol_finding_goes_to_one_of_the_five_departments(world, staff):
    garden = Building.objects.get(project=world.project_a, code="G1")
    client = staff(world.supervisor_a)
    finding = {
        "project": world.project_a.pk,
        "channel": Channel.PATROL,
        "kind": Kind.REPAIR,
        "priority": "normal",
        "description": "Broken sprinkler in the central garden.",
        "building": garden.pk,
        "location_note": "by the fountain",
    }
    refused = client.post(reverse("feedback:item_register"), {**finding, "category": Category.FEES})
    assert refused.status_code == 400
    assert refused.context["form"].errors["category"] == [
        "A patrol finding goes to order, greening, cleaning, engineering or customer service."
    ]
    assert not FeedbackItem.objects.exists()

    accepted = client.post(reverse("feedback:item_register"), {**finding, "category": Category.GREENING})
    item = FeedbackItem.objects.get()
    assert accepted.status_code == 302
    assert (item.channel, item.category, item.building, item.location_note, item.resident) == (
        Channel.PATROL,
        Category.GREENING,
        garden,
        "by the fountain",
        None,
    )


# --- R-FB-2..5: the step forms move the item along ----------------------------------------------------------


def test_fb_2_step_forms_move_the_item_along_the_whole_path(world, crew, staff):
    item = register(world, kind=Kind.REPAIR, resident=owner_resident(world), unit=world.unit_a)
    agent, supervisor = staff(world.agent_a), staff(world.dept_supervisor_a)
    manager, executor = staff(world.pm_a), staff(world.executor_a)

    page = agent.get(detail_url(item))
    forms = {form.workflow_step.name: form for form in page.context["step_forms"]}
    assert list(forms) == ["contact_supervisor"]
    assert [pk for pk, _label in forms["contact_supervisor"].fields["supervisor"].choices] == [
        "",
        world.dept_supervisor_a.pk,
        world.supervisor_a.pk,
    ]
    assert f'name="version" value="{item.version}"' in body(page)
    assert 'data-testid="step-contact_supervisor"' in body(page)

    path = [
        (
            agent,
            "contact_supervisor",
            {"supervisor": world.dept_supervisor_a.pk},
            Status.SUPERVISOR_CONTACTED,
        ),
        (supervisor, "record_opinion", {"note": "Replace the tap washer."}, Status.OPINION_RECORDED),
        (manager, "arrange", {"executor": world.executor_a.pk}, Status.ARRANGED),
        (executor, "start", {}, Status.IN_PROGRESS),
        (executor, "complete", {"note": "Washer replaced."}, Status.HANDLED),
        (executor, "inform_cs", {}, Status.CS_INFORMED),
        (
            agent,
            "inform_customer",
            {"note": "Called the owner: fixed.", "how": "phone"},
            Status.CUSTOMER_INFORMED,
        ),
        (agent, "close", {}, Status.CLOSED),
    ]
    for client, step, values, status in path:
        response = post_step(client, item, step, **values)
        assert response.status_code == 302, (step, body(response)[:2000])
        item.refresh_from_db()
        assert item.status == status, step

    assert (item.supervisor, item.executor, item.handling_opinion, item.result) == (
        world.dept_supervisor_a,
        world.executor_a,
        "Replace the tap washer.",
        "Washer replaced.",
    )
    page = agent.get(detail_url(item))
    timeline = page.context["timeline"]
    assert [(row.who, row.what) for row in timeline] == [
        ("agent_a", "Registered"),
        ("agent_a", "Supervisor contacted"),
        ("dept_supervisor_a", "Record the handling opinion"),
        ("pm_a", "Arrange handling"),
        ("executor_a", "Start work"),
        ("executor_a", "Handling done"),
        ("executor_a", "Tell customer service"),
        ("agent_a", "Customer informed"),
        ("agent_a", "Close"),
    ]
    assert "Supervisor: dept_supervisor_a" in timeline[1].details
    assert "Executor: executor_a" in timeline[3].details
    assert "How: Phone call" in timeline[7].details
    assert timeline[7].message == "Called the owner: fixed."
    assert page.context["step_forms"] == []
    assert 'data-testid="no-steps"' in body(page)


def test_fb_2_a_step_without_its_note_shows_the_message_and_changes_nothing(world, crew, staff):
    item = walk(world, register(world), until="contact_supervisor")
    response = post_step(staff(world.dept_supervisor_a), item, "record_opinion", note="  ")
    assert response.status_code == 400
    assert "This field is required." in body(response)
    item.refresh_from_db()
    assert (item.status, item.handling_opinion) == (Status.SUPERVISOR_CONTACTED, "")


def test_fb_5_customer_informed_needs_what_was_said_and_how(world, crew, staff):
    item = walk(world, register(world), until="inform_cs")
    client = staff(world.agent_a)
    response = post_step(client, item, "inform_customer", note="Told the owner.")
    assert response.status_code == 400
    assert response.context["step_forms"][0].errors["how"] == ["Choose how the customer was told."]
    ok = post_step(client, item, "inform_customer", note="Told the owner.", how="sms")
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.CUSTOMER_INFORMED
    event = item.events.get(kind=EventKind.TRANSITION, data__step="inform_customer")
    assert (event.message, event.data["how"], event.is_public) == ("Told the owner.", "sms", True)


def test_workflow_a_step_the_role_may_not_take_is_forbidden(world, crew, staff):
    item = walk(world, register(world), until="record_opinion")
    assert post_step(staff(world.agent_a), item, "arrange").status_code == 403
    item.refresh_from_db()
    assert item.status == Status.OPINION_RECORDED


def test_fb_2_a_supervisor_from_outside_the_project_is_refused(world, crew, staff):
    item = register(world)
    response = post_step(staff(world.agent_a), item, "contact_supervisor", supervisor=world.outsider.pk)
    assert response.status_code == 400
    item.refresh_from_db()
    assert (item.status, item.supervisor) == (Status.REGISTERED, None)


def test_workflow_conflict_second_client_is_told_and_nothing_is_overwritten(world, crew, staff):
    item = walk(world, register(world), until="contact_supervisor")
    first, second = staff(world.dept_supervisor_a), staff(world.supervisor_a)
    seen = first.get(detail_url(item)).context["item"].version
    assert second.get(detail_url(item)).context["item"].version == seen

    won = first.post(
        detail_url(item, "step"), {"step": "record_opinion", "version": seen, "note": "Fix the riser."}
    )
    lost = second.post(
        detail_url(item, "step"), {"step": "record_opinion", "version": seen, "note": "Call the plumber."}
    )

    assert won.status_code == 302
    assert lost.status_code == 409
    page = body(lost)
    assert CONFLICT in page
    assert 'data-testid="conflict"' in page
    assert "Call the plumber." in page  # what the second user typed is still on screen
    assert lost.context["conflict"]["note"] == "Call the plumber."
    assert lost.context["item"].status == Status.OPINION_RECORDED  # the page shows the item as it is now
    item.refresh_from_db()
    assert (item.status, item.handling_opinion, item.version) == (
        Status.OPINION_RECORDED,
        "Fix the riser.",
        seen + 1,
    )
    assert item.events.filter(kind=EventKind.TRANSITION, data__step="record_opinion").count() == 1


def test_workflow_conflict_keeps_the_note_in_the_form_when_the_step_is_still_possible(world, crew, staff):
    item = register(world)
    seen = item.version
    assert post_step(staff(world.agent_a), item, "contact_supervisor").status_code == 302
    supervisor = staff(world.supervisor_a)

    lost = supervisor.post(
        detail_url(item, "step"), {"step": "cancel", "version": seen, "note": "Duplicate."}
    )

    assert lost.status_code == 409
    item.refresh_from_db()
    assert item.status == Status.SUPERVISOR_CONTACTED
    cancel = next(form for form in lost.context["step_forms"] if form.workflow_step.name == "cancel")
    assert (cancel["note"].value(), cancel["version"].value()) == ("Duplicate.", item.version)
    again = supervisor.post(
        detail_url(item, "step"), {"step": "cancel", "version": item.version, "note": "Duplicate."}
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.CANCELLED


def test_fb_4_staff_attitude_item_cannot_close_without_a_talk(world, crew, staff):
    item = walk(world, register(world, category=Category.STAFF_ATTITUDE), until="inform_customer")
    agent, supervisor = staff(world.agent_a), staff(world.supervisor_a)

    page = agent.get(detail_url(item))
    assert page.context.get("talk_form") is None  # an agent does not record talks
    refused = post_step(agent, item, "close")
    assert refused.status_code == 409
    assert "can be closed only after a talk with, or criticism of, the employee is recorded" in body(refused)
    item.refresh_from_db()
    assert item.status == Status.CUSTOMER_INFORMED

    assert supervisor.get(detail_url(item)).context["talk_form"] is not None
    talk = supervisor.post(
        detail_url(item, "staff_talk"),
        {"employee_name": "Guard Li", "kind": TalkKind.CRITICISM, "notes": "Rude at the gate; apologised."},
    )
    assert talk.status_code == 302
    assert list(StaffTalk.objects.values_list("employee_name", "kind", "recorded_by")) == [
        ("Guard Li", TalkKind.CRITICISM, world.supervisor_a.pk)
    ]
    assert post_step(agent, item, "close").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.CLOSED


def test_fb_4_an_agent_cannot_record_a_talk(world, staff):
    item = register(world, category=Category.STAFF_ATTITUDE)
    response = staff(world.agent_a).post(
        detail_url(item, "staff_talk"), {"employee_name": "x", "kind": TalkKind.TALK, "notes": "x"}
    )
    assert response.status_code == 403
    assert not StaffTalk.objects.exists()


def test_timeline_comment_is_added(world, staff):
    item = register(world)
    client = staff(world.agent_a)
    assert client.post(detail_url(item, "comment"), {"message": "  "}).status_code == 400
    assert (
        client.post(
            detail_url(item, "comment"), {"message": "Owner called again.", "is_public": "on"}
        ).status_code
        == 302
    )
    event = item.events.get(kind=EventKind.COMMENT)
    assert (event.message, event.is_public, event.actor) == ("Owner called again.", True, world.agent_a)


def test_fb_2_detail_shows_the_clocks_with_time_left_or_overdue(world, crew, staff):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world, is_quality_problem=True)
    client = staff(world.agent_a)
    with time_machine.travel(local(*TUESDAY, 10, 20), tick=False):
        clocks = {row["clock"]: row for row in client.get(detail_url(item)).context["clocks"]}
        assert clocks["contact"]["text"] == "40 min left"
        assert "action" not in clocks  # R-FB-4: not before the project manager has the handling opinion
        item = walk(world, item, until="record_opinion")
    with time_machine.travel(local(*TUESDAY, 10, 40), tick=False):
        clocks = {row["clock"]: row for row in client.get(detail_url(item)).context["clocks"]}
        assert (clocks["contact"]["text"], clocks["action"]["text"]) == ("done in time", "10 min left")
    with time_machine.travel(local(*TUESDAY, 11, 5), tick=False):
        response = client.get(detail_url(item))
        clocks = {row["clock"]: row for row in response.context["clocks"]}
        assert (clocks["arrange"]["text"], clocks["action"]["text"]) == ("overdue 15 min", "overdue 15 min")
        assert 'data-testid="clock-action"' in body(response)


# --- R-FB-8, R-FB-3 / R-IR-8 --------------------------------------------------------------------------------


def test_fb_8_execution_record_is_edited_with_bilingual_labels(world, crew, staff):
    """Each role sees the fields it writes, starting from what is stored, in R-FB-8's order: QA's opinion,
    the office's record (executor and time filled in from the workflow), QA's acceptance."""
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    with time_machine.travel(local(*TUESDAY, 15, 30), tick=False):
        item = walk(
            world, register(world, resident=owner_resident(world), unit=world.unit_a), until="complete"
        )
    pm = staff(world.pm_a)
    page = body(pm.get(detail_url(item)))
    for label in (
        "附表二",
        "品质部意见",
        "QA acceptance",
        "管理处执行记录",
        "客户验收",
        "执行时间",
        "Execution time",
    ):
        assert label in page
    form = pm.get(detail_url(item)).context["execution_form"]
    assert list(form.fields) == ["office_record", "executor_name", "executed_at"]
    assert (form["executor_name"].value(), form["executed_at"].value().strftime("%H:%M")) == (
        "executor_a",
        "15:30",
    )
    early = pm.post(detail_url(item, "execution_record"), {"office_record": "Valve replaced."})
    assert early.status_code == 409  # QA has not given its opinion yet
    assert "after the QA department has given its opinion" in body(early)
    qa_client = staff(qa)
    assert list(qa_client.get(detail_url(item)).context["execution_form"].fields) == [
        "qa_opinion",
        "qa_acceptance",
    ]
    assert (
        qa_client.post(
            detail_url(item, "execution_record"), {"qa_opinion": "Fix within the day."}
        ).status_code
        == 302
    )
    response = pm.post(
        detail_url(item, "execution_record"),
        {
            "office_record": "Valve replaced by the engineering team.",
            "executor_name": "蒋维修工",
            "executed_at": "2026-11-24T15:30",
        },
    )
    assert response.status_code == 302
    record = ExecutionRecord.objects.get(item=item)
    assert (record.qa_opinion, record.qa_opinion_by, record.office_record_by, record.executor_name) == (
        "Fix within the day.",
        qa,
        world.pm_a,
        "蒋维修工",
    )
    again = qa_client.get(detail_url(item))
    assert list(again.context["execution_form"].fields) == ["qa_acceptance"]  # the opinion is acted on
    rows = {row.name: row for row in again.context["execution_rows"]}
    assert (rows["qa_opinion"].value, rows["qa_opinion"].signed) == (
        "Fix within the day.",
        f"qa_a · {timezone.localtime(record.qa_opinion_at):%Y-%m-%d %H:%M}",
    )
    assert 'data-testid="execution-signed-qa_opinion"' in body(again)
    assert staff(world.agent_a).get(detail_url(item)).context.get("execution_form") is None
    assert (
        staff(world.agent_a).post(detail_url(item, "execution_record"), {"qa_opinion": "x"}).status_code
        == 403
    )


def test_ir_8_major_item_is_reported_to_hq_from_its_page(world, staff):
    ordinary = register(world)
    major = register(world, is_major=True, title="Lift fell two floors")
    client = staff(world.supervisor_a)
    assert client.get(detail_url(ordinary)).context["can_report_hq"] is False
    assert 'data-testid="report-hq"' in body(client.get(detail_url(major)))
    assert staff(world.agent_a).get(detail_url(major)).context["can_report_hq"] is False

    response = client.post(detail_url(major, "report_to_hq"), follow=True)
    assert response.status_code == 200
    assert "Reported to HQ as an instant report." in body(response)
    assert response.context["hq_report"]["title"] == "Lift fell two floors"
    assert 'data-testid="hq-report"' in body(response)
    major.refresh_from_db()
    assert major.reported_to_hq_at is not None
    assert client.get(detail_url(major)).context["hq_report"] is None  # shown once

    refused = client.post(detail_url(ordinary, "report_to_hq"), follow=True)
    assert "Only major or hot complaints are reported to HQ" in body(refused)


# --- the list -----------------------------------------------------------------------------------------------


def test_fb_1_list_filters_and_searches(world, crew, staff):
    garden = Building.objects.get(project=world.project_a, code="G1")
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        leak = register(world, resident=owner_resident(world), unit=world.unit_a, contact_phone="13800001234")
        patrol = register(
            world,
            channel=Channel.PATROL,
            kind=Kind.REPAIR,
            category=Category.GREENING,
            building=garden,
            title="Dead hedge",
            description="The hedge by the fountain is dead.",
        )
        other = register(
            world,
            actor=None,
            project=world.project_a2,
            channel=Channel.QR,
            contact_phone="13900000000",
            title="Noise at night",
            description="Music after 23:00.",
        )
        walk(world, leak, until="arrange")
    client = staff(world.supervisor_a)

    def refs(**params: Any) -> list[str]:
        with time_machine.travel(local(*TUESDAY, 10, 30), tick=False):
            response = client.get(reverse("feedback:item_list"), params)
        assert response.status_code == 200
        return [row[0].reference for row in response.context["rows"]]

    assert refs() == [patrol.reference, leak.reference]  # newest first; project A2 is outside the scope
    assert refs(status=Status.ARRANGED) == [leak.reference]
    assert refs(kind=Kind.REPAIR) == [patrol.reference]
    assert refs(category=Category.GREENING) == [patrol.reference]
    assert refs(channel=Channel.PATROL) == [patrol.reference]
    assert refs(project="QD-A") == [patrol.reference, leak.reference]
    assert refs(building=garden.pk) == [patrol.reference]
    assert refs(assignee=world.executor_a.pk) == [leak.reference]
    assert refs(q=leak.reference) == [leak.reference]
    assert refs(q="138 0000 1234") == [leak.reference]
    assert refs(q="hedge fountain") == [patrol.reference]
    assert refs(q="noise") == []
    assert refs(overdue="on") == []
    with time_machine.travel(local(*TUESDAY, 11, 30), tick=False):
        overdue = client.get(reverse("feedback:item_list"), {"overdue": "on"})
    assert [row[0].reference for row in overdue.context["rows"]] == [patrol.reference]  # leak was contacted
    assert 'data-overdue="1"' in body(overdue)
    assert other.reference not in body(overdue)
    assert refs(status="no-such-status") == [patrol.reference, leak.reference]  # an edited address is ignored


def test_fb_1_list_rows_show_time_left_and_overdue(world, staff):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    client = staff(world.agent_a)
    with time_machine.travel(local(*TUESDAY, 10, 15), tick=False):
        row = client.get(reverse("feedback:item_list")).context["rows"][0]
    assert (row[0].reference, row[1].text, row[1].is_overdue) == (item.reference, "45 min left", False)
    with time_machine.travel(local(*TUESDAY, 13, 0), tick=False):
        response = client.get(reverse("feedback:item_list"))
    assert (response.context["rows"][0][1].text, response.context["rows"][0][1].is_overdue) == (
        "overdue 2 h 0 min",
        True,
    )
    assert "badge--danger" in body(response)


def test_fb_1_phone_search_lists_an_item_once_when_the_resident_has_several_phones(world, staff):
    resident = owner_resident(world)
    ResidentPhone.objects.create(resident=resident, number="13800005555", last4="5555", position=1)
    item = register(world, resident=resident, unit=world.unit_a, contact_phone="13800001234")
    response = staff(world.agent_a).get(reverse("feedback:item_list"), {"q": "13800001234"})
    assert [row[0].reference for row in response.context["rows"]] == [item.reference]
    assert response.context["page"].paginator.count == 1


def test_list_uses_a_bounded_number_of_queries(world, crew, staff, django_assert_max_num_queries):
    resident = owner_resident(world)
    for number in range(60):
        register(
            world,
            resident=resident if number % 2 else None,
            unit=world.unit_a if number % 3 else None,
            title=f"Item {number}",
        )
    walk(world, FeedbackItem.objects.order_by("pk").first(), until="arrange")
    client = staff(world.supervisor_a)
    client.get(reverse("feedback:item_list"))  # warm the session
    for params in [{}, {"page": 2}, {"q": "Item", "overdue": "on", "project": "QD-A"}, {"q": "13800001234"}]:
        with django_assert_max_num_queries(10):
            response = client.get(reverse("feedback:item_list"), params)
        assert response.status_code == 200
    assert len(client.get(reverse("feedback:item_list")).context["rows"]) == 50
    assert len(client.get(reverse("feedback:item_list"), {"page": 2}).context["rows"]) == 10


def test_detail_page_uses_a_bounded_number_of_queries(world, crew, staff, django_assert_max_num_queries):
    item = walk(world, register(world, resident=owner_resident(world), unit=world.unit_a), until="complete")
    for number in range(30):
        TimelineEvent.objects.create(
            item=item,
            at=timezone.now() + timedelta(seconds=number),
            kind="comment",
            message=f"c{number}",
            actor=world.agent_a,
        )
    client = staff(world.pm_a)
    client.get(detail_url(item))
    # + looking for the item's unread notifications to mark them read (issue 11)
    with django_assert_max_num_queries(13):
        assert client.get(detail_url(item)).status_code == 200


def test_workflow_a_step_no_longer_offered_is_refused_with_a_message(world, crew, staff):
    item = walk(world, register(world), until="contact_supervisor")
    response = post_step(staff(world.agent_a), item, "contact_supervisor")
    assert response.status_code == 409
    assert "This step is not possible now." in body(response)
    item.refresh_from_db()
    assert item.status == Status.SUPERVISOR_CONTACTED


@pytest.mark.parametrize("persona", ["hq", "branch_manager"])
def test_feedback_roles_that_do_not_register_cannot_open_the_registration_pages(world, staff, persona):
    client = staff(world.users[persona])
    assert client.get(reverse("feedback:item_list")).status_code == 200
    assert client.get(reverse("feedback:item_register")).status_code == 403
    assert client.get(reverse("feedback:hotline"), {"phone": "13800001234"}).status_code == 403


def test_fb_1_list_filters_by_the_month_of_registration_in_local_time(world, crew, staff):
    """The statistics page links to the list with its month: the list must show exactly that month's items,
    with the month's bounds in Asia/Shanghai."""
    october = register(world, title="Late October", registered_at=local(2026, 10, 31, 23, 30))
    november = register(world, title="Early November", registered_at=local(2026, 11, 1, 0, 0))
    client = staff(world.supervisor_a)

    rows = client.get(reverse("feedback:item_list"), {"month": "2026-11"}).context["rows"]
    assert [item.reference for item, _ in rows] == [november.reference]
    rows = client.get(reverse("feedback:item_list"), {"month": "2026-10"}).context["rows"]
    assert [item.reference for item, _ in rows] == [october.reference]
    # a month that is not one is dropped, as every invalid filter is: the whole list, and the message
    response = client.get(reverse("feedback:item_list"), {"month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(response.context["rows"]) == 2
    assert "Enter a month as YYYY-MM" in response.content.decode()


def test_fb_1_the_list_says_more_than_the_cap_and_still_pages(world, crew, staff, monkeypatch):
    monkeypatch.setattr("estatedesk.feedback.views.LIST_COUNT_CAP", 4)
    monkeypatch.setattr("estatedesk.feedback.views.PAGE_SIZE", 2)
    for number in range(5):
        register(world, title=f"Item {number}")
    client = staff(world.supervisor_a)

    page = client.get(reverse("feedback:item_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "more than 4 items: filter to narrow them down" in page.content.decode()
    assert len(page.context["rows"]) == 2
    second = client.get(reverse("feedback:item_list"), {"page": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(second.context["rows"]) == 2


def test_fb_1_the_filter_panel_follows_the_language_and_the_chosen_values(world, crew, login):
    """The "Filters" panel is written once per language, filter values and choices
    (ItemFilterForm.fields_html): asked again in the other language or with another value, it shows that
    language and that value, never the panel of an earlier request."""
    client = login(world.supervisor_a)
    url = reverse("feedback:item_list")
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url, {"status": "registered"}).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(url, {"status": "registered"}).content.decode()
    other = client.get(url, {"status": "closed"}).content.decode()
    assert "Overdue only" in english
    assert "Overdue only" not in chinese
    assert '<option value="registered" selected>' in english
    assert '<option value="closed" selected>' in other
    assert '<option value="registered" selected>' not in other
    # a month that is not one is shown with its error, not from the panel written before
    wrong = client.get(url, {"status": "closed", "month": "2026-13"})
    assert "Enter a month as YYYY-MM" in wrong.content.decode()
