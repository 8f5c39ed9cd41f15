"""The owner's page of one request (issue 11): the steps that concern them in words and local time, the
department, the technician and the appointment; adding information or photos, chasing (催办, at most once per
FEEDBACK_CHASE_INTERVAL_HOURS, the supervisors told) and withdrawing before it is handled; the photos they
sent.
Only the owner of the request sees it: anyone else gets a 404."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from estatedesk.common.errors import DomainError
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Status
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.portal.services import feedback_item_chase, feedback_item_withdraw
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.tests.helpers import PATH, api_for, assert_error, step_data, walk
from estatedesk.notifications.models import Notification
from estatedesk.owners.models import Resident

NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def neighbour(world, django_user_model):
    """A second owner, of 1-1-102 next door, with a portal account."""
    user = django_user_model.objects.create_user(username="neighbour", password="x-pass-2026!")
    Resident.objects.filter(name="邻居").update(user=user)
    return user


@pytest.fixture
def item(crew):
    """owner_a's repair request about their own unit, raised in the portal."""
    return feedback_item_register(
        actor=crew.owner_a,
        data=ItemInput(
            project=crew.project_a,
            channel=Channel.PORTAL,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            title="",
            description="厨房水管漏水",
            resident=Resident.objects.get(user=crew.owner_a),
            unit=crew.unit_a,
        ),
    )


def english(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def page_of(item: FeedbackItem) -> str:
    return f"/f/mine/{item.reference}/"


def walk_on(world, item: FeedbackItem, step: str) -> FeedbackItem:
    """Take one more step of the R-FB path (helpers.PATH) from where the item stands."""
    _step, persona, note, data = next(entry for entry in PATH if entry[0] == step)
    return feedback_item_step(
        actor=world.users[persona],
        item=item,
        step=step,
        version=item.version,
        note=note,
        data=step_data(world, data),
    )


def photo(name: str = "leak.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- what the owner sees ---------------------------------------------------------------------------------


def test_owner_item_page_shows_the_technician_the_appointment_and_the_steps_in_local_time(world, item):
    # given the project manager arranged the technician and a visit is agreed for 15:30 Shanghai time
    with time_machine.travel(NOON, tick=False):
        item = walk(world, item, until="arrange")
    FeedbackItem.objects.filter(pk=item.pk).update(appointment_at=NOON + timedelta(hours=3, minutes=30))
    # when the owner opens the page of their request
    response = english(world.owner_a).get(page_of(item))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="technician">executor_a<' in body
    assert "2026-11-26 15:30" in body  # the appointment in local time
    registered = f"{timezone.localtime(item.registered_at):%Y-%m-%d %H:%M}"
    assert registered in body  # the steps in local time
    if item.department is not None:
        assert item.department.name in body
    progress = {milestone.name: milestone for milestone in response.context["item"].progress}
    assert [name for name, milestone in progress.items() if milestone.at] == [
        "received",
        "dispatched",
        "assigned",
        "appointment",
    ]
    assert progress["assigned"].detail == "executor_a"
    assert [step.kind for step in response.context["item"].steps] == [EventKind.REGISTERED]
    assert "dept_supervisor_a" not in body  # no other staff names


def test_owner_item_page_shows_in_progress_and_done(world, item):
    with time_machine.travel(NOON, tick=False):
        item = walk(world, item, until="start")
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        item = walk_on(world, item, "complete")
    progress = {m.name: m.at for m in english(world.owner_a).get(page_of(item)).context["item"].progress}
    assert (progress["in_progress"], progress["done"], progress["told"]) == (
        NOON,
        NOON + timedelta(hours=1),
        None,
    )


def test_my_requests_links_to_the_page_of_each_request(world, item):
    body = english(world.owner_a).get("/f/mine/").content.decode()
    assert f'href="{page_of(item)}"' in body


@pytest.mark.parametrize("persona", ["neighbour", "outsider", "agent_a"])
def test_owner_item_page_is_404_for_anyone_but_the_owner(world, item, neighbour, persona):
    client = english(neighbour if persona == "neighbour" else world.users[persona])
    assert client.get(page_of(item)).status_code == 404
    assert client.post(page_of(item), {"action": "chase"}).status_code == 404
    assert client.post(page_of(item), {"action": "withdraw"}).status_code == 404
    assert not TimelineEvent.objects.filter(
        item=item, kind__in=[EventKind.CHASED, EventKind.WITHDRAWN]
    ).exists()


def test_owner_item_page_needs_signing_in(world, item):
    response = english().get(page_of(item))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- add information or photos, and see the photos ---------------------------------------------------------


def test_owner_adds_information_and_a_photo_and_sees_the_photo_but_the_neighbour_does_not(
    world, item, neighbour
):
    client = english(world.owner_a)
    response = client.post(
        page_of(item), {"action": "add", "text": "水已经流到楼下了", "photos": [photo("kitchen.png")]}
    )
    assert response.status_code == 302
    event = TimelineEvent.objects.get(item=item, kind=EventKind.INFO_ADDED)
    assert (event.message, event.is_public, event.actor) == ("水已经流到楼下了", True, world.owner_a)
    page = client.get(page_of(item))
    attachment = item.attachments.get()
    photo_url = f"/feedback/{item.reference}/files/{attachment.pk}/"
    assert photo_url in page.content.decode()
    assert client.get(photo_url).status_code == 200
    assert english(neighbour).get(photo_url).status_code == 404


# --- chase (催办) -----------------------------------------------------------------------------------------


def test_owner_chases_once_per_interval_and_the_supervisor_sees_it(world, item):
    item = walk(world, item, until="contact_supervisor")
    client = english(world.owner_a)
    with time_machine.travel(NOON, tick=False):
        assert client.post(page_of(item), {"action": "chase"}).status_code == 302
        again = client.post(page_of(item), {"action": "chase"})
    assert again.status_code == 429
    assert "You chased this request a short while ago" in again.content.decode()
    assert TimelineEvent.objects.filter(item=item, kind=EventKind.CHASED).count() == 1
    # the assigned supervisor and the project's CS supervisor are told, and see it on the item's timeline
    told = set(Notification.objects.filter(title__contains="chased").values_list("user__username", flat=True))
    assert told == {"dept_supervisor_a", "supervisor_a"}
    staff_page = english(world.supervisor_a).get(f"/feedback/{item.reference}/").content.decode()
    assert "Chased by the customer" in staff_page
    # four hours later the owner may chase again
    with time_machine.travel(NOON + timedelta(hours=4), tick=False):
        assert client.post(page_of(item), {"action": "chase"}).status_code == 302
    assert TimelineEvent.objects.filter(item=item, kind=EventKind.CHASED).count() == 2


def test_the_chase_interval_is_a_setting(world, item, settings):
    settings.FEEDBACK_CHASE_INTERVAL_HOURS = 1
    with time_machine.travel(NOON, tick=False):
        feedback_item_chase(actor=world.owner_a, item=item)
    with time_machine.travel(NOON + timedelta(minutes=59), tick=False), pytest.raises(DomainError):
        feedback_item_chase(actor=world.owner_a, item=item)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        feedback_item_chase(actor=world.owner_a, item=item)


def test_only_the_customer_chases_and_only_while_it_is_being_handled(world, item):
    with pytest.raises(PermissionDenied):
        feedback_item_chase(actor=world.agent_a, item=item)
    item = walk(world, item, until="complete")
    with pytest.raises(DomainError) as refused:
        feedback_item_chase(actor=world.owner_a, item=item)
    assert refused.value.code == "feedback.not_chaseable"


# --- withdraw -------------------------------------------------------------------------------------------


def test_owner_withdraws_before_it_is_handled_and_the_clocks_stop(world, item):
    item = walk(world, item, until="arrange")
    assert item.escalation_due_at is not None
    response = english(world.owner_a).post(page_of(item), {"action": "withdraw", "reason": "自己修好了"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.escalation_due_at) == (Status.CANCELLED, None)
    event = TimelineEvent.objects.get(item=item, kind=EventKind.WITHDRAWN)
    assert (event.from_status, event.to_status, event.message) == ("arranged", "cancelled", "自己修好了")
    staff_page = english(world.supervisor_a).get(f"/feedback/{item.reference}/").content.decode()
    assert "Withdrawn by the customer" in staff_page
    owner_page = english(world.owner_a).get(page_of(item)).content.decode()
    assert 'data-testid="withdraw"' not in owner_page
    assert 'data-testid="chase"' not in owner_page


def test_a_handled_request_can_no_longer_be_withdrawn(world, item):
    item = walk(world, item, until="complete")
    response = english(world.owner_a).post(page_of(item), {"action": "withdraw"})
    assert response.status_code == 409
    assert "can no longer be withdrawn" in response.content.decode()
    with pytest.raises(DomainError):
        feedback_item_withdraw(actor=world.owner_a, item=item, reason="")
    item.refresh_from_db()
    assert item.status == Status.HANDLED


# --- the same through the API ----------------------------------------------------------------------------


def test_owner_chases_and_withdraws_through_the_api_with_the_same_rules(world, item, neighbour):
    owner = api_for(world.owner_a)
    chased = owner.post(f"/api/feedback/items/{item.reference}/chase/")
    assert chased.status_code == 200, chased.content
    assert_error(owner.post(f"/api/feedback/items/{item.reference}/chase/"), 429, "feedback.chased_recently")
    assert api_for(neighbour).post(f"/api/feedback/items/{item.reference}/withdrawal/").status_code == 404
    assert api_for(world.outsider).post(f"/api/feedback/items/{item.reference}/chase/").status_code == 404
    withdrawn = owner.post(f"/api/feedback/items/{item.reference}/withdrawal/", {"reason": "不需要了"})
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == Status.CANCELLED
    assert_error(
        owner.post(f"/api/feedback/items/{item.reference}/withdrawal/"), 409, "feedback.not_withdrawable"
    )


def test_owner_item_page_makes_as_many_queries_with_many_events_and_photos(world, item):
    # given a request with one added information and one photo already
    client = english(world.owner_a)
    client.post(page_of(item), {"action": "add", "text": "first words", "photos": [photo("first.png")]})

    def add_rows() -> list[str]:
        markers = []
        for number in range(4):
            text = f"more words {number}"
            feedback_item_add_information(
                actor=world.owner_a,
                item=item,
                text=text,
                via=Channel.PORTAL,
                photos=[photo(f"p{number}.png")],
            )
            markers.append(text)
        return markers

    # then the page reads the same number of queries with five of each
    assert_queries_do_not_grow(client, page_of(item), add_rows, ceiling=40)
