"""The owner sees the result of a visit about their own item and adds a comment (issue 12, item 9); the
fragment feedback's owner page of the item loads; nobody else sees either."""

from __future__ import annotations

import pytest
from django.urls import reverse

from estatedesk.visits.tests.helpers import told_item
from estatedesk.visits.tests.ui_fixtures import grade_row, make_visit


@pytest.fixture
def graded(visiting):
    item = told_item(visiting, title="厨房水管漏水")
    return grade_row(make_visit(visiting, item, visitor=visiting.visitor_a), grade="B", by=visiting.visitor_a)


def test_owner_sees_the_visits_result_and_comments_once(visiting, graded, login):
    client = login(visiting.owner_a)
    page = client.get(reverse("visits:portal_visit", args=[graded.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "维修及时，师傅态度很好" in text
    assert 'data-testid="owner-comment-form"' in text
    response = client.post(reverse("visits:portal_visit", args=[graded.pk]), {"comment": "谢谢回访"})
    assert response.status_code == 302
    graded.refresh_from_db()
    assert graded.owner_comment == "谢谢回访"
    again = client.post(reverse("visits:portal_visit", args=[graded.pk]), {"comment": "再说一次"})
    assert again.status_code == 409
    graded.refresh_from_db()
    assert graded.owner_comment == "谢谢回访"


def test_owner_comment_must_not_be_empty(visiting, graded, login):
    response = login(visiting.owner_a).post(reverse("visits:portal_visit", args=[graded.pk]), {"comment": ""})
    assert response.status_code == 400
    graded.refresh_from_db()
    assert graded.owner_comment == ""


def test_item_fragment_shows_graded_visits_only(visiting, graded, login):
    client = login(visiting.owner_a)
    url = reverse("visits:portal_item_visits", args=[graded.item.reference])
    response = client.get(url)
    assert response.status_code == 200
    assert reverse("visits:portal_visit", args=[graded.pk]) in response.content.decode()
    other = told_item(visiting, title="另一件事")
    make_visit(visiting, other, customer_key="due-one")  # due, not graded: nothing to show yet
    assert client.get(reverse("visits:portal_item_visits", args=[other.reference])).status_code == 204


def test_portal_visit_outsiders(visiting, graded, login, client):
    due = make_visit(visiting, None, customer_key="due")
    owner = login(visiting.owner_a)
    assert owner.get(reverse("visits:portal_visit", args=[due.pk])).status_code == 404  # not graded, no item
    for user in (visiting.outsider, visiting.visitor_a, visiting.nobody):
        other = login(user)
        assert other.get(reverse("visits:portal_visit", args=[graded.pk])).status_code == 404
        assert (
            other.post(reverse("visits:portal_visit", args=[graded.pk]), {"comment": "x"}).status_code == 404
        )
        fragment = reverse("visits:portal_item_visits", args=[graded.item.reference])
        assert other.get(fragment).status_code == 404
    for target in (
        reverse("visits:portal_visit", args=[graded.pk]),
        reverse("visits:portal_item_visits", args=[graded.item.reference]),
    ):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    graded.refresh_from_db()
    assert graded.owner_comment == ""
