"""Reads of the notifications app: a user only ever sees their own notifications; the failed outbox is
for those who may manage it (the view checks the "notifications.outbox" capability)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import Notification, OutboundEmail


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user)


def outbound_email_failed_list() -> QuerySet[OutboundEmail]:
    """Failed outbox emails, newest first: those still to be retried and those given up."""
    return OutboundEmail.objects.filter(status=OutboxStatus.FAILED).order_by("-created_at", "-id")
