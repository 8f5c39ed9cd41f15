"""Hostile text in emails (issue 10, item 4; R-CH-4 for what the customer and the staff are told by
mail): the outbox builds every email in one place (`notifications.services.email_send`), where the
address and the subject become one line and the body loses its control characters. Whatever a name,
title or note holds, no header is added (no "Bcc:" from a CR/LF), the subject is one line without
control characters or bidirectional overrides, and the message is sent."""

from __future__ import annotations

import email
import email.policy
import unicodedata

import pytest
from django.core import mail

from estatedesk.common.text import BIDI_CONTROLS, multi_line, one_line
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import OutboundEmail
from estatedesk.notifications.outbox import outbound_email_send
from estatedesk.notifications.services import email_send
from tests.hostile.corpus import CONTROL, CORPUS, LINE_BREAK, NAMES

HEADERS = {
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "auto-submitted",
}


def parsed(message: mail.EmailMessage) -> email.message.EmailMessage:
    """The message as the mail server receives it, read back."""
    raw = message.message().as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def assert_one_line_header(value: str, where: str) -> None:
    assert not LINE_BREAK.search(value), f"{where}: a line break in {value[:60]!r}"
    assert not any(unicodedata.category(ch) == "Cc" for ch in value), f"{where}: a control character"
    assert not any(ch in BIDI_CONTROLS for ch in value), f"{where}: a bidirectional control"


def assert_safe_message(message: mail.EmailMessage) -> email.message.EmailMessage:
    received = parsed(message)
    assert {name.lower() for name in received} == HEADERS, received.keys()
    for name in ("subject", "to", "from"):
        assert_one_line_header(str(received[name]), name)
    assert "victim@example.com" not in " ".join(message.recipients())
    body = received.get_content()
    assert not CONTROL.search(body.replace("\r", "")), "a control character in the body"
    return received


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_ch_4_an_email_has_one_line_subject_and_no_extra_header_whatever_its_text(name):
    # given: an email whose subject and body are the string
    value = CORPUS[name]
    queued = email_send(to="owner@example.com", subject=value, body=value)
    # when: the outbox sends it
    sent = outbound_email_send(outbound_email_id=queued.pk)
    # then: sent once, with the headers we set and no others, the subject the text on one line
    assert sent is True
    (message,) = mail.outbox
    received = assert_safe_message(message)
    assert str(received["subject"]) == one_line(value)[:200]
    assert received.get_content().rstrip("\n") == multi_line(value).rstrip("\n")


@pytest.mark.django_db
def test_ch_4_an_address_with_a_line_break_is_never_sent_to():
    # when: an address that tries to add a header and a recipient
    queued = email_send(to="owner@example.com\r\nBcc: victim@example.com", subject="s", body="b")
    # then: kept on one line, failed at once for staff to see, and no task to send it
    assert queued.to == "owner@example.com Bcc: victim@example.com"
    assert queued.status == OutboxStatus.FAILED
    assert queued.next_attempt_at is None
    assert outbound_email_send(outbound_email_id=queued.pk) is False
    assert mail.outbox == []


def test_ch_4_emails_about_hostile_items_are_sent_with_clean_headers(hostile):
    # given: every item of the corpus told its CS supervisor (a title in the subject) and the customer
    queued = list(OutboundEmail.objects.filter(status=OutboxStatus.QUEUED).order_by("id"))
    assert {email.to for email in queued} >= {"supervisor.a@example.com", "shen.owner@example.com"}
    # when: the outbox sends them
    results = [outbound_email_send(outbound_email_id=email.pk) for email in queued]
    # then: every one sent, none with a header of its own making
    assert all(results)
    assert len(mail.outbox) == len(queued)
    for message in mail.outbox:
        assert_safe_message(message)
