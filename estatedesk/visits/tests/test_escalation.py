"""R-FB-6: a late return visit escalates through the feedback clocks' engine: once per level (the CS
supervisor at the due time, the project manager VisitRules.escalation_hours of working time later, on the
project's calendar), never once graded or cancelled, and a failing visit is logged and skipped."""

from __future__ import annotations

import logging

import pytest

from estatedesk.feedback.tests.helpers import local
from estatedesk.notifications.models import Notification
from estatedesk.visits import escalation
from estatedesk.visits.choices import Grade, Purpose
from estatedesk.visits.escalation import visit_sweep
from estatedesk.visits.models import ReturnVisit, VisitEscalation
from estatedesk.visits.services import return_visit_arrange, return_visit_cancel, return_visit_grade
from estatedesk.visits.tests.helpers import result, told_item

pytestmark = pytest.mark.usefixtures("english")

DUE = local(2026, 11, 24, 10)  # a Tuesday; the service centre is open 08:00-20:00


def late_visit(world, due_at=DUE, purpose=Purpose.AD_HOC):
    item = told_item(world, is_paid_service=purpose == Purpose.PAID_SERVICE)
    actor = world.qa_manager_a if purpose == Purpose.PAID_SERVICE else world.supervisor_a
    visit = return_visit_arrange(
        actor=actor, purpose=purpose, project=world.project_a, item=item, visitor=None
    )
    ReturnVisit.objects.filter(pk=visit.pk).update(due_at=due_at, escalation_due_at=due_at)
    visit.refresh_from_db()
    return visit


def overdue_titles(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, title__startswith="Return visit overdue").values_list(
            "title", flat=True
        )
    )


def levels(visit) -> list[tuple[int, list[int]]]:
    return list(
        VisitEscalation.objects.filter(visit=visit).order_by("level").values_list("level", "notified")
    )


def test_r_fb_6_a_late_visit_goes_to_the_cs_supervisor_once_then_to_the_project_manager(visiting):
    visit = late_visit(visiting)

    first = visit_sweep(now=local(2026, 11, 24, 10, 1))
    again = visit_sweep(now=local(2026, 11, 24, 10, 2))
    before_level_2 = visit_sweep(now=local(2026, 11, 24, 17, 59))
    second = visit_sweep(now=local(2026, 11, 24, 18, 1))  # 8 working hours after the due time
    after = visit_sweep(now=local(2026, 11, 30, 9))

    assert (first, again, before_level_2, second, after) == (1, 0, 0, 1, 0)
    assert levels(visit) == [(1, [visiting.supervisor_a.pk]), (2, [visiting.pm_a.pk])]
    assert len(overdue_titles(visiting.supervisor_a)) == 1
    assert overdue_titles(visiting.pm_a) == [f"Return visit overdue (level 2): {visit}"]
    visit.refresh_from_db()
    assert (visit.escalation_level, visit.escalation_due_at) == (2, None)


def test_r_fb_6_the_next_level_counts_working_hours_only(visiting):
    visit = late_visit(visiting, due_at=local(2026, 11, 24, 19))

    visit_sweep(now=local(2026, 11, 24, 19, 1))
    visit.refresh_from_db()

    # 1 hour left on Tuesday, 7 on Wednesday from 08:00: level 2 at 15:00
    assert visit.escalation_due_at == local(2026, 11, 25, 15)


def test_r_fb_6_a_sweep_that_misses_a_level_makes_both_at_once(visiting):
    visit = late_visit(visiting)

    made = visit_sweep(now=local(2026, 11, 26, 9))

    assert made == 2
    assert [level for level, _ in levels(visit)] == [1, 2]


def test_r_rv_2_a_late_paid_service_visit_goes_to_the_qa_manager(visiting):
    visit = late_visit(visiting, purpose=Purpose.PAID_SERVICE)

    visit_sweep(now=local(2026, 11, 24, 10, 1))

    assert levels(visit) == [(1, [visiting.qa_manager_a.pk])]


def test_r_fb_6_a_graded_or_cancelled_visit_never_escalates(visiting):
    graded = late_visit(visiting)
    return_visit_grade(actor=visiting.visitor_a, visit=graded, result=result(Grade.A))
    cancelled = late_visit(visiting)
    return_visit_cancel(actor=visiting.supervisor_a, visit=cancelled, reason="业主出国")

    made = visit_sweep(now=local(2026, 11, 30, 9))

    assert made == 0
    assert not VisitEscalation.objects.exists()


def test_r_fb_6_a_failing_visit_is_logged_and_skipped(visiting, monkeypatch, caplog):
    broken = late_visit(visiting)
    fine = late_visit(visiting, due_at=local(2026, 11, 24, 10, 30))
    real = escalation._escalate

    def fail_for_broken(run, visit, *, level):
        if visit.pk == broken.pk:
            raise RuntimeError("boom")
        real(run, visit, level=level)

    monkeypatch.setattr(escalation, "_escalate", fail_for_broken)

    with caplog.at_level(logging.ERROR, logger="estatedesk.visits.escalation"):
        made = visit_sweep(now=local(2026, 11, 24, 11))

    assert made == 1
    assert levels(fine) == [(1, [visiting.supervisor_a.pk])]
    assert levels(broken) == []
    broken.refresh_from_db()
    assert broken.escalation_due_at == local(2026, 11, 24, 11) + escalation.RETRY_DELAY
    assert f"visit {broken.pk} failed" in caplog.text
