"""Reclassification after registration: what was taken down in a hurry on the phone is put right later.
Staff with `feedback.reclassify` change kind, category, location, responsible department, priority and the
major / hot / quality-problem / paid-service flags; the change is audited, on the timeline, and the running
SLA clocks are counted again for the new classification from when each started. An item that becomes a
major incident alerts the general manager then (R-FB-3), whatever its channel."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.feedback import clocks, events, notices
from estatedesk.feedback.choices import (
    PATROL_CATEGORIES,
    Category,
    Channel,
    EventKind,
    Kind,
    Priority,
    SlaClock,
)
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Building, Department, Unit
from estatedesk.org.permissions import require

# the foreign keys among the fields: compared and recorded by id
RELATED = ("building", "unit", "department")


@dataclass(frozen=True)
class Reclassification:
    """The item's classification as it should be (every field, changed or not)."""

    kind: str
    category: str
    priority: str
    building: Building | None
    unit: Unit | None
    location_note: str
    department: Department | None
    is_major: bool
    is_hot: bool
    is_quality_problem: bool
    is_paid_service: bool

    @classmethod
    def of(cls, item: FeedbackItem) -> Reclassification:
        """The item's classification now: a form or the API starts from it and changes some fields."""
        return cls(**{field.name: getattr(item, field.name) for field in fields(cls)})


def reclassification_from(*, item: FeedbackItem, values: dict[str, Any]) -> Reclassification:
    """The item's classification with `values` applied: choices as values, places and the department as
    ids (None clears them), a unit also as its label ("3-2-501"). Unknown ids are refused as field errors,
    never looked up outside the item's project (or, for the department, its branch and company)."""
    current = {field.name: getattr(item, field.name) for field in fields(Reclassification)}
    problems: dict[str, list[Any]] = {}
    lookups = {
        "building": Building.objects.filter(project_id=item.project_id),
        "unit": Unit.objects.filter(project_id=item.project_id).select_related("building"),
        "department": departments_for(item),
    }
    for name, value in values.items():
        if name == "unit_label":
            label = str(value or "").strip()
            current["unit"] = lookups["unit"].filter(label=label).first() if label else None
            if label and current["unit"] is None:
                problems["unit_label"] = [_("No such unit in this project.")]
        elif name in lookups:
            current[name] = lookups[name].filter(pk=value).first() if value else None
            if value and current[name] is None:
                problems[name] = [_("Choose one of the list.")]
        elif name in current:
            current[name] = value
    if problems:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=problems)
    return Reclassification(**current)


def departments_for(item: FeedbackItem) -> Any:
    """The departments that can answer for an item: its project's, its branch's and the company's."""
    project = item.project
    return Department.objects.filter(company_id=project.branch.company_id).filter(
        Q(project_id=project.pk)
        | Q(project__isnull=True, branch_id=project.branch_id)
        | Q(branch__isnull=True, project__isnull=True)
    )


def _value(data: Any, name: str) -> Any:
    if name in RELATED:
        return (
            getattr(data, f"{name}_id")
            if isinstance(data, FeedbackItem)
            else getattr(getattr(data, name), "pk", None)
        )
    return getattr(data, name)


def reclassification_changes(*, item: FeedbackItem, target: Reclassification) -> dict[str, list[Any]]:
    """{field: [before, after]} of what `target` changes (ids for the foreign keys)."""
    changes = {}
    for field in fields(Reclassification):
        before, after = _value(item, field.name), _value(target, field.name)
        if before != after:
            changes[field.name] = [before, after]
    return changes


@transaction.atomic
def feedback_item_reclassify(
    *, actor: Any, item: FeedbackItem, version: int, target: Reclassification, reason: str
) -> FeedbackItem:
    """Change the classification; `version` is the item's version the actor saw (one edit wins)."""
    require(actor, "feedback.reclassify", project=item.project)
    current = FeedbackItem.objects.select_for_update().select_related("project__branch").get(pk=item.pk)
    if current.version != version:
        raise DomainError(
            "feedback.conflict",
            _("Someone else changed this item a moment ago. Reload it to see the change, then try again."),
            status=409,
        )
    if not current.is_open:
        raise DomainError(
            "feedback.closed", _("A closed or cancelled item cannot be reclassified."), status=409
        )
    _check(current, target, reason)
    changes = reclassification_changes(item=current, target=target)
    if not changes:
        return current
    became_major = target.is_major and not current.is_major
    before = {name: pair[0] for name, pair in changes.items()}
    for field in fields(Reclassification):
        setattr(current, field.name, getattr(target, field.name))
    if target.unit is not None and target.building is None:
        current.building = target.unit.building
    recounted = _recount_clocks(current, now=timezone.now())
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="reclassify",
        obj=current,
        before=before,
        after={name: pair[1] for name, pair in changes.items()},
        project_id=current.project_id,
    )
    events.reclassified(item=current, actor=actor, changes=changes, reason=reason.strip(), clocks=recounted)
    if became_major and not current.events.filter(kind=EventKind.MAJOR_ALERT).exists():
        notices.alert_general_manager(item=current, actor=actor)
    return current


def _check(item: FeedbackItem, target: Reclassification, reason: str) -> None:
    problems: dict[str, list[Any]] = {}
    for name, choices in (("kind", Kind), ("category", Category), ("priority", Priority)):
        if getattr(target, name) not in choices.values:
            problems[name] = [_("Unknown value.")]
    for name in ("building", "unit"):
        place = getattr(target, name)
        if place is not None and place.project_id != item.project_id:
            problems[name] = [_("This place belongs to another project.")]
    if (
        target.unit is not None
        and target.building is not None
        and target.unit.building_id != target.building.pk
    ):
        problems["unit"] = [_("This unit is not in that building.")]
    department = target.department
    if department is not None and not departments_for(item).filter(pk=department.pk).exists():
        problems["department"] = [_("This department does not serve this project.")]
    if item.channel == Channel.PATROL and target.category not in PATROL_CATEGORIES:
        problems["category"] = [
            _("A patrol finding goes to order, greening, cleaning, engineering or customer service.")
        ]
    if not reason.strip():
        problems["reason"] = [_("Say why the classification changes.")]
    if problems:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=problems)


def _clock_start(item: FeedbackItem, clock: str) -> datetime | None:
    """When a clock started: registration for contact and resolution (the last reopening for resolution
    in a later cycle), the handling opinion for arrange and action."""
    if clock in (SlaClock.ARRANGE, SlaClock.ACTION):
        return item.opinion_recorded_at
    if clock == SlaClock.RESOLUTION and item.escalation_cycle:
        reopened = (
            item.events.filter(kind=EventKind.TRANSITION, data__step="reopen")
            .order_by("-at")
            .values("at")
            .first()
        )
        return reopened["at"] if reopened else item.registered_at
    return item.registered_at


def _recount_clocks(item: FeedbackItem, *, now: datetime) -> dict[str, list[str | None]]:
    """Count the clocks that still run again for the new classification; the quality-problem clock starts
    (from the handling opinion) or stops with its flag. Returns {clock: [old due, new due]} of those that
    moved, and sets the item's next escalation check."""
    moved: dict[str, list[str | None]] = {}
    for clock, (due_column, done_column) in clocks.CLOCK_COLUMNS.items():
        if getattr(item, done_column) is not None:
            continue  # met or missed, it is history
        start = _clock_start(item, clock)
        old = getattr(item, due_column)
        if clock == SlaClock.ACTION and not item.is_quality_problem:
            new = None
        elif start is None or (old is None and clock != SlaClock.ACTION):
            continue  # not started yet (or never started for this item): the step will start it
        else:
            new = clocks.due_for(item, clock, start)
        if new != old:
            setattr(item, due_column, new)
            moved[clock] = [old.isoformat() if old else None, new.isoformat() if new else None]
    if moved:
        item.escalation_due_at = clocks.first_escalation_check(item)
    return moved
