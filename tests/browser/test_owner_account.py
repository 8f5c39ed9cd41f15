"""Issue 11, deliverable 4, in the browser at phone width (390 px), on the demo data: an owner invited by
staff activates the account, submits a request, sees the technician and the appointment, chases and rates.
Everyone acts through the pages: the agent invites from the resident page, the owner activates, reports,
follows, chases and rates in the portal; the staff take the R-FB steps and record the appointment on the
item page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.feedback.choices import EventKind, Rating, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.owners.models import Resident, ResidentPhone
from tests.browser.conftest import PHONE
from tests.browser.test_feedback_path import sign_in_as, status_of, take_step, user_pk

pytestmark = pytest.mark.browser
OWNER_PASSWORD = "Harbour-view-2026"  # noqa: S105 - the password the invited owner chooses


def resident_to_invite() -> tuple[Resident, str]:
    """A resident of 海景花园 (QD-HJ) living there now, without an account, with a mobile number of their
    own (nobody else has it)."""
    candidates = Resident.objects.filter(
        user__isnull=True,
        occupancies__unit__project__code="QD-HJ",
        occupancies__ended_on__isnull=True,
        phones__is_mobile=True,
    ).order_by("pk")
    for resident in candidates:
        number = resident.phones.filter(is_mobile=True).order_by("position", "id").first().number
        if ResidentPhone.objects.filter(number=number).count() == 1:
            return resident, number
    raise AssertionError("the demo data has no resident to invite")


def fits_the_phone(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in_with_phone(page: Any, phone: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    form = page.locator("form:has(input[name='username'])")
    form.locator("input[name='username']").fill(f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    form.locator("input[name='password']").fill(password)
    with page.expect_navigation():
        form.locator("[type='submit']").click()
    assert "/accounts/login/" not in page.url, page.inner_text("main")


def open_my_request(page: Any, reference: str) -> None:
    page.goto("/f/mine/")
    with page.expect_navigation():
        page.locator(f"[data-reference='{reference}'] [data-testid=request-link]").click()


@pytest.mark.long
def test_owner_invited_by_staff_activates_submits_sees_technician_and_appointment_chases_and_rates(
    page, log_in, screenshots
):
    resident, phone = resident_to_invite()
    page.set_viewport_size(PHONE)

    # 1. the agent invites the resident from their page in the archive: a letter with a QR code and the code
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/archive/residents/{resident.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("invite").click()
    assert page.locator("[data-testid=invitation-qr] svg").count() == 1
    code = page.get_by_test_id("activation-code").inner_text()
    assert fits_the_phone(page)
    screenshots("owner-invitation-letter")

    # 2. the owner activates the account from the sign-in page, and is signed in
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.get_by_test_id("activate-link").click()
    form = page.get_by_test_id("activate-form")
    form.locator("[name=code]").fill(code)
    form.locator("[name=phone]").fill(phone)
    form.locator("[name=password1]").fill(OWNER_PASSWORD)
    form.locator("[name=password2]").fill(OWNER_PASSWORD)
    assert fits_the_phone(page)
    screenshots("owner-activate")
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        form.get_by_test_id("activate-submit").click()
    assert page.url.endswith("/portal/")
    resident.refresh_from_db()
    assert resident.user is not None

    # 3. the owner reports a leak about their unit
    page.goto("/f/new/")
    report = page.locator("form:has([name=description])")
    report.locator("[name=category]").select_option("engineering")
    report.locator("[name=description]").fill("卫生间天花板漏水 The bathroom ceiling is leaking.")
    with page.expect_navigation():
        report.locator("[type=submit]").click()
    reference = page.locator("[data-testid=request]").first.get_attribute("data-reference")
    item = FeedbackItem.objects.get(reference=reference)
    assert item.resident == resident

    # 4. staff take it on: the supervisor, the handling opinion, the technician; the visit time is agreed
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "contact_supervisor", supervisor=user_pk("engineer_a"))
    sign_in_as(page, log_in, "engineer_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "record_opinion", note="检查楼上管道 Check the pipes upstairs.")
    sign_in_as(page, log_in, "pm_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "arrange", executor=user_pk("executor_a"))
    sign_in_as(page, log_in, "executor_a")
    page.goto(f"/feedback/{reference}/")
    visit = timezone.localtime() + timedelta(days=1)
    visit = visit.replace(hour=10, minute=30, second=0, microsecond=0)
    appointment = page.get_by_test_id("appointment-form")
    appointment.locator("[name=at]").fill(f"{visit:%Y-%m-%dT%H:%M}")
    with page.expect_navigation():
        appointment.get_by_test_id("appointment-submit").click()
    take_step(page, "start")
    assert status_of(page) == Status.IN_PROGRESS

    # 5. the owner, signed in with phone + password, sees the technician and the appointment, and chases
    sign_in_with_phone(page, phone, OWNER_PASSWORD)
    page.set_viewport_size(PHONE)
    open_my_request(page, reference)
    assert page.get_by_test_id("technician").inner_text() == "蒋维修工"
    assert page.get_by_test_id("appointment").inner_text() == f"{visit:%Y-%m-%d %H:%M}"
    assert page.locator("[data-name=in_progress][data-done=yes]").count() == 1
    assert fits_the_phone(page)
    with page.expect_navigation():
        page.get_by_test_id("chase-submit").click()
    assert page.get_by_test_id("chased").count() == 1  # chased: once per 4 hours
    assert page.get_by_test_id("chase-submit").count() == 0
    screenshots("owner-request")
    assert item.events.filter(kind=EventKind.CHASED).count() == 1

    # the supervisor sees the chase on the item's timeline
    sign_in_as(page, log_in, "supervisor_a")
    page.goto(f"/feedback/{reference}/")
    assert "客户催办" in page.get_by_test_id("timeline").inner_text()

    # 6. the technician finishes; customer service tells the owner
    sign_in_as(page, log_in, "executor_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "complete", note="楼上水管已修复 Pipe upstairs repaired.")
    take_step(page, "inform_cs")
    sign_in_as(page, log_in, "agent_a")
    page.goto(f"/feedback/{reference}/")
    take_step(page, "inform_customer", note="已电话告知业主 Phoned the owner.", how="phone")
    assert status_of(page) == Status.CUSTOMER_INFORMED

    # 7. the owner rates the handling from the request's page
    sign_in_with_phone(page, phone, OWNER_PASSWORD)
    page.set_viewport_size(PHONE)
    open_my_request(page, reference)
    assert page.locator("[data-name=done][data-done=yes]").count() == 1
    with page.expect_navigation():
        page.get_by_test_id("rate-link").click()
    rate_form = page.get_by_test_id("rate-form")
    rate_form.locator(f"input[name=rating][value={Rating.A}]").check()
    with page.expect_navigation():
        rate_form.get_by_test_id("rate-submit").click()
    item.refresh_from_db()
    assert item.rating == Rating.A
    assert get_user_model().objects.get(pk=resident.user_id).memberships.count() == 0
