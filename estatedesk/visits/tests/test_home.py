"""The visitor's "visits due" on the home page and the menu entry of the visit list (issue 12, item 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from estatedesk.common import navigation
from estatedesk.visits.home import home_section, nav_item
from estatedesk.visits.tests.helpers import told_item
from estatedesk.visits.tests.ui_fixtures import grade_row, make_visit


@pytest.fixture(autouse=True)
def _registered():
    """What visits' AppConfig.ready registers (kept for the test if it is not wired yet)."""
    sections = dict(navigation._home_sections)
    items = dict(navigation._items)
    navigation.register_home_section("visits_due", 20, home_section)
    navigation.register_nav(nav_item())
    yield
    navigation._home_sections.clear()
    navigation._home_sections.update(sections)
    navigation._items.clear()
    navigation._items.update(items)


def test_visits_due_queue_shows_the_visitors_own_due_visits(visiting, login):
    item = told_item(visiting)
    mine = make_visit(visiting, item, visitor=visiting.visitor_a, due_at=timezone.now() + timedelta(days=1))
    late = make_visit(
        visiting,
        None,
        customer_key="late",
        customer_name="迟到客户",
        visitor=visiting.visitor_a,
        due_at=timezone.now() - timedelta(hours=2),
    )
    grade_row(
        make_visit(visiting, None, customer_key="done", visitor=visiting.visitor_a), by=visiting.visitor_a
    )
    make_visit(visiting, None, customer_key="theirs", customer_name="别人的", visitor=visiting.visitor_b)
    page = login(visiting.visitor_a).get(reverse("home")).content.decode()
    assert 'data-queue="visits_due"' in page
    assert 'data-testid="queue-count">2<' in page
    assert f'data-visit="{late.pk}"' in page
    assert f'data-visit="{mine.pk}"' in page
    assert page.index(f'data-visit="{late.pk}"') < page.index(f'data-visit="{mine.pk}"')  # earliest first
    assert "别人的" not in page
    assert 'data-overdue="1"' in page
    assert "tel:+8613800001234" in page
    assert 'data-testid="nav-visits"' in page


def test_visits_due_queue_absent_for_who_has_none_or_makes_no_visits(visiting, login):
    make_visit(visiting, None, customer_key="x", visitor=visiting.visitor_a)
    assert 'data-queue="visits_due"' not in login(visiting.visitor_b).get(reverse("home")).content.decode()
    outsider = login(visiting.outsider).get(reverse("home")).content.decode()
    assert 'data-queue="visits_due"' not in outsider
    owner = login(visiting.owner_a).get(reverse("home"))
    assert 'data-queue="visits_due"' not in owner.content.decode()
    assert 'data-testid="nav-visits"' not in owner.content.decode()
