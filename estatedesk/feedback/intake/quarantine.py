"""The mail quarantine (R-CH-4: nothing the owner wrote is lost): messages the mailbox could not use (no
sender to answer, nothing in them, or an error that retries did not cure) wait here, whole, for a person.

CS supervisors and project managers of the mailbox's project (capability `feedback.mail_quarantine`) read
each one (decoded text, sender, subject, error, attached files), download its raw .eml, release it as an
item (the normal registration, keeping its files) or discard it with a reason; each action is audited.
Anyone else gets 404 for every message, whether it exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback import events
from estatedesk.feedback.intake.mail_files import mail_files_check, mail_files_save, stored_files_delete
from estatedesk.feedback.intake.mailbox import item_input_from_mail
from estatedesk.feedback.intake.mime import ParsedMessage, message_read
from estatedesk.feedback.intake.rawmail import raw_read
from estatedesk.feedback.intake.registration import feedback_item_register
from estatedesk.feedback.models import FeedbackItem, InboundMessage
from estatedesk.org.permissions import can_anywhere, projects_with

CAPABILITY = "feedback.mail_quarantine"
REASON_MAX = 500
Outcome = InboundMessage.Outcome


def quarantine_allowed(*, user: Any) -> bool:
    return can_anywhere(user, CAPABILITY)


def quarantine_list(*, user: Any) -> QuerySet[InboundMessage]:
    """The quarantined messages of the user's projects (where they hold the capability), newest first."""
    rows = (
        InboundMessage.objects.filter(outcome=Outcome.QUARANTINED)
        .select_related("mailbox__project")
        .defer("raw")
        .order_by("-received_at", "-pk")
    )
    projects = projects_with(user, CAPABILITY)
    return rows if projects is None else rows.filter(mailbox__project_id__in=projects)


def quarantined_message_get_for_user(*, user: Any, pk: int, for_update: bool = False) -> InboundMessage:
    """A quarantined message of the user's projects; 404 when missing, out of scope or no longer there."""
    rows = quarantine_list(user=user)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    inbound = rows.filter(pk=pk).first()
    if inbound is None:
        raise Http404
    return inbound


@dataclass(frozen=True)
class FileShown:
    name: str
    content_type: str
    size: int
    kept: bool  # stored on the item when the message is released


@dataclass(frozen=True)
class QuarantinedMessage:
    inbound: InboundMessage
    parsed: ParsedMessage
    files: list[FileShown]
    raw_size: int


def quarantined_message_read(*, inbound: InboundMessage) -> QuarantinedMessage:
    """What the page shows: the message decoded as far as it goes, and which of its files would be kept."""
    raw = raw_read(inbound)
    parsed = message_read(raw=raw)
    accepted, _refused = mail_files_check(parsed.attachments)
    kept = {id(entry.attachment) for entry in accepted}
    files = [
        FileShown(name=file.name, content_type=file.content_type, size=file.size, kept=id(file) in kept)
        for file in parsed.attachments
    ]
    return QuarantinedMessage(inbound=inbound, parsed=parsed, files=files, raw_size=len(raw))


def _audit(*, actor: Any, inbound: InboundMessage, action: str, after: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=inbound,
        before={"outcome": Outcome.QUARANTINED.value},
        after=after,
        project_id=inbound.mailbox.project_id,
    )


def quarantine_raw_download(*, actor: Any, pk: int) -> tuple[InboundMessage, bytes]:
    """The message's raw bytes, to open in a mail client; audited."""
    inbound = quarantined_message_get_for_user(user=actor, pk=pk)
    raw = raw_read(inbound)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=inbound,
        after={"raw_message": f"{len(raw)} bytes"},
        project_id=inbound.mailbox.project_id,
    )
    return inbound, raw


def quarantine_release(*, actor: Any, pk: int) -> FeedbackItem:
    """Register the message as an email item through the normal registration (its sender is the item's
    contact and gets the acknowledgement), with its files; audited, and noted on the item's timeline."""
    stored: list[FieldFile] = []
    try:
        with transaction.atomic():
            inbound = quarantined_message_get_for_user(user=actor, pk=pk, for_update=True)
            parsed = message_read(raw=raw_read(inbound))
            if not parsed.address:
                raise DomainError(
                    "feedback.quarantine_no_sender",
                    _(
                        "This message has no sender address to answer. Register it by hand (hotline or "
                        "walk-in form) with the customer's details, then discard it here."
                    ),
                )
            data = item_input_from_mail(project=inbound.mailbox.project, parsed=parsed)
            with translation.override(settings.LANGUAGE_CODE):  # as the mailbox would have written it
                item = feedback_item_register(actor=None, data=data)
            mail_files_save(item=item, attachments=parsed.attachments, stored=stored)
            events.comment_added(
                item=item, actor=actor, message=_("Released from the mail quarantine."), is_public=False
            )
            now = timezone.now()
            inbound.outcome, inbound.item = Outcome.CREATED, item
            inbound.sender, inbound.subject = parsed.address[:255], parsed.subject[:255]
            inbound.handled_by, inbound.handled_at = actor, now
            inbound.notified_at, inbound.retry_at = now, None
            inbound.save()
            _audit(
                actor=actor,
                inbound=inbound,
                action=AuditEntry.Action.UPDATE,
                after={"outcome": Outcome.CREATED.value, "item": item.reference},
            )
    except BaseException:
        stored_files_delete(stored)
        raise
    return item


def quarantine_discard(*, actor: Any, pk: int, reason: str) -> InboundMessage:
    """Set the message aside for good, with the reason; audited. Its raw copy is kept for the retention
    period like any other."""
    reason = reason.strip()[:REASON_MAX]
    if not reason:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"reason": [_("Say why the message is discarded.")]},
        )
    with transaction.atomic():
        inbound = quarantined_message_get_for_user(user=actor, pk=pk, for_update=True)
        inbound.outcome, inbound.discard_reason, inbound.retry_at = Outcome.DISCARDED, reason, None
        inbound.handled_by, inbound.handled_at = actor, timezone.now()
        inbound.save(update_fields=["outcome", "discard_reason", "retry_at", "handled_by", "handled_at"])
        _audit(
            actor=actor,
            inbound=inbound,
            action=AuditEntry.Action.UPDATE,
            after={"outcome": Outcome.DISCARDED.value, "reason": reason},
        )
    return inbound
