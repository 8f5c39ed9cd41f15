"""Branches propose changes to the reporting rules; HQ accepts or declines them with an answer (R-IR-2).
A branch sees only its own proposals; the outsider, nobody and an owner see and change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback.tests.helpers import api_for, assert_error
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.reporting import catalogue
from estatedesk.reporting.choices import ProposalStatus
from estatedesk.reporting.models import InformationType, RuleProposal
from estatedesk.reporting.proposals import proposal_decide, proposal_list, proposal_make


@pytest.fixture
def seeded(world):
    return catalogue.catalogue_ensure(company=world.company)


@pytest.fixture
def manager_b(world, django_user_model):
    user = django_user_model.objects.create_user(username="manager_b", password="x", display_name="manager_b")
    Membership.objects.create(
        user=user,
        role=Role.BRANCH_MANAGER,
        level=ScopeLevel.BRANCH,
        company=world.company,
        branch=world.branch_b,
    )
    return user


@pytest.fixture
def proposal(world, seeded):
    return proposal_make(
        actor=world.branch_manager,
        branch=world.branch_a,
        information_type=InformationType.objects.get(company=world.company, code="move_in"),
        text="入住快报改为每3天至少一次",
    )


def test_ir_2_a_branch_proposes_and_hq_is_told(world, proposal):
    assert (proposal.branch, proposal.status, proposal.proposed_by) == (
        world.branch_a,
        ProposalStatus.PROPOSED,
        world.branch_manager,
    )
    assert proposal.information_type is not None
    assert proposal.information_type.code == "move_in"
    note = Notification.objects.get(user=world.hq)
    assert "青岛分公司" in note.title
    assert note.body == "入住快报改为每3天至少一次"
    assert AuditEntry.objects.filter(object_type="reporting.ruleproposal", action="create").count() == 1


def test_ir_2_hq_accepts_with_an_answer_and_the_proposer_is_told(world, proposal):
    decided = proposal_decide(actor=world.hq, proposal=proposal, accept=True, note="同意，下月起执行")
    assert (decided.status, decided.decided_by, decided.decision_note) == (
        ProposalStatus.ACCEPTED,
        world.hq,
        "同意，下月起执行",
    )
    assert decided.decided_at is not None
    note = Notification.objects.get(user=world.branch_manager)
    assert note.body == "同意，下月起执行"
    assert note.url == f"/reporting/proposals/#proposal-{proposal.pk}"


def test_ir_2_hq_declines_with_an_answer_once(world, proposal):
    proposal_decide(actor=world.hq, proposal=proposal, accept=False, note="集中入住期间仍需每天上报")
    assert RuleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.DECLINED
    with pytest.raises(DomainError) as error:
        proposal_decide(actor=world.hq, proposal=proposal, accept=True, note="改变主意")
    assert (error.value.code, error.value.status) == ("reporting.proposal_decided", 409)
    assert RuleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.DECLINED


def test_ir_2_a_decision_without_an_answer_is_refused(world, proposal):
    with pytest.raises(DomainError) as error:
        proposal_decide(actor=world.hq, proposal=proposal, accept=False, note="  ")
    assert set(error.value.fields) == {"note"}
    assert RuleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


def test_ir_2_only_hq_decides_and_only_a_branch_proposes(world, proposal):
    for user in (world.branch_manager, world.pm_a, world.outsider, world.nobody):
        with pytest.raises(PermissionDenied):
            proposal_decide(actor=user, proposal=proposal, accept=True, note="好")
    for user in (world.pm_a, world.supervisor_a, world.outsider, world.owner_a, world.nobody, world.hq):
        with pytest.raises(PermissionDenied):
            proposal_make(actor=user, branch=world.branch_a, text="x")
    with pytest.raises(DomainError) as error:
        proposal_make(actor=world.branch_manager, branch=world.branch_a, text=" ")
    assert error.value.code == "reporting.proposal_empty"
    assert RuleProposal.objects.count() == 1


def test_ir_2_a_branch_sees_only_its_own_proposals(world, proposal, manager_b):
    other = proposal_make(actor=manager_b, branch=world.branch_b, text="财务月报附件改为Excel")
    assert list(proposal_list(user=world.branch_manager)) == [proposal]
    assert list(proposal_list(user=manager_b)) == [other]
    assert list(proposal_list(user=world.outsider)) == [other]
    assert set(proposal_list(user=world.hq)) == {proposal, other}
    assert list(proposal_list(user=world.nobody)) == []
    assert list(proposal_list(user=world.owner_a)) == []


# --- pages ------------------------------------------------------------------------------------------------


def test_ir_2_a_branch_manager_proposes_on_the_page(world, seeded, login):
    client = login(world.branch_manager)
    assert client.get(reverse("reporting:proposal_new")).status_code == 200
    response = client.post(
        reverse("reporting:proposal_new"), {"branch": world.branch_a.pk, "text": "月报增加安全生产一栏"}
    )
    assert response.status_code == 302
    made = RuleProposal.objects.get()
    assert (made.branch, made.information_type, made.text) == (world.branch_a, None, "月报增加安全生产一栏")
    listing = client.get(reverse("reporting:proposal_list")).content.decode()
    assert "月报增加安全生产一栏" in listing
    assert 'data-testid="decide-link"' not in listing
    assert (
        client.post(reverse("reporting:proposal_new"), {"branch": world.branch_a.pk, "text": ""}).status_code
        == 400
    )


def test_ir_2_hq_decides_on_the_page(world, proposal, login):
    client = login(world.hq)
    listing = client.get(reverse("reporting:proposal_list")).content.decode()
    assert 'data-testid="decide-link"' in listing
    url = reverse("reporting:proposal_decide", args=[proposal.pk])
    assert 'data-testid="decide-form"' in client.get(url).content.decode()
    assert client.post(url, {"decision": "accept", "note": ""}).status_code == 400
    assert client.post(url, {"decision": "decline", "note": "暂不调整"}).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (ProposalStatus.DECLINED, "暂不调整")
    again = client.post(url, {"decision": "accept", "note": "再议"})
    assert again.status_code == 409


def test_ir_2_the_outsider_sees_none_of_branch_as_proposals_and_decides_nothing(world, proposal, login):
    client = login(world.outsider)
    listing = client.get(reverse("reporting:proposal_list"))
    assert listing.status_code == 200
    assert "入住快报改为每3天至少一次" not in listing.content.decode()
    url = reverse("reporting:proposal_decide", args=[proposal.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "accept", "note": "好"}).status_code == 404
    assert client.get(reverse("reporting:proposal_new")).status_code == 403
    # branch A's manager sees the proposal but does not decide it
    assert login(world.branch_manager).post(url, {"decision": "accept", "note": "好"}).status_code == 403
    assert RuleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


def test_ir_2_nobody_an_owner_and_anonymous_see_no_proposals(world, proposal, login, client):
    urls = [
        reverse("reporting:proposal_list"),
        reverse("reporting:proposal_new"),
        reverse("reporting:proposal_decide", args=[proposal.pk]),
    ]
    for user in (world.nobody, world.owner_a):
        for url in urls:
            response = login(user).get(url)
            assert response.status_code == 403, (user, url)
            assert "入住快报" not in response.content.decode()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


# --- API ----------------------------------------------------------------------------------------------------


def test_ir_2_api_a_branch_proposes_and_lists_its_own(world, seeded, manager_b):
    client = api_for(world.branch_manager)
    made = client.post(
        "/api/reporting/proposals/",
        {"branch": "QD", "information_type": "monthly_finance", "text": "财务月报改为15日前"},
        format="json",
    )
    assert made.status_code == 201
    assert (made.json()["branch"], made.json()["information_type"], made.json()["status"]) == (
        "QD",
        "monthly_finance",
        "proposed",
    )
    api_for(manager_b).post(
        "/api/reporting/proposals/", {"branch": "JN", "text": "济南的建议"}, format="json"
    )
    mine = client.get("/api/reporting/proposals/").json()
    assert [row["text"] for row in mine["results"]] == ["财务月报改为15日前"]
    # a branch proposes for itself only: another branch is not found
    other = client.post("/api/reporting/proposals/", {"branch": "JN", "text": "x"}, format="json")
    assert_error(other, 404, "not_found")
    unknown = client.post(
        "/api/reporting/proposals/",
        {"branch": "QD", "information_type": "nothing", "text": "x"},
        format="json",
    )
    assert_error(unknown, 400, "invalid", {"information_type"})


def test_ir_2_api_hq_decides(world, proposal):
    url = f"/api/reporting/proposals/{proposal.pk}/decide/"
    refused = api_for(world.hq).post(url, {"accept": True, "note": ""}, format="json")
    assert_error(refused, 400, "invalid", {"note"})
    decided = api_for(world.hq).post(url, {"accept": True, "note": "采纳"}, format="json")
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decision_note"]) == ("accepted", "采纳")
    again = api_for(world.hq).post(url, {"accept": False, "note": "再议"}, format="json")
    assert_error(again, 409, "reporting.proposal_decided")
    listed = api_for(world.hq).get("/api/reporting/proposals/", {"status": "accepted"}).json()
    assert [row["id"] for row in listed["results"]] == [proposal.pk]


def test_ir_2_api_refuses_the_outsider_nobody_an_owner_and_anonymous(world, proposal, client):
    url = f"/api/reporting/proposals/{proposal.pk}/decide/"
    outsider = api_for(world.outsider)
    assert outsider.get("/api/reporting/proposals/").json()["results"] == []
    assert_error(outsider.post(url, {"accept": True, "note": "好"}, format="json"), 404, "not_found")
    assert_error(
        outsider.post("/api/reporting/proposals/", {"branch": "JN", "text": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        api_for(world.branch_manager).post(url, {"accept": True, "note": "好"}, format="json"),
        403,
        "permission_denied",
    )
    for user in (world.nobody, world.owner_a):
        assert_error(api_for(user).get("/api/reporting/proposals/"), 403, "permission_denied")
        assert_error(
            api_for(user).post(url, {"accept": True, "note": "好"}, format="json"), 403, "permission_denied"
        )
    assert client.get("/api/reporting/proposals/").status_code == 401
    assert client.post(url, {"accept": True, "note": "好"}).status_code == 401
    assert RuleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


def test_ir_2_the_proposal_list_and_api_make_as_many_queries_with_many_rows(
    world, proposal, manager_b, login
):
    from estatedesk.common.testing import assert_queries_do_not_grow

    proposal_decide(actor=world.hq, proposal=proposal, accept=True, note="采纳")
    types = list(InformationType.objects.filter(company=world.company))

    def add_rows():
        texts = []
        for number in range(6):
            branch, actor = (
                (world.branch_a, world.branch_manager) if number % 2 else (world.branch_b, manager_b)
            )
            made = proposal_make(
                actor=actor, branch=branch, information_type=types[number], text=f"建议第{number}条"
            )
            if number % 3 == 0:
                proposal_decide(actor=world.hq, proposal=made, accept=False, note=f"答复{number}")
            texts.append(f"建议第{number}条")
        return texts

    client = login(world.hq)
    assert_queries_do_not_grow(client, reverse("reporting:proposal_list"), add_rows, ceiling=15)
    RuleProposal.objects.exclude(pk=proposal.pk).delete()
    assert_queries_do_not_grow(client, "/api/reporting/proposals/", add_rows, ceiling=15)
