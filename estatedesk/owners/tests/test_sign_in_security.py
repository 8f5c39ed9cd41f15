"""Issue 16: an agent changed the email of a resident record linked to a staff account, asked for an owner
sign-in code for that email, and was signed in as the staff user with all their roles.

- Owner routes (sign-in code, a resident's phone with a password) never sign in an account that holds
  staff rights (an org membership, is_staff, is_superuser): checked when a code is asked for, when the task
  sends it, and when it is typed in.
- A new email for a resident with a portal account waits for the account holder: a link to the new
  address, to be opened signed in; a notice to the old address, with a link to report it; audited.
- Asking for codes is limited per identifier, per client address and company-wide; typing codes per
  client address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail, signing
from django.test import Client, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from estatedesk.common.models import AuditEntry
from estatedesk.conftest import PASSWORD
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.owners.auth import PhoneBackend
from estatedesk.owners.choices import EmailChangeStatus, Relation
from estatedesk.owners.email_change import CONFIRM_SALT, REPORT_SALT
from estatedesk.owners.models import EmailChange, LoginCode, Occupancy, Resident, ResidentPhone
from estatedesk.owners.portal_login import login_code_issue, login_code_verify
from estatedesk.owners.services import resident_update

ATTACKER_EMAIL = "attacker@evil.invalid"
STAFF_HOME_EMAIL = "home@staff.invalid"
OWNER_EMAIL = "shen@example.invalid"
NEW_EMAIL = "shen.new@example.invalid"
NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, on the hour


@pytest.fixture(autouse=True)
def _worker_inside_the_test_transaction(monkeypatch):
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_queued_tasks() -> None:
    """What the worker process does: run every queued task once, then stop."""
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


def english(user=None, **extra) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **extra)
    if user is not None:
        client.force_login(user)
    return client


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def code_emails() -> list:
    """Sign-in code emails (sent by the code task itself; everything else goes through the outbox, which
    marks its emails Auto-Submitted)."""
    return [message for message in mail.outbox if "Auto-Submitted" not in message.extra_headers]


def edit_form(resident: Resident, **changes) -> dict:
    values = {
        "name": resident.name,
        "phones": " / ".join(resident.phones.values_list("number", flat=True)),
        "email": resident.email,
        "id_type": resident.id_type,
        "id_number": "",
        "preferred_language": resident.preferred_language or "zh-hans",
        "contact_preference": resident.contact_preference,
        "notes": resident.notes,
    }
    return {**values, **changes}


def link(to: str, kind: str) -> str:
    """The confirm or report link of the last outbox email to `to`."""
    body = OutboundEmail.objects.filter(to=to).order_by("-id").first().body
    return re.search(rf"(/\S*/email/{kind}/[^/\s]+/)", body).group(1)


@pytest.fixture
def staff_home(world):
    """supervisor_a (staff of project A) lives in 1-1-102 too, and their resident record is linked to their
    staff account, with their home email on file."""
    resident = Resident.objects.create(name="主管本人", email=STAFF_HOME_EMAIL, user=world.supervisor_a)
    ResidentPhone.objects.create(resident=resident, number="13500005555", last4="5555")
    Occupancy.objects.create(resident=resident, unit=world.unit_a_neighbour, relation=Relation.OWNER)
    return resident


@pytest.fixture
def owner(world):
    """owner_a with an email on file."""
    Resident.objects.filter(user=world.owner_a).update(email=OWNER_EMAIL)
    return world.owner_a


# --- the attack -------------------------------------------------------------------------------------------


def test_oa_takeover_agent_cannot_sign_in_as_staff_via_resident_email(world, staff_home):
    # given an agent of project A, who may edit the archive of project A
    agent = english(world.agent_a)
    # when the agent changes the email of the resident linked to the supervisor's staff account
    response = agent.post(
        reverse("owners:resident_edit", args=[staff_home.pk]), edit_form(staff_home, email=ATTACKER_EMAIL)
    )
    assert response.status_code == 302
    # and asks for an owner sign-in code for that email, then tries to sign in with codes
    attacker = english(REMOTE_ADDR="10.66.6.6")
    response = attacker.post(reverse("owners:portal_code_request"), {"identifier": ATTACKER_EMAIL})
    assert response["Location"] == reverse("owners:portal_code_verify")
    run_queued_tasks()
    for guess in ("000000", "123456", "999999"):
        response = attacker.post(reverse("owners:portal_code_verify"), {"code": guess})
        assert response.status_code == 200
        assert response.context["form"].errors["code"]

    # then the email on file did not change, no code was made or sent, nobody is signed in
    staff_home.refresh_from_db()
    assert staff_home.email == STAFF_HOME_EMAIL
    assert EmailChange.objects.get(resident=staff_home).status == EmailChangeStatus.PENDING
    assert not LoginCode.objects.exists()
    assert code_emails() == []
    assert signed_in_user_id(attacker) is None
    assert attacker.get(reverse("owners:portal")).status_code == 302  # to the login page
    assert not AuditEntry.objects.filter(action="login", actor=world.supervisor_a).exists()
    # the attacker's mailbox got only the confirmation link, which needs the supervisor's own sign-in
    assert [m.to for m in mail.outbox if ATTACKER_EMAIL in m.to] == [[ATTACKER_EMAIL]]
    response = attacker.post(link(ATTACKER_EMAIL, "confirm"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = agent.post(link(ATTACKER_EMAIL, "confirm"))
    assert response.status_code == 403
    staff_home.refresh_from_db()
    assert staff_home.email == STAFF_HOME_EMAIL
    # and the supervisor was told at their home address, with a way to report it
    assert OutboundEmail.objects.filter(to=STAFF_HOME_EMAIL).count() == 1
    assert link(STAFF_HOME_EMAIL, "report")


def test_oa_takeover_staff_email_already_on_a_resident_gets_no_code(world, staff_home):
    # given a staff account's resident record whose email is on file (e.g. from before the fix)
    # when a code is asked for with that email, or with its phone number
    for identifier in (STAFF_HOME_EMAIL, STAFF_HOME_EMAIL.upper(), "135 0000 5555"):
        login_code_issue(identifier=identifier)
    # then no code is made and nothing is queued
    assert not LoginCode.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize("staff_right", ["membership", "inactive membership", "is_staff", "is_superuser"])
def test_oa_takeover_a_code_never_signs_in_an_account_that_gained_staff_rights(owner, world, staff_right):
    # given owner_a asked for a code and received it
    client = english()
    client.post(reverse("owners:portal_code_request"), {"identifier": OWNER_EMAIL})
    run_queued_tasks()
    code = re.search(r"\b(\d{6})\b", code_emails()[-1].body).group(1)
    # when the account gains staff rights before the code is typed in
    if "membership" in staff_right:
        Membership.objects.create(
            user=owner,
            role=Role.CS_AGENT,
            level=ScopeLevel.PROJECT,
            company=world.company,
            project=world.project_a,
            is_active=staff_right == "membership",
        )
    else:
        setattr(owner, staff_right, True)
        owner.save(update_fields=[staff_right])
    response = client.post(reverse("owners:portal_code_verify"), {"code": code})
    # then the correct code signs nobody in
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert login_code_verify(identifier=OWNER_EMAIL, code=code) is None
    assert not AuditEntry.objects.filter(action="login").exists()


def test_oa_takeover_the_send_task_mails_no_code_to_an_account_that_gained_staff_rights(owner, world):
    # given a code was asked for while owner_a was only an owner
    login_code_issue(identifier=OWNER_EMAIL)
    # when owner_a becomes staff before the worker sends it
    Membership.objects.create(
        user=owner,
        role=Role.CS_AGENT,
        level=ScopeLevel.PROJECT,
        company=world.company,
        project=world.project_a,
    )
    run_queued_tasks()
    # then no code goes out and none can be used
    assert code_emails() == []
    assert LoginCode.objects.get().code_hash == ""


def test_oa_takeover_a_resident_phone_never_names_a_staff_account(world, staff_home, settings):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "estatedesk.owners.auth.PhoneBackend",
    ]
    backend = PhoneBackend()
    # a resident's phone (which agents may edit) does not sign in the staff account it is linked to
    assert backend.authenticate(None, username="13500005555", password=PASSWORD) is None
    client = english()
    assert (
        client.post(reverse("accounts:login"), {"username": "13500005555", "password": PASSWORD}).status_code
        == 200
    )
    assert signed_in_user_id(client) is None
    # the staff account's own phone, set by an administrator, still works
    world.supervisor_a.phone = "13500005555"
    world.supervisor_a.save(update_fields=["phone"])
    assert backend.authenticate(None, username="13500005555", password=PASSWORD) == world.supervisor_a
    # and owners keep signing in with their resident phone
    assert backend.authenticate(None, username="13800001234", password=PASSWORD) == world.owner_a


# --- email changes wait for the account holder ----------------------------------------------------------


def test_oa_email_change_by_staff_is_pending_until_the_account_holder_confirms(owner, world):
    resident = Resident.objects.get(user=owner)
    # when an agent changes owner_a's email on the resident page
    agent = english(world.agent_a)
    response = agent.post(
        reverse("owners:resident_edit", args=[resident.pk]), edit_form(resident, email=NEW_EMAIL)
    )
    assert response.status_code == 302
    # then the old email stays on file and keeps signing in; the new one does not sign in yet
    resident.refresh_from_db()
    assert resident.email == OWNER_EMAIL
    change = EmailChange.objects.get(resident=resident)
    assert (change.old_email, change.new_email, change.status, change.requested_by, change.user) == (
        OWNER_EMAIL,
        NEW_EMAIL,
        EmailChangeStatus.PENDING,
        world.agent_a,
        owner,
    )
    login_code_issue(identifier=NEW_EMAIL)
    assert not LoginCode.objects.exists()
    login_code_issue(identifier=OWNER_EMAIL)
    assert LoginCode.objects.count() == 1
    # a link went to the new address, a notice with a report link to the old one
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [NEW_EMAIL, OWNER_EMAIL]
    assert "/email/confirm/" in OutboundEmail.objects.get(to=NEW_EMAIL).body
    assert "/email/report/" in OutboundEmail.objects.get(to=OWNER_EMAIL).body
    # the pending change shows on the resident page and on the owner's own page
    page = agent.get(reverse("owners:resident_detail", args=[resident.pk]))
    assert 'data-testid="pending-email"' in page.content.decode()
    assert NEW_EMAIL in page.content.decode()
    assert (
        'data-testid="pending-email"' in english(owner).get(reverse("owners:portal_profile")).content.decode()
    )
    # the request is in the resident's history, by the agent
    entry = AuditEntry.objects.get(object_type="owners.resident", changes__has_key="pending_email")
    assert (entry.actor, entry.changes["pending_email"]) == (world.agent_a, ["", NEW_EMAIL])


def test_oa_email_change_confirmed_by_the_signed_in_account_holder(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=NEW_EMAIL)
    url = link(NEW_EMAIL, "confirm")
    client = english(owner)
    # opening the link changes nothing (mail scanners open links)
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="email-change-form"' in page.content.decode()
    resident.refresh_from_db()
    assert resident.email == OWNER_EMAIL

    response = client.post(url)

    assert response.status_code == 200
    assert 'data-testid="email-change-done"' in response.content.decode()
    resident.refresh_from_db()
    assert resident.email == NEW_EMAIL
    change = EmailChange.objects.get()
    assert change.status == EmailChangeStatus.CONFIRMED
    assert change.decided_at is not None
    entry = AuditEntry.objects.get(
        object_type="owners.resident", changes__has_key="email_confirmed_by_account_holder"
    )
    assert (entry.actor, entry.changes["email"]) == (owner, [OWNER_EMAIL, NEW_EMAIL])
    # the new address signs in now, the old one no longer
    login_code_issue(identifier=OWNER_EMAIL)
    assert not LoginCode.objects.exists()
    login_code_issue(identifier=NEW_EMAIL)
    assert LoginCode.objects.count() == 1
    # the link works once
    assert client.post(url).status_code == 409


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a", "outsider", "sysadmin"])
def test_oa_email_change_only_the_account_holder_can_confirm(owner, world, persona):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=ATTACKER_EMAIL)
    url = link(ATTACKER_EMAIL, "confirm")
    client = english(getattr(world, persona))
    assert client.get(url).status_code == 403
    assert ATTACKER_EMAIL not in client.get(url).content.decode()
    assert client.post(url).status_code == 403
    resident.refresh_from_db()
    assert resident.email == OWNER_EMAIL
    assert EmailChange.objects.get().status == EmailChangeStatus.PENDING


def test_oa_email_change_link_expires_after_three_days(owner, world):
    resident = Resident.objects.get(user=owner)
    with time_machine.travel(NOON, tick=False) as traveller:
        resident_update(actor=world.agent_a, resident=resident, email=NEW_EMAIL)
        url = link(NEW_EMAIL, "confirm")
        traveller.shift(timedelta(days=3, seconds=1))
        response = english(owner).post(url)
        assert response.status_code == 404
        assert 'data-testid="email-change-error"' in response.content.decode()
        resident.refresh_from_db()
        assert resident.email == OWNER_EMAIL
        # nor does the page show it as waiting any more
        page = english(world.agent_a).get(reverse("owners:resident_detail", args=[resident.pk]))
        assert 'data-testid="pending-email"' not in page.content.decode()


def test_oa_email_change_link_works_until_its_last_second(owner, world):
    resident = Resident.objects.get(user=owner)
    with time_machine.travel(NOON, tick=False) as traveller:
        resident_update(actor=world.agent_a, resident=resident, email=NEW_EMAIL)
        traveller.shift(timedelta(days=3, seconds=-1))
        assert english(owner).post(link(NEW_EMAIL, "confirm")).status_code == 200
    resident.refresh_from_db()
    assert resident.email == NEW_EMAIL


def test_oa_email_change_forged_or_altered_links_are_refused(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=NEW_EMAIL)
    change = EmailChange.objects.get()
    client = english(owner)
    genuine = link(NEW_EMAIL, "confirm").rstrip("/").rsplit("/", 1)[1]
    payload = {"change": change.pk, "user": owner.pk, "email": NEW_EMAIL}
    forged = [
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # altered signature
        signing.dumps(payload, salt=REPORT_SALT),  # the report link's token
        signing.dumps(payload, key="not-the-secret-key", salt=CONFIRM_SALT),  # signed with another key
        signing.dumps({**payload, "email": ATTACKER_EMAIL}, salt=CONFIRM_SALT),  # another address
        signing.dumps({**payload, "user": world.agent_a.pk}, salt=CONFIRM_SALT),  # another account
        "not-a-token",
    ]
    for token in forged:
        response = client.post(reverse("owners:portal_email_confirm", args=[token]))
        assert response.status_code == 404, token
    resident.refresh_from_db()
    assert resident.email == OWNER_EMAIL
    assert EmailChange.objects.get().status == EmailChangeStatus.PENDING


def test_oa_email_change_reported_from_the_old_address_is_cancelled(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=ATTACKER_EMAIL)
    report = link(OWNER_EMAIL, "report")
    anybody = english()  # the old mailbox's reader need not sign in to report
    assert anybody.get(report).status_code == 200
    assert EmailChange.objects.get().status == EmailChangeStatus.PENDING

    response = anybody.post(report)

    assert response.status_code == 200
    assert 'data-testid="email-change-done"' in response.content.decode()
    change = EmailChange.objects.get()
    assert change.status == EmailChangeStatus.REPORTED
    entry = AuditEntry.objects.get(
        object_type="owners.resident", changes__has_key="email_change_reported_from_old_address"
    )
    assert (entry.actor, entry.changes["pending_email"]) == (None, [ATTACKER_EMAIL, ""])
    # the archive keepers of project A are told (and nobody of project B)
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"supervisor_a", "pm_a"}
    # the confirmation link is dead now, even for the account holder
    assert english(owner).post(link(ATTACKER_EMAIL, "confirm")).status_code == 409
    resident.refresh_from_db()
    assert resident.email == OWNER_EMAIL
    # and a second report changes nothing more
    assert anybody.post(report).status_code == 409


def test_oa_email_change_a_newer_request_replaces_the_pending_one(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=ATTACKER_EMAIL)
    first = link(ATTACKER_EMAIL, "confirm")
    resident_update(actor=world.supervisor_a, resident=resident, email=NEW_EMAIL)
    resident_update(actor=world.supervisor_a, resident=resident, email=NEW_EMAIL)  # the same again: no resend
    assert OutboundEmail.objects.filter(to=NEW_EMAIL).count() == 1
    assert list(EmailChange.objects.order_by("id").values_list("new_email", "status")) == [
        (ATTACKER_EMAIL, EmailChangeStatus.REPLACED),
        (NEW_EMAIL, EmailChangeStatus.PENDING),
    ]
    client = english(owner)
    assert client.post(first).status_code == 409
    assert client.post(link(NEW_EMAIL, "confirm")).status_code == 200
    resident.refresh_from_db()
    assert resident.email == NEW_EMAIL


def test_oa_email_change_editing_other_fields_keeps_the_pending_change(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email=NEW_EMAIL)
    english(world.agent_a).post(
        reverse("owners:resident_edit", args=[resident.pk]), edit_form(resident, notes="换了电梯卡")
    )
    resident.refresh_from_db()
    assert (resident.email, resident.notes) == (OWNER_EMAIL, "换了电梯卡")
    assert EmailChange.objects.get().status == EmailChangeStatus.PENDING


def test_oa_email_of_a_resident_without_an_account_changes_directly(world):
    neighbour = Resident.objects.get(name="邻居")
    english(world.agent_a).post(
        reverse("owners:resident_edit", args=[neighbour.pk]),
        edit_form(neighbour, email="lin@example.invalid"),
    )
    neighbour.refresh_from_db()
    assert neighbour.email == "lin@example.invalid"
    assert not EmailChange.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_oa_email_removed_from_a_linked_resident_is_direct_and_the_old_address_is_told(owner, world):
    resident = Resident.objects.get(user=owner)
    resident_update(actor=world.agent_a, resident=resident, email="")
    resident.refresh_from_db()
    assert resident.email == ""
    assert not EmailChange.objects.exists()
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [OWNER_EMAIL]


# --- rate limits ------------------------------------------------------------------------------------------


def ask(identifier: str, address: str, language: str = "en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)
    return client.post(reverse("owners:portal_code_request"), {"identifier": identifier})


@override_settings(OWNER_CODE_REQUESTS_PER_IDENTIFIER=2)
def test_oa_code_requests_are_limited_per_identifier(owner):
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        assert ask(OWNER_EMAIL, "10.0.0.1").status_code == 302
        assert ask(OWNER_EMAIL.upper(), "10.0.0.2").status_code == 302  # every spelling counts as one

        response = ask(OWNER_EMAIL, "10.0.0.3")

        assert response.status_code == 429
        assert "Too many requests. Please try again in 50 minutes." in response.content.decode()
        assert LoginCode.objects.count() == 2
        assert ask("other@example.invalid", "10.0.0.3").status_code == 302
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):  # the next window
        assert ask(OWNER_EMAIL, "10.0.0.3").status_code == 302


@override_settings(OWNER_CODE_REQUESTS_PER_IDENTIFIER=2)
def test_oa_code_requests_per_phone_count_every_spelling(owner):
    assert ask("13800001234", "10.0.0.1").status_code == 302
    assert ask("+86 138-0000-1234", "10.0.0.2").status_code == 302
    assert ask("138 0000 1234", "10.0.0.3").status_code == 429


@override_settings(OWNER_CODE_REQUESTS_PER_IP=3)
def test_oa_code_requests_are_limited_per_client_address(owner):
    for n in range(3):
        assert ask(f"who{n}@example.invalid", "10.0.0.9").status_code == 302
    assert ask(OWNER_EMAIL, "10.0.0.9").status_code == 429
    assert not LoginCode.objects.exists()  # refused before anybody was looked up
    assert ask(OWNER_EMAIL, "10.0.0.10").status_code == 302


@override_settings(OWNER_CODE_REQUESTS_TOTAL=3)
def test_oa_code_requests_have_a_company_wide_ceiling(owner):
    for n in range(3):
        assert ask(f"who{n}@example.invalid", f"10.0.1.{n}").status_code == 302
    assert ask(OWNER_EMAIL, "10.0.1.200").status_code == 429
    assert not LoginCode.objects.exists()


@override_settings(OWNER_CODE_REQUESTS_PER_IP=1, OWNER_CODE_REQUESTS_TOTAL=2)
def test_oa_a_request_refused_for_its_address_spends_nothing_of_the_ceiling(owner):
    assert ask("who@example.invalid", "10.0.2.1").status_code == 302
    for _ in range(5):
        assert ask("who@example.invalid", "10.0.2.1").status_code == 429
    assert ask(OWNER_EMAIL, "10.0.2.2").status_code == 302


@override_settings(OWNER_CODE_REQUESTS_PER_IDENTIFIER=1)
def test_oa_the_limit_answers_alike_for_known_and_unknown_identifiers(owner):
    ask(OWNER_EMAIL, "10.0.3.1")
    ask("nobody@example.invalid", "10.0.3.2")
    known = ask(OWNER_EMAIL, "10.0.3.3")
    unknown = ask("nobody@example.invalid", "10.0.3.4")
    assert known.status_code == unknown.status_code == 429
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


@override_settings(OWNER_CODE_REQUESTS_PER_IP=1)
def test_oa_the_limit_message_is_in_chinese_by_default(owner):
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        ask(OWNER_EMAIL, "10.0.4.1", language="zh-hans")
        response = ask(OWNER_EMAIL, "10.0.4.1", language="zh-hans")
    assert response.status_code == 429
    assert "请求过于频繁，请 59 分钟后再试。" in response.content.decode()


@override_settings(OWNER_CODE_TRIES_PER_IP=2)
def test_oa_code_tries_are_limited_per_client_address(owner):
    client = english(REMOTE_ADDR="10.0.5.1")
    client.post(reverse("owners:portal_code_request"), {"identifier": OWNER_EMAIL})
    run_queued_tasks()
    code = re.search(r"\b(\d{6})\b", code_emails()[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(reverse("owners:portal_code_verify"), {"code": wrong}).status_code == 200
    assert client.post(reverse("owners:portal_code_verify"), {"code": wrong}).status_code == 200

    response = client.post(reverse("owners:portal_code_verify"), {"code": code})

    assert response.status_code == 429
    assert "Too many requests." in response.content.decode()
    assert signed_in_user_id(client) is None
