"""Reads of the in-app notifications: a user only ever sees their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from estatedesk.notifications.models import Notification


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user)
