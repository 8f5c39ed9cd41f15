"""The reports API: the same services as the pages (draft, submit, return, accept, follow-ups, files, an
event with its class, the hand-off from a feedback item); errors as {code, message, fields}; outsiders
404, no account 403, anonymous 401; the list's queries."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from estatedesk.feedback.tests.helpers import api_for, assert_error, register
from estatedesk.reporting import handoff
from estatedesk.reporting.models import ReportSubmission
from estatedesk.reporting.tests.test_submissions_helpers import expected, hq_setup, local

BASE = "/api/reporting/"


@pytest.fixture
def hq_world(world):
    return hq_setup(world)


def at(submission, action=""):
    return f"{BASE}submissions/{submission.reference}/{action}"


def test_ir_1_a_report_walked_through_the_api(hq_world):
    world = hq_world
    report = expected(world)
    admin, hq = api_for(world.doc_admin_a), api_for(world.hq)
    saved = admin.patch(at(report), {"title": "11月", "values": {"operations": "平稳"}}, format="json")
    assert saved.status_code == 200
    assert (saved.json()["status"], saved.json()["values"], saved.json()["template_version"]) == (
        "draft",
        {"operations": "平稳"},
        1,
    )
    assert saved.json()["missing"] == ["Managed area"]
    assert_error(admin.post(at(report, "submit/")), 400, "reporting.incomplete", {"managed_area"})
    assert_error(
        admin.patch(at(report), {"values": {"managed_area": "很大"}}, format="json"),
        400,
        "reporting.invalid_values",
        {"managed_area"},
    )
    admin.patch(at(report), {"values": {"managed_area": "125000"}}, format="json")
    submitted = admin.post(at(report, "submit/"))
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
    assert_error(
        admin.post(at(report, "accept/"), {"quality_level": world.good.pk}), 403, "permission_denied"
    )
    assert_error(hq.post(at(report, "return/"), {"reason": ""}), 400, "reporting.reason_required", {"reason"})
    returned = hq.post(at(report, "return/"), {"reason": "补充明细"}, format="json")
    assert (returned.json()["status"], returned.json()["returned_reason"]) == ("returned", "补充明细")
    admin.post(at(report, "submit/"))
    assert_error(hq.post(at(report, "accept/"), {"quality_level": 999999}), 400, "invalid", {"quality_level"})
    accepted = hq.post(at(report, "accept/"), {"quality_level": world.excellent.pk}, format="json")
    body = accepted.json()
    assert (body["status"], body["quality_level"], body["quality_score"], body["resubmissions"]) == (
        "accepted",
        "优",
        "100.00",
        1,
    )
    assert [row["kind"] for row in body["history"]] == ["submitted", "returned", "resubmitted", "accepted"]
    assert_error(admin.patch(at(report), {"title": "x"}, format="json"), 409, "reporting.locked")
    listed = hq.get(f"{BASE}submissions/", {"period": "2026-11", "status": "accepted"})
    assert [row["reference"] for row in listed.json()["results"]] == [report.reference]
    assert_error(hq.get(f"{BASE}submissions/", {"period": "11/2026"}), 400, "invalid", {"period"})


def test_ir_4_an_event_its_class_and_follow_ups_through_the_api(hq_world):
    world = hq_world
    payload = {
        "type": "emergency_class1",
        "project": "QD-A",
        "occurred_at": "2026-12-02T08:00:00+08:00",
        "title": "地下室进水",
        "facts": {"loss_yuan": "3000.00"},
        "values": {"what_happened": "暴雨倒灌"},
    }
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        made = api_for(world.supervisor_a).post(f"{BASE}instant/", payload, format="json")
        assert made.status_code == 201, made.content
        body = made.json()
        assert (body["reference"], body["proposed_class"], body["due_at"], body["on_time"]) == (
            "IR-QD-A-20261202-001",
            "class_1",
            "2026-12-03T08:00:00+08:00",
            True,
        )
        assert_error(
            api_for(world.pm_a).post(
                f"{BASE}instant/", {**payload, "emergency_class": "class_2"}, format="json"
            ),
            400,
            "reporting.class_reason_required",
            {"reason"},
        )
        assert_error(
            api_for(world.outsider).post(f"{BASE}instant/", payload, format="json"), 404, "not_found"
        )
        assert_error(
            api_for(world.supervisor_a).post(f"{BASE}instant/", {**payload, "type": "nope"}, format="json"),
            400,
            "invalid",
            {"type"},
        )
    report = ReportSubmission.objects.get(reference=body["reference"])
    assert_error(
        api_for(world.supervisor_a).post(at(report, "class/"), {"emergency_class": "class_1"}),
        403,
        "permission_denied",
    )
    confirmed = api_for(world.pm_a).post(
        at(report, "class/"), {"emergency_class": "class_2", "reason": "损失实为2000元"}
    )
    assert (confirmed.json()["confirmed_class"], confirmed.json()["class_reason"]) == (
        "class_2",
        "损失实为2000元",
    )
    follow = api_for(world.supervisor_a).post(at(report, "follow-ups/"), {"kind": "final", "text": "已修复"})
    assert follow.status_code == 201
    assert follow.json()["final_at"] is not None
    assert_error(
        api_for(world.supervisor_a).post(at(report, "follow-ups/"), {"text": "再报"}),
        409,
        "reporting.final_given",
    )


def test_files_through_the_api(hq_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    report = expected(world, itype=world.finance)
    added = api_for(world.doc_admin_a).post(
        at(report, "attachments/"), {"file": SimpleUploadedFile("报表.xlsx", b"PK sheet")}, format="multipart"
    )
    assert added.status_code == 201
    assert [row["name"] for row in added.json()["attachments"]] == ["报表.xlsx"]
    assert_error(
        api_for(world.doc_admin_a).post(
            at(report, "attachments/"), {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart"
        ),
        400,
        "reporting.file_type",
        {"file"},
    )


def test_ir_8_the_hand_off_from_an_item_through_the_api(hq_world):
    world = hq_world
    handoff.connect()
    item = register(world, is_major=True, title="外墙脱落砸坏车辆")
    made = api_for(world.pm_a).post(f"{BASE}from-item/{item.reference}/")
    assert made.status_code == 201
    assert (made.json()["feedback_item"], made.json()["type"]) == (item.reference, "major_complaint")
    again = api_for(world.supervisor_a).post(f"{BASE}from-item/{item.reference}/")
    assert (again.status_code, again.json()["reference"]) == (200, made.json()["reference"])
    assert ReportSubmission.objects.count() == 1
    assert_error(api_for(world.outsider).post(f"{BASE}from-item/{item.reference}/"), 404, "not_found")
    assert_error(api_for(world.agent_a).post(f"{BASE}from-item/{item.reference}/"), 403, "permission_denied")
    ordinary = register(world)
    assert_error(
        api_for(world.pm_a).post(f"{BASE}from-item/{ordinary.reference}/"), 400, "feedback.not_reportable"
    )


def test_outsiders_see_nothing_through_the_api(hq_world):
    world = hq_world
    report = expected(world)
    for persona in ("outsider", "doc_admin_b"):
        client = api_for(world.users[persona])
        assert_error(client.get(at(report)), 404, "not_found")
        assert_error(client.patch(at(report), {"title": "x"}, format="json"), 404, "not_found")
        for action in ("submit/", "return/", "accept/", "follow-ups/", "attachments/", "class/"):
            assert_error(client.post(at(report, action), {}), 404, "not_found")
        assert report.reference not in client.get(f"{BASE}submissions/").content.decode()
    for persona in ("nobody", "owner_a"):
        client = api_for(world.users[persona])
        assert_error(client.get(f"{BASE}submissions/"), 403, "permission_denied")
        assert_error(client.get(at(report)), 403, "permission_denied")
        assert_error(client.post(f"{BASE}instant/", {}, format="json"), 403, "permission_denied")
    anonymous = APIClient()
    assert anonymous.get(f"{BASE}submissions/").status_code == 401
    assert anonymous.post(f"{BASE}instant/", {}, format="json").status_code == 401
    report.refresh_from_db()
    assert report.status == "expected"


def test_the_list_api_makes_as_many_queries_with_many_rows(hq_world, django_assert_max_num_queries):
    world = hq_world
    for month in range(1, 13):
        expected(world, month=date(2025, month, 1))
        expected(world, project=world.project_a, month=date(2025, month, 1))
    client = api_for(world.hq)
    client.get(f"{BASE}submissions/")
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}submissions/")
    assert response.json()["count"] == 24
