"""The demo does not greet anyone with hundreds of unread items (issue 11): the seeding's notifications are
spread over each item's history and those about items quiet for more than a day are read."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.feedback import notices
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.models import Notification
from estatedesk.notifications.selectors import unread_group_count


def test_the_demo_supervisor_starts_with_a_handful_of_unread_items(demo_seeded, db):
    # given the demo (conftest.py)
    users = get_user_model().objects
    supervisor = users.get(username="supervisor_a")
    now = timezone.now()
    # then the CS supervisor has a realistic handful of items to look at, not hundreds
    assert 0 < unread_group_count(user=supervisor) <= 20
    assert all(unread_group_count(user=user) <= 30 for user in users.all())
    # and what is unread is about items with activity in the last day; the history stays, read, and dated
    recent = {
        notices.item_group_key(item)
        for item in FeedbackItem.objects.filter(updated_at__gte=now - timedelta(days=1, minutes=5))
    }
    unread = set(
        Notification.objects.filter(user=supervisor, read_at__isnull=True).values_list("group_key", flat=True)
    )
    assert unread <= recent
    assert Notification.objects.filter(user=supervisor, read_at__isnull=False).count() > 100
    assert not Notification.objects.filter(created_at__gt=now).exists()
    assert Notification.objects.filter(user=supervisor, created_at__lt=now - timedelta(days=7)).exists()
