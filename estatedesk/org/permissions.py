"""Who may do what, decided in one place. Roles come from memberships; capabilities are checked at the
node (project or branch) the action touches."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from estatedesk.common.scoping import scope_for
from estatedesk.org.choices import Role

STAFF_ROLES = frozenset(role.value for role in Role)
MANAGERS = frozenset(
    {Role.SYSTEM_ADMIN, Role.HQ_PROPERTY, Role.GENERAL_MANAGER, Role.BRANCH_MANAGER, Role.PROJECT_MANAGER}
)

CAPABILITIES: dict[str, frozenset[str]] = {
    "org.view": STAFF_ROLES,
    "org.calendar.manage": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
    "org.membership.manage": frozenset({Role.SYSTEM_ADMIN}),
    "org.members.view": MANAGERS | {Role.CS_SUPERVISOR},
    "audit.view": MANAGERS,
    "api.docs": STAFF_ROLES,
}


def can(user: Any, capability: str, *, project: Any = None, branch: Any = None) -> bool:
    """Does the user hold a role granting `capability` at this project or branch (or company-wide)?"""
    scope = scope_for(user)
    allowed = CAPABILITIES[capability]
    if project is not None:
        roles = scope.roles_at(project_id=project.pk, branch_id=project.branch_id)
    elif branch is not None:
        roles = scope.roles_at(branch_id=branch.pk)
    else:
        roles = scope.roles_global
    return bool(roles & allowed)


def can_anywhere(user: Any, capability: str) -> bool:
    return bool(scope_for(user).all_roles & CAPABILITIES[capability])


def require(user: Any, capability: str, *, project: Any = None, branch: Any = None) -> None:
    if not can(user, capability, project=project, branch=branch):
        raise PermissionDenied(capability)
