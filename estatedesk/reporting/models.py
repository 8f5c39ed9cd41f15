"""Reporting to HQ (物业服务信息反馈管理机制, R-IR-1…8, R-CS-3, R-CS-4).

- The catalogue (`InformationType`, R-IR-3) says what each branch or project reports and when; each type
  has versioned templates (`ReportTemplate`, R-IR-5) so an old report keeps the form it was filed in.
- `ReportSubmission` is one report: an expected periodic one (made by the system per scope unit and
  period, with its deadline stored), or an instant one (an event: a class-1 emergency, a major or hot
  complaint handed over from a feedback item (R-IR-8), …). Its history is `ReportUpdate` (written by
  events.py only): submissions, returns, acceptance, follow-ups (续报) and the final report.
- Scoring (R-IR-1) reads submissions: timeliness, completeness and HQ's quality level (`QualityLevel`).
- The noticeboard (R-IR-6): department pages (`NoticePage`) and formal documents (`Document`) forwarded
  to people with a read receipt each (`DocumentDelivery`).
- The newsletter (R-IR-7, 天泰物语): `NewsletterIssue` of `NewsletterArticle`s.
- Community and cultural activities (R-CS-3): `CommunityActivity` with photos.

Business parameters are data: `ReportingRules` (24 h, reminders, weights), the catalogue, the rubric.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import EVERYTHING, NO_ROWS, Scope, ScopedManager
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.choices import Role
from estatedesk.org.models import Branch, Company, Department, Project
from estatedesk.reporting.choices import (
    ActivityKind,
    ActivityStatus,
    DeadlineRule,
    DocumentDirection,
    EmergencyClass,
    InfoClass,
    IssueStatus,
    ProposalStatus,
    ReportingScope,
    Special,
    SubmissionStatus,
    UpdateKind,
)

WEIGHT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def _unit_q(scope: Scope, *, branch: str = "branch_id", project: str = "project_id") -> Q:
    """Rows of a reporting unit (a branch's own, or a project's) that the scope covers: HQ all; a branch
    role its branch's rows and its projects'; a project role its projects' rows."""
    if not scope.is_staff_member:
        return NO_ROWS
    if scope.is_global:
        return EVERYTHING
    return Q(**{f"{project}__in": sorted(scope.project_ids)}) | Q(
        **{f"{branch}__in": sorted(scope.branch_ids), f"{project}__isnull": True}
    )


class ReportingRules(BaseModel):
    """The company's reporting parameters, editable by HQ (seeded with the procedure's numbers)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="reporting_rules")
    at_once_hours = models.PositiveSmallIntegerField(_('"at once" means within this many hours'), default=24)
    reminder_days = models.JSONField(_("remind this many days before a deadline"), default=list)  # [3, 1]
    escalate_after_days = models.PositiveSmallIntegerField(
        _("tell the branch manager of a missing report this many days after the deadline"), default=1
    )
    weight_timeliness = models.DecimalField(
        _("weight of timeliness (%)"), max_digits=5, decimal_places=2, default=Decimal(40), validators=WEIGHT
    )
    weight_completeness = models.DecimalField(
        _("weight of completeness (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(30),
        validators=WEIGHT,
    )
    weight_quality = models.DecimalField(
        _("weight of quality (%)"), max_digits=5, decimal_places=2, default=Decimal(30), validators=WEIGHT
    )
    document_reminder_hours = models.PositiveSmallIntegerField(
        _("remind whoever has not opened a forwarded document after this many hours"), default=24
    )
    class1_loss_yuan = models.DecimalField(
        _("property loss from which an event is class 1 (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(3000),
    )

    class Meta:
        verbose_name = _("reporting rules")
        verbose_name_plural = _("reporting rules")

    def __str__(self) -> str:
        return str(self.company)


class InformationType(TimeStampedModel):
    """One row of the catalogue (物业各类信息内容列表, R-IR-3)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="information_types")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    info_class = models.CharField(_("class"), max_length=20, choices=InfoClass.choices)
    content = models.TextField(_("content description"), blank=True)  # 内容描述
    scope = models.CharField(_("who reports"), max_length=20, choices=ReportingScope.choices)
    scope_note = models.CharField(_("scope (as the procedure says)"), max_length=200, blank=True)  # 范围
    deadline_rule = models.CharField(_("deadline"), max_length=20, choices=DeadlineRule.choices)
    deadline_day = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    deadline_month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    deadline_hours = models.PositiveSmallIntegerField(_("hours"), null=True, blank=True)
    every_days = models.PositiveSmallIntegerField(_("every this many days"), null=True, blank=True)
    special = models.CharField(_("handled as"), max_length=20, choices=Special.choices, blank=True)
    is_expected = models.BooleanField(  # the system makes the expected reports (periodic and yearly types)
        _("expected from every reporting unit"), default=False
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("information type")
        verbose_name_plural = _("information types")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="reporting_type_code")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return Q(company_id__in=sorted(scope.company_ids)) if scope.is_staff_member else NO_ROWS


class ReportTemplate(BaseModel):
    """The unified format of a type (R-IR-5), versioned: fields [{key, label, label_en, type (text,
    number, money, date, choice, yes_no), required, unit, choices}] and the attachments required."""

    information_type = models.ForeignKey(InformationType, on_delete=models.CASCADE, related_name="templates")
    version = models.PositiveSmallIntegerField()
    fields = models.JSONField(default=list)
    attachments_required = models.PositiveSmallIntegerField(_("attachments required"), default=0)
    attachment_note = models.CharField(_("what to attach"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["information_type", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["information_type", "version"], name="reporting_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.information_type_id} v{self.version}"


class QualityLevel(BaseModel):
    """HQ's rubric for the quality of an accepted report (R-IR-1), editable: e.g. 优 100 … 差 40."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="report_quality_levels")
    label = models.CharField(_("level"), max_length=30)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=WEIGHT)
    description = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("quality level")
        verbose_name_plural = _("quality levels")
        ordering = ["position", "-score"]

    def __str__(self) -> str:
        return f"{self.label} ({self.score})"


class ReportSubmission(TimeStampedModel):
    """One report of a branch or a project to HQ: expected (periodic) or instant (an event)."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    information_type = models.ForeignKey(
        InformationType, verbose_name=_("information type"), on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        ReportTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the version it is filled in (set when the draft starts; kept)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch company"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # "B<branch id>" or "P<project id>": with period_start, one expected report per unit and period
    unit_key = models.CharField(max_length=20)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("event occurred at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due by"), db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.EXPECTED
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("content"), blank=True)
    values = models.JSONField(default=dict, blank=True)  # the template's fields: {key: value}
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)  # timeliness
    submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resubmissions = models.PositiveSmallIntegerField(default=0)
    is_complete = models.BooleanField(null=True)  # every required field and attachment, at submission
    returned_reason = models.TextField(_("reason for returning"), blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    quality_level = models.ForeignKey(
        QualityLevel,
        verbose_name=_("quality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quality_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)  # as given
    # instant events (R-IR-4, R-CS-4)
    place = models.CharField(_("place"), max_length=200, blank=True)
    facts = models.JSONField(default=dict, blank=True)  # see emergencies.Facts
    proposed_class = models.CharField(max_length=10, choices=EmergencyClass.choices, blank=True)
    confirmed_class = models.CharField(_("class"), max_length=10, choices=EmergencyClass.choices, blank=True)
    class_reason = models.CharField(_("reason for another class"), max_length=300, blank=True)
    class_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    final_at = models.DateTimeField(_("final report at"), null=True, blank=True)
    # R-IR-8: the feedback item a complaint report was handed over from (one report per item)
    feedback_item = models.OneToOneField(
        FeedbackItem, on_delete=models.PROTECT, null=True, blank=True, related_name="hq_report"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # deadline bookkeeping, each claimed once with a conditional UPDATE
    listed_missing_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("report to HQ")
        verbose_name_plural = _("reports to HQ")
        ordering = ["-due_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reporting_sub_status_due"),
            models.Index(fields=["branch", "period_start"], name="reporting_sub_branch_period"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["information_type", "unit_key", "period_start"],
                condition=Q(period_start__isnull=False),
                name="reporting_sub_one_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return _unit_q(scope)

    @property
    def is_locked(self) -> bool:
        return self.status == SubmissionStatus.ACCEPTED


class ReportAttachment(BaseModel):
    submission = models.ForeignKey(ReportSubmission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="reporting/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ReportUpdate(BaseModel):
    """The report's history, append-only, written by events.py only."""

    submission = models.ForeignKey(ReportSubmission, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=UpdateKind.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True)
    values = models.JSONField(default=dict, blank=True)
    # R-IR-8: the feedback event a follow-up came from (each once)
    source_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "source_event_id"],
                condition=Q(source_event_id__isnull=False),
                name="reporting_update_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind}"


class ReportReminder(BaseModel):
    """A reminder sent about a report (e.g. "3 days before"): once per (report, kind)."""

    submission = models.ForeignKey(ReportSubmission, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)  # "before_3", "before_1", "missing", "escalated"
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "kind"], name="reporting_reminder_once")]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind}"


class RuleProposal(TimeStampedModel):
    """A branch's proposal to improve the reporting rules (R-IR-2), accepted or declined by HQ."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch company"), on_delete=models.CASCADE, related_name="+"
    )
    information_type = models.ForeignKey(
        InformationType,
        verbose_name=_("information type"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("proposal"))
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("HQ's answer"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("rule proposal")
        verbose_name_plural = _("rule proposals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.status}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        if not scope.is_staff_member:
            return NO_ROWS
        if scope.is_global:
            return EVERYTHING
        return Q(branch_id__in=sorted(scope.branch_ids | scope.context_branch_ids))


# --- the noticeboard (R-IR-6) -------------------------------------------------------------------------------


class NoticePage(TimeStampedModel):
    """A department's information page on HQ's noticeboard (物业管理部信息网页): written by the department,
    read by staff."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("noticeboard page")
        verbose_name_plural = _("noticeboard pages")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return Q(department__company_id__in=sorted(scope.company_ids)) if scope.is_staff_member else NO_ROWS


class Document(TimeStampedModel):
    """A formal document or important information: received by HQ's document administrator and forwarded,
    or sent by HQ to projects (R-IR-6)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(_("direction"), max_length=20, choices=DocumentDirection.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    sender = models.CharField(_("from"), max_length=200, blank=True)
    from_branch = models.ForeignKey(
        Branch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="reporting/documents/%Y/%m/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        """HQ (company-wide roles) all; anyone else the documents delivered to them."""
        if not scope.is_staff_member:
            return NO_ROWS
        if scope.is_global:
            return Q(company_id__in=sorted(scope.company_ids))
        delivered = DocumentDelivery.objects.filter(user_id=scope.user_id or 0).values("document_id")
        return Q(id__in=delivered)


class DocumentDelivery(BaseModel):
    """One forwarding of a document to a person, with the time they first opened it."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    forwarded_at = models.DateTimeField()
    note = models.CharField(_("note"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["forwarded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="reporting_delivery_once")]
        indexes = [
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="reporting_delivery_unread")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.user_id}"


# --- the newsletter (R-IR-7) --------------------------------------------------------------------------------


class NewsletterIssue(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("newsletter"), max_length=50, default="天泰物语")
    number = models.PositiveIntegerField(_("issue number"))
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    status = models.CharField(max_length=20, choices=IssueStatus.choices, default=IssueStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField(upload_to="reporting/newsletter/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="reporting_issue_number")]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        """Published issues for every staff member of the company; drafts for HQ's property management
        department, who edit the newsletter."""
        if not scope.is_staff_member:
            return NO_ROWS
        company = Q(company_id__in=sorted(scope.company_ids))
        if Role.HQ_PROPERTY in scope.roles_global:  # the newsletter's editors (reporting.newsletter)
            return company
        return company & Q(status=IssueStatus.PUBLISHED)


class NewsletterArticle(BaseModel):
    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="articles")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    submission = models.ForeignKey(
        ReportSubmission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feedback_item = models.ForeignKey(
        FeedbackItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


# --- community and cultural activities (R-CS-3) -----------------------------------------------------------


class CommunityActivity(TimeStampedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=ActivityKind.choices, default=ActivityKind.COMMUNITY
    )
    title = models.CharField(_("title"), max_length=200)
    plan = models.TextField(_("plan"), blank=True)
    with_client = models.BooleanField(_("with the contracting client"), default=False)
    planned_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    expected_attendance = models.PositiveIntegerField(_("expected attendance"), null=True, blank=True)
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    follow_up = models.TextField(_("follow-up"), blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("community activity")
        verbose_name_plural = _("community activities")
        ordering = ["-planned_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS


class ActivityPhoto(BaseModel):
    activity = models.ForeignKey(CommunityActivity, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="reporting/activities/%Y/%m/")
    thumbnail = models.ImageField(upload_to="reporting/activities/%Y/%m/", blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.pk)
