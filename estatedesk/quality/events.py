"""The retained record of a nonconformity (ISO 9001 §10.2.2): the only code that creates
`NonconformityEvent` rows, and `describe()`, the one reading of an event in words that the page, the PDF
and the API share (after feedback/events.py). Events are append-only; `data` keeps the facts (ids, choice
values) so that an event can be told again in any language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.quality.choices import ActionKind, CauseCategory, EventKind, Severity, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction, NonconformityEvent


def record(
    *,
    nonconformity: Nonconformity,
    actor: Any,
    kind: str,
    from_stage: str = "",
    to_stage: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> NonconformityEvent:
    """One event; the services call it through the named writers below."""
    return NonconformityEvent.objects.create(
        nonconformity=nonconformity,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        message=message,
        data=data or {},
    )


def raised(*, nonconformity: Nonconformity, actor: Any, note: str = "") -> NonconformityEvent:
    return record(
        nonconformity=nonconformity,
        actor=actor,
        kind=EventKind.RAISED,
        to_stage=nonconformity.stage,
        message=note,
        data={
            "origin": nonconformity.origin,
            "item_id": nonconformity.item_id,
            "visit_id": nonconformity.visit_id,
        },
    )


def moved(
    *, nonconformity: Nonconformity, actor: Any, kind: str, from_stage: str, message: str = "", **data: Any
) -> NonconformityEvent:
    """A change of stage (analysis, start, verification, close, cancel, reopen, a failed verification)."""
    return record(
        nonconformity=nonconformity,
        actor=actor,
        kind=kind,
        from_stage=from_stage,
        to_stage=nonconformity.stage,
        message=message,
        data=data,
    )


def action_event(
    *, action: NonconformityAction, actor: Any, kind: str, message: str = ""
) -> NonconformityEvent:
    return record(
        nonconformity=action.nonconformity,
        actor=actor,
        kind=kind,
        message=message,
        data={
            "action_id": action.pk,
            "kind": action.kind,
            "owner_id": action.owner_id,
            "due_on": action.due_on.isoformat(),
        },
    )


def dissatisfaction(
    *, nonconformity: Nonconformity, actor: Any, source: str, note: str, visit_id: int | None
) -> NonconformityEvent:
    """A further C on an item whose nonconformity exists already: recorded on it, no second one."""
    return record(
        nonconformity=nonconformity,
        actor=actor,
        kind=EventKind.DISSATISFACTION,
        message=note,
        data={"source": source, "visit_id": visit_id},
    )


def reminded(*, action: NonconformityAction, which: str, notified: list[int]) -> NonconformityEvent:
    return record(
        nonconformity=action.nonconformity,
        actor=None,
        kind=EventKind.REMINDED,
        data={"action_id": action.pk, "which": which, "notified": notified},
    )


# --- reading an event in words ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    at: datetime
    kind: str
    who: str
    what: str
    details: list[str] = field(default_factory=list)
    message: str = ""


def _label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else ""


REMINDERS = {
    "assigned": lambda: _("to the owner on assignment"),
    "due_soon": lambda: _("to the owner before the deadline"),
    "overdue": lambda: _("overdue, to the owner and the project manager"),
}


def _details(event: NonconformityEvent) -> list[str]:
    data = event.data or {}
    lines = []
    if event.to_stage and event.to_stage != event.from_stage and event.to_stage in Stage.values:
        lines.append(_("Stage: %(stage)s") % {"stage": _label(Stage, event.to_stage)})
    if data.get("cause_category") in CauseCategory.values:
        lines.append(_("Cause: %(cause)s") % {"cause": _label(CauseCategory, data["cause_category"])})
    if data.get("severity") in Severity.values:
        lines.append(_("Severity: %(severity)s") % {"severity": _label(Severity, data["severity"])})
    if data.get("kind") in ActionKind.values:
        lines.append(
            _label(ActionKind, data["kind"]) + (f" · {data['due_on']}" if data.get("due_on") else "")
        )
    if data.get("grade"):
        lines.append(_("Visit graded %(grade)s") % {"grade": data["grade"]})
    if data.get("which") in REMINDERS:
        lines.append(REMINDERS[data["which"]]())
    return lines


def describe(event: NonconformityEvent) -> Description:
    return Description(
        at=timezone.localtime(event.at, timezone.get_default_timezone()),
        kind=event.kind,
        who=str(event.actor) if event.actor is not None else _("System"),
        what=_label(EventKind, event.kind) or _("Event"),
        details=_details(event),
        message=event.message,
    )
