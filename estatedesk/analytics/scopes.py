"""The scopes figures are computed for (issue 15): the whole company, one branch company, one project.

A dashboard, a pack and the API compute a scope's figures, not a user's: the GM's pack is the company's
whoever reads it, a branch manager's pack is the branch's. Who may look at a scope is decided here, once:
- the company: a company-wide role granting `analytics.view` (general manager, leaders, HQ, …);
- a branch: that, or a branch-level role granting it at the branch (the branch manager);
- a project: that, or a role granting it at the project (project manager, CS supervisor, QA manager).

`reader(scope)` is how a scope's figures are read through the one scoping helper, `visible_to`: a reader
is a stand-in user whose `Scope` covers exactly the scope's projects (and, for a branch, the branch's own
rows), so every domain selector that takes `user=` computes the scope's figures unchanged, and nothing of
another branch can enter a branch's pack (ADR 0018).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from estatedesk.analytics.choices import ScopeKind
from estatedesk.common.scoping import Scope, scope_for
from estatedesk.org.choices import Role
from estatedesk.org.models import Branch, Company, Department, Project
from estatedesk.org.permissions import CAPABILITIES, can

VIEW = "analytics.view"


@dataclass(frozen=True)
class MetricScope:
    kind: str  # ScopeKind
    company_id: int
    branch_id: int | None  # the branch of a branch or project scope
    project_id: int | None  # the project of a project scope
    code: str  # "" for the company, else the branch's or project's code
    name: str
    project_ids: frozenset[int]  # every project of the scope, inactive ones too (their past counts)

    @property
    def key(self) -> str:
        """As pages, the API and the command take it: `company`, `branch:BJ`, `project:QD-HJ`."""
        return "company" if self.kind == ScopeKind.COMPANY else f"{self.kind}:{self.code}"

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.COMPANY:
            return self.name
        return f"{self.code} · {self.name}"

    @property
    def child_kind(self) -> str:
        """What the scope is broken down by: the company by branch, a branch by project, a project by
        department."""
        children: dict[str, str] = {
            ScopeKind.COMPANY: "branch",
            ScopeKind.BRANCH: "project",
            ScopeKind.PROJECT: "department",
        }
        return children[self.kind]


@dataclass(frozen=True)
class Unit:
    """One row of a scope's breakdown: a branch, a project or a department."""

    kind: str  # "branch", "project", "department"
    pk: int
    code: str
    name: str
    project_ids: frozenset[int]  # the projects whose rows count for it (a department: its project)


# --- making scopes ---------------------------------------------------------------------------------------


def company_scope(company: Company) -> MetricScope:
    ids = frozenset(Project.objects.filter(branch__company=company).values_list("id", flat=True))
    return MetricScope(ScopeKind.COMPANY, company.pk, None, None, "", company.name, ids)


def branch_scope(branch: Branch) -> MetricScope:
    ids = frozenset(Project.objects.filter(branch=branch).values_list("id", flat=True))
    return MetricScope(ScopeKind.BRANCH, branch.company_id, branch.pk, None, branch.code, branch.name, ids)


def project_scope(project: Project) -> MetricScope:
    branch = project.branch
    return MetricScope(
        ScopeKind.PROJECT,
        branch.company_id,
        branch.pk,
        project.pk,
        project.code,
        project.name,
        frozenset({project.pk}),
    )


def scope_from_key(key: str, *, company: Company | None = None) -> MetricScope | None:
    """The scope of a key (`company`, `branch:BJ`, `project:QD-HJ`), whoever asks; None when there is none.
    Not a permission check: see `scope_for_user`."""
    kind, _sep, code = (key or "").strip().partition(":")
    company = company or Company.objects.order_by("id").first()
    if company is None:
        return None
    if kind == ScopeKind.COMPANY and not code:
        return company_scope(company)
    if kind == ScopeKind.BRANCH and code:
        branch = Branch.objects.filter(company=company, code=code).first()
        return branch_scope(branch) if branch is not None else None
    if kind == ScopeKind.PROJECT and code:
        project = Project.objects.filter(branch__company=company, code=code).select_related("branch").first()
        return project_scope(project) if project is not None else None
    return None


# --- who may look ----------------------------------------------------------------------------------------


def can_view_scope(user: Any, scope: MetricScope) -> bool:
    if scope.kind == ScopeKind.COMPANY:
        return scope.company_id in scope_for(user).company_ids and can(user, VIEW)
    if scope.kind == ScopeKind.BRANCH:
        return can(user, VIEW, branch=Branch(pk=scope.branch_id, company_id=scope.company_id))
    return can(user, VIEW, project=Project(pk=scope.project_id, branch_id=scope.branch_id or 0))


def can_view_any_scope(user: Any) -> bool:
    return bool(scope_for(user).all_roles & CAPABILITIES[VIEW])


def scope_for_user(*, user: Any, key: str) -> MetricScope:
    """The scope of the key if the user may look at it; 404 otherwise, whether missing or out of reach."""
    company_ids = scope_for(user).company_ids
    company = Company.objects.filter(id__in=sorted(company_ids)).order_by("id").first()
    scope = scope_from_key(key, company=company) if company is not None else None
    if scope is None or not can_view_scope(user, scope):
        raise Http404
    return scope


def scopes_for_user(user: Any) -> list[MetricScope]:
    """Every scope the user may look at, widest first: the company, then branches, then projects."""
    scope = scope_for(user)
    result: list[MetricScope] = []
    company = Company.objects.filter(id__in=sorted(scope.company_ids)).order_by("id").first()
    if company is None:
        return result
    if can(user, VIEW):
        result.append(company_scope(company))
        branches = list(Branch.objects.filter(company=company).order_by("code"))
        projects = list(Project.objects.filter(branch__company=company).select_related("branch"))
    else:
        branch_ids = {bid for bid, roles in scope.roles_by_branch.items() if roles & CAPABILITIES[VIEW]}
        branches = list(Branch.objects.filter(id__in=sorted(branch_ids)).order_by("code"))
        project_ids = {pid for pid, roles in scope.roles_by_project.items() if roles & CAPABILITIES[VIEW]}
        projects = list(
            Project.objects.filter(Q(id__in=sorted(project_ids)) | Q(branch_id__in=sorted(branch_ids)))
            .select_related("branch")
            .order_by("code")
        )
    by_branch: dict[int, set[int]] = {}
    for project in projects:
        by_branch.setdefault(project.branch_id, set()).add(project.pk)
    for branch in branches:
        ids = frozenset(by_branch.get(branch.pk, set()))
        result.append(
            MetricScope(ScopeKind.BRANCH, company.pk, branch.pk, None, branch.code, branch.name, ids)
        )
    for project in sorted(projects, key=lambda p: p.code):
        result.append(project_scope(project))
    return result


def default_scope(user: Any) -> MetricScope | None:
    """The widest scope the user may look at (the GM's company, a branch manager's branch, …)."""
    scopes = scopes_for_user(user)
    return scopes[0] if scopes else None


# --- the breakdown ---------------------------------------------------------------------------------------


def units_of(scope: MetricScope) -> list[Unit]:
    """The rows a scope is broken down by, in code order: the company's branches, a branch's projects, a
    project's own departments (metrics adds the other departments its rows name, such as the branch's, and
    a "no department" row when some rows name none)."""
    if scope.kind == ScopeKind.COMPANY:
        ids: dict[int, set[int]] = {}
        rows = Project.objects.filter(id__in=sorted(scope.project_ids)).values_list("id", "branch_id")
        for pid, bid in rows:
            ids.setdefault(bid, set()).add(pid)
        return [
            Unit("branch", b.pk, b.code, b.name, frozenset(ids.get(b.pk, set())))
            for b in Branch.objects.filter(company_id=scope.company_id).order_by("code")
        ]
    if scope.kind == ScopeKind.BRANCH:
        return [
            Unit("project", p.pk, p.code, p.name, frozenset({p.pk}))
            for p in Project.objects.filter(branch_id=scope.branch_id or 0).order_by("code")
        ]
    departments = Department.objects.filter(project_id=scope.project_id or 0).order_by("kind", "name")
    return [Unit("department", d.pk, d.kind, d.name, frozenset({scope.project_id or 0})) for d in departments]


# --- reading a scope through visible_to --------------------------------------------------------------------


class ScopeReader:
    """A stand-in user that sees exactly a scope (module docstring). It holds no membership and signs in
    nowhere; `common.scoping.scope_for` reads the `Scope` cached on it like any user's."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None
    id = None
    username = "scope-reader"
    display_name = ""

    def __init__(self, scope: MetricScope) -> None:
        self.metric_scope = scope
        manager = Role.GENERAL_MANAGER if scope.kind == ScopeKind.COMPANY else Role.BRANCH_MANAGER
        if scope.kind == ScopeKind.COMPANY:
            self._estatedesk_scope = Scope(
                user_id=0,
                is_global=True,
                company_ids=frozenset({scope.company_id}),
                project_ids=scope.project_ids,
                roles_global=frozenset({manager}),
            )
        elif scope.kind == ScopeKind.BRANCH:
            branch_id = scope.branch_id or 0
            self._estatedesk_scope = Scope(
                user_id=0,
                company_ids=frozenset({scope.company_id}),
                branch_ids=frozenset({branch_id}),
                project_ids=scope.project_ids,
                roles_by_branch={branch_id: frozenset({manager})},
            )
        else:
            project_id, branch_id = scope.project_id or 0, scope.branch_id or 0
            self._estatedesk_scope = Scope(
                user_id=0,
                company_ids=frozenset({scope.company_id}),
                project_ids=scope.project_ids,
                context_branch_ids=frozenset({branch_id}),
                roles_by_project={project_id: frozenset({Role.PROJECT_MANAGER})},
            )

    def __str__(self) -> str:
        return _("Figures of %(scope)s") % {"scope": self.metric_scope.label}


def reader(scope: MetricScope) -> ScopeReader:
    return ScopeReader(scope)
