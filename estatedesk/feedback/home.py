"""The work queues on the staff home page (issue 11): for each of the user's queues (queues.py) its count
and, for a work queue, its first rows with where, whom to call, the deadline and the next steps, which
post to the item's step endpoint and come back here. Figures (branch, HQ, the general manager) are counts
that link into the list with the queue.

The home page belongs to `org`, which may not import feedback: this module registers a section with
`common.navigation.register_home_section` (apps.py), and org's home includes its template.

Queries: the counts (one aggregate, shared with the menu), two per work queue shown (its rows, and the
phones of their residents), and the user's phone permission; never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from estatedesk.common.navigation import HomeSection
from estatedesk.common.scoping import Scope, scope_for
from estatedesk.feedback import queues
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import Deadline, next_deadline
from estatedesk.feedback.workflow import Step, available_steps
from estatedesk.org.permissions import can_anywhere, projects_with
from estatedesk.owners.contacts import mask_phone
from estatedesk.owners.models import ResidentPhone

ROWS_PER_QUEUE = 5
# steps taken on the item page, not from a list: they undo or end the work and ask why
NOT_FROM_THE_LIST = frozenset({"cancel", "reopen"})


@dataclass(frozen=True)
class RowStep:
    """A step offered on a row: `on_page` when it needs the item page (it assigns someone)."""

    step: Step
    on_page: bool

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def label(self) -> str:
        return str(self.step.label)


@dataclass(frozen=True)
class QueueRow:
    item: FeedbackItem
    place: str
    contact_name: str
    phone: str  # as this user may see it (masked for the roles that do not call owners)
    tel: str  # the number to dial, "" when masked
    deadline: Deadline | None
    steps: list[RowStep]


@dataclass(frozen=True)
class QueueCard:
    queue: queues.Queue
    count: int
    url: str
    rows: list[QueueRow] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


def _place(item: FeedbackItem) -> str:
    parts = [item.project.name]
    if item.unit is not None:
        parts.append(item.unit.label)
    elif item.building is not None:
        parts.append(item.building.name)
    if item.location_note:
        parts.append(item.location_note)
    return " · ".join(parts)


def _steps(scope: Scope, item: FeedbackItem) -> list[RowStep]:
    roles = scope.roles_at(project_id=item.project_id, branch_id=item.project.branch_id)
    return [
        RowStep(step=step, on_page=step.assignee is not None)
        for step in available_steps(status=item.status, kind=item.kind, roles=roles)
        if step.name not in NOT_FROM_THE_LIST
    ]


def _contact(item: FeedbackItem) -> tuple[str, str]:
    """(name, phone) to call: those given with the item, else the resident's name and first phone."""
    resident = item.resident
    phones = getattr(resident, "phone_list", []) if resident is not None else []
    name = item.contact_name or (resident.name if resident is not None else "")
    return name, item.contact_phone or (phones[0].number if phones else "")


def _row(item: FeedbackItem, *, scope: Scope, full_phone: frozenset[int] | None, now: datetime) -> QueueRow:
    name, phone = _contact(item)
    in_full = bool(phone) and (full_phone is None or item.project_id in full_phone)
    return QueueRow(
        item=item,
        place=_place(item),
        contact_name=name,
        phone=phone if in_full else mask_phone(phone) if phone else "",
        tel=phone if in_full else "",
        deadline=next_deadline(item, now=now),
        steps=_steps(scope, item),
    )


def _is_figure(queue: queues.Queue, roles: frozenset[str]) -> bool:
    """A figure (a count and a link) for a role that oversees; rows for a role that works the queue."""
    if queue.is_figure:
        return True
    own = queue.roles & roles
    return bool(own) and own <= queues.FIGURE_ROLES


def work_queue_cards(*, user: Any, now: datetime | None = None) -> tuple[list[QueueCard], list[QueueCard]]:
    """(the work queues with their first rows, the figures), in the table's order."""
    mine = queues.queues_for(user=user)
    if not mine:
        return [], []
    now = now or timezone.now()
    scope = scope_for(user)
    roles = scope.all_roles
    counts = queues.user_queue_counts(user=user)
    full_phone = projects_with(user, "owners.phone.full")
    list_url = reverse("feedback:item_list")
    cards, figures = [], []
    for queue in mine:
        card = QueueCard(queue=queue, count=counts.get(queue.name, 0), url=f"{list_url}?queue={queue.name}")
        if _is_figure(queue, roles):
            figures.append(card)
            continue
        if card.count:
            items = (
                queues.queue_items(user=user, queue=queue, now=now)
                .select_related("project", "unit", "building", "resident")
                .prefetch_related(
                    Prefetch(
                        "resident__phones",
                        queryset=ResidentPhone.objects.order_by("position", "id"),
                        to_attr="phone_list",
                    )
                )[:ROWS_PER_QUEUE]
            )
            card.rows.extend(_row(item, scope=scope, full_phone=full_phone, now=now) for item in items)
        cards.append(card)
    return cards, figures


def home_section(request: HttpRequest) -> HomeSection | None:
    user = request.user
    if not can_anywhere(user, "feedback.view"):
        return None
    cards, figures = work_queue_cards(user=user)
    if not cards and not figures:
        return None
    return HomeSection(
        template="feedback/_home_queues.html",
        context={"cards": cards, "figures": figures, "next": request.get_full_path()},
    )
