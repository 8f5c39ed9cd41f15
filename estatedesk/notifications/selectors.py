"""Reads of the notifications app: a user only ever sees their own notifications; the failed outbox is
for those who may manage it (the view checks the "notifications.outbox" capability).

Notifications are shown per thing they are about (`Notification.group_key`, e.g. an item's page): one row
with how many there are, how many are unread and the latest; the bell counts things with unread
notifications, not notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet

from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import Notification, OutboundEmail

GROUPS_SHOWN = 100


@dataclass(frozen=True)
class NotificationGroup:
    """The notifications of one user about one thing: the latest of them, how many, how many unread."""

    key: str
    latest: Notification
    count: int
    unread: int

    @property
    def is_unread(self) -> bool:
        return self.unread > 0


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user)


def _groups(notifications: QuerySet[Notification], *, limit: int) -> list[NotificationGroup]:
    """One row per group key, the group with the newest notification first: two queries."""
    rows = list(
        notifications.values("group_key")
        .annotate(
            latest_at=Max("created_at"),
            latest_id=Max("id"),
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-latest_at", "-latest_id")[:limit]
    )
    latest = Notification.objects.in_bulk([row["latest_id"] for row in rows])
    return [
        NotificationGroup(
            key=row["group_key"], latest=latest[row["latest_id"]], count=row["count"], unread=row["unread"]
        )
        for row in rows
        if row["latest_id"] in latest
    ]


def notification_groups(*, user: Any, limit: int = GROUPS_SHOWN) -> list[NotificationGroup]:
    """The user's notifications grouped per thing they are about, the most recent first."""
    return _groups(notification_list(user=user), limit=limit)


def unread_group_count(*, user: Any) -> int:
    """The bell's number: how many things the user has unread notifications about (one COUNT).

    On every page: written as SQL, which the ORM took longer to build than the database to answer (ADR
    0020); the same rows as `notification_list(user=user).filter(read_at__isnull=True)`, whose distinct
    group keys it counts (never empty: models.Notification.save)."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(DISTINCT group_key) FROM {table} WHERE user_id = %s AND read_at IS NULL",  # noqa: S608 - our table's name
            [user.pk],
        )
        return int(cursor.fetchone()[0])


def unread_groups_between(
    *, user: Any, since: datetime, until: datetime, limit: int = GROUPS_SHOWN
) -> list[NotificationGroup]:
    """What the user has unread notifications about that came in [since, until), counting only those
    (the daily digest)."""
    unread = notification_list(user=user).filter(
        read_at__isnull=True, created_at__gte=since, created_at__lt=until
    )
    return _groups(unread, limit=limit)


def outbound_email_failed_list() -> QuerySet[OutboundEmail]:
    """Failed outbox emails, newest first: those still to be retried and those given up."""
    return OutboundEmail.objects.filter(status=OutboxStatus.FAILED).order_by("-created_at", "-id")
