"""R-RV-2: a paid service gets one QA return visit once the customer is told (a sweep every 5 minutes:
feedback cannot call visits), asking whether the customer was satisfied and whether the work met quality
requirements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from estatedesk.common.errors import DomainError
from estatedesk.common.scheduling import periodic_jobs
from estatedesk.feedback.tests.helpers import register, walk
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.services import paid_service_visits_sweep, return_visit_grade
from estatedesk.visits.tests.helpers import result, told_item

pytestmark = pytest.mark.usefixtures("english")


def test_r_rv_2_a_told_paid_service_gets_one_qa_visit(visiting):
    qa = Department.objects.create(
        company=visiting.company, branch=visiting.branch_a, kind=DepartmentKind.QUALITY, name="品质部"
    )
    item = told_item(visiting, is_paid_service=True)

    made = paid_service_visits_sweep()
    again = paid_service_visits_sweep()

    visit = ReturnVisit.objects.get(purpose=Purpose.PAID_SERVICE)
    assert (made, again) == (1, 0)
    assert (visit.item, visit.status, visit.department) == (item, VisitStatus.DUE, qa)
    assert visit.visitor == visiting.qa_a  # QA staff of the project, in turn
    assert visit.due_at > timezone.now()


def test_r_rv_2_not_before_the_customer_is_told_nor_for_other_items(visiting):
    walk(visiting, register(visiting, is_paid_service=True), until="complete")
    told_item(visiting)  # not a paid service

    assert paid_service_visits_sweep() == 0
    assert not ReturnVisit.objects.exists()


def test_r_rv_2_not_for_items_told_long_ago(visiting):
    told_item(visiting, is_paid_service=True)

    assert paid_service_visits_sweep(now=timezone.now() + timedelta(days=31)) == 0


def test_r_rv_2_the_grade_records_whether_the_work_met_quality_requirements(visiting):
    told_item(visiting, is_paid_service=True)
    paid_service_visits_sweep()
    visit = ReturnVisit.objects.get(purpose=Purpose.PAID_SERVICE)

    with pytest.raises(DomainError) as refused:
        return_visit_grade(actor=visiting.qa_a, visit=visit, result=result(Grade.A))
    graded = return_visit_grade(actor=visiting.qa_a, visit=visit, result=result(Grade.B, quality_met=False))

    assert set(refused.value.fields) == {"quality_met"}
    assert (graded.grade, graded.quality_met) == ("B", False)


def test_r_rv_2_an_agent_may_not_grade_a_paid_service_visit(visiting):
    told_item(visiting, is_paid_service=True)
    paid_service_visits_sweep()
    visit = ReturnVisit.objects.get(purpose=Purpose.PAID_SERVICE)

    with pytest.raises(DomainError) as refused:
        return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A, quality_met=True))

    assert refused.value.message == "A paid service is visited by the QA department."


def test_r_rv_2_the_sweep_runs_every_5_minutes():
    assert str(periodic_jobs()["visits.paid_service"].rule) == "every 5 minutes"
