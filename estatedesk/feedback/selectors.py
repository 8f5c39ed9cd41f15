"""Reads of customer feedback, always scoped; lists filter and search in SQL with a bounded number of
queries whatever the number of items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback.choices import OPEN_STATUSES
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.workflow import Step, available_steps
from estatedesk.owners.contacts import normalize_phone
from estatedesk.owners.models import ResidentPhone


@dataclass(frozen=True)
class ItemFilters:
    status: str = ""
    kind: str = ""
    category: str = ""
    channel: str = ""
    project: str = ""  # project code
    building: int | None = None
    assignee: int | None = None  # supervisor or executor
    overdue: bool = False
    open_only: bool = False
    search: str = ""
    month: date | None = None  # registered in that month (first day), company time zone


def item_list(
    *, user: Any, filters: ItemFilters | None = None, now: datetime | None = None
) -> QuerySet[FeedbackItem]:
    filters = filters or ItemFilters()
    now = now or timezone.now()
    queryset = FeedbackItem.objects.visible_to(user).select_related(
        "project", "building", "unit", "supervisor", "executor"
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    for name in ("kind", "category", "channel"):
        value = getattr(filters, name)
        if value:
            queryset = queryset.filter(**{name: value})
    if filters.project:
        queryset = queryset.filter(project__code=filters.project)
    if filters.building:
        queryset = queryset.filter(building_id=filters.building)
    if filters.assignee:
        queryset = queryset.filter(Q(supervisor_id=filters.assignee) | Q(executor_id=filters.assignee))
    if filters.overdue:
        queryset = queryset.filter(status__in=OPEN_STATUSES).filter(
            Q(contact_due_at__lt=now, contacted_at__isnull=True)
            | Q(action_due_at__lt=now, acted_at__isnull=True)
            | Q(resolution_due_at__lt=now, customer_informed_at__isnull=True)
        )
    if filters.search:
        queryset = queryset.filter(search_condition(filters.search))
    if filters.month:
        # imported here: selectors_stats reads the project pickers of selectors_ui, which imports this module
        from estatedesk.feedback.selectors_stats import month_bounds

        start, end = month_bounds(filters.month)
        queryset = queryset.filter(registered_at__gte=start, registered_at__lt=end)
    return queryset.order_by("-registered_at", "-id")


# What a row of the staff list shows: reading only these columns (and no assignees) halves the page's cost
LIST_ROW_FIELDS = (
    "reference",
    "title",
    "status",
    "channel",
    "registered_at",
    "is_major",
    "is_hot",
    "project__name",
    "project__code",
    "unit__label",
    "contact_due_at",
    "contacted_at",
    "action_due_at",
    "acted_at",
    "resolution_due_at",
    "customer_informed_at",
)


def item_list_rows(
    *, user: Any, filters: ItemFilters | None = None, now: datetime | None = None
) -> QuerySet[FeedbackItem]:
    """`item_list` narrowed to what the staff list page shows."""
    return (
        item_list(user=user, filters=filters, now=now)
        .select_related(None)
        .select_related("project", "unit")
        .only(*LIST_ROW_FIELDS)
    )


def search_condition(text: str) -> Q:
    """A reference ("QD-HJ-20261126-0007"), a phone number, or words of the title and description."""
    text = text.strip()
    if re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*-\d{8}-\d{4}", text):
        return Q(reference=text.upper())
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= 7 and len(digits) == len(re.sub(r"[\s\-+()]", "", text)):
        number = normalize_phone(text)
        # a subquery, not a join: a resident with several phones must not list the item several times
        return Q(contact_phone=number) | Q(
            resident__in=ResidentPhone.objects.filter(number=number).values("resident_id")
        )
    condition = Q()
    for word in text.split()[:5]:
        condition &= Q(title__icontains=word) | Q(description__icontains=word)
    return condition


def item_get_for_user(*, user: Any, reference: str) -> FeedbackItem:
    return get_for_user_or_404(
        FeedbackItem.objects.select_related(
            "project__branch",
            "building",
            "unit",
            "resident",
            "supervisor",
            "executor",
            "registered_by",
            "department",
        ),
        user=user,
        reference=reference,
    )


def item_viewer_is_staff(*, user: Any, item: FeedbackItem) -> bool:
    """Does the user see the item as staff of its project? A staff member elsewhere who lives here sees
    their own item as a customer does."""
    scope = scope_for(user)
    return scope.is_global or item.project_id in scope.project_ids


def item_timeline(*, user: Any, item: FeedbackItem) -> QuerySet[TimelineEvent]:
    """Staff of the item's project see every event; the customer only the public ones."""
    events = item.events.select_related("actor").order_by("at", "id")
    if not item_viewer_is_staff(user=user, item=item):
        events = events.filter(is_public=True)
    return events


def item_steps(*, user: Any, item: FeedbackItem) -> list[Step]:
    roles = scope_for(user).roles_at(project_id=item.project_id, branch_id=item.project.branch_id)
    return available_steps(status=item.status, kind=item.kind, roles=roles)


def clock_states(*, item: FeedbackItem, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each SLA clock with its due time, whether it is met, and the time left or overdue."""
    now = now or timezone.now()
    rows = []
    for clock, due, done in (
        ("contact", item.contact_due_at, item.contacted_at),
        ("action", item.action_due_at, item.acted_at),
        ("resolution", item.resolution_due_at, item.customer_informed_at),
    ):
        if due is None:
            continue
        rows.append(
            {
                "clock": clock,
                "due_at": due,
                "done_at": done,
                "met": done is not None and done <= due,
                "overdue": (done or now) > due,
                "seconds_left": int((due - now).total_seconds()) if done is None else None,
            }
        )
    return rows
