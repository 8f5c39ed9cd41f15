"""Reads of return visits, all scoped through `ReturnVisit.objects.visible_to(user)`: staff see the visits
of the projects their roles cover, an owner the graded visits about their own items."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.org.models import Project
from estatedesk.org.selectors import project_staff
from estatedesk.visits import eligibility
from estatedesk.visits.models import ReturnVisit

RELATED = (
    "project__branch",
    "item__resident",
    "parent",
    "resident",
    "department",
    "visitor",
    "arranged_by",
    "graded_by",
    "recorded_by",
    "handler",
    "handler_department",
)


def return_visit_get_for_user(*, user: Any, pk: Any, for_write: bool = False) -> ReturnVisit:
    """The visit, or 404 when it is missing or out of the user's scope. `for_write`: only staff of the
    visit's project get it (an owner who may read a graded visit about their item gets a 404 here; the
    portal's comment reads it with for_write=False and the service checks the owner)."""
    visit = get_for_user_or_404(ReturnVisit.objects.select_related(*RELATED), user=user, pk=pk)
    if for_write:
        scope = scope_for(user)
        if not (scope.is_global or visit.project_id in scope.project_ids):
            from django.http import Http404

            raise Http404
    return visit


def return_visit_list(
    *,
    user: Any,
    status: str | None = None,
    purpose: str | None = None,
    project: Project | None = None,
    visitor: Any = None,
    month: date | None = None,
) -> QuerySet[ReturnVisit]:
    """The visits the user may see, filtered; ordered by due time. `month`: a monthly list's month."""
    queryset = ReturnVisit.objects.visible_to(user).select_related(*RELATED)
    if status:
        queryset = queryset.filter(status=status)
    if purpose:
        queryset = queryset.filter(purpose=purpose)
    if project is not None:
        queryset = queryset.filter(project=project)
    if visitor is not None:
        queryset = queryset.filter(visitor=visitor)
    if month is not None:
        queryset = queryset.filter(month=month.replace(day=1))
    return queryset.order_by("due_at", "id")


def eligible_visitors(*, visit: ReturnVisit) -> list[Any]:
    """The colleagues who may make this visit (the picker's choices): holders of the roles its purpose
    asks for at the project, minus everyone who held or acted on its items (eligibility.py). A fixed
    number of queries however many colleagues."""
    roles = eligibility.required_roles(visit)
    if not roles:
        return []
    barred = eligibility.barred_for_visit(visit)
    people = project_staff(project=visit.project, roles=set(roles))
    return sorted((u for u in people if u.pk not in barred), key=lambda u: (str(u), u.pk))
