from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from estatedesk.org.models import Project
from estatedesk.owners.models import Occupancy


def my_occupancies(*, user: Any) -> QuerySet[Occupancy]:
    """The signed-in owner's own current units (never another household's)."""
    return (
        Occupancy.objects.filter(resident__user_id=user.pk, ended_on__isnull=True)
        .select_related("unit__building", "unit__project__service_calendar", "resident")
        .order_by("unit__project__code", "unit__label")
    )


def household_of(*, user: Any, unit_ids: list[int]) -> QuerySet[Occupancy]:
    return (
        Occupancy.objects.visible_to(user)
        .filter(unit_id__in=unit_ids, ended_on__isnull=True)
        .select_related("resident")
        .order_by("unit_id", "relation")
    )


def my_projects(*, user: Any) -> QuerySet[Project]:
    return Project.objects.visible_to(user).filter(units__occupancies__resident__user_id=user.pk).distinct()
