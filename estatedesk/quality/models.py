"""Nonconformities (不合格项, R-RV-4): the procedure of ISO 9001 §10.2 for what a customer confirmed as
unsatisfied, or what QA found: cause, actions with owners and deadlines, an effectiveness review by someone
who owns no action, closure; and its retained record, `NonconformityEvent`, written by `events.py` only.

Rules live in `services.py`; reminders in `reminders.py`; figures in `figures.py`. Business parameters are
data: `QualityRules` per company.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import NO_ROWS, Scope, ScopedManager
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Building, Company, Department, Project
from estatedesk.quality.choices import (
    DISSATISFACTION_ORIGINS,
    ActionKind,
    CauseCategory,
    EventKind,
    Origin,
    Severity,
    Stage,
    VerificationResult,
)
from estatedesk.visits.models import ReturnVisit


class QualityRules(BaseModel):
    """The company's nonconformity parameters, editable by HQ (seeded with the defaults below)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="quality_rules")
    remind_working_days_before = models.PositiveSmallIntegerField(
        _("remind action owners this many working days before the deadline"), default=2
    )
    recurrence_days = models.PositiveSmallIntegerField(
        _("a nonconformity of the same cause and area within this many days is a recurrence"), default=90
    )

    class Meta:
        verbose_name = _("nonconformity rules")
        verbose_name_plural = _("nonconformity rules")

    def __str__(self) -> str:
        return str(self.company)


class Nonconformity(TimeStampedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("nature of the nonconformity"))
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    item = models.ForeignKey(
        FeedbackItem,
        verbose_name=_("feedback item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
    )
    visit = models.ForeignKey(
        ReturnVisit,
        verbose_name=_("return visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    survey_reference = models.CharField(_("survey result"), max_length=120, blank=True)
    area = models.ForeignKey(
        Building,
        verbose_name=_("building or area"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DRAFT)
    cause_category = models.CharField(
        _("cause category"), max_length=20, choices=CauseCategory.choices, blank=True
    )
    cause = models.TextField(_("cause"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    analysed_at = models.DateTimeField(_("cause analysed at"), null=True, blank=True)
    planned_at = models.DateTimeField(_("action plan started at"), null=True, blank=True)
    started_at = models.DateTimeField(_("actions started at"), null=True, blank=True)
    verification_at = models.DateTimeField(_("sent to verification at"), null=True, blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verifier"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verification_evidence = models.TextField(_("verification evidence"), blank=True)
    verification_file = models.FileField(_("evidence file"), upload_to="quality/%Y/%m/", blank=True)
    verification_result = models.CharField(
        _("verification result"), max_length=20, choices=VerificationResult.choices, blank=True
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_visit = models.ForeignKey(
        ReturnVisit,
        verbose_name=_("verification visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["project", "stage", "-raised_at"], name="quality_nc_project_stage"),
            models.Index(fields=["cause_category", "area", "raised_at"], name="quality_nc_recurrence"),
        ]
        constraints = [
            # R-RV-4: an owner's C rating and a visit graded C on one item open one nonconformity
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(origin__in=list(DISSATISFACTION_ORIGINS)),
                name="quality_nc_one_dissatisfaction_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS

    @property
    def is_open(self) -> bool:
        return self.stage not in (Stage.CLOSED, Stage.CANCELLED)


class NonconformityAction(BaseModel):
    """One action of the plan: a correction, a corrective or a preventive action, with its owner and
    deadline; the reminders sent are remembered on the row (the daily job sends each once)."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("type"), max_length=12, choices=ActionKind.choices)
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("deadline"), db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # reminder bookkeeping: the daily job claims each reminder once with a conditional UPDATE
    assigned_notified_at = models.DateTimeField(null=True, blank=True)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("nonconformity action")
        verbose_name_plural = _("nonconformity actions")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["owner", "due_on"], condition=Q(done_at__isnull=True), name="quality_action_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:40]}"


class NonconformityEvent(BaseModel):
    """Append-only: the retained record of the nonconformity (ISO 9001 §10.2.2); written only by
    `quality/events.py`."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("nonconformity event")
        verbose_name_plural = _("nonconformity events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.nonconformity_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class NonconformityCounter(BaseModel):
    """The month's last sequence number per project: references are NC-PROJECT-YYYYMM-NNN."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="quality_nc_counter_month")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}: {self.last}"
