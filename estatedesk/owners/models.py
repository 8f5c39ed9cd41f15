"""The owner archive (业户档案, R-OA-1/2): residents, their phones, the units they occupy, imports,
completeness snapshots, owners' own corrections, changes of the email of residents with a portal account
(which wait for the account holder), and one-time sign-in codes for the owner portal.

A resident's history is the audit trail: every service that changes a resident writes an audit row with
the fields before and after (`common.audit`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estatedesk.common.models import BaseModel, TimeStampedModel
from estatedesk.common.scoping import EVERYTHING, NO_ROWS, Scope, ScopedManager
from estatedesk.org.models import Project, Unit
from estatedesk.owners.choices import (
    AccountRequestStatus,
    ChangeRequestStatus,
    ContactPreference,
    EmailChangeStatus,
    IdType,
    ImportStatus,
    Relation,
)


class Resident(TimeStampedModel):
    """A person who owns, rents or lives in one or more units, in one or more projects."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=30, blank=True, db_index=True)
    name_pinyin = models.CharField(_("pinyin"), max_length=120, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    preferred_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans", blank=True
    )
    contact_preference = models.CharField(
        _("contact preference"),
        max_length=10,
        choices=ContactPreference.choices,
        default=ContactPreference.PHONE,
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        """Staff see the residents who live or lived in their projects: a project the resident left keeps
        its record of them, and `owners.selectors` shows it only what that project recorded (issue 16)."""
        condition = NO_ROWS
        if scope.is_global:
            condition = EVERYTHING
        elif scope.is_staff_member:
            condition = Q(
                id__in=Occupancy.objects.filter(unit__project_id__in=sorted(scope.project_ids)).values(
                    "resident_id"
                )
            )
        if scope.is_owner:
            condition |= Q(user_id=scope.user_id)
        return condition


class ResidentPhone(BaseModel):
    """One of a resident's phone numbers, normalized (digits; a landline's extension after a dash)."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("phone"), max_length=24, db_index=True)
    last4 = models.CharField(_("last four digits"), max_length=4, db_index=True)
    is_mobile = models.BooleanField(_("mobile"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["resident", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["resident", "number"], name="resident_phone_unique")]

    def __str__(self) -> str:
        return self.number


class Occupancy(TimeStampedModel):
    """A resident's tie to a unit: owner, tenant or household member, from move-in to move-out."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="occupancies"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="occupancies"
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    started_on = models.DateField(_("move-in date"), null=True, blank=True)
    ended_on = models.DateField(_("moved out on"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "unit"],
                condition=Q(ended_on__isnull=True),
                name="occupancy_current_unique",
            )
        ]
        indexes = [models.Index(fields=["unit", "ended_on"], name="occupancy_unit_current")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.unit} · {self.get_relation_display()}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        condition = scope.project_q("unit__project_id") if scope.is_staff_member else NO_ROWS
        if scope.is_owner:
            condition |= Q(resident__user_id=scope.user_id)
        return condition


class ImportBatch(TimeStampedModel):
    """An uploaded owner workbook: checked first (a dry run), then imported all at once when clean, or its
    sound rows only when the user chooses so (R-OA-2). Large files are checked and imported by the worker
    (`owners.tasks`); `phase` and the row counts are its progress."""

    class Phase(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        READING = "reading", _("Reading the file")
        CHECKING = "checking", _("Checking the rows")
        WRITING = "writing", _("Writing to the archive")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="owner-imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)  # [{row, column, message}], capped
    problem_rows = models.JSONField(_("rows with problems"), default=list, blank=True)  # every row number
    # {sheet, header_row, columns: [{header, column}], ignored: [header], notes: [{row, column, message}]}
    layout = models.JSONField(_("how the file was read"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)  # {created, updated, unchanged, …}
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.DONE)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)  # 0 while unknown
    sound_rows_only = models.BooleanField(_("sound rows only"), default=False)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("owner import")
        verbose_name_plural = _("owner imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS

    @property
    def is_running(self) -> bool:
        return self.phase not in (self.Phase.DONE, self.Phase.FAILED)

    @property
    def counts_rows(self) -> bool:
        """The phases that report row by row, once the number of rows is known."""
        return self.phase in (self.Phase.READING, self.Phase.CHECKING) and self.rows_total > 0


def _import_column_choices() -> list[tuple[str, str]]:
    from estatedesk.owners.spreadsheet import COLUMNS

    return [(column.key, f"{column.zh} ({column.en})") for column in COLUMNS]


class ImportColumnAlias(TimeStampedModel):
    """A header people write for one of the import's columns: 业主姓名 → 姓名 (R-OA-2). Business data that
    HQ edits in the admin; matched ignoring case, spaces, full-width forms, punctuation and bracketed
    remarks (`owners.headers`). The template's own headers are always understood besides these."""

    alias = models.CharField(_("header"), max_length=60, unique=True)
    column = models.CharField(_("column"), max_length=20, choices=_import_column_choices)

    class Meta:
        verbose_name = _("import column name")
        verbose_name_plural = _("import column names")
        ordering = ["column", "alias"]

    def __str__(self) -> str:
        return f"{self.alias} → {self.get_column_display()}"

    def clean(self) -> None:
        from estatedesk.owners.headers import header_key
        from estatedesk.owners.spreadsheet import header_matcher

        key = header_key(self.alias)
        if not key:
            raise ValidationError({"alias": _("A header needs letters or digits.")})
        own = header_matcher(aliases=[]).columns.get(key)
        if own is not None and own != self.column:
            raise ValidationError({"alias": _("This is already the name of another column.")})
        others = ImportColumnAlias.objects.exclude(pk=self.pk).only("alias", "column")
        clash = next((other for other in others if header_key(other.alias) == key), None)
        if clash is not None:
            raise ValidationError(
                {"alias": _("“%(alias)s” is read the same way already.") % {"alias": clash.alias}}
            )


class CompletenessSnapshot(BaseModel):
    """A project's archive completeness on one day (a counter row; the daily job fills it)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("date"))
    occupied_units = models.PositiveIntegerField(_("occupied units"))
    complete_units = models.PositiveIntegerField(_("units with a complete owner record"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("archive completeness")
        verbose_name_plural = _("archive completeness")
        ordering = ["project", "day"]
        constraints = [models.UniqueConstraint(fields=["project", "day"], name="completeness_once_a_day")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day}: {self.complete_units}/{self.occupied_units}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS

    @property
    def rate(self) -> float | None:
        return round(100 * self.complete_units / self.occupied_units, 1) if self.occupied_units else None


class ContactChangeRequest(TimeStampedModel):
    """An owner's correction of their own contact details, applied when staff confirm it."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="change_requests"
    )
    requested = models.JSONField(_("requested changes"))  # {"phones": [...], "email": ..., ...}
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("contact change request")
        verbose_name_plural = _("contact change requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(status="pending"), name="one_pending_change_per_resident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} ({self.get_status_display()})"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return _of_current_residents(scope, owner=Q(resident__user_id=scope.user_id))


class EmailChange(TimeStampedModel):
    """A new email for a resident with a portal account (issue 16). The resident's email is also the
    account's sign-in address, so whoever asks (staff, the importer, an owner's confirmed correction) the
    change waits for the account holder: a link goes to the new address, to be opened while signed in as
    the account holder, and a notice goes to the old address, with a link to report it. Until then the
    old email stays on file and signs in. At most one change per resident is pending."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="email_changes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account holder"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    old_email = models.EmailField(_("old email"), blank=True)
    new_email = models.EmailField(_("new email"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked for by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EmailChangeStatus.choices, default=EmailChangeStatus.PENDING
    )
    expires_at = models.DateTimeField(_("valid until"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("email change")
        verbose_name_plural = _("email changes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="pending"),
                name="one_pending_email_change_per_resident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} → {self.new_email} ({self.get_status_display()})"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        # the new address belongs to the resident's current projects: a project they left never sees it
        return _of_current_residents(scope, owner=Q(user_id=scope.user_id))


class LoginCode(BaseModel):
    """A one-time sign-in code for the owner portal, stored hashed, valid for minutes, few attempts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["user", "expires_at"], name="login_code_user_expiry")]

    def __str__(self) -> str:
        return f"code for {self.user_id} until {self.expires_at:%H:%M}"


class PortalInvitation(BaseModel):
    """An invitation to the owner portal (issue 11): a one-time activation code for one resident, stored
    hashed (SHA-256 of a random code from `secrets`: the code is looked up by its hash), valid until
    `expires_at`, used once; a newer invitation revokes the older ones. An invitation sent by email has
    no hash until the send task draws its code (the plain code is never written to the database)."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="portal_invitations"
    )
    code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    emailed_to = models.EmailField(_("sent to"), blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("portal invitation")
        verbose_name_plural = _("portal invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation of {self.resident_id} until {self.expires_at:%Y-%m-%d}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return _of_current_residents(scope, owner=NO_ROWS)


class AccountRequest(TimeStampedModel):
    """An owner's request for a portal account (issue 11): the phone, the unit and the name they typed,
    waiting for the service centre, who confirm it (an invitation for the matching resident) or decline."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    unit_label = models.CharField(_("unit"), max_length=40)
    phone = models.CharField(_("phone"), max_length=24)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AccountRequestStatus.choices,
        default=AccountRequestStatus.PENDING,
        db_index=True,
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.unit_label} ({self.get_status_display()})"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        return scope.project_q("project_id") if scope.is_staff_member else NO_ROWS


def _of_current_residents(scope: Scope, *, owner: Q) -> Q:
    """Rows about residents who live in the staff member's projects now (everything for a company-wide
    role), and, for an owner, their own rows (`owner`)."""
    condition = NO_ROWS
    if scope.is_global:
        condition = EVERYTHING
    elif scope.is_staff_member:
        condition = Q(
            resident_id__in=Occupancy.objects.filter(
                unit__project_id__in=sorted(scope.project_ids), ended_on__isnull=True
            ).values("resident_id")
        )
    if scope.is_owner:
        condition |= owner
    return condition
