"""Field staff on a phone (issue 11): tap-to-call links, the appointment agreed with the customer (service,
page and API), handing the job over in one step, photo thumbnails, the destructive steps folded behind a
confirmation, and the server's cap on a photo that was not made smaller."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from estatedesk.common.errors import DomainError
from estatedesk.common.templatetags.phone import tel_uri
from estatedesk.feedback import appointments, events
from estatedesk.feedback.choices import EventKind, Status
from estatedesk.feedback.models import Attachment, FeedbackItem, TimelineEvent
from estatedesk.feedback.photos import MAX_PHOTO_BYTES, thumbnail_name
from estatedesk.feedback.tests.helpers import api_for, assert_error, register, walk
from estatedesk.notifications.models import Notification

# --- tap-to-call -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("13800001234", "tel:+8613800001234"),
        ("+86 138 0000 1234", "tel:+8613800001234"),
        ("0532-88886666", "tel:+8653288886666"),
        ("0532-88886666-123", "tel:+8653288886666,123"),
        ("4008001234", "tel:4008001234"),
        ("138****1234", ""),  # masked for this viewer: nothing to dial
        ("", ""),
        ("call me", ""),
    ],
)
def test_tel_uri_dials_mainland_numbers_in_international_form(number, uri):
    assert tel_uri(number) == uri


def test_tel_link_filter_links_a_number_and_leaves_a_masked_one_as_text():
    template = Template("{% load phone %}{{ a|tel_link }}|{{ b|tel_link }}|{{ c|tel_link }}")
    rendered = template.render(Context({"a": "13800001234", "b": "138****1234", "c": "<b>x</b>"}))
    link, masked, other = rendered.split("|")
    assert link == (
        '<a class="tel-link nowrap" href="tel:+8613800001234" data-testid="tel-link">13800001234</a>'
    )
    assert masked == "138****1234"
    assert other == "&lt;b&gt;x&lt;/b&gt;"  # escaped, never a link


def test_item_page_links_the_contact_phone_and_the_phones_on_file(world, crew, staff):
    item = register(world, resident=world.owner_a.resident, unit=world.unit_a, contact_phone="13800001234")
    body = staff(world.agent_a).get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    # at the top of the page, and the contact phone and the resident's phone in the details
    assert body.count('href="tel:+8613800001234"') == 3


def test_hotline_and_resident_page_link_the_callers_phone(world, staff):
    client = staff(world.agent_a)
    hotline = client.get(reverse("feedback:hotline"), {"phone": "13800001234"}).content.decode()
    assert 'href="tel:+8613800001234"' in hotline
    resident = world.owner_a.resident
    page = client.get(reverse("owners:resident_detail", args=[resident.pk])).content.decode()
    assert 'href="tel:+8613800001234"' in page


# --- the appointment agreed with the customer ---------------------------------------------------------------


def soon(hours: int = 20) -> timezone.datetime:
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def test_executor_records_the_appointment_with_a_public_event(world, crew):
    item = walk(world, register(world), until="arrange")
    at = soon()
    item = appointments.feedback_item_set_appointment(actor=world.executor_a, item=item, at=at, note="门口等")
    item.refresh_from_db()
    assert item.appointment_at == at
    event = TimelineEvent.objects.get(item=item, kind=EventKind.APPOINTMENT)
    assert (event.actor, event.message, event.is_public) == (world.executor_a, "门口等", True)
    with translation.override("en"):
        described = events.describe(event, for_customer=True)
    assert described.details == [f"Appointment: {timezone.localtime(at):%Y-%m-%d %H:%M}"]
    assert described.who == "Property service"


def test_moving_the_appointment_keeps_the_one_before_on_the_timeline(world, crew):
    item = walk(world, register(world), until="start")
    first, second = soon(20), soon(44)
    appointments.feedback_item_set_appointment(actor=world.agent_a, item=item, at=first, note="")
    appointments.feedback_item_set_appointment(actor=world.pm_a, item=item, at=second, note="客户改时间")
    last = TimelineEvent.objects.filter(item=item, kind=EventKind.APPOINTMENT).order_by("-pk").first()
    with translation.override("en"):
        details = events.describe(last).details
    assert details == [
        f"Appointment: {timezone.localtime(second):%Y-%m-%d %H:%M}",
        f"Before: {timezone.localtime(first):%Y-%m-%d %H:%M}",
    ]
    # the executor hears of an appointment someone else agreed
    assert Notification.objects.filter(user=world.executor_a, title__contains=item.reference).exists()


def test_appointment_before_the_job_is_arranged_is_refused_with_409(world, crew):
    item = walk(world, register(world), until="record_opinion")
    with pytest.raises(DomainError) as error:
        appointments.feedback_item_set_appointment(actor=world.pm_a, item=item, at=soon(), note="")
    assert (error.value.code, error.value.status) == ("feedback.not_in_field", 409)
    assert FeedbackItem.objects.get(pk=item.pk).appointment_at is None


@pytest.mark.parametrize("persona", ["hq", "branch_manager", "outsider"])
def test_appointment_by_someone_without_a_field_role_at_the_project_is_refused(world, crew, persona):
    item = walk(world, register(world), until="arrange")
    with pytest.raises(PermissionDenied):
        appointments.feedback_item_set_appointment(actor=world.users[persona], item=item, at=soon(), note="")


def test_appointment_far_away_or_long_past_is_refused_on_the_at_field(world, crew):
    item = walk(world, register(world), until="arrange")
    for at in (timezone.now() - timedelta(days=3), timezone.now() + timedelta(days=120)):
        with pytest.raises(DomainError) as error:
            appointments.feedback_item_set_appointment(actor=world.pm_a, item=item, at=at, note="")
        assert set(error.value.fields) == {"at"}


def test_appointment_form_on_the_item_page_records_it_in_local_time(world, crew, staff):
    item = walk(world, register(world), until="arrange")
    client = staff(world.executor_a)
    page = client.get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    assert 'data-testid="appointment-form"' in page
    local = timezone.localtime(soon())
    response = client.post(
        reverse("feedback:item_appointment", args=[item.reference]),
        {"at": f"{local:%Y-%m-%dT%H:%M}", "note": "上午"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.appointment_at == local
    page = client.get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    assert f"{local:%Y-%m-%d %H:%M}" in page


def test_appointment_form_with_no_time_says_so_and_writes_nothing(world, crew, staff):
    item = walk(world, register(world), until="arrange")
    response = staff(world.executor_a).post(reverse("feedback:item_appointment", args=[item.reference]), {})
    assert response.status_code == 400
    assert "Give a date and time." in response.content.decode()
    assert FeedbackItem.objects.get(pk=item.pk).appointment_at is None


def test_appointment_page_is_404_for_the_outsider_and_403_for_a_viewer_without_the_role(world, crew, staff):
    item = walk(world, register(world), until="arrange")
    url = reverse("feedback:item_appointment", args=[item.reference])
    data = {"at": f"{timezone.localtime(soon()):%Y-%m-%dT%H:%M}"}
    assert staff(world.outsider).post(url, data).status_code == 404
    assert staff(world.hq).post(url, data).status_code == 403
    assert FeedbackItem.objects.get(pk=item.pk).appointment_at is None


def test_appointment_api_records_it_and_returns_the_item(world, crew):
    item = walk(world, register(world), until="arrange")
    at = soon()
    response = api_for(world.executor_a).post(
        reverse("api-feedback-item-appointment", args=[item.reference]),
        {"at": at.isoformat(), "note": "09:00 上门"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["appointment_at"] is not None
    assert FeedbackItem.objects.get(pk=item.pk).appointment_at == at


def test_appointment_api_answers_404_outsider_403_wrong_role_409_wrong_state(world, crew):
    arranged = walk(world, register(world), until="arrange")
    url = reverse("api-feedback-item-appointment", args=[arranged.reference])
    data = {"at": soon().isoformat()}
    assert api_for(world.outsider).post(url, data, format="json").status_code == 404
    assert api_for(world.hq).post(url, data, format="json").status_code == 403
    registered = register(world)
    response = api_for(world.agent_a).post(
        reverse("api-feedback-item-appointment", args=[registered.reference]), data, format="json"
    )
    assert_error(response, 409, "feedback.not_in_field")
    assert_error(api_for(world.pm_a).post(url, {}, format="json"), 400, "invalid", {"at"})


# --- handing the job over in one step --------------------------------------------------------------------


def test_executor_hands_the_job_over_to_a_colleague_who_is_told(world, crew):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    colleague = add_member(world, "executor_a2", Role.EXECUTOR, project=world.project_a)
    item = walk(world, register(world), until="start")
    item = appointments.feedback_item_hand_over(
        actor=world.executor_a, item=item, to_id=colleague.pk, note="我今天请假"
    )
    item.refresh_from_db()
    assert (item.executor, item.status) == (colleague, Status.IN_PROGRESS)
    event = TimelineEvent.objects.get(item=item, kind=EventKind.HANDED_OVER)
    assert (event.message, event.is_public) == ("我今天请假", False)
    with translation.override("en"):
        details = events.describe_all([event])[0].details
    assert details == ["Executor: executor_a2", "Before: executor_a"]
    assert Notification.objects.filter(user=colleague, title__contains=item.reference).exists()


def test_hand_over_rules_who_when_and_to_whom(world, crew):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    other_executor = add_member(world, "executor_a2", Role.EXECUTOR, project=world.project_a)
    stranger = add_member(world, "executor_b", Role.EXECUTOR, project=world.project_b)
    item = walk(world, register(world), until="arrange")
    # an executor who is not the job's may not hand it over; customer service neither
    for actor in (other_executor, world.agent_a, world.outsider):
        with pytest.raises(PermissionDenied):
            appointments.feedback_item_hand_over(actor=actor, item=item, to_id=world.pm_a.pk, note="x")
    # not to someone outside the project, nor to the job's own executor; a reason is needed
    for to in (stranger.pk, world.executor_a.pk, "nobody"):
        with pytest.raises(DomainError) as error:
            appointments.feedback_item_hand_over(actor=world.pm_a, item=item, to_id=to, note="x")
        assert set(error.value.fields) == {"executor"}
    with pytest.raises(DomainError) as error:
        appointments.feedback_item_hand_over(actor=world.pm_a, item=item, to_id=other_executor.pk, note=" ")
    assert set(error.value.fields) == {"note"}
    # a department supervisor may hand it over
    appointments.feedback_item_hand_over(
        actor=world.dept_supervisor_a, item=item, to_id=other_executor.pk, note="换人"
    )
    # once the job is done, it is too late: 409
    done = walk(world, register(world), until="complete")
    with pytest.raises(DomainError) as error:
        appointments.feedback_item_hand_over(actor=world.pm_a, item=done, to_id=other_executor.pk, note="x")
    assert error.value.status == 409


def test_hand_over_form_on_the_item_page(world, crew, staff):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    colleague = add_member(world, "executor_a2", Role.EXECUTOR, project=world.project_a)
    item = walk(world, register(world), until="arrange")
    url = reverse("feedback:item_hand_over", args=[item.reference])
    assert staff(world.outsider).post(url, {"executor": colleague.pk, "note": "x"}).status_code == 404
    client = staff(world.executor_a)
    assert (
        'data-testid="handover-form"'
        in client.get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    )
    assert client.post(url, {"executor": colleague.pk, "note": ""}).status_code == 400
    assert client.post(url, {"executor": colleague.pk, "note": "明天我不在"}).status_code == 302
    assert FeedbackItem.objects.get(pk=item.pk).executor == colleague


# --- destructive steps folded behind a confirmation --------------------------------------------------------


def test_cancel_and_reopen_are_folded_and_ask_for_confirmation(world, crew, staff):
    item = walk(world, register(world), until="inform_customer")
    page = (
        staff(world.supervisor_a).get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    )
    for step in ("cancel", "reopen"):
        fold = page.index(f'data-testid="fold-{step}"')
        form = page.index(f'data-testid="step-{step}"')
        assert page.rfind("<details", 0, form) == page.rfind("<details", 0, fold)  # inside its fold
        assert "data-confirm=" in page[form : page.index(">", form)]
    assert "data-confirm" not in page[page.index('data-testid="step-close"') :].split(">", 1)[0]


# --- photos: thumbnails, and the server's cap --------------------------------------------------------------


def jpeg(name: str = "leak.jpg", size: tuple[int, int] = (1200, 900)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_photo_gets_a_thumbnail_in_storage_served_to_those_who_see_the_item(world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world, resident=world.owner_a.resident, unit=world.unit_a)
    response = staff(world.agent_a).post(
        reverse("feedback:item_photos", args=[item.reference]), {"photos": [jpeg()]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(item=item)
    name = thumbnail_name(attachment)
    assert attachment.file.storage.exists(name)
    with attachment.file.storage.open(name) as handle, Image.open(handle) as thumb:
        assert (thumb.format, max(thumb.size)) == ("JPEG", 320)
    url = reverse("feedback:attachment_thumbnail", args=[item.reference, attachment.pk])
    answer = staff(world.agent_a).get(url)
    assert (answer.status_code, answer["Content-Type"]) == (200, "image/jpeg")
    assert staff(world.owner_a).get(url).status_code == 200  # the customer who raised it
    assert staff(world.outsider).get(url).status_code == 404
    page = staff(world.agent_a).get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    assert url in page
    assert 'data-testid="photo-viewer"' in page


def test_a_picture_without_a_thumbnail_gets_one_when_first_asked(world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world)
    attachment = Attachment(item=item, name="mail.jpg", content_type="image/jpeg", size=1)
    attachment.file.save("mail.jpg", jpeg(), save=True)  # as an emailed picture is stored
    assert not attachment.file.storage.exists(thumbnail_name(attachment))
    url = reverse("feedback:attachment_thumbnail", args=[item.reference, attachment.pk])
    assert staff(world.agent_a).get(url).status_code == 200
    assert attachment.file.storage.exists(thumbnail_name(attachment))


def test_a_document_has_no_thumbnail(world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world)
    attachment = Attachment(item=item, name="a.pdf", content_type="application/pdf", size=4)
    attachment.file.save("a.pdf", SimpleUploadedFile("a.pdf", b"%PDF"), save=True)
    url = reverse("feedback:attachment_thumbnail", args=[item.reference, attachment.pk])
    assert staff(world.agent_a).get(url).status_code == 404


def test_server_still_refuses_a_photo_over_the_cap_with_a_clear_message(world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world)
    url = reverse("feedback:item_photos", args=[item.reference])

    def big() -> SimpleUploadedFile:
        return SimpleUploadedFile(
            "camera.jpg", b"\xff\xd8" + b"0" * MAX_PHOTO_BYTES, content_type="image/jpeg"
        )

    client = staff(world.agent_a)
    response = client.post(url, {"photos": [big()]}, follow=True)
    assert "camera.jpg is larger than 10 MB." in response.content.decode()
    assert not Attachment.objects.filter(item=item).exists()
    client.cookies["django_language"] = "zh-hans"
    response = client.post(url, {"photos": [big()]}, follow=True)
    assert "camera.jpg 超过 10 MB。" in response.content.decode()  # said in Chinese


def test_item_page_includes_the_downscaling_script_on_its_photo_input(world, staff):
    item = register(world)
    page = staff(world.agent_a).get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    assert "feedback/photo-resize" in page
    assert 'name="photos" accept="image/*" multiple data-downscale' in page


def test_owner_photo_forms_downscale_and_their_routes_take_a_downscaled_photo(world, login):
    from estatedesk.common.resilience import request_body_limit

    item = register(world, resident=world.owner_a.resident, unit=world.unit_a)
    page = login(world.owner_a).get(reverse("feedback_portal:new")).content.decode()
    assert "feedback/photo-resize" in page
    assert "data-downscale" in page
    # the routes that take photos take five photos at the cap, not the 2 MB of an ordinary form
    for url in (
        reverse("feedback:item_photos", args=[item.reference]),
        reverse("feedback_portal:new"),
        reverse("feedback_portal:item", args=[item.reference]),
    ):
        assert request_body_limit(url) > 5 * MAX_PHOTO_BYTES


# --- handling done and customer service told, in one action (R-FB-5) ------------------------------------


def test_fb_5_executor_finishes_and_tells_customer_service_in_one_step(world, crew):
    from estatedesk.feedback.models import ExecutionRecord
    from estatedesk.feedback.services import feedback_item_step

    item = walk(world, register(world), until="start")
    item = feedback_item_step(
        actor=world.executor_a,
        item=item,
        step="complete_and_inform_cs",
        version=item.version,
        note="阀门已更换 Valve replaced.",
    )
    assert (item.status, item.result) == (Status.CS_INFORMED, "阀门已更换 Valve replaced.")
    assert item.handled_at is not None
    assert ExecutionRecord.objects.get(item=item).executed_at == item.handled_at
    (event,) = TimelineEvent.objects.filter(
        item=item, kind=EventKind.TRANSITION, data__step="complete_and_inform_cs"
    )
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.CS_INFORMED)
    assert Notification.objects.filter(user=world.agent_a, title__contains=item.reference).exists()
    # customer service goes on from there as after "inform_cs"
    item = feedback_item_step(
        actor=world.agent_a,
        item=item,
        step="inform_customer",
        version=item.version,
        note="Told the owner.",
        data={"how": "phone"},
    )
    assert item.status == Status.CUSTOMER_INFORMED


def test_fb_5_the_one_step_needs_what_was_done_and_is_for_those_who_work(world, crew):
    from estatedesk.feedback.services import feedback_item_step

    item = walk(world, register(world), until="start")
    with pytest.raises(DomainError):
        feedback_item_step(
            actor=world.executor_a, item=item, step="complete_and_inform_cs", version=item.version, note=""
        )
    with pytest.raises(PermissionDenied):
        feedback_item_step(
            actor=world.agent_a, item=item, step="complete_and_inform_cs", version=item.version, note="x"
        )


def test_hand_over_api_answers_200_then_404_outsider_403_wrong_role_400_no_reason(world, crew):
    from estatedesk.feedback.tests.helpers import add_member
    from estatedesk.org.choices import Role

    colleague = add_member(world, "executor_a2", Role.EXECUTOR, project=world.project_a)
    item = walk(world, register(world), until="arrange")
    url = reverse("api-feedback-item-hand-over", args=[item.reference])
    data = {"executor_id": colleague.pk, "note": "换人 Someone else goes."}
    assert api_for(world.outsider).post(url, data, format="json").status_code == 404
    assert api_for(world.agent_a).post(url, data, format="json").status_code == 403
    assert_error(api_for(world.pm_a).post(url, {"executor_id": colleague.pk}, format="json"), 400, "invalid")
    response = api_for(world.executor_a).post(url, data, format="json")
    assert response.status_code == 200, response.content
    assert FeedbackItem.objects.get(pk=item.pk).executor == colleague
