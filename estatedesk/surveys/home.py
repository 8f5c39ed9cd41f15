"""The home page's survey reports (R-SV-5): reports waiting for the user's review and reports distributed to
them that they have not read. The home page belongs to org; the lead registers this section
(`common.navigation.register_home_section`). Queries: a few, never one per row."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from estatedesk.common.navigation import HomeSection
from estatedesk.common.scoping import scope_for
from estatedesk.surveys import reports

ROWS = 5


def home_section(request: HttpRequest) -> HomeSection | None:
    user: Any = request.user
    if not scope_for(user).is_staff_member:
        return None
    to_review = reports.reports_to_review(user=user)
    unread = reports.reports_to_read(user=user)
    read_count = unread.count()
    if not to_review and not read_count:
        return None
    return HomeSection(
        template="surveys/_home_reports.html",
        context={
            "to_review": to_review[:ROWS],
            "review_count": len(to_review),
            "to_read": list(unread[:ROWS]) if read_count else [],
            "read_count": read_count,
        },
    )
