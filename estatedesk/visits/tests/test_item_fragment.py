"""The return visits of a feedback item on feedback's staff page of the item (R-RV-3, R-RV-5): a fragment
loaded by htmx after the page (`visits:item_visits`), listing the item's visits (its own and the monthly
visits covering it) with purpose, status, grade, visitor and due date; 204 when there is none; scoped
through the item (404 for the outsider, 403 for an owner, the sign-in page for anonymous)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from estatedesk.common.testing import assert_queries_do_not_grow, count_queries
from estatedesk.visits import services
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.tests.helpers import result, told_item
from estatedesk.visits.tests.ui_fixtures import make_visit


@pytest.fixture
def staff(login):
    def _staff(user):
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff


def fragment_url(item) -> str:
    return reverse("visits:item_visits", args=[item.reference])


def rows(response) -> list[tuple[int, str, str]]:
    return [(v.pk, v.purpose, v.status) for v in response.context["visits"]]


def test_r_rv_3_the_item_fragment_lists_the_visit_graded_c_and_its_separate_visit(visiting, staff):
    # given an item told to its customer, visited by visitor_a who graded it C (R-RV-3 arranges the
    # separate visit on serious dissatisfaction)
    item = told_item(visiting, title="楼道漏水")
    visit = services.return_visit_arrange(
        actor=visiting.supervisor_a,
        purpose=Purpose.AD_HOC,
        project=visiting.project_a,
        item=item,
        visitor=visiting.visitor_a,
    )
    services.return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.C))
    serious = ReturnVisit.objects.get(parent=visit, purpose=Purpose.SERIOUS)
    # when A's CS supervisor's page loads the fragment
    response = staff(visiting.supervisor_a).get(fragment_url(item))
    # then it lists both visits in the order they were arranged, with a link to each, grade and visitor
    assert response.status_code == 200
    assert rows(response) == [
        (visit.pk, Purpose.AD_HOC, VisitStatus.GRADED),
        (serious.pk, Purpose.SERIOUS, VisitStatus.DUE),
    ]
    text = response.content.decode()
    assert f'href="{reverse("visits:visit_detail", args=[visit.pk])}"' in text
    assert f'href="{reverse("visits:visit_detail", args=[serious.pk])}"' in text
    assert 'data-testid="item-visit-grade">C Unsatisfied<' in text
    assert "Visitor: visitor_a" in text
    assert "Visit on serious dissatisfaction" in text
    assert f"visit by {timezone.localtime(serious.due_at):%Y-%m-%d %H:%M}" in text


def test_r_fb_6_the_item_fragment_lists_the_monthly_visit_covering_the_item(visiting, staff):
    # given a monthly visit whose main item is the customer's other item, covering this one too
    item = told_item(visiting, title="电梯异响")
    later = told_item(visiting, title="门禁失灵")
    monthly = make_visit(visiting, later, visitor=visiting.visitor_b)
    monthly.covered_items.add(item)
    # when the fragment of the covered item is loaded
    response = staff(visiting.supervisor_a).get(fragment_url(item))
    # then the monthly visit is listed
    assert response.status_code == 200
    assert rows(response) == [(monthly.pk, Purpose.MONTHLY, VisitStatus.DUE)]


def test_r_rv_5_the_item_fragment_is_204_when_the_item_has_no_visit(visiting, staff):
    # given an item nobody visited
    item = told_item(visiting)
    # when its fragment is loaded
    response = staff(visiting.supervisor_a).get(fragment_url(item))
    # then nothing is sent, and the page keeps its placeholder
    assert response.status_code == 204
    assert response.content == b""


def test_r_rv_5_the_item_fragment_refuses_the_outsider_an_owner_and_anonymous(visiting, staff, client):
    # given an item of project A with a visit
    item = told_item(visiting)
    make_visit(visiting, item)
    url = fragment_url(item)
    # when the outsider (staff of another branch), the item's own owner and an anonymous visitor ask
    outsider = staff(visiting.outsider).get(url)
    owner = staff(visiting.owner_a).get(url)
    anonymous = client.get(url)
    # then the outsider is told it does not exist, the owner may not read staff fragments, anonymous signs in
    assert outsider.status_code == 404
    assert owner.status_code == 403
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    for response in (outsider, owner):
        assert "沈业主" not in response.content.decode()
    # and an item that does not exist is a 404 too
    assert staff(visiting.supervisor_a).get(reverse("visits:item_visits", args=["QD-A-0"])).status_code == 404


def test_r_rv_5_the_item_fragment_answers_get_only(visiting, staff):
    item = told_item(visiting)
    make_visit(visiting, item)
    assert staff(visiting.supervisor_a).post(fragment_url(item)).status_code == 405


def test_r_rv_5_the_item_fragment_makes_as_many_queries_with_many_visits_as_with_one(visiting, staff):
    # given an item with one graded visit
    item = told_item(visiting)
    first = make_visit(visiting, item, visitor=visiting.visitor_a)
    first.status, first.grade, first.graded_by = VisitStatus.GRADED, Grade.A, visiting.visitor_a
    first.save()
    people = [visiting.visitor_b, visiting.qa_a, visiting.qa_manager_a, visiting.supervisor_a]

    def add_rows():
        for number, person in enumerate(people):
            make_visit(
                visiting,
                item,
                purpose=Purpose.AD_HOC,
                month=None,
                customer_key=f"many-{number}",
                visitor=person,
                due_at=timezone.now() + timedelta(days=number + 1),
            )
        return [f"Visitor: {person}" for person in people]

    # then the fragment's queries do not grow with the visits
    assert_queries_do_not_grow(staff(visiting.supervisor_a), fragment_url(item), add_rows, ceiling=12)


def test_r_rv_5_the_item_page_loads_both_slots_after_the_page_without_a_query_of_its_own(visiting, staff):
    # given an item with a visit
    item = told_item(visiting)
    client = staff(visiting.supervisor_a)
    page_url = reverse("feedback:item_detail", args=[item.reference])
    client.get(page_url)
    before, _response, _sql = count_queries(client, page_url)
    make_visit(visiting, item)
    # when the item's staff page is shown
    after, response, sql = count_queries(client, page_url)
    text = response.content.decode()
    # then it holds the two slots, loaded by htmx after the page, and reads no visit nor nonconformity itself
    assert (
        f'hx-get="{fragment_url(item)}" hx-trigger="load" hx-swap="outerHTML" data-testid="item-visits-slot"'
        in text
    )
    quality_url = reverse("quality:item_nonconformities", args=[item.reference])
    assert f'hx-get="{quality_url}" hx-trigger="load" hx-swap="outerHTML"' in text
    assert "Return visits and nonconformities" in text
    assert after == before
    assert not [q for q in sql if "visits_returnvisit" in q or "quality_nonconformity" in q]
