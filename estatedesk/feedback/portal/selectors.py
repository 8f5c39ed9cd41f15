"""Reads for the owner-facing side of feedback (R-CH-2, R-FB-5): the place a QR code names, the owner's
own units and own items, and the buildings and areas of a project's QR sheet.

`qr_location_get` is the one unscoped lookup here, on purpose: a QR code is posted in a building for anyone
to scan, and the project and building codes it carries are public. It returns the place and its project's
published contacts (R-CH-3), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback import events, workflow
from estatedesk.feedback.choices import EventKind, Status
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.portal.services import NOT_YET_HANDLED, next_chase_at
from estatedesk.org.choices import BuildingKind
from estatedesk.org.models import Building, Project, Unit
from estatedesk.owners.models import Resident
from estatedesk.owners.selectors_portal import portal_resident


def qr_location_get(*, project_code: str, building_code: str) -> Building:
    """The building or common area a QR code names, with its project; 404 for an unknown or inactive one."""
    try:
        return Building.objects.select_related("project__service_calendar").get(
            project__code=project_code, project__is_active=True, code=building_code
        )
    except Building.DoesNotExist as exc:
        raise Http404 from exc


def qr_sheet_project_get(*, user: Any, project_code: str) -> Project:
    """A project the user can see (404 otherwise); the view checks the capability."""
    return get_for_user_or_404(
        Project.objects.select_related("branch__company"), user=user, code=project_code
    )


def qr_sheet_locations(*, project: Project) -> QuerySet[Building]:
    """Every building, then every common area, of the project: one QR card each."""
    return (
        Building.objects.filter(project=project)
        .select_related("project")
        .annotate(kind_order=Case(When(kind=BuildingKind.BUILDING, then=Value(0)), default=Value(1)))
        .order_by("kind_order", "code", "id")
    )


def owner_resident_at(*, user: Any, project: Project) -> Resident | None:
    """The signed-in user's resident record when they live in `project` now, else None."""
    if project.pk not in scope_for(user).owner_project_ids:
        return None
    return portal_resident(user=user)


def owner_units(*, user: Any) -> QuerySet[Unit]:
    """The units the owner lives in now (not every unit a staff role covers, should they have one)."""
    return (
        Unit.objects.visible_to(user)
        .filter(occupancies__resident__user_id=user.pk, occupancies__ended_on__isnull=True)
        .select_related("project", "building")
        .order_by("project__code", "label")
        .distinct()
    )


def owner_items(*, user: Any) -> QuerySet[FeedbackItem]:
    """The owner's own items, newest first, each with its public timeline (`public_events`) and
    attachments prefetched: three queries whatever the number of items.

    Only public events, as `selectors.item_timeline` shows an owner: this is the customer's view even when
    the account also holds a staff role."""
    return (
        FeedbackItem.objects.visible_to(user)
        .filter(resident__user_id=user.pk)
        .select_related("project", "building", "unit")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=TimelineEvent.objects.filter(is_public=True).order_by("at", "id"),
                to_attr="public_events",
            ),
            "attachments",
        )
        .order_by("-registered_at", "-id")
    )


def owner_items_page(*, user: Any, page_number: Any, per_page: int = 20) -> Page:
    """One page of `owner_items`, each item with `is_rateable` and each public event with `label` (the
    step it reached, or what happened) for the page to show."""
    page = Paginator(owner_items(user=user), per_page).get_page(page_number)
    for item in page.object_list:
        item.is_rateable = item_is_rateable(item)  # type: ignore[attr-defined]
        for event in item.public_events:  # type: ignore[attr-defined]
            event.label = events.describe(event, for_customer=True).what
    return page


def owner_item_get(*, user: Any, reference: str) -> FeedbackItem:
    """One of the owner's own items, or 404 (another owner's item, a staff member's view, or none)."""
    return get_for_user_or_404(
        FeedbackItem.objects.select_related("project", "resident").filter(resident__user_id=user.pk),
        user=user,
        reference=reference,
    )


def owner_item_detail(*, user: Any, reference: str) -> FeedbackItem:
    """One of the owner's own items for its page (issue 11), or 404: with its department, supervisor and
    executor, its public events described for the customer (`steps`, `describe_all(for_customer=True)`), its
    photos (`photos`), and what the owner may do now (`is_rateable`, `may_chase`, `next_chase_at`,
    `may_withdraw`, `may_add_information`)."""
    item = get_for_user_or_404(
        FeedbackItem.objects.select_related(
            "project", "building", "unit", "resident", "department", "executor", "supervisor"
        ).filter(resident__user_id=user.pk),
        user=user,
        reference=reference,
    )
    public = list(item.events.filter(is_public=True).order_by("at", "id"))
    item.steps = events.describe_all(public, for_customer=True)  # type: ignore[attr-defined]
    item.photos = [  # type: ignore[attr-defined]
        attachment
        for attachment in item.attachments.order_by("uploaded_at", "id")
        if attachment.content_type.startswith("image/")
    ]
    in_the_works = item.status in NOT_YET_HANDLED
    item.next_chase_at = next_chase_at(item=item) if in_the_works else None  # type: ignore[attr-defined]
    item.may_chase = in_the_works and item.next_chase_at is None  # type: ignore[attr-defined]
    item.may_withdraw = in_the_works  # type: ignore[attr-defined]
    item.may_add_information = item.is_open  # type: ignore[attr-defined]
    item.is_rateable = item_is_rateable(item)  # type: ignore[attr-defined]
    item.progress = owner_item_progress(item)  # type: ignore[attr-defined]
    return item


@dataclass(frozen=True)
class Milestone:
    """A step of the handling as the owner follows it: what, and when it happened (None: not yet)."""

    name: str
    label: str
    at: datetime | None = None
    detail: str = ""


# statuses at or after "in progress" on the R-FB path
STARTED = frozenset(
    {Status.IN_PROGRESS, Status.HANDLED, Status.CS_INFORMED, Status.CUSTOMER_INFORMED, Status.CLOSED}
)


def owner_item_progress(item: FeedbackItem) -> list[Milestone]:
    """The steps that concern the owner, from the item's own columns (issue 11): received, passed to the
    department, technician assigned (by name), the visit agreed, in progress, done, told the result. Only
    the time and the outcome of each step are read: never a staff note or an internal event."""
    started_at = None
    if item.status in STARTED:
        started_at = (
            TimelineEvent.objects.filter(
                item_id=item.pk, kind=EventKind.TRANSITION, to_status=Status.IN_PROGRESS
            )
            .order_by("-at", "-id")
            .values_list("at", flat=True)
            .first()
        ) or item.handled_at
    department = str(item.department.name) if item.department_id and item.department else ""
    executor = str(item.executor) if item.executor_id and item.executor else ""
    return [
        Milestone("received", _("Received"), item.registered_at),
        Milestone(
            "dispatched",
            _("Passed to the department in charge"),
            item.contacted_at,
            department,
        ),
        Milestone(
            "assigned", _("Technician assigned"), item.arranged_at, executor if item.arranged_at else ""
        ),
        Milestone("appointment", _("Visit agreed"), item.appointment_at),
        Milestone("in_progress", _("In progress"), started_at),
        Milestone("done", _("Done"), item.handled_at),
        Milestone("told", _("We told you the result"), item.customer_informed_at),
    ]


def item_is_rateable(item: FeedbackItem) -> bool:
    """Once told the result, once (workflow.is_rateable, as the rating service checks)."""
    return workflow.is_rateable(item)
