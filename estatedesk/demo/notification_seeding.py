"""The demo's notifications as people would have them (issue 11): the seeding makes months of items through
the services in a few seconds, so every notification is stamped "now" and unread (the CS supervisor's bell
showed 437). Here each item's notifications are spread over its history, in the order they were made, and
those about items with no activity in the last day are read, as their people would have read them."""

from __future__ import annotations

from datetime import datetime, timedelta

from estatedesk.feedback import notices
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.models import Notification

RECENT = timedelta(days=1)  # notifications about items active since then stay unread


def settle_notifications(*, now: datetime) -> int:
    """Backdate the notifications about the demo items and mark the old ones read; the number marked read."""
    items = {
        notices.item_group_key(item): item
        for item in FeedbackItem.objects.only("pk", "reference", "registered_at", "updated_at")
    }
    by_key: dict[str, list[Notification]] = {}
    for notification in Notification.objects.filter(group_key__in=list(items)).order_by("id"):
        by_key.setdefault(notification.group_key, []).append(notification)
    changed: list[Notification] = []
    read = 0
    for key, notifications in by_key.items():
        item = items[key]
        start = min(item.registered_at, now)
        end = max(start, min(item.updated_at, now))
        step = (end - start) / max(1, len(notifications) - 1)
        recent = end >= now - RECENT
        for index, notification in enumerate(notifications):
            notification.created_at = start + step * index if len(notifications) > 1 else end
            if not recent and notification.read_at is None:
                notification.read_at = notification.created_at
                read += 1
            changed.append(notification)
    Notification.objects.bulk_update(changed, ["created_at", "read_at"], batch_size=500)
    return read
