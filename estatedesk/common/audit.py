"""The audit trail. Services write it with `audit_record` inside their transaction; pages, exports and the
API read it through `audit_entries_for_viewer`, which masks what the viewer may not see (ADR 0007)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models

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
    """The rows, each with `shown_changes`: its `changes` after every registered mask, for this viewer.
    Pages, exports and the API show `shown_changes`, never `changes`. No query per row."""
    masks = [mask(viewer) for mask in _masks]
    rows = list(entries)
    for entry in rows:
        shown: dict[str, Any] = entry.changes if isinstance(entry.changes, dict) else {}
        for mask in masks:
            shown = mask(entry, shown)
        entry.shown_changes = shown  # type: ignore[attr-defined]
    return rows
