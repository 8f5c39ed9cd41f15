"""The audit trail. Services write it with `audit_record` inside their transaction; pages, exports and the
API read it through `audit_entries_for_viewer`, which masks what the viewer may not see (ADR 0007) and puts
each row in business words: what was changed (the model's name), which field (its verbose name), from what to
what (choice labels, related objects by name, yes/no, times in local time), never model labels, field names
or ISO timestamps."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


SECRET_FIELDS = ("password", "secret", "token")


def model_changes(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The current values of `fields` (all concrete fields when None), ready for JSON; secrets such as a
    mailbox password are recorded as changed, never in clear."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {
        name: ("***" if getattr(instance, name) else "")
        if any(s in name for s in SECRET_FIELDS)
        else _jsonable(getattr(instance, name))
        for name in names
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value differs (None where a side has no value)."""
    keys = [*before, *(key for key in after if key not in before)]
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    project_id: int | None = None,
) -> AuditEntry:
    """One audit row; `changes` is always {field: [old, new]} (old is None on create, new on delete)."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=diff(before or {}, after or {}),
        project_id=project_id,
    )


# --- reading the trail: what a viewer may see of each row ---------------------------------------------------

# A mask: given the viewer, a function of an audit row and its changes so far to the changes that viewer may
# read. Domain apps register theirs in AppConfig.ready (owners masks phones and ID numbers: owners.privacy);
# common imports no domain app, so the organisation's audit page and the owner archive mask alike, here.
ChangesMask = Callable[[Any], Callable[[AuditEntry, dict[str, Any]], dict[str, Any]]]
_masks: list[ChangesMask] = []


def register_changes_mask(mask: ChangesMask) -> None:
    if mask not in _masks:
        _masks.append(mask)


def audit_entries_for_viewer(*, viewer: Any, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The rows, each with `shown_changes`: its `changes` after every registered mask, for this viewer, and
    the same in business words for pages: `shown_object_type` (what kind of thing was changed) and
    `shown_lines` (`ShownChange`s, see `describe_changes`). Pages, exports and the API show these, never
    `changes`. No query per row (one per kind of related object named in the rows)."""
    masks = [mask(viewer) for mask in _masks]
    rows = list(entries)
    for entry in rows:
        shown: dict[str, Any] = entry.changes if isinstance(entry.changes, dict) else {}
        for mask in masks:
            shown = mask(entry, shown)
        entry.shown_changes = shown  # type: ignore[attr-defined]
    describe_changes(rows)
    return rows


# --- the trail in business words ------------------------------------------------------------------------

# Keys that services record beside a model's own fields (`audit_record(after={"unit": …})`), by their name.
EXTRA_LABELS: dict[str, Any] = {
    "unit": _("unit"),
    "relation": _("relation"),
    "moved_out_on": _("moved out on"),
    "field": _("field"),
    "what": _("what"),
    "rows": _("rows"),
    "phones": _("phones"),
    "method": _("sign-in method"),
    "note": _("note"),
    "user": _("user"),
    "role": _("role"),
    "level": _("level"),
    "node": _("place in the organisation"),
    "status": _("status"),
    "outcome": _("outcome"),
    "item": _("item"),
    "reason": _("reason"),
    "day": _("day"),
    "kind": _("kind"),
    "name": _("name"),
    "email": _("email"),
    "pending_email": _("new email waiting for confirmation"),
    "pending_email_valid_until": _("confirmation link valid until"),
    "email_confirmed_by_account_holder": _("confirmed by the account holder"),
    "email_change_reported_from_old_address": _("reported from the old address"),
    "expires_at": _("valid until"),
    "raw_message": _("original message"),
    "api_token": _("API token"),
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class ShownChange:
    """One changed field as a page shows it: its label, and the old and new values as text ("" when the
    side had no value)."""

    label: str
    old: str
    new: str


def _model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field_for(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    found: Any
    try:
        found = model._meta.get_field(key)
    except FieldDoesNotExist:
        found = next((f for f in model._meta.concrete_fields if f.attname == key), None)
    return found if isinstance(found, models.Field) else None


def _local_time(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _value_text(value: Any, field: models.Field[Any, Any] | None, names: dict[tuple[Any, str], str]) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if isinstance(value, list):
        return ", ".join(_value_text(v, field, names) for v in value)
    if field is not None and field.is_relation and field.related_model is not None:
        return names.get((field.related_model, str(value)), f"#{value}")
    if field is not None and field.choices:
        labels = {str(key): str(label) for key, label in field.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        parsed = parse_datetime(value)
        if parsed is not None:
            return _local_time(parsed)
    return str(value)


def _related_names(rows: list[AuditEntry]) -> dict[tuple[Any, str], str]:
    """{(related model, pk as text): its name} for every related object the rows name, one query a model."""
    wanted: dict[Any, set[str]] = defaultdict(set)
    for entry in rows:
        model = _model_for(entry.object_type)
        for key, pair in getattr(entry, "shown_changes", {}).items():
            field = _field_for(model, key)
            if field is None or not field.is_relation or field.related_model is None:
                continue
            for value in pair if isinstance(pair, list) else []:
                if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                    wanted[field.related_model].add(str(value))
    names: dict[tuple[Any, str], str] = {}
    for related, pks in wanted.items():
        if isinstance(related, str):
            continue
        for pk, obj in related._default_manager.in_bulk([int(pk) for pk in pks]).items():
            names[(related, str(pk))] = str(obj)
    return names


def describe_changes(rows: list[AuditEntry]) -> None:
    """Give each row (already masked: `shown_changes`) `shown_object_type`, the changed object's kind by
    its verbose name, and `shown_lines`, its changes in business words."""
    names = _related_names(rows)
    for entry in rows:
        model = _model_for(entry.object_type)
        entry.shown_object_type = str(model._meta.verbose_name) if model is not None else ""  # type: ignore[attr-defined]
        lines = []
        for key, pair in getattr(entry, "shown_changes", {}).items():
            field = _field_for(model, key)
            if field is not None:
                label = str(field.verbose_name)
            elif key in EXTRA_LABELS:
                label = str(EXTRA_LABELS[key])
            else:
                label = key.replace("_", " ")
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            lines.append(
                ShownChange(
                    label=label, old=_value_text(old, field, names), new=_value_text(new, field, names)
                )
            )
        entry.shown_lines = lines  # type: ignore[attr-defined]
