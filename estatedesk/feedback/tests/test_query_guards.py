"""Query guards of customer feedback's list pages (staff and owner portal), list APIs and admin lists
(issue 5, item 7): each makes as many queries with many rows as with a few
(estatedesk.common.testing.assert_queries_do_not_grow).

The few rows are two items (or events, callers, buildings) with each kind of related object the list
shows; each test then adds many more, spread over buildings, units, residents, assignees and actors."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.choices import Category, Channel, Kind, Priority, TalkKind
from estatedesk.feedback.models import Attachment, FeedbackItem, InboundMessage, Mailbox, SlaPolicy
from estatedesk.feedback.services import feedback_comment_add, staff_talk_record
from estatedesk.feedback.tests.helpers import add_member, register, walk
from estatedesk.org.choices import BuildingKind, Role
from estatedesk.org.models import Branch, Building, Project, Unit
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident, ResidentPhone

ROWS = 20
OWNER_PHONE = "13800001234"  # owner_a's phone on file (estatedesk/conftest.py)
KINDS = [Kind.COMPLAINT, Kind.REPAIR, Kind.SUGGESTION, Kind.INQUIRY]
CHANNELS = [Channel.HOTLINE, Channel.WALK_IN, Channel.PATROL, Channel.CLIENT_VISIT]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def api_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def owner(world) -> Resident:
    return Resident.objects.get(user=world.owner_a)


def refs(items: list[FeedbackItem]) -> list[str]:
    return [f'"{item.reference}"' for item in items]


def resident_in(project: Project, n: int, *, phone: str = "") -> tuple[Resident, Unit]:
    """A resident (with a phone) of a new unit in one of three new buildings of `project`."""
    building, _ = Building.objects.get_or_create(
        project=project, code=f"GB{n % 3}", defaults={"name": f"Guard building {n % 3}"}
    )
    unit = Unit.objects.create(
        project=project,
        building=building,
        entrance="1",
        floor=n + 1,
        number=f"{n + 1}01",
        label=f"GB{n % 3}-1-{n + 1}01",
    )
    resident = Resident.objects.create(name=f"Guard resident {n:02d}")
    number = phone or f"136{n:04d}5555"
    ResidentPhone.objects.create(resident=resident, number=number, last4=number[-4:])
    Occupancy.objects.create(resident=resident, unit=unit, relation=Relation.OWNER)
    return resident, unit


def assignees(world, count: int = 4) -> list[tuple[Any, Any]]:
    """(department supervisor, executor) pairs of project A, new users each."""
    return [
        (
            add_member(world, f"guard_supervisor_{n}", Role.DEPT_SUPERVISOR, project=world.project_a),
            add_member(world, f"guard_executor_{n}", Role.EXECUTOR, project=world.project_a),
        )
        for n in range(count)
    ]


def add_items(world, count: int = ROWS, *, first: int = 0, **values: Any) -> list[FeedbackItem]:
    """`count` items of project A, each about a unit of a new resident, or a common area, or nothing in
    particular; every kind and staff channel; assigned to one of several supervisors and executors."""
    people = assignees(world) if first == 0 else [(None, None)]
    area = Building.objects.filter(project=world.project_a, kind=BuildingKind.AREA).first()
    items = []
    for n in range(first, first + count):
        where: dict[str, Any] = {}
        if n % 3 == 0:
            resident, unit = resident_in(world.project_a, n)
            where = {"resident": resident, "unit": unit, "contact_phone": OWNER_PHONE}
        elif n % 3 == 1:
            where = {"building": area, "contact_phone": OWNER_PHONE}
        else:
            where = {"resident": owner(world), "unit": world.unit_a}
        item = register(
            world,
            kind=KINDS[n % len(KINDS)],
            channel=CHANNELS[n % len(CHANNELS)],
            title=f"Guard item {n:02d}",
            is_major=n % 5 == 0,
            **where,
            **values,
        )
        supervisor, executor = people[n % len(people)]
        FeedbackItem.objects.filter(pk=item.pk).update(supervisor=supervisor, executor=executor)
        items.append(item)
    return items


def baseline_items(world, title: str = "Water leaking in the stairwell") -> list[FeedbackItem]:
    """Two items: one of the owner's unit walked to "arrange" (a supervisor and an executor), and one of
    the central garden from an unknown caller."""
    first = walk(
        world,
        register(world, resident=owner(world), unit=world.unit_a, contact_phone=OWNER_PHONE, title=title),
        until="arrange",
    )
    second = register(
        world,
        title=title,
        building=Building.objects.get(project=world.project_a, code="G1"),
        contact_phone=OWNER_PHONE,
        channel=Channel.WALK_IN,
        kind=Kind.REPAIR,
    )
    return [first, second]


# --- the staff pages --------------------------------------------------------------------------------------


def test_item_list_queries_do_not_grow_with_rows(world, crew, login):
    baseline_items(world)
    assert_queries_do_not_grow(
        login(world.supervisor_a),
        reverse("feedback:item_list"),
        lambda: [f"data-reference={ref}" for ref in refs(add_items(world))],
        ceiling=15,
    )


def test_item_search_by_phone_queries_do_not_grow_with_rows(world, crew, login):
    baseline_items(world)
    assert_queries_do_not_grow(
        login(world.agent_a),
        reverse("feedback:item_list") + f"?q={OWNER_PHONE}",
        lambda: [f"data-reference={ref}" for ref in refs(add_items(world))],
        ceiling=15,
    )


def test_item_search_by_words_and_filters_queries_do_not_grow_with_rows(world, crew, login):
    baseline_items(world, title="Guard item on file")
    assert_queries_do_not_grow(
        login(world.pm_a),
        reverse("feedback:item_list") + "?q=Guard+item&project=QD-A&open_only=on",
        lambda: [f"data-reference={ref}" for ref in refs(add_items(world))],
        ceiling=14,
    )


def test_item_detail_timeline_queries_do_not_grow_with_rows(world, crew, login):
    item = walk(world, register(world, category=Category.STAFF_ATTITUDE), until="complete")
    Attachment.objects.create(
        item=item, file="feedback/first.png", name="first.png", uploaded_by=world.agent_a
    )
    staff_talk_record(
        actor=world.pm_a, item=item, employee_name="Guard A", kind=TalkKind.TALK, notes="first talk"
    )
    people = [world.agent_a, world.supervisor_a, world.pm_a, world.dept_supervisor_a, world.executor_a]
    talkers = [world.pm_a, world.supervisor_a, world.dept_supervisor_a]

    def add_rows():
        markers = []
        for n in range(ROWS):
            actor = people[n % len(people)]
            markers.append(
                feedback_comment_add(
                    actor=actor, item=item, message=f"Guard comment {n:02d}", is_public=n % 2 == 0
                ).message
            )
        for n in range(5):
            staff_talk_record(
                actor=talkers[n % 3],
                item=item,
                employee_name=f"Guard employee {n}",
                kind=TalkKind.CRITICISM,
                notes=f"talk {n}",
            )
            uploader = people[n % len(people)] if n % 2 else None
            Attachment.objects.create(
                item=item, file=f"feedback/p{n}.png", name=f"guard-photo-{n}.png", uploaded_by=uploader
            )
            markers += [f"Guard employee {n}", f"guard-photo-{n}.png"]
        return markers

    assert_queries_do_not_grow(
        login(world.pm_a), reverse("feedback:item_detail", args=[item.reference]), add_rows, ceiling=14
    )


def test_item_detail_assignee_pickers_queries_do_not_grow_with_rows(world, crew, login):
    """The people a step form offers (here: whom the project manager may arrange the work with)."""
    item = walk(world, register(world), until="record_opinion")

    def add_rows():
        names = []
        for n in range(ROWS):
            role = Role.EXECUTOR if n % 2 else Role.DEPT_SUPERVISOR
            where = [{"project": world.project_a}, {"branch": world.branch_a}, {}][n % 3]
            level = "project" if "project" in where else "branch" if "branch" in where else "company"
            user = get_user_model().objects.create_user(username=f"guard_worker_{n:02d}")
            user.memberships.create(role=role, level=level, company=world.company, **where)
            names.append(f"guard_worker_{n:02d} · ")
        return names

    assert_queries_do_not_grow(
        login(world.pm_a), reverse("feedback:item_detail", args=[item.reference]), add_rows, ceiling=14
    )


def test_hotline_callers_and_history_queries_do_not_grow_with_rows(world, crew, login):
    # the owner and a household member share the landline; each has called before
    _, unit = resident_in(world.project_a, 90, phone=OWNER_PHONE)
    register(world, resident=owner(world), unit=world.unit_a, contact_phone=OWNER_PHONE)
    register(world, unit=unit, contact_phone=OWNER_PHONE, title="From the landline")

    def add_rows():
        # eight more people on the same number, and eight more calls (the history shows the last ten)
        callers = [resident_in(world.project_a, n, phone=OWNER_PHONE)[0] for n in range(8)]
        items = [
            register(world, resident=caller, contact_phone=OWNER_PHONE, title=f"Guard call {n}")
            for n, caller in enumerate(callers)
        ]
        return [caller.name for caller in callers] + [item.reference for item in items]

    assert_queries_do_not_grow(
        login(world.agent_a), reverse("feedback:hotline") + f"?phone={OWNER_PHONE}", add_rows, ceiling=13
    )


def test_register_form_building_picker_queries_do_not_grow_with_rows(world, login):
    def add_rows():
        return [
            Building.objects.create(
                project=world.project_a,
                code=f"GB{n:02d}",
                name=f"Guard building {n:02d}",
                kind=BuildingKind.AREA if n % 2 else BuildingKind.BUILDING,
            ).name
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(login(world.pm_a), reverse("feedback:item_register"), add_rows, ceiling=10)


# --- the owner portal -------------------------------------------------------------------------------------


def portal_item(world, n: int, unit: Unit, *, kind: str = "") -> FeedbackItem:
    from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register

    return feedback_item_register(
        actor=world.owner_a,
        data=ItemInput(
            project=unit.project,
            channel=Channel.PORTAL,
            kind=kind or KINDS[n % len(KINDS)],
            category=Category.ENGINEERING,
            title=f"Guard request {n:02d}",
            description="The lift is stuck.",
            resident=owner(world),
            unit=unit,
        ),
    )


def test_portal_my_requests_queries_do_not_grow_with_rows(world, crew, login):
    first = portal_item(world, 90, world.unit_a)
    feedback_comment_add(actor=world.agent_a, item=first, message="On our way", is_public=True)
    Attachment.objects.create(item=first, file="feedback/first.png", name="first.png")
    walk(world, portal_item(world, 91, world.unit_a, kind=Kind.REPAIR), until="close")

    def add_rows():
        items = []
        for n in range(18):  # twenty on the page in all
            item = portal_item(world, n, world.unit_a)
            if n % 2:
                feedback_comment_add(
                    actor=world.agent_a, item=item, message=f"Guard note {n}", is_public=True
                )
                feedback_comment_add(actor=world.pm_a, item=item, message="internal", is_public=False)
            if n % 3 == 0:
                Attachment.objects.create(item=item, file=f"feedback/p{n}.png", name=f"p{n}.png")
            items.append(item)
        return [f'data-reference="{item.reference}"' for item in items]

    assert_queries_do_not_grow(login(world.owner_a), reverse("feedback_portal:mine"), add_rows, ceiling=15)


def test_portal_report_form_unit_picker_queries_do_not_grow_with_rows(world, login):
    def add_rows():
        labels = []
        for n in range(ROWS // 2):
            project = world.project_a if n % 2 else world.project_a2
            building, _ = Building.objects.get_or_create(
                project=project, code=f"GB{n % 3}", defaults={"name": "G"}
            )
            unit = Unit.objects.create(
                project=project,
                building=building,
                floor=n + 1,
                number=f"{n + 1}01",
                label=f"GB{n % 3}-1-{n + 1}01",
            )
            Occupancy.objects.create(resident=owner(world), unit=unit, relation=Relation.OWNER)
            labels.append(f"{project.name} · {unit.label}")
        return labels

    assert_queries_do_not_grow(login(world.owner_a), reverse("feedback_portal:new"), add_rows, ceiling=14)


def test_qr_sheet_queries_do_not_grow_with_rows(world, login):
    def add_rows():
        return [
            'data-building-code="{}"'.format(
                Building.objects.create(
                    project=world.project_a,
                    code=f"GB{n:02d}",
                    name=f"Guard building {n:02d}",
                    kind=BuildingKind.AREA if n % 2 else BuildingKind.BUILDING,
                ).code
            )
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(
        login(world.agent_a), reverse("feedback_portal:qr_sheet", args=["QD-A"]), add_rows, ceiling=10
    )


# --- API --------------------------------------------------------------------------------------------------


def test_item_list_api_queries_do_not_grow_with_rows(world, crew):
    baseline_items(world)
    assert_queries_do_not_grow(
        api_for(world.supervisor_a), "/api/feedback/items/", lambda: refs(add_items(world)), ceiling=9
    )


def test_item_search_api_queries_do_not_grow_with_rows(world, crew):
    baseline_items(world)
    assert_queries_do_not_grow(
        api_for(world.agent_a),
        f"/api/feedback/items/?search={OWNER_PHONE}&open=true",
        lambda: refs(add_items(world)),
        ceiling=9,
    )


def test_item_list_api_for_the_customer_queries_do_not_grow_with_rows(world, crew):
    portal_item(world, 90, world.unit_a)
    walk(world, portal_item(world, 91, world.unit_a, kind=Kind.REPAIR), until="arrange")
    assert_queries_do_not_grow(
        api_for(world.owner_a),
        "/api/feedback/items/",
        lambda: refs([portal_item(world, n, world.unit_a) for n in range(ROWS)]),
        ceiling=10,
    )


def test_item_detail_api_timeline_queries_do_not_grow_with_rows(world, crew):
    item = walk(world, register(world, resident=owner(world), unit=world.unit_a), until="arrange")
    people = [world.agent_a, world.supervisor_a, world.pm_a, world.dept_supervisor_a, world.executor_a]

    def add_rows():
        return [
            feedback_comment_add(
                actor=people[n % len(people)],
                item=item,
                message=f"Guard comment {n:02d}",
                is_public=n % 2 == 0,
            ).message
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(
        api_for(world.pm_a), f"/api/feedback/items/{item.reference}/", add_rows, ceiling=9
    )


# --- the admin's lists ------------------------------------------------------------------------------------


def test_admin_feedback_item_list_queries_do_not_grow_with_rows(world, crew, login):
    baseline_items(world)
    assert_queries_do_not_grow(
        login(world.sysadmin),
        reverse("admin:feedback_feedbackitem_changelist"),
        lambda: [item.reference for item in add_items(world)],
        ceiling=12,
    )


def mailbox_of(project: Project) -> Mailbox:
    return Mailbox.objects.create(
        project=project, host="127.0.0.1", username=f"{project.code.lower()}-box", password="secret"
    )


def test_admin_mailbox_messages_queries_do_not_grow_with_rows(world, crew, login):
    """The messages fetched from the complaint mailboxes, with what each became."""
    boxes = [mailbox_of(world.project_a), mailbox_of(world.project_a2)]
    items = baseline_items(world)
    outcomes = list(InboundMessage.Outcome)

    def message(n: int, item: FeedbackItem | None) -> str:
        return InboundMessage.objects.create(
            mailbox=boxes[n % 2],
            message_id=f"<guard-{n:02d}@mail.invalid>",
            sender=f"sender{n}@mail.invalid",
            subject=f"Guard subject {n:02d}",
            outcome=outcomes[n % len(outcomes)],
            item=item,
        ).subject

    message(90, items[0])
    message(91, None)

    def add_rows():
        new_items = add_items(world, 10)
        return [message(n, new_items[n // 2] if n % 2 else None) for n in range(ROWS)]

    assert_queries_do_not_grow(
        login(world.sysadmin), reverse("admin:feedback_inboundmessage_changelist"), add_rows, ceiling=12
    )


def test_admin_mailbox_list_queries_do_not_grow_with_rows(world, login):
    mailbox_of(world.project_a)
    mailbox_of(world.project_b)

    def add_rows():
        boxes = []
        for n in range(ROWS):
            branch = Branch.objects.create(
                company=world.company, code=f"GB-{n:02d}", name=f"Guard branch {n:02d}"
            )
            project = Project.objects.create(branch=branch, code=f"GP-{n:02d}", name=f"Guard project {n:02d}")
            boxes.append(str(mailbox_of(project)))
        return boxes

    assert_queries_do_not_grow(
        login(world.sysadmin), reverse("admin:feedback_mailbox_changelist"), add_rows, ceiling=11
    )


def test_admin_sla_policy_list_queries_do_not_grow_with_rows(world, login):
    for clock, minutes in (("contact", 60), ("action", 30)):
        SlaPolicy.objects.create(company=world.company, clock=clock, minutes=minutes)

    def add_rows():
        markers = []
        for n, (kind, category) in enumerate(
            (kind, category) for kind in Kind.values for category in Category.values
        ):
            if n == ROWS:
                break
            SlaPolicy.objects.create(
                company=world.company,
                clock="resolution",
                kind=kind,
                category=category,
                priority=Priority.URGENT,
                minutes=1000 + n,
            )
            markers.append(f">{1000 + n}<")
        return markers

    assert_queries_do_not_grow(
        login(world.sysadmin), reverse("admin:feedback_slapolicy_changelist"), add_rows, ceiling=12
    )
