"""Client visits (R-CS-1): planning and recording with the follow-up, the next regular visit, overdue
follow-ups, cancelling, feedback items made of what the client raised, who may write and who sees what.
The services and selectors of visits/clients.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback.choices import Category, Channel, Kind, Status
from estatedesk.notifications.models import Notification
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientKind, ClientVisitKind, ClientVisitStatus
from estatedesk.visits.models import ClientVisit


def plan(world, *, actor=None, kind=ClientVisitKind.REGULAR, project=None, days=3, **extra) -> ClientVisit:
    """supervisor_a plans a visit to the developer of project A in `days` days."""
    return clients.client_visit_plan(
        actor=actor or world.supervisor_a,
        plan=clients.ClientVisitPlan(
            project=project or world.project_a,
            kind=kind,
            client_kind=extra.pop("client_kind", ClientKind.DEVELOPER),
            client_name=extra.pop("client_name", "海景置业有限公司"),
            contact_person=extra.pop("contact_person", "王经理"),
            planned_on=clients.today() + timedelta(days=days),
            **extra,
        ),
    )


def record(world, visit, *, actor=None, **values) -> ClientVisit:
    fields: dict[str, Any] = {
        "visited_on": clients.today(),
        "attendees": "王经理, 陈客服主管",
        "raised": "地下车库照明不足；希望增加一次绿化修剪。",
        "follow_up": "工程部核查车库照明，两周内答复。",
        "follow_up_due_on": clients.today() + timedelta(days=14),
    }
    fields.update(values)
    return clients.client_visit_record(
        actor=actor or world.supervisor_a, visit=visit, record=clients.ClientVisitRecord(**fields)
    )


# --- planning ---------------------------------------------------------------------------------------------


def test_r_cs_1_a_cs_supervisor_plans_a_regular_visit_to_the_client(world):
    # given the CS supervisor of project A
    # when they plan a regular visit to the developer
    visit = plan(world)
    # then it is planned, with them as the visitor, and audited
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED
    assert visit.kind == ClientVisitKind.REGULAR
    assert visit.client_kind == ClientKind.DEVELOPER
    assert visit.client_name == "海景置业有限公司"
    assert visit.contact_person == "王经理"
    assert visit.visitor == world.supervisor_a
    assert visit.created_by == world.supervisor_a
    entry = AuditEntry.objects.get(object_type="visits.clientvisit", object_id=str(visit.pk))
    assert entry.action == "create"
    assert entry.project_id == world.project_a.pk
    assert entry.changes["client_name"] == [None, "海景置业有限公司"]


def test_r_cs_1_the_project_manager_plans_an_ad_hoc_visit_for_the_cs_supervisor_who_is_told(world):
    # when the PM plans an ad-hoc visit to the owners' committee, with the CS supervisor visiting
    visit = plan(
        world,
        actor=world.pm_a,
        kind=ClientVisitKind.AD_HOC,
        client_kind=ClientKind.OWNERS_COMMITTEE,
        client_name="海景花园业主委员会",
        visitor=world.supervisor_a,
    )
    # then the visitor is the CS supervisor, and only they are notified
    assert visit.visitor == world.supervisor_a
    assert visit.created_by == world.pm_a
    notices = Notification.objects.filter(title__contains="海景花园业主委员会")
    assert [n.user for n in notices] == [world.supervisor_a]
    assert notices[0].url == f"/visits/clients/{visit.pk}/"


def test_r_cs_1_the_visitor_must_hold_visits_client_at_the_project(world):
    # when the CS supervisor names the agent (no visits.client) as the visitor
    with pytest.raises(DomainError) as refused:
        plan(world, visitor=world.agent_a)
    # then the plan is refused on the visitor field, and nothing is saved
    assert refused.value.code == "visits.client_invalid"
    assert set(refused.value.fields) == {"visitor"}
    assert ClientVisit.objects.count() == 0


def test_r_cs_1_plan_refuses_an_empty_client_name_and_unknown_kinds(world):
    with pytest.raises(DomainError) as refused:
        plan(world, client_name="   ", kind="weekly", client_kind="landlord")
    assert set(refused.value.fields) == {"client_name", "kind", "client_kind"}


def test_r_cs_1_an_agent_without_visits_client_may_not_plan_or_record(world):
    # given a planned visit
    visit = plan(world)
    # when the agent (visits.view only) plans or records
    with pytest.raises(PermissionDenied):
        plan(world, actor=world.agent_a)
    with pytest.raises(PermissionDenied):
        record(world, visit, actor=world.agent_a)
    with pytest.raises(PermissionDenied):
        clients.client_visit_cancel(actor=world.agent_a, visit=visit, reason="x")
    # then nothing changed
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED
    assert ClientVisit.objects.count() == 1


def test_r_cs_1_another_projects_supervisor_may_not_plan_at_project_a(world):
    with pytest.raises(PermissionDenied):
        plan(world, actor=world.outsider)


# --- recording and the follow-up --------------------------------------------------------------------------


def test_r_cs_1_recording_a_visit_keeps_what_was_raised_and_the_follow_up(world):
    # given a planned ad-hoc visit
    visit = plan(world, kind=ClientVisitKind.AD_HOC, days=0)
    # when it is recorded with a follow-up
    record(world, visit)
    # then it is done with the attendees, what was raised and the follow-up due in 14 days
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.DONE
    assert visit.visited_on == clients.today()
    assert visit.attendees == "王经理, 陈客服主管"
    assert visit.raised == "地下车库照明不足；希望增加一次绿化修剪。"
    assert visit.follow_up == "工程部核查车库照明，两周内答复。"
    assert visit.follow_up_due_on == clients.today() + timedelta(days=14)
    assert visit.follow_up_done_at is None
    entry = AuditEntry.objects.filter(object_id=str(visit.pk), action="update").get()
    assert entry.changes["status"] == ["planned", "done"]
    # and an ad-hoc visit plans no next one
    assert ClientVisit.objects.count() == 1


def test_r_cs_1_a_follow_up_needs_its_due_date_and_cannot_be_due_before_the_visit(world):
    visit = plan(world, days=0)
    with pytest.raises(DomainError) as no_date:
        record(world, visit, follow_up_due_on=None)
    assert set(no_date.value.fields) == {"follow_up_due_on"}
    with pytest.raises(DomainError) as before:
        record(world, visit, follow_up_due_on=clients.today() - timedelta(days=1))
    assert set(before.value.fields) == {"follow_up_due_on"}
    with pytest.raises(DomainError) as date_alone:
        record(world, visit, follow_up="")
    assert set(date_alone.value.fields) == {"follow_up"}
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED


def test_r_cs_1_a_visit_without_follow_up_is_recorded(world):
    visit = plan(world, days=0)
    record(world, visit, follow_up="", follow_up_due_on=None)
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.DONE
    assert visit.follow_up == ""


def test_r_cs_1_a_visit_cannot_be_recorded_before_it_happens(world):
    visit = plan(world)
    with pytest.raises(DomainError) as refused:
        record(world, visit, visited_on=clients.today() + timedelta(days=1))
    assert set(refused.value.fields) == {"visited_on"}


def test_r_cs_1_recording_a_regular_visit_plans_the_next_one(world):
    # given a regular visit to the developer
    visit = plan(world, days=0)
    # when it is recorded with the next visit proposed at the visit date + the interval
    proposed = clients.next_regular_on(clients.today())
    record(world, visit, next_planned_on=proposed)
    # then the next regular visit to the same client is planned, with the same contact and visitor
    following = clients.client_visit_next(visit=visit)
    assert following is not None
    assert proposed == clients.today() + timedelta(days=clients.REGULAR_INTERVAL_DAYS)
    assert (following.planned_on, following.kind, following.status) == (
        proposed,
        ClientVisitKind.REGULAR,
        ClientVisitStatus.PLANNED,
    )
    assert (following.client_name, following.contact_person, following.client_kind) == (
        "海景置业有限公司",
        "王经理",
        ClientKind.DEVELOPER,
    )
    assert following.visitor == world.supervisor_a


def test_r_cs_1_only_a_regular_visit_plans_the_next_one_and_after_itself(world):
    ad_hoc = plan(world, kind=ClientVisitKind.AD_HOC, days=0)
    with pytest.raises(DomainError) as not_regular:
        record(world, ad_hoc, next_planned_on=clients.today() + timedelta(days=30))
    assert set(not_regular.value.fields) == {"next_planned_on"}
    regular = plan(world, days=0)
    with pytest.raises(DomainError) as not_after:
        record(world, regular, next_planned_on=clients.today())
    assert set(not_after.value.fields) == {"next_planned_on"}


def test_r_cs_1_a_visit_is_recorded_once(world):
    visit = plan(world, days=0)
    record(world, visit)
    with pytest.raises(DomainError) as again:
        record(world, visit, raised="something else")
    assert again.value.code == "visits.client_not_planned"
    assert again.value.status == 409
    visit.refresh_from_db()
    assert visit.raised == "地下车库照明不足；希望增加一次绿化修剪。"


def test_r_cs_1_the_follow_up_is_done_once(world):
    visit = plan(world, days=0)
    record(world, visit)
    clients.client_visit_follow_up_done(actor=world.pm_a, visit=visit)
    visit.refresh_from_db()
    assert visit.follow_up_done_at is not None
    with pytest.raises(DomainError) as again:
        clients.client_visit_follow_up_done(actor=world.pm_a, visit=visit)
    assert again.value.code == "visits.client_follow_up_done"


def test_r_cs_1_no_follow_up_to_mark_done_before_the_visit_or_without_one(world):
    planned = plan(world, days=0)
    with pytest.raises(DomainError) as not_visited:
        clients.client_visit_follow_up_done(actor=world.pm_a, visit=planned)
    assert not_visited.value.code == "visits.client_not_visited"
    record(world, planned, follow_up="", follow_up_due_on=None)
    with pytest.raises(DomainError) as none:
        clients.client_visit_follow_up_done(actor=world.pm_a, visit=planned)
    assert none.value.code == "visits.client_no_follow_up"


def test_r_cs_1_overdue_follow_ups_are_listed(world):
    # given three recorded visits: a follow-up due yesterday, one due today, one due yesterday but done
    due_yesterday = plan(world, days=-20, client_name="甲")
    record(world, due_yesterday, visited_on=clients.today() - timedelta(days=20))
    ClientVisit.objects.filter(pk=due_yesterday.pk).update(
        follow_up_due_on=clients.today() - timedelta(days=1)
    )
    due_today = plan(world, days=-20, client_name="乙")
    record(world, due_today, follow_up_due_on=clients.today())
    done = plan(world, days=-20, client_name="丙")
    record(world, done, visited_on=clients.today() - timedelta(days=20))
    ClientVisit.objects.filter(pk=done.pk).update(follow_up_due_on=clients.today() - timedelta(days=1))
    clients.client_visit_follow_up_done(actor=world.supervisor_a, visit=done)
    # when the overdue follow-ups are listed today
    overdue = clients.client_visit_follow_ups_overdue(user=world.supervisor_a)
    # then only the one due yesterday and not done is there; and the list's filter agrees
    assert [v.client_name for v in overdue] == ["甲"]
    filtered = clients.client_visit_list(
        user=world.pm_a, filters=clients.ClientVisitFilters(follow_up_overdue=True)
    )
    assert [v.client_name for v in filtered] == ["甲"]
    # and tomorrow the one due today is overdue too
    tomorrow = clients.client_visit_follow_ups_overdue(
        user=world.supervisor_a, day=clients.today() + timedelta(days=1)
    )
    assert [v.client_name for v in tomorrow] == ["甲", "乙"]


# --- cancelling -------------------------------------------------------------------------------------------


def test_r_cs_1_a_planned_visit_is_cancelled_with_a_reason(world):
    visit = plan(world)
    with pytest.raises(DomainError) as no_reason:
        clients.client_visit_cancel(actor=world.supervisor_a, visit=visit, reason="  ")
    assert set(no_reason.value.fields) == {"reason"}
    clients.client_visit_cancel(actor=world.supervisor_a, visit=visit, reason="开发商改期")
    visit.refresh_from_db()
    assert (visit.status, visit.cancelled_reason) == (ClientVisitStatus.CANCELLED, "开发商改期")
    with pytest.raises(DomainError) as again:
        record(world, visit)
    assert again.value.code == "visits.client_not_planned"


# --- a feedback item from what the client raised ----------------------------------------------------------


def test_r_cs_1_raising_a_feedback_item_registers_it_on_the_client_visit_channel_linked_to_the_visit(world):
    # given a recorded visit
    visit = plan(world, days=0)
    record(world, visit)
    # when the supervisor makes a feedback item of what the client raised
    item = clients.client_visit_raise_item(
        actor=world.supervisor_a,
        visit=visit,
        raised=clients.RaisedItem(
            kind=Kind.COMPLAINT, category=Category.ENGINEERING, description="地下车库照明不足，多处灯管损坏。"
        ),
    )
    # then it is a registered item of project A on the client-visit channel, contact the client's contact
    item.refresh_from_db()
    assert item.channel == Channel.CLIENT_VISIT
    assert item.project == world.project_a
    assert (item.kind, item.category, item.status) == (
        Kind.COMPLAINT,
        Category.ENGINEERING,
        Status.REGISTERED,
    )
    assert item.contact_name == "王经理"
    assert item.registered_by == world.supervisor_a
    assert item.reference.startswith("QD-A-")
    # and it is linked to the visit
    assert list(visit.items.all()) == [item]
    assert [i.reference for i in clients.client_visit_items(visit=visit)] == [item.reference]


def test_r_cs_1_raising_the_same_item_twice_with_one_key_makes_one_item(world):
    visit = plan(world, days=0)
    record(world, visit)
    raised = clients.RaisedItem(description="希望增加一次绿化修剪。", category=Category.GREENING)
    first = clients.client_visit_raise_item(
        actor=world.supervisor_a, visit=visit, raised=raised, idempotency_key="form-1"
    )
    second = clients.client_visit_raise_item(
        actor=world.supervisor_a, visit=visit, raised=raised, idempotency_key="form-1"
    )
    assert first.pk == second.pk
    assert visit.items.count() == 1


def test_r_cs_1_no_feedback_item_before_the_visit_is_recorded(world):
    visit = plan(world)
    with pytest.raises(DomainError) as refused:
        clients.client_visit_raise_item(
            actor=world.supervisor_a, visit=visit, raised=clients.RaisedItem(description="x")
        )
    assert refused.value.code == "visits.client_not_visited"
    assert visit.items.count() == 0


def test_r_cs_1_an_agent_may_not_raise_an_item_from_a_client_visit(world):
    visit = plan(world, days=0)
    record(world, visit)
    with pytest.raises(PermissionDenied):
        clients.client_visit_raise_item(
            actor=world.agent_a, visit=visit, raised=clients.RaisedItem(description="x")
        )
    assert visit.items.count() == 0


# --- scope ------------------------------------------------------------------------------------------------


def test_r_cs_1_the_outsider_sees_none_of_project_a_and_the_agent_reads_but_may_not_write(world):
    visit = plan(world)
    # the outsider (CS supervisor of project B): nothing in the list, 404 on the visit
    assert list(clients.client_visit_list(user=world.outsider)) == []
    with pytest.raises(Http404):
        clients.client_visit_get_for_user(user=world.outsider, pk=visit.pk)
    # the owner and a user without a role: nothing
    assert list(clients.client_visit_list(user=world.owner_a)) == []
    assert list(clients.client_visit_list(user=world.nobody)) == []
    # the agent of project A reads it, but gets 403 for writing
    assert clients.client_visit_get_for_user(user=world.agent_a, pk=visit.pk) == visit
    with pytest.raises(PermissionDenied):
        clients.client_visit_get_for_user(user=world.agent_a, pk=visit.pk, for_write=True)
    # the branch manager and HQ see it
    assert [v.pk for v in clients.client_visit_list(user=world.branch_manager)] == [visit.pk]
    assert [v.pk for v in clients.client_visit_list(user=world.hq)] == [visit.pk]
