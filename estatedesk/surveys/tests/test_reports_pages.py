"""R-SV-5 on the pages: the report page's steps for whoever may take them (draft, submit, review, distribute),
the read receipt when a recipient opens it, the inbox and the home page's section; outsiders see nothing, and
a recipient from outside the project sees the report and nothing else of the campaign."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from estatedesk.notifications.models import Notification
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department
from estatedesk.surveys import reports
from estatedesk.surveys.choices import ReportStatus
from estatedesk.surveys.home import home_section
from estatedesk.surveys.models import CampaignReport, ReportRecipient
from estatedesk.surveys.tests.test_reports_world import add_form, member, survey

__all__ = ["survey"]


def _url(name, survey):
    return reverse(name, args=[survey.campaign.reference])


def _approved(survey, world):
    report = reports.report_draft(
        actor=world.supervisor_a, campaign=survey.campaign, summary="工程维修需改进"
    )
    reports.report_submit(actor=world.supervisor_a, report=report)
    return reports.report_review(actor=world.pm_a, report=report, approve=True, note="")


@pytest.fixture
def admin_dept(world, django_user_model):
    """The company's admin department with a member whose only role is at project B: a recipient from
    outside project A."""
    admin = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    clerk = member(
        django_user_model, world, "clerk_b", Role.ADMIN_DEPT, project=world.project_b, department=admin
    )
    return admin, clerk


@pytest.fixture
def distributed(survey, world, admin_dept):
    admin, clerk = admin_dept
    report = _approved(survey, world)
    reports.report_distribute(actor=world.pm_a, report=report, departments=[admin])
    report.refresh_from_db()
    return report, clerk


# --- the steps on the page ---------------------------------------------------------------------------------


def test_sv_5_the_runner_drafts_the_report_on_the_page(survey, world, login):
    client = login(world.supervisor_a)
    page = client.get(_url("surveys:report", survey))
    assert page.status_code == 200
    assert b'data-testid="draft-form"' in page.content
    assert b'data-testid="live"' in page.content
    assert "70.59%" in page.content.decode()

    response = client.post(_url("surveys:report_draft", survey), {"summary": "工程维修不满意较多"})

    assert response.status_code == 302
    report = CampaignReport.objects.get()
    assert report.author == world.supervisor_a
    assert report.summary == "工程维修不满意较多"


def test_sv_2_the_page_lists_the_blocking_areas_and_refuses_the_draft(survey, world, login):
    add_form(survey, survey.areas[1], None)  # 中心花园 2 of 3
    client = login(world.supervisor_a)

    page = client.get(_url("surveys:report", survey))
    assert "中心花园 (66.67%, 2/3)" in page.content.decode()
    response = client.post(_url("surveys:report_draft", survey), {"summary": "x"})

    assert response.status_code == 400
    assert "中心花园" in response.content.decode()
    assert not CampaignReport.objects.exists()


def test_sv_5_an_agent_sees_the_report_but_cannot_draft(survey, world, login):
    client = login(world.agent_a)

    page = client.get(_url("surveys:report", survey))

    assert page.status_code == 200
    assert b'data-testid="draft-form"' not in page.content
    assert client.post(_url("surveys:report_draft", survey), {"summary": "x"}).status_code == 403
    assert not CampaignReport.objects.exists()


def test_sv_5_submit_review_and_return_on_the_page(survey, world, login):
    reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    author = login(world.supervisor_a)
    assert b'data-testid="submit-form"' in author.get(_url("surveys:report", survey)).content
    assert author.post(_url("surveys:report_submit", survey)).status_code == 302
    assert CampaignReport.objects.get().status == ReportStatus.IN_REVIEW
    assert b'data-testid="review-form"' not in author.get(_url("surveys:report", survey)).content
    assert b'data-testid="review-refusal"' in login(world.agent_a).get(_url("surveys:report", survey)).content

    reviewer = login(world.pm_a)
    assert b'data-testid="review-form"' in reviewer.get(_url("surveys:report", survey)).content
    no_note = reviewer.post(_url("surveys:report_review", survey), {"decision": "return", "note": ""})
    assert no_note.status_code == 400
    assert CampaignReport.objects.get().status == ReportStatus.IN_REVIEW
    returned = reviewer.post(
        _url("surveys:report_review", survey), {"decision": "return", "note": "补充措施"}
    )
    assert returned.status_code == 302
    assert CampaignReport.objects.get().status == ReportStatus.RETURNED
    assert "补充措施" in author.get(_url("surveys:report", survey)).content.decode()


def test_sv_5_the_author_cannot_approve_through_the_page(survey, world, login):
    report = reports.report_draft(actor=world.pm_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.pm_a, report=report)
    client = login(world.pm_a)

    response = client.post(_url("surveys:report_review", survey), {"decision": "approve", "note": ""})

    assert response.status_code == 400
    assert CampaignReport.objects.get().status == ReportStatus.IN_REVIEW


def test_sv_5_approve_then_distribute_to_the_chosen_departments(survey, world, login, admin_dept):
    admin, clerk = admin_dept
    reports.report_submit(
        actor=world.supervisor_a,
        report=reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论"),
    )
    reviewer = login(world.pm_a)
    assert reviewer.post(_url("surveys:report_review", survey), {"decision": "approve"}).status_code == 302
    page = reviewer.get(_url("surveys:report", survey))
    assert b'data-testid="frozen"' in page.content
    assert b'data-testid="distribute-form"' in page.content
    assert "海景花园客服部" in page.content.decode()  # the default: the items' departments

    response = reviewer.post(_url("surveys:report_distribute", survey), {"departments": [admin.pk]})

    assert response.status_code == 302
    assert list(ReportRecipient.objects.values_list("user__username", flat=True)) == ["clerk_b"]
    page = reviewer.get(_url("surveys:report", survey))
    assert b'data-testid="recipient" data-user="clerk_b" data-read="no"' in page.content


def test_sv_5_distribution_with_no_members_shows_the_error(survey, world, login):
    _approved(survey, world)

    response = login(world.pm_a).post(_url("surveys:report_distribute", survey), {})

    assert response.status_code == 400
    assert CampaignReport.objects.get().status == ReportStatus.APPROVED


# --- read receipts -----------------------------------------------------------------------------------------


def test_sv_5_a_recipient_opening_the_page_is_recorded_once(distributed, login, world):
    report, clerk = distributed
    client = login(clerk)
    assert Notification.objects.filter(user=clerk, read_at__isnull=True).count() == 1

    assert client.get(reverse("surveys:report", args=[report.campaign.reference])).status_code == 200
    first = ReportRecipient.objects.get(user=clerk).read_at
    client.get(reverse("surveys:report", args=[report.campaign.reference]))

    assert first is not None
    assert ReportRecipient.objects.get(user=clerk).read_at == first
    assert Notification.objects.filter(user=clerk, read_at__isnull=True).count() == 0


def test_sv_5_another_users_opening_does_not_count_as_read(distributed, login, world):
    report, clerk = distributed

    login(world.pm_a).get(reverse("surveys:report", args=[report.campaign.reference]))
    login(world.supervisor_a).get(reverse("surveys:report", args=[report.campaign.reference]))

    assert ReportRecipient.objects.get(user=clerk).read_at is None


def test_sv_5_a_recipient_outside_the_project_sees_only_the_report(distributed, login, world):
    report, clerk = distributed
    client = login(clerk)
    reference = report.campaign.reference

    page = client.get(reverse("surveys:report", args=[reference]))
    assert page.status_code == 200
    assert "工程维修需改进" in page.content.decode()
    assert b'data-testid="campaign-link"' not in page.content
    assert b'data-testid="analysis-link"' not in page.content
    assert b'data-testid="recipients"' not in page.content
    assert b'data-testid="report-actions"' not in page.content
    assert client.get(reverse("surveys:report_pdf", args=[reference])).status_code == 200
    for name in ("surveys:campaign_detail", "surveys:analysis", "surveys:entry"):
        assert client.get(reverse(name, args=[reference])).status_code == 404, name
    assert client.post(reverse("surveys:report_draft", args=[reference]), {"summary": "x"}).status_code == 404
    assert client.post(reverse("surveys:report_distribute", args=[reference]), {}).status_code == 404


# --- the inbox and the home page ---------------------------------------------------------------------------


def test_sv_5_the_inbox_lists_reports_to_review_to_read_and_returned(survey, world, login, admin_dept):
    admin, clerk = admin_dept
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)
    reference = survey.campaign.reference

    review = login(world.pm_a).get(reverse("surveys:report_inbox"))
    assert f'data-testid="review-row" data-reference="{reference}"' in review.content.decode()
    agent = login(world.agent_a).get(reverse("surveys:report_inbox"))
    assert agent.status_code == 200
    assert reference not in agent.content.decode()

    reports.report_review(actor=world.pm_a, report=report, approve=False, note="补充")
    mine = login(world.supervisor_a).get(reverse("surveys:report_inbox"))
    assert f'data-testid="returned-row" data-reference="{reference}"' in mine.content.decode()

    reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论二")
    reports.report_submit(actor=world.supervisor_a, report=report)
    reports.report_review(actor=world.pm_a, report=report, approve=True, note="")
    reports.report_distribute(actor=world.supervisor_a, report=report, departments=[admin])
    to_read = login(clerk).get(reverse("surveys:report_inbox"))
    assert f'data-testid="read-row" data-reference="{reference}"' in to_read.content.decode()


def test_sv_5_the_inbox_query_count_does_not_grow_with_reports(world, login, django_assert_max_num_queries):
    from estatedesk.surveys.tests.test_reports_world import fill, make_campaign, routes

    routes(world.company)
    for n in range(1, 6):
        one = fill(make_campaign(world, reference=f"SV-QD-A-2026{n:02d}-01"))
        report = reports.report_draft(actor=world.supervisor_a, campaign=one.campaign, summary="结论")
        reports.report_submit(actor=world.supervisor_a, report=report)
    client = login(world.pm_a)
    client.get(reverse("surveys:report_inbox"))

    with django_assert_max_num_queries(12):
        response = client.get(reverse("surveys:report_inbox"))
    assert response.content.decode().count('data-testid="review-row"') == 5


def test_sv_5_the_home_section_lists_reports_to_review_and_to_read(survey, world, distributed):
    factory = RequestFactory()
    report, clerk = distributed

    request = factory.get("/")
    request.user = clerk
    section = home_section(request)
    assert section is not None
    assert section.context["read_count"] == 1

    request = factory.get("/")
    request.user = world.agent_a
    assert home_section(request) is None
    request.user = world.owner_a
    assert home_section(request) is None


def test_sv_5_the_home_section_renders(survey, world, login):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)
    from django.template.loader import render_to_string

    request = RequestFactory().get("/")
    request.user = world.pm_a
    section = home_section(request)
    assert section is not None
    html = render_to_string(section.template, {"section": section.context})
    assert survey.campaign.reference in html
    assert 'data-queue="survey_reports_to_review"' in html


# --- outsiders ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "nobody", "owner_a"])
def test_sv_5_outsiders_see_no_report_page_pdf_or_step(distributed, world, login, who):
    report, _clerk = distributed
    client = login(getattr(world, who))
    reference = report.campaign.reference

    for name in ("surveys:report", "surveys:report_pdf"):
        assert client.get(reverse(name, args=[reference])).status_code == 404, name
    for name in (
        "surveys:report_draft",
        "surveys:report_submit",
        "surveys:report_review",
        "surveys:report_distribute",
    ):
        assert client.post(reverse(name, args=[reference]), {"decision": "approve"}).status_code == 404, name
    assert ReportRecipient.objects.filter(read_at__isnull=False).count() == 0


def test_sv_5_the_inbox_is_for_staff(world, login):
    assert login(world.outsider).get(reverse("surveys:report_inbox")).status_code == 200
    assert login(world.nobody).get(reverse("surveys:report_inbox")).status_code == 403
    assert login(world.owner_a).get(reverse("surveys:report_inbox")).status_code == 403


def test_sv_5_anonymous_visitors_are_sent_to_sign_in(survey):
    client = Client()
    for url in (
        _url("surveys:report", survey),
        _url("surveys:report_pdf", survey),
        reverse("surveys:report_inbox"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_sv_5_a_get_cannot_take_a_step(survey, world, login):
    client = login(world.supervisor_a)

    assert client.get(_url("surveys:report_draft", survey)).status_code == 405
    assert client.get(_url("surveys:report_submit", survey)).status_code == 405
