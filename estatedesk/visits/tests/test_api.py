"""The return-visit API (R-FB-6, R-RV-1 to R-RV-5): list and filters, detail, attempts, the grade with the
visitor rule enforced (403 {code, message, fields}), assign, cancel, arrange, the monthly list, figures;
and for every endpoint, the outsider, an owner and the anonymous get nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.tests.helpers import api_for, assert_error, local
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt
from estatedesk.visits.tests.helpers import told_item
from estatedesk.visits.tests.ui_fixtures import grade_row, make_visit


def api(name: str, visit: ReturnVisit | None = None) -> str:
    return reverse(f"api-visits-{name}", args=[visit.pk] if visit is not None else [])


@pytest.fixture
def visit(visiting):
    item = told_item(visiting, title="厨房水管漏水")
    return make_visit(visiting, item, visitor=visiting.visitor_a, due_at=timezone.now() + timedelta(days=3))


def grade_body(**values):
    body = {
        "grade": "A",
        "customer_said": "很好",
        "channel": "phone",
        "visited_on": f"{timezone.localdate()}",
    }
    body.update(values)
    return body


def test_r_fb_6_api_lists_visits_with_filters_and_masks_phones_for_managers(visiting, visit):
    september = make_visit(visiting, None, customer_key="s", month=date(2026, 9, 1))
    rows = api_for(visiting.pm_a).get(api("list")).json()["results"]
    assert {row["id"] for row in rows} == {september.pk, visit.pk}
    mine = api_for(visiting.visitor_a).get(api("list"), {"visitor": "me", "status": "due"}).json()["results"]
    assert [row["id"] for row in mine] == [visit.pk]
    assert mine[0]["customer_phone"] == "13800001234"
    october = api_for(visiting.pm_a).get(api("list"), {"month": "2026-10", "project": "QD-A"}).json()
    assert [row["id"] for row in october["results"]] == [visit.pk]
    masked = api_for(visiting.branch_manager).get(api("list"), {"month": "2026-10"}).json()["results"]
    assert masked[0]["customer_phone"] == "138****1234"
    assert_error(api_for(visiting.pm_a).get(api("list"), {"month": "10/2026"}), 400, "invalid", {"month"})


def test_r_fb_6_api_list_queries_do_not_grow(visiting, visit):
    client = api_for(visiting.pm_a)

    def add_rows():
        names = []
        for number in range(10):
            name = f"接口客户{number}"
            make_visit(
                visiting, None, customer_key=f"api{number}", customer_name=name, visitor=visiting.visitor_b
            )
            names.append(name)
        return names

    assert_queries_do_not_grow(client, api("list"), add_rows, ceiling=15)


def test_r_rv_api_detail_says_why_a_user_may_not_grade(visiting, visit):
    body = api_for(visiting.agent_a).get(api("detail", visit)).json()
    assert (
        body["grade_refusal"] == "agent_a handled or acted on this feedback and may not visit its customer."
    )
    assert body["items"] == [visit.item.reference]
    assert api_for(visiting.visitor_a).get(api("detail", visit)).json()["grade_refusal"] is None


def test_r_rv_api_attempt_is_counted_never_graded(visiting, visit):
    response = api_for(visiting.visitor_a).post(
        api("attempt-create", visit), {"outcome": "wrong_number"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["outcome"] == "wrong_number"
    visit.refresh_from_db()
    assert (visit.status, visit.grade, visit.attempts.count()) == (VisitStatus.DUE, "", 1)
    refused = api_for(visiting.visitor_a).post(
        api("attempt-create", visit), {"outcome": "rescheduled"}, format="json"
    )
    assert_error(refused, 400, "visits.invalid", {"rescheduled_to"})


def test_r_rv_api_refuses_the_grade_to_who_acted_on_the_item(visiting, visit):
    # agent_a registered the item and told the customer; executor_a did the work (and may not visit at all)
    for user in (visiting.agent_a, visiting.dept_supervisor_a):
        response = api_for(user).post(api("grade", visit), grade_body(), format="json")
        body = assert_error(response, 403, "visits.visitor_not_allowed", {"visitor"})
        assert "may not visit its customer" in body["message"]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DUE


def test_r_rv_5_api_grade_records_the_result(visiting, visit):
    response = api_for(visiting.visitor_a).post(
        api("grade", visit), grade_body(grade="B", recorder=visiting.visitor_b.pk), format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["grade"], body["graded_by"]["name"], body["recorded_by"]["name"]) == (
        "graded",
        "B",
        "visitor_a",
        "visitor_b",
    )
    again = api_for(visiting.visitor_a).post(api("grade", visit), grade_body(), format="json")
    assert_error(again, 409, "visits.not_due")


def test_r_rv_api_assign_refuses_an_ineligible_visitor(visiting, visit):
    refused = api_for(visiting.pm_a).post(
        api("assign", visit), {"visitor": visiting.agent_a.pk}, format="json"
    )
    assert_error(refused, 403, "visits.visitor_not_allowed", {"visitor"})
    done = api_for(visiting.pm_a).post(
        api("assign", visit), {"visitor": visiting.visitor_b.pk}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["visitor"]["id"] == visiting.visitor_b.pk
    assert_error(
        api_for(visiting.visitor_a).post(
            api("assign", visit), {"visitor": visiting.visitor_b.pk}, format="json"
        ),
        403,
        "permission_denied",
    )


def test_r_rv_api_cancel(visiting, visit):
    assert_error(
        api_for(visiting.pm_a).post(api("cancel", visit), {}, format="json"), 400, "invalid", {"reason"}
    )
    response = api_for(visiting.pm_a).post(api("cancel", visit), {"reason": "客户已搬走"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancelled_reason"]) == ("cancelled", "客户已搬走")


def test_r_rv_api_arrange_an_ad_hoc_visit(visiting, visit):
    response = api_for(visiting.pm_a).post(
        api("arrange"),
        {"project": "QD-A", "item": visit.item.reference, "visitor": visiting.visitor_b.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["purpose"], body["item"], body["visitor"]["id"]) == (
        "ad_hoc",
        visit.item.reference,
        visiting.visitor_b.pk,
    )
    refused = api_for(visiting.pm_a).post(
        api("arrange"),
        {"project": "QD-A", "item": visit.item.reference, "visitor": visiting.agent_a.pk},
        format="json",
    )
    assert_error(refused, 403, "visits.visitor_not_allowed", {"visitor"})


def test_r_fb_6_api_monthly_list_for_planners(visiting):
    item = told_item(visiting, registered_at=local(2026, 10, 12, 9))
    response = api_for(visiting.pm_a).post(
        api("monthly-make"), {"project": "QD-A", "month": "2026-10"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["made"] == 1
    again = api_for(visiting.pm_a).post(
        api("monthly-make"), {"project": "QD-A", "month": "2026-10"}, format="json"
    )
    assert again.json()["made"] == 0
    assert [v["item"] for v in again.json()["visits"]] == [item.reference]
    assert_error(
        api_for(visiting.visitor_a).post(
            api("monthly-make"), {"project": "QD-A", "month": "2026-10"}, format="json"
        ),
        403,
        "permission_denied",
    )


def test_api_figures_against_hand_computed_values(visiting):
    due = local(2026, 11, 10, 18)
    for number, grade in enumerate(["A", "A", "B", "C"]):
        grade_row(
            make_visit(visiting, None, customer_key=f"f{number}", due_at=due),
            grade=grade,
            by=visiting.visitor_a,
        )
    missed = make_visit(visiting, None, customer_key="f-due", due_at=due)
    VisitAttempt.objects.create(visit=missed, at=due, outcome="no_answer", by=visiting.visitor_a)
    body = api_for(visiting.pm_a).get(api("figures"), {"month": "2026-11"}).json()
    # coverage 4/5 = 80%; tries 4 graded + 1 attempt, reached 4 → 80%; satisfaction (2+1)/4 = 75%
    assert (body["due"], body["graded"], body["coverage"]) == (5, 4, "80.00")
    assert (body["tries"], body["reached"], body["contact_success"]) == (5, 4, "80.00")
    assert body["totals"] == {"a": 2, "b": 1, "c": 1, "graded": 4, "satisfaction": "75.00"}
    outsider = api_for(visiting.outsider).get(api("figures"), {"month": "2026-11"}).json()
    assert (outsider["due"], outsider["totals"]["satisfaction"]) == (0, None)


# --- who must get nothing -------------------------------------------------------------------------------


def test_visits_api_outsider_gets_nothing_of_project_a(visiting, visit):
    client = api_for(visiting.outsider)
    assert client.get(api("list")).json()["results"] == []
    assert_error(client.get(api("list"), {"project": "QD-A"}), 404, "not_found")
    assert_error(client.get(api("detail", visit)), 404, "not_found")
    writes = {
        "attempt-create": {"outcome": "no_answer"},
        "grade": grade_body(),
        "assign": {"visitor": visiting.outsider.pk},
        "cancel": {"reason": "x"},
    }
    for name, data in writes.items():
        assert_error(client.post(api(name, visit), data, format="json"), 404, "not_found")
    assert_error(client.post(api("arrange"), {"project": "QD-A"}, format="json"), 404, "not_found")
    assert_error(
        client.post(api("monthly-make"), {"project": "QD-A", "month": "2026-10"}, format="json"),
        404,
        "not_found",
    )
    assert_error(client.get(api("figures"), {"project": "QD-A"}), 404, "not_found")
    visit.refresh_from_db()
    assert (visit.status, visit.visitor, visit.attempts.count()) == (VisitStatus.DUE, visiting.visitor_a, 0)
    assert ReturnVisit.objects.count() == 1


def test_visits_api_refuses_an_owner_and_the_anonymous(visiting, visit):
    grade_row(visit, by=visiting.visitor_a)  # graded: the owner may read it on the portal, not here
    owner = api_for(visiting.owner_a)
    anonymous = APIClient()
    for client, status, code in ((owner, 403, "permission_denied"), (anonymous, 401, "not_authenticated")):
        assert_error(client.get(api("list")), status, code)
        assert_error(client.get(api("detail", visit)), status, code)
        assert_error(client.get(api("figures")), status, code)
        assert_error(client.post(api("grade", visit), grade_body(), format="json"), status, code)
        assert_error(
            client.post(api("attempt-create", visit), {"outcome": "no_answer"}, format="json"), status, code
        )
        assert_error(client.post(api("assign", visit), {"visitor": 1}, format="json"), status, code)
        assert_error(client.post(api("cancel", visit), {"reason": "x"}, format="json"), status, code)
        assert_error(client.post(api("arrange"), {"project": "QD-A"}, format="json"), status, code)
        assert_error(
            client.post(api("monthly-make"), {"project": "QD-A", "month": "2026-10"}, format="json"),
            status,
            code,
        )
    assert ReturnVisit.objects.filter(purpose=Purpose.MONTHLY).count() == 1
