"""How a user's memberships (staff) and residencies (owners) become a `Scope`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from estatedesk.common.scoping import Scope
from estatedesk.org.choices import Role, ScopeLevel

# The level of the rows that say "lives in a unit of this project" in `_scope_rows`: no membership has it.
_OWNER = "_owner"


_SOMEONE = -7_654_321  # the user id the query is compiled with, replaced by the real one at each call
_compiled: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _scope_query() -> Any:
    """The user's active memberships (role, level, company, branch, project, the project's branch) and, as
    rows of level `_OWNER`, the projects where they live now, for the user `_SOMEONE`."""
    from django.db.models import CharField, F, IntegerField, Value

    from estatedesk.org.models import Membership, Unit

    columns = ("role", "level", "company_id", "branch_id", "project_id", "project_branch_id")
    memberships = (
        Membership.objects.filter(user_id=_SOMEONE, is_active=True)
        .order_by()
        .annotate(project_branch_id=F("project__branch_id"))
        .values_list(*columns)
    )
    homes = (
        Unit.objects.filter(occupancies__resident__user_id=_SOMEONE, occupancies__ended_on__isnull=True)
        .order_by()
        .annotate(
            role=Value("", output_field=CharField()),
            level=Value(_OWNER, output_field=CharField()),
            company_id=Value(None, output_field=IntegerField()),
            branch_id=Value(None, output_field=IntegerField()),
            project_branch_id=Value(None, output_field=IntegerField()),
        )
        .values_list(*columns)
    )
    return memberships.union(homes, all=True).order_by()


def _scope_rows(user: Any) -> list[tuple[Any, ...]]:
    """`_scope_query` for this user: one query for every request's scope. Its SQL is compiled once per
    database in each process (building it in the ORM cost more than running it), then run with this
    user's id in place of `_SOMEONE`."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    compiled = _compiled.get(connection.vendor)
    if compiled is None:
        query = _scope_query().query
        compiled = _compiled[connection.vendor] = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    sql, params = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if value == _SOMEONE else value for value in params])
        return [tuple(row) for row in cursor.fetchall()]


def compute_scope(user: Any) -> Scope:
    from estatedesk.org.models import Company, Project

    rows = _scope_rows(user)
    owner_project_ids = frozenset(row[4] for row in rows if row[1] == _OWNER)
    memberships = [row for row in rows if row[1] != _OWNER]
    if user.is_superuser:
        return Scope(
            user_id=user.pk,
            is_global=True,
            company_ids=frozenset(Company.objects.values_list("id", flat=True)),
            owner_project_ids=owner_project_ids,
            roles_global=frozenset({Role.SYSTEM_ADMIN.value}),
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
