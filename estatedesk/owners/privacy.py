"""Who sees personal data in full (R-OA privacy, ADR 0007): phones for the roles that call owners, ID
numbers only through an audited reveal. Pages, exports, the API and the audit trail all ask here.

- `full_phone_policy`: may this viewer see this resident's phones unmasked?
- `audit_changes_for_viewer`: the one masking of an audit row's `{field: [old, new]}`: phone values masked
  unless the viewer calls owners at the row's project, ID numbers always masked. Registered with
  `common.audit` (owners' AppConfig.ready), so the resident's history and the organisation's audit page
  (which may not import owners) mask alike.
- `resident_contacts_for_viewer`: what a viewer sees of a resident's contact details; staff of a project the
  resident has left see only what their project had on file (issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from estatedesk.org.permissions import projects_with
from estatedesk.owners.contacts import mask_id_number, mask_phone
from estatedesk.owners.models import Resident

PHONE_KEY_PART = "phone"  # "phones", "contact_phone", "phone": every audited field that holds numbers
ID_NUMBER_KEY_PART = "id_number"
MASK_CHARACTER = "*"


def full_phone_policy(user: Any) -> Callable[[Resident], bool]:
    """A predicate: may this user see this resident's phone numbers unmasked? (One query, then none.)"""
    projects = projects_with(user, "owners.phone.full")

    def allowed(resident: Resident) -> bool:
        if projects is None:
            return True
        occupancies = getattr(resident, "current_occupancies", None)
        if occupancies is None:
            occupancies = list(resident.occupancies.filter(ended_on__isnull=True).select_related("unit"))
        if not occupancies and getattr(resident, "former_only", False):
            # a former resident of the viewer's projects: as their project saw them
            occupancies = getattr(resident, "past_occupancies", [])
        return any(o.unit.project_id in projects for o in occupancies)

    return allowed


def phones_for_display(resident: Resident, *, full: bool) -> list[str]:
    numbers = getattr(resident, "phone_list", None)
    if numbers is None:
        numbers = list(resident.phones.order_by("position", "id"))
    return [p.number if full else mask_phone(p.number) for p in numbers]


def id_number_for_display(resident: Resident) -> str:
    return mask_id_number(resident.id_number) if resident.id_number else ""


# --- the audit trail ---------------------------------------------------------------------------------------


def _mask_value(value: Any, mask: Callable[[str], str]) -> Any:
    """Mask a recorded value: a string, or the strings of a list (a resident's phones). A value that is
    already masked stays as it is, so masking twice changes nothing."""
    if isinstance(value, str):
        return value if not value or MASK_CHARACTER in value else mask(value)
    if isinstance(value, list | tuple):
        return [_mask_value(item, mask) for item in value]
    return value


def audit_changes_for_viewer(changes: dict[str, Any], *, full_phones: bool) -> dict[str, Any]:
    """An audit row's `{field: [old, new]}` as a viewer may read it: the values of every phone field
    masked unless `full_phones`, the values of every ID-number field masked always (the full number is
    shown only by the audited reveal). Other fields as recorded."""
    shown: dict[str, Any] = {}
    for field, value in changes.items():
        name = str(field).lower()
        if ID_NUMBER_KEY_PART in name:
            shown[field] = _mask_value(value, mask_id_number)
        elif PHONE_KEY_PART in name and not full_phones:
            shown[field] = _mask_value(value, mask_phone)
        else:
            shown[field] = value
    return shown


def audit_changes_mask(viewer: Any) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    """For `common.audit.register_changes_mask`: the viewer's masking of an audit row, which shows phones
    in full only for a row of a project where the viewer holds `owners.phone.full` (one query, then none)."""
    projects = projects_with(viewer, "owners.phone.full")

    def shown(entry: Any, changes: dict[str, Any]) -> dict[str, Any]:
        full = projects is None or (entry.project_id is not None and entry.project_id in projects)
        return audit_changes_for_viewer(changes, full_phones=full)

    return shown


# --- a resident's contact details, as one viewer sees them ---------------------------------------------


@dataclass(frozen=True)
class ResidentContacts:
    """What a viewer sees of a resident's contact details. `moved_out_on` is set when the viewer sees no
    unit the resident occupies now; for staff who see only a former occupant (`former_only`) the details
    are only those their projects had on file (phones still on file that their history recorded; no email,
    no ID number)."""

    phones: list[str]
    phones_masked: bool
    email: str
    id_number: str
    moved_out_on: date | None


def recorded_phones(entries: Iterable[Any]) -> set[str]:
    """Every phone number that appears in these audit rows (old or new values of a phone field)."""
    numbers: set[str] = set()
    for entry in entries:
        for field, change in (entry.changes or {}).items():
            if PHONE_KEY_PART not in str(field).lower():
                continue
            for value in change if isinstance(change, list | tuple) else [change]:
                if isinstance(value, str):
                    numbers.add(value)
                elif isinstance(value, list | tuple):
                    numbers.update(v for v in value if isinstance(v, str))
    return numbers


def resident_contacts_for_viewer(
    resident: Resident, *, full: bool, history: Iterable[Any] | None = None
) -> ResidentContacts:
    """The resident's contacts for a viewer. A resident loaded by `owners.selectors.resident_get_for_user`
    carries `moved_out_on` and `former_only`; for a viewer who sees only a former occupant, only the phones
    still on file that appear in `history` (the rows of the viewer's projects) are shown, and no email or
    ID number."""
    moved_out_on: date | None = getattr(resident, "moved_out_on", None)
    if not getattr(resident, "former_only", False):
        return ResidentContacts(
            phones=phones_for_display(resident, full=full),
            phones_masked=not full,
            email=resident.email,
            id_number=id_number_for_display(resident),
            moved_out_on=moved_out_on,
        )
    on_file = recorded_phones(history or [])
    numbers = getattr(resident, "phone_list", None)
    if numbers is None:
        numbers = list(resident.phones.order_by("position", "id"))
    phones = [p.number if full else mask_phone(p.number) for p in numbers if p.number in on_file]
    return ResidentContacts(
        phones=phones, phones_masked=not full, email="", id_number="", moved_out_on=moved_out_on
    )
