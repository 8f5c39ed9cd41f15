"""Query guard of the in-app notification list (issue 5, item 7): as many queries with many notifications
as with a few (estatedesk.common.testing.assert_queries_do_not_grow)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.notifications.models import Notification

ROWS = 20


def notification(user, n: int, *, read: bool) -> str:
    return Notification.objects.create(
        user=user,
        title=f"Guard notice {n:02d}",
        body="A new complaint was registered." if n % 2 else "",
        url=f"/feedback/QD-A-20261126-{n:04d}/",
        read_at=timezone.now() if read else None,
    ).title


def test_notification_list_queries_do_not_grow_with_rows(world, login):
    notification(world.agent_a, 90, read=True)
    notification(world.agent_a, 91, read=False)
    notification(world.supervisor_a, 92, read=False)  # someone else's: not shown
    assert_queries_do_not_grow(
        login(world.agent_a),
        reverse("notifications:list"),
        lambda: [notification(world.agent_a, n, read=n % 3 == 0) for n in range(ROWS)],
        ceiling=9,
    )
