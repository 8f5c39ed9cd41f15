"""Notify people: an in-app notification and, when they have an address, an email from the outbox.
Call inside the business transaction; the email task is queued in the same transaction.

How an outbox email is sent, retried and reclaimed is in notifications/outbox.py. Every email is built
here, by `email_send`, the one place that makes its text safe (issue 10, item 4): the address and the
subject are one line (no CR/LF can add a header such as "Bcc:", no control character or bidirectional
override), and the body has no control characters besides tab and line feed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from estatedesk.common.audit import audit_record
from estatedesk.common.models import AuditEntry
from estatedesk.common.text import multi_line, one_line
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.notifications.outbox import REQUEUE_AFTER

logger = logging.getLogger(__name__)
NOT_AN_ADDRESS = "not one valid email address: not sent"


def notify(*, users: Iterable[Any], title: str, body: str = "", url: str = "", email: bool = True) -> int:
    count = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        Notification.objects.create(user=user, title=title[:200], body=body, url=url)
        if email and user.email:
            email_send(to=user.email, subject=title, body=f"{body}\n\n{url}".strip())
        count += 1
    return count


def _enqueue_send(outbound_email_id: int) -> None:
    from estatedesk.notifications.tasks import send_email

    send_email.enqueue(outbound_email_id=outbound_email_id)


def email_send(*, to: str, subject: str, body: str) -> OutboundEmail:
    """Queue an email: the row (queued, with its own Message-ID) and its send task, in the caller's
    transaction. Should the task be lost, the outbox sweep enqueues another after REQUEUE_AFTER. The address
    and the subject become one line, the body loses its control characters (`common.text`); an address
    that is not one valid address is never sent to: its row is failed at once, for staff to see."""
    address = one_line(to)
    values = {"to": address[:254], "subject": one_line(subject)[:200], "body": multi_line(body)}
    try:
        validate_email(address)
    except ValidationError:
        logger.warning("outbox: not sending to %r, not one valid email address", address[:254])
        return OutboundEmail.objects.create(
            **values, status=OutboxStatus.FAILED, last_error=NOT_AN_ADDRESS, next_attempt_at=None
        )
    message = OutboundEmail.objects.create(**values, next_attempt_at=timezone.now() + REQUEUE_AFTER)
    _enqueue_send(message.pk)
    return message


def outbound_email_resend(*, actor: Any, outbound_email_id: int) -> bool:
    """Staff re-queue a failed email: queued with a fresh count of attempts, sent by the next worker, and
    audited. False when it is no longer failed (already resent, or sent meanwhile)."""
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=outbound_email_id, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=timezone.now() + REQUEUE_AFTER
        )
        if not updated:
            return False
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=OutboundEmail.objects.get(pk=outbound_email_id),
            before={"status": OutboxStatus.FAILED.value},
            after={"status": OutboxStatus.QUEUED.value},
        )
        _enqueue_send(outbound_email_id)
    return True
