"""How a user's memberships (staff) and residencies (owners) become a `Scope`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from estatedesk.common.scoping import Scope
from estatedesk.org.choices import Role, ScopeLevel


def compute_scope(user: Any) -> Scope:
    from estatedesk.org.models import Company, Membership, Project, Unit

    owner_project_ids = frozenset(
        Unit.objects.filter(occupancies__resident__user_id=user.pk, occupancies__ended_on__isnull=True)
        .values_list("project_id", flat=True)
        .distinct()
    )
    if user.is_superuser:
        return Scope(
            user_id=user.pk,
            is_global=True,
            company_ids=frozenset(Company.objects.values_list("id", flat=True)),
            owner_project_ids=owner_project_ids,
            roles_global=frozenset({Role.SYSTEM_ADMIN.value}),
        )

    memberships = list(
        Membership.objects.filter(user_id=user.pk, is_active=True).values_list(
            "role", "level", "company_id", "branch_id", "project_id", "project__branch_id"
        )
    )
    company_ids: set[int] = set()
    roles_global: set[str] = set()
    roles_by_branch: dict[int, set[str]] = defaultdict(set)
    roles_by_project: dict[int, set[str]] = defaultdict(set)
    project_context_branches: set[int] = set()
    for role, level, company_id, branch_id, project_id, project_branch_id in memberships:
        company_ids.add(company_id)
        if level == ScopeLevel.COMPANY:
            roles_global.add(role)
        elif level == ScopeLevel.BRANCH:
            roles_by_branch[branch_id].add(role)
        else:
            roles_by_project[project_id].add(role)
            project_context_branches.add(project_branch_id)

    is_global = bool(roles_global)
    branch_ids = frozenset(roles_by_branch)
    project_ids: set[int] = set(roles_by_project)
    if branch_ids and not is_global:
        project_ids |= set(Project.objects.filter(branch_id__in=branch_ids).values_list("id", flat=True))
    if not memberships and owner_project_ids:
        company_ids |= set(
            Project.objects.filter(id__in=owner_project_ids).values_list("branch__company_id", flat=True)
        )
    return Scope(
        user_id=user.pk,
        is_global=is_global,
        company_ids=frozenset(company_ids),
        branch_ids=branch_ids,
        project_ids=frozenset(project_ids),
        context_branch_ids=frozenset(project_context_branches),
        owner_project_ids=owner_project_ids,
        roles_global=frozenset(roles_global),
        roles_by_branch={key: frozenset(value) for key, value in roles_by_branch.items()},
        roles_by_project={key: frozenset(value) for key, value in roles_by_project.items()},
    )
