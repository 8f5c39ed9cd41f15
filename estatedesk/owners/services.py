"""Writes to the owner archive. Each service checks permission and rules, saves, and writes the audit row
(the resident's history) in one transaction. The importer, the pages, the API and the portal all use these.

The email of a resident with a portal account is their sign-in address: a new one waits for the account
holder's confirmation (`email_change`), whoever types it in; removing it is direct, and the old address
is told.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.org.models import Project, Unit
from estatedesk.org.permissions import can, require
from estatedesk.owners.choices import ChangeRequestStatus, ContactPreference, IdType, Relation
from estatedesk.owners.contacts import (
    is_mobile,
    is_valid_id_card,
    is_valid_phone,
    mask_id_number,
    name_initials,
    name_pinyin,
    normalize_phone,
    phone_last4,
)
from estatedesk.owners.email_change import email_change_request, email_removal_notice, needs_confirmation
from estatedesk.owners.models import ContactChangeRequest, Occupancy, Resident, ResidentPhone

RESIDENT_FIELDS = [
    "name",
    "email",
    "id_type",
    "id_number",
    "preferred_language",
    "contact_preference",
    "notes",
]
OWNER_EDITABLE = ["phones", "email", "preferred_language", "contact_preference"]


def resident_projects(resident: Resident) -> list[Project]:
    return list(
        Project.objects.filter(
            units__occupancies__resident=resident, units__occupancies__ended_on__isnull=True
        )
        .distinct()
        .order_by("id")
    )


def _require_on_resident(actor: Any, resident: Resident, capability: str) -> Project | None:
    """The actor needs `capability` at one of the projects the resident lives in."""
    projects = resident_projects(resident)
    for project in projects:
        if can(actor, capability, project=project):
            return project
    raise PermissionDenied(capability)


def resident_history_values(resident: Resident) -> dict[str, Any]:
    """What the audit trail keeps of a resident: every field, phones in order, the ID number masked."""
    values = {name: getattr(resident, name) for name in RESIDENT_FIELDS}
    values["id_number"] = mask_id_number(resident.id_number) if resident.id_number else ""
    values["phones"] = list(resident.phones.order_by("position", "id").values_list("number", flat=True))
    return values


def clean_phones(raw: list[str] | tuple[str, ...]) -> list[str]:
    phones: list[str] = []
    for value in raw:
        number = normalize_phone(value)
        if not number:
            continue
        if not is_valid_phone(number):
            raise DomainError(
                "owners.invalid_phone",
                _("Not a valid phone number: %(number)s.") % {"number": value},
                fields={"phones": [_("Not a valid phone number: %(number)s.") % {"number": value}]},
            )
        if number not in phones:
            phones.append(number)
    return phones


def _validate(values: dict[str, Any]) -> None:
    fields: dict[str, list[Any]] = {}
    if "name" in values and not str(values["name"]).strip():
        fields["name"] = [_("This field is required.")]
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            fields["email"] = [_("Not a valid email address.")]
    is_id_card = values.get("id_type", IdType.ID_CARD) in ("", IdType.ID_CARD)
    if values.get("id_number") and is_id_card and not is_valid_id_card(values["id_number"]):
        fields["id_number"] = [_("Not a valid ID card number (18 characters, check digit).")]
    if values.get("id_type") and values["id_type"] not in IdType.values:
        fields["id_type"] = [_("Unknown value.")]
    if values.get("contact_preference") and values["contact_preference"] not in ContactPreference.values:
        fields["contact_preference"] = [_("Unknown value.")]
    if fields:
        raise DomainError("owners.invalid", _("Some fields are not valid."), fields=fields)


def set_phones(resident: Resident, phones: list[str]) -> bool:
    """Make the resident's phones exactly `phones` (normalized, in order); True when anything changed."""
    current = list(resident.phones.order_by("position", "id"))
    if [p.number for p in current] == phones:
        return False
    keep = {p.number: p for p in current}
    ResidentPhone.objects.filter(resident=resident).exclude(number__in=phones).delete()
    for position, number in enumerate(phones):
        phone = keep.get(number)
        if phone is None:
            ResidentPhone.objects.create(
                resident=resident,
                number=number,
                last4=phone_last4(number),
                is_mobile=is_mobile(number),
                position=position,
            )
        elif phone.position != position:
            phone.position = position
            phone.save(update_fields=["position"])
    return True


@transaction.atomic
def resident_create(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    relation: str = Relation.OWNER,
    phones: list[str] | tuple[str, ...] = (),
    started_on: date | None = None,
    **fields: Any,
) -> Resident:
    require(actor, "owners.edit", project=unit.project)
    unknown = set(fields) - set(RESIDENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    values = {"name": name.strip(), **fields}
    _validate(values)
    if relation not in Relation.values:
        raise DomainError("owners.invalid", _("Unknown value."), fields={"relation": [_("Unknown value.")]})
    cleaned = clean_phones(list(phones))
    resident = Resident.objects.create(
        name_initials=name_initials(values["name"]), name_pinyin=name_pinyin(values["name"]), **values
    )
    set_phones(resident, cleaned)
    Occupancy.objects.create(resident=resident, unit=unit, relation=relation, started_on=started_on)
    audit_record(
        actor=actor,
        action="create",
        obj=resident,
        after={**resident_history_values(resident), "unit": unit.label, "relation": relation},
        project_id=unit.project_id,
    )
    return resident


def _take_sign_in_email(resident: Resident, values: dict[str, Any]) -> str | None:
    """Take a new email out of `values` when it must wait for the account holder (a resident with a
    portal account, a new non-empty address); None when it can be saved directly (no account, removed,
    or the same address)."""
    if "email" not in values or not needs_confirmation(resident):
        return None
    new_email = str(values["email"] or "").strip()
    if not new_email or new_email.lower() == resident.email.lower():
        return None
    values.pop("email")
    return new_email


@transaction.atomic
def resident_update(*, actor: Any, resident: Resident, base_url: str = "", **changes: Any) -> Resident:
    """Change a resident's details; `phones` replaces the list of numbers. A new email of a resident with
    a portal account waits for the account holder (`email_change`); `base_url` starts its links."""
    project = _require_on_resident(actor, resident, "owners.edit")
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    unknown = set(changes) - {*RESIDENT_FIELDS, "phones"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    _validate({"id_type": resident.id_type, **changes})
    before = resident_history_values(resident)
    new_email = _take_sign_in_email(resident, changes)
    phones = clean_phones(changes.pop("phones")) if "phones" in changes else None
    for name, value in changes.items():
        setattr(resident, name, value.strip() if isinstance(value, str) else value)
    resident.name_initials = name_initials(resident.name)
    resident.name_pinyin = name_pinyin(resident.name)
    resident.save()
    if phones is not None:
        set_phones(resident, phones)
    after = resident_history_values(resident)
    if before != after:
        audit_record(
            actor=actor,
            action="update",
            obj=resident,
            before=before,
            after=after,
            project_id=project.pk if project else None,
        )
    if new_email is not None:
        email_change_request(actor=actor, resident=resident, new_email=new_email, base_url=base_url)
    elif before["email"] and not resident.email:
        email_removal_notice(resident=resident, old_email=before["email"])
    return resident


@transaction.atomic
def occupancy_end(*, actor: Any, occupancy: Occupancy, ended_on: date) -> Occupancy:
    require(actor, "owners.edit", project=occupancy.unit.project)
    if occupancy.ended_on:
        raise DomainError("owners.already_moved_out", _("This occupancy has already ended."))
    occupancy.ended_on = ended_on
    occupancy.save(update_fields=["ended_on", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=occupancy.resident,
        before={"unit": occupancy.unit.label, "moved_out_on": None},
        after={"unit": occupancy.unit.label, "moved_out_on": ended_on.isoformat()},
        project_id=occupancy.unit.project_id,
    )
    return occupancy


@transaction.atomic
def resident_id_reveal(*, actor: Any, resident: Resident) -> str:
    """The full ID number, for roles allowed to see it; every reveal is in the audit trail (who, when)."""
    project = _require_on_resident(actor, resident, "owners.id.reveal")
    audit_record(
        actor=actor,
        action="view_sensitive",
        obj=resident,
        after={"field": "id_number"},
        project_id=project.pk if project else None,
    )
    return resident.id_number


@transaction.atomic
def contact_change_request_submit(*, actor: Any, **requested: Any) -> ContactChangeRequest:
    """An owner corrects their own contact details; staff confirm before the archive changes."""
    actor_pk = getattr(actor, "pk", None)
    resident = Resident.objects.filter(user_id=actor_pk).first() if actor_pk is not None else None
    if resident is None:
        raise PermissionDenied("not a resident")
    unknown = set(requested) - set(OWNER_EDITABLE)
    if unknown:
        raise ValueError(f"not editable by owners: {sorted(unknown)}")
    cleaned = dict(requested)
    if "phones" in cleaned:
        cleaned["phones"] = clean_phones(cleaned["phones"])
    _validate(cleaned)
    current = resident_history_values(resident)
    cleaned = {key: value for key, value in cleaned.items() if current.get(key) != value}
    if not cleaned:
        raise DomainError("owners.nothing_changed", _("Nothing was changed."))
    ContactChangeRequest.objects.filter(resident=resident, status=ChangeRequestStatus.PENDING).update(
        status=ChangeRequestStatus.REJECTED,
        review_note="replaced by a newer request",
        reviewed_at=timezone.now(),
    )
    request = ContactChangeRequest.objects.create(resident=resident, requested=cleaned)
    audit_record(actor=actor, action="create", obj=request, after=cleaned)
    return request


@transaction.atomic
def contact_change_request_review(
    *, actor: Any, change_request: ContactChangeRequest, approve: bool, note: str = "", base_url: str = ""
) -> ContactChangeRequest:
    """Staff confirm or reject an owner's correction. A confirmed new email still waits for the owner to
    confirm it from the new address (`email_change`); the rest is applied at once."""
    change_request = ContactChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    project = _require_on_resident(actor, change_request.resident, "owners.confirm_changes")
    if change_request.status != ChangeRequestStatus.PENDING:
        raise DomainError("owners.already_reviewed", _("This request has already been handled."), status=409)
    if approve:
        # applied as the reviewer, who holds owners.confirm_changes, with the same validation as any edit
        _apply_confirmed_change(
            actor=actor,
            resident=change_request.resident,
            requested=change_request.requested,
            base_url=base_url,
        )
    change_request.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
    change_request.reviewed_by = actor
    change_request.reviewed_at = timezone.now()
    change_request.review_note = note[:200]
    change_request.save()
    audit_record(
        actor=actor,
        action="update",
        obj=change_request,
        before={"status": ChangeRequestStatus.PENDING},
        after={"status": change_request.status, "note": change_request.review_note},
        project_id=project.pk if project else None,
    )
    return change_request


def _apply_confirmed_change(
    *, actor: Any, resident: Resident, requested: dict[str, Any], base_url: str = ""
) -> None:
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    before = resident_history_values(resident)
    values = dict(requested)
    new_email = _take_sign_in_email(resident, values)
    phones = values.pop("phones", None)
    for name, value in values.items():
        setattr(resident, name, value)
    resident.save()
    if phones is not None:
        set_phones(resident, phones)
    projects = resident_projects(resident)
    after = resident_history_values(resident)
    if before != after:
        audit_record(
            actor=actor,
            action="update",
            obj=resident,
            before=before,
            after=after,
            project_id=projects[0].pk if projects else None,
        )
    if new_email is not None:
        email_change_request(actor=actor, resident=resident, new_email=new_email, base_url=base_url)
    elif before["email"] and not resident.email:
        email_removal_notice(resident=resident, old_email=before["email"])
