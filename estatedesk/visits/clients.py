"""Visits to clients (R-CS-1): the CS supervisor's (or project manager's) regular or ad-hoc visits to the
contracting client of the property service (贵方: the developer, an institution, the owners' committee; not
an individual owner), planned, recorded with what the client raised and the follow-up, and able to turn what
was raised into feedback items (channel `client_visit`, through feedback's one registration service).

Services write (keyword-only, `actor` first, atomic, audited); selectors read, always scoped through
`ClientVisit.objects.visible_to(user)`. Who may write: `visits.client` at the visit's project.

A regular visit repeats without a schedule table: recording one may plan the next (`next_planned_on`, whose
default on the forms is the visit date + `REGULAR_INTERVAL_DAYS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.common.text import multi_line, one_line
from estatedesk.feedback.choices import Category, Channel, Kind, Priority
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.models import Building, Project
from estatedesk.org.permissions import CAPABILITIES, can, projects_with, require
from estatedesk.org.selectors import project_people
from estatedesk.visits.choices import ClientKind, ClientVisitKind, ClientVisitStatus
from estatedesk.visits.models import ClientVisit

CAPABILITY = "visits.client"
REGULAR_INTERVAL_DAYS = 30  # the default gap between two regular visits to one client (a form default)
PLAN_FIELDS = [
    "project_id",
    "kind",
    "client_kind",
    "client_name",
    "contact_person",
    "planned_on",
    "visitor_id",
    "status",
]
RECORD_FIELDS = ["status", "visited_on", "attendees", "raised", "follow_up", "follow_up_due_on"]


# --- input ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientVisitPlan:
    """A visit to plan: where, to whom, when, and who goes (the actor when nobody is named)."""

    project: Project
    kind: str  # ClientVisitKind
    client_kind: str  # ClientKind
    client_name: str
    planned_on: date
    contact_person: str = ""
    visitor: Any = None


@dataclass(frozen=True)
class ClientVisitRecord:
    """What happened at the visit. A follow-up needs its due date; `next_planned_on` (regular visits only)
    plans the next visit to the same client."""

    visited_on: date
    attendees: str = ""
    raised: str = ""
    follow_up: str = ""
    follow_up_due_on: date | None = None
    next_planned_on: date | None = None


@dataclass(frozen=True)
class RaisedItem:
    """A feedback item made of something the client raised (the contact is the visit's contact person)."""

    kind: str = Kind.SUGGESTION
    category: str = Category.CUSTOMER_SERVICE
    description: str = ""
    title: str = ""
    priority: str = Priority.NORMAL
    building: Building | None = None
    location_note: str = ""
    is_major: bool = False


# --- helpers ----------------------------------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


def next_regular_on(visited_on: date) -> date:
    """The proposed date of the next regular visit after one made on `visited_on`."""
    return visited_on + timedelta(days=REGULAR_INTERVAL_DAYS)


def _invalid(fields: dict[str, list[Any]]) -> DomainError:
    return DomainError("visits.client_invalid", _("Some fields are not valid."), fields=fields)


def _locked(visit: ClientVisit) -> ClientVisit:
    return ClientVisit.objects.select_for_update().get(pk=visit.pk)


def _check_status(visit: ClientVisit, wanted: str) -> None:
    if visit.status == wanted:
        return
    if wanted == ClientVisitStatus.PLANNED:
        message = _("This visit is no longer planned: it was recorded or cancelled.")
        raise DomainError("visits.client_not_planned", message, status=409)
    raise DomainError("visits.client_not_visited", _("This visit has not been recorded yet."), status=409)


def _check_plan(plan: ClientVisitPlan, visitor: Any) -> None:
    fields: dict[str, list[Any]] = {}
    if plan.kind not in ClientVisitKind.values:
        fields["kind"] = [_("Unknown value.")]
    if plan.client_kind not in ClientKind.values:
        fields["client_kind"] = [_("Unknown value.")]
    if not one_line(plan.client_name):
        fields["client_name"] = [_("This field is required.")]
    if plan.planned_on is None:
        fields["planned_on"] = [_("This field is required.")]
    if not can(visitor, CAPABILITY, project=plan.project):
        fields["visitor"] = [_("The visitor must be a CS supervisor or the project manager of this project.")]
    if fields:
        raise _invalid(fields)


def _check_record(visit: ClientVisit, record: ClientVisitRecord) -> None:
    fields: dict[str, list[Any]] = {}
    if record.visited_on > today():
        fields["visited_on"] = [_("A visit cannot be recorded before it happens.")]
    has_follow_up = bool(multi_line(record.follow_up).strip())
    if has_follow_up and record.follow_up_due_on is None:
        fields["follow_up_due_on"] = [_("Say by when the follow-up is due.")]
    if not has_follow_up and record.follow_up_due_on is not None:
        fields["follow_up"] = [_("Say what is to be followed up.")]
    if record.follow_up_due_on is not None and record.follow_up_due_on < record.visited_on:
        fields["follow_up_due_on"] = [_("The follow-up cannot be due before the visit.")]
    if record.next_planned_on is not None:
        if visit.kind != ClientVisitKind.REGULAR:
            fields["next_planned_on"] = [_("Only a regular visit plans the next one.")]
        elif record.next_planned_on <= record.visited_on:
            fields["next_planned_on"] = [_("The next visit must come after this one.")]
    if fields:
        raise _invalid(fields)


def _visit_url(visit: ClientVisit) -> str:
    return reverse("visits:client_visit_detail", args=[visit.pk])


def _tell_visitor(*, visit: ClientVisit, actor: Any) -> None:
    if visit.visitor_id == getattr(actor, "pk", None):
        return
    notify(
        users=[visit.visitor],
        title=_("Client visit planned for you: %(client)s on %(day)s")
        % {"client": visit.client_name, "day": visit.planned_on.isoformat()},
        body=visit.get_kind_display(),
        url=_visit_url(visit),
    )


def _create(*, actor: Any, plan: ClientVisitPlan) -> ClientVisit:
    visitor = plan.visitor or actor
    _check_plan(plan, visitor)
    visit = ClientVisit.objects.create(
        project=plan.project,
        kind=plan.kind,
        client_kind=plan.client_kind,
        client_name=one_line(plan.client_name)[:100],
        contact_person=one_line(plan.contact_person)[:60],
        planned_on=plan.planned_on,
        visitor=visitor,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=visit,
        after=model_changes(visit, PLAN_FIELDS),
        project_id=visit.project_id,
    )
    _tell_visitor(visit=visit, actor=actor)
    return visit


# --- services ---------------------------------------------------------------------------------------------


@transaction.atomic
def client_visit_plan(*, actor: Any, plan: ClientVisitPlan) -> ClientVisit:
    """Plan a regular or ad-hoc visit to a client of the project (visits.client there); the visitor, when
    it is someone else, is told."""
    require(actor, CAPABILITY, project=plan.project)
    return _create(actor=actor, plan=plan)


@transaction.atomic
def client_visit_record(*, actor: Any, visit: ClientVisit, record: ClientVisitRecord) -> ClientVisit:
    """Record a planned visit as made: when, who attended, what the client raised, the follow-up and its due
    date. A regular visit may plan the next one in the same step (`record.next_planned_on`)."""
    require(actor, CAPABILITY, project=visit.project)
    current = _locked(visit)
    _check_status(current, ClientVisitStatus.PLANNED)
    _check_record(current, record)
    before = model_changes(current, RECORD_FIELDS)
    current.status = ClientVisitStatus.DONE
    current.visited_on = record.visited_on
    current.attendees = one_line(record.attendees)[:300]
    current.raised = multi_line(record.raised).strip()
    current.follow_up = multi_line(record.follow_up).strip()
    current.follow_up_due_on = record.follow_up_due_on
    current.save()
    audit_record(
        actor=actor,
        action="update",
        obj=current,
        before=before,
        after=model_changes(current, RECORD_FIELDS),
        project_id=current.project_id,
    )
    if record.next_planned_on is not None:
        _create(
            actor=actor,
            plan=ClientVisitPlan(
                project=current.project,
                kind=ClientVisitKind.REGULAR,
                client_kind=current.client_kind,
                client_name=current.client_name,
                contact_person=current.contact_person,
                planned_on=record.next_planned_on,
                visitor=current.visitor
                if can(current.visitor, CAPABILITY, project=current.project)
                else None,
            ),
        )
    return current


@transaction.atomic
def client_visit_follow_up_done(*, actor: Any, visit: ClientVisit) -> ClientVisit:
    """The follow-up the visit promised is done (once)."""
    require(actor, CAPABILITY, project=visit.project)
    current = _locked(visit)
    _check_status(current, ClientVisitStatus.DONE)
    if not current.follow_up:
        raise DomainError("visits.client_no_follow_up", _("This visit has no follow-up."), status=409)
    if current.follow_up_done_at is not None:
        message = _("The follow-up is already done.")
        raise DomainError("visits.client_follow_up_done", message, status=409)
    current.follow_up_done_at = timezone.now()
    current.save(update_fields=["follow_up_done_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=current,
        before={"follow_up_done_at": None},
        after=model_changes(current, ["follow_up_done_at"]),
        project_id=current.project_id,
    )
    return current


@transaction.atomic
def client_visit_cancel(*, actor: Any, visit: ClientVisit, reason: str) -> ClientVisit:
    """Cancel a planned visit, saying why."""
    require(actor, CAPABILITY, project=visit.project)
    current = _locked(visit)
    _check_status(current, ClientVisitStatus.PLANNED)
    reason = one_line(reason)
    if not reason:
        raise _invalid({"reason": [_("Say why the visit is cancelled.")]})
    before = model_changes(current, ["status", "cancelled_reason"])
    current.status = ClientVisitStatus.CANCELLED
    current.cancelled_reason = reason[:200]
    current.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=current,
        before=before,
        after=model_changes(current, ["status", "cancelled_reason"]),
        project_id=current.project_id,
    )
    return current


@transaction.atomic
def client_visit_raise_item(
    *, actor: Any, visit: ClientVisit, raised: RaisedItem, idempotency_key: str = ""
) -> FeedbackItem:
    """Make a feedback item of what the client raised at a recorded visit, registered through feedback's
    one registration service on the `client_visit` channel and linked to the visit. With an idempotency key
    (a form's one-time token, an API client's Idempotency-Key) a repeat returns the first item."""
    require(actor, CAPABILITY, project=visit.project)
    current = _locked(visit)
    _check_status(current, ClientVisitStatus.DONE)
    if raised.building is not None and raised.building.project_id != current.project_id:
        raise _invalid({"building": [_("This building belongs to another project.")]})
    item = feedback_item_register(
        actor=actor,
        data=ItemInput(
            project=current.project,
            channel=Channel.CLIENT_VISIT,
            kind=raised.kind,
            category=raised.category,
            description=multi_line(raised.description).strip(),
            title=raised.title,
            priority=raised.priority,
            building=raised.building,
            location_note=raised.location_note,
            contact_name=(current.contact_person or current.client_name)[:60],
            is_major=raised.is_major,
        ),
        idempotency_key=idempotency_key,
    )
    if not current.items.filter(pk=item.pk).exists():
        current.items.add(item)
        audit_record(
            actor=actor,
            action="update",
            obj=current,
            after={"item": item.reference},
            project_id=current.project_id,
        )
    return item


# --- selectors --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientVisitFilters:
    status: str = ""  # ClientVisitStatus
    kind: str = ""  # ClientVisitKind
    client_kind: str = ""
    project: str = ""  # project code
    follow_up_overdue: bool = False
    search: str = ""  # words of the client's name or the contact person


def _follow_up_overdue_q(day: date) -> Q:
    return Q(
        status=ClientVisitStatus.DONE,
        follow_up_due_on__lt=day,
        follow_up_done_at__isnull=True,
    ) & ~Q(follow_up="")


def client_visit_list(
    *, user: Any, filters: ClientVisitFilters | None = None, day: date | None = None
) -> QuerySet[ClientVisit]:
    """The client visits the user may see, latest planned first."""
    filters = filters or ClientVisitFilters()
    queryset = ClientVisit.objects.visible_to(user).select_related("project", "visitor")
    for name in ("status", "kind", "client_kind"):
        value = getattr(filters, name)
        if value:
            queryset = queryset.filter(**{name: value})
    if filters.project:
        queryset = queryset.filter(project__code=filters.project)
    if filters.follow_up_overdue:
        queryset = queryset.filter(_follow_up_overdue_q(day or today()))
    for word in filters.search.split()[:5]:
        queryset = queryset.filter(Q(client_name__icontains=word) | Q(contact_person__icontains=word))
    return queryset.order_by("-planned_on", "-id")


def client_visit_planned(*, user: Any, limit: int = 50) -> list[ClientVisit]:
    """The planned visits, soonest first (the late ones at the top)."""
    rows = ClientVisit.objects.visible_to(user).filter(status=ClientVisitStatus.PLANNED)
    return list(rows.select_related("project", "visitor").order_by("planned_on", "id")[:limit])


def client_visit_follow_ups_overdue(*, user: Any, day: date | None = None) -> QuerySet[ClientVisit]:
    """Recorded visits whose follow-up is past its due date and not done, the longest overdue first."""
    return (
        ClientVisit.objects.visible_to(user)
        .filter(_follow_up_overdue_q(day or today()))
        .select_related("project", "visitor")
        .order_by("follow_up_due_on", "id")
    )


def client_visit_get_for_user(*, user: Any, pk: Any, for_write: bool = False) -> ClientVisit:
    """The visit, or 404 when it is missing or outside the user's scope; `for_write`: also 403 unless the
    user holds visits.client at its project."""
    visit = get_for_user_or_404(
        ClientVisit.objects.select_related("project__branch", "visitor", "created_by"), user=user, pk=pk
    )
    if for_write and not can(user, CAPABILITY, project=visit.project):
        raise PermissionDenied(CAPABILITY)
    return visit


def client_visit_items(*, visit: ClientVisit) -> list[FeedbackItem]:
    """The feedback items made of what the client raised, oldest first."""
    return list(visit.items.only("reference", "title", "status", "registered_at").order_by("registered_at"))


def client_visit_next(*, visit: ClientVisit) -> ClientVisit | None:
    """The next planned visit to the same client of the project (planned when a regular visit was
    recorded), if any."""
    after = visit.visited_on or visit.planned_on
    return (
        ClientVisit.objects.filter(
            project_id=visit.project_id,
            client_name=visit.client_name,
            status=ClientVisitStatus.PLANNED,
            planned_on__gt=after,
        )
        .exclude(pk=visit.pk)
        .order_by("planned_on", "id")
        .first()
    )


def client_visit_projects(*, user: Any) -> list[Project]:
    """Active projects where the user may plan and record client visits."""
    allowed = projects_with(user, CAPABILITY)
    queryset = Project.objects.visible_to(user).filter(is_active=True).select_related("branch")
    if allowed is not None:
        queryset = queryset.filter(id__in=sorted(allowed))
    return list(queryset.order_by("code"))


def client_visit_visitors(*, project: Project) -> list[tuple[int, str]]:
    """Who may make a client visit at the project: (user id, name) choices."""
    return project_people(project=project, roles=CAPABILITIES[CAPABILITY])


def client_visit_visitor_get(*, user_id: int) -> Any:
    """The active user with this id, as a visitor to check (the service refuses one without visits.client
    at the project); None when there is none, which the service reads as "a visitor nobody may be"."""
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def user_may_plan(user: Any) -> bool:
    allowed = projects_with(user, CAPABILITY)
    return allowed is None or bool(allowed)
