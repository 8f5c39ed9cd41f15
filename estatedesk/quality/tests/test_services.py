"""Nonconformities (R-RV-4): a confirmed C opens exactly one, and the gates of the procedure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.tests.helpers import register
from estatedesk.notifications.models import Notification
from estatedesk.quality import services
from estatedesk.quality.choices import (
    ActionKind,
    EventKind,
    Origin,
    Stage,
    VerificationResult,
)
from estatedesk.quality.models import Nonconformity
from estatedesk.quality.tests.helpers import manual, rated_c, walk_to
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.services import return_visit_arrange, return_visit_grade
from estatedesk.visits.tests.helpers import result, told_item

pytestmark = pytest.mark.django_db(transaction=False)


def _visit_c(world, item):
    visit = return_visit_arrange(actor=world.pm_a, purpose=Purpose.AD_HOC, project=world.project_a, item=item)
    return return_visit_grade(actor=world.visitor_a, visit=visit, result=result(Grade.C))


# --- C → exactly one nonconformity ------------------------------------------------------------------------


def test_r_rv_4_owner_c_rating_opens_one_nonconformity(visiting):
    # given an item told to its owner; when the owner rates it C
    item = rated_c(visiting)
    # then one nonconformity, a draft about the item, in the project's reference series
    nc = Nonconformity.objects.get(item=item)
    assert nc.origin == Origin.OWNER_RATING
    assert nc.stage == Stage.DRAFT
    assert nc.reference == f"NC-QD-A-{timezone.localdate():%Y%m}-001"
    assert nc.raised_by is None
    assert list(nc.events.values_list("kind", flat=True)) == [EventKind.RAISED]


def test_r_rv_4_owner_c_then_visit_c_on_the_same_item_is_still_one_nonconformity(visiting):
    # given the owner's C opened the item's nonconformity
    item = rated_c(visiting)
    # when a return visit on the same item is graded C
    visit = _visit_c(visiting, item)
    # then still one nonconformity; the second C is on its record
    assert Nonconformity.objects.filter(item=item).count() == 1
    nc = Nonconformity.objects.get(item=item)
    assert list(nc.events.values_list("kind", "data__visit_id")) == [
        (EventKind.RAISED, None),
        (EventKind.DISSATISFACTION, visit.pk),
    ]


def test_r_rv_4_visit_c_opens_one_nonconformity_raised_by_the_visitor(visiting):
    item = told_item(visiting)
    visit = _visit_c(visiting, item)
    nc = Nonconformity.objects.get(item=item)
    assert (nc.origin, nc.visit_id, nc.raised_by) == (Origin.RETURN_VISIT_C, visit.pk, visiting.visitor_a)


def test_r_rv_4_the_listener_is_idempotent(visiting):
    # given the owner's C; when the same dissatisfaction is told again
    from estatedesk.feedback import followups

    item = rated_c(visiting)
    event = followups.Dissatisfaction(item=item, source=followups.Source.OWNER_RATING, actor=visiting.owner_a)
    followups.dissatisfaction_confirmed(event)
    followups.dissatisfaction_confirmed(event)
    # then one nonconformity, one record of the repetition
    nc = Nonconformity.objects.get(item=item)
    assert Nonconformity.objects.filter(item=item).count() == 1
    assert nc.events.filter(kind=EventKind.DISSATISFACTION).count() == 1


def test_r_rv_4_the_database_refuses_a_second_dissatisfaction_nonconformity(visiting):
    from django.db import IntegrityError, transaction

    item = rated_c(visiting)
    nc = Nonconformity.objects.get(item=item)
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.create(
            project=nc.project,
            reference="NC-X-1",
            title="x",
            description="x",
            origin=Origin.RETURN_VISIT_C,
            item=item,
            raised_at=timezone.now(),
        )


def test_r_rv_4_an_item_nonconformity_by_hand_beside_the_dissatisfaction_one(visiting):
    item = rated_c(visiting)
    nc = manual(visiting, origin=Origin.ITEM, item=item)
    assert Nonconformity.objects.filter(item=item).count() == 2
    assert nc.reference == f"NC-QD-A-{timezone.localdate():%Y%m}-002"


def test_r_rv_4_by_hand_refuses_dissatisfaction_origins_and_a_patrol_that_is_not_one(visiting):
    item = told_item(visiting)
    with pytest.raises(DomainError) as refused:
        manual(visiting, origin=Origin.OWNER_RATING, item=item)
    assert set(refused.value.fields) == {"origin"}
    with pytest.raises(DomainError) as refused:
        manual(visiting, origin=Origin.PATROL, item=item)
    assert set(refused.value.fields) == {"item"}
    patrol = register(visiting, channel=Channel.PATROL)
    assert manual(visiting, origin=Origin.PATROL, item=patrol).origin == Origin.PATROL
    with pytest.raises(DomainError) as refused:
        manual(visiting, origin=Origin.SURVEY)
    assert set(refused.value.fields) == {"survey_reference"}
    assert (
        manual(visiting, origin=Origin.SURVEY, survey_reference="2026年第三季度满意度调查").stage
        == Stage.DRAFT
    )


def test_r_rv_4_raising_needs_quality_raise_at_the_project(visiting):
    with pytest.raises(PermissionDenied):
        services.nonconformity_create(
            actor=visiting.outsider,
            data=services.NonconformityInput(
                project=visiting.project_a, origin=Origin.MANUAL, title="x", description="y"
            ),
        )


# --- the gates ----------------------------------------------------------------------------------------------


def test_r_rv_4_analysis_needs_a_cause_category_and_a_severity(visiting):
    nc = manual(visiting)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_analyse(
            actor=visiting.pm_a, nonconformity=nc, cause_category="", severity="", cause=""
        )
    assert set(refused.value.fields) == {"cause_category", "severity", "cause"}
    assert Nonconformity.objects.get(pk=nc.pk).stage == Stage.DRAFT


def test_r_rv_4_no_action_plan_cannot_start(visiting):
    # given a nonconformity analysed, with no action planned
    nc = walk_to(visiting, manual(visiting), Stage.ACTION_PLAN)
    # when the work is started; then refused, still planning
    with pytest.raises(DomainError) as refused:
        services.nonconformity_start(actor=visiting.pm_a, nonconformity=nc)
    assert refused.value.code == "quality.no_action_plan"
    assert Nonconformity.objects.get(pk=nc.pk).stage == Stage.ACTION_PLAN


def test_r_rv_4_an_action_needs_type_owner_and_deadline_and_its_owner_is_told(
    visiting, django_capture_on_commit_callbacks
):
    nc = walk_to(visiting, manual(visiting), Stage.ACTION_PLAN)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_action_add(
            actor=visiting.pm_a, nonconformity=nc, kind="", description="", owner=None, due_on=None
        )
    assert set(refused.value.fields) == {"kind", "description", "owner", "due_on"}
    with pytest.raises(DomainError) as refused:
        services.nonconformity_action_add(
            actor=visiting.pm_a,
            nonconformity=nc,
            kind=ActionKind.CORRECTION,
            description="x",
            owner=visiting.outsider,
            due_on=timezone.localdate(),
        )
    assert set(refused.value.fields) == {"owner"}
    with django_capture_on_commit_callbacks(execute=True):
        services.nonconformity_action_add(
            actor=visiting.pm_a,
            nonconformity=nc,
            kind=ActionKind.CORRECTION,
            description="更换阀门",
            owner=visiting.executor_a,
            due_on=timezone.localdate(),
        )
    assert Notification.objects.filter(user=visiting.executor_a, title__contains=nc.reference).count() == 1


def test_r_rv_4_verification_waits_for_every_action(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.IN_PROGRESS)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_to_verification(actor=visiting.pm_a, nonconformity=nc)
    assert refused.value.code == "quality.actions_open"


def test_r_rv_4_no_evidence_cannot_close(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_verify(
            actor=visiting.qa_a, nonconformity=nc, verification=services.Verification(evidence="  ")
        )
    assert set(refused.value.fields) == {"evidence"}
    nc.refresh_from_db()
    assert (nc.stage, nc.closed_at) == (Stage.VERIFICATION, None)


def test_r_rv_4_a_verifier_who_owns_an_action_is_refused(visiting):
    # given QA's qa_a owns the nonconformity's action
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION, owner=visiting.qa_a)
    # when qa_a verifies it; then refused; qa_manager_a, who owns none, closes it
    with pytest.raises(DomainError) as refused:
        services.nonconformity_verify(
            actor=visiting.qa_a, nonconformity=nc, verification=services.Verification(evidence="复查合格")
        )
    assert refused.value.code == "quality.verifier_owns_action"
    assert services.verifier_refusal(user=visiting.qa_a, nonconformity=nc)
    closed = services.nonconformity_verify(
        actor=visiting.qa_manager_a, nonconformity=nc, verification=services.Verification(evidence="复查合格")
    )
    assert (closed.stage, closed.verifier, closed.verification_result) == (
        Stage.CLOSED,
        visiting.qa_manager_a,
        VerificationResult.EFFECTIVE,
    )
    assert closed.closed_at is not None


def test_r_rv_4_only_qa_verifies(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION)
    with pytest.raises(PermissionDenied):
        services.nonconformity_verify(
            actor=visiting.pm_a, nonconformity=nc, verification=services.Verification(evidence="x")
        )


def test_r_rv_4_not_effective_goes_back_to_in_progress(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION)
    back = services.nonconformity_verify(
        actor=visiting.qa_a,
        nonconformity=nc,
        verification=services.Verification(evidence="仍有渗漏", result=VerificationResult.NOT_EFFECTIVE),
    )
    assert (back.stage, back.verification_result, back.closed_at) == (
        Stage.IN_PROGRESS,
        VerificationResult.NOT_EFFECTIVE,
        None,
    )
    assert back.events.filter(kind=EventKind.VERIFICATION_FAILED).count() == 1


def _verification_visit(world):
    item = rated_c(world)
    nc = walk_to(world, Nonconformity.objects.get(item=item), Stage.VERIFICATION)
    visit = services.nonconformity_verification_visit_arrange(
        actor=world.qa_a, nonconformity=nc, evidence="已整改，请回访确认。"
    )
    return nc, visit


def test_r_rv_4_revisit_c_is_not_closed_and_goes_back_to_in_progress(visiting):
    # given a verification visit arranged for the item's nonconformity
    nc, visit = _verification_visit(visiting)
    assert (visit.purpose, visit.status) == (Purpose.VERIFICATION, VisitStatus.DUE)
    # when the verification visit comes back C
    return_visit_grade(actor=visiting.visitor_b, visit=visit, result=result(Grade.C))
    # then not closed: back to in progress with the failed verification recorded, and no second nonconformity
    nc.refresh_from_db()
    assert (nc.stage, nc.closed_at, nc.verification_result) == (
        Stage.IN_PROGRESS,
        None,
        VerificationResult.NOT_EFFECTIVE,
    )
    assert Nonconformity.objects.filter(item=nc.item).count() == 1
    failed = nc.events.get(kind=EventKind.VERIFICATION_FAILED)
    assert failed.data == {"grade": "C"}


def test_r_rv_4_revisit_a_closes(visiting):
    nc, visit = _verification_visit(visiting)
    return_visit_grade(actor=visiting.visitor_b, visit=visit, result=result(Grade.A))
    nc.refresh_from_db()
    assert (nc.stage, nc.verifier, nc.verification_result) == (
        Stage.CLOSED,
        visiting.qa_a,
        VerificationResult.EFFECTIVE,
    )
    assert nc.closed_at is not None


def test_r_rv_4_no_close_by_hand_while_the_visit_is_out(visiting):
    nc, _visit = _verification_visit(visiting)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_verify(
            actor=visiting.qa_a, nonconformity=nc, verification=services.Verification(evidence="x")
        )
    assert refused.value.code == "quality.visit_pending"


# --- cancel and reopen --------------------------------------------------------------------------------------


def test_r_rv_4_cancel_needs_a_reason(visiting):
    nc = manual(visiting)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_cancel(actor=visiting.pm_a, nonconformity=nc, reason=" ")
    assert set(refused.value.fields) == {"reason"}
    cancelled = services.nonconformity_cancel(actor=visiting.pm_a, nonconformity=nc, reason="重复登记")
    assert (cancelled.stage, cancelled.cancelled_reason) == (Stage.CANCELLED, "重复登记")


def test_r_rv_4_reopen_clears_the_close_date_and_counts(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.CLOSED)
    assert nc.closed_at is not None
    reopened = services.nonconformity_reopen(
        actor=visiting.qa_manager_a, nonconformity=nc, reason="业主再次投诉"
    )
    assert (reopened.stage, reopened.closed_at, reopened.reopen_count) == (Stage.IN_PROGRESS, None, 1)
    assert reopened.verification_result == ""


def test_r_rv_4_reopen_a_cancelled_one_returns_to_its_stage(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.ACTION_PLAN)
    services.nonconformity_cancel(actor=visiting.pm_a, nonconformity=nc, reason="误报")
    reopened = services.nonconformity_reopen(actor=visiting.pm_a, nonconformity=nc, reason="确认属实")
    assert (reopened.stage, reopened.cancelled_reason, reopened.reopen_count) == (Stage.ACTION_PLAN, "", 1)


def test_r_rv_4_a_stage_out_of_order_is_refused(visiting):
    nc = manual(visiting)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_to_verification(actor=visiting.pm_a, nonconformity=nc)
    assert (refused.value.code, refused.value.status) == ("quality.stage", 409)


def test_r_rv_4_the_record_keeps_every_step(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.CLOSED)
    assert list(nc.events.values_list("kind", flat=True)) == [
        EventKind.RAISED,
        EventKind.ANALYSED,
        EventKind.ANALYSED,
        EventKind.ACTION_ADDED,
        EventKind.STARTED,
        EventKind.ACTION_DONE,
        EventKind.TO_VERIFICATION,
        EventKind.VERIFIED,
    ]


def test_r_rv_4_the_deadline_may_not_be_in_the_past(visiting):
    nc = walk_to(visiting, manual(visiting), Stage.ACTION_PLAN)
    with pytest.raises(DomainError) as refused:
        services.nonconformity_action_add(
            actor=visiting.pm_a,
            nonconformity=nc,
            kind=ActionKind.CORRECTION,
            description="x",
            owner=visiting.executor_a,
            due_on=timezone.localdate() - timedelta(days=1),
        )
    assert set(refused.value.fields) == {"due_on"}
