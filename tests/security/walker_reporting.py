"""Branch A's and project A's reporting to HQ (issue 14) for the security tests: made through the reporting
services as their staff and HQ would, with everything the reporting routes name (a periodic report submitted
with its file, a class-1 emergency of project A with a file and a follow-up, an accepted report in a draft
newsletter issue, a rule proposal of branch A, a draft page of an HQ department, a document forwarded to A's
project manager, an activity of project A with a photo), and the texts that must never reach anybody outside
A (`ReportingOfA.markers`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department
from estatedesk.reporting import (
    activities,
    catalogue,
    expected,
    newsletter,
    noticeboard,
    proposals,
    submissions,
)
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus, UpdateKind
from estatedesk.reporting.models import (
    ActivityPhoto,
    CommunityActivity,
    Document,
    DocumentDelivery,
    InformationType,
    NewsletterArticle,
    NewsletterIssue,
    NoticePage,
    QualityLevel,
    ReportAttachment,
    ReportSubmission,
    RuleProposal,
)

PERIODIC_TITLE = "QD-A finance report marker"
PERIODIC_BODY = "QD-A finance body marker"
PERIODIC_NOTE = "QD-A finance note marker"
PERIODIC_FILE = "qd-a-finance-statement.pdf"
EVENT_TITLE = "QD-A emergency marker"
EVENT_BODY = "QD-A emergency body marker"
EVENT_PLACE = "QD-A emergency place marker"
EVENT_WHAT = "QD-A what happened marker"
EVENT_MEASURES = "QD-A measures marker"
EVENT_FILE = "qd-a-emergency-scene.pdf"
CLASS_REASON = "QD-A class reason marker"
EVENT_FOLLOW_UP = "QD-A emergency follow-up marker"
BUSINESS_TITLE = "QD-A business report marker"
BUSINESS_OPERATIONS = "QD-A operations marker"
PROPOSAL_TEXT = "QD-A proposal marker"
NOTICE_TITLE = "QD-A draft notice marker"
NOTICE_BODY = "QD-A draft notice body marker"
DOCUMENT_TITLE = "QD-A document marker"
DOCUMENT_SUMMARY = "QD-A document summary marker"
DOCUMENT_SENDER = "QD-A document sender marker"
DOCUMENT_FILE = "qd-a-document.pdf"
FORWARD_NOTE = "QD-A forwarding note marker"
ACTIVITY_TITLE = "QD-A activity marker"
ACTIVITY_PLAN = "QD-A activity plan marker"
ACTIVITY_PLACE = "QD-A activity place marker"
PHOTO_CAPTION = "QD-A photo caption marker"
ISSUE_TITLE = "QD-A newsletter draft marker"
ISSUE_INTRODUCTION = "QD-A newsletter introduction marker"


@dataclass
class ReportingOfA:
    """A's reporting to HQ: its objects, by what the routes name them."""

    periodic: (
        ReportSubmission  # branch A's monthly financial report: submitted with its file, awaiting review
    )
    attachment: ReportAttachment
    event: ReportSubmission  # a class-1 emergency at project A (proposed class 2, overridden with a reason)
    event_attachment: ReportAttachment
    accepted: ReportSubmission  # branch A's monthly business report, accepted by HQ: in the draft issue
    information_type: InformationType  # monthly_finance, of the company's catalogue (company-wide data)
    proposal: RuleProposal  # branch A's, not decided
    department: Department  # an HQ department of the noticeboard (there are no project departments on it)
    notice: NoticePage  # a draft of that department, about A
    document: Document  # received from project A, forwarded to A's project manager, unread
    delivery: DocumentDelivery
    activity: CommunityActivity  # planned at project A
    photo: ActivityPhoto
    issue: NewsletterIssue  # a draft (only HQ's editors see drafts)
    article: NewsletterArticle  # from the accepted report
    markers: list[str] = field(default_factory=list)

    def objects(self) -> list[Any]:
        return [
            self.periodic,
            self.attachment,
            self.information_type,
            self.proposal,
            self.notice,
            self.document,
            self.delivery,
            self.activity,
            self.photo,
            self.issue,
            self.article,
        ]


def _png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 QD-A file\n", content_type="application/pdf")


def _branch_report(code: str, world: Any) -> ReportSubmission:
    """Branch A's first expected report of a type (the system makes them: expected.py)."""
    report = (
        ReportSubmission.objects.filter(information_type__code=code, unit_key=f"B{world.branch_a.pk}")
        .order_by("period_start")
        .first()
    )
    assert report is not None, f"no expected {code} report of branch A"
    return report


def _submissions_of_a(world: Any) -> tuple[ReportSubmission, ReportSubmission, ReportSubmission]:
    """Branch A's financial report (submitted), A's emergency (class 1, a follow-up) and branch A's business
    report (accepted)."""
    manager, hq = world.branch_manager, world.hq
    periodic = submissions.submission_draft(
        actor=manager,
        submission=_branch_report("monthly_finance", world),
        values={"revenue": "120000", "expenses": "80000", "fee_collection_rate": "95", "note": PERIODIC_NOTE},
        title=PERIODIC_TITLE,
        body=PERIODIC_BODY,
    )
    submissions.attachment_add(actor=manager, submission=periodic, file=_pdf(PERIODIC_FILE))
    periodic = submissions.submission_submit(actor=manager, submission=periodic)
    event = submissions.instant_report_make(
        actor=world.supervisor_a,
        report=submissions.EventReport(
            information_type=InformationType.objects.get(company=world.company, code="emergency_class1"),
            project=world.project_a,
            occurred_at=timezone.now() - timedelta(hours=1),
            title=EVENT_TITLE,
            body=EVENT_BODY,
            place=EVENT_PLACE,
            values={"what_happened": EVENT_WHAT, "measures": EVENT_MEASURES},
            attachments=[_pdf(EVENT_FILE)],
        ),
    )
    assert event.proposed_class == EmergencyClass.CLASS_2  # no fact ticked
    event = submissions.class_confirm(
        actor=world.pm_a, submission=event, chosen=EmergencyClass.CLASS_1, reason=CLASS_REASON
    )
    submissions.follow_up_add(
        actor=world.supervisor_a, submission=event, kind=UpdateKind.FOLLOW_UP, text=EVENT_FOLLOW_UP
    )
    accepted = submissions.submission_draft(
        actor=manager,
        submission=_branch_report("monthly_business", world),
        values={
            "managed_area": "52000",
            "projects_in_service": "2",
            "operations": BUSINESS_OPERATIONS,
            "complaints_received": "3",
            "complaints_handled": "3",
            "class2_events": "0",
        },
        title=BUSINESS_TITLE,
        body="",
    )
    accepted = submissions.submission_submit(actor=manager, submission=accepted)
    level = QualityLevel.objects.filter(company=world.company).order_by("position", "-score").first()
    assert level is not None
    accepted = submissions.submission_accept(actor=hq, submission=accepted, quality_level=level)
    return periodic, event, accepted


def reporting_of_a(world: Any) -> ReportingOfA:
    """Make A's reporting to HQ through the services."""
    company, hq = world.company, world.hq
    catalogue.catalogue_ensure(company=company)
    expected.expected_reports_make(today=timezone.localdate())
    periodic, event, accepted = _submissions_of_a(world)
    finance = periodic.information_type
    proposal = proposals.proposal_make(
        actor=world.branch_manager, branch=world.branch_a, information_type=finance, text=PROPOSAL_TEXT
    )
    department = Department.objects.create(company=company, kind=DepartmentKind.QUALITY, name="品质部")
    notice = noticeboard.notice_page_create(
        actor=hq, department=department, data=noticeboard.NoticeInput(title=NOTICE_TITLE, body=NOTICE_BODY)
    )
    document = noticeboard.document_register(
        actor=hq,
        company=company,
        data=noticeboard.DocumentInput(
            title=DOCUMENT_TITLE,
            summary=DOCUMENT_SUMMARY,
            sender=DOCUMENT_SENDER,
            from_project=world.project_a,
            file=_pdf(DOCUMENT_FILE),
        ),
    )
    (delivery,) = noticeboard.document_forward(
        actor=hq, document=document, recipients=noticeboard.Recipients(users=[world.pm_a], note=FORWARD_NOTE)
    )
    activity = activities.activity_plan(
        actor=world.supervisor_a,
        plan=activities.ActivityPlan(
            project=world.project_a,
            title=ACTIVITY_TITLE,
            planned_on=timezone.localdate() + timedelta(days=7),
            plan=ACTIVITY_PLAN,
            place=ACTIVITY_PLACE,
            expected_attendance=40,
        ),
    )
    (photo,) = activities.activity_photos_add(
        actor=world.supervisor_a, activity=activity, photos=[_png("qd-a-activity.png")], caption=PHOTO_CAPTION
    )
    issue = newsletter.issue_create(
        actor=hq, company=company, title=ISSUE_TITLE, introduction=ISSUE_INTRODUCTION
    )
    article = newsletter.article_add_from_submission(actor=hq, issue=issue, submission=accepted)
    assert BUSINESS_TITLE in article.title
    assert (periodic.status, event.confirmed_class, accepted.status) == (
        SubmissionStatus.SUBMITTED,
        EmergencyClass.CLASS_1,
        SubmissionStatus.ACCEPTED,
    )
    reporting = ReportingOfA(
        periodic=periodic,
        attachment=periodic.attachments.get(),
        event=event,
        event_attachment=event.attachments.get(),
        accepted=accepted,
        information_type=finance,
        proposal=proposal,
        department=department,
        notice=notice,
        document=document,
        delivery=delivery,
        activity=activity,
        photo=photo,
        issue=issue,
        article=article,
    )
    reporting.markers = [
        periodic.reference,
        event.reference,
        accepted.reference,
        PERIODIC_TITLE,
        PERIODIC_BODY,
        PERIODIC_NOTE,
        PERIODIC_FILE,
        EVENT_TITLE,
        EVENT_BODY,
        EVENT_PLACE,
        EVENT_WHAT,
        EVENT_MEASURES,
        EVENT_FILE,
        CLASS_REASON,
        EVENT_FOLLOW_UP,
        BUSINESS_TITLE,
        BUSINESS_OPERATIONS,
        PROPOSAL_TEXT,
        NOTICE_TITLE,
        NOTICE_BODY,
        DOCUMENT_TITLE,
        DOCUMENT_SUMMARY,
        DOCUMENT_SENDER,
        DOCUMENT_FILE,
        FORWARD_NOTE,
        ACTIVITY_TITLE,
        ACTIVITY_PLAN,
        ACTIVITY_PLACE,
        PHOTO_CAPTION,
        ISSUE_TITLE,
        ISSUE_INTRODUCTION,
    ]
    return reporting
