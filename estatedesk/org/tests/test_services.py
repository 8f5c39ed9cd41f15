"""Organisation services: the rule, the write and the audit row together."""

import pytest
from django.core.exceptions import PermissionDenied

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.models import Project
from estatedesk.org.services import membership_grant, membership_revoke


def test_granting_a_role_widens_scope_at_once_and_is_audited(world):
    assert not Project.objects.visible_to(world.outsider).filter(code="QD-A").exists()
    membership = membership_grant(
        actor=world.sysadmin,
        user=world.outsider,
        role="cs_agent",
        company=world.company,
        project=world.project_a,
    )
    assert Project.objects.visible_to(world.outsider).filter(code="QD-A").exists()
    entry = AuditEntry.objects.get(object_type="org.membership", object_id=str(membership.pk))
    assert (entry.actor, entry.action, entry.changes["role"]) == (
        world.sysadmin,
        "create",
        [None, "cs_agent"],
    )
    membership_revoke(actor=world.sysadmin, membership=membership)
    assert not Project.objects.visible_to(world.outsider).filter(code="QD-A").exists()


def test_the_same_role_twice_at_one_node_is_refused(world):
    with pytest.raises(DomainError) as error:
        membership_grant(
            actor=world.sysadmin,
            user=world.agent_a,
            role="cs_agent",
            company=world.company,
            project=world.project_a,
        )
    assert error.value.code == "org.membership_exists"


def test_only_system_administrators_grant_roles(world):
    for actor in (world.hq, world.pm_a, world.outsider):
        with pytest.raises(PermissionDenied):
            membership_grant(
                actor=actor,
                user=world.nobody,
                role="cs_agent",
                company=world.company,
                project=world.project_a,
            )
    assert not AuditEntry.objects.filter(object_type="org.membership").exists()


def test_a_membership_names_one_node(world):
    with pytest.raises(DomainError):
        membership_grant(
            actor=world.sysadmin,
            user=world.nobody,
            role="cs_agent",
            company=world.company,
            branch=world.branch_a,
            project=world.project_a,
        )
