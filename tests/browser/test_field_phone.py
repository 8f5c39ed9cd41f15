"""Field staff on a phone (issue 11), in the browser at 390 px on the demo data: a 12 MB camera photo goes
through the item page (made smaller in the browser, under the server's 10 MB cap), its thumbnail opens the
viewer; the customer's phone is a tap-to-call link; the appointment agreed with the customer is recorded;
cancelling asks first."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from estatedesk.feedback.choices import Channel, EventKind, Kind, Status
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import Attachment, FeedbackItem, TimelineEvent
from estatedesk.feedback.photos import MAX_PHOTO_BYTES
from estatedesk.feedback.services import feedback_item_step
from estatedesk.org.models import Project
from estatedesk.owners.models import Resident
from tests.browser.conftest import PHONE
from tests.browser.test_csp import violations  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
OWNER_PHONE = "13800001234"  # owner_a's phone in the demo data


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def arranged_item() -> FeedbackItem:
    """owner_a's repair, registered on the hotline and arranged with executor_a (as the demo people do)."""
    resident = Resident.objects.get(user__username="owner_a")
    unit = resident.occupancies.filter(ended_on__isnull=True).first().unit
    item = feedback_item_register(
        actor=user("agent_a"),
        data=ItemInput(
            project=Project.objects.get(code="QD-HJ"),
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category="engineering",
            description="卫生间地漏堵塞 The bathroom drain is blocked.",
            resident=resident,
            unit=unit,
            contact_phone=OWNER_PHONE,
        ),
    )
    for step, who, note, data in (
        ("contact_supervisor", "agent_a", "", {"supervisor_id": user("engineer_a").pk}),
        ("record_opinion", "engineer_a", "疏通地漏 Clear the drain.", {}),
        ("arrange", "pm_a", "", {"executor_id": user("executor_a").pk}),
    ):
        item = feedback_item_step(
            actor=user(who), item=item, step=step, version=item.version, note=note, data=data
        )
    return item


def camera_photo(path: Any) -> int:
    """A 4000 × 3000 JPEG of at least 12 MB (noise does not compress), as a phone camera makes; its size."""
    width, height = 4000, 3000
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(
        path, format="JPEG", quality=95
    )
    return path.stat().st_size


def test_field_phone_12_mb_photo_goes_through_downscaled_and_opens_in_the_viewer(
    page,
    log_in,
    tmp_path,
    settings,
    violations,  # noqa: F811
):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "IMG_0001.jpg"
    size = camera_photo(photo)
    assert size >= 12 * 1024 * 1024 > MAX_PHOTO_BYTES  # too large for the server as it is
    item = arranged_item()
    # given executor_a on a phone, on the item page
    page.set_viewport_size(PHONE)
    log_in("executor_a")
    page.goto(f"/feedback/{item.reference}/")
    # when the camera photo is chosen and sent
    form = page.get_by_test_id("photos-form")
    form.get_by_test_id("photos-input").set_input_files(str(photo))
    page.wait_for_selector("[data-testid=photos-input][data-downscaled='1']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=photos-form]').hasAttribute('data-downscaling')"
    )
    with page.expect_navigation():
        form.get_by_test_id("photos-submit").click()
    # then it is on file, made smaller in the browser: a JPEG of at most 2048 px, under the cap
    attachment = Attachment.objects.get(item=item)
    assert attachment.size < MAX_PHOTO_BYTES
    with attachment.file.open("rb") as handle, Image.open(handle) as stored:
        assert (stored.format, stored.size) == ("JPEG", (2048, 1536))
    assert attachment.name == "IMG_0001.jpg"
    assert page.locator(".alert--success, [data-testid=message]").first.is_visible()
    # and its thumbnail opens the full photo in the viewer, which closes again
    thumbnail = page.get_by_test_id("photo").first
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=photo] img').complete"
        " && document.querySelector('[data-testid=photo] img').naturalWidth > 0"
    )
    assert thumbnail.locator("img").evaluate("img => img.naturalWidth") == 320
    thumbnail.click()
    viewer = page.get_by_test_id("photo-viewer")
    assert viewer.is_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=viewer-image]').complete"
        " && document.querySelector('[data-testid=viewer-image]').naturalWidth === 2048"
    )
    page.get_by_test_id("viewer-close").click()
    assert not viewer.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations() == []


def test_field_phone_tap_to_call_and_the_appointment_with_the_customer(page, log_in, screenshots):
    item = arranged_item()
    page.set_viewport_size(PHONE)
    log_in("executor_a")
    page.goto(f"/feedback/{item.reference}/")
    # the customer's phone dials in one tap
    call = page.get_by_test_id("contact-phone").locator("a")
    assert call.get_attribute("href") == f"tel:+86{OWNER_PHONE}"
    assert call.bounding_box()["height"] >= 40  # a touch target
    # the appointment agreed on the phone is recorded, in local time
    at = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    form = page.get_by_test_id("appointment-form")
    form.locator("[name=at]").fill(f"{at:%Y-%m-%dT%H:%M}")
    form.locator("[name=note]").fill("业主上午在家 Owner home in the morning")
    with page.expect_navigation():
        form.get_by_test_id("appointment-submit").click()
    assert page.get_by_test_id("appointment").inner_text() == f"{at:%Y-%m-%d %H:%M}"
    item.refresh_from_db()
    assert item.appointment_at == at
    assert TimelineEvent.objects.filter(item=item, kind=EventKind.APPOINTMENT, is_public=True).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshots("field-item")


def test_field_phone_cancel_is_folded_and_asks_before_it_is_sent(page, log_in):
    item = arranged_item()
    page.set_viewport_size(PHONE)
    log_in("pm_a")
    page.goto(f"/feedback/{item.reference}/")
    form = page.get_by_test_id("step-cancel")
    assert not form.is_visible()  # folded
    page.get_by_test_id("fold-cancel").locator("summary").click()
    form.locator("[name=note]").fill("业主已自行处理 The owner fixed it himself.")
    # when the question is answered "no", nothing is sent
    questions: list[str] = []

    def answer_no(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer_no)
    form.get_by_test_id("step-submit-cancel").click()
    page.wait_for_timeout(300)  # the dialog was answered: let a (wrongly) sent form arrive, if any
    assert len(questions) == 1
    item.refresh_from_db()
    assert item.status == Status.ARRANGED
    # when it is answered "yes", the item is cancelled
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        form.get_by_test_id("step-submit-cancel").click()
    item.refresh_from_db()
    assert item.status == Status.CANCELLED


def test_field_phone_owner_sends_a_12_mb_photo_from_the_portal_form(page, log_in, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "IMG_0002.jpg"
    camera_photo(photo)
    # given owner_a on a phone, on the portal's report form
    page.set_viewport_size(PHONE)
    log_in("owner_a")
    page.goto("/f/new/")
    form = page.get_by_test_id("report-form")
    form.locator("[name=category]").select_option("engineering")
    form.locator("[name=description]").fill("阳台漏水 The balcony is leaking.")
    # when the camera photo is chosen and the report sent
    form.locator("input[type=file][name=photos]").set_input_files(str(photo))
    page.wait_for_selector("input[name=photos][data-downscaled='1']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=report-form]').hasAttribute('data-downscaling')"
    )
    with page.expect_navigation():
        form.get_by_test_id("report-submit").click()
    # then the report is on file with the photo, made smaller in the browser
    attachment = Attachment.objects.get(item__description__startswith="阳台漏水")
    assert attachment.size < MAX_PHOTO_BYTES
    with attachment.file.open("rb") as handle, Image.open(handle) as stored:
        assert (stored.format, max(stored.size)) == ("JPEG", 2048)
