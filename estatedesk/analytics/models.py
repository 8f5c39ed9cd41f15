"""Monthly packs and alerts (issue 15, R-FB-7). The figures themselves are not stored here: `metrics.py`
computes them on demand from the domain tables; a pack freezes them when it is made.

- `PackRules`: the company's pack parameters (when the 1st's run makes packs, how many rows a list keeps).
- `MonthlyPack`: one immutable snapshot of one scope's month: its figures and lists as JSON, the PDF and the
  workbook (through the storage API). A regeneration is the next version with a note of what changed;
  version 1 of a (scope, month) exists once, however many schedulers run (unique constraint).
- `PackDelivery`: one recipient of a pack: the email sent with the PDF attached, the first opening.
- `AlertRule` / `AlertBreach`: thresholds as data, checked daily; a breach is (rule, unit, window) and is
  recorded and sent once (unique constraint).
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.analytics.choices import (
    AlertComparison,
    AlertMetric,
    AlertWindow,
    DeliveryStatus,
    PackTrigger,
    ScopeKind,
)
from estatedesk.common.models import BaseModel
from estatedesk.common.scoping import EVERYTHING, NO_ROWS, Scope, ScopedManager
from estatedesk.org.models import Branch, Building, Company, Project


class PackRules(BaseModel):
    """When the scheduled run makes the month's packs (company time) and how long a pack's lists are."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="pack_rules")
    send_day = models.PositiveSmallIntegerField(
        _("day of the month the packs are made"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    send_time = models.TimeField(_("time the packs are made"), default=time(8, 0))
    list_limit = models.PositiveSmallIntegerField(
        _("rows kept per list in a pack"),
        default=50,
        validators=[MinValueValidator(5), MaxValueValidator(500)],
    )
    is_active = models.BooleanField(_("make packs on schedule"), default=True)

    class Meta:
        verbose_name = _("monthly pack rules")
        verbose_name_plural = _("monthly pack rules")

    def __str__(self) -> str:
        return str(self.company)


def _pack_scope_q(
    scope: Scope, *, kind: str = "scope_kind", branch: str = "branch_id", project: str = "project_id"
) -> Q:
    """Packs of scopes the user's roles cover: HQ all; a branch role its branch's and its projects'; a
    project role its projects'. (Whether the role may open packs at all is `analytics.pack`.)"""
    if not scope.is_staff_member:
        return NO_ROWS
    if scope.is_global:
        return Q(company_id__in=sorted(scope.company_ids)) if scope.company_ids else EVERYTHING
    return Q(**{kind: ScopeKind.BRANCH, f"{branch}__in": sorted(scope.branch_ids)}) | Q(
        **{kind: ScopeKind.PROJECT, f"{project}__in": sorted(scope.project_ids)}
    )


class MonthlyPack(BaseModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    scope_kind = models.CharField(_("scope"), max_length=10, choices=ScopeKind.choices)
    scope_key = models.CharField(_("scope key"), max_length=60)  # MetricScope.key: company, branch:BJ, …
    scope_label = models.CharField(_("scope name"), max_length=200)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month the pack is about
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    trigger = models.CharField(_("made by"), max_length=12, choices=PackTrigger.choices)
    generated_at = models.DateTimeField(_("made at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # metrics.MetricsReport.to_dict(): the month, the month before and the same month a year earlier
    figures = models.JSONField(default=dict)
    lists = models.JSONField(default=dict)  # the month's major incidents, hot complaints, overdue items, …
    corrections = models.JSONField(default=list)  # late changes to earlier months' sent figures
    change_note = models.TextField(_("what changed"), blank=True)  # version 2 on: against the version before
    pdf = models.FileField(_("PDF"), upload_to="packs/%Y/%m/", blank=True)
    workbook = models.FileField(_("workbook"), upload_to="packs/%Y/%m/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("monthly pack")
        verbose_name_plural = _("monthly packs")
        ordering = ["-month", "scope_key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "scope_key", "month", "version"], name="analytics_pack_once_per_version"
            )
        ]
        indexes = [models.Index(fields=["scope_key", "-month"], name="analytics_pack_scope_month")]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.month:%Y-%m} v{self.version}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return _pack_scope_q(scope)


class PackDelivery(BaseModel):
    pack = models.ForeignKey(MonthlyPack, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pack delivery")
        verbose_name_plural = _("pack deliveries")
        constraints = [models.UniqueConstraint(fields=["pack", "user"], name="analytics_delivery_once")]

    def __str__(self) -> str:
        return f"{self.pack} → {self.user}"


class AlertRule(BaseModel):
    """A threshold as data: e.g. a project's contact-on-time rate below 80% this week (with at least
    `minimum_count` items decided, so that one late call of two is no alert), or three C visits in one
    building this month."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    metric = models.CharField(_("figure"), max_length=30, choices=AlertMetric.choices)
    comparison = models.CharField(
        _("alert when the figure is"), max_length=10, choices=AlertComparison.choices
    )
    threshold = models.DecimalField(_("threshold"), max_digits=8, decimal_places=2)
    window = models.CharField(_("counted over"), max_length=10, choices=AlertWindow.choices)
    minimum_count = models.PositiveIntegerField(_("only when at least this many are counted"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["metric", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return Q(company_id__in=sorted(scope.company_ids)) if scope.is_staff_member else NO_ROWS


class AlertBreach(BaseModel):
    """One breach of a rule by one project or building in one window: found once, sent once."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="breaches")
    unit_key = models.CharField(max_length=40)  # project:<id> or building:<id>
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    window_start = models.DateField(_("window from"))
    value = models.DecimalField(_("figure"), max_digits=12, decimal_places=2)
    counted = models.PositiveIntegerField(_("counted"), default=0)
    found_at = models.DateTimeField(_("found at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "unit_key", "window_start"], name="analytics_breach_once_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.unit_key} {self.window_start}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS
