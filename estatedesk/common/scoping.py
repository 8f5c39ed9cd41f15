"""One way to scope every query: `Model.objects.visible_to(user)`.

A `Scope` says which org nodes a user's roles cover. It is computed once per request by the resolver that
`estatedesk.org` registers at start-up (common imports no domain app), and cached on the user object.
Each scoped model says how a scope filters it with a `scope_filter(scope) -> Q` classmethod; the
defaults are safe: staff see rows of the projects their roles cover, owners see nothing unless the
model says so explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

M = TypeVar("M", bound=models.Model)

# Q() is no good for "every row": `Q() | Q(x)` is just `Q(x)`. These two combine correctly.
EVERYTHING = ~Q(pk__in=[])
NO_ROWS = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_global: bool = False  # a company-wide role or a system administrator: every project
    company_ids: frozenset[int] = frozenset()
    branch_ids: frozenset[int] = frozenset()  # branches a branch-level role covers entirely
    project_ids: frozenset[int] = frozenset()  # projects staff roles cover (including whole branches)
    context_branch_ids: frozenset[int] = frozenset()  # branches shown as context of a covered project
    owner_project_ids: frozenset[int] = frozenset()  # projects where the user is a resident
    roles_global: frozenset[str] = frozenset()
    roles_by_branch: dict[int, frozenset[str]] = field(default_factory=dict)
    roles_by_project: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def is_staff_member(self) -> bool:
        return self.is_global or bool(self.project_ids) or bool(self.branch_ids)

    @property
    def is_owner(self) -> bool:
        return bool(self.owner_project_ids)

    def roles_at(self, *, project_id: int | None = None, branch_id: int | None = None) -> frozenset[str]:
        """Roles that apply at a project (or a branch): company-wide, branch and project roles together."""
        roles = set(self.roles_global)
        if branch_id is not None:
            roles |= self.roles_by_branch.get(branch_id, frozenset())
        if project_id is not None:
            roles |= self.roles_by_project.get(project_id, frozenset())
        return frozenset(roles)

    @cached_property  # asked for by every menu entry of every page: computed once per scope
    def all_roles(self) -> frozenset[str]:
        roles = set(self.roles_global)
        for group in (*self.roles_by_branch.values(), *self.roles_by_project.values()):
            roles |= group
        return frozenset(roles)

    def project_q(self, lookup: str = "project_id") -> Q:
        """Rows whose project is covered by a staff role."""
        if self.is_global:
            return EVERYTHING
        return Q(**{f"{lookup}__in": sorted(self.project_ids)})


NOTHING = Scope(user_id=None)
_resolver: Callable[[Any], Scope] | None = None


def register_scope_resolver(resolver: Callable[[Any], Scope]) -> None:
    global _resolver
    _resolver = resolver


def scope_for(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_estatedesk_scope", None)
    if cached is not None:
        return cached
    if _resolver is None:  # pragma: no cover - org registers it in AppConfig.ready
        raise RuntimeError("no scope resolver registered")
    scope = _resolver(user)
    user._estatedesk_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after memberships change within one request or test)."""
    if hasattr(user, "_estatedesk_scope"):
        del user._estatedesk_scope


class ScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, user: Any) -> ScopedQuerySet[M]:
        scope = scope_for(user)
        if scope is NOTHING or scope.user_id is None:
            return self.none()
        condition = self.model.scope_filter(scope)  # type: ignore[attr-defined]
        if condition is None:
            return self.none()
        return self.filter(condition)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_for_user_or_404[T: models.Model](
    queryset: models.QuerySet[T, T] | models.Manager[T], *, user: Any, **lookup: Any
) -> T:
    """Turn an id into an object the user may see, or 404: a missing and an out-of-scope object look the
    same from outside, so ids leak nothing. `queryset`: a scoped model's manager or a queryset of it."""
    rows = queryset.all()
    if not isinstance(rows, ScopedQuerySet):
        raise TypeError(f"{rows.model.__name__} rows are not scoped: give the model a ScopedManager")
    try:
        return rows.visible_to(user).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
