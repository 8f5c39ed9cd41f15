"""R-SV-5: the report is reviewed by someone other than its author before it is distributed, to the
departments or the leaders the route says; each recipient's first reading is recorded and the unread are
reminded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from estatedesk.common.errors import DomainError
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department
from estatedesk.surveys import reports
from estatedesk.surveys.choices import Audience, CampaignStatus, ReportStatus, Runner
from estatedesk.surveys.models import CampaignReport, ReportRecipient, ReportRoute
from estatedesk.surveys.tests.test_reports_world import (
    add_form,
    fill,
    make_campaign,
    member,
    qa_setup,
    routes,
    survey,
)

__all__ = ["survey"]


def _approved(survey, world, *, reviewer=None):
    report = reports.report_draft(
        actor=world.supervisor_a, campaign=survey.campaign, summary="工程维修需改进"
    )
    report = reports.report_submit(actor=world.supervisor_a, report=report)
    return reports.report_review(actor=reviewer or world.pm_a, report=report, approve=True, note="")


# --- drafting ----------------------------------------------------------------------------------------------


def test_sv_5_the_runner_drafts_and_edits_the_report(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="  初稿 ")

    assert report.status == ReportStatus.DRAFT
    assert report.author == world.supervisor_a
    assert report.summary == "初稿"
    again = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="二稿")
    assert again.pk == report.pk
    assert CampaignReport.objects.get().summary == "二稿"


def test_sv_5_someone_else_cannot_edit_the_authors_draft(survey, world):
    reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="初稿")

    with pytest.raises(DomainError) as error:
        reports.report_draft(actor=world.pm_a, campaign=survey.campaign, summary="改")
    assert error.value.code == "surveys.report_not_author"


def test_sv_5_drafting_needs_surveys_run_at_the_project(survey, world):
    from django.core.exceptions import PermissionDenied

    for user in (world.agent_a, world.outsider, world.owner_a, world.nobody):
        with pytest.raises(PermissionDenied):
            reports.report_draft(actor=user, campaign=survey.campaign, summary="x")
    assert not CampaignReport.objects.exists()


def test_sv_2_no_report_while_an_area_is_below_the_threshold_the_message_lists_it(survey, world):
    building, garden = survey.areas
    add_form(survey, garden, None)  # 中心花园: 2 of 3 returned, 66.67%

    with pytest.raises(DomainError) as error:
        reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="x")

    assert error.value.code == "surveys.below_return_rate"
    assert "中心花园 (66.67%, 2/3)" in str(error.value.message)
    assert "1号楼" not in str(error.value.message)
    garden.waiver_reason = "住户外出"
    garden.waiver_at = timezone.now()
    garden.save()
    assert reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="x").pk


def test_sv_5_no_report_for_a_cancelled_campaign(world):
    routes(world.company)
    cancelled = fill(make_campaign(world, status=CampaignStatus.CANCELLED))

    with pytest.raises(DomainError) as error:
        reports.report_draft(actor=world.supervisor_a, campaign=cancelled.campaign, summary="x")
    assert error.value.code == "surveys.campaign_not_reportable"


# --- review ------------------------------------------------------------------------------------------------


def test_sv_5_submit_tells_the_route_reviewers_but_not_the_author(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")

    reports.report_submit(actor=world.supervisor_a, report=report)

    report.refresh_from_db()
    assert report.status == ReportStatus.IN_REVIEW
    assert report.submitted_at is not None
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"pm_a", "branch_manager"}
    assert Notification.objects.filter(group_key=f"/surveys/{survey.campaign.reference}/report/").count() == 2


def test_sv_5_the_author_cannot_review_their_own_report(survey, world):
    report = reports.report_draft(actor=world.pm_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.pm_a, report=report)

    with pytest.raises(DomainError) as error:
        reports.report_review(actor=world.pm_a, report=report, approve=True, note="")

    assert error.value.code == "surveys.review_own"
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_REVIEW
    assert report.figures is None


def test_sv_5_a_reviewer_without_the_routes_role_cannot_review(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)

    for user in (world.agent_a, world.hq, world.outsider):
        with pytest.raises(DomainError) as error:
            reports.report_review(actor=user, report=report, approve=True, note="")
        assert error.value.code == "surveys.not_reviewer"
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_REVIEW


def test_sv_5_a_qa_report_is_reviewed_by_the_qa_manager_only(world, django_user_model):
    routes(world.company)
    qa = qa_setup(django_user_model, world)
    survey = fill(make_campaign(world, runner=Runner.QUALITY, department=qa["qa"]))
    report = reports.report_draft(actor=qa["qa_staff"], campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=qa["qa_staff"], report=report)

    with pytest.raises(DomainError) as error:
        reports.report_review(actor=world.pm_a, report=report, approve=True, note="")
    assert error.value.code == "surveys.not_reviewer"
    approved = reports.report_review(actor=qa["qa_manager"], report=report, approve=True, note="同意")
    assert approved.status == ReportStatus.APPROVED
    assert approved.reviewer == qa["qa_manager"]


def test_sv_5_returning_needs_a_note_then_the_author_edits_and_resubmits(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=world.supervisor_a, report=report)

    with pytest.raises(DomainError) as error:
        reports.report_review(actor=world.pm_a, report=report, approve=False, note="  ")
    assert error.value.code == "surveys.note_required"
    assert "note" in error.value.fields

    returned = reports.report_review(actor=world.pm_a, report=report, approve=False, note="补充整改措施")
    assert returned.status == ReportStatus.RETURNED
    assert returned.review_note == "补充整改措施"
    assert Notification.objects.filter(user=world.supervisor_a).count() == 1

    reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论与整改措施")
    again = reports.report_submit(actor=world.supervisor_a, report=report)
    assert again.status == ReportStatus.IN_REVIEW
    assert again.summary == "结论与整改措施"


def test_sv_5_approval_freezes_the_figures_and_stores_the_pdf(survey, world):
    report = _approved(survey, world)

    assert report.status == ReportStatus.APPROVED
    assert report.reviewer == world.pm_a
    assert report.figures["overall"]["rate"] == "70.59"
    assert [row["rate"] for row in report.figures["items"]] == ["80.00", "50.00", "83.33"]
    assert report.pdf.name
    assert default_storage.exists(report.pdf.name)
    with default_storage.open(report.pdf.name, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # later answers do not change the approved report's numbers
    add_form(survey, survey.areas[0], [4, 4, 4])
    report.refresh_from_db()
    assert report.figures["overall"]["rate"] == "70.59"


def test_sv_5_an_approved_report_can_no_longer_be_edited(survey, world):
    _approved(survey, world)

    with pytest.raises(DomainError) as error:
        reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="改")
    assert error.value.code == "surveys.report_locked"


# --- distribution ------------------------------------------------------------------------------------------


def test_sv_5_distribution_is_refused_before_approval(survey, world):
    report = reports.report_draft(actor=world.supervisor_a, campaign=survey.campaign, summary="结论")
    with pytest.raises(DomainError) as draft:
        reports.report_distribute(actor=world.supervisor_a, report=report)
    report = reports.report_submit(actor=world.supervisor_a, report=report)
    with pytest.raises(DomainError) as in_review:
        reports.report_distribute(actor=world.supervisor_a, report=report)
    report = reports.report_review(actor=world.pm_a, report=report, approve=False, note="重写")
    with pytest.raises(DomainError) as returned:
        reports.report_distribute(actor=world.supervisor_a, report=report)

    assert draft.value.code == in_review.value.code == returned.value.code == "surveys.not_approved"
    assert not ReportRecipient.objects.exists()


def _departments(world, django_user_model):
    """An engineering department at project A with two members (one inactive), a cleaning department of
    the branch with one member, and the company's admin department."""
    engineering = Department.objects.create(
        company=world.company, project=world.project_a, kind=DepartmentKind.ENGINEERING, name="海景工程部"
    )
    cleaning = Department.objects.create(
        company=world.company, branch=world.branch_a, kind=DepartmentKind.CLEANING, name="青岛保洁部"
    )
    admin = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    people = {
        "engineer": member(
            django_user_model,
            world,
            "engineer",
            Role.DEPT_SUPERVISOR,
            project=world.project_a,
            department=engineering,
        ),
        "cleaner": member(
            django_user_model,
            world,
            "cleaner",
            Role.DEPT_SUPERVISOR,
            branch=world.branch_a,
            department=cleaning,
        ),
        "clerk": member(django_user_model, world, "clerk", Role.ADMIN_DEPT, department=admin),
    }
    gone = member(
        django_user_model, world, "gone", Role.EXECUTOR, project=world.project_a, department=engineering
    )
    gone.is_active = False
    gone.save()
    return {"engineering": engineering, "cleaning": cleaning, "admin": admin, **people}


def test_sv_5_a_customer_service_report_goes_to_the_items_departments_by_default(
    survey, world, django_user_model
):
    org = _departments(world, django_user_model)
    cs = Department.objects.get(project=world.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    supervisor = world.supervisor_a
    supervisor.memberships.update(department=cs)
    report = _approved(survey, world)

    assert {d.name for d in reports.default_departments(survey.campaign)} == {
        "海景花园客服部",
        "海景工程部",
        "青岛保洁部",
    }
    distributed = reports.report_distribute(actor=world.supervisor_a, report=report)

    assert distributed.status == ReportStatus.DISTRIBUTED
    assert distributed.audience == Audience.DEPARTMENTS
    assert distributed.distributed_by == world.supervisor_a
    rows = {
        row.user.username: row.department
        for row in ReportRecipient.objects.select_related("user", "department")
    }
    assert rows == {"supervisor_a": cs, "engineer": org["engineering"], "cleaner": org["cleaning"]}
    url = f"/surveys/{survey.campaign.reference}/report/"
    told = Notification.objects.filter(group_key=url).values_list("user__username", flat=True)
    assert {"engineer", "cleaner", "supervisor_a"} <= set(told)


def test_sv_5_the_reviewer_may_choose_the_departments(survey, world, django_user_model):
    org = _departments(world, django_user_model)
    report = _approved(survey, world)

    reports.report_distribute(actor=world.pm_a, report=report, departments=[org["admin"]])

    assert list(ReportRecipient.objects.values_list("user__username", flat=True)) == ["clerk"]


def test_sv_5_departments_of_another_branch_cannot_be_chosen(survey, world):
    report = _approved(survey, world)
    elsewhere = Department.objects.get(project=world.project_b)

    with pytest.raises(DomainError) as error:
        reports.report_distribute(actor=world.pm_a, report=report, departments=[elsewhere])
    assert error.value.code == "surveys.invalid"
    assert not ReportRecipient.objects.exists()


def test_sv_5_only_the_author_or_the_reviewer_distributes(survey, world):
    report = _approved(survey, world)

    with pytest.raises(DomainError) as error:
        reports.report_distribute(actor=world.branch_manager, report=report)
    assert error.value.code == "surveys.not_distributor"


def test_sv_5_distributing_twice_is_refused(survey, world, django_user_model):
    org = _departments(world, django_user_model)
    report = _approved(survey, world)
    reports.report_distribute(actor=world.pm_a, report=report, departments=[org["admin"]])
    sent = ReportRecipient.objects.count()

    with pytest.raises(DomainError) as error:
        reports.report_distribute(actor=world.pm_a, report=report, departments=[org["admin"]])
    assert error.value.code == "surveys.already_distributed"
    assert ReportRecipient.objects.count() == sent


@pytest.mark.parametrize("runner", [Runner.QUALITY, Runner.MANAGEMENT_OFFICE])
def test_sv_5_qa_and_management_office_reports_go_to_the_leaders_in_charge(world, django_user_model, runner):
    routes(world.company)
    qa = qa_setup(django_user_model, world)
    survey = fill(make_campaign(world, runner=runner))
    member(django_user_model, world, "leader_a", Role.LEADER, branch=world.branch_a)
    member(django_user_model, world, "gm", Role.GENERAL_MANAGER)
    member(django_user_model, world, "leader_b", Role.LEADER, branch=world.branch_b)
    member(django_user_model, world, "leader_a2", Role.LEADER, project=world.project_a2)
    author, reviewer = (
        (qa["qa_staff"], qa["qa_manager"]) if runner == Runner.QUALITY else (world.supervisor_a, world.pm_a)
    )
    report = reports.report_draft(actor=author, campaign=survey.campaign, summary="结论")
    reports.report_submit(actor=author, report=report)
    reports.report_review(actor=reviewer, report=report, approve=True, note="")

    reports.report_distribute(actor=author, report=report, departments=[])

    report.refresh_from_db()
    assert report.audience == Audience.LEADERS
    assert set(ReportRecipient.objects.values_list("user__username", flat=True)) == {"leader_a", "gm"}


def test_sv_5_no_recipients_is_refused(world):
    routes(world.company)
    ReportRoute.objects.filter(runner=Runner.CUSTOMER_SERVICE).update(audience=Audience.LEADERS)
    survey = fill(make_campaign(world))
    report = _approved(survey, world)

    with pytest.raises(DomainError) as error:
        reports.report_distribute(actor=world.pm_a, report=report)
    assert error.value.code == "surveys.no_recipients"
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED


# --- read receipts and reminders ---------------------------------------------------------------------------


@pytest.fixture
def distributed(survey, world, django_user_model):
    org = _departments(world, django_user_model)
    report = _approved(survey, world)
    reports.report_distribute(
        actor=world.pm_a, report=report, departments=[org["engineering"], org["cleaning"]]
    )
    report.refresh_from_db()
    return report, org


def test_sv_5_the_first_opening_is_recorded_once(distributed):
    report, org = distributed

    assert reports.report_mark_read(user=org["engineer"], report=report) is True
    first = ReportRecipient.objects.get(user=org["engineer"]).read_at
    assert first is not None
    assert reports.report_mark_read(user=org["engineer"], report=report) is False
    assert ReportRecipient.objects.get(user=org["engineer"]).read_at == first


def test_sv_5_another_users_opening_does_not_count(distributed, world):
    report, org = distributed

    assert reports.report_mark_read(user=world.pm_a, report=report) is False
    assert reports.report_mark_read(user=world.outsider, report=report) is False

    assert ReportRecipient.objects.filter(read_at__isnull=False).count() == 0


def test_sv_5_reminders_once_per_period_and_not_to_readers(distributed):
    report, org = distributed
    reports.report_mark_read(user=org["cleaner"], report=report)
    sent_at = report.distributed_at

    assert reports.report_reminders_send(now=sent_at + timedelta(days=1, hours=23)) == 0
    assert reports.report_reminders_send(now=sent_at + timedelta(days=2)) == 1
    assert reports.report_reminders_send(now=sent_at + timedelta(days=2, hours=1)) == 0
    assert reports.report_reminders_send(now=sent_at + timedelta(days=3, hours=23)) == 0
    assert reports.report_reminders_send(now=sent_at + timedelta(days=4)) == 1

    engineer = ReportRecipient.objects.get(user=org["engineer"])
    assert engineer.reminders == 2
    assert engineer.reminded_at == sent_at + timedelta(days=4)
    assert ReportRecipient.objects.get(user=org["cleaner"]).reminders == 0
    url = f"/surveys/{report.campaign.reference}/report/"
    assert Notification.objects.filter(user=org["engineer"], group_key=url).count() == 3  # sent, 2 reminders
    assert Notification.objects.filter(user=org["cleaner"], group_key=url).count() == 1  # sent only


def test_sv_5_reminders_follow_the_companys_rule(distributed, world):
    report, org = distributed
    world.company.survey_rules.report_reminder_days = 5
    world.company.survey_rules.save()

    assert reports.report_reminders_send(now=report.distributed_at + timedelta(days=4)) == 0
    assert reports.report_reminders_send(now=report.distributed_at + timedelta(days=5)) == 2


def test_sv_5_a_recipient_already_claimed_by_another_worker_is_not_reminded_again(distributed):
    report, org = distributed
    now = report.distributed_at + timedelta(days=3)
    # another worker claimed the engineer a moment ago
    ReportRecipient.objects.filter(user=org["engineer"]).update(reminded_at=now, reminders=1)

    assert reports.report_reminders_send(now=now) == 1  # the cleaner only
    assert ReportRecipient.objects.get(user=org["engineer"]).reminders == 1


def test_sv_5_the_daily_task_sends_the_reminders(distributed, time_machine):
    from estatedesk.surveys.tasks import report_reminders

    report, _org = distributed
    time_machine.move_to(report.distributed_at + timedelta(days=2, minutes=1), tick=False)

    assert report_reminders.call() == 2
