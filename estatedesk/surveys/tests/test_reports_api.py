"""R-SV-5 through the API: draft, submit, review, distribute and read a campaign's report, the inbox, the
errors as {code, message, fields}, and outsiders who see nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department
from estatedesk.surveys import reports
from estatedesk.surveys.choices import ReportStatus
from estatedesk.surveys.models import CampaignReport, ReportRecipient
from estatedesk.surveys.tests.test_reports_world import add_form, member, survey

__all__ = ["survey"]


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _base(survey):
    return f"/api/surveys/campaigns/{survey.campaign.reference}/report/"


def test_sv_5_the_whole_way_through_the_api(survey, world, django_user_model):
    engineering = Department.objects.create(
        company=world.company, project=world.project_a, kind=DepartmentKind.ENGINEERING, name="海景工程部"
    )
    engineer = member(
        django_user_model,
        world,
        "engineer",
        Role.DEPT_SUPERVISOR,
        project=world.project_a,
        department=engineering,
    )
    author, reviewer = _api(world.supervisor_a), _api(world.pm_a)
    base = _base(survey)

    assert author.get(base).status_code == 404  # no report yet
    drafted = author.post(base, {"summary": "初稿"}, format="json")
    assert drafted.status_code == 201
    assert drafted.json()["status"] == "draft"
    assert drafted.json()["figures_frozen"] is False
    assert drafted.json()["figures"]["overall"]["rate"] == "70.59"
    edited = author.post(base, {"summary": "工程维修需改进"}, format="json")
    assert edited.status_code == 200
    assert edited.json()["summary"] == "工程维修需改进"

    early = author.post(f"{base}distribute/", {}, format="json")
    assert early.status_code == 409
    assert early.json()["code"] == "surveys.not_approved"

    assert author.post(f"{base}submit/").json()["status"] == "in_review"
    own = _api(world.supervisor_a).post(f"{base}review/", {"approve": True}, format="json")
    assert own.status_code == 403
    assert own.json()["code"] in ("surveys.review_own", "surveys.not_reviewer")
    no_note = reviewer.post(f"{base}review/", {"approve": False, "note": ""}, format="json")
    assert no_note.status_code == 400
    assert no_note.json() == {
        "code": "surveys.note_required",
        "message": no_note.json()["message"],
        "fields": {"note": [no_note.json()["message"]]},
    }
    approved = reviewer.post(f"{base}review/", {"approve": True, "note": "同意"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["figures_frozen"] is True
    assert approved.json()["reviewer"]["id"] == world.pm_a.pk

    distributed = reviewer.post(f"{base}distribute/", {"departments": [engineering.pk]}, format="json")
    assert distributed.status_code == 200
    assert distributed.json()["status"] == "distributed"
    assert distributed.json()["audience"] == "departments"
    assert [row["user"]["id"] for row in distributed.json()["recipients"]] == [engineer.pk]
    assert distributed.json()["recipients"][0]["read_at"] is None

    inbox = _api(engineer).get("/api/surveys/reports/").json()
    assert [row["campaign"] for row in inbox["to_read"]] == [survey.campaign.reference]
    read = _api(engineer).get(base)
    assert read.status_code == 200
    assert read.json()["recipients"][0]["read_at"] is not None  # the first GET is the reading
    assert ReportRecipient.objects.get(user=engineer).read_at is not None
    assert _api(engineer).get("/api/surveys/reports/").json()["to_read"] == []


def test_sv_5_a_recipient_outside_the_project_reads_the_report_but_not_its_recipients(
    survey, world, django_user_model
):
    admin = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    clerk = member(
        django_user_model, world, "clerk_b", Role.ADMIN_DEPT, project=world.project_b, department=admin
    )
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)
    reports.report_review(actor=world.pm_a, report=report, approve=True, note="")
    reports.report_distribute(actor=world.pm_a, report=report, departments=[admin])
    client = _api(clerk)

    response = client.get(_base(survey))

    assert response.status_code == 200
    assert response.json()["recipients"] == []
    assert response.json()["figures"]["overall"]["rate"] == "70.59"
    assert ReportRecipient.objects.get(user=clerk).read_at is not None
    assert client.get(f"/api/surveys/campaigns/{survey.campaign.reference}/").status_code == 404
    assert client.get(f"/api/surveys/campaigns/{survey.campaign.reference}/figures/").status_code == 404
    assert client.post(f"{_base(survey)}distribute/", {}, format="json").status_code == 404


def test_sv_5_the_api_refuses_departments_of_elsewhere(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)
    reports.report_review(actor=world.pm_a, report=report, approve=True, note="")
    elsewhere = Department.objects.get(project=world.project_b)

    response = _api(world.pm_a).post(
        f"{_base(survey)}distribute/", {"departments": [elsewhere.pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "departments" in response.json()["fields"]
    assert CampaignReport.objects.get().status == ReportStatus.APPROVED


def test_sv_2_the_api_refuses_a_draft_below_the_threshold(survey, world):
    add_form(survey, survey.areas[1], None)

    response = _api(world.supervisor_a).post(_base(survey), {"summary": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "surveys.below_return_rate"
    assert "中心花园" in response.json()["message"]


def test_sv_5_the_api_inbox_lists_reports_to_review(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)

    body = _api(world.pm_a).get("/api/surveys/reports/").json()

    assert [row["campaign"] for row in body["to_review"]] == [survey.campaign.reference]
    assert _api(world.supervisor_a).get("/api/surveys/reports/").json()["to_review"] == []


def test_sv_5_an_agent_may_read_but_not_draft_through_the_api(survey, world):
    response = _api(world.agent_a).post(_base(survey), {"summary": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("who", ["outsider", "nobody", "owner_a"])
def test_sv_5_outsiders_get_nothing_from_the_report_api(survey, world, who):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="秘密结论")
    client = _api(getattr(world, who))
    base = _base(survey)

    response = client.get(base)
    assert response.status_code == 404
    assert "秘密结论" not in response.content.decode()
    for suffix, body in (
        ("", {"summary": "x"}),
        ("submit/", {}),
        ("review/", {"approve": True}),
        ("distribute/", {}),
    ):
        assert client.post(f"{base}{suffix}", body, format="json").status_code == 404, suffix
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.summary == "秘密结论"


def test_sv_5_the_inbox_api_is_for_staff(world):
    assert _api(world.outsider).get("/api/surveys/reports/").status_code == 200
    assert _api(world.nobody).get("/api/surveys/reports/").status_code == 403
    assert _api(world.owner_a).get("/api/surveys/reports/").status_code == 403
    assert APIClient().get("/api/surveys/reports/").status_code == 401


def test_sv_5_the_report_api_needs_authentication(survey):
    assert APIClient().get(_base(survey)).status_code == 401
    assert APIClient().post(_base(survey), {"summary": "x"}, format="json").status_code == 401


def test_sv_5_the_report_endpoints_are_in_the_schema(world, login):
    response = login(world.hq).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/surveys/campaigns/{reference}/report/",
        "/api/surveys/campaigns/{reference}/report/submit/",
        "/api/surveys/campaigns/{reference}/report/review/",
        "/api/surveys/campaigns/{reference}/report/distribute/",
        "/api/surveys/reports/",
    ):
        assert path in paths, path
