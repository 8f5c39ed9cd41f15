"""The whole R-FB path in the browser, on the demo data: a hotline call registered from the screen the phone
system pops (R-FB-1), the supervisor contacted and the handling opinion recorded (R-FB-2), handling arranged,
started and done (R-FB-4), customer service and the customer told (R-FB-5), closed, and the owner's rating
in the portal. Each person signs in with their own demo account."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from estatedesk.feedback.choices import Channel, Kind, Rating, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.owners.models import Resident
from tests.browser.conftest import PHONE, SCREENSHOTS

pytestmark = pytest.mark.browser
OWNER_PHONE = "13800001234"  # owner_a's phone in the demo data


def sign_in_as(page: Any, log_in: Any, username: str) -> None:
    page.context.clear_cookies()
    log_in(username)


def take_step(page: Any, step: str, **fields: str) -> None:
    """Fill the step's small form on the item page and submit it; the page reloads on the item."""
    form = page.get_by_test_id(f"step-{step}")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        form.get_by_test_id(f"step-submit-{step}").click()


def status_of(page: Any) -> str:
    return page.get_by_test_id("status").get_attribute("data-status")


def user_pk(username: str) -> str:
    return str(get_user_model().objects.get(username=username).pk)


@pytest.mark.long
def test_fb_path_from_a_hotline_call_to_the_owners_rating(page, log_in, screenshots):
    # 1. R-FB-1: the phone system pops the hotline screen for owner_a's number; agent_a registers a repair
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/feedback/hotline/?phone={OWNER_PHONE}")
    assert page.get_by_test_id("caller-name").inner_text() == "沈业主"
    assert "1-1-101" in page.get_by_test_id("caller-unit").first.inner_text()
    form = page.get_by_test_id("hotline-form")
    assert form.locator("input[name=caller_unit]").first.is_checked()  # the caller and unit are prefilled
    form.locator("[name=description]").fill("厨房水龙头漏水 Kitchen tap is leaking\n从昨晚开始。")
    screenshots("feedback-hotline")
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_navigation():
        form.get_by_test_id("hotline-submit").click()
    reference = page.get_by_test_id("reference").inner_text()
    item = FeedbackItem.objects.get(reference=reference)
    assert (item.channel, item.kind, item.resident, item.unit.label, item.contact_phone) == (
        Channel.HOTLINE,
        Kind.REPAIR,
        Resident.objects.get(user__username="owner_a"),
        "1-1-101",
        OWNER_PHONE,
    )
    assert status_of(page) == Status.REGISTERED
    assert page.get_by_test_id("clock-contact").count() == 1
    screenshots("feedback-registered")

    # 2. R-FB-2: customer service contacts the engineering supervisor at once
    take_step(page, "contact_supervisor", supervisor=user_pk("engineer_a"))
    assert status_of(page) == Status.SUPERVISOR_CONTACTED
    assert page.get_by_test_id("supervisor").inner_text() == "卫工程主管"

    # 3. the department supervisor records the handling opinion
    sign_in_as(page, log_in, "engineer_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "record_opinion", note="更换水龙头阀芯 Replace the tap cartridge.")
    assert status_of(page) == Status.OPINION_RECORDED

    # 4. R-FB-4: the project manager arranges handling with an executor
    sign_in_as(page, log_in, "pm_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "arrange", executor=user_pk("executor_a"))
    assert status_of(page) == Status.ARRANGED
    assert page.get_by_test_id("executor").inner_text() == "蒋维修工"

    # 5. the executor starts, finishes and tells customer service (R-FB-5)
    sign_in_as(page, log_in, "executor_a")
    page.goto("/feedback/")
    with page.expect_navigation():
        page.locator(f"[data-reference='{reference}'] a").first.click()
    take_step(page, "start")
    assert status_of(page) == Status.IN_PROGRESS
    take_step(page, "complete", note="阀芯已更换,无渗漏 Cartridge replaced, no more leak.")
    assert status_of(page) == Status.HANDLED
    take_step(page, "inform_cs")
    assert status_of(page) == Status.CS_INFORMED

    # 6. R-FB-5: customer service tells the customer what was done, and how; then closes the item
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "inform_customer", note="已电话告知业主维修完成 Phoned the owner: repaired.", how="phone")
    assert status_of(page) == Status.CUSTOMER_INFORMED
    take_step(page, "close")
    assert status_of(page) == Status.CLOSED
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "Phoned the owner: repaired." in timeline
    assert page.get_by_test_id("timeline-event").count() == 9  # registered + eight steps
    screenshots("feedback-closed")

    # the list at phone width: the item is there, closed, and nothing spills sideways
    page.goto(f"/feedback/?q={reference}")
    assert page.get_by_test_id("feedback-row").count() == 1
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshots("feedback-list")

    # 7. the owner rates the handling in the portal
    sign_in_as(page, log_in, "owner_a")
    page.goto(reverse("feedback_portal:rate", kwargs={"reference": reference}))
    rate_form = page.get_by_test_id("rate-form")
    rate_form.locator(f"input[name=rating][value={Rating.A}]").check()
    rate_form.locator("[name=comment]").fill("很快修好了 Fixed quickly.")
    with page.expect_navigation():
        rate_form.get_by_test_id("rate-submit").click()
    screenshots("feedback-rated")
    item.refresh_from_db()
    assert (item.rating, item.rating_comment, item.status) == (
        Rating.A,
        "很快修好了 Fixed quickly.",
        Status.CLOSED,
    )

    # the rating shows on the staff page too
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/feedback/{reference}/")
    assert "Fixed quickly." in page.get_by_test_id("rating").inner_text()
    assert (SCREENSHOTS / "feedback-hotline-phone.png").exists()


def test_cs_5_patrol_finding_registered_on_a_phone(page, log_in, screenshots):
    sign_in_as(page, log_in, "supervisor_a")
    page.set_viewport_size(PHONE)
    page.goto("/feedback/new/?channel=patrol&category=greening")
    form = page.get_by_test_id("register-form")
    form.locator("[name=project]").select_option(label="QD-HJ · 海景花园")
    form.locator("[name=kind]").select_option("repair")
    form.locator("[name=description]").fill("中心花园喷头损坏 Broken sprinkler in the central garden.")
    form.locator("[name=building]").select_option(label="中心花园")
    form.locator("[name=location_note]").fill("喷泉旁 by the fountain")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshots("feedback-patrol")
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        form.get_by_test_id("register-submit").click()
    item = FeedbackItem.objects.get(reference=page.get_by_test_id("reference").inner_text())
    assert (item.channel, item.category, item.building.name, item.resident) == (
        Channel.PATROL,
        "greening",
        "中心花园",
        None,
    )
