"""Who sees personal data in full (R-OA privacy): phones for the roles that call owners, ID numbers only
through an audited reveal. Pages, exports and the API all ask here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from estatedesk.org.permissions import projects_with
from estatedesk.owners.contacts import mask_id_number, mask_phone
from estatedesk.owners.models import Resident


def full_phone_policy(user: Any) -> Callable[[Resident], bool]:
    """A predicate: may this user see this resident's phone numbers unmasked? (One query, then none.)"""
    projects = projects_with(user, "owners.phone.full")

    def allowed(resident: Resident) -> bool:
        if projects is None:
            return True
        occupancies = getattr(resident, "current_occupancies", None)
        if occupancies is None:
            occupancies = list(resident.occupancies.filter(ended_on__isnull=True).select_related("unit"))
        return any(o.unit.project_id in projects for o in occupancies)

    return allowed


def phones_for_display(resident: Resident, *, full: bool) -> list[str]:
    numbers = getattr(resident, "phone_list", None)
    if numbers is None:
        numbers = list(resident.phones.order_by("position", "id"))
    return [p.number if full else mask_phone(p.number) for p in numbers]


def id_number_for_display(resident: Resident) -> str:
    return mask_id_number(resident.id_number) if resident.id_number else ""
