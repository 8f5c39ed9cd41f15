"""Owner-facing feedback: the QR code posted in a building and its form (R-CH-2), the owner portal's
report form, the owner's own requests with their public timeline, and the customer's rating (R-FB-5)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Rating, Status
from estatedesk.feedback.intake import qr
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import Attachment, FeedbackItem, TimelineEvent
from estatedesk.feedback.photos import MAX_PHOTO_BYTES, photos_check
from estatedesk.feedback.portal.services import ANONYMOUS_LIMIT
from estatedesk.feedback.services import feedback_comment_add
from estatedesk.org.models import Building
from estatedesk.owners.models import Resident

QR_GARDEN = "/f/QD-A/G1/"  # the central garden, a common area of project A
QR_BUILDING_1 = "/f/QD-A/1/"
NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def neighbour(world, django_user_model):
    """A second owner, of 1-1-102 next door, with a portal account."""
    user = django_user_model.objects.create_user(username="neighbour", password="x-pass-2026!")
    Resident.objects.filter(name="邻居").update(user=user)
    return user


def english(user=None, **extra) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **extra)
    if user is not None:
        client.force_login(user)
    return client


def photo(name: str = "leak.png", image_format: str = "PNG", colour: str = "blue") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def report(**extra):
    data = {
        "kind": Kind.REPAIR,
        "category": Category.GREENING,
        "description": "喷灌水管破裂，草坪积水",
        "contact_name": "路过的业主",
        "contact_phone": "138 0000 5555",
    }
    data.update(extra)
    return data


def portal_item(user_resident: Resident, unit, description: str, actor) -> FeedbackItem:
    return feedback_item_register(
        actor=actor,
        data=ItemInput(
            project=unit.project,
            channel=Channel.PORTAL,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            title="",
            description=description,
            resident=user_resident,
            unit=unit,
        ),
    )


# --- the QR form (R-CH-2) -----------------------------------------------------------------------------------


def test_ch_2_qr_form_opens_without_signing_in_with_the_place_and_hotlines(world):
    # when
    response = english().get(QR_GARDEN)
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="place-name">中心花园<' in page
    assert "海景花园" in page
    assert 'href="tel:0532-A000-0001"' in page
    assert 'name="contact_phone"' in page
    assert 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize("path", ["/f/QD-A/NOPE/", "/f/NOPE/1/", "/f/JN-C/G1/"])
def test_ch_2_qr_form_of_an_unknown_place_is_404(world, path):
    assert english().get(path).status_code == 404


def test_ch_2_qr_form_of_an_inactive_project_is_404(world):
    world.project_a.is_active = False
    world.project_a.save(update_fields=["is_active"])
    assert english().get(QR_GARDEN).status_code == 404


def test_ch_2_anonymous_qr_report_is_registered_with_place_phone_and_photos(world):
    # given
    client = english()
    # when
    response = client.post(
        QR_GARDEN, report(photos=[photo("a.png"), photo("b.jpg", "JPEG", "red")]), REMOTE_ADDR="10.0.0.7"
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == QR_GARDEN
    item = FeedbackItem.objects.get()
    garden = Building.objects.get(project=world.project_a, code="G1")
    assert (item.channel, item.project, item.building, item.unit) == (
        Channel.QR,
        world.project_a,
        garden,
        None,
    )
    assert (item.resident, item.registered_by) == (None, None)
    assert (item.contact_name, item.contact_phone) == ("路过的业主", "13800005555")
    assert (item.kind, item.category, item.status) == (Kind.REPAIR, Category.GREENING, Status.REGISTERED)
    assert item.description == "喷灌水管破裂，草坪积水"
    attachments = sorted(item.attachments.all(), key=lambda a: a.name)
    assert [(a.name, a.content_type, a.uploaded_by) for a in attachments] == [
        ("a.png", "image/png", None),
        ("b.jpg", "image/jpeg", None),
    ]
    for attachment in attachments:
        assert attachment.size == attachment.file.size > 0
        assert re.fullmatch(r"feedback/\d{4}/\d{2}/[0-9a-f]{32}\.(png|jpg)", attachment.file.name)
    assert list(item.events.values_list("kind", "is_public")) == [(EventKind.REGISTERED, True)]
    # and the reporter is thanked with the reference
    page = client.get(QR_GARDEN).content.decode()
    assert item.reference in page
    assert "we will call you on the number you left" in page


def test_ch_2_anonymous_qr_report_needs_a_valid_phone_number(world):
    # when
    missing = english().post(QR_GARDEN, report(contact_phone=""))
    wrong = english().post(QR_GARDEN, report(contact_phone="12345"))
    # then
    assert missing.status_code == wrong.status_code == 400
    assert "contact_phone" in missing.context["form"].errors
    assert "contact_phone" in wrong.context["form"].errors
    assert not FeedbackItem.objects.exists()


def test_ch_2_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(world):
    # given: a text file named like a photo
    fake = SimpleUploadedFile("leak.jpg", b"this is not a photo", content_type="image/jpeg")
    # when
    response = english().post(QR_GARDEN, report(photos=[photo(), fake]))
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == ["leak.jpg is not a photo (JPEG, PNG, WebP or GIF)."]
    assert not FeedbackItem.objects.exists()
    assert not Attachment.objects.exists()


def test_ch_2_at_most_five_photos(world):
    response = english().post(QR_GARDEN, report(photos=[photo(f"{n}.png") for n in range(6)]))
    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == ["Send at most 5 photos."]
    assert not FeedbackItem.objects.exists()


def test_ch_2_a_photo_over_10_mb_is_refused(world):
    # given: a real image padded past 10 MB, and one exactly at the limit
    body = photo().read()
    too_big = SimpleUploadedFile("big.png", body + b"\0" * (MAX_PHOTO_BYTES + 1 - len(body)))
    at_limit = SimpleUploadedFile("ok.png", body + b"\0" * (MAX_PHOTO_BYTES - len(body)))
    # when / then
    assert [p.content_type for p in photos_check(photos=[at_limit])] == ["image/png"]
    with pytest.raises(DomainError) as error, translation.override("en"):
        photos_check(photos=[too_big])
    assert error.value.fields == {"photos": ["big.png is larger than 10 MB."]}


def test_ch_2_signed_in_owner_scanning_a_qr_code_reports_as_themselves(world):
    # when: no phone number needed, the owner is known
    response = english(world.owner_a).post(
        QR_BUILDING_1, {"kind": Kind.COMPLAINT, "category": Category.CLEANING, "description": "楼道有垃圾"}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/f/mine/"
    item = FeedbackItem.objects.get()
    assert item.channel == Channel.QR
    assert item.resident == Resident.objects.get(user=world.owner_a)
    assert item.contact_name == "沈业主"
    assert item.building.code == "1"


def test_ch_2_someone_signed_in_who_does_not_live_there_reports_as_anyone(world):
    # given: the outsider works for another branch and lives nowhere in project A
    client = english(world.outsider)
    # when
    without_phone = client.post(QR_GARDEN, report(contact_phone=""))
    with_phone = client.post(QR_GARDEN, report())
    # then
    assert without_phone.status_code == 400
    assert with_phone.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.resident, item.registered_by, item.contact_phone) == (None, None, "13800005555")


def test_ch_2_anonymous_reports_are_limited_per_address(world):
    with time_machine.travel(NOON, tick=False) as traveller:
        # given: the allowance used up from one address
        for _ in range(ANONYMOUS_LIMIT):
            assert english().post(QR_GARDEN, report(), REMOTE_ADDR="10.0.0.8").status_code == 302
        # when
        refused = english().post(QR_GARDEN, report(), REMOTE_ADDR="10.0.0.8")
        other_address = english().post(QR_GARDEN, report(), REMOTE_ADDR="10.0.0.9")
        owner = english(world.owner_a).post(QR_GARDEN, report(contact_phone=""), REMOTE_ADDR="10.0.0.8")
        # then
        assert refused.status_code == 429
        assert refused.context["form"].non_field_errors() == [
            "Several reports have been sent from your network in the last few minutes. Please try again "
            "in 10 minutes, or call the hotline."
        ]
        assert other_address.status_code == 302
        assert owner.status_code == 302  # a signed-in owner of the project is not limited
        assert FeedbackItem.objects.count() == ANONYMOUS_LIMIT + 2
        # and ten minutes later the address may report again
        traveller.shift(timedelta(minutes=10))
        assert english().post(QR_GARDEN, report(), REMOTE_ADDR="10.0.0.8").status_code == 302


# --- the printable QR sheet (R-CH-2) ------------------------------------------------------------------------


def test_ch_2_qr_sheet_has_a_card_per_building_and_area_encoding_its_form(
    world, django_assert_max_num_queries
):
    # given
    client = english(world.agent_a)
    # when
    with django_assert_max_num_queries(8):
        response = client.get("/f/sheet/QD-A/")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    urls = re.findall(r'data-testid="qr-card" data-building-code="([^"]+)" data-url="([^"]+)"', page)
    assert urls == [("1", "http://testserver/f/QD-A/1/"), ("G1", "http://testserver/f/QD-A/G1/")]
    for _code, url in urls:
        assert str(qr.qr_svg(url)) in page
    assert page.count('data-testid="qr-hotlines"') == 2
    assert "0532-A000-0001 / 0532-A000-0002" in page
    assert page.count("Scan to report a problem") == 2
    assert "1号楼" in page
    assert "中心花园" in page


def test_ch_2_the_url_in_a_qr_code_opens_the_form_of_its_place(world):
    url = qr.qr_form_url(base_url="https://desk.example.cn/", project_code="QD-A", building_code="G1")
    assert url == "https://desk.example.cn/f/QD-A/G1/"
    assert english().get(url.removeprefix("https://desk.example.cn")).status_code == 200


def test_ch_2_qr_sheet_is_for_staff_of_the_project(world):
    assert english(world.outsider).get("/f/sheet/QD-A/").status_code == 404
    assert english(world.owner_a).get("/f/sheet/QD-A/").status_code == 403
    anonymous = english().get("/f/sheet/QD-A/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


# --- the owner portal (R-CH-2 portal, R-FB-5) ---------------------------------------------------------------


def test_ch_2_portal_home_links_to_reporting_and_my_requests(world):
    page = english(world.owner_a).get("/portal/").content.decode()
    assert 'href="/f/new/"' in page
    assert 'href="/f/mine/"' in page


def test_ch_2_owner_reports_a_problem_about_their_own_unit(world, neighbour):
    # given
    client = english(world.owner_a)
    form_page = client.get("/f/new/")
    assert form_page.status_code == 200
    assert [unit.label for unit in form_page.context["form"].fields["unit"].queryset] == ["1-1-101"]
    # when
    response = client.post(
        "/f/new/",
        {
            "unit": world.unit_a.pk,
            "kind": Kind.REPAIR,
            "category": Category.ENGINEERING,
            "description": "卫生间下水慢",
            "photos": [photo()],
        },
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/f/mine/"
    item = FeedbackItem.objects.get()
    assert (item.channel, item.unit, item.building) == (Channel.PORTAL, world.unit_a, world.unit_a.building)
    assert item.resident == Resident.objects.get(user=world.owner_a)
    assert item.registered_by is None
    assert item.attachments.get().uploaded_by == world.owner_a
    mine = client.get("/f/mine/").content.decode()
    assert item.reference in mine
    assert "you can follow it under My requests" in mine


def test_ch_2_owner_cannot_report_about_a_unit_that_is_not_theirs(world, neighbour):
    response = english(world.owner_a).post(
        "/f/new/",
        {
            "unit": world.unit_a_neighbour.pk,
            "kind": Kind.REPAIR,
            "category": Category.ENGINEERING,
            "description": "x",
        },
    )
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "nobody"])
def test_ch_2_report_form_for_someone_without_a_unit_is_a_clear_page(world, persona):
    response = english(world.users[persona]).get("/f/new/")
    assert response.status_code == 403
    assert 'data-testid="no-unit"' in response.content.decode()


def test_fb_5_owner_sees_only_their_own_requests_with_the_public_timeline(
    world, neighbour, django_assert_max_num_queries
):
    # given: three items of owner A, one of the neighbour, one anonymous, and a private staff note
    owner = Resident.objects.get(user=world.owner_a)
    other = Resident.objects.get(user=neighbour)
    mine = [portal_item(owner, world.unit_a, f"问题{n}", world.owner_a) for n in range(3)]
    theirs = portal_item(other, world.unit_a_neighbour, "邻居的问题", neighbour)
    anonymous = feedback_item_register(
        actor=None,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.QR,
            kind=Kind.REPAIR,
            category=Category.GREENING,
            title="",
            description="花园",
            contact_phone="13800005555",
        ),
    )
    feedback_comment_add(actor=world.agent_a, item=mine[0], message="内部备注：费用待定", is_public=False)
    feedback_comment_add(actor=world.agent_a, item=mine[0], message="师傅明天上午到", is_public=True)
    client = english(world.owner_a)
    # when
    with django_assert_max_num_queries(12):  # + the header's unread-notification count
        response = client.get("/f/mine/")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    shown = re.findall(r'data-testid="request" data-reference="([^"]+)"', page)
    assert shown == [item.reference for item in reversed(mine)]
    assert theirs.reference not in page
    assert anonymous.reference not in page
    assert "师傅明天上午到" in page
    assert "内部备注" not in page
    # and the neighbour sees only theirs
    neighbour_page = english(neighbour).get("/f/mine/").content.decode()
    assert re.findall(r'data-testid="request" data-reference="([^"]+)"', neighbour_page) == [theirs.reference]


def test_fb_5_my_requests_for_someone_who_is_not_an_owner_shows_nothing(world):
    # given: an item of owner A
    portal_item(Resident.objects.get(user=world.owner_a), world.unit_a, "问题", world.owner_a)
    # when
    response = english(world.outsider).get("/f/mine/")
    # then
    assert response.status_code == 403
    assert 'data-testid="request"' not in response.content.decode()


def test_fb_5_owner_rates_once_told_the_result(world):
    # given: the customer has been told the result
    item = portal_item(Resident.objects.get(user=world.owner_a), world.unit_a, "漏水", world.owner_a)
    FeedbackItem.objects.filter(pk=item.pk).update(
        status=Status.CUSTOMER_INFORMED, customer_informed_at=item.registered_at, informed_by="phone"
    )
    client = english(world.owner_a)
    mine = client.get("/f/mine/").content.decode()
    assert 'data-testid="rate-link"' in mine
    assert 'data-testid="informed-by"' in mine  # R-FB-5: how they were told
    assert "(Phone call)" in mine
    assert 'data-testid="rate-form"' in client.get(f"/f/rate/{item.reference}/").content.decode()
    # when
    response = client.post(f"/f/rate/{item.reference}/", {"rating": Rating.B, "comment": "修得还行"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/f/mine/"
    item.refresh_from_db()
    assert (item.rating, item.rating_comment) == (Rating.B, "修得还行")
    event = TimelineEvent.objects.get(item=item, kind=EventKind.RATING)
    assert (event.is_public, event.actor, event.data["rating"]) == (True, world.owner_a, "B")
    page = client.get("/f/mine/").content.decode()
    assert 'data-testid="my-rating"' in page
    assert 'data-testid="rate-link"' not in page
    # and a second rating is refused
    again = client.post(f"/f/rate/{item.reference}/", {"rating": Rating.A})
    assert again.status_code == 400
    item.refresh_from_db()
    assert item.rating == Rating.B


def test_fb_5_rating_before_the_customer_is_told_the_result_is_refused(world):
    item = portal_item(Resident.objects.get(user=world.owner_a), world.unit_a, "漏水", world.owner_a)
    client = english(world.owner_a)
    assert 'data-testid="not-yet"' in client.get(f"/f/rate/{item.reference}/").content.decode()
    response = client.post(f"/f/rate/{item.reference}/", {"rating": Rating.A})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["You can rate it once it has been handled."]
    item.refresh_from_db()
    assert item.rating == ""


@pytest.mark.parametrize("persona", ["neighbour", "outsider", "agent_a"])
def test_fb_5_nobody_else_can_see_or_rate_an_owners_request(world, neighbour, persona):
    # given: owner A's item, told the result
    item = portal_item(Resident.objects.get(user=world.owner_a), world.unit_a, "漏水", world.owner_a)
    FeedbackItem.objects.filter(pk=item.pk).update(status=Status.CUSTOMER_INFORMED)
    user = neighbour if persona == "neighbour" else world.users[persona]
    client = english(user)
    # when / then
    assert client.get(f"/f/rate/{item.reference}/").status_code == 404
    assert client.post(f"/f/rate/{item.reference}/", {"rating": Rating.C}).status_code == 404
    item.refresh_from_db()
    assert item.rating == ""


def test_fb_5_portal_pages_need_signing_in(world):
    for path in ("/f/new/", "/f/mine/", "/f/rate/QD-A-20261126-0001/"):
        response = english().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
