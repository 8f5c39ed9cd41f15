"""Infrastructure models shared by every app: the audit trail and the scheduler's claim table.

No domain models live here (see ../shared/STYLE.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# {(field, language): {value: label}}: a field's choices with their labels in one language, made once
_CHOICE_LABELS: dict[tuple[int, str | None], dict[Any, str]] = {}


def choice_labels(field: models.Field[Any, Any]) -> dict[Any, str]:
    """{value: label} of the field's choices in the current language, made once per field and language
    (read only: it is shared). A page of rows takes it once and looks each row's value up."""
    key = (id(field), get_language())
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        labels = {make_hashable(choice): str(label) for choice, label in field.flatchoices}
        _CHOICE_LABELS[key] = labels
    return labels


def choice_label(field: models.Field[Any, Any], value: Any) -> Any:
    """What `get_FOO_display()` gives, from a table made once per field and language: Django's own builds a
    dict of every choice, translating each label, on every call (a list of 50 rows with two labels each
    spent a quarter of its time there)."""
    return force_str(choice_labels(field).get(make_hashable(value), value), strings_only=True)


class BaseModel(models.Model):
    """The base of our models: `get_FOO_display()` reads its labels from `choice_label`'s tables."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: Any) -> Any:  # noqa: N802 - Django's name
        return choice_label(field, getattr(self, field.attname))


class TimeStampedModel(BaseModel):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(BaseModel):
    """Who changed what and when. Append-only: written only through `common.audit.audit_record`."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        VIEW_SENSITIVE = "view_sensitive", _("viewed sensitive data")
        EXPORT = "export", _("exported")
        LOGIN = "login", _("logged in")
        IMPORT = "import", _("imported")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # The project the change belongs to, when it has one: lets project managers read their own trail.
    project_id = models.BigIntegerField(_("project id"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}#{self.object_id}"


class ScheduledRun(BaseModel):
    """One row per (periodic job, period): the unique constraint is what makes a job run once a period,
    however many scheduler processes are running (see docs/adr/0003-task-queue-and-scheduler.md)."""

    job_name = models.CharField(max_length=100)
    period_key = models.BigIntegerField()
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["job_name", "period_key"], name="scheduled_run_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.job_name}@{self.period_start:%Y-%m-%d %H:%M}"


class Heartbeat(BaseModel):
    """The last sign of life of one background process (the task worker, the scheduler, the mailbox poll),
    upserted by `common.health.heartbeat_beat`; /health/ reports the newest beat of each name. A table, not
    the cache: the processes run on several hosts and must see each other's beats."""

    name = models.CharField(max_length=50)
    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["name", "host", "pid"], name="heartbeat_one_per_process")
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.host}:{self.pid}"
