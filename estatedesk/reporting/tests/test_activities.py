"""Community and company cultural activities (R-CS-3): a project's CS supervisor or manager plans one
(with the contracting client or not), records it as held with the attendance and the follow-up, adds
photos; staff of the project and company-wide roles see it, nobody else does, and its photos are served
only through the pages' views."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.common.testing import assert_queries_do_not_grow, response_text
from estatedesk.reporting import activities
from estatedesk.reporting.choices import ActivityKind, ActivityStatus
from estatedesk.reporting.models import ActivityPhoto, CommunityActivity

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def jpeg(name: str = "现场.jpg", size: tuple[int, int] = (900, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def plan(world: Any, **extra: Any) -> CommunityActivity:
    values = {
        "project": world.project_a,
        "title": "中秋游园会",
        "planned_on": date(2026, 9, 25),
        "kind": ActivityKind.COMMUNITY,
        "place": "中心花园",
        "with_client": True,
        "expected_attendance": 120,
        "plan": "猜灯谜、做月饼",
        **extra,
    }
    return activities.activity_plan(actor=world.supervisor_a, plan=activities.ActivityPlan(**values))


def detail(activity: CommunityActivity) -> str:
    return reverse("reporting:activity_detail", args=[activity.pk])


def test_cs_3_an_activity_planned_with_the_client_held_with_attendance_photos_and_follow_up(world, login):
    client = login(world.supervisor_a)
    with time_machine.travel(TODAY, tick=False):
        response = client.post(
            reverse("reporting:activity_new"),
            {
                "project": world.project_a.pk,
                "kind": ActivityKind.COMMUNITY,
                "title": "中秋游园会",
                "planned_on": "2026-09-25",
                "place": "中心花园",
                "with_client": "on",
                "expected_attendance": "120",
                "plan": "与开发商联合举办",
            },
        )
    activity = CommunityActivity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(activity)
    assert (activity.project, activity.with_client, activity.status) == (
        world.project_a,
        True,
        ActivityStatus.PLANNED,
    )
    assert activity.expected_attendance == 120
    assert activity.created_by == world.supervisor_a
    with time_machine.travel(datetime(2026, 9, 26, 9, 0, tzinfo=SHANGHAI), tick=False):
        client = login(world.supervisor_a)
        response = client.post(
            reverse("reporting:activity_record", args=[activity.pk]),
            {
                "held_on": "2026-09-25",
                "attendance": "132",
                "place": "",
                "follow_up": "业主建议明年增加儿童项目",
            },
        )
        assert response.status_code == 302
        response = client.post(
            reverse("reporting:activity_photos", args=[activity.pk]),
            {"photos": [jpeg("一.jpg"), jpeg("二.jpg")], "caption": "游园现场"},
        )
        assert response.status_code == 302
        page = response_text(client.get(detail(activity)))
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.HELD
    assert activity.planned_on == date(2026, 9, 25)
    assert activity.attendance == 132
    assert activity.place == "中心花园"  # an empty place keeps the planned one
    assert activity.follow_up == "业主建议明年增加儿童项目"
    photos = list(activity.photos.order_by("id"))
    assert [p.caption for p in photos] == ["游园现场", "游园现场"]
    assert all(p.thumbnail.name.endswith(".thumb.jpg") for p in photos)
    assert 'data-testid="with-client"' in page
    assert 'data-status="held"' in page
    assert page.count('data-testid="photo"') == 2
    assert "业主建议明年增加儿童项目" in page
    assert (
        AuditEntry.objects.filter(
            object_type="reporting.communityactivity", object_id=str(activity.pk)
        ).count()
        == 3
    )


def test_cs_3_photos_are_served_only_through_the_view_to_who_may_see_the_activity(world, login):
    activity = plan(world)
    photo = activities.activity_photos_add(actor=world.supervisor_a, activity=activity, photos=[jpeg()])[0]
    photo_url = reverse("reporting:activity_photo", args=[activity.pk, photo.pk])
    thumbnail_url = reverse("reporting:activity_photo_thumbnail", args=[activity.pk, photo.pk])
    for persona in (world.agent_a, world.pm_a, world.branch_manager, world.hq):
        response = login(persona).get(photo_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
    thumbnail = login(world.agent_a).get(thumbnail_url)
    with Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))) as image:
        assert max(image.size) == 320
    for persona in (world.outsider, world.nobody, world.owner_a):
        for url in (photo_url, thumbnail_url):
            assert login(persona).get(url).status_code in (403, 404)
    assert Client().get(photo_url).status_code == 302
    page = response_text(login(world.agent_a).get(detail(activity)))
    assert photo_url in page
    assert "/media/" not in page
    assert photo.image.name not in page
    # a photo of another activity is not reachable through this one
    other = plan(world, title="重阳节敬老")
    assert (
        login(world.agent_a).get(reverse("reporting:activity_photo", args=[other.pk, photo.pk])).status_code
        == 404
    )


def test_cs_3_what_is_not_a_photo_or_too_large_is_refused(world, login):
    activity = plan(world)
    client = login(world.supervisor_a)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    client.post(reverse("reporting:activity_photos", args=[activity.pk]), {"photos": [fake]})
    big = SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1), content_type="image/jpeg")
    client.post(reverse("reporting:activity_photos", args=[activity.pk]), {"photos": [big]})
    assert not ActivityPhoto.objects.exists()
    with translation.override("en"), pytest.raises(DomainError) as refused:
        activities.activity_photos_add(actor=world.supervisor_a, activity=activity, photos=[jpeg(), fake])
    assert refused.value.fields["photos"] == ["x.jpg is not a photo (JPEG, PNG, WebP or GIF)."]
    assert not ActivityPhoto.objects.exists()


def test_cs_3_an_activity_is_scoped_to_its_project_and_the_outsider_gets_404(world, login):
    activity = plan(world)
    photo = activities.activity_photos_add(actor=world.supervisor_a, activity=activity, photos=[jpeg()])[0]
    client = login(world.outsider)
    urls = [
        detail(activity),
        reverse("reporting:activity_photo", args=[activity.pk, photo.pk]),
        reverse("reporting:activity_photo_thumbnail", args=[activity.pk, photo.pk]),
        reverse("api-reporting-activity", args=[activity.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "中秋" not in response_text(response)
    posts = {
        reverse("reporting:activity_record", args=[activity.pk]): {
            "held_on": "2026-01-01",
            "attendance": "1",
        },
        reverse("reporting:activity_cancel", args=[activity.pk]): {},
        reverse("reporting:activity_photos", args=[activity.pk]): {"photos": [jpeg()]},
        reverse("reporting:activity_photo_remove", args=[activity.pk, photo.pk]): {},
        reverse("api-reporting-activity-record", args=[activity.pk]): {
            "held_on": "2026-01-01",
            "attendance": 1,
        },
        reverse("api-reporting-activity-cancel", args=[activity.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    listing = client.get(reverse("reporting:activity_list"))
    assert listing.status_code == 200
    assert "中秋" not in response_text(listing)
    assert client.get(reverse("api-reporting-activities")).json()["results"] == []
    response = client.post(
        reverse("api-reporting-activities"),
        {"project": world.project_a.code, "title": "外人活动", "planned_on": "2026-10-01"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.get(reverse("reporting:activity_new")).status_code == 200  # for their own project B
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.PLANNED
    assert activity.photos.count() == 1


@pytest.mark.parametrize("persona", ["nobody", "owner_a"])
def test_cs_3_nobody_and_an_owner_see_no_activity(world, login, persona):
    activity = plan(world)
    client = login(getattr(world, persona))
    for url in (reverse("reporting:activity_list"), reverse("reporting:activity_new"), detail(activity)):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "中秋" not in response_text(response)
    assert client.get(reverse("api-reporting-activities")).status_code == 403
    assert client.get(reverse("api-reporting-activity", args=[activity.pk])).status_code == 404
    assert Client().get(reverse("api-reporting-activities")).status_code == 401
    assert Client().get(reverse("reporting:activity_list")).status_code == 302


def test_cs_3_only_the_projects_cs_supervisor_or_manager_plans_and_records(world, login):
    activity = plan(world)
    for persona in (world.agent_a, world.branch_manager, world.hq):
        client = login(persona)
        assert client.get(detail(activity)).status_code == 200  # they see it
        assert client.get(reverse("reporting:activity_new")).status_code == 403
        record = reverse("reporting:activity_record", args=[activity.pk])
        assert client.post(record, {"held_on": "2026-01-01", "attendance": "1"}).status_code == 403
        assert 'data-testid="record-form"' not in response_text(client.get(detail(activity)))
    assert login(world.pm_a).get(reverse("reporting:activity_new")).status_code == 200
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.PLANNED


def test_cs_3_nothing_is_held_in_the_future_and_a_cancelled_activity_is_not_recorded(world, login):
    activity = plan(world)
    client = login(world.supervisor_a)
    with time_machine.travel(TODAY, tick=False):
        response = client.post(
            reverse("reporting:activity_record", args=[activity.pk]),
            {"held_on": "2026-09-25", "attendance": "10"},
        )
        assert response.status_code == 400
        activity.refresh_from_db()
        assert activity.status == ActivityStatus.PLANNED
        response = client.post(reverse("reporting:activity_cancel", args=[activity.pk]), {"reason": "台风"})
        assert response.status_code == 302
        activity.refresh_from_db()
        assert activity.status == ActivityStatus.CANCELLED
        response = client.post(
            reverse("reporting:activity_record", args=[activity.pk]),
            {"held_on": "2026-09-19", "attendance": "10"},
        )
        assert response.status_code == 302
        activity.refresh_from_db()
        assert activity.status == ActivityStatus.CANCELLED
        assert activity.attendance is None
    entry = AuditEntry.objects.filter(
        object_id=str(activity.pk), object_type="reporting.communityactivity"
    ).last()
    assert entry is not None
    assert entry.changes["reason"] == ["", "台风"]


def test_cs_3_the_api_plans_lists_records_and_shows_an_activity(world, login):
    client = login(world.supervisor_a)
    response = client.post(
        reverse("api-reporting-activities"),
        {
            "project": world.project_a.code,
            "kind": "cultural",
            "title": "员工篮球赛",
            "planned_on": "2026-09-01",
            "with_client": False,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["project"], body["kind"], body["status"], body["photos"]) == (
        "QD-A",
        "cultural",
        "planned",
        [],
    )
    with time_machine.travel(TODAY, tick=False):
        recorded = login(world.supervisor_a).post(
            reverse("api-reporting-activity-record", args=[body["id"]]),
            {"held_on": "2026-09-02", "attendance": 24, "follow_up": "下季度再办"},
            content_type="application/json",
        )
    assert recorded.status_code == 200
    assert (recorded.json()["status"], recorded.json()["attendance"]) == ("held", 24)
    rows = (
        login(world.hq).get(reverse("api-reporting-activities"), {"project": "QD-A", "status": "held"}).json()
    )
    assert [row["id"] for row in rows["results"]] == [body["id"]]
    assert rows["results"][0]["photo_count"] == 0
    invalid = client.post(
        reverse("api-reporting-activities"),
        {"project": world.project_a.code, "title": " ", "planned_on": "2026-09-01"},
        content_type="application/json",
    )
    assert invalid.status_code == 400
    assert invalid.json()["code"] in ("invalid", "reporting.activity_invalid")
    forbidden = login(world.agent_a).post(
        reverse("api-reporting-activities"),
        {"project": world.project_a.code, "title": "x", "planned_on": "2026-09-01"},
        content_type="application/json",
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"


def test_cs_3_activity_list_and_api_queries_do_not_grow(world, login):
    activity = plan(world)
    activities.activity_photos_add(actor=world.supervisor_a, activity=activity, photos=[jpeg()])
    counter = iter(range(100))

    def add_rows() -> list[str]:
        titles = []
        for _ in range(8):
            number = next(counter)
            title = f"活动{number}号"
            plan(world, title=title)
            titles.append(title)
        return titles

    client = login(world.hq)
    assert_queries_do_not_grow(client, reverse("reporting:activity_list"), add_rows, ceiling=15)
    assert_queries_do_not_grow(client, reverse("api-reporting-activities"), add_rows, ceiling=15)
