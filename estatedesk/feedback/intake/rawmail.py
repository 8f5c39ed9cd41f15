"""The raw copy of every message the mailbox records (R-CH-4: nothing is lost), whatever it became: in the
row (`InboundMessage.raw`) up to FEEDBACK_MAIL_RAW_INLINE_MAX_BYTES (1 MB), else a file through the storage
API (`raw_file`, under a random name). Kept FEEDBACK_MAIL_RAW_RETENTION_DAYS (180) days, then pruned by
the daily job `feedback.mail_raw_prune`; a message still in the quarantine keeps its copy until a person
has released or discarded it. The row itself stays, so the message is still recognised when fetched again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from estatedesk.feedback.models import InboundMessage

DEFAULT_INLINE_MAX_BYTES = 1024 * 1024
DEFAULT_RETENTION_DAYS = 180
PRUNE_BATCH = 500


def inline_max_bytes() -> int:
    return int(getattr(settings, "FEEDBACK_MAIL_RAW_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))


def retention() -> timedelta:
    return timedelta(days=int(getattr(settings, "FEEDBACK_MAIL_RAW_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def raw_keep(*, inbound: InboundMessage, raw: bytes, stored: list[FieldFile]) -> None:
    """Put the raw copy on the (unsaved) row: inline, or as a file appended to `stored` (deleted again by
    the caller should its transaction fail)."""
    inbound.raw_size = len(raw)
    if len(raw) <= inline_max_bytes():
        inbound.raw = raw
        return
    inbound.raw = b""
    inbound.raw_file.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    stored.append(inbound.raw_file)


def raw_read(inbound: InboundMessage) -> bytes:
    """The raw copy; b"" once pruned."""
    if inbound.raw_file:
        with inbound.raw_file.open("rb") as handle:
            return bytes(handle.read())
    return bytes(inbound.raw or b"")


def raw_prune(*, now: datetime | None = None) -> int:
    """Drop the raw copies older than the retention period, except of messages still in the quarantine;
    the number pruned."""
    now = now or timezone.now()
    candidates = (
        InboundMessage.objects.filter(received_at__lt=now - retention(), raw_pruned_at__isnull=True)
        .exclude(outcome=InboundMessage.Outcome.QUARANTINED)
        .order_by("pk")
    )
    pruned = 0
    while batch := list(candidates.only("pk", "raw_file")[:PRUNE_BATCH]):
        for inbound in batch:
            if inbound.raw_file.name:
                inbound.raw_file.storage.delete(inbound.raw_file.name)
        pruned += InboundMessage.objects.filter(pk__in=[inbound.pk for inbound in batch]).update(
            raw=b"", raw_file="", raw_pruned_at=now
        )
    return pruned
