"""Owners get accounts (issue 11, R-OA-1): staff invite a resident (a printed letter with a QR code, or an
email link), the owner activates the account with the one-time code and their phone on file, then signs in
with phone + password or a code to the archived email; an owner asks for an account from the portal and
staff confirm it; a lost password is reset with a code to the archived email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.owners import invitations
from estatedesk.owners.choices import AccountRequestStatus
from estatedesk.owners.models import AccountRequest, PortalInvitation, Resident
from estatedesk.owners.tests.test_portal import (  # noqa: F401 - the worker fixture is used by name
    _worker_inside_the_test_transaction,
    code_from,
    run_queued_tasks,
)

NEW_PASSWORD = "Harbour-view-2026"  # noqa: S105 - test data
NEIGHBOUR_PHONE = "13900005678"
NEIGHBOUR_EMAIL = "neighbour@example.invalid"
NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture
def neighbour(world):
    """The owner of 1-1-102, in the archive with a phone and an email, without an account yet."""
    resident = Resident.objects.get(name="邻居")
    resident.email = NEIGHBOUR_EMAIL
    resident.save(update_fields=["email"])
    return resident


def english(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def password_sign_in(username: str, password: str) -> int | None:
    """Sign in on the sign-in page as anyone does; the id of the account signed in, or None."""
    client = english()
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return signed_in_user_id(client)


def activation_code_on(page: str) -> str:
    return re.search(r'data-testid="activation-code">([A-Z0-9-]+)<', page).group(1)


def activate(code: str, phone: str = NEIGHBOUR_PHONE, password: str = NEW_PASSWORD) -> tuple[Client, object]:
    client = english()
    response = client.post(
        reverse("owners:portal_activate"),
        {"code": code, "phone": phone, "password1": password, "password2": password},
    )
    return client, response


# --- invite → activate → sign in ----------------------------------------------------------------------------


def test_oa_1_staff_invite_prints_a_letter_the_owner_activates_and_then_signs_in_by_phone(world, neighbour):
    # given the agent of project A opens the neighbour's page and invites them
    staff = english(world.agent_a)
    page = staff.get(reverse("owners:resident_detail", args=[neighbour.pk])).content.decode()
    assert reverse("owners:invitation_create", args=[neighbour.pk]) in page
    letter = staff.post(reverse("owners:invitation_create", args=[neighbour.pk]))
    assert letter.status_code == 200
    body = letter.content.decode()
    code = activation_code_on(body)
    assert "<svg" in body  # the QR code of the activation page
    assert "letter__qr" in body
    invitation = PortalInvitation.objects.get(resident=neighbour)
    assert code.replace("-", "") not in invitation.code_hash  # stored hashed
    assert invitation.created_by == world.agent_a
    # when the owner activates with the code, their phone in another spelling and a password
    owner, response = activate(code.lower().replace("-", " "), phone="+86 139-0000-5678")
    # then the account is made, linked to the resident, and signed in
    assert response.status_code == 302
    assert response["Location"] == reverse("owners:portal")
    neighbour.refresh_from_db()
    assert neighbour.user is not None
    assert signed_in_user_id(owner) == neighbour.user.pk
    assert owner.get(reverse("owners:portal")).status_code == 200
    # and the owner signs in again with phone + password
    assert password_sign_in("139 0000 5678", NEW_PASSWORD) == neighbour.user.pk
    # and the resident page says so, without the invite button
    page = staff.get(reverse("owners:resident_detail", args=[neighbour.pk])).content.decode()
    assert 'data-testid="has-portal-account"' in page
    assert 'data-testid="invite"' not in page


def test_oa_1_an_invited_owner_signs_in_with_a_code_to_the_archived_email(world, neighbour):
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    activate(issued.code)
    client = english()
    client.post(reverse("owners:portal_code_request"), {"identifier": NEIGHBOUR_EMAIL})
    run_queued_tasks()
    response = client.post(reverse("owners:portal_code_verify"), {"code": code_from(mail.outbox[-1])})
    assert response.status_code == 302
    assert signed_in_user_id(client) == Resident.objects.get(pk=neighbour.pk).user_id


def test_oa_1_an_emailed_invitation_carries_a_link_that_activates_the_account(world, neighbour):
    staff = english(world.agent_a)
    response = staff.post(reverse("owners:invitation_create", args=[neighbour.pk]), {"by_email": "1"})
    assert response.status_code == 200
    assert "is on its way to neighbour@example.invalid" in response.content.decode()
    invitation = PortalInvitation.objects.get(resident=neighbour)
    assert invitation.code_hash == ""  # drawn by the send task: the plain code is never stored
    run_queued_tasks()
    run_queued_tasks()  # a retried task mails nothing more
    assert [message.to for message in mail.outbox] == [[NEIGHBOUR_EMAIL]]
    link = re.search(r"(http\S+/portal/activate/\?code=(\S+))", mail.outbox[0].body)
    assert link is not None
    page = english().get(link.group(1).split("testserver")[-1])
    assert link.group(2) in page.content.decode()  # the code is filled in
    _client, response = activate(link.group(2))
    assert response.status_code == 302


# --- the code: once, until it expires, the newest only ------------------------------------------------------


def test_oa_1_an_activation_code_works_once(world, neighbour):
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    _client, first = activate(issued.code)
    assert first.status_code == 302
    client, again = activate(issued.code, password="Another-pass-2026")
    assert again.status_code == 400
    assert "This activation code is not valid" in again.content.decode()
    assert signed_in_user_id(client) is None


def test_oa_1_an_expired_activation_code_is_refused(world, neighbour):
    with time_machine.travel(NOON, tick=False):
        issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    with time_machine.travel(NOON + timedelta(days=14, seconds=1), tick=False):
        _client, response = activate(issued.code)
    assert response.status_code == 400
    assert Resident.objects.get(pk=neighbour.pk).user_id is None


def test_oa_1_a_new_invitation_revokes_the_old_code(world, neighbour):
    older = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    newer = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    assert activate(older.code)[1].status_code == 400
    assert activate(newer.code)[1].status_code == 302


def test_oa_1_the_code_without_the_phone_on_file_opens_nothing(world, neighbour):
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    _client, response = activate(issued.code, phone="13800001234")  # another owner's number
    assert response.status_code == 400
    assert Resident.objects.get(pk=neighbour.pk).user_id is None
    assert activate(issued.code)[1].status_code == 302  # the attempt did not use the code up


def test_oa_1_a_weak_or_mistyped_password_is_explained(world, neighbour):
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    _client, weak = activate(issued.code, password="123")
    assert weak.status_code == 400
    client = english()
    mistyped = client.post(
        reverse("owners:portal_activate"),
        {"code": issued.code, "phone": NEIGHBOUR_PHONE, "password1": NEW_PASSWORD, "password2": "other"},
    )
    assert mistyped.status_code == 400
    assert "The two passwords differ." in mistyped.content.decode()
    assert Resident.objects.get(pk=neighbour.pk).user_id is None


def test_oa_1_activation_tries_are_rate_limited_per_address(world, neighbour, settings):
    settings.OWNER_ACTIVATION_TRIES_PER_IP = 2
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    assert activate("WRONG-CODE-XXXX")[1].status_code == 400
    assert activate("WRONG-CODE-XXXX")[1].status_code == 400
    _client, refused = activate(issued.code)
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


# --- staff accounts never, and only who may -----------------------------------------------------------------


def test_oa_1_a_resident_linked_to_a_staff_account_is_not_invited(world):
    Resident.objects.filter(name="邻居").update(user=world.agent_a)
    resident = Resident.objects.get(name="邻居")
    with pytest.raises(DomainError) as refused:
        invitations.invitation_issue(actor=world.supervisor_a, resident=resident)
    assert refused.value.code == "owners.has_account"
    assert not PortalInvitation.objects.exists()


def test_oa_1_activation_makes_a_new_owner_account_never_an_existing_one(world, neighbour, django_user_model):
    users_before = set(django_user_model.objects.values_list("pk", flat=True))
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    activate(issued.code)
    user = Resident.objects.get(pk=neighbour.pk).user
    assert user.pk not in users_before
    assert not user.is_staff
    assert not user.is_superuser
    assert not user.memberships.exists()


def test_oa_1_only_archive_editors_of_the_resident_s_project_invite(world, neighbour):
    for persona in ("outsider", "owner_a"):
        with pytest.raises(PermissionDenied):
            invitations.invitation_issue(actor=world.users[persona], resident=neighbour)
    assert (
        english(world.outsider).post(reverse("owners:invitation_create", args=[neighbour.pk])).status_code
        == 404
    )
    assert (
        english(world.owner_a).post(reverse("owners:invitation_create", args=[neighbour.pk])).status_code
        == 403
    )
    assert not PortalInvitation.objects.exists()


# --- account requests from the portal -----------------------------------------------------------------------


def request_account(project, unit="1-1-102", phone=NEIGHBOUR_PHONE, name="邻居"):
    return english().post(
        reverse("owners:portal_account_request"),
        {"project": project.pk, "unit_label": unit, "phone": phone, "name": name},
    )


def test_oa_1_an_account_request_is_confirmed_by_staff_and_invites_the_resident(world, neighbour):
    response = request_account(world.project_a)
    assert response.status_code == 200
    assert "the service centre will send you an invitation" in response.content.decode()
    account_request = AccountRequest.objects.get()
    staff = english(world.agent_a)
    listing = staff.get(reverse("owners:account_request_list")).content.decode()
    assert "1-1-102" in listing
    assert reverse("owners:resident_detail", args=[neighbour.pk]) in listing
    letter = staff.post(
        reverse("owners:account_request_review", args=[account_request.pk]), {"decision": "confirm"}
    )
    assert letter.status_code == 200
    account_request.refresh_from_db()
    assert (account_request.status, account_request.resident) == (AccountRequestStatus.CONFIRMED, neighbour)
    assert activate(activation_code_on(letter.content.decode()))[1].status_code == 302


def test_oa_1_account_requests_are_answered_alike_whatever_exists(world, neighbour):
    known = request_account(world.project_a)
    unknown = request_account(world.project_a, unit="9-9-909", phone="13612345678")
    assert known.status_code == unknown.status_code == 200
    assert 'data-testid="account-request-done"' in known.content.decode()
    assert 'data-testid="account-request-done"' in unknown.content.decode()
    unmatched = AccountRequest.objects.get(unit_label="9-9-909")
    with pytest.raises(DomainError) as refused:
        invitations.account_request_confirm(actor=world.agent_a, account_request=unmatched)
    assert refused.value.code == "owners.request_unmatched"


def test_oa_1_account_requests_are_rate_limited_per_phone(world, neighbour):
    for _ in range(3):
        assert request_account(world.project_a).status_code == 200
    refused = request_account(world.project_a)
    assert refused.status_code == 429
    assert AccountRequest.objects.count() == 3


def test_oa_1_a_declined_request_needs_a_reason_and_stays_declined(world, neighbour):
    request_account(world.project_a)
    account_request = AccountRequest.objects.get()
    with pytest.raises(DomainError):
        invitations.account_request_decline(actor=world.agent_a, account_request=account_request, reason=" ")
    staff = english(world.agent_a)
    staff.post(
        reverse("owners:account_request_review", args=[account_request.pk]),
        {"decision": "decline", "reason": "Not the phone on file"},
    )
    account_request.refresh_from_db()
    assert (account_request.status, account_request.review_note) == (
        AccountRequestStatus.DECLINED,
        "Not the phone on file",
    )
    assert not PortalInvitation.objects.exists()


def test_oa_1_account_requests_of_a_project_are_not_seen_by_an_outsider(world, neighbour):
    request_account(world.project_a)
    account_request = AccountRequest.objects.get()
    outsider = english(world.outsider)
    assert "1-1-102" not in outsider.get(reverse("owners:account_request_list")).content.decode()
    response = outsider.post(
        reverse("owners:account_request_review", args=[account_request.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 404
    assert english(world.owner_a).get(reverse("owners:account_request_list")).status_code == 403


# --- a lost password ----------------------------------------------------------------------------------------


def test_oa_1_a_lost_password_is_reset_with_a_code_to_the_archived_email(world, neighbour):
    issued = invitations.invitation_issue(actor=world.agent_a, resident=neighbour)
    activate(issued.code)
    client = english()
    response = client.post(reverse("owners:portal_password_forgot"), {"identifier": NEIGHBOUR_PHONE})
    assert response["Location"] == reverse("owners:portal_code_verify")
    run_queued_tasks()
    response = client.post(reverse("owners:portal_code_verify"), {"code": code_from(mail.outbox[-1])})
    assert response["Location"] == reverse("owners:portal_password_set")
    response = client.post(
        reverse("owners:portal_password_set"),
        {"new_password1": "Garden-gate-2027", "new_password2": "Garden-gate-2027"},
    )
    assert response["Location"] == reverse("owners:portal")
    user_id = Resident.objects.get(pk=neighbour.pk).user_id
    assert password_sign_in(NEIGHBOUR_PHONE, NEW_PASSWORD) is None
    assert password_sign_in(NEIGHBOUR_PHONE, "Garden-gate-2027") == user_id


def test_oa_1_the_new_password_page_opens_only_right_after_a_reset_code(world):
    response = english(world.owner_a).get(reverse("owners:portal_password_set"))
    assert response.status_code == 403
    assert english(world.outsider).get(reverse("owners:portal_password_set")).status_code == 403
