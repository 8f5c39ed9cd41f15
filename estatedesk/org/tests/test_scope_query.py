"""A user's scope comes from one query (org.scoping.compute_scope): their active memberships and the
projects where they live now, so that a staff member who is also an owner keeps both, apart."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from estatedesk.common.scoping import forget_scope, scope_for
from estatedesk.conftest import _resident
from estatedesk.org.choices import Role
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy


def test_staff_member_who_lives_elsewhere_keeps_roles_and_home_apart_in_one_query(world):
    # given a CS supervisor of JN-C who lives in a unit of QD-A and has moved out of one in QD-B's branch
    outsider = world.outsider
    home = _resident("住户员工", "13600001111", user=outsider)
    Occupancy.objects.create(resident=home, unit=world.unit_a, relation=Relation.OWNER)
    Occupancy.objects.create(
        resident=home, unit=world.unit_b, relation=Relation.TENANT, ended_on=date(2025, 1, 1)
    )
    forget_scope(outsider)
    # when their scope is computed
    with CaptureQueriesContext(connection) as queries:
        scope = scope_for(outsider)
    # then one query gives the staff role where they work and the home where they live now
    assert len(queries) == 1
    assert scope.project_ids == frozenset({world.project_b.id})
    assert scope.roles_by_project == {world.project_b.id: frozenset({Role.CS_SUPERVISOR.value})}
    assert scope.owner_project_ids == frozenset({world.project_a.id})
    assert scope.company_ids == frozenset({world.company.id})
    assert not scope.is_global
    assert not scope.roles_global
    assert not scope.branch_ids


def test_owner_without_memberships_gets_their_project_and_its_company(world):
    # given an owner with no staff role
    owner = world.owner_a
    forget_scope(owner)
    # when their scope is computed
    scope = scope_for(owner)
    # then they are an owner of QD-A only, in its company, with no staff roles
    assert scope.owner_project_ids == frozenset({world.project_a.id})
    assert scope.company_ids == frozenset({world.company.id})
    assert scope.project_ids == frozenset()
    assert not scope.all_roles
