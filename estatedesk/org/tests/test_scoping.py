"""Scoping: every persona sees exactly the org data under the nodes their roles cover."""

from __future__ import annotations

import pytest

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.models import Branch, Building, Department, Membership, Project, Unit, WorkingCalendar
from estatedesk.org.selectors import project_picker
from estatedesk.owners.models import Occupancy, Resident


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_project_staff_see_only_their_project(world):
    for name in ("agent_a", "supervisor_a", "pm_a"):
        assert codes(Project.objects.visible_to(world.users[name])) == {"QD-A"}


def test_branch_manager_sees_every_project_of_the_branch(world):
    assert codes(Project.objects.visible_to(world.branch_manager)) == {"QD-A", "QD-B"}
    assert codes(Branch.objects.visible_to(world.branch_manager)) == {"QD"}


def test_company_roles_see_everything(world):
    assert codes(Project.objects.visible_to(world.hq)) == {"QD-A", "QD-B", "JN-C"}
    assert codes(Project.objects.visible_to(world.sysadmin)) == {"QD-A", "QD-B", "JN-C"}
    assert codes(Branch.objects.visible_to(world.hq)) == {"QD", "JN"}


def test_outsider_sees_nothing_of_branch_a(world):
    outsider = world.outsider
    assert codes(Project.objects.visible_to(outsider)) == {"JN-C"}
    assert codes(Branch.objects.visible_to(outsider)) == {"JN"}
    assert not Unit.objects.visible_to(outsider).filter(project=world.project_a).exists()
    assert not Building.objects.visible_to(outsider).filter(project=world.project_a).exists()
    assert not Department.objects.visible_to(outsider).filter(project=world.project_a).exists()
    assert not Membership.objects.visible_to(outsider).filter(project=world.project_a).exists()
    assert (
        not Resident.objects.visible_to(outsider).filter(occupancies__unit__project=world.project_a).exists()
    )
    assert set(Unit.objects.visible_to(outsider).values_list("id", flat=True)) == {world.unit_b.id}


def test_owner_sees_only_own_units_and_household(world):
    owner = world.owner_a
    assert list(Unit.objects.visible_to(owner)) == [world.unit_a]
    assert list(Occupancy.objects.visible_to(owner).values_list("unit_id", flat=True)) == [world.unit_a.id]
    assert list(Resident.objects.visible_to(owner).values_list("name", flat=True)) == ["沈业主"]
    assert codes(Project.objects.visible_to(owner)) == {"QD-A"}
    # an owner is not staff: no buildings' members, departments or calendars
    assert not Membership.objects.visible_to(owner).exists()
    assert not Department.objects.visible_to(owner).exists()
    assert not WorkingCalendar.objects.visible_to(owner).exists()


def test_user_without_roles_and_anonymous_see_nothing(world, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    for user in (world.nobody, AnonymousUser(), None):
        assert not Project.objects.visible_to(user).exists()
        assert not Unit.objects.visible_to(user).exists()


def test_inactive_membership_and_inactive_user_see_nothing(world):
    Membership.objects.filter(user=world.agent_a).update(is_active=False)
    assert not Project.objects.visible_to(world.agent_a).exists()
    world.pm_a.is_active = False
    assert not Project.objects.visible_to(world.pm_a).exists()


def test_get_for_user_raises_404_alike_for_missing_and_out_of_scope(world):
    from django.http import Http404

    with pytest.raises(Http404):
        get_for_user_or_404(Project.objects, user=world.outsider, pk=world.project_a.pk)
    with pytest.raises(Http404):
        get_for_user_or_404(Project.objects, user=world.outsider, pk=999_999)
    with pytest.raises(Http404):
        get_for_user_or_404(Project.objects, user=world.outsider, pk="not-a-number")
    assert get_for_user_or_404(Project.objects, user=world.agent_a, pk=world.project_a.pk) == world.project_a


def test_staff_who_is_also_owner_sees_both(world):
    from estatedesk.owners.choices import Relation

    resident = Resident.objects.create(user=world.outsider, name="外部主管本人")
    Occupancy.objects.create(resident=resident, unit=world.unit_a_neighbour, relation=Relation.TENANT)
    units = set(Unit.objects.visible_to(world.outsider).values_list("id", flat=True))
    assert units == {world.unit_b.id, world.unit_a_neighbour.id}
    # living in project A does not make its staff data visible
    assert not Membership.objects.visible_to(world.outsider).filter(project=world.project_a).exists()


def test_the_kept_project_picker_follows_projects_and_memberships(world, django_user_model):
    """The list's project picker is kept per scope (org.selectors.project_picker): a renamed, new or
    deactivated project shows at once, and a user who loses a project stops seeing it at once."""

    def picked(user):
        return [(p.code, p.name) for p in project_picker(user=django_user_model.objects.get(pk=user.pk))]

    assert [code for code, _ in picked(world.hq)] == ["JN-C", "QD-A", "QD-B"]
    project = Project.objects.get(code="QD-B")
    project.name = "海景花园二期"
    project.save()
    assert ("QD-B", "海景花园二期") in picked(world.hq)
    new = Project.objects.get(code="QD-A")
    new.pk, new.code, new.name = None, "QD-N", "新项目"
    new.save()
    assert ("QD-N", "新项目") in picked(world.hq)
    project.is_active = False
    project.save()
    assert [code for code, _ in picked(world.hq)] == ["JN-C", "QD-A", "QD-N"]
    agent = world.users["agent_a"]
    assert [code for code, _ in picked(agent)] == ["QD-A"]
    Membership.objects.filter(user=agent).update(is_active=False)
    assert picked(agent) == []
