"""Return visits' services (附表三, R-RV-5; R-RV-3): attempts never grade, one graded result per visit
after the customer is told, the handler frozen at the grade, a C → one separate visit with the
responsible manager and feedback's hook; the owner's C rating arranges the same; cancel and the owner's
comment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from estatedesk.common.errors import DomainError
from estatedesk.feedback import followups
from estatedesk.feedback.services import feedback_item_rate
from estatedesk.feedback.tests.helpers import register, walk
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt
from estatedesk.visits.selectors import return_visit_get_for_user, return_visit_list
from estatedesk.visits.services import (
    return_visit_arrange,
    return_visit_assign,
    return_visit_cancel,
    return_visit_grade,
    return_visit_owner_comment,
    return_visit_record_attempt,
)
from estatedesk.visits.tests.helpers import result, told_item

pytestmark = pytest.mark.usefixtures("english")


def ad_hoc(world, item, visitor=None):
    return return_visit_arrange(
        actor=world.supervisor_a, purpose=Purpose.AD_HOC, project=world.project_a, item=item, visitor=visitor
    )


@pytest.fixture
def heard(monkeypatch):
    """What feedback's followups hook was told (the other listeners, quality's among them, kept out)."""
    told: list[followups.Dissatisfaction] = []
    from estatedesk.visits.services import on_dissatisfaction

    monkeypatch.setattr(
        followups, "_listeners", {"visits.serious_visit": on_dissatisfaction, "test": told.append}
    )
    return told


# --- 附表三: attempts and the one result ----------------------------------------------------------------


def test_r_rv_5_attempts_are_counted_never_graded(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    for outcome in (AttemptOutcome.NO_ANSWER, AttemptOutcome.WRONG_NUMBER, AttemptOutcome.REFUSED):
        return_visit_record_attempt(actor=visiting.visitor_a, visit=visit, outcome=outcome, note="打了两次")

    visit.refresh_from_db()
    assert visit.status == VisitStatus.DUE
    assert visit.grade == ""
    assert list(VisitAttempt.objects.filter(visit=visit).values_list("outcome", flat=True)) == [
        "no_answer",
        "wrong_number",
        "refused",
    ]


def test_r_rv_5_a_rescheduled_attempt_needs_the_time_and_moves_a_deadline_it_passes(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    later = visit.due_at + timedelta(days=3)

    with pytest.raises(DomainError) as refused:
        return_visit_record_attempt(actor=visiting.visitor_a, visit=visit, outcome=AttemptOutcome.RESCHEDULED)
    return_visit_record_attempt(
        actor=visiting.visitor_a, visit=visit, outcome=AttemptOutcome.RESCHEDULED, rescheduled_to=later
    )

    assert set(refused.value.fields) == {"rescheduled_to"}
    visit.refresh_from_db()
    assert (visit.due_at, visit.escalation_due_at) == (later, later)


def test_r_rv_5_the_result_holds_what_was_said_handling_channel_visitor_recorder_and_date(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    today = timezone.localdate()

    graded = return_visit_grade(
        actor=visiting.visitor_b,
        visit=visit,
        result=result(
            Grade.B, customer_said="基本满意", channel=VisitChannel.ON_SITE, visitor=visiting.visitor_a
        ),
    )

    assert (graded.status, graded.grade, graded.customer_said) == (VisitStatus.GRADED, "B", "基本满意")
    assert graded.handling_result == "Valve replaced, ceiling dried."  # the item's result when none typed
    assert (graded.channel, graded.visited_on) == (VisitChannel.ON_SITE, today)
    assert (graded.graded_by, graded.visitor, graded.recorded_by) == (
        visiting.visitor_a,
        visiting.visitor_a,
        visiting.visitor_b,
    )
    assert graded.recorded_at is not None
    assert graded.escalation_due_at is None


def test_r_rv_5_one_graded_result_per_visit(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))

    with pytest.raises(DomainError) as again:
        return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.B))
    with pytest.raises(DomainError) as attempt:
        return_visit_record_attempt(actor=visiting.visitor_a, visit=visit, outcome=AttemptOutcome.NO_ANSWER)

    assert (again.value.code, again.value.status) == ("visits.not_due", 409)
    assert attempt.value.code == "visits.not_due"
    visit.refresh_from_db()
    assert visit.grade == "A"


def test_r_rv_5_graded_only_once_the_customer_is_told(visiting):
    item = walk(visiting, register(visiting), until="complete")  # handled, customer not told yet
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(DomainError) as refused:
        return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))

    assert (refused.value.code, refused.value.status) == ("visits.not_told", 409)
    assert item.reference in str(refused.value.message)
    assert ReturnVisit.objects.get(pk=visit.pk).status == VisitStatus.DUE


def test_r_rv_5_a_c_needs_what_the_customer_said(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(DomainError) as refused:
        return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.C, customer_said=""))

    assert set(refused.value.fields) == {"customer_said"}


def test_r_rv_5_no_visit_date_in_the_future_and_grades_a_b_c_only(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    tomorrow = timezone.localdate() + timedelta(days=1)

    with pytest.raises(DomainError) as refused:
        return_visit_grade(
            actor=visiting.visitor_a, visit=visit, result=result("D", visited_on=tomorrow, channel="fax")
        )

    assert set(refused.value.fields) == {"grade", "visited_on", "channel"}


def test_r_rv_5_the_handler_and_department_are_frozen_at_the_grade(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    graded = return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))
    department = item.department

    # later the item is reassigned: the grade stays with who handled it then
    type(item).objects.filter(pk=item.pk).update(executor=visiting.pm_a, department=None)

    graded.refresh_from_db()
    assert (graded.handler, graded.handler_department) == (visiting.executor_a, department)


def test_r_rv_5_an_agent_elsewhere_may_not_record(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(PermissionDenied):
        return_visit_grade(actor=visiting.outsider, visit=visit, result=result(Grade.A))


# --- R-RV-3: serious dissatisfaction ------------------------------------------------------------------


def test_r_rv_3_a_c_arranges_one_separate_visit_with_a_manager_who_did_not_act(visiting, heard):
    item = told_item(visiting)  # pm_a arranged it: they may not make the separate visit
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    graded = return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.C))

    serious = ReturnVisit.objects.get(purpose=Purpose.SERIOUS)
    assert (serious.parent, serious.item, serious.status) == (graded, item, VisitStatus.DUE)
    # pm_a arranged the handling: the CS supervisor, who never acted on it, visits instead
    assert serious.visitor == visiting.supervisor_a
    assert serious.due_at is not None
    assert [(e.source, e.visit_id, e.item) for e in heard if e is not None] == [
        (followups.Source.RETURN_VISIT, graded.pk, item)
    ]


def test_r_rv_3_the_separate_visit_goes_to_the_project_manager_when_they_did_not_act(visiting, heard):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    other_pm = add_member(visiting, "pm_other", Role.PROJECT_MANAGER, project=visiting.project_a)
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.C))

    assert ReturnVisit.objects.get(purpose=Purpose.SERIOUS).visitor == other_pm


def test_r_rv_3_a_separate_visit_graded_c_arranges_no_further_visit(visiting, heard):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)
    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.C))
    serious = ReturnVisit.objects.get(purpose=Purpose.SERIOUS)

    return_visit_grade(actor=visiting.supervisor_a, visit=serious, result=result(Grade.C))

    assert ReturnVisit.objects.filter(purpose=Purpose.SERIOUS).count() == 1
    assert [e.visit_id for e in heard] == [visit.pk, serious.pk]


def test_r_rv_3_an_owners_c_rating_arranges_the_separate_visit_without_a_parent(visiting, heard):
    item = told_item(visiting)

    feedback_item_rate(actor=visiting.owner_a, item=item, rating="C", comment="还是漏水")

    serious = ReturnVisit.objects.get(purpose=Purpose.SERIOUS)
    assert (serious.parent, serious.item, serious.visitor) == (None, item, visiting.supervisor_a)
    assert serious.customer_name == "沈业主"


def test_r_rv_3_the_separate_visit_is_arranged_once(visiting, heard):
    from estatedesk.visits.services import serious_visit_arrange

    item = told_item(visiting)
    first = serious_visit_arrange(item=item, parent=None)

    again = serious_visit_arrange(item=item, parent=None)

    assert again == first
    assert ReturnVisit.objects.filter(purpose=Purpose.SERIOUS).count() == 1


def test_r_rv_3_a_grade_a_arranges_nothing_and_tells_nobody(visiting, heard):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))

    assert not ReturnVisit.objects.filter(purpose=Purpose.SERIOUS).exists()
    assert heard == []


# --- assign, cancel, the owner's comment ------------------------------------------------------------------


def test_assign_refuses_who_acted_and_takes_who_did_not(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item)

    with pytest.raises(DomainError) as refused:
        return_visit_assign(actor=visiting.supervisor_a, visit=visit, visitor=visiting.executor_a)
    assigned = return_visit_assign(actor=visiting.supervisor_a, visit=visit, visitor=visiting.visitor_b)

    assert (refused.value.code, refused.value.status) == ("visits.visitor_not_allowed", 403)
    assert assigned.visitor == visiting.visitor_b


def test_arrange_refuses_a_monthly_visit_and_an_item_of_another_project(visiting):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    planner = add_member(visiting, "supervisor_a2", Role.CS_SUPERVISOR, project=visiting.project_a2)
    item = told_item(visiting)

    with pytest.raises(DomainError) as refused:
        return_visit_arrange(actor=planner, purpose=Purpose.MONTHLY, project=visiting.project_a2, item=item)

    assert set(refused.value.fields) == {"purpose", "item"}


def test_cancel_needs_a_reason_and_stops_the_clock(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(DomainError):
        return_visit_cancel(actor=visiting.supervisor_a, visit=visit, reason=" ")
    cancelled = return_visit_cancel(actor=visiting.supervisor_a, visit=visit, reason="业主已搬走")

    assert (cancelled.status, cancelled.cancelled_reason, cancelled.escalation_due_at) == (
        VisitStatus.CANCELLED,
        "业主已搬走",
        None,
    )


def test_the_owner_comments_once_on_a_graded_visit_about_their_item(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(DomainError):
        return_visit_owner_comment(actor=visiting.owner_a, visit=visit, comment="谢谢")
    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))
    with pytest.raises(PermissionDenied):
        return_visit_owner_comment(actor=visiting.agent_a, visit=visit, comment="谢谢")
    commented = return_visit_owner_comment(actor=visiting.owner_a, visit=visit, comment="谢谢回访")
    with pytest.raises(DomainError) as again:
        return_visit_owner_comment(actor=visiting.owner_a, visit=visit, comment="再说一次")

    assert commented.owner_comment == "谢谢回访"
    assert again.value.code == "visits.already_commented"
    # the visitor and the CS supervisor are told, once
    from estatedesk.notifications.models import Notification

    told = Notification.objects.filter(title__startswith="The owner commented on the return visit")
    assert sorted(told.values_list("user__username", flat=True)) == ["supervisor_a", "visitor_a"]
    assert set(told.values_list("body", flat=True)) == {"谢谢回访"}


# --- selectors -------------------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_a_visit_of_another_project(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(Http404):
        return_visit_get_for_user(user=visiting.outsider, pk=visit.pk)
    assert list(return_visit_list(user=visiting.outsider)) == []
    assert return_visit_get_for_user(user=visiting.agent_a, pk=visit.pk) == visit


def test_the_owner_reads_only_their_graded_visit_and_never_for_writing(visiting):
    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    with pytest.raises(Http404):
        return_visit_get_for_user(user=visiting.owner_a, pk=visit.pk)
    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))

    assert return_visit_get_for_user(user=visiting.owner_a, pk=visit.pk) == visit
    with pytest.raises(Http404):
        return_visit_get_for_user(user=visiting.owner_a, pk=visit.pk, for_write=True)


# --- the item's own record: timeline and 附表二 (R-FB-8) ----------------------------------------------------


def test_r_fb_8_a_visit_grade_goes_on_the_items_timeline_and_is_the_customer_acceptance(visiting):
    from estatedesk.feedback.choices import EventKind
    from estatedesk.feedback.events import describe
    from estatedesk.feedback.models import ExecutionRecord

    item = told_item(visiting)
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.B))

    event = item.events.get(kind=EventKind.RETURN_VISIT)
    assert (event.actor, event.is_public, event.data["grade"]) == (visiting.visitor_a, True, "B")
    assert describe(event, for_customer=True).what == "Return visit recorded"
    assert ExecutionRecord.objects.get(item=item).customer_acceptance == "B · 较满意"


def test_r_fb_8_the_customers_own_rating_stays_the_acceptance_after_a_visit(visiting):
    from estatedesk.feedback.models import ExecutionRecord

    item = told_item(visiting)
    feedback_item_rate(actor=visiting.owner_a, item=item, rating="A", comment="很好")
    visit = ad_hoc(visiting, item, visiting.visitor_a)

    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.B))

    assert ExecutionRecord.objects.get(item=item).customer_acceptance == "A · 满意 · 很好"
