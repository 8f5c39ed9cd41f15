"""The staff pages of return visits (R-FB-6, R-RV-1 to R-RV-5): the list and its filters, a visit with its
attempts, the grade form shown only to who may grade (else the reason), assign and cancel for planners,
the printable 附表三, the monthly list made and exported, the figures; and that the outsider, an owner and
an anonymous visitor see and change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.tests.helpers import local
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt
from estatedesk.visits.tests.helpers import told_item
from estatedesk.visits.tests.ui_fixtures import MONTH, grade_row, make_visit


def body(response) -> str:
    return response.content.decode()


def url(name: str, visit: ReturnVisit | None = None) -> str:
    return reverse(f"visits:{name}", args=[visit.pk] if visit is not None else [])


@pytest.fixture
def staff(login):
    def _staff(user):
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff


@pytest.fixture
def visit(visiting):
    """A monthly visit of October for owner_a's told item, given to visitor_a, due in the future."""
    item = told_item(visiting, title="厨房水管漏水")
    return make_visit(visiting, item, visitor=visiting.visitor_a, due_at=timezone.now() + timedelta(days=3))


def grade_data(**values):
    data = {
        "grade": "A",
        "customer_said": "师傅来得很及时。",
        "handling_result": "",
        "channel": "phone",
        "visited_on": f"{timezone.localdate():%Y-%m-%d}",
        "recorder": "",
    }
    data.update(values)
    return data


# --- the list ---------------------------------------------------------------------------------------------


def test_r_fb_6_a_visitor_opens_the_list_on_their_own_due_visits(visiting, visit, staff):
    other = make_visit(visiting, None, customer_key="x", customer_name="别人", visitor=visiting.visitor_b)
    client = staff(visiting.visitor_a)
    page = client.get(url("visit_list"))
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["visitor"].value(), form["status"].value()) == ("mine", "due")
    assert [v.pk for v in page.context["page"].object_list] == [visit.pk]
    assert other.pk not in [v.pk for v in page.context["page"].object_list]


def test_r_fb_6_list_filters_by_month_status_purpose_project_and_visitor(visiting, visit, staff):
    september = make_visit(
        visiting, None, customer_key="s", month=date(2026, 9, 1), visitor=visiting.visitor_b
    )
    ad_hoc = make_visit(visiting, None, customer_key="h", purpose=Purpose.AD_HOC, month=None)
    graded = grade_row(
        make_visit(visiting, None, customer_key="g", visitor=visiting.visitor_b), by=visiting.visitor_b
    )
    b_visit = make_visit(
        visiting, None, project=visiting.project_a2, customer_key="b", customer_name="绿溪苑客户"
    )
    client = staff(visiting.pm_a)

    def shown(**query):
        response = client.get(url("visit_list"), {"all": "1", **query})
        assert response.status_code == 200
        return {v.pk for v in response.context["page"].object_list}

    assert shown() == {visit.pk, september.pk, ad_hoc.pk, graded.pk}  # pm_a covers project A only
    assert shown(month="2026-10") == {visit.pk, graded.pk}
    assert shown(month="2026-09") == {september.pk}
    assert shown(status=VisitStatus.GRADED) == {graded.pk}
    assert shown(purpose=Purpose.AD_HOC) == {ad_hoc.pk}
    assert shown(project="QD-A") == {visit.pk, september.pk, ad_hoc.pk, graded.pk}
    assert shown(visitor=str(visiting.visitor_b.pk)) == {september.pk, graded.pk}
    assert shown(month="not-a-month") == shown()  # an edited address: the bad filter is dropped
    branch = staff(visiting.branch_manager)
    response = branch.get(url("visit_list"), {"project": "QD-B"})
    assert {v.pk for v in response.context["page"].object_list} == {b_visit.pk}


def test_r_fb_6_list_queries_do_not_grow(visiting, visit, staff):
    grade_row(
        make_visit(visiting, None, customer_key="g0", visitor=visiting.visitor_b), by=visiting.visitor_b
    )

    def add_rows():
        names = []
        for number in range(12):
            name = f"客户{number:02d}号"
            make_visit(
                visiting,
                None,
                customer_key=f"many{number}",
                customer_name=name,
                visitor=visiting.visitor_b if number % 2 else visiting.visitor_a,
            )
            names.append(name)
        return names

    assert_queries_do_not_grow(staff(visiting.pm_a), url("visit_list") + "?all=1", add_rows, ceiling=25)


# --- one visit: attempts, grade shown or refused ---------------------------------------------------------


def test_r_rv_5_visit_page_shows_items_and_the_grade_form_to_an_eligible_visitor(visiting, visit, staff):
    response = staff(visiting.visitor_a).get(url("visit_detail", visit))
    assert response.status_code == 200
    page = body(response)
    assert 'data-testid="grade-form"' in page
    assert 'data-testid="attempt-form"' in page
    assert 'data-testid="assign-form"' not in page  # a CS agent does not plan
    assert "厨房水管漏水" in page
    assert visit.item.reference in page
    assert "13800001234" in page  # an agent calls owners


def test_r_rv_visit_page_refuses_the_grade_to_who_acted_on_the_item_and_says_why(visiting, visit, staff):
    # given agent_a, who registered the item and told the customer
    response = staff(visiting.agent_a).get(url("visit_detail", visit))
    page = body(response)
    # then no grade form, but the reason
    assert 'data-testid="grade-form"' not in page
    assert (
        response.context["grade_refusal"]
        == "agent_a handled or acted on this feedback and may not visit its customer."
    )
    assert "agent_a handled or acted on this feedback" in page
    # and posting the grade anyway is refused by the service
    posted = staff(visiting.agent_a).post(url("visit_grade", visit), grade_data())
    assert posted.status_code == 403
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DUE


def test_r_rv_attempt_is_recorded_and_never_counted_as_a_grade(visiting, visit, staff):
    client = staff(visiting.visitor_a)
    response = client.post(url("visit_attempt", visit), {"outcome": "no_answer", "note": "响铃无人接"})
    assert response.status_code == 302
    attempt = VisitAttempt.objects.get(visit=visit)
    assert (attempt.outcome, attempt.note, attempt.by) == ("no_answer", "响铃无人接", visiting.visitor_a)
    visit.refresh_from_db()
    assert (visit.status, visit.grade) == (VisitStatus.DUE, "")
    page = body(client.get(url("visit_detail", visit)))
    assert 'data-testid="attempt-count">1<' in page
    assert 'data-testid="grade-form"' in page  # still to be graded


def test_r_rv_rescheduled_attempt_needs_the_agreed_time(visiting, visit, staff):
    client = staff(visiting.visitor_a)
    response = client.post(url("visit_attempt", visit), {"outcome": "rescheduled"})
    assert response.status_code == 400
    assert response.context["attempt_form"].errors["rescheduled_to"] == [
        "Give the time the customer agreed to."
    ]
    later = timezone.localtime() + timedelta(days=5)
    response = client.post(
        url("visit_attempt", visit), {"outcome": "rescheduled", "rescheduled_to": f"{later:%Y-%m-%dT%H:%M}"}
    )
    assert response.status_code == 302
    assert VisitAttempt.objects.get(visit=visit).rescheduled_to is not None


def test_r_rv_5_grade_records_the_result_with_a_recorder(visiting, visit, staff):
    client = staff(visiting.visitor_a)
    response = client.post(
        url("visit_grade", visit), grade_data(grade="B", recorder=str(visiting.visitor_b.pk))
    )
    assert response.status_code == 302, response.context and response.context["grade_form"].errors
    visit.refresh_from_db()
    assert (visit.status, visit.grade, visit.graded_by, visit.recorded_by) == (
        VisitStatus.GRADED,
        Grade.B,
        visiting.visitor_a,
        visiting.visitor_b,
    )
    page = body(client.get(url("visit_detail", visit)))
    assert 'data-testid="grade-form"' not in page
    assert 'data-testid="attempt-form"' not in page


def test_r_rv_3_grade_c_shows_the_link_to_the_separate_visit(visiting, visit, staff):
    client = staff(visiting.visitor_a)
    response = client.post(url("visit_grade", visit), grade_data(grade="C", customer_said="还在漏水"))
    assert response.status_code == 302
    follow_up = ReturnVisit.objects.get(parent=visit, purpose=Purpose.SERIOUS)
    page = body(client.get(url("visit_detail", visit)))
    assert f'href="{url("visit_detail", follow_up)}" data-testid="follow-up-link"' in page
    child = body(staff(visiting.pm_a).get(url("visit_detail", follow_up)))
    assert f'href="{url("visit_detail", visit)}" data-testid="parent-link"' in child


def test_r_rv_2_paid_service_grade_asks_whether_quality_was_met(visiting, staff):
    item = told_item(visiting, is_paid_service=True)
    visit = make_visit(
        visiting,
        item,
        purpose=Purpose.PAID_SERVICE,
        month=None,
        visitor=visiting.qa_a,
        due_at=timezone.now() + timedelta(days=2),
    )
    client = staff(visiting.qa_a)
    assert 'name="quality_met"' in body(client.get(url("visit_detail", visit)))
    missing = client.post(url("visit_grade", visit), grade_data())
    assert missing.status_code == 400
    assert client.post(url("visit_grade", visit), grade_data(quality_met="no")).status_code == 302
    visit.refresh_from_db()
    assert visit.quality_met is False


def test_r_rv_assign_offers_only_eligible_visitors(visiting, visit, staff):
    client = staff(visiting.pm_a)
    response = client.get(url("visit_detail", visit))
    offered = {value for value, _label in response.context["assign_form"].fields["visitor"].choices if value}
    assert visiting.visitor_b.pk in offered
    assert visiting.agent_a.pk not in offered  # registered and told the customer
    assert visiting.dept_supervisor_a.pk not in offered  # supervised the item
    assert visiting.pm_a.pk not in offered  # arranged the work
    refused = client.post(url("visit_assign", visit), {"visitor": visiting.agent_a.pk})
    assert refused.status_code == 400  # not a choice
    assert client.post(url("visit_assign", visit), {"visitor": visiting.visitor_b.pk}).status_code == 302
    visit.refresh_from_db()
    assert visit.visitor == visiting.visitor_b


def test_r_rv_cancel_needs_a_reason_and_a_planner(visiting, visit, staff):
    assert staff(visiting.visitor_a).post(url("visit_cancel", visit), {"reason": "搬走了"}).status_code == 403
    client = staff(visiting.pm_a)
    assert client.post(url("visit_cancel", visit), {"reason": ""}).status_code == 400
    assert client.post(url("visit_cancel", visit), {"reason": "客户已搬走"}).status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.cancelled_reason) == (VisitStatus.CANCELLED, "客户已搬走")


def test_r_rv_5_visit_pdf_for_staff_only(visiting, visit, staff):
    response = staff(visiting.pm_a).get(url("visit_pdf", visit))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


# --- the monthly list: made and exported ----------------------------------------------------------------


def test_r_fb_6_a_planner_makes_the_monthly_list_from_the_page(visiting, staff):
    item = told_item(visiting, registered_at=local(2026, 10, 12, 9))
    client = staff(visiting.pm_a)
    response = client.post(url("monthly_make"), {"project": "QD-A", "month": "2026-10"})
    assert response.status_code == 302
    made = ReturnVisit.objects.get(project=visiting.project_a, purpose=Purpose.MONTHLY, month=MONTH)
    assert list(made.covered_items.all()) == [item]
    assert made.visitor not in (None, visiting.agent_a, visiting.pm_a, visiting.executor_a)
    assert (
        staff(visiting.visitor_a)
        .post(url("monthly_make"), {"project": "QD-A", "month": "2026-10"})
        .status_code
        == 403
    )


def test_r_fb_6_export_page_masks_phones_for_the_branch_manager(visiting, visit, staff, tmp_path):
    from estatedesk.visits.tests.test_export import read_rows

    response = staff(visiting.branch_manager).get(
        url("monthly_export"), {"project": "QD-A", "month": "2026-10"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    path = str(tmp_path / "export.xlsx")
    with open(path, "wb") as handle:
        handle.write(b"".join(response.streaming_content))
    rows = read_rows(path)
    assert [row[1] for row in rows[1:]] == ["138****1234"]


# --- the figures ----------------------------------------------------------------------------------------


def test_figures_page_shows_the_counts_beside_each_rate(visiting, staff):
    due = local(2026, 11, 10, 18)
    for number, grade in enumerate(["A", "B", "C"]):
        grade_row(
            make_visit(visiting, None, customer_key=f"f{number}", due_at=due),
            grade=grade,
            by=visiting.visitor_a,
        )
    make_visit(visiting, None, customer_key="f-due", due_at=due)
    response = staff(visiting.pm_a).get(url("figures"), {"month": "2026-11"})
    assert response.status_code == 200
    page = body(response)
    assert 'data-testid="coverage">75.00%' in page
    assert 'data-testid="coverage-counts">(3 / 4)' in page
    assert 'data-testid="satisfaction">66.67%' in page
    assert 'data-testid="satisfaction-counts">(2 / 3)' in page
    assert 'id="visit-figures-data"' in page
    assert "<script>" not in page  # the chart is drawn by a static file
    assert "visits/figures.js" in page
    outsider = staff(visiting.outsider).get(url("figures"), {"month": "2026-11"})
    assert 'data-testid="coverage-counts">(0 / 0)' in body(outsider)


# --- who must see nothing -------------------------------------------------------------------------------


def test_visits_outsider_sees_and_changes_nothing_of_project_a(visiting, visit, staff):
    client = staff(visiting.outsider)
    listing = client.get(url("visit_list"), {"all": "1"})
    assert listing.status_code == 200
    assert list(listing.context["page"].object_list) == []
    for name in ("visit_detail", "visit_pdf"):
        assert client.get(url(name, visit)).status_code == 404, name
    posts = {
        "visit_attempt": {"outcome": "no_answer"},
        "visit_grade": grade_data(),
        "visit_assign": {"visitor": visiting.outsider.pk},
        "visit_cancel": {"reason": "x"},
    }
    for name, data in posts.items():
        assert client.post(url(name, visit), data).status_code == 404, name
    assert client.get(url("monthly_export"), {"project": "QD-A", "month": "2026-10"}).status_code == 404
    client.post(url("monthly_make"), {"project": "QD-A", "month": "2026-10"})
    assert client.get(url("figures"), {"project": "QD-A"}).status_code == 404
    visit.refresh_from_db()
    assert (visit.status, visit.visitor, visit.attempts.count()) == (VisitStatus.DUE, visiting.visitor_a, 0)
    assert ReturnVisit.objects.count() == 1


def test_visits_pages_refuse_an_owner_and_send_the_anonymous_to_login(visiting, visit, staff, client):
    owner = staff(visiting.owner_a)
    assert owner.get(url("visit_list")).status_code == 403
    assert owner.get(url("visit_detail", visit)).status_code == 403
    assert owner.get(url("figures")).status_code == 403
    assert owner.get(url("monthly_export"), {"project": "QD-A", "month": "2026-10"}).status_code == 403
    for target in (
        url("visit_list"),
        url("visit_detail", visit),
        url("visit_pdf", visit),
        url("figures"),
        url("monthly_export"),
    ):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(url("visit_grade", visit), grade_data()).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DUE
