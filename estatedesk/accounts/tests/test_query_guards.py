"""Query guards of the accounts' lists (issue 5, item 7): the roles on the profile page and the admin's
user list make as many queries with many rows as with a few
(estatedesk.common.testing.assert_queries_do_not_grow)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Branch, Department, Membership, Project

ROWS = 20
ROLES = [Role.CS_AGENT, Role.CS_SUPERVISOR, Role.EXECUTOR, Role.QA_STAFF]


def test_profile_roles_queries_do_not_grow_with_rows(world, login):
    user = world.pm_a
    Membership.objects.create(
        user=user, role=Role.QA_MANAGER, level=ScopeLevel.BRANCH, company=world.company, branch=world.branch_a
    )

    def add_rows():
        markers = []
        for n in range(ROWS):
            branch = Branch.objects.create(
                company=world.company, code=f"GB-{n:02d}", name=f"Guard branch {n:02d}"
            )
            project = Project.objects.create(branch=branch, code=f"GP-{n:02d}", name=f"Guard project {n:02d}")
            department = Department.objects.create(
                company=world.company,
                project=project,
                kind=DepartmentKind.ENGINEERING,
                name=f"Guard crew {n:02d}",
            )
            at_branch = n % 2 == 0
            Membership.objects.create(
                user=user,
                role=ROLES[n % len(ROLES)],
                level=ScopeLevel.BRANCH if at_branch else ScopeLevel.PROJECT,
                company=world.company,
                branch=branch if at_branch else None,
                project=None if at_branch else project,
                department=None if n % 3 else department,
            )
            markers.append(branch.name if at_branch else project.name)
            if n % 3 == 0:
                markers.append(department.name)
        return markers

    assert_queries_do_not_grow(login(user), reverse("accounts:profile"), add_rows, ceiling=10)


def test_admin_user_list_queries_do_not_grow_with_rows(world, login):
    def add_rows():
        return [
            get_user_model()
            .objects.create_user(
                username=f"guard_user_{n:02d}", display_name=f"Guard {n:02d}", phone=f"136{n:08d}"
            )
            .username
            for n in range(ROWS)
        ]

    assert_queries_do_not_grow(
        login(world.sysadmin), reverse("admin:accounts_user_changelist"), add_rows, ceiling=12
    )
