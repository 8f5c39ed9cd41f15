"""The nonconformities of a feedback item on feedback's staff page of the item (R-RV-4): a fragment loaded by
htmx after the page (`quality:item_nonconformities`) with each nonconformity's reference, title and stage
linked to its record, and "Raise a nonconformity" (`quality:create?item=<reference>`) for who may raise one
at the project; 204 when there is nothing to show and no right to raise; scoped through the item (404 for
the outsider, 403 for an owner, the sign-in page for anonymous)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.quality.choices import Origin, Stage
from estatedesk.quality.models import Nonconformity
from estatedesk.quality.tests.helpers import manual, rated_c, walk_to
from estatedesk.visits.tests.helpers import told_item


@pytest.fixture
def staff(login):
    def _staff(user):
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff


def fragment_url(item) -> str:
    return reverse("quality:item_nonconformities", args=[item.reference])


def raise_url(item) -> str:
    return f"{reverse('quality:create')}?item={item.reference}"


def test_r_rv_4_the_item_fragment_lists_the_items_nonconformity_with_its_stage_and_link(visiting, staff):
    # given an item rated C by its owner (its nonconformity opened by itself), taken to the action plan
    item = rated_c(visiting, title="楼道漏水")
    nonconformity = walk_to(visiting, Nonconformity.objects.get(item=item), Stage.ACTION_PLAN)
    # when the QA manager's item page loads the fragment
    response = staff(visiting.qa_manager_a).get(fragment_url(item))
    # then the nonconformity is listed with its reference, stage and link, and the link to raise another
    assert response.status_code == 200
    assert [(nc.reference, nc.stage) for nc in response.context["nonconformities"]] == [
        (nonconformity.reference, Stage.ACTION_PLAN)
    ]
    text = response.content.decode()
    detail = reverse("quality:detail", args=[nonconformity.reference])
    assert f'href="{detail}" data-testid="item-nonconformity-link">{nonconformity.reference}</a>' in text
    assert 'data-testid="item-nonconformity-stage">Action plan<' in text
    assert f'href="{raise_url(item)}" data-testid="raise-nonconformity"' in text


def test_r_rv_4_a_colleague_who_may_not_raise_sees_the_list_without_the_link(visiting, staff):
    # given an item with a nonconformity raised by hand from it
    item = told_item(visiting)
    nonconformity = manual(visiting, origin=Origin.ITEM, item=item, title="维修不及时")
    # when the CS agent (who may read nonconformities but not raise them) loads the fragment
    response = staff(visiting.agent_a).get(fragment_url(item))
    # then the list is there, the link to raise is not
    assert response.status_code == 200
    text = response.content.decode()
    assert nonconformity.reference in text
    assert "维修不及时" in text
    assert "raise-nonconformity" not in text


def test_r_rv_4_the_item_fragment_offers_only_the_link_when_there_is_none_yet(visiting, staff):
    # given an item with no nonconformity
    item = told_item(visiting)
    # when a project manager (who may raise one) loads the fragment
    response = staff(visiting.pm_a).get(fragment_url(item))
    # then it says there is none and offers to raise one from the item
    assert response.status_code == 200
    assert response.context["nonconformities"] == []
    text = response.content.decode()
    assert "No nonconformity has been raised from this item." in text
    assert f'href="{raise_url(item)}"' in text


def test_r_rv_4_the_item_fragment_is_204_with_nothing_to_show_and_no_right_to_raise(visiting, staff):
    # given an item with no nonconformity
    item = told_item(visiting)
    # when the CS agent loads the fragment
    response = staff(visiting.agent_a).get(fragment_url(item))
    # then nothing is sent, and the page keeps its placeholder
    assert response.status_code == 204
    assert response.content == b""


def test_r_rv_4_the_item_fragment_refuses_the_outsider_an_owner_and_anonymous(visiting, staff, client):
    # given an item of project A with a nonconformity
    item = rated_c(visiting)
    url = fragment_url(item)
    reference = Nonconformity.objects.get(item=item).reference
    # when the outsider (staff of another branch), the item's own owner and an anonymous visitor ask
    outsider = staff(visiting.outsider).get(url)
    owner = staff(visiting.owner_a).get(url)
    anonymous = client.get(url)
    # then the outsider is told it does not exist, the owner may not read it, anonymous signs in first
    assert outsider.status_code == 404
    assert owner.status_code == 403
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    for response in (outsider, owner):
        assert reference not in response.content.decode()
    # and the outsider may not change anything with it either
    assert staff(visiting.outsider).post(url).status_code == 405


def test_r_rv_4_the_item_fragment_makes_as_many_queries_with_many_nonconformities_as_with_one(
    visiting, staff
):
    # given an item with one nonconformity raised by hand
    item = told_item(visiting)
    manual(visiting, origin=Origin.ITEM, item=item, title="第一次")

    def add_rows():
        titles = [f"不合格项{n}" for n in range(4)]
        references = [manual(visiting, origin=Origin.ITEM, item=item, title=t).reference for t in titles]
        return titles + references

    # then the fragment's queries do not grow with the nonconformities
    assert_queries_do_not_grow(staff(visiting.qa_manager_a), fragment_url(item), add_rows, ceiling=12)
