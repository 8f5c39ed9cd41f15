"""One hotline screen (issue 11, R-FB-1): the caller found by a full number (as a phone system passes it,
with +86 or spaces), the last four digits, a name, pinyin initials or a unit; registration from the same
screen; the caller's open items; the likely duplicate (same unit, same category, still open) with "add to
that item", which records the caller's new words on that item (feedback/additions.py); the same through the
API; and the resident's feedback history on the archive's resident page. The outsider finds nobody and adds
nothing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from estatedesk.common.errors import DomainError
from estatedesk.feedback import events
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import Category, Channel, EventKind, Status
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.tests.helpers import register
from estatedesk.notifications.models import Notification
from estatedesk.owners.models import Resident


def owner_resident(world) -> Resident:
    return Resident.objects.get(user=world.owner_a)


def leak(world, **values) -> FeedbackItem:
    """The owner's open complaint about engineering at unit 1-1-101, registered on the hotline."""
    return register(world, resident=owner_resident(world), unit=world.unit_a, **values)


def photo(name: str = "ceiling.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- the service: information added to an open item ------------------------------------------------------


def test_fb_1_agent_adds_the_callers_new_words_to_the_open_item(world):
    # given the owner's open complaint, and the CS supervisor who hears of new items
    item = leak(world)
    Notification.objects.all().delete()

    # when the owner rings again and the agent records what they add
    event = feedback_item_add_information(
        actor=world.agent_a, item=item, text="  Now it drips onto the lift button.  ", via=Channel.HOTLINE
    )

    # then one public timeline event holds the words, and nobody registered a second item
    assert (event.kind, event.message, event.actor, event.is_public) == (
        EventKind.INFO_ADDED,
        "Now it drips onto the lift button.",
        world.agent_a,
        True,
    )
    assert event.data == {"via": "hotline", "files": []}
    assert FeedbackItem.objects.count() == 1
    # and the CS supervisor (nobody is assigned yet) hears of it, with a link to the item
    assert list(Notification.objects.values_list("user__username", "title", "url")) == [
        ("supervisor_a", f"{item.reference}: the customer added information", f"/feedback/{item.reference}/")
    ]


def test_fb_1_added_information_reads_as_the_customers_words_on_both_timelines(world):
    item = leak(world)
    event = feedback_item_add_information(actor=world.agent_a, item=item, text="It got worse.", via="hotline")

    with translation.override("en"):
        staff_view = events.describe(event)
        customer_view = events.describe(event, for_customer=True)

    assert (staff_view.what, staff_view.who, staff_view.details, staff_view.message) == (
        "Information added by the customer",
        "agent_a",
        ["Via: Hotline"],
        "It got worse.",
    )
    assert (customer_view.who, customer_view.details, customer_view.message) == (
        "Customer",
        [],
        "It got worse.",
    )


def test_fb_1_assigned_supervisor_and_executor_hear_of_added_information(world, crew):
    item = leak(world)
    FeedbackItem.objects.filter(pk=item.pk).update(
        supervisor=world.dept_supervisor_a, executor=world.executor_a
    )
    item.refresh_from_db()
    Notification.objects.all().delete()

    feedback_item_add_information(actor=world.owner_a, item=item, text="Photo attached.", via=Channel.PORTAL)

    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "dept_supervisor_a",
        "executor_a",
    ]


def test_fb_1_owner_adds_photos_to_their_own_item(world):
    item = leak(world)

    event = feedback_item_add_information(
        actor=world.owner_a, item=item, text="", via=Channel.PORTAL, photos=[photo()]
    )

    assert event.data == {"via": "portal", "files": ["ceiling.png"]}
    assert list(item.attachments.values_list("name", "uploaded_by__username")) == [("ceiling.png", "owner_a")]
    with translation.override("en"):
        assert events.describe(event).details == ["Via: Owner portal", "ceiling.png"]


def test_fb_1_information_needs_words_or_photos_and_a_known_channel(world):
    item = leak(world)
    with pytest.raises(DomainError) as empty:
        feedback_item_add_information(actor=world.agent_a, item=item, text="   ", via=Channel.HOTLINE)
    with pytest.raises(DomainError) as unknown:
        feedback_item_add_information(actor=world.agent_a, item=item, text="More.", via="pigeon")

    assert (empty.value.code, list(empty.value.fields)) == ("feedback.invalid", ["text"])
    assert list(unknown.value.fields) == ["via"]
    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


def test_fb_1_a_closed_item_takes_no_more_information(world):
    item = leak(world)
    FeedbackItem.objects.filter(pk=item.pk).update(status=Status.CLOSED)
    item.refresh_from_db()

    with pytest.raises(DomainError) as closed:
        feedback_item_add_information(actor=world.agent_a, item=item, text="Again.", via=Channel.HOTLINE)

    assert (closed.value.code, closed.value.status) == ("feedback.closed", 409)
    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


@pytest.mark.parametrize("persona", ["outsider", "hq", "nobody"])
def test_fb_1_only_registering_staff_and_the_customer_add_information(world, persona):
    # given the owner's item, and people who may not register at project A (nor are its customer)
    item = leak(world)

    with pytest.raises(PermissionDenied):
        feedback_item_add_information(
            actor=world.users[persona], item=item, text="Not mine to add.", via=Channel.HOTLINE
        )

    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


def test_fb_1_another_owner_cannot_add_to_an_item_that_is_not_theirs(world, django_user_model):
    item = register(world, unit=world.unit_a_neighbour, category=Category.CLEANING)  # not the owner's item
    with pytest.raises(PermissionDenied):
        feedback_item_add_information(actor=world.owner_a, item=item, text="Me too.", via=Channel.PORTAL)
