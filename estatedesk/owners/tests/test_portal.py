"""Owner accounts and the owner portal (R-OA-1, R-CH-3): signing in with a phone number and password or
with a one-time code sent by email, the owner's own units and household, and owners' own corrections of
their contact details, which the service centre confirms."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from estatedesk.common.models import AuditEntry
from estatedesk.conftest import PASSWORD
from estatedesk.notifications.models import OutboundEmail
from estatedesk.owners.auth import PhoneBackend, axes_username
from estatedesk.owners.choices import ChangeRequestStatus, Relation
from estatedesk.owners.login_codes import login_code_prune
from estatedesk.owners.models import ContactChangeRequest, LoginCode, Occupancy, Resident, ResidentPhone
from estatedesk.owners.portal_login import login_code_issue, login_code_verify
from estatedesk.owners.services import contact_change_request_review

OWNER_PHONE = "13800001234"
OWNER_EMAIL = "shen@example.invalid"
PHONE_BACKEND = "estatedesk.owners.auth.PhoneBackend"
LOGIN = "/accounts/login/"
NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def phone_login(settings):
    """The settings this feature asks for: the phone backend after axes', and one lockout count per
    account whatever the spelling of the number."""
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, PHONE_BACKEND]
    settings.AXES_USERNAME_CALLABLE = "estatedesk.owners.auth.axes_username"
    return settings


@pytest.fixture
def owner(world):
    """owner_a with an email on file, so that sign-in codes can reach them."""
    Resident.objects.filter(user=world.owner_a).update(email=OWNER_EMAIL)
    return world.owner_a


def english(user=None, **extra) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **extra)
    if user is not None:
        client.force_login(user)
    return client


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


@pytest.fixture(autouse=True)
def _worker_inside_the_test_transaction(monkeypatch):
    """The worker closes stale connections between tasks; inside a test's transaction that would close
    the test's own connection, so that one step is left out here."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_queued_tasks() -> None:
    """What the worker process does: claim and run every queued task once (batch mode), then stop."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    assert not DBTaskResult.objects.failed().exists()


def code_from(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def request_code(identifier: str) -> str:
    """Ask for a code and read it from the email, as the owner would."""
    sent_before = len(mail.outbox)
    login_code_issue(identifier=identifier)
    run_queued_tasks()
    assert len(mail.outbox) == sent_before + 1
    return code_from(mail.outbox[-1])


# --- phone and password -----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["13800001234", "+86 138-0000-1234", "138 0000 1234", "0086 13800001234"])
def test_portal_sign_in_owner_signs_in_with_phone_number_in_any_format(world, phone_login, typed):
    client = english()
    response = client.post(LOGIN, {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == world.owner_a.pk


def test_portal_sign_in_phone_sign_in_with_wrong_password_is_refused(world, phone_login):
    client = english()
    response = client.post(LOGIN, {"username": OWNER_PHONE, "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert signed_in_user_id(client) is None


def test_portal_sign_in_a_shared_number_signs_in_nobody(world, phone_login, django_user_model):
    spouse_account = django_user_model.objects.create_user(username="spouse", password=PASSWORD)
    spouse = Resident.objects.create(name="沈太太", user=spouse_account)
    ResidentPhone.objects.create(resident=spouse, number=OWNER_PHONE, last4="1234")
    Occupancy.objects.create(resident=spouse, unit=world.unit_a, relation=Relation.MEMBER)

    client = english()
    response = client.post(LOGIN, {"username": OWNER_PHONE, "password": PASSWORD})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert PhoneBackend().authenticate(None, username=OWNER_PHONE, password=PASSWORD) is None
    # the username still works for each of them
    assert english().post(LOGIN, {"username": "spouse", "password": PASSWORD}).status_code == 302


def test_portal_sign_in_staff_phone_on_the_account_signs_in_too(world, phone_login):
    world.agent_a.phone = "139-1234-5678"  # typed by hand in the admin
    world.agent_a.save(update_fields=["phone"])
    client = english()
    assert client.post(LOGIN, {"username": "+86 13912345678", "password": PASSWORD}).status_code == 302
    assert signed_in_user_id(client) == world.agent_a.pk


def test_portal_sign_in_phone_backend_leaves_usernames_and_disabled_accounts_alone(world):
    backend = PhoneBackend()
    assert backend.authenticate(None, username="owner_a", password=PASSWORD) is None
    assert backend.authenticate(None, username="x13800001234", password=PASSWORD) is None
    assert backend.authenticate(None, username=OWNER_PHONE, password=PASSWORD) == world.owner_a
    world.owner_a.is_active = False
    world.owner_a.save(update_fields=["is_active"])
    assert backend.authenticate(None, username=OWNER_PHONE, password=PASSWORD) is None


def test_portal_sign_in_phone_sign_in_locks_out_after_five_failures(world, phone_login):
    client = english(REMOTE_ADDR="10.9.8.7")
    for _ in range(phone_login.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": OWNER_PHONE, "password": "wrong-password"})
    response = client.post(LOGIN, {"username": OWNER_PHONE, "password": PASSWORD})
    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_portal_sign_in_changing_the_spelling_of_the_number_buys_no_more_attempts(world, phone_login):
    spellings = ["13800001234", "+86 138-0000-1234", "138 0000 1234", "0086 13800001234", "138-0000-1234"]
    client = english(REMOTE_ADDR="10.9.8.7")
    for typed in spellings[: phone_login.AXES_FAILURE_LIMIT]:
        client.post(LOGIN, {"username": typed, "password": "wrong-password"})
    assert client.post(LOGIN, {"username": "+8613800001234", "password": PASSWORD}).status_code == 429
    # the account is locked whichever way it is addressed, from that address
    assert client.post(LOGIN, {"username": "owner_a", "password": PASSWORD}).status_code == 429
    other_address = english(REMOTE_ADDR="10.9.8.8")
    assert other_address.post(LOGIN, {"username": OWNER_PHONE, "password": PASSWORD}).status_code == 302


def test_portal_sign_in_lockout_counts_a_phone_number_under_its_account(world):
    assert axes_username(None, {"username": "+86 138 0000 1234"}) == "owner_a"
    assert axes_username(None, {"username": "13999999999"}) == "13999999999"  # nobody's number
    assert axes_username(None, {"username": "agent_a"}) == "agent_a"


def test_portal_sign_in_login_page_offers_the_code_sign_in(world):
    body = english().get(LOGIN).content.decode()
    assert reverse("owners:portal_code_request") in body
    assert "Username or mobile phone" in body


# --- one-time codes by email ------------------------------------------------------------------------------


def test_portal_sign_in_code_request_answers_alike_for_unknown_and_known_identifiers(owner):
    known = english().post(reverse("owners:portal_code_request"), {"identifier": OWNER_EMAIL})
    unknown_client = english()
    unknown = unknown_client.post(
        reverse("owners:portal_code_request"), {"identifier": "who@example.invalid"}
    )
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("owners:portal_code_verify")
    page = unknown_client.get(reverse("owners:portal_code_verify"))
    assert page.status_code == 200
    assert "a sign-in code is on its way" in page.content.decode()
    # only the known owner gets a code and an email
    assert LoginCode.objects.filter(user=owner).count() == 1
    assert LoginCode.objects.count() == 1
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [[OWNER_EMAIL]]


def test_portal_sign_in_unknown_phone_staff_and_shared_email_get_no_code(owner, world, django_user_model):
    world.agent_a.email = "agent@example.invalid"
    world.agent_a.save(update_fields=["email"])
    spouse_account = django_user_model.objects.create_user(username="spouse", email=OWNER_EMAIL)
    Resident.objects.create(name="沈太太", user=spouse_account)
    for identifier in ("13999999999", "agent@example.invalid", OWNER_EMAIL, "not an address", ""):
        login_code_issue(identifier=identifier)
    assert not LoginCode.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_portal_sign_in_code_email_is_sent_once_to_the_email_on_file(owner):
    with time_machine.travel(NOON, tick=False):
        login_code_issue(identifier="+86 138 0000 1234")  # asked for by phone number
        assert DBTaskResult.objects.count() == 1
        run_queued_tasks()
        run_queued_tasks()  # a second worker pass sends nothing more
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [OWNER_EMAIL]
    code = code_from(mail.outbox[0])
    stored = LoginCode.objects.get(user=owner)
    assert code not in stored.code_hash  # stored hashed
    assert (stored.created_at, stored.expires_at) == (NOON, NOON + timedelta(minutes=10))


def test_portal_sign_in_code_is_printed_to_the_log_only_in_debug(owner, settings, caplog):
    caplog.set_level(logging.INFO, logger="estatedesk.owners.tasks")
    request_code(OWNER_EMAIL)
    assert "sign-in code for" not in caplog.text
    settings.DEBUG = True
    code = request_code(OWNER_EMAIL)
    assert f"sign-in code for owner_a: {code}" in caplog.text


def test_portal_sign_in_code_signs_the_owner_in_once(owner):
    older = request_code(OWNER_EMAIL)
    client = english()
    client.post(reverse("owners:portal_code_request"), {"identifier": OWNER_EMAIL.upper()})
    run_queued_tasks()
    code = code_from(mail.outbox[-1])  # asking again sent a newer code: the newest one counts
    response = client.post(reverse("owners:portal_code_verify"), {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302
    assert response["Location"] == reverse("owners:portal")
    assert signed_in_user_id(client) == owner.pk
    assert client.get(reverse("owners:portal")).status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=owner, object_id=str(owner.pk)).count() == 1
    # neither this code nor the older one works again
    assert login_code_verify(identifier=OWNER_EMAIL, code=code) is None
    assert login_code_verify(identifier=OWNER_EMAIL, code=older) is None
    assert not LoginCode.objects.filter(user=owner, used_at__isnull=True).exists()


def test_portal_sign_in_a_wrong_code_five_times_locks_the_code(owner):
    code = request_code(OWNER_EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert login_code_verify(identifier=OWNER_EMAIL, code=wrong) is None
    assert login_code_verify(identifier=OWNER_EMAIL, code=code) is None
    assert LoginCode.objects.get(user=owner).attempts == 5


def test_portal_sign_in_wrong_code_on_the_page_shows_a_message_and_signs_in_nobody(owner):
    client = english()
    client.post(reverse("owners:portal_code_request"), {"identifier": OWNER_EMAIL})
    response = client.post(reverse("owners:portal_code_verify"), {"code": "12345x"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert signed_in_user_id(client) is None


def test_portal_sign_in_expired_code_is_refused(owner):
    with time_machine.travel(NOON, tick=False) as traveller:
        code = request_code(OWNER_EMAIL)
        traveller.shift(timedelta(minutes=10))  # exactly at expiry
        assert login_code_verify(identifier=OWNER_EMAIL, code=code) is None
    with time_machine.travel(NOON, tick=False) as traveller:
        code = request_code(OWNER_EMAIL)
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert login_code_verify(identifier=OWNER_EMAIL, code=code) == owner


def test_portal_sign_in_expired_code_is_not_even_sent_by_a_late_worker(owner):
    with time_machine.travel(NOON, tick=False) as traveller:
        login_code_issue(identifier=OWNER_EMAIL)
        traveller.shift(timedelta(minutes=11))
        run_queued_tasks()
    assert mail.outbox == []


def test_portal_sign_in_at_most_five_codes_an_hour(owner):
    with time_machine.travel(NOON, tick=False) as traveller:
        for _ in range(5):
            login_code_issue(identifier=OWNER_EMAIL)
            traveller.shift(timedelta(minutes=1))
        login_code_issue(identifier=OWNER_EMAIL)  # the sixth within the hour
        assert LoginCode.objects.filter(user=owner).count() == 5
        assert DBTaskResult.objects.count() == 5
        traveller.move_to(NOON + timedelta(hours=1, seconds=1))  # the first code is over an hour old
        login_code_issue(identifier=OWNER_EMAIL)
        assert LoginCode.objects.filter(user=owner).count() == 6


def in_parallel(work, count: int = 8) -> list:
    """Run `work` in `count` threads at once (as several web processes would), each on its own connection."""
    barrier = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_portal_sign_in_parallel_requests_do_not_exceed_five_codes_an_hour(owner):
    in_parallel(lambda: login_code_issue(identifier=OWNER_EMAIL))
    assert LoginCode.objects.filter(user=owner).count() == 5
    assert DBTaskResult.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_portal_sign_in_parallel_tries_use_a_code_once_and_its_attempts_exactly(owner):
    code = request_code(OWNER_EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    in_parallel(lambda: login_code_verify(identifier=OWNER_EMAIL, code=wrong))
    assert LoginCode.objects.get().attempts == 5
    code = request_code(OWNER_EMAIL)
    signed_in = in_parallel(lambda: login_code_verify(identifier=OWNER_EMAIL, code=code), count=4)
    assert [user.pk for user in signed_in if user is not None] == [owner.pk]


def test_portal_sign_in_the_plain_code_is_never_stored(owner):
    code = request_code(OWNER_EMAIL)
    stored = [str(row) for row in DBTaskResult.objects.values_list("args_kwargs", "return_value")]
    stored += [LoginCode.objects.get().code_hash]
    assert all(code not in text for text in stored)


def test_portal_sign_in_a_retried_send_mails_no_second_code(owner):
    from estatedesk.owners.tasks import login_code_send

    request_code(OWNER_EMAIL)
    login_code = LoginCode.objects.get()
    assert login_code_send.call(login_code_id=login_code.pk, email=OWNER_EMAIL) is False
    assert len(mail.outbox) == 1


def test_portal_sign_in_old_codes_are_pruned(owner):
    with time_machine.travel(NOON, tick=False):
        login_code_issue(identifier=OWNER_EMAIL)
    assert login_code_prune(now=NOON + timedelta(hours=2)) == 0  # still counts towards the hourly limit
    assert login_code_prune(now=NOON + timedelta(days=2)) == 1
    assert not LoginCode.objects.exists()


def test_portal_sign_in_code_pages_lead_the_way(owner, login):
    # the second step without the first goes back to the first
    response = english().get(reverse("owners:portal_code_verify"))
    assert response["Location"] == reverse("owners:portal_code_request")
    # a signed-in owner goes straight to the portal
    assert login(owner).get(reverse("owners:portal_code_request"))["Location"] == reverse("owners:portal")


def test_portal_sign_in_code_sign_in_returns_to_the_page_asked_for(owner):
    client = english()
    profile = reverse("owners:portal_profile")
    client.post(f"{reverse('owners:portal_code_request')}?next={profile}", {"identifier": OWNER_EMAIL})
    run_queued_tasks()
    response = client.post(reverse("owners:portal_code_verify"), {"code": code_from(mail.outbox[-1])})
    assert response["Location"] == profile


def test_portal_sign_in_code_sign_in_never_redirects_to_another_site(owner):
    client = english()
    client.post(
        f"{reverse('owners:portal_code_request')}?next=https://evil.invalid/", {"identifier": OWNER_EMAIL}
    )
    run_queued_tasks()
    response = client.post(reverse("owners:portal_code_verify"), {"code": code_from(mail.outbox[-1])})
    assert response["Location"] == reverse("owners:portal")


# --- the portal -------------------------------------------------------------------------------------------


@pytest.fixture
def household(world):
    """owner_a's spouse lives in 1-1-101 too; a former tenant has moved out."""
    spouse = Resident.objects.create(name="沈家人")
    ResidentPhone.objects.create(resident=spouse, number="13600006666", last4="6666")
    Occupancy.objects.create(resident=spouse, unit=world.unit_a, relation=Relation.MEMBER)
    former = Resident.objects.create(name="旧租客")
    Occupancy.objects.create(
        resident=former, unit=world.unit_a, relation=Relation.TENANT, ended_on=date(2024, 1, 1)
    )
    return world


def test_ch_3_portal_shows_own_units_household_and_project_contacts_only(
    household, django_assert_max_num_queries
):
    client = english(household.owner_a)
    with django_assert_max_num_queries(11):  # + the header's unread-notification count
        response = client.get(reverse("owners:portal"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [o.unit.label for o in response.context["occupancies"]] == ["1-1-101"]
    assert [m.resident.name for m in response.context["household"]] == ["沈业主", "沈家人"]
    assert "沈家人" in body
    assert "旧租客" not in body  # moved out
    assert "1-1-102" not in body  # the neighbour's unit
    assert "邻居" not in body
    assert "外人" not in body
    assert "13600006666" not in body  # household members' contacts are not shown
    # R-CH-3: the hotlines and mailbox of the owner's own project, and of no other
    assert 'href="tel:0532-A000-0001"' in body
    assert 'href="tel:0532-A000-0002"' in body
    assert 'href="mailto:qd-a@complaints.invalid"' in body
    assert "0532-B000" not in body
    assert "0532-C000" not in body
    assert reverse("owners:portal_profile") in body


def test_ch_3_portal_for_an_account_without_a_unit_says_so(world):
    response = english(world.nobody).get(reverse("owners:portal"))
    assert response.status_code == 200
    assert 'data-testid="no-unit"' in response.content.decode()


def test_portal_sign_in_anonymous_visitors_are_sent_to_the_login_page(world):
    for name in ("owners:portal", "owners:portal_profile"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


# --- owners correct their own contact details -------------------------------------------------------------


def profile_form(**changes):
    values = {
        "phone_1": OWNER_PHONE,
        "phone_2": "",
        "phone_3": "",
        "email": "",
        "preferred_language": "zh-hans",
        "contact_preference": "phone",
    }
    return {**values, **changes}


def test_oa_1_owner_correction_waits_for_staff_confirmation(world, django_assert_max_num_queries):
    resident = Resident.objects.get(user=world.owner_a)
    client = english(world.owner_a)
    with django_assert_max_num_queries(10):  # + the header's unread-notification count, a pending email
        page = client.get(reverse("owners:portal_profile"))
    assert page.status_code == 200
    assert page.context["form"]["phone_1"].value() == OWNER_PHONE

    response = client.post(
        reverse("owners:portal_profile"),
        profile_form(
            phone_1="+86 139-1111-2222",
            phone_2=OWNER_PHONE,
            email="new@example.invalid",
            preferred_language="en",
            contact_preference="sms",
        ),
    )
    assert response.status_code == 302
    change = ContactChangeRequest.objects.get(resident=resident)
    assert change.status == ChangeRequestStatus.PENDING
    assert change.requested == {
        "phones": ["13911112222", OWNER_PHONE],
        "email": "new@example.invalid",
        "preferred_language": "en",
        "contact_preference": "sms",
    }
    # the archive is unchanged until the service centre confirms
    resident.refresh_from_db()
    assert list(resident.phones.values_list("number", flat=True)) == [OWNER_PHONE]
    assert (resident.email, resident.contact_preference) == ("", "phone")
    page = client.get(reverse("owners:portal_profile")).content.decode()
    assert "waiting for confirmation by the service centre" in page
    assert "13911112222" in page
    assert (
        "waiting for confirmation by the service centre"
        in client.get(reverse("owners:portal")).content.decode()
    )

    contact_change_request_review(actor=world.supervisor_a, change_request=change, approve=True)

    resident.refresh_from_db()
    assert list(resident.phones.order_by("position").values_list("number", flat=True)) == [
        "13911112222",
        OWNER_PHONE,
    ]
    # the new email is owner_a's sign-in address: it waits for owner_a to confirm it (issue 16)
    assert (resident.email, resident.preferred_language, resident.contact_preference) == ("", "en", "sms")
    page = client.get(reverse("owners:portal_profile")).content.decode()
    assert "waiting for confirmation by the service centre" not in page
    assert 'data-testid="review-result"' in page
    assert 'data-testid="pending-email"' in page

    confirm = re.search(
        r"(/\S*/email/confirm/[^/\s]+/)", OutboundEmail.objects.get(to="new@example.invalid").body
    )
    assert client.post(confirm.group(1)).status_code == 200

    resident.refresh_from_db()
    assert resident.email == "new@example.invalid"
    assert 'data-testid="pending-email"' not in client.get(reverse("owners:portal_profile")).content.decode()


def test_oa_1_sending_again_replaces_the_pending_correction(world):
    client = english(world.owner_a)
    client.post(reverse("owners:portal_profile"), profile_form(email="first@example.invalid"))
    page = client.get(reverse("owners:portal_profile"))
    assert page.context["form"]["email"].value() == "first@example.invalid"  # the pending values to edit
    client.post(reverse("owners:portal_profile"), profile_form(email="second@example.invalid"))
    assert list(
        ContactChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).values_list(
            "requested", flat=True
        )
    ) == [{"email": "second@example.invalid"}]


def test_oa_1_invalid_or_unchanged_details_are_explained_not_saved(world):
    client = english(world.owner_a)
    response = client.post(reverse("owners:portal_profile"), profile_form(phone_2="12345"))
    assert response.status_code == 200
    assert "Not a valid phone number: 12345." in response.content.decode()
    response = client.post(reverse("owners:portal_profile"), profile_form())
    assert response.status_code == 200
    assert "Nothing was changed." in response.content.decode()
    response = client.post(reverse("owners:portal_profile"), profile_form(phone_1="", email="not-an-email"))
    assert set(response.context["form"].errors) == {"phone_1", "email"}
    assert not ContactChangeRequest.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "supervisor_a", "nobody", "sysadmin"])
def test_portal_profile_for_someone_who_is_not_a_resident_is_a_clear_page(world, persona):
    response = english(getattr(world, persona)).get(reverse("owners:portal_profile"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="not-an-owner"' in body
    assert "Traceback" not in body
    post = english(getattr(world, persona)).post(reverse("owners:portal_profile"), profile_form())
    assert post.status_code == 403
    assert not ContactChangeRequest.objects.exists()


def test_portal_profile_shows_nothing_of_the_neighbours(world):
    body = english(world.owner_a).get(reverse("owners:portal_profile")).content.decode()
    assert OWNER_PHONE in body
    assert "13900005678" not in body
    assert "邻居" not in body
