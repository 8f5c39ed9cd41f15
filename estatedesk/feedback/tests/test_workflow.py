"""The R-FB path as one table (workflow.STEPS) that the service, the forms, the pages, the API and the
portal read; the clocks of R-FB-4 as the procedure means them; how the customer was told (R-FB-5); and the
execution record 附表二 as a sequence of sign-offs (R-FB-8)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.feedback import clocks, events, selectors
from estatedesk.feedback.choices import Category, EventKind, InformedBy, Kind, SlaClock, Status
from estatedesk.feedback.escalation import sla_sweep
from estatedesk.feedback.forms import StepForm
from estatedesk.feedback.models import Escalation, ExecutionRecord, FeedbackItem
from estatedesk.feedback.pdf import execution_record_pdf
from estatedesk.feedback.services import (
    execution_record_update,
    feedback_item_rate,
    feedback_item_step,
)
from estatedesk.feedback.tests.helpers import PATH, add_member, api_for, local, register, step_data
from estatedesk.feedback.workflow import STEPS, TALK_BEFORE_CLOSING
from estatedesk.org.choices import Role
from estatedesk.owners.models import Resident

TUESDAY = (2026, 11, 24)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def qa(world):
    return add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)


def owner_resident(world) -> Resident:
    return Resident.objects.get(user=world.owner_a)


def step(world, item: FeedbackItem, name: str, persona: str, note: str = "", **data) -> FeedbackItem:
    return feedback_item_step(
        actor=world.users[persona], item=item, step=name, version=item.version, note=note, data=data
    )


def walk(world, item: FeedbackItem, *, until: str) -> FeedbackItem:
    """The steps of helpers.PATH from where the item stands, up to and including `until`."""
    for name, persona, note, data in PATH:
        if STEPS[name].is_possible(status=item.status, kind=item.kind):
            item = feedback_item_step(
                actor=world.users[persona],
                item=item,
                step=name,
                version=item.version,
                note=note,
                data=step_data(world, data),
            )
        if name == until:
            return item
    raise AssertionError(f"no step {until}")


def api_url(item: FeedbackItem, tail: str = "") -> str:
    return f"/api/feedback/items/{item.reference}/{tail}"


def last_step_event(item: FeedbackItem):
    return item.events.filter(kind=EventKind.TRANSITION).order_by("-id").first()


# --- 1. the table: forms, pages and the API read what the service interprets -------------------------------


@pytest.mark.parametrize("name", list(STEPS))
def test_fb_the_step_form_asks_what_the_table_says(name):
    definition = STEPS[name]
    form = StepForm(step=definition, people=[(7, "someone")])
    expected = ["step", "version"]
    if definition.note is not None:
        expected.append("note")
        assert form.fields["note"].label == str(definition.note.label)
        assert form.fields["note"].required == definition.note.required
    if definition.asks_informed_by:
        expected.append("how")
        assert [value for value, _label in form.fields["how"].choices] == ["", *InformedBy.values]
    if definition.assignee is not None:
        expected.append(definition.assignee.field)
        assert list(form.fields[definition.assignee.field].choices) == [("", "—"), (7, "someone")]
    assert list(form.fields) == expected


def test_fb_the_table_names_its_real_rules():
    assert STEPS["close"].checks == (TALK_BEFORE_CLOSING,)
    assert [name for name, each in STEPS.items() if each.is_public] == [
        "inform_customer",
        "answer",
        "close",
        "reopen",
        "cancel",
    ]
    assert {name for name, each in STEPS.items() if each.asks_informed_by} == {"inform_customer", "answer"}


def test_fb_api_steps_say_what_each_step_needs(world, crew):
    item = register(world)
    agent = api_for(world.agent_a)
    listed = agent.get(api_url(item, "steps/"))
    assert listed.status_code == 200
    (contact,) = listed.json()
    assert (contact["step"], contact["note"], contact["informed_by"], contact["is_public"]) == (
        "contact_supervisor",
        None,
        [],
        False,
    )
    assignee = contact["assignee"]
    assert (assignee["key"], assignee["label"], assignee["required"]) == (
        "supervisor_id",
        "Supervisor",
        False,
    )
    assert {choice["id"] for choice in assignee["choices"]} == {
        world.supervisor_a.pk,
        world.dept_supervisor_a.pk,
    }
    item = walk(world, item, until="inform_cs")
    detail = agent.get(api_url(item)).json()
    (inform,) = detail["steps"]
    assert inform["note"] == {"label": "What the customer was told", "required": True}
    assert [choice["value"] for choice in inform["informed_by"]] == InformedBy.values
    assert inform["informed_by"][0] == {"value": "phone", "label": "Phone call"}
    assert (inform["assignee"], inform["is_public"]) == (None, True)


def test_fb_a_step_writes_only_the_data_its_table_row_knows(world, crew):
    item = register(world)
    item = step(
        world, item, "contact_supervisor", "agent_a", supervisor_id=world.dept_supervisor_a.pk, how="sms"
    )
    assert last_step_event(item).data == {
        "step": "contact_supervisor",
        "supervisor_id": world.dept_supervisor_a.pk,
    }
    assert item.informed_by == ""


# --- 4. the clocks of R-FB-4 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opinion_at", "due"),
    [
        ((11, 0), local(*TUESDAY, 11, 30)),
        ((19, 45), local(2026, 11, 25, 8, 15)),  # 15 minutes today, 15 when the centre opens tomorrow
    ],
)
def test_fb_4_quality_clock_starts_when_the_project_manager_receives_the_opinion(
    world, crew, opinion_at, due
):
    # given: a concrete quality problem registered at 10:00
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world, is_quality_problem=True)
    assert item.action_due_at is None
    with time_machine.travel(local(*TUESDAY, 10, 30), tick=False):
        item = walk(world, item, until="contact_supervisor")
    # when: the handling opinion is recorded, i.e. the project manager receives it
    with time_machine.travel(local(*TUESDAY, *opinion_at), tick=False):
        item = walk(world, item, until="record_opinion")
    # then: the action clock counts 30 working minutes from then, not from registration
    assert item.opinion_recorded_at == local(*TUESDAY, *opinion_at)
    assert item.action_due_at == due
    assert item.arrange_due_at == due  # "arrange at once": its own clock, from the same instant
    assert item.escalation_due_at == due
    assert last_step_event(item).data["started"] == [SlaClock.ARRANGE, SlaClock.ACTION]


def test_fb_4_arrange_clock_started_at_the_opinion_and_met_by_arranging(world, crew):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)  # not a quality problem: no action clock
        item = walk(world, item, until="contact_supervisor")
    with time_machine.travel(local(*TUESDAY, 11, 0), tick=False):
        item = walk(world, item, until="record_opinion")
    assert (item.arrange_due_at, item.action_due_at) == (local(*TUESDAY, 11, 30), None)
    assert item.escalation_due_at == local(*TUESDAY, 11, 30)
    with time_machine.travel(local(*TUESDAY, 11, 20), tick=False):
        item = walk(world, item, until="arrange")
    assert item.arranged_at == local(*TUESDAY, 11, 20)
    states = {
        state["clock"]: state for state in selectors.clock_states(item=item, now=local(*TUESDAY, 12, 0))
    }
    assert (states["arrange"]["met"], states["arrange"]["overdue"]) == (True, False)
    # the step stopped a clock: the sweep's next look is the earliest clock still running (resolution)
    assert item.escalation_due_at == item.resolution_due_at
    assert sla_sweep(now=local(*TUESDAY, 12, 0)) == 0
    assert not Escalation.objects.exists()


def test_fb_4_an_opinion_not_arranged_in_time_is_escalated(world, crew):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        walk(world, register(world), until="record_opinion")
    assert sla_sweep(now=local(*TUESDAY, 10, 31)) == 1
    assert list(Escalation.objects.values_list("clock", "level")) == [(SlaClock.ARRANGE, 1)]


def test_fb_4_quality_problem_acted_on_stops_the_action_clock(world, crew):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = walk(world, register(world, is_quality_problem=True), until="arrange")
    with time_machine.travel(local(*TUESDAY, 10, 20), tick=False):
        item = walk(world, item, until="start")
    assert item.acted_at == local(*TUESDAY, 10, 20)
    plain = walk(world, register(world), until="start")
    assert plain.acted_at is None  # no quality problem, no action clock to stop


def test_fb_4_reopen_restarts_resolution_and_the_escalation_cycle(world, crew):
    # given: an item closed on Tuesday, escalated to level 2 on the way
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = walk(world, register(world), until="close")
    FeedbackItem.objects.filter(pk=item.pk).update(escalation_level=2)
    item.refresh_from_db()
    old_due = item.resolution_due_at
    # when: the CS supervisor reopens it on Wednesday
    with time_machine.travel(local(2026, 11, 25, 9, 0), tick=False):
        item = step(world, item, "reopen", "supervisor_a", "The owner says it leaks again.")
        restarted_due = clocks.due_for(item, SlaClock.RESOLUTION, local(2026, 11, 25, 9, 0))
    # then
    assert item.status == Status.REGISTERED
    assert (item.resolution_due_at, item.escalation_cycle, item.escalation_level) == (restarted_due, 1, 0)
    assert restarted_due is not None
    assert restarted_due > old_due
    assert (item.customer_informed_at, item.handled_at, item.closed_at, item.informed_by) == (
        None,
        None,
        None,
        "",
    )
    assert item.escalation_due_at == restarted_due
    event = last_step_event(item)
    assert event.data["restarted"] == [SlaClock.RESOLUTION]
    assert event.data["previous"]["resolution_due_at"] == old_due.isoformat()
    assert (event.data["previous"]["escalation_cycle"], event.data["previous"]["escalation_level"]) == (0, 2)
    details = events.describe(event).details
    assert "Clocks restarted: Resolve" in details
    assert f"Before: Resolve due {old_due.astimezone(local(*TUESDAY).tzinfo):%Y-%m-%d %H:%M}" in details
    assert "Before: escalation level 2" in details


def test_fb_4_closing_or_cancelling_leaves_nothing_for_the_sweep(world, crew):
    cancelled = step(world, register(world), "cancel", "supervisor_a", "Registered twice.")
    assert cancelled.escalation_due_at is None
    closed = walk(world, register(world), until="close")
    assert closed.escalation_due_at is None


# --- R-FB-5: how the customer was told is kept on the item -------------------------------------------------


def test_fb_5_how_the_customer_was_told_is_stored_and_shown(world, crew, staff):
    item = walk(world, register(world), until="inform_cs")
    item = step(world, item, "inform_customer", "agent_a", "Texted the owner: fixed.", how=InformedBy.SMS)
    assert item.informed_by == InformedBy.SMS
    page = staff(world.agent_a).get(reverse("feedback:item_detail", args=[item.reference]))
    assert '<span data-testid="informed-by">Text message</span>' in page.content.decode()
    body = api_for(world.agent_a).get(api_url(item)).json()
    assert body["informed_by"] == "sms"


# --- R-FB-8: 附表二, a sequence of sign-offs ---------------------------------------------------------------


def test_fb_8_the_record_is_signed_in_order_by_the_roles_that_write_it(world, crew, qa):
    item = walk(world, register(world), until="complete")
    # QA's acceptance and the office's record wait for what comes before them
    with pytest.raises(DomainError) as error:
        execution_record_update(actor=qa, item=item, qa_acceptance="Checked.")
    assert (error.value.code, error.value.status, set(error.value.fields)) == (
        "feedback.record_out_of_order",
        409,
        {"qa_acceptance"},
    )
    with pytest.raises(DomainError) as error:
        execution_record_update(actor=world.pm_a, item=item, office_record="Valve replaced.")
    assert error.value.code == "feedback.record_out_of_order"
    # each part is written by its roles only
    for actor, values in (
        (world.pm_a, {"qa_opinion": "x"}),
        (world.executor_a, {"qa_opinion": "x"}),
        (qa, {"office_record": "x"}),
        (world.supervisor_a, {"qa_opinion": "x"}),  # CS writes no part of it
    ):
        with pytest.raises(PermissionDenied):
            execution_record_update(actor=actor, item=item, **values)
    with time_machine.travel(local(*TUESDAY, 9, 0), tick=False):
        execution_record_update(actor=qa, item=item, qa_opinion="Replace the valve today.")
    with time_machine.travel(local(*TUESDAY, 16, 0), tick=False):
        execution_record_update(actor=world.executor_a, item=item, office_record="Valve replaced.")
    # once the office has signed, QA's opinion no longer changes
    with pytest.raises(DomainError) as error:
        execution_record_update(actor=qa, item=item, qa_opinion="Something else.")
    assert (error.value.code, error.value.status) == ("feedback.record_signed", 409)
    with time_machine.travel(local(*TUESDAY, 17, 0), tick=False):
        execution_record_update(actor=qa, item=item, qa_acceptance="Checked, dry.")
    record = ExecutionRecord.objects.get(item=item)
    assert [
        (record.qa_opinion_by, record.qa_opinion_at),
        (record.office_record_by, record.office_record_at),
        (record.qa_acceptance_by, record.qa_acceptance_at),
    ] == [
        (qa, local(*TUESDAY, 9, 0)),
        (world.executor_a, local(*TUESDAY, 16, 0)),
        (qa, local(*TUESDAY, 17, 0)),
    ]
    changes = [e.data["changes"] for e in item.events.filter(kind=EventKind.EXECUTION_RECORD).order_by("id")]
    assert changes == [
        {"qa_opinion": ["", "Replace the valve today."]},
        {"office_record": ["", "Valve replaced."]},
        {"qa_acceptance": ["", "Checked, dry."]},
    ]


def test_fb_8_executor_and_execution_time_fill_themselves_from_the_workflow(world, crew):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = walk(world, register(world), until="arrange")
    record = ExecutionRecord.objects.get(item=item)
    assert (record.executor_name, record.executed_at) == ("executor_a", None)
    arranged = last_step_event(item)
    assert arranged.data["record"] == {"executor_name": ["", "executor_a"]}
    assert "Execution record: Executor" in events.describe(arranged).details
    with time_machine.travel(local(*TUESDAY, 15, 30), tick=False):
        item = walk(world, item, until="complete")
    record.refresh_from_db()
    assert record.executed_at == local(*TUESDAY, 15, 30)
    assert (record.office_record_by, record.office_record_at) == (None, None)  # filled in, not signed


def test_fb_8_what_the_office_typed_is_not_overwritten_by_the_workflow(world, crew, qa):
    item = walk(world, register(world), until="record_opinion")
    execution_record_update(actor=qa, item=item, qa_opinion="Replace the valve.")
    execution_record_update(actor=world.pm_a, item=item, executor_name="王师傅")
    item = walk(world, item, until="arrange")
    assert ExecutionRecord.objects.get(item=item).executor_name == "王师傅"
    assert "record" not in last_step_event(item).data


def test_fb_8_customer_acceptance_comes_from_the_rating_not_from_staff(world, crew, qa):
    item = walk(world, register(world, resident=owner_resident(world)), until="inform_customer")
    with pytest.raises(DomainError) as error:
        execution_record_update(actor=qa, item=item, customer_acceptance="Owner satisfied.")
    assert (error.value.code, set(error.value.fields)) == (
        "feedback.customer_acceptance",
        {"customer_acceptance"},
    )
    with time_machine.travel(local(*TUESDAY, 18, 0), tick=False):
        feedback_item_rate(actor=world.owner_a, item=item, rating="B", comment="修得还行")
    record = ExecutionRecord.objects.get(item=item)
    # in the company's language, as the printed form is filled in
    assert (record.customer_acceptance, record.customer_acceptance_at) == (
        "B · 较满意 · 修得还行",
        local(*TUESDAY, 18, 0),
    )
    rating = item.events.get(kind=EventKind.RATING)
    assert rating.data["record"] == {"customer_acceptance": ["", "B · 较满意 · 修得还行"]}
    # a whole record sent back with customer acceptance as stored changes nothing of it
    execution_record_update(
        actor=qa, item=item, qa_opinion="Fine.", customer_acceptance=record.customer_acceptance
    )
    record.refresh_from_db()
    assert record.customer_acceptance == "B · 较满意 · 修得还行"


def test_fb_8_the_page_and_the_pdf_show_the_same_record(world, crew, qa, staff, tmp_path):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = walk(
            world, register(world, resident=owner_resident(world), unit=world.unit_a), until="complete"
        )
        execution_record_update(actor=qa, item=item, qa_opinion="更换阀门")
        execution_record_update(actor=world.pm_a, item=item, office_record="阀门已更换")
    page = staff(world.pm_a).get(reverse("feedback:item_detail", args=[item.reference]))
    rows = page.context["execution_rows"]
    assert rows == selectors.execution_record_rows(item=item)
    values = {row.name: row.value for row in rows}
    assert (values["executor_name"], values["executed_at"]) == ("executor_a", "2026-11-24 10:00")
    assert {row.name: row.signed for row in rows if row.signed} == {
        "qa_opinion": "qa_a · 2026-11-24 10:00",
        "office_record": "pm_a · 2026-11-24 10:00",
    }
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (scripts/system-deps.sh)"
    path = tmp_path / "record.pdf"
    path.write_bytes(execution_record_pdf(item=item))
    text = "".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    for row in rows:
        assert "".join(row.value.split()) in text, row.name
        assert "".join(row.signed.split()) in text, row.name


def test_fb_8_the_form_shows_only_what_the_role_writes(world, crew, qa, staff):
    item = walk(world, register(world), until="complete")
    url = reverse("feedback:item_detail", args=[item.reference])
    forms = {
        persona: staff(world.users[persona]).get(url).context.get("execution_form")
        for persona in ("qa_a", "pm_a", "dept_supervisor_a", "executor_a", "supervisor_a", "agent_a")
    }
    assert {persona: list(form.fields) if form else None for persona, form in forms.items()} == {
        "qa_a": ["qa_opinion", "qa_acceptance"],
        "pm_a": ["office_record", "executor_name", "executed_at"],
        "dept_supervisor_a": ["office_record", "executor_name", "executed_at"],
        "executor_a": ["office_record", "executor_name", "executed_at"],
        "supervisor_a": None,
        "agent_a": None,
    }
    assert forms["pm_a"]["executor_name"].value() == "executor_a"  # starts from what is stored


# --- the owner portal reads the same table ------------------------------------------------------------------


def test_fb_5_owner_rates_once_told_and_not_after_a_reopening(world, crew, login):
    item = walk(
        world, register(world, resident=owner_resident(world), kind=Kind.REPAIR), until="inform_customer"
    )
    client = login(world.owner_a)
    client.cookies["django_language"] = "en"
    assert 'data-testid="rate-link"' in client.get("/f/mine/").content.decode()
    step(world, item, "reopen", "supervisor_a", "It leaks again.")
    assert 'data-testid="rate-link"' not in client.get("/f/mine/").content.decode()
    item.refresh_from_db()
    with pytest.raises(DomainError) as error:
        feedback_item_rate(actor=world.owner_a, item=item, rating="A")
    assert error.value.code == "feedback.not_done"


def test_fb_4_staff_attitude_close_waits_for_the_talk(world, crew):
    item = walk(world, register(world, category=Category.STAFF_ATTITUDE), until="inform_customer")
    with pytest.raises(DomainError) as error:
        step(world, item, "close", "agent_a")
    assert (error.value.code, error.value.status) == (TALK_BEFORE_CLOSING.code, 409)
