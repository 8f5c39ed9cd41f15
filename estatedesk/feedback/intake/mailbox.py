"""The complaint mailbox (R-CH-2, R-CH-4): each project's mailbox is polled over IMAP, and every message
becomes exactly one `InboundMessage`: a new feedback item, a reply threaded onto its item, an ignored
auto-reply or bounce, or a quarantined message kept whole with the error that stopped it.

Losing nothing and duplicating nothing:
- A message is identified by its Message-ID (a SHA-256 of the raw bytes when it has none), and the unique
  constraint on (mailbox, message_id) is the only guard: `inbound_message_process` inserts the row first,
  in the same transaction as the item it makes, so a message fetched twice, by two workers at once or
  again after a worker was killed between the commit and the \\Seen flag, makes one item.
- The poll does not trust \\Seen (a person may read the mailbox in a mail client): every message of the
  folder not yet recorded is processed. Recorded messages are skipped by their UID, stored as
  "UIDVALIDITY:UID" so that a rebuilt folder (new UIDVALIDITY) is compared by Message-ID again rather than
  by stale UIDs; new UIDs are first compared by their Message-ID header alone, and only unknown messages
  are downloaded whole. A message is flagged \\Seen after its transaction has committed.
- Every recorded message keeps a raw copy (rawmail.py) for FEEDBACK_MAIL_RAW_RETENTION_DAYS; its pictures
  and documents are stored on its item, a new one or the one a reply threads onto (mail_files.py).
- Text is read from the parsed structure, else salvaged from the raw bytes (mime.py): a broken boundary or
  truncated base64 still makes an item with everything the owner wrote. A message with no sender to answer,
  or nothing in it at all, is quarantined for a person (quarantine.py: released as an item, or discarded).
- A message set aside by an unexpected error (a database hiccup, a notification failing inside the
  registration) is quarantined with its error and tried again on the retry schedule of followup.py; a
  reply's notification is a task queued with the reply, retried the same way. Either failure is logged
  and kept on the row (`error`, `attempts`, `retry_at`).
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

from estatedesk.feedback import events
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake import followup
from estatedesk.feedback.intake.mail_files import mail_files_save, stored_files_delete
from estatedesk.feedback.intake.mime import (
    MalformedMessage,
    ParsedMessage,
    message_check,
    message_id_read,
    message_key,
    message_read,
    reply_text,
)
from estatedesk.feedback.intake.rawmail import raw_keep, raw_read
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox, TimelineEvent
from estatedesk.org.models import Project
from estatedesk.owners.models import Resident

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 30
HEADER_BATCH = 500  # Message-ID headers fetched per IMAP command
BODY_BATCH = 20  # whole messages fetched per IMAP command (bounded memory)
RETRY_BATCH = 200  # messages with work left, per run of the retry job
SALVAGED = "the MIME structure could not be parsed: the text was recovered from the raw message"

Outcome = InboundMessage.Outcome


# --- the rules --------------------------------------------------------------------------------------------


def _sender_owns(item: FeedbackItem, address: str) -> bool:
    known = {item.contact_email.strip().lower()}
    if item.resident is not None:
        known.add(item.resident.email.strip().lower())
    return address in known - {""}


def _reference_pattern(project: Project) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(project.code)}-(\d{{8}})-(\d{{4,}})(?!\d)", re.IGNORECASE)


def _thread_target(*, mailbox: Mailbox, parsed: ParsedMessage) -> FeedbackItem | None:
    """The item this message answers, if its sender is that item's customer: by In-Reply-To/References to
    an earlier message of this mailbox, else by a reference number of this project in the subject."""
    candidates: list[FeedbackItem] = []
    if parsed.references:
        earlier = (
            InboundMessage.objects.filter(
                mailbox=mailbox, message_id__in=parsed.references, item__isnull=False
            )
            .select_related("item__resident", "item__project__branch")
            .order_by("-pk")
        )
        candidates.extend(inbound.item for inbound in earlier if inbound.item is not None)
    project = mailbox.project
    references = [
        f"{project.code}-{day}-{number}"
        for day, number in _reference_pattern(project).findall(parsed.subject)
    ]
    if references:
        candidates.extend(
            FeedbackItem.objects.filter(project=project, reference__in=references).select_related(
                "resident", "project__branch"
            )
        )
    return next((item for item in candidates if _sender_owns(item, parsed.address)), None)


def _resident_for(*, project: Project, address: str) -> Resident | None:
    """The project's current resident with this email, if exactly one."""
    residents = list(
        Resident.objects.filter(
            email__iexact=address, occupancies__unit__project=project, occupancies__ended_on__isnull=True
        ).distinct()[:2]
    )
    return residents[0] if len(residents) == 1 else None


def item_input_from_mail(*, project: Project, parsed: ParsedMessage) -> ItemInput:
    """What a message registers: an email complaint in the sender's words, from the sender's address (the
    resident's, when exactly one current resident of the project has it)."""
    description = parsed.body.strip() or parsed.subject or _("(No text: see the attached files.)")
    return ItemInput(
        project=project,
        channel=Channel.EMAIL,
        kind=Kind.COMPLAINT,
        category=Category.OTHER,
        title=parsed.subject,
        description=description,
        contact_email=parsed.address,
        contact_name=parsed.name,
        resident=_resident_for(project=project, address=parsed.address) if parsed.address else None,
    )


@transaction.atomic
def feedback_email_reply_add(
    *, item: FeedbackItem, parsed: ParsedMessage, stored: list[FieldFile]
) -> TimelineEvent:
    """A customer's emailed reply on the item's timeline (shown to the customer), without the quoted
    message, and its files stored on the item. The supervisors are told by the caller's queued task
    (followup.reply_notification_queue)."""
    event = events.email_reply_received(
        item=item,
        sender=parsed.address,
        subject=parsed.subject,
        message_id=parsed.key,
        body=reply_text(body=parsed.body) or parsed.subject,
        attachments=parsed.attachment_names,
    )
    mail_files_save(item=item, attachments=parsed.attachments, stored=stored)
    return event


def _own_addresses(mailbox: Mailbox) -> set[str]:
    """Where our own mail comes from: a message from there is never a customer's (no mail loop)."""
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], mailbox.project.complaint_email, mailbox.username}
    return {address.strip().lower() for address in addresses if "@" in address}


def _apply_rules(
    *, mailbox: Mailbox, parsed: ParsedMessage, stored: list[FieldFile]
) -> tuple[str, FeedbackItem | None]:
    if parsed.automatic or parsed.address in _own_addresses(mailbox):
        return Outcome.IGNORED, None
    message_check(parsed)
    item = _thread_target(mailbox=mailbox, parsed=parsed)
    if item is not None:
        feedback_email_reply_add(item=item, parsed=parsed, stored=stored)
        return Outcome.THREADED, item
    item = feedback_item_register(
        actor=None, data=item_input_from_mail(project=mailbox.project, parsed=parsed)
    )
    mail_files_save(item=item, attachments=parsed.attachments, stored=stored)
    return Outcome.CREATED, item


def _handle(*, inbound: InboundMessage, raw: bytes, now: datetime, stored: list[FieldFile]) -> None:
    """Apply the rules to a recorded message (not saved here). What stops it sets it aside, whole: a
    malformed message for a person to look at, any other error to be tried again (followup.py)."""
    parsed = message_read(raw=raw)
    inbound.sender, inbound.subject = parsed.address[:255], parsed.subject[:255]
    mark = len(stored)
    try:
        with transaction.atomic():
            inbound.outcome, inbound.item = _apply_rules(
                mailbox=inbound.mailbox, parsed=parsed, stored=stored
            )
    except MalformedMessage as error:
        stored_files_delete(stored[mark:])
        del stored[mark:]
        inbound.outcome, inbound.item, inbound.retry_at = Outcome.QUARANTINED, None, None
        inbound.error = f"{type(error).__name__}: {error}"[:2000]
        logger.info("quarantined message %s of mailbox %s: %s", inbound.message_id, inbound.mailbox_id, error)
        return
    except Exception as error:  # noqa: BLE001 - anything that stops a message sets it aside, whole
        stored_files_delete(stored[mark:])
        del stored[mark:]
        inbound.outcome, inbound.item = Outcome.QUARANTINED, None
        followup.attempt_failed(inbound=inbound, error=error, what="", now=now)
        return
    inbound.retry_at = None
    if parsed.salvaged:
        inbound.error = SALVAGED
    if inbound.outcome == Outcome.CREATED:
        inbound.notified_at = (
            now  # the registration told the supervisors and the customer, in its transaction
        )
    elif inbound.outcome == Outcome.THREADED:
        followup.reply_notification_queue(inbound=inbound, now=now)


def _process(*, mailbox: Mailbox, raw: bytes, uid: str) -> tuple[InboundMessage, bool]:
    """(the message's record, whether this call made it). One transaction: the record is inserted first,
    so a second fetch of the same message waits for the first and then finds it."""
    key = message_key(raw=raw)
    stored: list[FieldFile] = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    inbound = InboundMessage.objects.create(
                        mailbox=mailbox, message_id=key, uid=uid[:40], outcome=Outcome.QUARANTINED
                    )
            except IntegrityError:
                return InboundMessage.objects.get(mailbox=mailbox, message_id=key), False
            raw_keep(inbound=inbound, raw=raw, stored=stored)
            _handle(inbound=inbound, raw=raw, now=timezone.now(), stored=stored)
            inbound.save()
    except BaseException:
        stored_files_delete(stored)  # the rows are gone with the transaction: so are their files
        raise
    return inbound, True


def inbound_message_process(*, mailbox: Mailbox, raw: bytes, uid: str = "") -> InboundMessage:
    """Turn one fetched message into its record and what it makes (R-CH-4): an item (R-FB-1), a reply on its
    item, nothing (auto-reply, bounce) or a quarantined message. The same message again returns the first
    record and makes nothing."""
    return _process(mailbox=mailbox, raw=raw, uid=uid)[0]


# --- work left: retries -----------------------------------------------------------------------------------


def inbound_message_reprocess(*, inbound_message_id: int, now: datetime | None = None) -> bool:
    """Try again a message an unexpected error set aside; True when it is no longer set aside."""
    now = now or timezone.now()
    stored: list[FieldFile] = []
    try:
        with transaction.atomic():
            inbound = (
                InboundMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox__project")
                .filter(pk=inbound_message_id, outcome=Outcome.QUARANTINED, retry_at__isnull=False)
                .first()
            )
            if inbound is None:
                return False
            _handle(inbound=inbound, raw=raw_read(inbound), now=now, stored=stored)
            inbound.save()
    except BaseException:
        stored_files_delete(stored)
        raise
    return inbound.outcome != Outcome.QUARANTINED


@dataclass
class RetryResult:
    notified: int = 0
    processed: int = 0
    pending: int = 0  # still to do (failed again, or taken by another run)
    errors: list[str] = field(default_factory=list)


def inbound_messages_retry(*, now: datetime | None = None) -> RetryResult:
    """The work left on recorded messages whose `retry_at` is due (a batch): replies whose watchers are not
    told yet, and messages an unexpected error set aside. One message's failure does not stop the rest."""
    now = now or timezone.now()
    result = RetryResult()
    due = InboundMessage.objects.filter(retry_at__lte=now).order_by("retry_at")
    for pk, outcome in list(due.values_list("pk", "outcome")[:RETRY_BATCH]):
        try:
            if outcome == Outcome.THREADED:
                done = followup.inbound_message_notify(inbound_message_id=pk, now=now)
                result.notified += done
            elif outcome == Outcome.QUARANTINED:
                done = inbound_message_reprocess(inbound_message_id=pk, now=now)
                result.processed += done
            else:  # nothing is left to do on it
                InboundMessage.objects.filter(pk=pk).update(retry_at=None)
                continue
        except Exception as error:  # noqa: BLE001 - logged; the row keeps its retry_at for the next run
            logger.exception("retrying inbound message %s failed", pk)
            result.errors.append(f"{pk}: {type(error).__name__}: {error}")
            done = False
        result.pending += not done
    return result


# --- polling ----------------------------------------------------------------------------------------------


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    created: int = 0
    threaded: int = 0
    ignored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    remaining: int = 0  # new messages left for the next poll (fetch_limit)
    error: str = ""

    def count(self, *, inbound: InboundMessage, is_new: bool) -> None:
        self.fetched += 1
        if not is_new:
            self.duplicates += 1
        elif inbound.outcome == Outcome.CREATED:
            self.created += 1
        elif inbound.outcome == Outcome.THREADED:
            self.threaded += 1
        elif inbound.outcome == Outcome.IGNORED:
            self.ignored += 1
        else:
            self.quarantined += 1


def _connect(mailbox: Mailbox) -> BaseMailBox:
    if mailbox.use_ssl:
        return MailBox(
            mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    return MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


UID_IN_FETCH = re.compile(rb"\bUID (\d+)")


def _fetch(box: BaseMailBox, uids: list[str], parts: str) -> list[tuple[str, bytes]]:
    """(uid, literal) for each message of a UID FETCH of one literal (the UID may come after it)."""
    status, data = box.client.uid("FETCH", ",".join(uids), parts)
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH failed: {data!r}")
    fetched: list[tuple[str, bytes]] = []
    pending: bytes | None = None
    for part in data:
        if isinstance(part, tuple):
            head, literal = part
            match = UID_IN_FETCH.search(head)
            if match:
                fetched.append((match.group(1).decode(), literal))
                pending = None
            else:
                pending = literal
        elif isinstance(part, bytes) and pending is not None:
            match = UID_IN_FETCH.search(part)
            if match:
                fetched.append((match.group(1).decode(), pending))
            pending = None
    return fetched


def _mark_seen(box: BaseMailBox, uids: Iterable[str]) -> None:
    for chunk in _chunks(sorted(set(uids), key=int), HEADER_BATCH):
        status, data = box.client.uid("STORE", ",".join(chunk), "+FLAGS.SILENT", r"(\Seen)")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID STORE failed: {data!r}")


def _uids(box: BaseMailBox, criteria: str) -> list[str]:
    return sorted(box.uids(criteria, charset=None), key=int)


def mailbox_poll(*, mailbox: Mailbox, fetch_limit: int = 200) -> PollResult:
    """Process every message of the mailbox's folder not recorded yet, oldest first, at most `fetch_limit`
    downloaded; flag each \\Seen once its transaction has committed. A connection or IMAP error ends the
    poll, is kept on the mailbox (`last_error`) and returned; the next poll carries on where this one
    stopped."""
    result = PollResult(mailbox=f"{mailbox.project.code} {mailbox}")
    try:
        with _connect(mailbox) as box:
            box.login(mailbox.username, mailbox.password, initial_folder=None)
            validity = box.folder.status(mailbox.folder, ["UIDVALIDITY"])["UIDVALIDITY"]
            box.folder.set(mailbox.folder)
            _poll_folder(
                box=box, mailbox=mailbox, prefix=f"{validity}:", fetch_limit=fetch_limit, result=result
            )
    except (imaplib.IMAP4.error, ImapToolsError, OSError) as error:
        result.error = f"{type(error).__name__}: {error}"[:2000]
        logger.warning("polling mailbox %s failed: %s", mailbox.pk, result.error)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=result.error)
    return result


def _poll_folder(
    *, box: BaseMailBox, mailbox: Mailbox, prefix: str, fetch_limit: int, result: PollResult
) -> None:
    recorded_uids = {
        uid.removeprefix(prefix)
        for uid in InboundMessage.objects.filter(mailbox=mailbox, uid__startswith=prefix).values_list(
            "uid", flat=True
        )
    }
    candidates = [uid for uid in _uids(box, "ALL") if uid not in recorded_uids]
    to_mark = [uid for uid in _uids(box, "UNSEEN") if uid in recorded_uids]  # committed, flag not stored
    to_download: list[str] = []
    for chunk in _chunks(candidates, HEADER_BATCH):
        keys = {
            uid: message_id_read(header_bytes=header)
            for uid, header in _fetch(box, chunk, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        }
        known = dict(
            InboundMessage.objects.filter(
                mailbox=mailbox, message_id__in=[key for key in keys.values() if key]
            ).values_list("message_id", "uid")
        )
        for uid in chunk:
            key = keys.get(uid)
            if key is None or key not in known:
                to_download.append(uid)
                continue
            to_mark.append(uid)  # the same message under another UID: already recorded
            if not known[key].startswith(prefix):  # the folder was rebuilt: remember its new UID
                InboundMessage.objects.filter(mailbox=mailbox, message_id=key).update(uid=prefix + uid)
    result.remaining = max(0, len(to_download) - fetch_limit)
    _mark_seen(box, to_mark)
    for chunk in _chunks(to_download[:fetch_limit], BODY_BATCH):
        done: list[str] = []
        for uid, raw in _fetch(box, chunk, "(UID BODY.PEEK[])"):
            inbound, is_new = _process(mailbox=mailbox, raw=raw, uid=prefix + uid)
            result.count(inbound=inbound, is_new=is_new)
            done.append(uid)
        _mark_seen(box, done)


def mailbox_poll_all(*, fetch_limit: int = 200) -> list[PollResult]:
    """One poll of every active mailbox; one mailbox's failure does not stop the others."""
    results = []
    for mailbox in Mailbox.objects.filter(is_active=True).select_related("project").order_by("pk"):
        try:
            results.append(mailbox_poll(mailbox=mailbox, fetch_limit=fetch_limit))
        except Exception as error:  # noqa: BLE001 - logged and kept on the mailbox; the others still run
            logger.exception("polling mailbox %s failed", mailbox.pk)
            message = f"{type(error).__name__}: {error}"[:2000]
            Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=message)
            results.append(PollResult(mailbox=f"{mailbox.project.code} {mailbox}", error=message))
    return results
