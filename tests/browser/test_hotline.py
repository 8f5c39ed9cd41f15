"""The hotline screen on a phone (issue 11, R-FB-1), on the demo data: the agent types the last four digits
of the caller's number, the results come as they type (htmx), Enter opens the caller with the cursor in the
form, Enter registers; the new reference is on the item page. Then the caller rings again about the same
problem: the screen warns of the open item and "add to that item" records their words on it."""

from __future__ import annotations

from typing import Any

import pytest

from estatedesk.feedback.choices import Channel, EventKind
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.owners.models import Resident
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_fb_1_hotline_on_a_phone_finds_the_caller_by_four_digits_and_registers(
    page, log_in, broken_assets, screenshots
):
    # given agent_a signed in on a phone, on the hotline screen
    page.set_viewport_size(PHONE)
    log_in("agent_a")
    page.goto("/feedback/hotline/")
    search = page.get_by_test_id("hotline-phone")
    assert page.evaluate("document.activeElement.id") == "hotline-q"  # the cursor is in the search box

    # when the agent types the last four digits of owner_a's number, the caller shows as they type
    search.press_sequentially("1234", delay=30)
    page.get_by_test_id("caller-name").wait_for()
    assert page.get_by_test_id("caller-name").inner_text() == "沈业主"
    assert page.get_by_test_id("hotline-form").count() == 1
    assert page.evaluate("document.activeElement.id") == "hotline-q"  # the live results take no focus

    # and Enter opens the caller with the cursor in the description, the defaults chosen
    with page.expect_navigation():
        search.press("Enter")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.name") == "description"
    form = page.get_by_test_id("hotline-form")
    assert form.locator("input[name=caller_unit]").first.is_checked()
    assert no_sideways_scroll(page)

    # when they type what the caller says and press Enter
    page.keyboard.type("阳台地漏堵塞 The balcony drain is blocked")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # then the item is registered for the caller, and the item page shows its new reference
    reference = page.get_by_test_id("reference").inner_text()
    item = FeedbackItem.objects.get(reference=reference)
    assert (item.channel, item.resident, item.unit.label, item.contact_phone, item.description) == (
        Channel.HOTLINE,
        Resident.objects.get(user__username="owner_a"),
        "1-1-101",
        "13800001234",
        "阳台地漏堵塞 The balcony drain is blocked",
    )
    assert reference in page.get_by_test_id("message").first.inner_text()

    # when the owner rings again: the screen warns of the open item of the same unit and category
    page.goto("/feedback/hotline/?q=1234")
    warning = page.get_by_test_id("duplicate-warning")
    assert reference in warning.inner_text()
    assert no_sideways_scroll(page)
    screenshots("hotline-duplicate")
    page.set_viewport_size(PHONE)
    page.get_by_test_id("hotline-form").locator("[name=description]").focus()
    page.keyboard.type("还是堵 Still blocked, water on the floor")
    with page.expect_navigation():
        warning.get_by_test_id("add-to-item").first.click()

    # then the words are on that item, and no second item was registered
    assert f"/feedback/{reference}/" in page.url
    assert FeedbackItem.objects.filter(resident=item.resident).count() == 1
    event = TimelineEvent.objects.get(item=item, kind=EventKind.INFO_ADDED)
    assert event.message == "还是堵 Still blocked, water on the floor"
    assert broken_assets == []
