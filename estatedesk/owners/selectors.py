"""Reads of the owner archive, always through `visible_to(user)`; completeness by SQL aggregation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat, LPad
from django.utils import timezone

from estatedesk.common.audit import audit_entries_for_viewer
from estatedesk.common.models import AuditEntry
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.org.choices import UnitStatus
from estatedesk.org.models import Project, Unit
from estatedesk.owners.choices import ChangeRequestStatus, EmailChangeStatus, Relation
from estatedesk.owners.contacts import MOBILE, normalize_phone
from estatedesk.owners.models import (
    CompletenessSnapshot,
    ContactChangeRequest,
    EmailChange,
    ImportBatch,
    Occupancy,
    Resident,
    ResidentPhone,
)
from estatedesk.owners.privacy import ResidentContacts, full_phone_policy, resident_contacts_for_viewer

LOOKUP_LIMIT = 20
UNIT_LABEL = re.compile(r"^\d+[A-Za-z]?(?:-\d+)?-\d+$")


# --- the staff archive ------------------------------------------------------------------------------------


def _current_occupancies(user: Any) -> Prefetch:
    """The units a resident occupies now, among those the viewer's scope covers: staff of project A never
    read a resident's unit in project B, even when the resident lives in both (ADR 0004)."""
    return Prefetch(
        "occupancies",
        queryset=Occupancy.objects.visible_to(user)
        .filter(ended_on__isnull=True)
        .select_related("unit__project")
        .order_by("unit__label"),
        to_attr="current_occupancies",
    )


def _past_occupancies(user: Any) -> Prefetch:
    """The ended occupancies the viewer's scope covers, latest move-out first."""
    return Prefetch(
        "occupancies",
        queryset=Occupancy.objects.visible_to(user)
        .filter(ended_on__isnull=False)
        .select_related("unit__project")
        .order_by("-ended_on", "-id"),
        to_attr="past_occupancies",
    )


def resident_current_occupancies(resident: Resident) -> list[Occupancy]:
    """The units a resident occupies now, with their projects: as the selectors here prefetch them
    (`current_occupancies`, within the viewer's scope), or read again (all of them) for a resident loaded
    without them."""
    prefetched: list[Occupancy] | None = getattr(resident, "current_occupancies", None)
    if prefetched is not None:
        return prefetched
    return list(
        resident.occupancies.filter(ended_on__isnull=True)
        .select_related("unit__project")
        .order_by("unit__label")
    )


def _phones() -> Prefetch:
    return Prefetch("phones", queryset=ResidentPhone.objects.order_by("position", "id"), to_attr="phone_list")


ARCHIVE_SORTS = ("unit", "name")


def unit_order_key(prefix: str = "") -> Any:
    """A unit's place in natural order as one text, in SQL: building, entrance and number each padded
    with zeros, so 1-2-101 comes before 1-10-101 (a code that is not a number, G1, after the numbers)."""
    return Concat(
        LPad(f"{prefix}building__code", 10, Value("0")),
        Value("-"),
        LPad(f"{prefix}entrance", 10, Value("0")),
        Value("-"),
        LPad(f"{prefix}number", 20, Value("0")),
        output_field=CharField(),
    )


def resident_list(*, user: Any, project: Project, search: str = "", sort: str = "unit") -> QuerySet[Resident]:
    """The residents of a project (current occupancies), optionally narrowed by a lookup string, in
    `sort` order: "unit", by the first of their units here in natural order (1-2-101 before 1-10-101), or
    "name", by the name's full pinyin (name_pinyin: "chen chen" for 陈晨 before "cheng chao" for 程超), then
    the name; never by code point."""
    here = Occupancy.objects.filter(unit__project=project, ended_on__isnull=True)
    queryset: QuerySet[Resident] = (
        Resident.objects.visible_to(user)
        .filter(id__in=here.values("resident_id"))
        .prefetch_related(_phones(), _current_occupancies(user))
    )
    if sort == "name":
        queryset = queryset.order_by("name_pinyin", "name", "id")
    else:
        first_unit = (
            here.filter(resident_id=OuterRef("pk"))
            .annotate(unit_key=unit_order_key("unit__"))
            .order_by("unit_key")
            .values("unit_key")[:1]
        )
        queryset = queryset.annotate(first_unit_key=Subquery(first_unit)).order_by("first_unit_key", "id")
    if search:
        queryset = queryset.filter(lookup_condition(search, project=project))
    return queryset


def lookup_condition(query: str, *, project: Project | None = None) -> Q:
    """What a hotline agent types: a full phone number, its last four digits, a name, pinyin initials
    ("zw" for 张伟), or a unit ("3-2-501"). Every branch is answered from an index."""
    text = query.strip()
    digits = re.sub(r"\D", "", text)
    units = Unit.objects.all() if project is None else Unit.objects.filter(project=project)
    if UNIT_LABEL.match(text) and "-" in text and not MOBILE.match(digits):  # 138-0000-1234 is a number
        unit_ids = units.filter(label=text).values("id")
        return Q(
            id__in=Occupancy.objects.filter(unit_id__in=unit_ids, ended_on__isnull=True).values("resident_id")
        )
    if digits and len(digits) == len(re.sub(r"[\s\-+()]", "", text)):
        if len(digits) == 4:
            return Q(id__in=ResidentPhone.objects.filter(last4=digits).values("resident_id"))
        number = normalize_phone(text)
        return Q(id__in=ResidentPhone.objects.filter(number=number).values("resident_id"))
    if text.isascii() and text.isalpha():
        return prefix_condition("name_initials", text.lower())
    return prefix_condition("name", text)


def prefix_condition(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a range an index answers on SQLite and PostgreSQL alike (LIKE
    'x%' uses no index on SQLite, nor on PostgreSQL outside the C collation); startswith keeps it exact."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper, f"{field}__startswith": prefix})


def resident_lookup(
    *, user: Any, query: str, limit: int = LOOKUP_LIMIT, phones: bool = True
) -> list[Resident]:
    """The hotline's caller lookup across every project the user sees (bounded, indexed): the people who
    live there now. A resident who moved away is found by the staff of their new project only (their
    phones may be new ones); the old project reaches them through its own records (issue 16)."""
    text = query.strip()
    if len(text) < 2 and not (text and not text.isascii()):  # one Chinese character (a surname) is enough
        return []
    residents = Resident.objects.visible_to(user).filter(lookup_condition(query))
    if not scope_for(user).is_global:
        residents = residents.filter(
            id__in=Occupancy.objects.visible_to(user).filter(ended_on__isnull=True).values("resident_id")
        )
    found = list(residents.order_by("name", "id")[:limit])
    _attach_current_units(user=user, residents=found)
    if phones:
        resident_phones_attach(found)
    return found


def resident_phones_attach(residents: list[Resident]) -> None:
    """`phone_list` (as `_phones()` prefetches it) for a short list of residents, in one plain query: the
    caller lookup runs on every call the hotline takes, and prefetch_related's own work cost more than its
    queries. A registration posted from the hotline screen reads them only to show the page again."""
    by_pk = {resident.pk: resident for resident in residents}
    if not by_pk:
        return
    phones: dict[int, list[ResidentPhone]] = {pk: [] for pk in by_pk}
    for phone in ResidentPhone.objects.filter(resident_id__in=list(by_pk)).order_by("position", "id"):
        phone.resident = by_pk[phone.resident_id]
        phones[phone.resident_id].append(phone)
    for pk, resident in by_pk.items():
        resident.phone_list = phones[pk]  # type: ignore[attr-defined]


def _attach_current_units(*, user: Any, residents: list[Resident]) -> None:
    """`current_occupancies` (as `_current_occupancies(user)` prefetches it), in one plain query."""
    by_pk = {resident.pk: resident for resident in residents}
    if not by_pk:
        return
    occupancies: dict[int, list[Occupancy]] = {pk: [] for pk in by_pk}
    current = (
        Occupancy.objects.visible_to(user)
        .filter(resident_id__in=list(by_pk), ended_on__isnull=True)
        .select_related("unit__project")
        .order_by("unit__label")
    )
    for occupancy in current:
        occupancy.resident = by_pk[occupancy.resident_id]
        occupancies[occupancy.resident_id].append(occupancy)
    for pk, resident in by_pk.items():
        resident.current_occupancies = occupancies[pk]  # type: ignore[attr-defined]


def resident_get_for_user(*, user: Any, pk: int) -> Resident:
    """A resident the user may see, or 404, with the occupancies of the user's scope (`current_occupancies`,
    `past_occupancies`) and how the user sees them:

    - `moved_out_on`: the latest move-out when the user sees no unit the resident occupies now;
    - `former_only`: a staff member (not company-wide) who sees the resident only as a former occupant of
      their projects: they see the record as their projects kept it (its history, their units), never the
      resident's new units, email or the people who handle them now (issue 16)."""
    resident = get_for_user_or_404(
        Resident.objects.prefetch_related(_phones(), _current_occupancies(user), _past_occupancies(user)),
        user=user,
        pk=pk,
    )
    current: list[Occupancy] = resident.current_occupancies  # type: ignore[attr-defined]
    past: list[Occupancy] = resident.past_occupancies  # type: ignore[attr-defined]
    moved_out_on = max((o.ended_on for o in past if o.ended_on), default=None) if not current else None
    resident.moved_out_on = moved_out_on  # type: ignore[attr-defined]
    resident.former_only = moved_out_on is not None and not scope_for(user).is_global  # type: ignore[attr-defined]
    return resident


def resident_household(*, user: Any, resident: Resident) -> QuerySet[Occupancy]:
    unit_ids = [o.unit_id for o in getattr(resident, "current_occupancies", [])]
    return (
        Occupancy.objects.visible_to(user)
        .filter(unit_id__in=unit_ids, ended_on__isnull=True)
        .exclude(resident=resident)
        .select_related("resident", "unit")
        .order_by("unit__label", "relation")
    )


def resident_contacts(
    *,
    user: Any,
    resident: Resident,
    full_phone: Callable[[Resident], bool] | None = None,
    history: list[AuditEntry] | None = None,
) -> ResidentContacts:
    """What the user sees of the contact details of a resident loaded here (`owners.privacy` decides);
    `full_phone`: the user's `full_phone_policy`, when a list has it already. For a former occupant of the
    user's projects, the phones their history recorded are read from `history` (every row of their
    projects when not given)."""
    if getattr(resident, "former_only", False) and history is None:
        history = resident_history(user=user, resident=resident, limit=None)
    full = (full_phone or full_phone_policy(user))(resident)
    return resident_contacts_for_viewer(resident, full=full, history=history)


def email_change_pending(*, resident: Resident) -> EmailChange | None:
    """The resident's new email that waits for the account holder's confirmation (issue 16), if any.
    The caller has already reached `resident` through its scope (a staff page or the owner's own)."""
    return (
        EmailChange.objects.filter(
            resident=resident, status=EmailChangeStatus.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("requested_by")
        .first()
    )


def resident_history(*, user: Any, resident: Resident, limit: int | None = 50) -> list[AuditEntry]:
    """The resident's audit trail as the user may read it, newest first, each row with `shown_changes`
    (phones and ID numbers masked by `owners.privacy`). Company-wide roles read every row; other staff
    the rows of their projects, and the rows of no project while the resident lives in one of their
    projects. So a project the resident has left keeps reading what it recorded, and nothing after."""
    scope = scope_for(user)
    rows = AuditEntry.objects.filter(object_type="owners.resident", object_id=str(resident.pk))
    if not scope.is_global:
        current = getattr(resident, "current_occupancies", None)
        lives_here = (
            bool(current)
            if current is not None
            else Occupancy.objects.visible_to(user).filter(resident=resident, ended_on__isnull=True).exists()
        )
        own = Q(project_id__in=sorted(scope.project_ids))
        rows = rows.filter(own | Q(project_id__isnull=True) if lives_here else own)
    return audit_entries_for_viewer(viewer=user, entries=rows.select_related("actor")[:limit])


# --- completeness (R-OA-1) --------------------------------------------------------------------------------


def _complete_owner() -> Exists:
    """A current owner with a name, at least one phone and a move-in date."""
    return Exists(
        Occupancy.objects.filter(
            unit=OuterRef("pk"),
            ended_on__isnull=True,
            relation=Relation.OWNER,
            started_on__isnull=False,
            resident__name__gt="",
        ).filter(Exists(ResidentPhone.objects.filter(resident=OuterRef("resident"))))
    )


@dataclass(frozen=True)
class Completeness:
    occupied_units: int
    complete_units: int

    @property
    def missing_units(self) -> int:
        return self.occupied_units - self.complete_units

    @property
    def rate(self) -> float | None:
        return round(100 * self.complete_units / self.occupied_units, 1) if self.occupied_units else None


def completeness_by_project(*, project_ids: list[int]) -> dict[int, Completeness]:
    """Occupied units and those with a complete, valid owner record, per project, in one query."""
    rows = (
        Unit.objects.filter(project_id__in=project_ids, status=UnitStatus.OCCUPIED)
        .values("project_id")
        .annotate(occupied=Count("id"), complete=Count("id", filter=Q(_complete_owner())))
    )
    result = {pid: Completeness(0, 0) for pid in project_ids}
    for row in rows:
        result[row["project_id"]] = Completeness(row["occupied"], row["complete"])
    return result


def completeness_gaps(*, project: Project, limit: int = 500) -> QuerySet[Unit]:
    """The occupied units whose owner record is incomplete, with what is missing."""
    owners = Occupancy.objects.filter(unit=OuterRef("pk"), ended_on__isnull=True, relation=Relation.OWNER)
    return (
        Unit.objects.filter(project=project, status=UnitStatus.OCCUPIED)
        .exclude(_complete_owner())
        .annotate(
            has_owner=Exists(owners),
            owner_has_phone=Exists(
                owners.filter(Exists(ResidentPhone.objects.filter(resident=OuterRef("resident"))))
            ),
            has_move_in=Exists(owners.filter(started_on__isnull=False)),
        )
        .select_related("building")
        .order_by("label")[:limit]
    )


def completeness_trend(*, project: Project, days: int = 90) -> list[CompletenessSnapshot]:
    since = timezone.localdate() - timedelta(days=days)
    return list(CompletenessSnapshot.objects.filter(project=project, day__gte=since).order_by("day"))


def completeness_snapshot_take(*, day: date | None = None) -> int:
    """Record today's completeness of every active project (once a day; a second run updates the row)."""
    day = day or timezone.localdate()
    project_ids = list(Project.objects.filter(is_active=True).values_list("id", flat=True))
    figures = completeness_by_project(project_ids=project_ids)
    for project_id, figure in figures.items():
        CompletenessSnapshot.objects.update_or_create(
            project_id=project_id,
            day=day,
            defaults={"occupied_units": figure.occupied_units, "complete_units": figure.complete_units},
        )
    return len(figures)


# --- imports and owners' change requests -------------------------------------------------------------------


def import_batches(*, user: Any, project: Project, limit: int = 10) -> QuerySet[ImportBatch]:
    """The project's latest imports, newest first."""
    return (
        ImportBatch.objects.visible_to(user)
        .filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def pending_change_requests(*, user: Any) -> QuerySet[ContactChangeRequest]:
    return (
        ContactChangeRequest.objects.visible_to(user)
        .filter(status=ChangeRequestStatus.PENDING)
        .select_related("resident")
        .prefetch_related(
            Prefetch(
                "resident__phones",
                queryset=ResidentPhone.objects.order_by("position", "id"),
                to_attr="phone_list",
            )
        )
        .order_by("created_at")
    )


def archive_projects(*, user: Any) -> list[tuple[Project, Completeness]]:
    projects = list(
        Project.objects.visible_to(user).filter(is_active=True).select_related("branch").order_by("code")
    )
    figures = completeness_by_project(project_ids=[p.pk for p in projects])
    return [(project, figures[project.pk]) for project in projects]


def owner_lives_in(*, user: Any, unit: Unit) -> bool:
    """Does the signed-in owner live in `unit` now (an occupancy of theirs that has not ended)?"""
    return Occupancy.objects.filter(unit=unit, resident__user_id=user.pk, ended_on__isnull=True).exists()
