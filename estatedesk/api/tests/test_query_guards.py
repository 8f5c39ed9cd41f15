"""Query guard of the shared API (issue 5, item 7): who-am-I lists the user's roles and projects with as
many queries for many memberships as for a few (estatedesk.common.testing.assert_queries_do_not_grow)."""

from __future__ import annotations

from rest_framework.test import APIClient

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch, Membership, Project

ROLES = [Role.QA_MANAGER, Role.QA_STAFF, Role.EXECUTOR, Role.DEPT_SUPERVISOR, Role.ADMIN_DEPT, Role.DOC_ADMIN]


def test_me_roles_and_projects_queries_do_not_grow_with_rows(world):
    client = APIClient()
    client.force_login(world.agent_a)
    Membership.objects.create(
        user=world.agent_a,
        role=Role.CS_SUPERVISOR,
        level=ScopeLevel.BRANCH,
        company=world.company,
        branch=world.branch_b,
    )

    def add_rows():
        for n in range(12):
            branch = Branch.objects.create(
                company=world.company, code=f"GB-{n:02d}", name=f"Guard branch {n:02d}"
            )
            projects = [
                Project.objects.create(branch=branch, code=f"GP-{n:02d}-{m}", name=f"Guard project {n}{m}")
                for m in range(3)
            ]
            at_branch = n % 2 == 0
            Membership.objects.create(
                user=world.agent_a,
                role=ROLES[n % len(ROLES)],
                level=ScopeLevel.BRANCH if at_branch else ScopeLevel.PROJECT,
                company=world.company,
                branch=branch if at_branch else None,
                project=None if at_branch else projects[0],
            )
        return [f'"{role}"' for role in ROLES]

    assert_queries_do_not_grow(client, "/api/me/", add_rows, ceiling=8)
