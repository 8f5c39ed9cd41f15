"""Satisfaction surveys (客户意见征询 / 调查, R-SV-1…6, R-CS-2).

A `Campaign` is run by a department over some areas (`CampaignArea`: a building or common area of the
project) for a period, with a questionnaire frozen as `CampaignItem` rows (labels copied, so a later edit of
the catalogue does not change a running or closed campaign). Each printed form is a `SurveyForm` with a
serial number and a QR token; it is handed out and comes back (or not); its answers are `SurveyAnswer`
rows, one per item, with 未表态 kept as its own value. The numbers come from `figures.py` (SQL counts) and
`rates.py` (the exact formula); the report (`CampaignReport`) is reviewed, then distributed with a read
receipt per recipient (`ReportRecipient`).

Business parameters are data: `SurveyRules` (threshold, caution size, check share), `SurveyItem` and
`Questionnaire` (the catalogue), `ReportRoute` (who reviews and who reads, per running department).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import NO_ROWS, Scope, ScopedManager
from estatedesk.org.models import Building, Company, Department, Project, Unit
from estatedesk.surveys.choices import (
    Audience,
    CampaignStatus,
    Channel,
    FormKind,
    Frequency,
    ImportStatus,
    Rating,
    ReportStatus,
    Runner,
)
from estatedesk.visits.models import ReturnVisit

REPEATING = [(value, label) for value, label in Frequency.choices if value != Frequency.AD_HOC]
PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class SurveyRules(BaseModel):
    """The company's survey parameters, editable by HQ (seeded with the procedure's numbers)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="survey_rules")
    return_rate_threshold = models.DecimalField(
        _("minimum return rate per area (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90.00"),
        validators=PERCENT,
    )
    small_sample_below = models.PositiveSmallIntegerField(
        _("show a caution when fewer answers than this were rated"), default=30
    )
    check_share_percent = models.PositiveSmallIntegerField(
        _("share of returned forms checked by a return visit (%)"),
        default=10,
        validators=[MaxValueValidator(100)],
    )
    check_minimum_per_area = models.PositiveSmallIntegerField(
        _("at least this many checked forms per area"), default=1
    )
    report_reminder_days = models.PositiveSmallIntegerField(
        _("remind recipients who have not read a report after this many days"), default=2
    )

    class Meta:
        verbose_name = _("survey rules")
        verbose_name_plural = _("survey rules")

    def __str__(self) -> str:
        return str(self.company)


class SurveyItem(TimeStampedModel):
    """A reusable questionnaire item (客户服务, 工程维修, 秩序维护, …), editable as data."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="survey_items")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    # the department a finding about this item goes to (a feedback item's category, a nonconformity)
    department_kind = models.CharField(_("responsible department"), max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="surveys_item_code")]

    def __str__(self) -> str:
        return self.name


class Questionnaire(TimeStampedModel):
    """A form (征询表) or questionnaire (调查表): a greeting in both languages and its items in order."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="questionnaires")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=FormKind.choices, default=FormKind.FEEDBACK_FORM
    )
    greeting = models.TextField(_("greeting (Chinese)"))
    greeting_en = models.TextField(_("greeting (English)"))
    items = models.ManyToManyField(SurveyItem, through="QuestionnaireItem", related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class QuestionnaireItem(BaseModel):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(SurveyItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "item"], name="surveys_questionnaire_item")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} {self.position} {self.item_id}"


class ReportRoute(BaseModel):
    """R-SV-5 as data: per running department, the roles that may review its report (never its author)
    and who it is distributed to."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="survey_report_routes")
    runner = models.CharField(_("running department"), max_length=20, choices=Runner.choices)
    reviewer_roles = models.JSONField(_("roles that review"), default=list)
    audience = models.CharField(_("distributed to"), max_length=20, choices=Audience.choices)

    class Meta:
        verbose_name = _("survey report route")
        verbose_name_plural = _("survey report routes")
        constraints = [models.UniqueConstraint(fields=["company", "runner"], name="surveys_route_runner")]

    def __str__(self) -> str:
        return f"{self.company_id} {self.runner}"


class SurveySchedule(TimeStampedModel):
    """A repeating survey (R-SV-1): the periodic job opens the next campaign when its period starts."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    runner = models.CharField(_("running department"), max_length=20, choices=Runner.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField(_("frequency"), max_length=20, choices=REPEATING)
    areas = models.ManyToManyField(Building, verbose_name=_("areas"), blank=True, related_name="+")
    next_period_start = models.DateField(_("next period starts on"), db_index=True)
    one_answer_per_unit = models.BooleanField(_("one answer per unit"), default=False)
    double_entry_percent = models.PositiveSmallIntegerField(
        _("share of paper forms keyed in twice (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey schedule")
        verbose_name_plural = _("survey schedules")
        ordering = ["next_period_start", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.runner} {self.frequency}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS


class Campaign(TimeStampedModel):
    """One survey of a project's areas over a period (R-SV-1)."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    runner = models.CharField(_("running department"), max_length=20, choices=Runner.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FormKind.choices)
    title = models.CharField(_("title"), max_length=120)
    greeting = models.TextField(_("greeting (Chinese)"))
    greeting_en = models.TextField(_("greeting (English)"))
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    one_answer_per_unit = models.BooleanField(_("one answer per unit"), default=False)
    double_entry_percent = models.PositiveSmallIntegerField(
        _("share of paper forms keyed in twice (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    schedule = models.ForeignKey(
        SurveySchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    last_serial = models.PositiveIntegerField(default=0)  # the last form serial printed (a counter)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-period_start", "-id"]
        indexes = [
            models.Index(fields=["project", "runner", "-period_start"], name="surveys_campaign_project")
        ]
        constraints = [
            # a schedule opens each period's campaign once, however many schedulers run
            models.UniqueConstraint(
                fields=["schedule", "period_start"],
                condition=Q(schedule__isnull=False),
                name="surveys_campaign_schedule_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS

    @property
    def is_open(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.RUNNING)


class CampaignItem(BaseModel):
    """An item of a campaign's questionnaire, its labels frozen when the campaign was made."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(SurveyItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("item"), max_length=60)
    label_en = models.CharField(_("item (English)"), max_length=80, blank=True)
    department_kind = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "item"], name="surveys_campaign_item"),
            models.UniqueConstraint(fields=["campaign", "position"], name="surveys_campaign_item_position"),
        ]

    def __str__(self) -> str:
        return self.label


class CampaignArea(BaseModel):
    """An area surveyed by a campaign; the return-rate waiver (R-SV-2) is recorded here."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="areas")
    area = models.ForeignKey(Building, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    waiver_reason = models.CharField(_("reason for accepting a low return rate"), max_length=500, blank=True)
    waiver_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waiver_at = models.DateTimeField(_("waiver recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "area"], name="surveys_campaign_area")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.area_id}"

    @property
    def has_waiver(self) -> bool:
        return self.waiver_at is not None


class SurveyForm(BaseModel):
    """One printed form with its serial number and QR token: handed out, returned (or not), answered once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="forms")
    area = models.ForeignKey(CampaignArea, on_delete=models.CASCADE, related_name="forms")
    serial = models.PositiveIntegerField(_("serial number"))
    token = models.CharField(max_length=32, unique=True)  # the QR code's secret (secrets.token_urlsafe)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # set only when the campaign takes one answer per unit: the unique constraint below holds the rule
    unit_lock = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    respondent_name = models.CharField(_("customer name"), max_length=60, blank=True)
    answered_on = models.DateField(_("date on the form"), null=True, blank=True)
    comment = models.TextField(_("comments"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    respondent = models.ForeignKey(  # the owner who answered online
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # double entry of a share of paper forms: the second keying, compared item by item
    needs_second_entry = models.BooleanField(default=False)
    second_ratings = models.JSONField(null=True, blank=True)  # {campaign item id: rating}
    second_entry_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    second_entry_at = models.DateTimeField(null=True, blank=True)
    mismatch_items = models.JSONField(default=list, blank=True)  # campaign item ids that differ
    # R-RV-1: the return visit that checks this form's answers, when it was drawn for a check
    check_visit = models.ForeignKey(
        ReturnVisit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey form")
        verbose_name_plural = _("survey forms")
        ordering = ["serial"]
        indexes = [models.Index(fields=["campaign", "area", "returned_at"], name="surveys_form_area")]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "serial"], name="surveys_form_serial"),
            models.UniqueConstraint(fields=["campaign", "unit_lock"], name="surveys_form_one_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}-{self.serial:04d}"

    @property
    def is_returned(self) -> bool:
        return self.returned_at is not None


class SurveyAnswer(BaseModel):
    form = models.ForeignKey(SurveyForm, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(CampaignItem, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "item"], name="surveys_answer_once")]
        indexes = [models.Index(fields=["item", "rating"], name="surveys_answer_item_rating")]

    def __str__(self) -> str:
        return f"{self.form_id} {self.item_id}: {self.rating}"


class SurveyImport(TimeStampedModel):
    """A workbook of answered forms: checked first (dry run), imported on a second, explicit step."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(upload_to="surveys/imports/%Y/%m/")
    filename = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=ImportStatus.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_ok = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)  # [{"row": n, "column": "…", "message": "…"}]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.filename}"


class CampaignReport(TimeStampedModel):
    """The statistical analysis report of a campaign (R-SV-5): drafted, reviewed by someone other than its
    author, distributed; the figures are frozen on approval."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="report")
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("findings and measures"), blank=True)
    submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    audience = models.CharField(_("distributed to"), max_length=20, choices=Audience.choices, blank=True)
    distributed_at = models.DateTimeField(_("distributed at"), null=True, blank=True)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    figures = models.JSONField(null=True, blank=True)  # the numbers as approved (figures.snapshot)
    pdf = models.FileField(upload_to="surveys/reports/%Y/%m/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey report")
        verbose_name_plural = _("survey reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.status}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        """Staff of the campaign's project, and whoever the report was distributed to."""
        if not scope.is_staff_member:
            return NO_ROWS
        received = ReportRecipient.objects.filter(user_id=scope.user_id or 0).values("report_id")
        return scope.project_q("campaign__project_id") | Q(id__in=received)


class ReportRecipient(BaseModel):
    """One person a report was distributed to, with the time they first opened it (the read receipt)."""

    report = models.ForeignKey(CampaignReport, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="surveys_report_recipient")]
        indexes = [
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="surveys_recipient_unread")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.user_id}"
