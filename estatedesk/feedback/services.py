"""Writes to customer feedback (R-FB). Each service checks permission and the rule, saves, writes the
timeline event and queues notifications in one transaction. Pages, the API, the mailbox poller, the
portal and the sweep all come through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import clocks, events, followups, notices, sla
from estatedesk.feedback.choices import InformedBy, Rating, TalkKind
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import (
    ExecutionRecord,
    FeedbackItem,
    SlaPolicy,
    StaffTalk,
    TimelineEvent,
)
from estatedesk.feedback.workflow import (
    ENDED,
    RECORD_FIELDS,
    RECORD_PARTS,
    STEPS,
    RecordPart,
    Step,
    clock_concerns,
    customer_told,
    record_next_part,
)
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.permissions import require
from estatedesk.org.selectors import project_staff

# --- helpers ----------------------------------------------------------------------------------------------

CLOCK_COLUMN_NAMES = frozenset(column for pair in CLOCK_COLUMNS.values() for column in pair)


def _roles_at(user: Any, project: Project) -> frozenset[str]:
    return scope_for(user).roles_at(project_id=project.pk, branch_id=project.branch_id)


# --- the R-FB path: workflow.STEPS interpreted ------------------------------------------------------------


@dataclass
class _StepWrites:
    """What a step writes: the item's columns, and the facts its timeline event keeps."""

    updates: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def feedback_item_step(
    *,
    actor: Any,
    item: FeedbackItem,
    step: str,
    version: int,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> FeedbackItem:
    """Take one step of the workflow, as `workflow.STEPS` describes it: what it needs (a note, how the
    customer was told, an assignee), the rules it must pass, the timestamps it sets and the SLA clocks it
    starts, stops or restarts. `version` is the item's version the actor saw: if someone else changed the
    item since, nothing is written and the actor is told (409, no silent overwrite)."""
    definition = STEPS.get(step)
    if definition is None:
        raise DomainError("feedback.unknown_step", _("Unknown step."))
    if not _roles_at(actor, item.project) & definition.roles:
        raise PermissionDenied(step)
    current = _locked_at_version(item=item, version=version)
    if not definition.is_possible(status=current.status, kind=current.kind):
        raise DomainError("feedback.step_not_allowed", _("This step is not possible now."), status=409)
    note = note.strip()
    writes = _step_inputs(definition=definition, item=current, note=note, data=data or {})
    for check in definition.checks:
        if not check.passes(current):
            raise DomainError(check.code, str(check.message), status=409)
    now = timezone.now()
    _step_times(definition=definition, item=current, now=now, writes=writes)
    changed = FeedbackItem.objects.filter(pk=current.pk, version=version).update(
        **writes.updates, status=definition.target, version=version + 1, updated_at=now
    )
    if not changed:  # pragma: no cover - the row is locked; kept for databases without row locks
        raise DomainError("feedback.conflict", _("Someone else changed this item a moment ago."), status=409)
    from_status = current.status
    current.refresh_from_db()
    record = _fill_execution_record(item=current, names=definition.fills_record, now=now)
    if record:
        writes.data["record"] = record
    events.step_taken(
        item=current,
        actor=actor,
        step=step,
        from_status=from_status,
        to_status=definition.target,
        note=note,
        data=writes.data,
        is_public=definition.is_public,
    )
    _after_step(item=current, step=step, actor=actor, note=note)
    return current


def _locked_at_version(*, item: FeedbackItem, version: int) -> FeedbackItem:
    current = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if current.version != version:
        raise DomainError(
            "feedback.conflict",
            _("Someone else changed this item a moment ago. Reload it to see the change, then try again."),
            status=409,
        )
    return current


def _step_inputs(*, definition: Step, item: FeedbackItem, note: str, data: dict[str, Any]) -> _StepWrites:
    """The step's note, how the customer was told and the assignee, checked; what they write."""
    how = str(data.get("how", "")).strip()
    _require_inputs(definition=definition, note=note, how=how)
    writes = _StepWrites()
    if definition.note is not None and definition.note.column:
        writes.updates[definition.note.column] = note
    if definition.asks_informed_by:
        writes.updates["informed_by"] = how
        writes.data["how"] = how
    assignee = definition.assignee
    if assignee is not None and data.get(assignee.data_key):
        pk = _staff_member_id(
            project=item.project,
            user_id=data[assignee.data_key],
            roles=assignee.roles,
            field=assignee.data_key,
        )
        writes.updates[assignee.data_key] = pk
        writes.data[assignee.data_key] = pk
    return writes


def _require_inputs(*, definition: Step, note: str, how: str) -> None:
    problems: dict[str, list[Any]] = {}
    if definition.note is not None and definition.note.required and not note:
        problems["note"] = [_("This field is required.")]
    if definition.asks_informed_by and how not in InformedBy.values:
        problems["how"] = [_("Choose how the customer was told.")]
    if not problems:
        return
    if definition.note is None:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=problems)
    raise DomainError(definition.note.error_code, str(definition.note.error_message), fields=problems)


def _step_times(*, definition: Step, item: FeedbackItem, now: datetime, writes: _StepWrites) -> None:
    """The timestamps the step sets and the clocks it starts, stops and restarts (R-FB-2, R-FB-4); then
    when the sweep must next look at the item."""
    updates = writes.updates
    for column in definition.stamps:
        if getattr(item, column) is None:
            updates[column] = now
    for clock in definition.stops:
        due, done = CLOCK_COLUMNS[clock]
        if getattr(item, due) is not None and getattr(item, done) is None:
            updates[done] = now
    started = [
        clock for clock in definition.starts if _start_clock(item=item, clock=clock, now=now, writes=writes)
    ]
    if started:
        writes.data["started"] = started
    if definition.restarts:
        _restart_clocks(definition=definition, item=item, now=now, writes=writes)
    for column in definition.clears:
        updates[column] = None if FeedbackItem._meta.get_field(column).null else ""
    if definition.target in ENDED:
        updates["escalation_due_at"] = None
    elif set(updates) & CLOCK_COLUMN_NAMES:
        values = {name: updates.get(name, getattr(item, name)) for name in CLOCK_COLUMN_NAMES}
        updates["escalation_due_at"] = clocks.first_escalation_check(values)


def step_time_writes(*, step: str, item: FeedbackItem, now: datetime) -> dict[str, Any]:
    """The columns `step` would set on `item` at `now` (timestamps, clocks stopped and started, when the
    sweep next looks), as `feedback_item_step` writes them: for a service that ends an item the way a step
    does (the customer's withdrawal ends it as `cancel` does, issue 11)."""
    writes = _StepWrites()
    _step_times(definition=STEPS[step], item=item, now=now, writes=writes)
    return writes.updates


def _start_clock(*, item: FeedbackItem, clock: str, now: datetime, writes: _StepWrites) -> bool:
    """Start `clock` at `now` unless it ran before or does not concern the item (R-FB-4: the action clock
    only for a concrete quality problem); False when it does not start (no policy covers it either)."""
    due_column, _done = CLOCK_COLUMNS[clock]
    if getattr(item, due_column) is not None or not clock_concerns(clock, item):
        return False
    due_at = clocks.due_for(item, clock, now)
    if due_at is None:
        return False
    writes.updates[due_column] = due_at
    return True


def _restart_clocks(*, definition: Step, item: FeedbackItem, now: datetime, writes: _StepWrites) -> None:
    """Reopening: the clocks start again from now and a new cycle of escalation levels begins; the old due
    times and levels stay in the event (shown on the timeline)."""
    previous: dict[str, Any] = {
        "escalation_cycle": item.escalation_cycle,
        "escalation_level": item.escalation_level,
    }
    for clock in definition.restarts:
        due_column, done_column = CLOCK_COLUMNS[clock]
        for column in (due_column, done_column):
            value = getattr(item, column)
            previous[column] = value.isoformat() if value is not None else None
        writes.updates[due_column] = clocks.due_for(item, clock, now)
        writes.updates[done_column] = None
    writes.updates.update(escalation_cycle=item.escalation_cycle + 1, escalation_level=0)
    writes.data.update(restarted=list(definition.restarts), previous=previous)


# execution-record fields a step fills in (workflow.Step.fills_record): the executor the project manager
# arranged, the time the handling was done (R-FB-8)
RECORD_FILLS: dict[str, Callable[[FeedbackItem, datetime], Any]] = {
    "executor_name": lambda item, now: str(item.executor)[:60] if item.executor_id else "",
    "executed_at": lambda item, now: now,
}


def _fill_execution_record(*, item: FeedbackItem, names: tuple[str, ...], now: datetime) -> dict[str, Any]:
    """Fill the execution record's fields from the step, unless they are already typed; the changes
    ({field: [before, after]}) go into the step's event."""
    values = {name: RECORD_FILLS[name](item, now) for name in names}
    values = {name: value for name, value in values.items() if value}
    if not values:
        return {}
    record, _created = ExecutionRecord.objects.get_or_create(item=item)
    changes = {name: ["", _record_text(value)] for name, value in values.items() if not getattr(record, name)}
    if changes:
        for name in changes:
            setattr(record, name, values[name])
        record.save(update_fields=[*changes, "updated_at"])
    return changes


def _staff_member_id(*, project: Project, user_id: Any, roles: frozenset[str], field: str) -> int:
    """The id of an active user holding one of `roles` at the project; anyone else is refused, so an item
    is never assigned to (nor its description sent to) someone outside the project."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = None
    if pk is None or pk not in {user.pk for user in project_staff(project=project, roles=set(roles))}:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={field: [_("Choose a colleague who works on this project in that role.")]},
        )
    return pk


AUDIENCE_ROLES: dict[str, frozenset[str]] = {
    "project_managers": frozenset({Role.PROJECT_MANAGER}),
    "customer_service": frozenset({Role.CS_AGENT, Role.CS_SUPERVISOR}),
}


def _after_step(*, item: FeedbackItem, step: str, actor: Any, note: str) -> None:
    """Who hears of the step (workflow.Step.tells)."""
    definition = STEPS[step]
    title = _("%(reference)s: %(step)s") % {"reference": item.reference, "step": str(definition.label)}
    for audience in definition.tells:
        if audience == "customer":
            notices.tell_customer(
                item=item,
                subject=_("Your %(kind)s %(reference)s has been handled")
                % {"kind": item.get_kind_display(), "reference": item.reference},
                body=note + "\n\n" + _("Please rate how we handled it in the owner portal."),
            )
            continue
        users, body = _audience(item=item, audience=audience, note=note)
        if users:
            notify(users=users, title=title, body=body, url=notices.item_url(item))


def _audience(*, item: FeedbackItem, audience: str, note: str) -> tuple[list[Any], str]:
    if audience == "supervisor":
        return ([item.supervisor] if item.supervisor_id else []), item.description[:500]
    if audience == "executor":
        return ([item.executor] if item.executor_id else []), item.handling_opinion
    roles: set[str] = set(AUDIENCE_ROLES[audience])
    return project_staff(project=item.project, roles=roles), note


@transaction.atomic
def staff_talk_record(
    *, actor: Any, item: FeedbackItem, employee_name: str, kind: str, notes: str
) -> StaffTalk:
    """R-FB-4: the talk with, or criticism of, the employee whose attitude was the problem."""
    require(actor, "feedback.staff_talk", project=item.project)
    if kind not in TalkKind.values or not employee_name.strip() or not notes.strip():
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"notes": [_("This field is required.")]},
        )
    talk = StaffTalk.objects.create(
        item=item,
        employee_name=employee_name.strip(),
        kind=kind,
        notes=notes.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    events.staff_talk_recorded(
        item=item, actor=actor, employee=talk.employee_name, kind=kind, notes=notes.strip()
    )
    return talk


@transaction.atomic
def feedback_comment_add(
    *, actor: Any, item: FeedbackItem, message: str, is_public: bool = False
) -> TimelineEvent:
    require(actor, "feedback.comment", project=item.project)
    if not message.strip():
        raise DomainError(
            "feedback.invalid", _("Write a comment."), fields={"message": [_("This field is required.")]}
        )
    return events.comment_added(item=item, actor=actor, message=message.strip(), is_public=is_public)


# --- the execution record (附表二, R-FB-8) ------------------------------------------------------------------


@transaction.atomic
def execution_record_update(*, actor: Any, item: FeedbackItem, **values: Any) -> ExecutionRecord:
    """附表二 (R-FB-8) in its order, each part signed by who wrote it and when (workflow.RECORD_PARTS): QA's
    opinion (QA roles) → the management office's execution record, executor and time (the project's
    staff) → QA acceptance (QA roles); customer acceptance comes from the customer's rating, never from
    staff. Only the fields whose value changes are written (a whole record sent back with its other parts
    untouched is fine); a part is refused before the one it follows is signed, and once the part after it
    is signed it no longer changes."""
    require(actor, "feedback.execution_record", project=item.project)
    unknown = set(values) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    ExecutionRecord.objects.get_or_create(item=item)
    record = ExecutionRecord.objects.select_for_update().get(item=item)
    changed = {
        name: _record_value(value)
        for name, value in values.items()
        if _record_differs(getattr(record, name), _record_value(value))
    }
    if not changed:
        return record
    before = {name: _record_text(getattr(record, name)) for name in changed}
    now = timezone.now()
    for part in RECORD_PARTS.values():
        fields = [name for name in part.fields if name in changed]
        if fields:
            _check_record_part(actor=actor, item=item, record=record, part=part, field=fields[0])
            _write_record_part(
                record=record, part=part, values={n: changed[n] for n in fields}, actor=actor, now=now
            )
    record.save()
    events.execution_record_changed(
        item=item,
        actor=actor,
        changes={name: [before[name], _record_text(getattr(record, name))] for name in changed},
    )
    return record


def _record_value(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _record_text(value: Any) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return str(value or "")


def _record_differs(stored: Any, value: Any) -> bool:
    """Is `value` a change? A time counts to the minute (the form's precision)."""
    if isinstance(stored, datetime) and isinstance(value, datetime):
        return stored.replace(second=0, microsecond=0) != value.replace(second=0, microsecond=0)
    return (stored or "") != (value or "")


def _check_record_part(
    *, actor: Any, item: FeedbackItem, record: ExecutionRecord, part: RecordPart, field: str
) -> None:
    if part.capability is None:
        raise DomainError(
            "feedback.customer_acceptance",
            _("Customer acceptance comes from the customer's rating or the return visit."),
            fields={field: [_("Customer acceptance comes from the customer's rating or the return visit.")]},
        )
    require(actor, part.capability, project=item.project)
    if part.after is not None and getattr(record, RECORD_PARTS[part.after].signed_at) is None:
        raise DomainError(
            "feedback.record_out_of_order",
            str(part.too_early),
            status=409,
            fields={field: [str(part.too_early)]},
        )
    following = record_next_part(part)
    if following is not None and getattr(record, following.signed_at) is not None:
        message = _("This part of the execution record is signed off by the next one and no longer changes.")
        raise DomainError("feedback.record_signed", message, status=409, fields={field: [message]})


def _write_record_part(
    *, record: ExecutionRecord, part: RecordPart, values: dict[str, Any], actor: Any, now: datetime
) -> None:
    """Write the part's fields; its signed text (the part's first field) records who signed it and when,
    or nobody once it is emptied."""
    for name, value in values.items():
        setattr(record, name, value if value is not None else ("" if name != "executed_at" else None))
    text = part.fields[0]
    if text in values and part.signed_by is not None:
        signed = bool(getattr(record, text))
        setattr(record, part.signed_by, actor if signed else None)
        setattr(record, part.signed_at, now if signed else None)


def _accepted_by_customer(*, item: FeedbackItem, rating: str, comment: str, now: datetime) -> dict[str, Any]:
    """R-FB-8: the customer's acceptance on the execution record is their rating (in the company's
    language, as the printed form is filled in), with when they gave it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = " · ".join(part for part in (str(Rating(rating).label), comment) if part)
    record, _created = ExecutionRecord.objects.get_or_create(item=item)
    before = record.customer_acceptance
    record.customer_acceptance = text
    record.customer_acceptance_at = now
    record.save(update_fields=["customer_acceptance", "customer_acceptance_at", "updated_at"])
    return {"customer_acceptance": [before, text]}


@transaction.atomic
def feedback_item_rate(*, actor: Any, item: FeedbackItem, rating: str, comment: str = "") -> FeedbackItem:
    """The customer rates the handling once told the result (A satisfied / B fairly / C unsatisfied); the
    rating is the customer acceptance of the execution record (R-FB-8)."""
    if item.resident is None or item.resident.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("only the customer rates")
    if rating not in Rating.values:
        raise DomainError(
            "feedback.invalid", _("Choose a rating."), fields={"rating": [_("Choose a rating.")]}
        )
    if not customer_told(item):
        raise DomainError("feedback.not_done", _("You can rate it once it has been handled."), status=409)
    if item.rating:
        raise DomainError("feedback.already_rated", _("You have already rated it."), status=409)
    comment = comment.strip()[:500]
    rated = FeedbackItem.objects.filter(pk=item.pk, rating="").update(
        rating=rating, rating_comment=comment, version=F("version") + 1
    )
    if not rated:  # rated a moment ago (another tab, a double click): the first rating stands
        raise DomainError("feedback.already_rated", _("You have already rated it."), status=409)
    record = _accepted_by_customer(item=item, rating=rating, comment=comment, now=timezone.now())
    events.rated(item=item, actor=actor, rating=rating, comment=comment, record=record)
    if rating == Rating.C:
        # serious dissatisfaction (R-RV-3, R-RV-4): a separate visit and a nonconformity follow
        followups.dissatisfaction_confirmed(
            followups.Dissatisfaction(
                item=item, source=followups.Source.OWNER_RATING, actor=actor, note=comment
            )
        )
        notify(
            users=project_staff(project=item.project, roles={Role.PROJECT_MANAGER, Role.CS_SUPERVISOR}),
            title=_("%(reference)s rated unsatisfied by the customer") % {"reference": item.reference},
            body=comment,
            url=notices.item_url(item),
        )
    item.refresh_from_db()
    return item


# --- hand-off to HQ reporting (R-IR-8) ----------------------------------------------------------------------


def _hq_report_content(item: FeedbackItem) -> dict[str, Any]:
    """What HQ gets without retyping: the item's facts and its progress so far."""
    rows = list(item.events.select_related("actor").order_by("at", "id"))
    return {
        "source": "feedback",
        "reference": item.reference,
        "project": item.project.code,
        "type": "major_or_hot_complaint",
        "title": item.title,
        "facts": item.description,
        "registered_at": item.registered_at.isoformat(),
        "status": item.status,
        "progress": [
            {
                "at": event.at.isoformat(),
                "step": event.to_status or event.kind,
                "what": described.what,
                "note": event.message,
            }
            for event, described in zip(rows, events.describe_all(rows), strict=True)
        ],
    }


@transaction.atomic
def feedback_item_hand_to_hq(*, actor: Any, item: FeedbackItem) -> tuple[dict[str, Any], followups.HqReport]:
    """R-IR-8: a major or hot complaint goes to HQ as an instant report without retyping. HQ reporting
    (registered in followups) stores the report, once per item, and answers with its receipt; only then is
    the item marked reported (its later events reach the report as follow-ups, events.py). Nothing stored:
    `feedback.hq_not_stored` and nothing changes. Returns the content handed over and the receipt."""
    require(actor, "feedback.report_hq", project=item.project)
    if not (item.is_major or item.is_hot):
        raise DomainError(
            "feedback.not_reportable",
            _("Only major or hot complaints are reported to HQ as instant reports."),
        )
    content = _hq_report_content(item)
    receipt = followups.reported_to_hq(followups.HqHandoff(item=item, actor=actor, content=content))
    if receipt is None:
        raise DomainError(
            "feedback.hq_not_stored",
            _("HQ reporting did not store the report, so nothing was sent. Try again later or call HQ."),
            status=503,
        )
    if receipt.created:
        FeedbackItem.objects.filter(pk=item.pk).update(reported_to_hq_at=timezone.now())
        events.reported_to_hq(item=item, actor=actor, report=receipt.reference, url=receipt.url)
    return content, receipt


def feedback_item_report_to_hq(*, actor: Any, item: FeedbackItem) -> dict[str, Any]:
    """`feedback_item_hand_to_hq`, answering with the content handed over (the API's answer)."""
    return feedback_item_hand_to_hq(actor=actor, item=item)[0]


def seed_sla_policies(*, company: Any) -> None:
    """The default SLA rows (R-FB-2: 60 minutes; R-FB-4: 30 minutes to arrange and to act; R-CH-1: the
    hotline's items on the 24-hour calendar); running it again adds nothing."""
    for policy in sla.default_policies():
        SlaPolicy.objects.get_or_create(
            company=company,
            clock=policy.clock,
            channel=policy.channel,
            kind=policy.kind,
            category=policy.category,
            priority=policy.priority,
            defaults={"minutes": policy.minutes, "uses_hotline_calendar": policy.uses_hotline_calendar},
        )
