"""Notify people: an in-app notification and, when they have an address, an email from the outbox.
Call inside the business transaction; the email task is queued in the same transaction.

How an outbox email is sent, retried and reclaimed is in notifications/outbox.py. Every email is built by
`outbox.outbound_email_queue` (which `email_send` wraps), the one place that makes its text safe (issue 10,
item 4): the address and the subject are one line (no CR/LF can add a header such as "Bcc:", no control
character or bidirectional override), and the body has no control characters besides tab and line feed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from estatedesk.common.audit import audit_record
from estatedesk.common.models import AuditEntry
from estatedesk.notifications import outbox
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.notifications.outbox import REQUEUE_AFTER

logger = logging.getLogger(__name__)


def notify(
    *,
    users: Iterable[Any],
    title: str,
    body: str = "",
    url: str = "",
    group_key: str = "",
    email: bool = True,
) -> int:
    """Tell each user (once however often they are listed). `group_key` says what it is about (e.g. an
    item's page address): notifications with one key are one row of the list, one in the bell's count, and
    are read together when that thing is opened. Without a key, the link is the key; without either, the
    notification is a group of its own."""
    count = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        Notification.objects.create(
            user=user, title=title[:200], body=body, url=url, group_key=group_key[:300]
        )
        if email and user.email:
            email_send(to=user.email, subject=title, body=f"{body}\n\n{url}".strip())
        count += 1
    return count


def notifications_mark_read(*, user: Any, group_key: str) -> int:
    """The user opened what `group_key` is about: their unread notifications about it are read (one
    UPDATE when there are some; never another user's). The number marked read."""
    if not group_key or user is None or not user.is_authenticated:
        return 0
    unread = Notification.objects.filter(user=user, group_key=group_key, read_at__isnull=True)
    if not unread.exists():  # most page views: a read, so no write lock is taken (SQLite has one writer)
        return 0
    return unread.update(read_at=timezone.now())


def notifications_mark_all_read(*, user: Any) -> int:
    """'Mark all as read': every unread notification of the user. The number marked read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def _enqueue_send(outbound_email_id: int) -> None:
    from estatedesk.notifications.tasks import send_email

    send_email.enqueue(outbound_email_id=outbound_email_id)


def email_send(*, to: str, subject: str, body: str) -> OutboundEmail:
    """Queue an email: the row (queued, with its own Message-ID) and its send task, in the caller's
    transaction (outbox.outbound_email_queue, which makes the address, the subject and the body safe; an
    address that is not one valid address is never sent to: its row is failed at once)."""
    return outbox.outbound_email_queue(to=to, subject=subject, body=body, enqueue=_enqueue_send)


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
