"""Notify people: an in-app notification and, when they have an address, an email from the outbox.
Call inside the business transaction; the email task is queued in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from estatedesk.notifications.models import Notification, OutboundEmail


def notify(*, users: Iterable[Any], title: str, body: str = "", url: str = "", email: bool = True) -> int:
    count = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        Notification.objects.create(user=user, title=title[:200], body=body, url=url)
        if email and user.email:
            email_send(to=user.email, subject=title, body=f"{body}\n\n{url}".strip())
        count += 1
    return count


def email_send(*, to: str, subject: str, body: str) -> OutboundEmail:
    from estatedesk.notifications.tasks import send_email

    message = OutboundEmail.objects.create(to=to, subject=subject[:200], body=body)
    send_email.enqueue(outbound_email_id=message.pk)
    return message
