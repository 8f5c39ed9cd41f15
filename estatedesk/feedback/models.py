"""Customer feedback (客户信息反馈, R-FB): one item per thing a customer raised, its timeline, its SLA
clocks and escalations, the execution record (附表二), and the talks with staff (R-FB-4).

Rules live in `services.py` (writes), `workflow.py` (who may take which step) and `sla.py` (deadlines).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.fields import EncryptedTextField
from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import NO_ROWS, Scope, ScopedManager
from estatedesk.feedback.choices import (
    Category,
    Channel,
    EventKind,
    InformedBy,
    Kind,
    Priority,
    Rating,
    SlaClock,
    Status,
    TalkKind,
)
from estatedesk.feedback.search import search_tokens
from estatedesk.feedback.text import derive_title
from estatedesk.org.models import Building, Company, Department, Project, Unit
from estatedesk.owners.models import Resident


class FeedbackItem(TimeStampedModel):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building or area"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    location_note = models.CharField(_("location"), max_length=200, blank=True)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
    )
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=24, blank=True, db_index=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # A typed-in contact email gets no mail until its owner confirms it (intake/confirmation.py): the one
    # confirmation request, and the click on its signed link.
    contact_email_confirmation_sent_at = models.DateTimeField(
        _("contact email confirmation sent at"), null=True, blank=True
    )
    contact_email_confirmed_at = models.DateTimeField(_("contact email confirmed at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    # the title's and description's words for the search index (feedback/search.py): written by save()
    search_tokens = models.TextField(_("search words"), blank=True, default="", editable=False)
    is_major = models.BooleanField(_("major incident"), default=False)
    is_hot = models.BooleanField(_("hot complaint"), default=False)
    is_paid_service = models.BooleanField(_("paid service"), default=False)
    is_quality_problem = models.BooleanField(_("concrete quality problem"), default=False)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered at"), db_index=True)
    handling_opinion = models.TextField(_("handling opinion"), blank=True)
    result = models.TextField(_("handling result"), blank=True)
    # SLA deadlines (R-FB-2, R-FB-4) in working time of the project's calendar; indexed for the sweep while
    # the clock runs (partial indexes below: a million finished items are not in them)
    contact_due_at = models.DateTimeField(_("contact the supervisor by"), null=True, blank=True)
    arrange_due_at = models.DateTimeField(_("arrange handling by"), null=True, blank=True)
    action_due_at = models.DateTimeField(_("act on the quality problem by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("supervisor contacted at"), null=True, blank=True)
    opinion_recorded_at = models.DateTimeField(_("handling opinion received at"), null=True, blank=True)
    arranged_at = models.DateTimeField(_("arranged at"), null=True, blank=True)
    # the visit time agreed with the customer (issue 11); the customer sees it in the portal
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    acted_at = models.DateTimeField(_("acted on at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    customer_informed_at = models.DateTimeField(_("customer informed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # when the sweep must look at the item next (the earliest of its running clocks' next escalations);
    # NULL when no clock runs. Reopening starts a new cycle of escalation levels.
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    escalation_cycle = models.PositiveSmallIntegerField(default=0)
    informed_by = models.CharField(
        _("how the customer was told"), max_length=12, choices=InformedBy.choices, blank=True
    )
    # the client's Idempotency-Key or the form's one-time token, namespaced by who sent it: a retried
    # registration finds the first item instead of making a second one
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    rating = models.CharField(_("customer's rating"), max_length=1, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("customer's comment"), max_length=500, blank=True)
    reported_to_hq_at = models.DateTimeField(_("reported to HQ at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)  # optimistic lock: one edit wins

    objects = ScopedManager()

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["project", "status", "-registered_at"], name="feedback_project_status"),
            models.Index(fields=["project", "-registered_at"], name="feedback_project_recent"),
            models.Index(
                fields=["contact_due_at"],
                condition=Q(contacted_at__isnull=True),
                name="feedback_contact_running",
            ),
            models.Index(
                fields=["action_due_at"], condition=Q(acted_at__isnull=True), name="feedback_action_running"
            ),
            models.Index(
                fields=["arrange_due_at"],
                condition=Q(arranged_at__isnull=True),
                name="feedback_arrange_running",
            ),
            models.Index(
                fields=["escalation_due_at"],
                condition=Q(escalation_due_at__isnull=False),
                name="feedback_escalation_due",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(customer_informed_at__isnull=True),
                name="feedback_resolution_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        condition = scope.project_q("project_id") if scope.is_staff_member else NO_ROWS
        if scope.is_owner:
            condition |= Q(resident__user_id=scope.user_id)
        return condition

    @property
    def customer_title(self) -> str:
        """What the customer is shown as the title: their own words (the first phrase of what they said),
        never the title staff typed, which may be internal wording."""
        return derive_title(self.description)

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.CANCELLED)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The search index follows the title and the description whenever either is saved."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"title", "description"} & set(update_fields):
            self.search_tokens = search_tokens(self.title, self.description)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_tokens"}
        super().save(*args, **kwargs)


class ReferenceCounter(BaseModel):
    """The day's last sequence number per project: references are PROJECT-YYYYMMDD-NNNN."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "day"], name="reference_counter_day")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day}: {self.last}"


class TimelineEvent(BaseModel):
    """Append-only: who did what and when to an item; written only by the feedback services."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(_("shown to the customer"), default=False)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Attachment(BaseModel):
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="feedback/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class ExecutionRecord(BaseModel):
    """附表二 物业质量反馈意见执行调查表 (R-FB-8), one per item."""

    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="execution_record")
    qa_opinion = models.TextField(_("QA department's opinion"), blank=True)
    office_record = models.TextField(_("management office's execution record"), blank=True)
    qa_acceptance = models.TextField(_("QA acceptance"), blank=True)
    customer_acceptance = models.TextField(_("customer acceptance"), blank=True)
    executor_name = models.CharField(_("executor"), max_length=60, blank=True)
    executed_at = models.DateTimeField(_("execution time"), null=True, blank=True)
    # the sign-offs of R-FB-8's sequence: QA's opinion → the office executes → QA accepts → the customer
    qa_opinion_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    qa_opinion_at = models.DateTimeField(null=True, blank=True)
    office_record_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    office_record_at = models.DateTimeField(null=True, blank=True)
    qa_acceptance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    qa_acceptance_at = models.DateTimeField(null=True, blank=True)
    customer_acceptance_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("execution record")
        verbose_name_plural = _("execution records")

    def __str__(self) -> str:
        return f"execution record of {self.item_id}"


class StaffTalk(BaseModel):
    """R-FB-4: a staff-attitude problem leads to a recorded talk with, or criticism of, the employee."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="staff_talks")
    employee_name = models.CharField(_("employee"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=TalkKind.choices)
    notes = models.TextField(_("notes"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("talk with an employee")
        verbose_name_plural = _("talks with employees")

    def __str__(self) -> str:
        return f"{self.employee_name} ({self.get_kind_display()})"


class SlaPolicy(BaseModel):
    """Business parameters as data: the minutes each clock allows, most specific match wins.

    A blank kind / category / priority matches any. Seeded from the requirements: contact the supervisor
    within 60 minutes (R-FB-2), act on concrete quality problems within 30 minutes (R-FB-4)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sla_policies")
    clock = models.CharField(_("clock"), max_length=12, choices=SlaClock.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    minutes = models.PositiveIntegerField(_("working minutes allowed"))
    uses_hotline_calendar = models.BooleanField(
        _("counted on the 24-hour hotline calendar"),
        default=False,
        help_text=_("Otherwise on the service centre's hours."),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["clock", "channel", "kind", "category", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "clock", "channel", "kind", "category", "priority"],
                name="sla_policy_unique",
            )
        ]

    def __str__(self) -> str:
        scope = "/".join(value or "*" for value in (self.channel, self.kind, self.category, self.priority))
        return f"{self.get_clock_display()} {scope}: {self.minutes}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return Q(company_id__in=sorted(scope.company_ids)) if scope.is_staff_member else NO_ROWS


class Escalation(BaseModel):
    """One row per (item, clock, cycle, level): the unique constraint makes an escalation happen once.
    `cycle` is the item's escalation cycle: reopening starts a new one, the old rows stay."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="escalations")
    clock = models.CharField(max_length=12, choices=SlaClock.choices)
    cycle = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    notified = models.JSONField(default=list)  # user ids

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "clock", "cycle", "level"], name="escalation_once_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.clock} level {self.level}"


class Mailbox(BaseModel):
    """A project's complaint mailbox (R-CH-4), polled over IMAP."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="mailbox")
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_ssl = models.BooleanField(_("SSL"), default=True)
    username = models.CharField(_("username"), max_length=200)
    # stored encrypted with FIELD_ENCRYPTION_KEY; never shown back (the admin shows an empty password box)
    password = EncryptedTextField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("complaint mailbox")
        verbose_name_plural = _("complaint mailboxes")

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"


class InboundMessage(BaseModel):
    """Every message fetched from a mailbox, once (unique per mailbox and Message-ID): what it became, or
    why it was set aside, with a raw copy of it (intake/rawmail.py) for FEEDBACK_MAIL_RAW_RETENTION_DAYS.

    Work left on a message has a `retry_at`: a reply whose supervisors are not told yet, or a message set
    aside by an unexpected error (tried again up to intake.mailbox.MAX_ATTEMPTS times); `error` says what
    failed last. A quarantined message waits for a person (intake/quarantine.py): released as an item, or
    discarded with a reason."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("New item")
        THREADED = "threaded", _("Added to an item")
        IGNORED = "ignored", _("Ignored (auto-reply or bounce)")
        QUARANTINED = "quarantined", _("Quarantined")
        DISCARDED = "discarded", _("Discarded from the quarantine")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=255)
    uid = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    sender = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    item = models.ForeignKey(FeedbackItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True)
    # the raw copy: in the row up to FEEDBACK_MAIL_RAW_INLINE_MAX_BYTES, else a file through the storage API
    raw = models.BinaryField(blank=True)
    raw_file = models.FileField(upload_to="mail/%Y/%m/", blank=True)
    raw_size = models.PositiveIntegerField(default=0)
    raw_pruned_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "message_id"], name="inbound_message_once")]
        indexes = [
            models.Index(fields=["outcome", "-received_at"], name="inbound_message_outcome"),
            models.Index(
                fields=["retry_at"], condition=Q(retry_at__isnull=False), name="inbound_message_retry_due"
            ),
            models.Index(
                fields=["received_at"],
                condition=Q(raw_pruned_at__isnull=True),
                name="inbound_message_raw_kept",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"
