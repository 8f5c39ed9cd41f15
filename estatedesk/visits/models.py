"""Return visits (回访, 附表三; R-FB-6, R-RV-1 to R-RV-5) and visits to clients (R-CS-1).

A `ReturnVisit` is one visit to one customer about one feedback item (the monthly list covers all of a
customer's items of the month through `covered_items`), or about a survey form or a paid service. Attempts
that reached nobody are `VisitAttempt` rows, never grades; the grade (A/B/C) is recorded once, with the
handler and department of the item frozen on the visit at that moment. Business parameters are data:
`VisitRules` per company, `VisitPolicy` per feedback category.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import NO_ROWS, Scope, ScopedManager
from estatedesk.feedback.choices import Category
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Company, Department, Project
from estatedesk.owners.models import Resident
from estatedesk.visits.choices import (
    AttemptOutcome,
    ClientKind,
    ClientVisitKind,
    ClientVisitStatus,
    Grade,
    Purpose,
    VisitChannel,
    VisitRule,
    VisitStatus,
)


class VisitRules(BaseModel):
    """The company's return-visit parameters, editable by HQ (seeded with the defaults below)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="visit_rules")
    registrant_may_visit = models.BooleanField(
        _("the person who registered an item may visit its customer"), default=False
    )
    due_working_days = models.PositiveSmallIntegerField(_("monthly visits due in working days"), default=5)
    serious_due_working_days = models.PositiveSmallIntegerField(
        _("visits on serious dissatisfaction due in working days"), default=2
    )
    paid_service_due_working_days = models.PositiveSmallIntegerField(
        _("paid-service visits due in working days"), default=3
    )
    escalation_hours = models.PositiveSmallIntegerField(
        _("working hours between escalation levels of a late visit"), default=8
    )

    class Meta:
        verbose_name = _("return-visit rules")
        verbose_name_plural = _("return-visit rules")

    def __str__(self) -> str:
        return str(self.company)


class VisitPolicy(BaseModel):
    """R-FB-6: which of last month's customers of a category are put on the monthly list."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="visit_policies")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    rule = models.CharField(_("rule"), max_length=20, choices=VisitRule.choices, default=VisitRule.ALWAYS)
    sample_percent = models.PositiveSmallIntegerField(_("sample (%)"), default=100)

    class Meta:
        verbose_name = _("return-visit policy")
        verbose_name_plural = _("return-visit policies")
        constraints = [
            models.UniqueConstraint(fields=["company", "category"], name="visits_policy_one_per_category"),
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="visits_policy_sample_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_rule_display()}"


class ReturnVisit(TimeStampedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.DUE, db_index=True
    )
    # what the visit is about: a feedback item (the monthly list: the customer's latest item of the month,
    # all of them in covered_items), or nothing for a survey check
    item = models.ForeignKey(
        FeedbackItem,
        verbose_name=_("feedback item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_visits",
    )
    covered_items = models.ManyToManyField(FeedbackItem, blank=True, related_name="+")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("first visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )  # R-RV-3: the separate visit on serious dissatisfaction points at the visit (or rating) it follows
    month = models.DateField(_("month"), null=True, blank=True)  # a monthly list's month (its 1st)
    customer_key = models.CharField(max_length=40, blank=True)  # resident or phone
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_name = models.CharField(_("customer"), max_length=60, blank=True)
    customer_phone = models.CharField(_("phone"), max_length=24, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("visiting department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    arranged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arranged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("visit by"), null=True, blank=True)
    escalation_due_at = models.DateTimeField(null=True, blank=True)  # the next escalation of a late visit
    escalation_level = models.PositiveSmallIntegerField(default=0)
    # the result (附表三); one graded result per visit
    grade = models.CharField(_("satisfaction"), max_length=1, choices=Grade.choices, blank=True)
    customer_said = models.TextField(_("what the customer said"), blank=True)
    handling_result = models.TextField(_("handling result"), blank=True)
    channel = models.CharField(_("how"), max_length=10, choices=VisitChannel.choices, blank=True)
    quality_met = models.BooleanField(_("the work met quality requirements"), null=True, blank=True)  # R-RV-2
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visited_on = models.DateField(_("visit date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("record date"), null=True, blank=True)
    # frozen at the grade (R-RV-2 of issue 12): a later reassignment cannot move a C
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler at the time"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handler_department = models.ForeignKey(
        Department,
        verbose_name=_("department at the time"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # the owner's word on the portal about the visit's result
    owner_comment = models.TextField(_("owner's comment"), blank=True)
    owner_commented_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["project", "status", "due_at"], name="visits_project_status_due"),
            models.Index(fields=["visitor", "status"], name="visits_visitor_status"),
            models.Index(
                fields=["escalation_due_at"],
                condition=Q(escalation_due_at__isnull=False),
                name="visits_escalation_due",
            ),
        ]
        constraints = [
            # R-FB-6: one monthly visit per customer, project and month
            models.UniqueConstraint(
                fields=["project", "month", "customer_key"],
                condition=Q(purpose="monthly"),
                name="visits_monthly_one_per_customer",
            ),
            # R-RV-3: one separate visit per first visit (per item when it follows an owner's rating)
            models.UniqueConstraint(
                fields=["parent"],
                condition=Q(purpose="serious", parent__isnull=False),
                name="visits_serious_one_per_visit",
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(purpose="serious", parent__isnull=True),
                name="visits_serious_one_per_rating",
            ),
            # R-RV-2: one paid-service visit per item
            models.UniqueConstraint(
                fields=["item"], condition=Q(purpose="paid_service"), name="visits_paid_service_one_per_item"
            ),
            models.CheckConstraint(
                condition=Q(status="graded", grade__in=["A", "B", "C"]) | (~Q(status="graded") & Q(grade="")),
                name="visits_grade_iff_graded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.customer_name}".strip()

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        condition = scope.project_q("project_id") if scope.is_staff_member else NO_ROWS
        if scope.is_owner:  # the owner sees the visits made to them about their own items
            condition |= Q(item__resident__user_id=scope.user_id, status=VisitStatus.GRADED)
        return condition


class VisitAttempt(BaseModel):
    """A call or a knock that reached no grade (无人接听 / 拒访 / 号码错误 / 改约)."""

    visit = models.ForeignKey(ReturnVisit, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("time"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    rescheduled_to = models.DateTimeField(_("rescheduled to"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("visit attempt")
        verbose_name_plural = _("visit attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.at:%Y-%m-%d %H:%M}"


class VisitEscalation(BaseModel):
    """One escalation of a late visit per level (the sweep's guard against escalating twice)."""

    visit = models.ForeignKey(ReturnVisit, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    notified = models.JSONField(default=list)  # user ids

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "level"], name="visits_escalation_once_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} L{self.level}"


class ClientVisit(TimeStampedModel):
    """R-CS-1: the CS supervisor's regular or ad-hoc visit to the contracting client."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    client_kind = models.CharField(_("client"), max_length=20, choices=ClientKind.choices)
    client_name = models.CharField(_("client's name"), max_length=100)
    contact_person = models.CharField(_("contact person"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ClientVisitKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ClientVisitStatus.choices, default=ClientVisitStatus.PLANNED
    )
    planned_on = models.DateField(_("planned for"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("client visit", "visitor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attendees = models.CharField(_("attendees"), max_length=300, blank=True)
    raised = models.TextField(_("what the client raised"), blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    follow_up_due_on = models.DateField(_("follow up by"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    items = models.ManyToManyField(FeedbackItem, blank=True, related_name="client_visits")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("client visit")
        verbose_name_plural = _("client visits")
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["project", "status", "planned_on"], name="visits_client_project")]

    def __str__(self) -> str:
        return f"{self.client_name} {self.planned_on}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS
