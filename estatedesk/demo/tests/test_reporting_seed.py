"""The demo's reporting to HQ (issue 14): a year of monthly reports with its story (late ones, one returned
and resubmitted, one missing), two class-1 emergencies, the newsletter, documents, activities, a
scorecard for last month; and a second seeding adds nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.demo.reporting_seeding import seed_reporting
from estatedesk.demo.seeding import ACCOUNTS
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch
from estatedesk.reporting import scoring
from estatedesk.reporting.choices import (
    ActivityStatus,
    EmergencyClass,
    IssueStatus,
    ProposalStatus,
    SubmissionStatus,
    UpdateKind,
)
from estatedesk.reporting.models import (
    CommunityActivity,
    Document,
    DocumentDelivery,
    NewsletterArticle,
    NewsletterIssue,
    NoticePage,
    ReportAttachment,
    ReportSubmission,
    ReportUpdate,
    RuleProposal,
)

REPORTING_MODELS = (
    ReportSubmission,
    ReportUpdate,
    ReportAttachment,
    RuleProposal,
    NewsletterIssue,
    NewsletterArticle,
    NoticePage,
    Document,
    DocumentDelivery,
    CommunityActivity,
    Notification,
)


@pytest.fixture
def seeded(demo_seeded: Any, db: Any) -> Any:
    """The demo, seeded once for the package (conftest.py; its files in a temporary folder)."""
    return demo_seeded


def month_start(months_back: int) -> Any:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return today.replace(year=index // 12, month=index % 12 + 1, day=1)


def business_reports(code: str) -> Any:
    return ReportSubmission.objects.filter(
        branch__code=code,
        project__isnull=True,
        information_type__code="monthly_business",
        period_start__gte=month_start(11),
    )


def test_ir_1_a_branch_open_all_year_has_twelve_monthly_reports_and_one_opened_mid_year_fewer(seeded):
    # then QD, open all year, is expected a business report for each of the 12 months
    qd = business_reports("QD")
    assert qd.count() == 12
    assert sorted(qd.values_list("period_start", flat=True)) == [month_start(n) for n in range(11, -1, -1)]
    # and JN, opened five months before this month, only from then on
    jn = Branch.objects.get(code="JN")
    assert jn.opened_on == month_start(5)
    assert sorted(business_reports("JN").values_list("period_start", flat=True)) == [
        month_start(n) for n in range(5, -1, -1)
    ]


def test_ir_1_the_year_has_late_reports_one_returned_and_resubmitted_and_one_missing(seeded):
    qd = business_reports("QD")
    now = timezone.now()
    # some late (first submitted after the deadline's second)
    late = [r for r in qd.filter(first_submitted_at__isnull=False) if r.first_submitted_at >= r.due_at]
    assert len(late) == 2
    # one returned by HQ and resubmitted, keeping its first submission time, then accepted
    returned = qd.get(resubmissions=1)
    kinds = list(ReportUpdate.objects.filter(submission=returned).values_list("kind", flat=True))
    assert kinds == [UpdateKind.SUBMITTED, UpdateKind.RETURNED, UpdateKind.RESUBMITTED, UpdateKind.ACCEPTED]
    assert returned.first_submitted_at < returned.due_at < returned.submitted_at
    assert returned.status == SubmissionStatus.ACCEPTED
    # one missing: its deadline passed, never submitted, listed for HQ and the branch manager told
    missing = qd.filter(first_submitted_at__isnull=True, due_at__lt=now)
    assert missing.count() == 1
    assert missing.get().listed_missing_at is not None
    assert missing.get().escalated_at is not None
    # this month's is a draft, every earlier filed one accepted by HQ with a level of the rubric
    assert qd.get(period_start=month_start(0)).status == SubmissionStatus.DRAFT
    filed = qd.filter(first_submitted_at__isnull=False)
    assert filed.count() == 10
    assert not filed.exclude(status=SubmissionStatus.ACCEPTED).exists()
    assert set(filed.values_list("quality_level__label", flat=True)) <= {"优", "良", "中", "差"}
    # JN's last month awaits HQ's review
    assert business_reports("JN").get(period_start=month_start(1)).status == SubmissionStatus.SUBMITTED
    # and every history row is in the past
    assert not ReportUpdate.objects.filter(at__gt=now).exists()


def test_ir_4_two_class_1_emergencies_and_a_class_2_event_at_haijing(seeded):
    events = ReportSubmission.objects.filter(
        project__code="QD-HJ", information_type__code="emergency_class1"
    ).order_by("occurred_at")
    class_1 = events.filter(confirmed_class=EmergencyClass.CLASS_1)
    assert class_1.count() == 2
    # each reported within the hours of the event
    for event in class_1:
        assert event.first_submitted_at <= event.due_at
        assert event.due_at == event.occurred_at + timedelta(hours=24)
    # one with its first report, a follow-up and the final report
    fire = class_1.get(final_at__isnull=False)
    kinds = list(ReportUpdate.objects.filter(submission=fire).values_list("kind", flat=True))
    assert kinds[0] == UpdateKind.FIRST
    assert UpdateKind.FOLLOW_UP in kinds
    assert UpdateKind.FINAL in kinds
    # the class-2 event is told in last month's business report of the branch
    attempt = events.get(confirmed_class=EmergencyClass.CLASS_2)
    last_month = business_reports("QD").get(period_start=month_start(1))
    assert last_month.values["class2_events"] == "1"
    assert attempt.reference in last_month.values["class2_events_note"]


def test_ir_8_a_major_or_hot_complaint_was_handed_over_and_its_progress_followed(seeded):
    report = ReportSubmission.objects.get(feedback_item__isnull=False)
    item = report.feedback_item
    assert item.is_major or item.is_hot
    assert report.information_type.code == "major_complaint"
    # handed over soon after it was registered, within the hours
    assert item.reported_to_hq_at == report.first_submitted_at
    assert item.registered_at < report.first_submitted_at <= report.due_at
    # the item's later progress reached the report as follow-ups, each once, in order after the first
    updates = list(ReportUpdate.objects.filter(submission=report))
    assert updates[0].kind == UpdateKind.FIRST
    follow_ups = updates[1:]
    assert follow_ups
    assert {u.kind for u in follow_ups} == {UpdateKind.FOLLOW_UP}
    events = item.events.filter(at__gt=report.first_submitted_at).exclude(kind="hq_report")
    assert sorted(u.source_event_id for u in follow_ups) == sorted(events.values_list("id", flat=True))


def test_ir_2_ir_6_ir_7_cs_3_proposal_newsletter_noticeboard_documents_and_activities(seeded):
    # a branch's proposal, accepted, and the template's next version it asked for
    proposal = RuleProposal.objects.get(branch__code="QD")
    assert proposal.status == ProposalStatus.ACCEPTED
    first = business_reports("QD").get(period_start=month_start(11))
    draft = business_reports("QD").get(period_start=month_start(0))
    assert (first.template.version, draft.template.version) == (1, 2)
    # one published issue of 天泰物语 with its PDF, of accepted reports and a feedback item
    issue = NewsletterIssue.objects.get()
    assert (issue.name, issue.status) == ("天泰物语", IssueStatus.PUBLISHED)
    assert issue.pdf.name
    articles = issue.articles.all()
    assert articles.filter(submission__isnull=False).count() >= 2
    assert articles.filter(feedback_item__isnull=False).count() == 1
    # pages of HQ's departments
    pages = NoticePage.objects.filter(is_published=True)
    assert pages.values("department").distinct().count() == 3
    # a document forwarded to the general manager (read) and the leader (not read yet)
    document = Document.objects.get(direction="inbound")
    deliveries = {d.user.username: d for d in document.deliveries.select_related("user")}
    assert set(deliveries) == {"gm", "leader"}
    assert deliveries["gm"].read_at is not None
    assert deliveries["leader"].read_at is None
    assert document.registered_by.username == "hqdocadmin"
    # two community activities: one held with attendance and a follow-up, one planned
    held = CommunityActivity.objects.get(status=ActivityStatus.HELD)
    assert held.attendance == 86
    assert held.follow_up
    assert CommunityActivity.objects.filter(status=ActivityStatus.PLANNED).count() == 1


def test_ir_1_last_months_scorecard_has_figures_for_both_branches(seeded):
    hq = get_user_model().objects.get(username="hq")
    card = scoring.scorecard(user=hq, period=scoring.Period.month(month_start(1)))
    rows = {row.code: row.score for row in card.branches}
    assert set(rows) == {"QD", "JN"}
    qd = rows["QD"]
    assert qd.timeliness is not None
    assert qd.completeness is not None
    assert qd.total is not None
    assert qd.quality is not None
    assert Decimal(0) < qd.quality <= Decimal(100)
    # JN's business report awaits review: its timeliness counts, its quality from the finance report
    assert rows["JN"].timeliness == Decimal("100.00")


def test_the_hq_document_administrator_is_a_demo_login_and_seeding_notifications_are_read(seeded):
    account = next(a for a in ACCOUNTS if a.username == "hqdocadmin")
    assert (account.role, account.level) == (Role.DOC_ADMIN, ScopeLevel.COMPANY)
    # what the reporting seeding told people on the way is read
    told = Notification.objects.filter(url__startswith="/reporting/")
    assert told.count() > 50
    assert not told.filter(read_at__isnull=True).exists()


def test_seed_reporting_twice_adds_nothing(seeded):
    before = {model.__name__: model.objects.count() for model in REPORTING_MODELS}
    made = seed_reporting()
    assert {model.__name__: model.objects.count() for model in REPORTING_MODELS} == before
    assert made == {
        "expected": 0,
        "events": 0,
        "filed": 0,
        "proposals": 0,
        "handed_over": 0,
        "newsletters": 0,
        "notices": 0,
        "documents": 0,
        "activities": 0,
        "listed_missing": 0,
    }
