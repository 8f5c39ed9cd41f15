"""The home page's work queues of nonconformities (issue 12, item 9): "my actions" for action owners, "to
verify" for QA. The home page belongs to org; this module registers its section (apps.py). Queries: two
counts and two short lists, never one per row."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from estatedesk.common.navigation import HomeSection
from estatedesk.org.permissions import can_anywhere
from estatedesk.quality import selectors

ROWS = 5


def home_section(request: HttpRequest) -> HomeSection | None:
    user: Any = request.user
    if not can_anywhere(user, "quality.view"):
        return None
    actions = selectors.my_actions(user=user)
    action_count = actions.count()
    verify_count = 0
    verify_rows: list[Any] = []
    if can_anywhere(user, "quality.verify"):
        to_verify = selectors.to_verify(user=user)
        verify_count = to_verify.count()
        verify_rows = list(to_verify[:ROWS]) if verify_count else []
    if not action_count and not verify_count:
        return None
    return HomeSection(
        template="quality/_home_queues.html",
        context={
            "actions": list(actions[:ROWS]) if action_count else [],
            "action_count": action_count,
            "to_verify": verify_rows,
            "verify_count": verify_count,
            "today": timezone.localdate(),
        },
    )
