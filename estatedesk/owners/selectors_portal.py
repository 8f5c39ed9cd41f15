"""Reads for the owner portal: the signed-in owner's own record, units, household and corrections.

Every function starts from the signed-in user: an owner reaches only the units they live in now and the
people who live there with them (names and relations, never their contacts).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from estatedesk.common.scoping import scope_for
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import ContactChangeRequest, Occupancy, Resident, ResidentPhone


def portal_resident(*, user: Any) -> Resident | None:
    """The signed-in owner's resident record (with `phone_list`), or None for anyone who lives in no unit
    now (staff, an owner who moved out, an account not linked yet)."""
    if not scope_for(user).is_owner:
        return None
    return (
        Resident.objects.visible_to(user)
        .filter(user_id=user.pk)
        .prefetch_related(
            Prefetch(
                "phones", queryset=ResidentPhone.objects.order_by("position", "id"), to_attr="phone_list"
            )
        )
        .first()
    )


def portal_occupancies(*, user: Any) -> QuerySet[Occupancy]:
    """The owner's own current units, with their projects' service-centre contacts (R-CH-3)."""
    return (
        Occupancy.objects.visible_to(user)
        .filter(resident__user_id=user.pk, ended_on__isnull=True)
        .select_related("unit__building", "unit__project__service_calendar")
        .order_by("unit__project__code", "unit__label", "id")
    )


def portal_household(*, user: Any) -> QuerySet[Occupancy]:
    """Everyone who lives now in a unit the owner lives in now (the owner included).

    The owner's scope shows only their own occupancies, so the household is found from those units:
    the unit ids come from the owner's own current occupancies, in the same query."""
    own_units = Occupancy.objects.filter(resident__user_id=user.pk, ended_on__isnull=True).values("unit_id")
    return (
        Occupancy.objects.filter(unit_id__in=own_units, ended_on__isnull=True)
        .select_related("resident")
        .annotate(
            relation_order=Case(
                When(relation=Relation.OWNER, then=Value(0)),
                When(relation=Relation.TENANT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("unit_id", "relation_order", "resident__name", "id")
    )


def portal_change_requests(*, resident: Resident, limit: int = 3) -> list[ContactChangeRequest]:
    """The owner's latest corrections, newest first (the pending one, if any, is the newest)."""
    return list(ContactChangeRequest.objects.filter(resident=resident).order_by("-created_at", "-id")[:limit])
