"""Registration (R-FB-1, R-CH-2): whatever a customer raised, on whichever channel, is on file at once with
its reference, its SLA clocks started, its timeline begun and the right people told. Pages, the API, the
owner portal, QR codes and the complaint mailbox all register through `feedback_item_register`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import clocks, events, notices, sla
from estatedesk.feedback.choices import PATROL_CATEGORIES, Category, Channel, Kind, Priority
from estatedesk.feedback.models import FeedbackItem, ReferenceCounter
from estatedesk.feedback.text import clean_text, derive_title
from estatedesk.notifications.services import notify
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Building, Department, Project, Unit
from estatedesk.org.permissions import can
from estatedesk.org.selectors import project_staff
from estatedesk.owners.models import Resident
from estatedesk.owners.selectors import owner_lives_in

ANONYMOUS_CHANNELS = {Channel.QR, Channel.EMAIL}
# the department that answers for each category; the rest go to customer service
CATEGORY_DEPARTMENTS: dict[str, str] = {
    Category.ENGINEERING: DepartmentKind.ENGINEERING,
    Category.ORDER: DepartmentKind.ORDER,
    Category.CLEANING: DepartmentKind.CLEANING,
    Category.GREENING: DepartmentKind.GREENING,
}


def _next_reference(*, project: Project, day: Any) -> str:
    """PROJECT-YYYYMMDD-NNNN, unique however many registrations run at once: the UPDATE that takes the
    number holds the counter row's lock until the registration commits, and returns it (one query, once
    the day's row exists; UPDATE … RETURNING on SQLite ≥ 3.35 and PostgreSQL alike)."""
    last = _take_number(project=project, day=day)
    if last is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(project=project, day=day, last=1)
            return f"{project.code}-{day:%Y%m%d}-0001"
        except IntegrityError:
            last = _take_number(project=project, day=day)  # another registration created today's row first
    return f"{project.code}-{day:%Y%m%d}-{last:04d}"


def _take_number(*, project: Project, day: Any) -> int | None:
    """The day's next number for the project, or None while the day has no counter row yet."""
    table, last, project_id, day_column = map(
        connection.ops.quote_name, (ReferenceCounter._meta.db_table, "last", "project_id", "day")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {project_id} = %s AND {day_column} = %s "  # noqa: S608
            f"RETURNING {last}",
            [project.pk, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


@dataclass(frozen=True)
class ItemInput:
    """What a registration says: the place, the customer, what they raised and how it is classified."""

    project: Project
    channel: str
    kind: str
    category: str
    description: str
    title: str = ""
    priority: str = Priority.NORMAL
    resident: Resident | None = None
    unit: Unit | None = None
    building: Building | None = None
    location_note: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    department: Department | None = None
    is_major: bool = False
    is_hot: bool = False
    is_paid_service: bool = False
    is_quality_problem: bool = False


def idempotency_key_for(*, actor: Any, key: str) -> str | None:
    """The stored form of a client's Idempotency-Key (or a form's one-time token): namespaced by who sent
    it, so nobody can reach another sender's item by guessing a key. None without a key."""
    key = (key or "").strip()
    if not key:
        return None
    sender = getattr(actor, "pk", None) or "anonymous"
    return hashlib.sha256(f"{sender}:{key}".encode()).hexdigest()


def item_for_idempotency_key(*, actor: Any, key: str) -> FeedbackItem | None:
    """The item a previous registration with this key made, if any (the key is the sender's own)."""
    stored = idempotency_key_for(actor=actor, key=key)
    return FeedbackItem.objects.filter(idempotency_key=stored).first() if stored else None


def feedback_item_register(
    *,
    actor: Any,
    data: ItemInput,
    registered_at: datetime | None = None,
    idempotency_key: str = "",
) -> FeedbackItem:
    """Register what a customer raised, at once (R-FB-1), with its SLA clocks started.

    With an `idempotency_key` (an API client's Idempotency-Key header, a form's one-time token) a retried
    or repeated registration returns the first item and tells nobody again: a double click, a resubmitted
    form or a retry after a dropped connection makes one item."""
    stored_key = idempotency_key_for(actor=actor, key=idempotency_key)
    try:
        plan = _plan(actor=actor, data=data, registered_at=registered_at)
        with transaction.atomic():
            return _register(actor=actor, data=data, plan=plan, stored_key=stored_key)
    except IntegrityError:
        # the key's item exists (a repeat, or a concurrent request a moment ago): that one stands, and
        # this attempt, rolled back, told nobody
        existing = _replayed(stored_key)
        if existing is None:
            raise
        return existing
    except (DomainError, PermissionDenied):
        # a repeat refused now (the caller moved out, a role was withdrawn): the first item still stands
        existing = _replayed(stored_key)
        if existing is None:
            raise
        return existing


def _replayed(stored_key: str | None) -> FeedbackItem | None:
    """The item registered with this key (asked only when a registration with a key did not go through:
    the unique key, not a query before every registration, tells a repeat)."""
    return FeedbackItem.objects.filter(idempotency_key=stored_key).first() if stored_key else None


@dataclass(frozen=True)
class _Plan:
    """What a registration reads before it writes: outside the write transaction, so that registrations
    at once (eight hotline agents) hold SQLite's write lock only while they write."""

    now: datetime
    project: Project  # with its branch, calendars and `default_department_id`
    due: sla.Deadlines
    supervisors: list[Any]  # the project's CS supervisors, who hear of every new item


def _plan(*, actor: Any, data: ItemInput, registered_at: datetime | None) -> _Plan:
    _check_register_permission(actor=actor, data=data)
    _check_input(data)
    now = registered_at or timezone.now()
    project = _project_with_rules(data)
    due = clocks.deadlines_for(
        project=project,
        channel=data.channel,
        kind=data.kind,
        category=data.category,
        priority=data.priority,
        is_quality_problem=data.is_quality_problem,
        start=now,
    )
    supervisors = project_staff(project=project, roles={Role.CS_SUPERVISOR})
    return _Plan(now=now, project=project, due=due, supervisors=supervisors)


def _register(*, actor: Any, data: ItemInput, plan: _Plan, stored_key: str | None) -> FeedbackItem:
    now, project, due = plan.now, plan.project, plan.due
    # R-FB-4: the quality-problem clock starts when the project manager receives the handling opinion
    running = {"contact_due_at": due.contact_due_at, "resolution_due_at": due.resolution_due_at}
    item = FeedbackItem.objects.create(
        reference=_next_reference(project=project, day=timezone.localtime(now).date()),
        project=project,
        building_id=data.building.pk if data.building else (data.unit.building_id if data.unit else None),
        unit=data.unit,
        location_note=clean_text(data.location_note)[:200],
        resident=data.resident,
        contact_name=clean_text(data.contact_name)[:60] or (data.resident.name if data.resident else ""),
        contact_phone=data.contact_phone.strip()[:24],
        contact_email=data.contact_email.strip(),
        channel=data.channel,
        kind=data.kind,
        category=data.category,
        priority=data.priority,
        title=(clean_text(data.title) or derive_title(data.description))[:120],
        description=data.description.strip(),
        department_id=data.department.pk if data.department else project.default_department_id,  # type: ignore[attr-defined]
        is_major=data.is_major,
        is_hot=data.is_hot,
        is_paid_service=data.is_paid_service,
        is_quality_problem=data.is_quality_problem,
        registered_by=actor if _is_staff_actor(actor, data.resident) else None,
        registered_at=now,
        **running,
        escalation_due_at=clocks.first_escalation_check(running),
        idempotency_key=stored_key,
    )
    if data.building is not None:
        item.building = data.building
    events.registered(item=item, actor=actor, at=now)
    _announce(item=item, actor=actor, supervisors=plan.supervisors)
    return item


def _project_with_rules(data: ItemInput) -> Project:
    """The project with what its clocks are counted by (branch, service and hotline calendars) and the
    department that answers for the category (`default_department_id`, used when none was chosen): one
    query (each read on its own was four)."""
    department = _departments_for(
        category=data.category, project_id=OuterRef("pk"), branch_id=OuterRef("branch_id")
    )
    return (
        Project.objects.select_related("branch", "service_calendar", "hotline_calendar")
        .annotate(default_department_id=Subquery(department.values("pk")[:1]))
        .get(pk=data.project.pk)
    )


def _check_input(data: ItemInput) -> None:
    fields: dict[str, list[Any]] = {}
    for name, choices in (
        ("channel", Channel),
        ("kind", Kind),
        ("category", Category),
        ("priority", Priority),
    ):
        if getattr(data, name) not in choices.values:
            fields[name] = [_("Unknown value.")]
    if not data.description.strip():
        fields["description"] = [_("This field is required.")]
    if data.unit is not None and data.unit.project_id != data.project.pk:
        fields["unit"] = [_("This unit belongs to another project.")]
    if data.building is not None and data.building.project_id != data.project.pk:
        fields["building"] = [_("This building belongs to another project.")]
    if data.department is not None and not _department_serves(data.department, data.project):
        fields["department"] = [_("This department does not serve this project.")]
    if data.channel == Channel.PATROL and data.category not in PATROL_CATEGORIES:
        fields["category"] = [
            _("A patrol finding goes to order, greening, cleaning, engineering or customer service.")
        ]
    anonymous = data.resident is None and not (data.contact_phone.strip() or data.contact_email.strip())
    if data.channel in ANONYMOUS_CHANNELS and anonymous:
        fields["contact_phone"] = [_("Leave a phone number so that we can tell you the result.")]
    if fields:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=fields)


def _announce(*, item: FeedbackItem, actor: Any, supervisors: list[Any]) -> None:
    """The CS supervisors hear of every new item; the general manager of a major incident (R-FB-3); the
    customer gets the reference, in their own words (never the staff's title)."""
    notify(
        users=supervisors,
        title=_("New %(kind)s %(reference)s: %(title)s")
        % {"kind": item.get_kind_display(), "reference": item.reference, "title": item.title},
        body=item.description[:500],
        url=notices.item_url(item),
    )
    if item.is_major:
        notices.alert_general_manager(item=item, actor=actor)
    notices.tell_customer(
        item=item,
        subject=_("We have registered your %(kind)s %(reference)s")
        % {"kind": item.get_kind_display(), "reference": item.reference},
        body=_("Thank you. We will contact you about %(title)s.") % {"title": derive_title(item.description)},
    )


def default_department(*, project: Project, category: str) -> Department | None:
    """The project's department for the category (engineering → 工程, …; the rest → customer service),
    else the branch's, else none."""
    return _departments_for(category=category, project_id=project.pk, branch_id=project.branch_id).first()


def _departments_for(*, category: str, project_id: Any, branch_id: Any) -> QuerySet[Department]:
    """The departments that may answer for the category at the project, the one that does first (the
    project's own, then the branch's); `project_id` and `branch_id` are values or OuterRef()s."""
    kind = CATEGORY_DEPARTMENTS.get(category, DepartmentKind.CUSTOMER_SERVICE)
    return (
        Department.objects.filter(kind=kind)
        .filter(Q(project_id=project_id) | Q(project__isnull=True, branch_id=branch_id))
        .order_by(F("project_id").asc(nulls_last=True), "pk")
    )


def _department_serves(department: Department, project: Project) -> bool:
    if department.project_id is not None:
        return department.project_id == project.pk
    if department.branch_id is not None:
        return department.branch_id == project.branch_id
    return department.company_id == project.branch.company_id


def _is_staff_actor(actor: Any, resident: Resident | None) -> bool:
    """Staff registered it (an owner registering for themselves is not `registered_by`)."""
    return bool(getattr(actor, "pk", None)) and not (resident is not None and resident.user_id == actor.pk)


def _check_register_permission(*, actor: Any, data: ItemInput) -> None:
    """Staff with feedback.register at the project, on any channel; an owner through the portal or a QR
    code, for themselves and their own units only (R-CH-2); anyone through a QR code or the mailbox."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        if data.channel in ANONYMOUS_CHANNELS:
            return  # QR codes posted in a building and the complaint mailbox need no account
        raise PermissionDenied("sign in")
    if can(actor, "feedback.register", project=data.project):
        return
    if data.channel in (Channel.PORTAL, Channel.QR) and data.project.pk in scope_for(actor).owner_project_ids:
        if data.resident is not None and data.resident.user_id != actor.pk:
            raise PermissionDenied("an owner registers for themselves")
        if data.unit is not None and not owner_lives_in(user=actor, unit=data.unit):
            raise PermissionDenied("an owner registers for their own units only")
        return
    raise PermissionDenied("feedback.register")
