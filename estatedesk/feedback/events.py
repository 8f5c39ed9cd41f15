"""The timeline of a feedback item: the only code that creates `TimelineEvent` rows, one function per kind,
and `describe()`, the one reading of an event in words that the staff page, the owner's page, the PDF and
the API share (after Saleor's `order/events.py`).

Events are append-only. `data` keeps the facts (ids, choice values) so that a description can be given
again in any language; `describe()` never shows a raw code to a person: unknown values are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from estatedesk.feedback import followups
from estatedesk.feedback.choices import (
    Category,
    Channel,
    EventKind,
    InformedBy,
    Kind,
    Priority,
    Rating,
    SlaClock,
    Status,
    TalkKind,
)
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, TimelineEvent

# events a customer raised or that came from them, when no staff actor is recorded
CUSTOMER_KINDS = frozenset({EventKind.REGISTERED, EventKind.RATING, EventKind.EMAIL_REPLY})
# what a customer does themselves: the customer's page names them as its author
CUSTOMER_ACTION_KINDS = frozenset(
    {EventKind.RATING, EventKind.EMAIL_REPLY, EventKind.INFO_ADDED, EventKind.CHASED, EventKind.WITHDRAWN}
)
# channels where customers register themselves
SELF_SERVICE_CHANNELS = frozenset({"portal", "qr", "email"})
# data keys of step events holding the user id of an assignee
PERSON_KEYS = ("supervisor_id", "executor_id", "previous_executor_id")


def _create(
    *, item: FeedbackItem, actor: Any, kind: str, at: datetime | None = None, **fields: Any
) -> TimelineEvent:
    """`fields`: message, from_status, to_status, data, is_public (the model's defaults otherwise). An item
    already reported to HQ (R-IR-8) passes each new event on to HQ reporting as progress (one attribute
    read for every other item)."""
    event = TimelineEvent.objects.create(
        item=item,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        **fields,
    )
    if item.reported_to_hq_at is not None:
        followups.reported_item_progressed(item, event)
    return event


# --- one writer per kind ----------------------------------------------------------------------------------


def registered(*, item: FeedbackItem, actor: Any, at: datetime) -> TimelineEvent:
    """R-FB-1: the item is on file (shown to the customer)."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.REGISTERED,
        to_status=Status.REGISTERED,
        at=at,
        is_public=True,
        data={"channel": item.channel},
    )


def step_taken(
    *,
    item: FeedbackItem,
    actor: Any,
    step: str,
    from_status: str,
    to_status: str,
    note: str,
    data: dict[str, Any],
    is_public: bool,
) -> TimelineEvent:
    """A step of the R-FB path (workflow.STEPS); `data` holds what the step set: the assignee
    (`supervisor_id`, `executor_id`), how the customer was told (`how`), the clocks it `started`, the
    clocks it `restarted` with their `previous` due times and escalation cycle and level, the
    execution-record fields it filled in (`record`: {field: [before, after]})."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.TRANSITION,
        from_status=from_status,
        to_status=to_status,
        message=note,
        data={"step": step, **data},
        is_public=is_public,
    )


def comment_added(*, item: FeedbackItem, actor: Any, message: str, is_public: bool) -> TimelineEvent:
    return _create(item=item, actor=actor, kind=EventKind.COMMENT, message=message, is_public=is_public)


def major_alert_sent(*, item: FeedbackItem, actor: Any, notified: Sequence[int]) -> TimelineEvent:
    """R-FB-3: the general manager was alerted."""
    return _create(item=item, actor=actor, kind=EventKind.MAJOR_ALERT, data={"notified": list(notified)})


def escalated(
    *, item: FeedbackItem, clock: str, level: int, notified: Sequence[int], at: datetime, cycle: int = 0
) -> TimelineEvent:
    """An SLA clock was overdue and went up one level (by the sweep, no actor)."""
    return _create(
        item=item,
        actor=None,
        kind=EventKind.ESCALATED,
        at=at,
        data={"clock": clock, "level": level, "notified": list(notified), "cycle": cycle},
    )


def attachments_added(*, item: FeedbackItem, actor: Any, names: Sequence[str]) -> TimelineEvent:
    return _create(item=item, actor=actor, kind=EventKind.ATTACHMENT, data={"files": list(names)})


def mail_attachments_received(
    *, item: FeedbackItem, names: Sequence[str], refused: Sequence[dict[str, Any]]
) -> TimelineEvent:
    """R-CH-2: the files an email brought, stored on the item, and those refused, each {name, size (bytes),
    reason: too_large | message_too_large | type, limit (bytes)}."""
    return _create(
        item=item,
        actor=None,
        kind=EventKind.ATTACHMENT,
        data={"files": list(names), "refused": list(refused), "by_mail": True},
    )


def staff_talk_recorded(
    *, item: FeedbackItem, actor: Any, employee: str, kind: str, notes: str
) -> TimelineEvent:
    """R-FB-4: a talk with, or criticism of, the employee."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.STAFF_TALK,
        message=notes,
        data={"employee": employee, "kind": kind},
    )


def rated(
    *, item: FeedbackItem, actor: Any, rating: str, comment: str, record: dict[str, Any] | None = None
) -> TimelineEvent:
    """The customer's rating; `record` the execution-record fields it filled in (customer acceptance,
    R-FB-8), {field: [before, after]}."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.RATING,
        message=comment,
        data={"rating": rating, **({"record": record} if record else {})},
        is_public=True,
    )


def return_visit_recorded(
    *, item: FeedbackItem, actor: Any, grade: str, purpose: str, visit_id: int, record: dict[str, Any] | None
) -> TimelineEvent:
    """A return visit's grade about the item (附表三); `purpose` the visit's kind (visits' code), `record` the
    execution-record fields it filled in (customer acceptance, R-FB-8). The customer sees the grade, not
    the visitor's notes."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.RETURN_VISIT,
        data={
            "grade": grade,
            "purpose": purpose,
            "visit_id": visit_id,
            **({"record": record} if record else {}),
        },
        is_public=True,
    )


def reported_to_hq(*, item: FeedbackItem, actor: Any, report: str = "", url: str = "") -> TimelineEvent:
    """R-IR-8: handed to HQ reporting, stored there as the instant report `report` (its page at `url`)."""
    data = {"reference": item.reference, **({"report": report, "url": url} if report else {})}
    return _create(item=item, actor=actor, kind=EventKind.HQ_REPORT, data=data)


def appointment_agreed(
    *, item: FeedbackItem, actor: Any, at: datetime, previous: datetime | None, note: str
) -> TimelineEvent:
    """Issue 11: the visit time agreed with the customer (`at`), or moved from `previous` (shown to the
    customer)."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.APPOINTMENT,
        message=note,
        data={"at": at.isoformat(), **({"previous": previous.isoformat()} if previous else {})},
        is_public=True,
    )


def handed_over(
    *, item: FeedbackItem, actor: Any, executor_id: int, previous_id: int | None, note: str
) -> TimelineEvent:
    """Issue 11: the job went to another executor (`executor_id`) from `previous_id`, with the reason."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.HANDED_OVER,
        message=note,
        data={"executor_id": executor_id, **({"previous_executor_id": previous_id} if previous_id else {})},
    )


def email_reply_received(
    *, item: FeedbackItem, sender: str, subject: str, message_id: str, body: str, attachments: Sequence[str]
) -> TimelineEvent:
    """R-CH-4: the customer's emailed reply, threaded onto the item (shown to the customer)."""
    return _create(
        item=item,
        actor=None,
        kind=EventKind.EMAIL_REPLY,
        message=body,
        data={"from": sender, "subject": subject, "message_id": message_id, "attachments": list(attachments)},
        is_public=True,
    )


def execution_record_changed(
    *, item: FeedbackItem, actor: Any, changes: dict[str, list[str]], is_public: bool = False
) -> TimelineEvent:
    """R-FB-8: fields of 附表二 changed; `changes` maps each field to [before, after]."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.EXECUTION_RECORD,
        data={"changes": changes},
        is_public=is_public,
    )


def reclassified(
    *, item: FeedbackItem, actor: Any, changes: dict[str, list[Any]], reason: str, clocks: dict[str, Any]
) -> TimelineEvent:
    """Kind, category, location, department, priority or flags changed after registration; `changes` maps
    each field to [before, after] (ids for foreign keys), `clocks` the deadlines recomputed."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.RECLASSIFIED,
        message=reason,
        data={"changes": changes, "clocks": clocks},
    )


def information_added(
    *, item: FeedbackItem, actor: Any, text: str, via: str, photos: Sequence[str] = ()
) -> TimelineEvent:
    """Issue 11: the customer added words (and photos) to their open item, by the hotline, the portal, …
    (`via`, a Channel value), instead of a second item (shown to the customer)."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.INFO_ADDED,
        message=text,
        data={"via": via, "files": list(photos)},
        is_public=True,
    )


def chased(*, item: FeedbackItem, actor: Any, notified: Sequence[int]) -> TimelineEvent:
    """Issue 11: the customer chased the item (催办) from the portal; `notified` the staff told (shown to the
    customer)."""
    return _create(
        item=item, actor=actor, kind=EventKind.CHASED, data={"notified": list(notified)}, is_public=True
    )


def withdrawn(*, item: FeedbackItem, actor: Any, from_status: str, reason: str) -> TimelineEvent:
    """Issue 11: the customer withdrew the item before it was handled; it is cancelled (shown to the
    customer)."""
    return _create(
        item=item,
        actor=actor,
        kind=EventKind.WITHDRAWN,
        from_status=from_status,
        to_status=Status.CANCELLED,
        message=reason,
        is_public=True,
    )


# --- reading an event in words ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    at: datetime  # in the company's time zone
    kind: str
    who: str
    what: str
    details: list[str] = field(default_factory=list)
    message: str = ""
    is_public: bool = False


_CHOICE_LABELS: dict[Any, dict[Any, Any]] = {}


def _labels(choices: Any) -> dict[Any, Any]:
    """{value: lazy label} of a choices class, built once (`Choices.values` builds a list on each use)."""
    table = _CHOICE_LABELS.get(choices)
    if table is None:
        table = _CHOICE_LABELS[choices] = {member.value: member.label for member in choices}
    return table


def _known(choices: Any, value: Any) -> bool:
    try:
        return value in _labels(choices)
    except TypeError:  # a list or a dict where a value was expected: not a choice
        return False


def label_of(choices: Any, value: Any) -> str:
    """The choice's label in the active language; "" for a value that is not one of the choices."""
    return str(_labels(choices)[value]) if _known(choices, value) else ""


_label = label_of


FIELD_CHOICES: dict[str, Any] = {
    "kind": Kind,
    "category": Category,
    "priority": Priority,
}


def _field_label(model: Any, name: str) -> str:
    try:
        return capfirst(str(getattr(model._meta.get_field(name), "verbose_name", name)))
    except FieldDoesNotExist:  # an old event naming a field that no longer exists
        return ""


def _value_text(name: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in FIELD_CHOICES:
        return _label(FIELD_CHOICES[name], value) or "—"
    if name in names and str(value).isdigit():
        return names[name].get(int(value), "—")
    return str(value) if value not in (None, "") else "—"


def describe(
    event: TimelineEvent,
    *,
    for_customer: bool = False,
    names: dict[str, dict[int, str]] | None = None,
) -> Description:
    """The event as a person reads it: who, what, details, in the active language and local time. A
    customer sees no staff names (the company acts) and no internal details."""
    names = names or {}
    data = event.data or {}
    who = _who(event, data, for_customer=for_customer)
    what = _label(EventKind, event.kind) or _("Event")
    if event.kind == EventKind.TRANSITION:
        what = _step_label(data.get("step")) or _label(Status, event.to_status) or what
    details = [] if for_customer else _details(event, data, names)
    if for_customer and event.kind == EventKind.APPOINTMENT:
        details = _appointment_details(data)
    if for_customer and _known(Status, event.to_status) and event.kind == EventKind.TRANSITION:
        what = _label(Status, event.to_status)
    return Description(
        at=timezone.localtime(event.at, timezone.get_default_timezone()),
        kind=event.kind,
        who=who,
        what=what,
        details=details,
        message=event.message,
        is_public=event.is_public,
    )


def _who(event: TimelineEvent, data: dict[str, Any], *, for_customer: bool) -> str:
    if for_customer:
        by_customer = event.kind in CUSTOMER_ACTION_KINDS or (
            event.kind == EventKind.REGISTERED and data.get("channel") in SELF_SERVICE_CHANNELS
        )
        return _("Customer") if by_customer else _("Property service")
    if event.actor is not None:
        return str(event.actor)
    by_customer = event.kind in CUSTOMER_KINDS or (
        event.kind == EventKind.ATTACHMENT and bool(data.get("by_mail"))
    )
    return _("Customer") if by_customer else _("System")


def _step_label(step: Any) -> str:
    from estatedesk.feedback.workflow import STEPS  # the step table reads choices only; no cycle

    return str(STEPS[step].label) if step in STEPS else ""


def _details(event: TimelineEvent, data: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    details: list[str] = []
    if _known(Status, event.to_status) and event.kind in (EventKind.TRANSITION, EventKind.REGISTERED):
        details.append(_("Status: %(status)s") % {"status": _label(Status, event.to_status)})
    if _known(InformedBy, data.get("how")):
        details.append(_("How: %(how)s") % {"how": _label(InformedBy, data["how"])})
    for key, label in (("supervisor_id", _("Supervisor")), ("executor_id", _("Executor"))):
        person = names.get(key, {}).get(int(data[key])) if str(data.get(key, "")).isdigit() else None
        if person:
            details.append(f"{label}: {person}")
    by_kind = KIND_DETAILS.get(event.kind)
    if by_kind is not None:
        details.extend(line for line in by_kind(data, names) if line)
    details += _clock_details(data)
    record = data.get("record")
    if isinstance(record, dict) and record:
        labels = [_field_label(ExecutionRecord, name) for name in record]
        details.append(
            _("Execution record: %(fields)s") % {"fields": ", ".join(label for label in labels if label)}
        )
    return details


def _clock_details(data: dict[str, Any]) -> list[str]:
    """The clocks a step started or restarted, and what they were before a restart (R-FB-4)."""
    details = []
    started = data.get("started")
    if isinstance(started, list) and started:
        clocks = ", ".join(_label(SlaClock, clock) for clock in started if _known(SlaClock, clock))
        details.append(_("Clocks started: %(clocks)s") % {"clocks": clocks})
    restarted = data.get("restarted")
    if isinstance(restarted, list) and restarted:
        clocks = ", ".join(_label(SlaClock, clock) for clock in restarted if _known(SlaClock, clock))
        details.append(_("Clocks restarted: %(clocks)s") % {"clocks": clocks})
    previous = data.get("previous")
    if isinstance(previous, dict) and isinstance(restarted, list):
        details += _previous_details(previous, restarted)
    return details


def _previous_details(previous: dict[str, Any], restarted: list[Any]) -> list[str]:
    details = []
    for clock in restarted:
        due = _local_time(previous.get(CLOCK_COLUMNS[clock][0])) if clock in CLOCK_COLUMNS else ""
        if due:
            details.append(
                _("Before: %(clock)s due %(due)s") % {"clock": _label(SlaClock, clock), "due": due}
            )
    level = previous.get("escalation_level")
    if isinstance(level, int) and level:
        details.append(_("Before: escalation level %(level)s") % {"level": level})
    return details


def _local_time(value: Any) -> str:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if timezone.is_naive(instant):
        return ""
    return f"{timezone.localtime(instant, timezone.get_default_timezone()):%Y-%m-%d %H:%M}"


def _escalation_details(data: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    if not _known(SlaClock, data.get("clock")):
        return []
    return [
        _("%(clock)s overdue, level %(level)s")
        % {"clock": _label(SlaClock, data["clock"]), "level": data.get("level", "")}
    ]


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = data.get("changes")
    return changes if isinstance(changes, dict) else {}


def _execution_details(data: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    labels = [_field_label(ExecutionRecord, name) for name in _changes(data)]
    return (
        [_("Changed: %(fields)s") % {"fields": ", ".join(label for label in labels if label)}]
        if labels
        else []
    )


def _reclassified_details(data: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    lines = []
    for name, pair in _changes(data).items():
        label = _field_label(FeedbackItem, name)
        if label and isinstance(pair, list) and len(pair) == 2:
            before, after = (_value_text(name, value, names) for value in pair)
            lines.append(f"{label}: {before} → {after}")
    return lines


REFUSAL_REASONS: dict[str, Any] = {
    "too_large": lambda limit: _("larger than %(limit)s, the limit for one file") % {"limit": limit},
    "message_too_large": lambda limit: _("the message's files together exceed %(limit)s") % {"limit": limit},
    "type": lambda limit: _("not a picture or a document"),
}


def _attachment_details(data: dict[str, Any]) -> list[str]:
    """The files stored, then each refused file with its size and why (a file that came by mail)."""
    lines = [", ".join(str(name) for name in data.get("files") or [])]
    for refused in data.get("refused") or []:
        if not isinstance(refused, dict) or refused.get("reason") not in REFUSAL_REASONS:
            continue
        why = REFUSAL_REASONS[refused["reason"]](filesizeformat(refused.get("limit") or 0))
        lines.append(
            _("Refused: %(name)s (%(size)s), %(why)s")
            % {"name": refused.get("name", ""), "size": filesizeformat(refused.get("size") or 0), "why": why}
        )
    return lines


def _information_details(data: dict[str, Any]) -> list[str]:
    """How the customer's added information came, and the photos it brought."""
    lines = []
    if _known(Channel, data.get("via")):
        lines.append(_("Via: %(channel)s") % {"channel": _label(Channel, data["via"])})
    if data.get("files"):
        lines.append(", ".join(str(name) for name in data["files"]))
    return lines


def _appointment_details(data: dict[str, Any]) -> list[str]:
    """The agreed visit time, and the one it replaced, in local time."""
    lines = []
    if at := _local_time(data.get("at")):
        lines.append(_("Appointment: %(at)s") % {"at": at})
    if previous := _local_time(data.get("previous")):
        lines.append(_("Before: %(at)s") % {"at": previous})
    return lines


def _handed_over_details(data: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    previous = str(data.get("previous_executor_id") or "")
    person = names.get("previous_executor_id", {}).get(int(previous)) if previous.isdigit() else None
    return [_("Before: %(person)s") % {"person": person}] if person else []


KIND_DETAILS: dict[str, Any] = {
    EventKind.APPOINTMENT: lambda data, names: _appointment_details(data),
    EventKind.HANDED_OVER: _handed_over_details,
    EventKind.ESCALATED: _escalation_details,
    EventKind.RATING: lambda data, names: [_label(Rating, data.get("rating"))],
    EventKind.RETURN_VISIT: lambda data, names: [_label(Rating, data.get("grade"))],
    EventKind.STAFF_TALK: lambda data, names: [
        f"{data.get('employee', '')} · {_label(TalkKind, data.get('kind'))}"
    ],
    EventKind.ATTACHMENT: lambda data, names: _attachment_details(data),
    EventKind.EXECUTION_RECORD: _execution_details,
    EventKind.RECLASSIFIED: _reclassified_details,
    EventKind.INFO_ADDED: lambda data, names: _information_details(data),
    EventKind.HQ_REPORT: lambda data, names: [str(data["report"])] if data.get("report") else [],
}


def referenced_names(
    events: Iterable[TimelineEvent], *, known: Iterable[Any] = ()
) -> dict[str, dict[int, str]]:
    """The names of the people, departments and places events refer to by id, a query per kind at most:
    {data key: {id: name}}. `known`: users already read (the item's assignees): only the others are asked
    for (the number of queries depends on the item, never on the number of events)."""
    from estatedesk.org.models import Building, Department, Unit

    events = list(events)
    user_ids = {
        int(value)
        for event in events
        for key in PERSON_KEYS
        if str(value := (event.data or {}).get(key, "")).isdigit()
    }
    user_ids |= _reclassified_ids(events, "supervisor") | _reclassified_ids(events, "executor")
    users = {u.pk: str(u) for u in known if u is not None and u.pk in user_ids}
    missing = user_ids - set(users)
    if missing:
        users |= {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=missing)}
    names: dict[str, dict[int, str]] = dict.fromkeys((*PERSON_KEYS, "supervisor", "executor"), users)
    for key, model, text in (
        ("department", Department, str),
        ("building", Building, lambda row: row.name),
        ("unit", Unit, lambda row: row.label),
    ):
        ids = _reclassified_ids(events, key)
        names[key] = {row.pk: text(row) for row in model.objects.filter(pk__in=ids)} if ids else {}
    return names


def _reclassified_ids(events: list[TimelineEvent], key: str) -> set[int]:
    return {
        int(value)
        for event in events
        if event.kind == EventKind.RECLASSIFIED and isinstance((event.data or {}).get("changes"), dict)
        for value in event.data["changes"].get(key, [])
        if str(value).isdigit()
    }


def describe_all(
    events: Iterable[TimelineEvent], *, for_customer: bool = False, known: Iterable[Any] = ()
) -> list[Description]:
    """`describe` for a whole timeline, with the names it needs fetched once (`known`: users already read)."""
    events = list(events)
    names = {} if for_customer else referenced_names(events, known=known)
    return [describe(event, for_customer=for_customer, names=names) for event in events]
