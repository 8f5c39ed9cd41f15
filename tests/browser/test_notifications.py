"""Notifications in the browser (issue 11): one row per item at phone width, "mark all as read" redraws
the list and the bell in place (htmx), and opening a row lands on what it is about, read."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from estatedesk.notifications.models import Notification
from estatedesk.notifications.services import notify
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_notifications_are_one_row_per_item_and_mark_all_read_redraws_the_bell(
    page: Any, log_in: Any, screenshots: Any
) -> None:
    # given the supervisor's five notifications about two items (one link leads back to the list)
    supervisor = get_user_model().objects.get(username="supervisor_a")
    for n in range(4):
        notify(users=[supervisor], title=f"QD-HJ-20261202-0001 消息 {n}", url="/notifications/", email=False)
    notify(users=[supervisor], title="QD-HJ-20261202-0002 新反馈", url="/accounts/profile/", email=False)
    # when they open the list on a phone
    page.set_viewport_size(PHONE)
    log_in("supervisor_a")
    page.goto("/notifications/")
    # then two rows, the bell says 2, and nothing is wider than the screen
    assert page.locator("[data-testid='notification']").count() == 2
    assert page.locator("[data-testid='unread-count']").inner_text() == "2"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshots("notifications")
    # when they mark all as read (htmx: the page is not reloaded)
    page.evaluate("window.__stayed = true")
    page.locator("[data-testid='read-all']").click()
    page.locator("[data-testid='read-all']").wait_for(state="detached")
    # then the bell has no number, the rows are still there, and it was the same page
    assert page.locator("[data-testid='unread-count']").count() == 0
    assert page.locator("[data-testid='notification']").count() == 2
    assert page.evaluate("window.__stayed === true")
    assert not Notification.objects.filter(user=supervisor, read_at__isnull=True).exists()


def test_opening_a_row_goes_to_its_page_and_reads_the_item(page: Any, log_in: Any) -> None:
    supervisor = get_user_model().objects.get(username="supervisor_a")
    notify(users=[supervisor], title="资料变更", url="/accounts/profile/", email=False)
    notify(users=[supervisor], title="资料变更 2", url="/accounts/profile/", email=False)
    log_in("supervisor_a")
    page.goto("/notifications/")
    with page.expect_navigation():
        page.locator("[data-testid='notification'] button").first.click()
    assert page.url.endswith("/accounts/profile/")
    assert page.locator("[data-testid='unread-count']").count() == 0
