"""The organisation: company → branch company → project (management office) → building/area → unit,
departments at any level, memberships that give a user a role at a node, and working calendars."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import NO_ROWS, Scope, ScopedManager
from estatedesk.org.choices import (
    BuildingKind,
    CalendarKind,
    DayKind,
    DepartmentKind,
    Role,
    ScopeLevel,
    UnitStatus,
)

code_validator = RegexValidator(r"^[A-Z0-9][A-Z0-9-]{0,19}$", _("Use capital letters, digits and dashes."))
weekdays_validator = RegexValidator(r"^[1-7]{0,7}$", _("List weekdays as digits 1 (Monday) to 7 (Sunday)."))


class Company(TimeStampedModel):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return Q(id__in=sorted(scope.company_ids))


class Branch(TimeStampedModel):
    """A branch company (各地物业公司)."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="branches"
    )
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50, blank=True)
    # when it started and stopped reporting to HQ (R-IR-1: expected reports only while open)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("branch company")
        verbose_name_plural = _("branch companies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        if scope.is_global:
            return Q(company_id__in=sorted(scope.company_ids))
        return Q(id__in=sorted(scope.branch_ids | scope.context_branch_ids))


class WorkingCalendar(TimeStampedModel):
    """When a service is open (R-CH-1). SLA clocks of the projects that use it run only while open."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="calendars"
    )
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarKind.choices)
    is_24_hours = models.BooleanField(_("open 24 hours"), default=False)
    opens_at = models.TimeField(_("opens at"), default=time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=time(20, 0), help_text=_("00:00 means midnight."))
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default="1234567",
        validators=[weekdays_validator],
        help_text=_("Digits 1 (Monday) to 7 (Sunday)."),
    )
    observes_public_holidays = models.BooleanField(
        _("closed on public holidays, open on make-up working days"), default=False
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["company", "code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="calendar_code_unique")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        if not scope.is_staff_member:
            return NO_ROWS
        return Q(company_id__in=sorted(scope.company_ids))

    @property
    def hours_label(self) -> str:
        if self.is_24_hours:
            return "24h"
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class PublicHoliday(BaseModel):
    """A public holiday or a make-up working day (调休) of the company's region."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="holidays"
    )
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("public holiday or make-up day")
        verbose_name_plural = _("public holidays and make-up days")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["company", "day"], name="holiday_day_unique")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name} ({self.get_kind_display()})"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return WorkingCalendar.scope_filter(scope)


class Project(TimeStampedModel):
    """A project and its management office (项目部 / 管理处)."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch company"), on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField(_("project code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hotline_1 = models.CharField(_("complaint hotline 1"), max_length=30, blank=True)
    hotline_2 = models.CharField(_("complaint hotline 2"), max_length=30, blank=True)
    complaint_email = models.EmailField(_("complaint mailbox"), blank=True)
    service_calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("service centre calendar"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    hotline_calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("hotline calendar"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    # when the project was taken on and handed back (R-IR-1: expected reports only while it is managed)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        # Owners see the projects they live in (to find the hotline); staff see the projects they cover.
        return scope.project_q("id") | Q(id__in=sorted(scope.owner_project_ids))


class Building(TimeStampedModel):
    """A building (楼栋) or a common area (公共区域) of a project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="buildings"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(
        _("kind"), max_length=10, choices=BuildingKind.choices, default=BuildingKind.BUILDING
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("building or area")
        verbose_name_plural = _("buildings and areas")
        ordering = ["project", "code"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="building_code_unique")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") | Q(project_id__in=sorted(scope.owner_project_ids))


class Unit(TimeStampedModel):
    """A unit (房号), labelled building-entrance-number, e.g. "3-2-501"."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="units"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="units"
    )
    entrance = models.CharField(_("entrance"), max_length=10, blank=True)
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("unit number"), max_length=20)
    label = models.CharField(_("unit"), max_length=50, help_text=_("Building-entrance-number, e.g. 3-2-501."))
    status = models.CharField(
        _("status"), max_length=12, choices=UnitStatus.choices, default=UnitStatus.VACANT
    )
    handover_on = models.DateField(_("handover date"), null=True, blank=True)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["project", "label"]
        constraints = [models.UniqueConstraint(fields=["project", "label"], name="unit_label_unique")]
        # the hotline looks units up by "3-2-501" across projects
        indexes = [models.Index(fields=["label"], name="unit_label")]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        staff = scope.project_q("project_id") if scope.is_staff_member else NO_ROWS
        if scope.is_owner and scope.user_id is not None:
            # An owner sees only the units they live in. The owners app's occupancies point at units, so
            # org asks through that reverse relation (as compute_scope does) and names no owners model.
            staff |= Q(
                id__in=cls.objects.filter(
                    occupancies__resident__user_id=scope.user_id, occupancies__ended_on__isnull=True
                ).values("id")
            )
        return staff


class Department(TimeStampedModel):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="departments"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="departments",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="departments",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DepartmentKind.choices)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["company", "branch", "project", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=Q(branch__isnull=True, project__isnull=True),
                name="department_kind_unique_company",
            ),
            models.UniqueConstraint(
                fields=["branch", "kind"],
                condition=Q(project__isnull=True),
                name="department_kind_unique_branch",
            ),
            models.UniqueConstraint(fields=["project", "kind"], name="department_kind_unique_project"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        if self.project_id:
            return ScopeLevel.PROJECT
        return ScopeLevel.BRANCH if self.branch_id else ScopeLevel.COMPANY

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        if not scope.is_staff_member:
            return NO_ROWS
        if scope.is_global:
            return Q(company_id__in=sorted(scope.company_ids))
        # Company-level departments (HQ) are known to everyone in the company; branch and project
        # departments only inside their own scope.
        return (
            Q(company_id__in=sorted(scope.company_ids), branch__isnull=True, project__isnull=True)
            | Q(branch_id__in=sorted(scope.branch_ids | scope.context_branch_ids), project__isnull=True)
            | Q(project_id__in=sorted(scope.project_ids))
        )


class Membership(TimeStampedModel):
    """A user holds `role` at one org node: the whole company, one branch, or one project."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    level = models.CharField(_("level"), max_length=10, choices=ScopeLevel.choices)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user", "level", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level=ScopeLevel.COMPANY, branch__isnull=True, project__isnull=True)
                    | Q(level=ScopeLevel.BRANCH, branch__isnull=False, project__isnull=True)
                    | Q(level=ScopeLevel.PROJECT, branch__isnull=True, project__isnull=False)
                ),
                name="membership_node_matches_level",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "company"],
                condition=Q(level=ScopeLevel.COMPANY),
                name="membership_role_unique_company",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "branch"],
                condition=Q(level=ScopeLevel.BRANCH),
                name="membership_role_unique_branch",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "project"],
                condition=Q(level=ScopeLevel.PROJECT),
                name="membership_role_unique_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self) -> Company | Branch | Project:
        return self.project or self.branch or self.company

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        if not scope.is_staff_member:
            return NO_ROWS
        if scope.is_global:
            return Q(company_id__in=sorted(scope.company_ids))
        return Q(branch_id__in=sorted(scope.branch_ids)) | Q(project_id__in=sorted(scope.project_ids))
