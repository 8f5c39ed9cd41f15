"""Scopes of the dashboards and packs (issue 15): who may look at which scope, the scope's units, and the
scope reader that sees exactly the scope through `visible_to` (a branch holds nothing of another)."""

from __future__ import annotations

import pytest
from django.http import Http404

from estatedesk.analytics.scopes import (
    branch_scope,
    can_view_scope,
    company_scope,
    default_scope,
    project_scope,
    reader,
    scope_for_user,
    scope_from_key,
    scopes_for_user,
    units_of,
)
from estatedesk.feedback.models import FeedbackItem
from estatedesk.reporting.models import ReportSubmission


def test_fb_7_scope_keys(world):
    assert scope_from_key("company").key == "company"
    assert scope_from_key("branch:QD").project_ids == {world.project_a.pk, world.project_a2.pk}
    assert scope_from_key("project:JN-C").branch_id == world.branch_b.pk
    assert [scope_from_key(key) for key in ("branch:XX", "project:", "nothing", "")] == [None] * 4


def test_fb_7_who_may_look_at_which_scope(world):
    company, qd, jn = company_scope(world.company), branch_scope(world.branch_a), branch_scope(world.branch_b)
    qd_a = project_scope(world.project_a)

    assert [can_view_scope(world.hq, s) for s in (company, qd, jn, qd_a)] == [True] * 4
    assert [can_view_scope(world.branch_manager, s) for s in (company, qd, jn, qd_a)] == [
        False,
        True,
        False,
        True,
    ]
    assert [can_view_scope(world.supervisor_a, s) for s in (company, qd, jn, qd_a)] == [
        False,
        False,
        False,
        True,
    ]
    assert [can_view_scope(world.agent_a, s) for s in (company, qd, jn, qd_a)] == [False] * 4
    assert [can_view_scope(world.owner_a, s) for s in (company, qd, jn, qd_a)] == [False] * 4


def test_fb_7_a_users_scopes_widest_first(world):
    assert [s.key for s in scopes_for_user(world.branch_manager)] == [
        "branch:QD",
        "project:QD-A",
        "project:QD-B",
    ]
    assert [s.key for s in scopes_for_user(world.outsider)] == ["project:JN-C"]
    assert scopes_for_user(world.nobody) == []
    assert default_scope(world.hq).key == "company"
    with pytest.raises(Http404):
        scope_for_user(user=world.branch_manager, key="branch:JN")
    assert scope_for_user(user=world.branch_manager, key="project:QD-B").code == "QD-B"


def test_fb_7_units_of_each_scope(world):
    assert [(u.kind, u.code, u.project_ids) for u in units_of(company_scope(world.company))] == [
        ("branch", "JN", {world.project_b.pk}),
        ("branch", "QD", {world.project_a.pk, world.project_a2.pk}),
    ]
    assert [u.code for u in units_of(branch_scope(world.branch_a))] == ["QD-A", "QD-B"]
    departments = units_of(project_scope(world.project_a))
    assert [(u.kind, u.code, u.project_ids) for u in departments] == [
        ("department", "customer_service", {world.project_a.pk})
    ]


def test_fb_7_a_branch_reader_sees_its_branch_only(month_world):
    qd = reader(branch_scope(month_world.branch_a))
    project = reader(project_scope(month_world.project_a))

    assert set(FeedbackItem.objects.visible_to(qd).values_list("project__branch__code", flat=True)) == {"QD"}
    assert set(FeedbackItem.objects.visible_to(project).values_list("project__code", flat=True)) == {"QD-A"}
    # the branch's own reports and its projects', none of JN
    assert set(ReportSubmission.objects.visible_to(qd).values_list("reference", flat=True)) == {
        "MW-R-ONTIME",
        "MW-R-MISSING",
    }
    assert set(ReportSubmission.objects.visible_to(project).values_list("reference", flat=True)) == {
        "MW-R-MISSING"
    }
