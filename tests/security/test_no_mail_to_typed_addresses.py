"""Owners cannot make the system mail an address they type (issue 16, item 2c): a new email waits for staff
to confirm it, and then for the account holder (owners.email_change); a sign-in code goes only to the
address on file; the QR form takes a phone number, never an address; an address given with a request
through the API gets at most a request to confirm it.

Mail leaves through three doors, all watched here: the outbox (`OutboundEmail`), a queued task (the
sign-in code), and Django's mail backend."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from estatedesk.notifications.models import OutboundEmail
from estatedesk.owners.models import ContactChangeRequest, Resident

TYPED = "somebody.else@example.com"


def mail_to(address: str) -> list[str]:
    """Every way mail to `address` has been sent or queued."""
    queued = [
        f"outbox: {subject}"
        for subject in OutboundEmail.objects.filter(to=address).values_list("subject", flat=True)
    ]
    tasks = [f"task: {t.task_path}" for t in DBTaskResult.objects.all() if address in str(t.args_kwargs)]
    sent = [f"sent: {m.subject}" for m in mail.outbox if address in m.to]
    return queued + tasks + sent


@pytest.fixture
def owner(world: Any) -> Resident:
    resident = Resident.objects.get(user=world.owner_a)
    Resident.objects.filter(pk=resident.pk).update(email="shen.own@example.com")
    return resident


def test_sec_an_owners_new_email_is_not_mailed_until_staff_confirm_it(owner, world, login):
    # given owner_a in the portal
    client = login(world.owner_a)
    # when they correct their email to an address of their choice
    response = client.post(
        reverse("owners:portal_profile"),
        {
            "phone_1": "13800001234",
            "email": TYPED,
            "preferred_language": "zh-hans",
            "contact_preference": "phone",
        },
    )
    # then the correction waits for the service centre and nothing is sent to that address
    assert response.status_code == 302
    assert ContactChangeRequest.objects.get(resident=owner).requested["email"] == TYPED
    assert mail_to(TYPED) == []


def test_sec_a_confirmed_email_gets_only_a_confirmation_link_and_changes_nothing_yet(owner, world, login):
    # given owner_a's new email, confirmed by A's CS supervisor
    client = login(world.owner_a)
    client.post(
        reverse("owners:portal_profile"),
        {
            "phone_1": "13800001234",
            "email": TYPED,
            "preferred_language": "zh-hans",
            "contact_preference": "phone",
        },
    )
    change = ContactChangeRequest.objects.get(resident=owner)
    login(world.supervisor_a).post(
        reverse("owners:change_request_review", args=[change.pk]), {"approve": "1"}
    )
    # when the outbox is read
    sent = OutboundEmail.objects.get(to=TYPED)
    # then the new address got one message: a link to confirm, with nothing of the owner's record in it
    assert "/portal/email/confirm/" in sent.body
    for private in ("沈业主", "13800001234", "1-1-101", "shen.own@example.com"):
        assert private not in sent.body
    # and the email on file stays until the account holder confirms
    owner.refresh_from_db()
    assert owner.email == "shen.own@example.com"


def test_sec_a_sign_in_code_goes_only_to_the_address_on_file(owner, world, client):
    # given somebody on the owners' sign-in page
    # when they ask for a code for an address that is not on file
    response = client.post(reverse("owners:portal_code_request"), {"identifier": TYPED})
    # then the page answers as for anybody, and nothing is sent or queued for that address
    assert response.status_code == 302
    assert mail_to(TYPED) == []


def test_sec_the_qr_form_takes_a_phone_never_an_address(world, client):
    # given an anonymous visitor at building 1 of project A's QR code
    url = reverse("feedback_portal:qr_form", args=["QD-A", "1"])
    # when they report a problem and add an email address to the form
    response = client.post(
        url,
        {
            "kind": "complaint",
            "category": "engineering",
            "description": "The door of entrance 1 does not close.",
            "contact_name": "路人",
            "contact_phone": "13700001111",
            "contact_email": TYPED,
            "form_token": "qr-form-1",
        },
    )
    # then the report is registered and nothing is sent to the address
    assert response.status_code == 302
    assert mail_to(TYPED) == []


def test_sec_an_owner_cannot_have_the_feedback_api_mail_an_address_they_type(owner, world):
    """An address an owner types for a request gets at most a request to confirm it (feedback's
    intake.confirmation), never the acknowledgement with the owner's words."""
    # given owner_a signed in to the API
    api = APIClient()
    api.force_authenticate(world.owner_a)
    # when they register a request about their own unit with somebody else's address as the contact
    response = api.post(
        "/api/feedback/items/create/",
        {
            "project": "QD-A",
            "channel": "portal",
            "kind": "repair",
            "category": "engineering",
            "description": "Please look at the door of entrance 1, it does not close.",
            "unit": world.unit_a.pk,
            "contact_email": TYPED,
        },
        format="json",
    )
    # then the request is registered, and that address gets at most one message, a request to confirm it,
    # with none of the owner's words in it
    assert response.status_code == 201, response.content
    sent = list(OutboundEmail.objects.filter(to=TYPED))
    assert len(sent) <= 1
    for message in sent:
        assert "Please look at the door" not in message.subject + message.body
