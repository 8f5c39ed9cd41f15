"""Reads of nonconformities, every one scoped by `Nonconformity.objects.visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.permissions import projects_with
from estatedesk.quality.choices import OPEN_STAGES, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction, NonconformityEvent


@dataclass(frozen=True)
class NonconformityFilters:
    stage: str = ""
    project: str = ""  # a project code
    open_only: bool = False
    origin: str = ""


def nonconformity_list(*, user: Any, filters: NonconformityFilters | None = None) -> QuerySet[Nonconformity]:
    filters = filters or NonconformityFilters()
    rows = Nonconformity.objects.visible_to(user).select_related("project", "item", "area")
    if filters.stage:
        rows = rows.filter(stage=filters.stage)
    if filters.project:
        rows = rows.filter(project__code=filters.project)
    if filters.open_only:
        rows = rows.filter(stage__in=OPEN_STAGES)
    if filters.origin:
        rows = rows.filter(origin=filters.origin)
    return rows.order_by("-raised_at", "-id")


def nonconformity_get_for_user(*, user: Any, reference: str) -> Nonconformity:
    """The nonconformity if the user's scope covers its project, else 404 (missing or not theirs alike)."""
    return get_for_user_or_404(
        Nonconformity.objects.select_related(
            "project__branch__company",
            "item",
            "visit",
            "area",
            "department",
            "raised_by",
            "verifier",
            "verification_visit",
        ).prefetch_related(
            Prefetch("actions", queryset=NonconformityAction.objects.select_related("owner").order_by("id"))
        ),
        user=user,
        reference=reference,
    )


def nonconformity_events(*, nonconformity: Nonconformity) -> list[NonconformityEvent]:
    return list(nonconformity.events.select_related("actor").order_by("at", "id"))


def action_get(*, nonconformity: Nonconformity, pk: int) -> NonconformityAction:
    """An action of a nonconformity the caller fetched through the user's scope, or 404."""
    action = (
        NonconformityAction.objects.select_related("owner", "nonconformity__project")
        .filter(nonconformity=nonconformity, pk=pk)
        .first()
    )
    if action is None:
        raise Http404
    return action


def my_actions(*, user: Any) -> QuerySet[NonconformityAction]:
    """The user's open actions of nonconformities being worked on (the "my actions" queue)."""
    visible = Nonconformity.objects.visible_to(user).filter(stage__in=[Stage.ACTION_PLAN, Stage.IN_PROGRESS])
    return (
        NonconformityAction.objects.filter(owner=user, done_at__isnull=True, nonconformity__in=visible)
        .select_related("nonconformity__project")
        .order_by("due_on", "id")
    )


def to_verify(*, user: Any) -> QuerySet[Nonconformity]:
    """Nonconformities waiting for verification at the projects where the user verifies, minus those where
    the user owns an action (they may not verify them)."""
    rows = Nonconformity.objects.visible_to(user).filter(stage=Stage.VERIFICATION)
    allowed = projects_with(user, "quality.verify")
    if allowed is not None:
        rows = rows.filter(project_id__in=sorted(allowed))
    owns = NonconformityAction.objects.filter(nonconformity=OuterRef("pk"), owner=user)
    return rows.exclude(Exists(owns)).select_related("project").order_by("verification_at", "id")
