"""In-app notifications and the email outbox. Imports no domain app: callers pass text and links."""

from __future__ import annotations

import uuid
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import BaseModel
from estatedesk.notifications.choices import OutboxStatus


class Notification(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # what it is about: notifications with one key are one row of the list and one in the bell's count, and
    # are read together (the caller's key, else the link, else a key of its own: services.notify)
    group_key = models.CharField(_("what it is about"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "group_key"], name="notification_group"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.group_key:  # about its link, else about itself alone
            self.group_key = self.url[:300] or f"notification:{uuid.uuid4().hex}"
        super().save(*args, **kwargs)


class DailyDigest(BaseModel):
    """The daily digest email sent to one user for one day (local date): at most one row, so a digest job
    run twice for a day sends nothing more (notifications/digest.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("digest day"))
    items = models.PositiveIntegerField(_("items listed"), default=0)
    sent_at = models.DateTimeField(_("digest sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="daily_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


def new_message_id() -> str:
    """A Message-ID for a new outbox email, made once and kept: a message sent twice (the worker died after
    the mail server took it) carries the same id both times, so mail systems can recognise the copy."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "estatedesk.invalid"
    return make_msgid(domain=domain)


class OutboundEmail(BaseModel):
    """An email to send, written in the business transaction. It is sent at least once and marked sent only
    after the mail server accepted it, or it is listed as failed (docs/adr/0012-what-we-promise.md):

        queued --claim--> sending --accepted--> sent
                             |--error--> failed (retried later while attempts < MAX_ATTEMPTS)
                             '--worker died, claimed_at too old--> queued again (the sweep)
    """

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, default=new_message_id)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the current or last send began
    # the task that claimed it: the same task run again (its worker lost the database mid-send) takes its
    # own claim over at once instead of waiting for the stuck-send timeout
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # when the mail server accepted it
    # when the sweep should enqueue a send again: a retry after a failure, or a safety net for a queued
    # email whose task was lost; None once sent, or failed for good
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_email_due")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
