"""Who may visit (issue 12, item 2; R-RV-1, R-RV-2): nobody who held or acted on the item, from its
timeline — its handler, an earlier handler, an escalation recipient, the registrant unless the company
allows it — checked by the one function the services, the API and the picker use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from estatedesk.common.errors import DomainError
from estatedesk.feedback.appointments import feedback_item_hand_over
from estatedesk.feedback.escalation import sla_sweep
from estatedesk.feedback.models import Escalation
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.tests.helpers import add_member, register, walk
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department
from estatedesk.visits.choices import Grade, Purpose
from estatedesk.visits.eligibility import visitor_refusal
from estatedesk.visits.models import ReturnVisit, VisitRules
from estatedesk.visits.selectors import eligible_visitors
from estatedesk.visits.services import return_visit_arrange, return_visit_assign, return_visit_grade
from estatedesk.visits.tests.helpers import result, told_item

pytestmark = pytest.mark.usefixtures("english")


def visit_about(world, item, purpose=Purpose.AD_HOC, **values):
    return return_visit_arrange(
        actor=world.supervisor_a if purpose != Purpose.PAID_SERVICE else world.qa_manager_a,
        purpose=purpose,
        project=world.project_a,
        item=item,
        **values,
    )


def test_r_rv_5_visitor_rule_the_handler_may_not_visit_nor_grade(visiting):
    item = told_item(visiting)
    visit = visit_about(visiting, item)

    refusals = {
        name: visitor_refusal(visit=visit, user=visiting.users[name])
        for name in ("executor_a", "dept_supervisor_a")
    }
    with pytest.raises(DomainError) as graded:
        return_visit_grade(
            actor=visiting.visitor_a, visit=visit, result=result(Grade.A, visitor=visiting.executor_a)
        )
    with pytest.raises(DomainError) as assigned:
        return_visit_assign(actor=visiting.supervisor_a, visit=visit, visitor=visiting.dept_supervisor_a)

    assert refusals == {
        "executor_a": "executor_a handled or acted on this feedback and may not visit its customer.",
        "dept_supervisor_a": (
            "dept_supervisor_a handled or acted on this feedback and may not visit its customer."
        ),
    }
    assert (graded.value.code, graded.value.status, set(graded.value.fields)) == (
        "visits.visitor_not_allowed",
        403,
        {"visitor"},
    )
    assert assigned.value.code == "visits.visitor_not_allowed"


def test_r_rv_5_visitor_rule_whoever_took_steps_may_not_visit(
    visiting,
):
    item = told_item(visiting)
    visit = visit_about(visiting, item)

    assert visitor_refusal(visit=visit, user=visiting.pm_a) is not None  # arranged the handling
    assert visitor_refusal(visit=visit, user=visiting.agent_a) is not None  # contacted, told the customer
    assert visitor_refusal(visit=visit, user=visiting.visitor_a) is None


def test_r_rv_5_visitor_rule_an_earlier_handler_may_not_visit(visiting):
    executor_b = add_member(visiting, "executor_b", Role.EXECUTOR, project=visiting.project_a)
    item = walk(visiting, register(visiting), until="arrange")  # pm_a gave the job to executor_a
    item = feedback_item_hand_over(actor=visiting.pm_a, item=item, to_id=executor_b.pk, note="换人")
    for step, note, data in (
        ("start", "", {}),
        ("complete", "修好了", {}),
        ("inform_cs", "", {}),
    ):
        item = feedback_item_step(
            actor=executor_b, item=item, step=step, version=item.version, note=note, data=data
        )
    item = feedback_item_step(
        actor=visiting.agent_a,
        item=item,
        step="inform_customer",
        version=item.version,
        note="已告知",
        data={"how": "phone"},
    )
    visit = visit_about(visiting, item)

    # executor_a never touched it, but held it before the hand-over
    assert item.executor == executor_b
    assert visitor_refusal(visit=visit, user=visiting.executor_a) == (
        "executor_a handled or acted on this feedback and may not visit its customer."
    )


def test_r_rv_5_visitor_rule_an_escalation_recipient_may_not_visit(visiting):
    item = register(visiting, registered_at=timezone.now() - timedelta(days=3))
    sla_sweep(now=timezone.now())
    item = walk(visiting, item, until="inform_customer")
    visit = visit_about(visiting, item)

    notified = {pk for row in Escalation.objects.filter(item=item) for pk in row.notified}
    assert visiting.supervisor_a.pk in notified  # the CS supervisor was told of the late contact
    assert visitor_refusal(visit=visit, user=visiting.supervisor_a) == (
        "supervisor_a was told of an escalation of this feedback and may not visit its customer."
    )
    assert visiting.supervisor_a not in eligible_visitors(visit=visit)


def test_r_rv_5_visitor_rule_the_registrant_may_visit_only_when_the_company_says_so(visiting):
    item = register(visiting, actor=visiting.visitor_b)
    visit = visit_about(visiting, item)

    refused = visitor_refusal(visit=visit, user=visiting.visitor_b)
    VisitRules.objects.create(company=visiting.company, registrant_may_visit=True)
    allowed = visitor_refusal(visit=visit, user=visiting.visitor_b)

    assert refused == (
        "visitor_b registered this feedback; the company's rules do not let the person who registered an "
        "item visit its customer."
    )
    assert allowed is None


def test_r_rv_5_visitor_rule_a_monthly_visit_bars_whoever_acted_on_any_item_it_covers(visiting):
    first = told_item(visiting)
    second = register(visiting, actor=visiting.visitor_b, resident=first.resident, unit=visiting.unit_a)
    visit = visit_about(visiting, first)
    visit.covered_items.set([first, second])

    assert visitor_refusal(visit=visit, user=visiting.visitor_b) is not None
    assert [u.username for u in eligible_visitors(visit=visit)] == [
        "qa_a",
        "qa_manager_a",
        "supervisor_a",
        "visitor_a",
    ]


def test_r_rv_1_a_cs_survey_is_checked_by_the_project_manager(visiting):
    cs = Department.objects.get(project=visiting.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    visit = return_visit_arrange(
        actor=visiting.supervisor_a, purpose=Purpose.SURVEY_CHECK, project=visiting.project_a, department=cs
    )

    assert visitor_refusal(visit=visit, user=visiting.pm_a) is None
    assert visitor_refusal(visit=visit, user=visiting.visitor_a) == (
        "A survey of the customer-service department is checked by the project manager."
    )
    assert visitor_refusal(visit=visit, user=visiting.qa_manager_a) is not None
    assert eligible_visitors(visit=visit) == [visiting.pm_a]


def test_r_rv_1_a_qa_survey_is_checked_by_the_qa_manager(visiting):
    qa = Department.objects.create(
        company=visiting.company, branch=visiting.branch_a, kind=DepartmentKind.QUALITY, name="品质部"
    )
    visit = return_visit_arrange(
        actor=visiting.qa_manager_a, purpose=Purpose.SURVEY_CHECK, project=visiting.project_a, department=qa
    )

    assert visitor_refusal(visit=visit, user=visiting.qa_manager_a) is None
    assert (
        visitor_refusal(visit=visit, user=visiting.pm_a)
        == "A survey of the QA department is checked by the QA manager."
    )
    assert eligible_visitors(visit=visit) == [visiting.qa_manager_a]


def test_r_rv_1_a_survey_check_says_which_department_ran_the_survey(visiting):
    with pytest.raises(DomainError) as refused:
        return_visit_arrange(
            actor=visiting.supervisor_a, purpose=Purpose.SURVEY_CHECK, project=visiting.project_a
        )

    assert set(refused.value.fields) == {"department"}
    assert not ReturnVisit.objects.exists()


def test_r_rv_2_a_paid_service_is_visited_by_qa(visiting):
    item = told_item(visiting, is_paid_service=True)
    visit = visit_about(visiting, item, Purpose.PAID_SERVICE)

    assert (
        visitor_refusal(visit=visit, user=visiting.visitor_a)
        == "A paid service is visited by the QA department."
    )
    assert visitor_refusal(visit=visit, user=visiting.qa_a) is None
    assert [u.username for u in eligible_visitors(visit=visit)] == ["qa_a", "qa_manager_a"]


def test_someone_without_visits_record_at_the_project_may_not_visit(visiting):
    item = told_item(visiting)
    visit = visit_about(visiting, item)

    assert (
        visitor_refusal(visit=visit, user=visiting.outsider)
        == "outsider may not make return visits at this project."
    )
    assert visitor_refusal(visit=visit, user=visiting.hq) == "hq may not make return visits at this project."
