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
from rest_framework.test import APIClient

from estatedesk.common.errors import DomainError
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback import events
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import Category, Channel, EventKind, Status
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.tests.helpers import api_for, assert_error, register
from estatedesk.notifications.models import Notification
from estatedesk.org.models import Unit
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
    with translation.override("en"):
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


# --- the API: POST /api/feedback/items/<ref>/information/ -------------------------------------------------


def information_url(item: FeedbackItem) -> str:
    return f"/api/feedback/items/{item.reference}/information/"


def test_fb_1_api_agent_adds_the_callers_information(world):
    item = leak(world)

    response = api_for(world.agent_a).post(
        information_url(item), {"text": "The stain is spreading."}, format="json"
    )

    assert response.status_code == 201
    assert (response.data["kind"], response.data["message"], response.data["data"]) == (
        "info_added",
        "The stain is spreading.",
        {"via": "hotline", "files": []},
    )
    assert response.data["actor"]["id"] == world.agent_a.pk


def test_fb_1_api_owner_adds_a_photo_to_their_own_item_and_sees_the_customers_view(world):
    item = leak(world)

    response = api_for(world.owner_a).post(
        information_url(item), {"text": "Here it is.", "photos": [photo()]}, format="multipart"
    )

    assert response.status_code == 201
    assert (response.data["message"], response.data["actor"], response.data["data"]) == (
        "Here it is.",
        None,
        {},
    )
    assert TimelineEvent.objects.get(kind=EventKind.INFO_ADDED).data == {
        "via": "portal",
        "files": ["ceiling.png"],
    }


def test_fb_1_api_information_on_a_closed_item_is_a_conflict_and_empty_text_a_field_error(world):
    item = leak(world)
    client = api_for(world.agent_a)
    assert_error(client.post(information_url(item), {"text": " "}, format="json"), 400, "feedback.invalid")
    FeedbackItem.objects.filter(pk=item.pk).update(status=Status.CLOSED)
    assert_error(client.post(information_url(item), {"text": "More."}, format="json"), 409, "feedback.closed")


def test_fb_1_api_outsider_cannot_add_information_and_learns_nothing(world):
    item = leak(world)

    for client in (api_for(world.outsider), api_for(world.nobody)):
        assert_error(client.post(information_url(item), {"text": "x"}, format="json"), 404, "not_found")
    assert_error(
        APIClient().post(information_url(item), {"text": "x"}, format="json"), 401, "not_authenticated"
    )
    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


# --- the screen: finding the caller -------------------------------------------------------------------------

HOTLINE = "/feedback/hotline/"


def body(response) -> str:
    return response.content.decode()


def caller_names(response) -> list[str]:
    return [card["resident"].name for card in response.context["cards"]]


@pytest.mark.parametrize(
    "query",
    ["1234", "沈业主", "沈", "syz", "1-1-101", "13800001234", "+86 138 0000 1234", "138-0000-1234"],
)
def test_fb_1_hotline_finds_the_caller_by_any_of_what_an_agent_types(world, staff, query):
    # given the owner of 1-1-101 (沈业主, 13800001234) on file at project A
    client = staff(world.agent_a)

    # when the agent types the last four digits, the name, its start, pinyin initials, the unit or the number
    screen = client.get(HOTLINE, {"q": query})

    # then the only match is the caller, with the short form for their unit
    assert screen.status_code == 200
    assert caller_names(screen) == ["沈业主"]
    resident = owner_resident(world)
    assert screen.context["form"].fields["caller_unit"].choices == [
        (f"{resident.pk}:{world.unit_a.pk}", "沈业主 · 海景花园 1-1-101")
    ]


def test_fb_1_phone_system_pops_the_screen_with_the_number(world, staff):
    screen = staff(world.agent_a).get(HOTLINE, {"phone": "+8613800001234"})
    assert caller_names(screen) == ["沈业主"]
    assert screen.context["form"] is not None


def test_fb_1_several_matches_are_listed_to_pick_from_and_the_pick_opens_the_form(world, staff):
    # given a second resident of project A whose number also ends in 1234
    other = Resident.objects.create(name="沈二", name_initials="se")
    other.phones.create(number="13900001234", last4="1234")
    other.occupancies.create(unit=world.unit_a_neighbour, relation="owner")
    client = staff(world.agent_a)

    # when the agent types the last four digits
    screen = client.get(HOTLINE, {"q": "1234"})

    # then both are listed to pick from, and no form is shown until the agent picks
    assert [card["resident"].name for card in screen.context["results"]] == ["沈业主", "沈二"]
    assert (screen.context["cards"], screen.context["form"]) == ([], None)
    assert body(screen).count('data-testid="hotline-result"') == 2
    picked = client.get(HOTLINE + screen.context["results"][1]["pick_url"])
    assert caller_names(picked) == ["沈二"]
    assert picked.context["form"].fields["caller_unit"].choices == [
        (f"{other.pk}:{world.unit_a_neighbour.pk}", "沈二 · 海景花园 1-1-102")
    ]


def test_fb_1_live_search_answers_with_the_results_part_only(world, staff):
    screen = staff(world.agent_a).get(HOTLINE, {"q": "1234"}, HTTP_HX_REQUEST="true")
    assert screen.status_code == 200
    assert "<html" not in body(screen)
    assert 'data-testid="hotline-form"' in body(screen)
    assert "autofocus" not in body(screen)  # the cursor stays in the search box while the agent types


def test_fb_1_done_when_the_hotline_finds_a_caller_by_the_last_four_digits_and_registers_an_item(
    world, staff
):
    # given the screen found the owner by the last four digits of their number
    client = staff(world.agent_a)
    screen = client.get(HOTLINE, {"q": "1234"})
    resident = owner_resident(world)

    # when the agent types what the caller says and registers from the same page (the defaults kept)
    response = client.post(
        HOTLINE + "?q=1234",
        {
            "form_token": screen.context["form"]["form_token"].value(),
            "caller_unit": f"{resident.pk}:{world.unit_a.pk}",
            "description": "Kitchen tap is leaking",
            "kind": "repair",
            "category": "engineering",
            "priority": "normal",
        },
    )

    # then the item is registered for the caller and their unit, with the number they ring from
    item = FeedbackItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/{item.reference}/"
    assert (item.channel, item.resident, item.unit, item.contact_phone, item.registered_by) == (
        Channel.HOTLINE,
        resident,
        world.unit_a,
        "13800001234",
        world.agent_a,
    )
    assert f"Registered as {item.reference}." in body(client.get(response["Location"]))


def test_fb_1_a_hotline_form_posted_twice_registers_and_tells_once(world, staff):
    # given the screen for the owner's number, with its one-time token
    client = staff(world.agent_a)
    screen = client.get(HOTLINE, {"phone": "13800001234"})
    resident = owner_resident(world)
    form = {
        "form_token": screen.context["form"]["form_token"].value(),
        "caller_unit": f"{resident.pk}:{world.unit_a.pk}",
        "description": "Kitchen tap is leaking",
        "kind": "repair",
        "category": "engineering",
        "priority": "normal",
    }
    Notification.objects.all().delete()

    # when the agent's double click posts the form twice
    first = client.post(HOTLINE + "?phone=13800001234", form)
    second = client.post(HOTLINE + "?phone=13800001234", form)

    # then both lead to the one item, whose registration was written and told once (the second attempt,
    # refused by the token's unique key, rolled back before telling anyone)
    item = FeedbackItem.objects.get()
    assert first["Location"] == second["Location"] == f"/feedback/{item.reference}/"
    assert TimelineEvent.objects.filter(item=item, kind=EventKind.REGISTERED).count() == 1
    assert Notification.objects.filter(user__username="supervisor_a").count() == 1
    # and the day's numbering lost nothing to the refused attempt
    fresh = client.get(HOTLINE, {"phone": "13800001234"}).context["form"]["form_token"].value()
    client.post(HOTLINE + "?phone=13800001234", {**form, "form_token": fresh, "category": "cleaning"})
    references = sorted(FeedbackItem.objects.values_list("reference", flat=True))
    assert [reference[-4:] for reference in references] == ["0001", "0002"]


def test_fb_1_hotline_shows_the_callers_open_items(world, staff):
    earlier = leak(world, title="Leak in the stairwell")
    screen = staff(world.agent_a).get(HOTLINE, {"q": "syz"})
    assert [item.reference for item in screen.context["recent"]] == [earlier.reference]
    assert "data-open" in body(screen)


# --- the likely duplicate and "add to that item" ----------------------------------------------------------


def test_fb_1_hotline_warns_of_an_open_item_of_the_same_unit_and_category(world, staff):
    # given the owner's open complaint about engineering at 1-1-101, and a closed one about cleaning
    item = leak(world)
    closed = leak(world, category=Category.CLEANING, title="Rubbish")
    FeedbackItem.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    client = staff(world.agent_a)
    resident = owner_resident(world)

    # when the screen opens with the default category (engineering)
    screen = client.get(HOTLINE, {"q": "1234"})

    # then the form warns of that item, with a button to add to it
    assert screen.context["duplicates"] == [item]
    assert 'data-testid="duplicate-warning"' in body(screen)
    assert f'name="add_to" value="{item.reference}"' in body(screen)

    # and as the agent picks another category the warning follows (htmx), closed items never count
    fragment = "/feedback/hotline/duplicates/"
    caller_unit = f"{resident.pk}:{world.unit_a.pk}"
    same = client.get(fragment, {"caller_unit": caller_unit, "category": "engineering"})
    cleaning = client.get(fragment, {"caller_unit": caller_unit, "category": "cleaning"})
    assert list(same.context["duplicates"]) == [item]
    assert 'data-testid="add-to-item"' in body(same)
    assert (list(cleaning.context["duplicates"]), body(cleaning).strip()) == ([], "")


def test_fb_1_add_to_that_item_records_the_callers_words_instead_of_a_new_item(world, staff):
    # given the warning about the owner's open item
    item = leak(world)
    client = staff(world.agent_a)
    resident = owner_resident(world)
    screen = client.get(HOTLINE, {"q": "1234"})

    # when the agent clicks "add to that item" with what the caller says
    response = client.post(
        HOTLINE + "?q=1234",
        {
            "form_token": screen.context["form"]["form_token"].value(),
            "caller_unit": f"{resident.pk}:{world.unit_a.pk}",
            "description": "It is dripping faster now.",
            "kind": "complaint",
            "category": "engineering",
            "priority": "normal",
            "add_to": item.reference,
        },
    )

    # then no second item is registered; the words are on that item's timeline, by the hotline
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/{item.reference}/"
    assert FeedbackItem.objects.count() == 1
    event = TimelineEvent.objects.get(item=item, kind=EventKind.INFO_ADDED)
    assert (event.message, event.data["via"], event.actor) == (
        "It is dripping faster now.",
        "hotline",
        world.agent_a,
    )
    assert f"Added to {item.reference}." in body(client.get(response["Location"]))


def test_fb_1_add_to_that_item_without_words_says_so_beside_the_description(world, staff):
    item = leak(world)
    resident = owner_resident(world)
    response = staff(world.agent_a).post(
        HOTLINE + "?q=1234",
        {"caller_unit": f"{resident.pk}:{world.unit_a.pk}", "description": "", "add_to": item.reference},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["description"] == ["Write what the customer added."]
    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


def test_fb_1_a_registration_refused_shows_the_screen_again_with_the_callers_numbers(
    world, staff, django_assert_max_num_queries
):
    # given the screen popped by the phone system for the owner's number
    resident = owner_resident(world)
    client = staff(world.agent_a)
    client.get(HOTLINE, {"phone": "13800001234"})

    # when the agent registers without saying what the caller said
    with django_assert_max_num_queries(16):
        response = client.post(
            HOTLINE + "?phone=13800001234",
            {"caller_unit": f"{resident.pk}:{world.unit_a.pk}", "description": "", "kind": "repair"},
        )

    # then the screen comes back with the reason, the caller's card shows their number (read for the page
    # again, once for all callers), and nothing was registered
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert response.context["cards"][0]["phones"] == ["13800001234"]
    assert 'href="tel:' in body(response)
    assert not FeedbackItem.objects.exists()


# --- the outsider -------------------------------------------------------------------------------------------


def test_fb_1_outsider_finds_nobody_of_project_a_and_cannot_add_to_its_items(world, staff):
    # given the owner's open item at project A; the outsider is a CS supervisor of project B
    item = leak(world)
    resident = owner_resident(world)
    client = staff(world.outsider)

    # when they search for A's caller every way
    for query in ["1234", "沈", "syz", "13800001234"]:
        screen = client.get(HOTLINE, {"q": query})
        assert (screen.context["results"], screen.context["cards"], screen.context["form"]) == ([], [], None)
        assert "沈业主" not in body(screen)
        assert item.reference not in body(screen)
    # then picking A's resident by id, or asking for the warning about A's unit, shows nothing
    assert client.get(HOTLINE, {"resident": resident.pk}).status_code == 404
    warning = client.get(
        "/feedback/hotline/duplicates/",
        {"caller_unit": f"{resident.pk}:{world.unit_a.pk}", "category": "engineering"},
    )
    assert (warning.status_code, list(warning.context["duplicates"])) == (200, [])
    # and adding to A's item from their own caller's form is refused as unknown
    stranger = Resident.objects.get(name="外人")
    added = client.post(
        HOTLINE + f"?resident={stranger.pk}",
        {"caller_unit": f"{stranger.pk}:{world.unit_b.pk}", "description": "x", "add_to": item.reference},
    )
    assert added.status_code == 404
    assert not TimelineEvent.objects.filter(kind=EventKind.INFO_ADDED).exists()


@pytest.mark.parametrize("persona", ["owner_a", "nobody", "hq"])
def test_fb_1_hotline_parts_are_refused_to_those_who_do_not_register(world, staff, persona):
    client = staff(world.users[persona])
    assert client.get(HOTLINE, {"q": "1234"}).status_code == 403
    assert client.get("/feedback/hotline/duplicates/", {"category": "engineering"}).status_code == 403


# --- the archive's lookup leads to the hotline screen -------------------------------------------------------


def test_fb_1_archive_lookup_offers_to_register_for_the_caller(world, staff):
    resident = owner_resident(world)
    agent = staff(world.agent_a).get("/archive/lookup/", {"q": "1234"})
    hq = staff(world.hq).get("/archive/lookup/", {"q": "1234"})

    link = f'href="/feedback/hotline/?resident={resident.pk}&amp;q=1234"'
    assert link in body(agent)
    assert 'data-testid="lookup-register"' not in body(hq)  # HQ does not register feedback


# --- the resident's feedback history ----------------------------------------------------------------------


def test_fb_1_resident_page_loads_the_residents_feedback_history_and_leads_to_the_hotline(world, staff):
    resident = owner_resident(world)
    client = staff(world.agent_a)
    page = client.get(f"/archive/residents/{resident.pk}/")
    assert f'hx-get="/feedback/residents/{resident.pk}/history/"' in body(page)
    assert f'href="/feedback/hotline/?resident={resident.pk}"' in body(page)

    screen = client.get(HOTLINE, {"resident": resident.pk})  # the caller picked, no search typed
    assert caller_names(screen) == ["沈业主"]
    assert 'data-testid="hotline-form"' in body(screen)


def test_fb_1_resident_history_lists_their_items_newest_first_as_the_viewer_sees_them(world, staff):
    # given two items of the owner at project A, and one moved to project A2 (not the agent's project)
    resident = owner_resident(world)
    first = leak(world, title="First call")
    second = leak(world, category=Category.CLEANING, title="Second call")
    elsewhere = leak(world, title="At the other project")
    FeedbackItem.objects.filter(pk=elsewhere.pk).update(project=world.project_a2)
    url = f"/feedback/residents/{resident.pk}/history/"

    # when the agent of project A, and the branch manager, read the history
    agent = staff(world.agent_a).get(url, HTTP_HX_REQUEST="true")
    manager = staff(world.branch_manager).get(url)

    # then each sees the items of their scope, newest first, with their status and a link
    assert [item.reference for item in agent.context["items"]] == [second.reference, first.reference]
    assert "<html" not in body(agent)
    assert f'href="/feedback/{second.reference}/"' in body(agent)
    assert 'data-testid="resident-history-item"' in body(agent)
    assert [item.reference for item in manager.context["items"]] == [
        elsewhere.reference,
        second.reference,
        first.reference,
    ]
    assert "<html" in body(manager)  # without htmx: a page of its own


def test_fb_1_resident_history_is_not_found_for_the_outsider_and_refused_to_owners(world, staff):
    resident = owner_resident(world)
    leak(world)
    url = f"/feedback/residents/{resident.pk}/history/"
    assert staff(world.outsider).get(url).status_code == 404
    assert staff(world.owner_a).get(url).status_code == 403
    assert staff(world.nobody).get(url).status_code == 403


# --- a bounded number of queries ----------------------------------------------------------------------------


def guard_resident(world, n: int, *, last4: str = "1234") -> Resident:
    """A resident of a new unit of project A whose number ends in `last4`."""
    unit = Unit.objects.create(
        project=world.project_a,
        building=world.unit_a.building,
        entrance="2",
        floor=n + 1,
        number=f"{n + 1:02d}01",
        label=f"1-2-{n + 1:02d}01",
    )
    resident = Resident.objects.create(name=f"Guard caller {n:02d}", name_initials="gc")
    resident.phones.create(number=f"137{n:04d}{last4}", last4=last4)
    resident.occupancies.create(unit=unit, relation="owner")
    return resident


def test_fb_1_hotline_results_queries_do_not_grow_with_matches(world, login):
    guard_resident(world, 0)  # with the owner: two matches, a list to pick from

    def add_rows():
        return [guard_resident(world, n).name for n in range(1, 10)]

    assert_queries_do_not_grow(login(world.agent_a), HOTLINE + "?q=1234", add_rows, ceiling=12)


def test_fb_1_hotline_duplicate_warning_queries_do_not_grow_with_open_items(world, login):
    resident = owner_resident(world)
    leak(world, title="Guard leak first")
    fragment = (
        f"/feedback/hotline/duplicates/?caller_unit={resident.pk}:{world.unit_a.pk}&category=engineering"
    )

    def add_rows():
        return [leak(world, title=f"Guard leak {n}").reference for n in range(4)]

    assert_queries_do_not_grow(login(world.agent_a), fragment, add_rows, ceiling=8)


def test_fb_1_resident_history_queries_do_not_grow_with_items(world, login):
    resident = owner_resident(world)
    leak(world, title="Guard history first")

    def add_rows():
        return [
            leak(world, title=f"Guard history {n}", category=category).reference
            for n, category in enumerate([Category.CLEANING, Category.ENGINEERING, Category.GREENING] * 3)
        ]

    assert_queries_do_not_grow(
        login(world.agent_a), f"/feedback/residents/{resident.pk}/history/", add_rows, ceiling=12
    )
