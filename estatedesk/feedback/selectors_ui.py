"""Reads for the staff pages of customer feedback that `selectors.py` does not cover: the pickers of the
forms, the hotline's caller history, the deadline a list row shows and the timeline as people read it.
All scoped; none loops over rows with a query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.feedback import selectors
from estatedesk.feedback.choices import EventKind, Rating, SlaClock, Status, TalkKind
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, TimelineEvent
from estatedesk.feedback.workflow import STEPS
from estatedesk.org.choices import Role
from estatedesk.org.models import Building, Membership, Project, Unit
from estatedesk.org.permissions import projects_with
from estatedesk.org.selectors import memberships_at
from estatedesk.owners.contacts import mask_phone, normalize_phone
from estatedesk.owners.models import Resident

RECENT_ITEMS = 10
MANY_PROJECTS = 5  # beyond this, pickers of people and buildings wait for a chosen project
HOW_LABELS = {
    "phone": lambda: _("Phone call"),
    "sms": lambda: _("Text message"),
    "email": lambda: _("Email"),
    "in_person": lambda: _("In person"),
    "portal": lambda: _("Owner portal"),
}


# --- lists ------------------------------------------------------------------------------------------------


def filter_projects(*, user: Any) -> list[Project]:
    return list(Project.objects.visible_to(user).filter(is_active=True).order_by("code"))


def filter_buildings(*, user: Any, projects: list[Project], project_code: str = "") -> list[Building]:
    """The buildings and common areas of the chosen project; with none chosen, of the user's only project
    (a company-wide user chooses a project first: every building of 200 projects helps nobody).
    `projects`: the projects of the list's filter (`filter_projects`)."""
    queryset = Building.objects.visible_to(user).select_related("project").order_by("project__code", "code")
    if project_code:
        return list(queryset.filter(project__code=project_code)[:300])
    return list(queryset.filter(project_id=projects[0].pk)[:300]) if len(projects) == 1 else []


def filter_assignees(*, projects: list[Project], project_code: str = "") -> list[Any]:
    """Staff who can be an item's supervisor or executor: at the chosen project, or at the user's projects
    when they are a few (a company-wide user chooses a project first). `projects`: as for buildings."""
    project_ids = [p.pk for p in projects if not project_code or p.code == project_code]
    if len(project_ids) > MANY_PROJECTS:
        return []
    user_ids = Membership.objects.filter(
        is_active=True,
        project_id__in=project_ids,
        role__in=[Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR, Role.EXECUTOR, Role.PROJECT_MANAGER],
    ).values("user_id")
    return list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .order_by("display_name", "username")[:300]
    )


@dataclass(frozen=True)
class Deadline:
    clock: str
    label: str
    due_at: datetime
    seconds_left: int

    @property
    def is_overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def is_close(self) -> bool:
        return 0 <= self.seconds_left < 3600

    @property
    def text(self) -> str:
        if self.is_overdue:
            return _("overdue %(duration)s") % {"duration": duration_text(-self.seconds_left)}
        return _("%(duration)s left") % {"duration": duration_text(self.seconds_left)}


def next_deadline(item: FeedbackItem, *, now: datetime | None = None) -> Deadline | None:
    """The most pressing clock still running (from the indexed due columns; no query)."""
    if item.status in (Status.CLOSED, Status.CANCELLED):
        return None
    now = now or timezone.now()
    running = [
        (due, clock)
        for clock, due, done in (
            (SlaClock.CONTACT, item.contact_due_at, item.contacted_at),
            (SlaClock.ACTION, item.action_due_at, item.acted_at),
            (SlaClock.RESOLUTION, item.resolution_due_at, item.customer_informed_at),
        )
        if due is not None and done is None
    ]
    if not running:
        return None
    due, clock = min(running)
    return Deadline(
        clock=clock,
        label=str(SlaClock(clock).label),
        due_at=due,
        seconds_left=int((due - now).total_seconds()),
    )


def duration_text(seconds: int) -> str:
    """3 d 4 h · 2 h 5 min · 12 min · under a minute."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("under a minute")


def clock_rows(*, item: FeedbackItem, now: datetime | None = None) -> list[dict[str, Any]]:
    """`selectors.clock_states` with the labels and texts the page shows."""
    now = now or timezone.now()
    rows = []
    for state in selectors.clock_states(item=item, now=now):
        if state["done_at"] is not None:
            text = _("done in time") if state["met"] else _("done late")
        elif state["overdue"]:
            text = _("overdue %(duration)s") % {"duration": duration_text(-state["seconds_left"])}
        else:
            text = _("%(duration)s left") % {"duration": duration_text(state["seconds_left"])}
        rows.append({**state, "label": SlaClock(state["clock"]).label, "text": text})
    return rows


# --- registration -----------------------------------------------------------------------------------------


def registrable_projects(*, user: Any) -> list[Project]:
    """Active projects where the user may register feedback (feedback.register)."""
    allowed = projects_with(user, "feedback.register")
    queryset = Project.objects.visible_to(user).filter(is_active=True).select_related("branch")
    if allowed is not None:
        queryset = queryset.filter(id__in=sorted(allowed))
    return list(queryset.order_by("code"))


def registration_buildings(*, projects: list[Project]) -> list[Building]:
    return list(
        Building.objects.filter(project__in=projects)
        .select_related("project")
        .order_by("project", "kind", "code")
    )


def unit_by_label(*, project: Project, label: str) -> Unit | None:
    return Unit.objects.filter(project=project, label=label.strip()).select_related("building").first()


def resident_for_contact(*, user: Any, project: Project, unit: Unit | None, phone: str) -> Resident | None:
    """The resident on file with this phone at this project (an occupant of the unit first), if any."""
    number = normalize_phone(phone)
    if not number:
        return None
    candidates = (
        Resident.objects.visible_to(user)
        .filter(phones__number=number, occupancies__ended_on__isnull=True, occupancies__unit__project=project)
        .distinct()
    )
    if unit is not None:
        occupant = candidates.filter(occupancies__unit=unit, occupancies__ended_on__isnull=True).first()
        if occupant is not None:
            return occupant
    return candidates.order_by("pk").first()


def caller_recent_items(*, user: Any, residents: list[Resident], phone: str) -> list[FeedbackItem]:
    """The caller's latest items (as the resident, or from the same number), newest first."""
    number = normalize_phone(phone)
    condition = Q(resident__in=[r.pk for r in residents])
    if number:
        condition |= Q(contact_phone=number)
    return list(
        FeedbackItem.objects.visible_to(user)
        .filter(condition)
        .select_related("project", "unit")
        .order_by("-registered_at", "-id")[:RECENT_ITEMS]
    )


# --- the item page ----------------------------------------------------------------------------------------


def project_people(*, project: Project, roles: frozenset[str]) -> list[tuple[int, str]]:
    """Active users holding one of `roles` at the project (or its branch, or company-wide), the people a
    step may assign the item to, as (user id, "name · roles") choices."""
    rows = (
        memberships_at(project=project, roles=roles)
        .select_related("user")
        .order_by("user__display_name", "user__username", "role")
    )
    people: dict[int, tuple[Any, list[str]]] = {}
    for membership in rows:
        people.setdefault(membership.user_id, (membership.user, []))[1].append(
            str(membership.get_role_display())
        )
    return [(pk, f"{user} · {', '.join(roles)}") for pk, (user, roles) in people.items()]


def item_contact_phone(*, user: Any, item: FeedbackItem) -> str:
    """The item's contact phone, in full for the roles that call owners at its project (owners.privacy)."""
    if not item.contact_phone:
        return ""
    projects = projects_with(user, "owners.phone.full")
    if projects is None or item.project_id in projects:
        return item.contact_phone
    return mask_phone(item.contact_phone)


def execution_record_for(*, item: FeedbackItem) -> ExecutionRecord | None:
    return ExecutionRecord.objects.filter(item=item).first()


def timeline_rows(*, user: Any, item: FeedbackItem) -> list[dict[str, Any]]:
    """Who did what and when, in words: one row per event (two queries whatever the length)."""
    events = list(selectors.item_timeline(user=user, item=item))
    user_ids = {
        int(event.data[key])
        for event in events
        for key in ("supervisor_id", "executor_id")
        if str(event.data.get(key, "")).isdigit()
    }
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    return [_timeline_row(event, names) for event in events]


def _timeline_row(event: TimelineEvent, names: dict[int, str]) -> dict[str, Any]:
    data = event.data or {}
    if event.actor is not None:
        who = str(event.actor)
    elif event.kind in (EventKind.REGISTERED, EventKind.RATING, EventKind.EMAIL_REPLY):
        who = _("Customer")
    else:
        who = _("System")
    what = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    if event.kind == EventKind.TRANSITION and data.get("step") in STEPS:
        what = str(STEPS[data["step"]].label)
    details: list[str] = []
    if event.to_status in Status.values and event.kind in (EventKind.TRANSITION, EventKind.REGISTERED):
        details.append(_("Status: %(status)s") % {"status": Status(event.to_status).label})
    if data.get("how") in HOW_LABELS:
        details.append(_("How: %(how)s") % {"how": HOW_LABELS[data["how"]]()})
    for key, label in (("supervisor_id", _("Supervisor")), ("executor_id", _("Executor"))):
        if str(data.get(key, "")).isdigit() and int(data[key]) in names:
            details.append(f"{label}: {names[int(data[key])]}")
    if event.kind == EventKind.ESCALATED and data.get("clock") in SlaClock.values:
        details.append(
            _("%(clock)s overdue, level %(level)s")
            % {"clock": SlaClock(data["clock"]).label, "level": data.get("level", "")}
        )
    if event.kind == EventKind.RATING and data.get("rating") in Rating.values:
        details.append(str(Rating(data["rating"]).label))
    if event.kind == EventKind.STAFF_TALK:
        kind = TalkKind(data["kind"]).label if data.get("kind") in TalkKind.values else ""
        details.append(f"{data.get('employee', '')} · {kind}")
    changed = data.get("execution_record")
    if isinstance(changed, dict) and changed:
        details.append(_("Changed: %(fields)s") % {"fields": ", ".join(_execution_label(k) for k in changed)})
    return {
        "at": event.at,
        "who": who,
        "what": what,
        "details": details,
        "message": event.message,
        "is_public": event.is_public,
        "kind": event.kind,
    }


def _execution_label(field: str) -> str:
    try:
        return str(getattr(ExecutionRecord._meta.get_field(field), "verbose_name", field))
    except FieldDoesNotExist:  # pragma: no cover - an old event naming a field that no longer exists
        return field
