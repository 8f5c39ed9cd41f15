"""Registration (R-FB-1, R-CH-2, R-CS-5): one item however often it is sent, a short title in the customer's
own words, the rules checked in the service for every channel, and the responsible department set."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.tests.helpers import api_for, assert_error, register
from estatedesk.feedback.text import clean_text, derive_title
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department
from estatedesk.owners.models import Resident

CREATE = "/api/feedback/items/create/"


def _request(**extra):
    return {
        "project": "QD-A",
        "channel": "hotline",
        "kind": "repair",
        "category": "engineering",
        "description": "电梯按钮失灵，三楼下不去。",
        "contact_email": "caller@example.org",
        **extra,
    }


# --- idempotent registration ----------------------------------------------------------------------------


def test_fb_1_api_retry_with_the_same_idempotency_key_returns_the_first_item(world):
    # given a client whose first request was registered but whose connection dropped before the answer
    client = api_for(world.agent_a)
    first = client.post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    assert first.status_code == 201
    # when it sends the same request again with the same key
    again = client.post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    # then it gets the first item back, and nobody is told twice
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert FeedbackItem.objects.count() == 1
    assert OutboundEmail.objects.filter(to="caller@example.org").count() == 1
    assert Notification.objects.filter(user=world.supervisor_a).count() == 1


def test_fb_1_idempotency_keys_belong_to_their_sender(world):
    # given the agent's registration with a key
    mine = api_for(world.agent_a).post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # when the supervisor happens to send the same key
    theirs = api_for(world.supervisor_a).post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # then that is a new registration, and the agent's item is not shown to them through the key
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["reference"] != theirs.json()["reference"]


def test_fb_1_without_a_key_each_request_registers(world):
    client = api_for(world.agent_a)
    assert client.post(CREATE, _request(), format="json").status_code == 201
    assert client.post(CREATE, _request(), format="json").status_code == 201
    assert FeedbackItem.objects.count() == 2


def test_fb_1_a_double_submitted_registration_form_makes_one_item(world, staff):
    # given the registration page as the agent saw it (with its one-time token)
    client = staff(world.agent_a)
    page = client.get("/feedback/new/")
    token = page.context["form"]["form_token"].value()
    assert token
    form = {
        "form_token": token,
        "project": world.project_a.pk,
        "channel": Channel.WALK_IN,
        "kind": Kind.REPAIR,
        "category": Category.ENGINEERING,
        "priority": "normal",
        "description": "楼道灯不亮",
        "contact_phone": "13800001234",
    }
    # when the form is posted twice (a double click, a reload that resends it)
    first = client.post("/feedback/new/", form)
    second = client.post("/feedback/new/", form)
    # then both answers lead to the one item
    assert FeedbackItem.objects.count() == 1
    item = FeedbackItem.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/feedback/{item.reference}/"
    # and a fresh page draws a fresh token
    assert client.get("/feedback/new/").context["form"]["form_token"].value() != token


def test_ch_2_a_resubmitted_portal_form_makes_one_item_with_its_photo_once(world, login):
    # given the owner's portal form with its token and a photo
    from estatedesk.feedback.tests.test_portal_feedback import photo

    client = login(world.owner_a)
    token = client.get("/f/new/").context["form"]["form_token"].value()

    def send():
        return client.post(
            "/f/new/",
            {
                "form_token": token,
                "unit": world.unit_a.pk,
                "kind": Kind.REPAIR,
                "category": Category.ENGINEERING,
                "description": "阳台门关不上",
                "photos": [photo("door.png")],
            },
        )

    # when it is sent twice
    assert send().status_code == 302
    assert send().status_code == 302
    # then one item with one photo
    item = FeedbackItem.objects.get()
    assert item.attachments.count() == 1


# --- the title ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "title"),
    [
        ("楼道漏水，已经三天了，没人管。", "楼道漏水"),
        ("电梯坏了！", "电梯坏了"),
        ("The lift is stuck. Nobody answers the alarm.", "The lift is stuck"),
        (
            "地下车库B区的照明灯全部不亮已经影响到业主夜间停车安全请尽快派人维修谢谢",
            "地下车库B区的照明灯全部不亮已经影响到业主夜间停车安全请尽…",
        ),
        ("Subject line\r\nInjected: header", "Subject line"),
        ("  \n  第二行才有字  ", "第二行才有字"),
    ],
)
def test_fb_1_a_short_title_is_derived_from_the_description(description, title):
    assert derive_title(description) == title


def test_fb_1_clean_text_keeps_one_line():
    assert clean_text("王\r\n先生\x00\t ") == "王 先生"


def test_fb_1_the_customer_is_told_in_their_own_words_not_the_staff_title(world):
    # given a caller whose email is on file, and the agent's internal title for what they said
    owner = Resident.objects.get(user=world.owner_a)
    owner.email = "caller@example.org"
    owner.save(update_fields=["email"])
    register(
        world,
        title="业主投诉：保洁员张某态度恶劣（内部）",
        description="保洁阿姨今天早上对我很凶。",
        resident=owner,
    )
    # then the acknowledgement quotes the customer's own words
    email = OutboundEmail.objects.get(to="caller@example.org")
    assert "保洁阿姨今天早上对我很凶" in email.body
    assert "内部" not in email.body
    assert "张某" not in email.body


# --- rules in the service, for every channel ----------------------------------------------------------


def test_cs_5_a_patrol_finding_goes_only_to_the_patrol_categories_through_the_api_too(world):
    response = api_for(world.supervisor_a).post(
        CREATE, _request(channel="patrol", category="fees"), format="json"
    )
    assert_error(response, 400, "feedback.invalid", {"category"})
    ok = api_for(world.supervisor_a).post(
        CREATE, _request(channel="patrol", category="greening"), format="json"
    )
    assert ok.status_code == 201


def test_cs_5_the_service_refuses_a_patrol_finding_about_fees(world):
    with pytest.raises(DomainError) as error:
        register(world, channel=Channel.PATROL, category=Category.FEES)
    assert set(error.value.fields) == {"category"}


def test_ch_2_an_owner_registers_only_for_their_own_unit_in_the_service(world):
    owner = Resident.objects.get(user=world.owner_a)
    data = ItemInput(
        project=world.project_a,
        channel=Channel.PORTAL,
        kind=Kind.REPAIR,
        category=Category.ENGINEERING,
        description="邻居家漏水",
        unit=world.unit_a_neighbour,
    )
    with pytest.raises(PermissionDenied):
        feedback_item_register(actor=world.owner_a, data=data)
    neighbour = Resident.objects.get(name="邻居")
    with pytest.raises(PermissionDenied):  # nor in someone else's name
        feedback_item_register(
            actor=world.owner_a,
            data=ItemInput(
                project=world.project_a,
                channel=Channel.PORTAL,
                kind=Kind.REPAIR,
                category=Category.ENGINEERING,
                description="x",
                resident=neighbour,
            ),
        )
    mine = feedback_item_register(
        actor=world.owner_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.PORTAL,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            description="家里漏水",
            unit=world.unit_a,
            resident=owner,
        ),
    )
    assert mine.unit == world.unit_a


# --- the responsible department -----------------------------------------------------------------------------


def test_fb_2_the_responsible_department_follows_the_category(world):
    # given the project's engineering department, its customer service department (seeded with every
    # project) and a branch-level one that the project's own comes before
    engineering = Department.objects.create(
        company=world.company, project=world.project_a, kind=DepartmentKind.ENGINEERING, name="工程部"
    )
    Department.objects.create(
        company=world.company,
        branch=world.branch_a,
        kind=DepartmentKind.CUSTOMER_SERVICE,
        name="分公司客服部",
    )
    service = Department.objects.get(project=world.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    # when a repair and a fee question are registered
    repair = register(world, category=Category.ENGINEERING)
    fees = register(world, category=Category.FEES)
    # then each has its department, shown on the item page
    assert (repair.department, fees.department) == (engineering, service)
    assert register(world, category=Category.GREENING).department is None  # no greening department here


def test_fb_5_the_owner_sees_their_own_words_not_the_staff_title(world, login):
    # given an item the agent registered for the owner with an internal title
    owner = Resident.objects.get(user=world.owner_a)
    item = register(
        world,
        title="业主投诉：保洁员张某态度恶劣（内部）",
        description="保洁阿姨今天早上对我很凶，希望处理。",
        resident=owner,
        unit=world.unit_a,
    )
    # when the owner looks at their requests, on the page and through the API
    page = login(world.owner_a).get("/f/mine/").content.decode()
    api = api_for(world.owner_a).get(f"/api/feedback/items/{item.reference}/").json()
    # then they read their own words; staff still see the title they typed
    assert "保洁阿姨今天早上对我很凶" in page
    assert "张某" not in page
    assert api["title"] == "保洁阿姨今天早上对我很凶"
    assert (
        api_for(world.supervisor_a).get(f"/api/feedback/items/{item.reference}/").json()["title"]
        == item.title
    )


def test_fb_1_a_saved_item_never_answers_500_and_a_retry_gets_it_back(world, monkeypatch):
    # given an answer that fails after the item was saved (a dropped connection, a broken output field)
    from estatedesk.feedback import api

    def broken(*args, **kwargs):
        raise RuntimeError("the connection dropped while reading the item back")

    monkeypatch.setattr(api.ItemDetailOutput, "to_representation", broken)
    client = api_for(world.agent_a)
    # when the client registers, and retries with the same key
    first = client.post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post(CREATE, _request(), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    # then it was told the reference, not 500, and the retry is the same item
    assert first.status_code == 201
    assert again.status_code == 200
    reference = FeedbackItem.objects.get().reference
    assert first.json() == again.json() == {"reference": reference, "status": "registered"}
    assert OutboundEmail.objects.filter(to="caller@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_fb_1_two_requests_with_one_key_at_once_make_one_item(world):
    # given two copies of one registration racing each other (a client that retried too early)
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    references: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            data = ItemInput(
                project=world.project_a,
                channel=Channel.HOTLINE,
                kind=Kind.REPAIR,
                category=Category.ENGINEERING,
                description="电梯困人",
                contact_email="caller@example.org",
            )
            item = feedback_item_register(actor=world.agent_a, data=data, idempotency_key="race-1")
            references.append(item.reference)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then both got the one item, and the customer one acknowledgement
    assert errors == []
    assert len(set(references)) == 1
    assert FeedbackItem.objects.count() == 1
    assert OutboundEmail.objects.filter(to="caller@example.org").count() == 1


def test_fb_1_the_item_page_says_a_typed_in_address_is_not_confirmed_yet(world, staff):
    item = register(world, contact_email="typed@example.org")
    page = staff(world.supervisor_a).get(f"/feedback/{item.reference}/").content.decode()
    assert 'data-testid="email-unconfirmed"' in page
    FeedbackItem.objects.filter(pk=item.pk).update(contact_email_confirmed_at=item.registered_at)
    page = staff(world.supervisor_a).get(f"/feedback/{item.reference}/").content.decode()
    assert 'data-testid="email-unconfirmed"' not in page
