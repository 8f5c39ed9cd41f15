"""The "visits due" work queue on the staff home page (issue 12, item 9) and the menu entry of the visit
list. The home page belongs to `org`, which may not import visits: visits' AppConfig.ready registers
`home_section` with `common.navigation.register_home_section` and `nav_item()` with `register_nav`.

A visitor's queue: their own visits still due, the earliest deadline first, with the customer, the phone as
they may see it and the deadline; the count links to the list filtered the same way. Queries: the count,
the rows (with their project and item), the user's phone permission; never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from estatedesk.common.navigation import HomeSection, NavItem
from estatedesk.org.permissions import can_anywhere, projects_with
from estatedesk.owners.contacts import mask_phone
from estatedesk.visits import selectors
from estatedesk.visits.choices import VisitStatus
from estatedesk.visits.models import ReturnVisit

ROWS = 5


@dataclass(frozen=True)
class DueVisitRow:
    visit: ReturnVisit
    phone: str  # as this user may see it
    tel: str  # the number to dial, "" when masked
    is_overdue: bool


def due_visit_rows(*, user: Any, now: datetime | None = None) -> tuple[int, list[DueVisitRow]]:
    """(how many visits are due for the user, the first of them)."""
    now = now or timezone.now()
    visits = selectors.return_visit_list(user=user, status=VisitStatus.DUE, visitor=user)
    count = visits.count()
    if not count:
        return 0, []
    full = projects_with(user, "owners.phone.full")
    rows = []
    for visit in visits[:ROWS]:
        in_full = full is None or visit.project_id in full
        phone = visit.customer_phone
        rows.append(
            DueVisitRow(
                visit=visit,
                phone=phone if in_full else mask_phone(phone),
                tel=phone if in_full else "",
                is_overdue=visit.due_at is not None and visit.due_at < now,
            )
        )
    return count, rows


def home_section(request: HttpRequest) -> HomeSection | None:
    """The visitor's "visits due" card; nothing for who makes no visits or has none due."""
    user = request.user
    if not can_anywhere(user, "visits.record"):
        return None
    count, rows = due_visit_rows(user=user)
    if not count:
        return None
    query = urlencode({"visitor": "mine", "status": VisitStatus.DUE})
    return HomeSection(
        template="visits/_home_visits.html",
        context={
            "count": count,
            "rows": rows,
            "more": count - len(rows),
            "url": f"{reverse('visits:visit_list')}?{query}",
        },
    )


def nav_item() -> NavItem:
    """The menu entry of the visit list (and the visits pages under it)."""
    return NavItem(
        "visits",
        _("Return visits"),
        "visits:visit_list",
        15,
        lambda user: can_anywhere(user, "visits.view"),
        "☎",
        active_for=("visits:visit_detail", "visits:figures"),
    )
