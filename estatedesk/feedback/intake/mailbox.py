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
- Messages stay in the folder: the mailbox remains the archive (attachments are not imported yet; the
  item's text names them, and they can be read from the mailbox).

Decoding: the email package (policy.default) for structure; header words and bodies are decoded here so
that mislabelled Chinese mail reads right: GB2312 and GBK are decoded as GB18030 (their superset), Big5 as
Big5-HKSCS, and a part that does not decode as labelled is tried as UTF-8, GB18030 and Big5 in turn.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

from estatedesk.feedback import events
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox, TimelineEvent
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.selectors import project_staff
from estatedesk.owners.models import Resident

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 30
HEADER_BATCH = 500  # Message-ID headers fetched per IMAP command
BODY_BATCH = 20  # whole messages fetched per IMAP command (bounded memory)
MAX_DESCRIPTION = 50_000
MAX_REFERENCES = 50

Outcome = InboundMessage.Outcome


class MalformedMessage(ValueError):
    """The message cannot become an item or a reply: it is quarantined with this text."""


# --- decoding ---------------------------------------------------------------------------------------------

# A label and the codecs to read it with, in order: the superset first (mail labelled gb2312 is very often
# GBK or GB18030, and mail labelled big5 often uses the HKSCS or Microsoft extensions).
CHARSET_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "ascii": ("utf-8",),  # 8-bit text wrongly labelled us-ascii
}
FALLBACK_CHARSETS = ("utf-8", "gb18030", "big5hkscs")
# Labels that mail clients write and Python does not know.
CHARSET_LABELS = {
    "x-gbk": "gbk",
    "x-gb2312": "gb2312",
    "csgb2312": "gb2312",
    "gb_2312-80": "gb2312",
    "x-euc-cn": "gb2312",
    "windows-936": "gbk",
    "x-gb18030": "gb18030",
    "x-big5": "big5",
    "cn-big5": "big5",
    "x-x-big5": "big5",
}


def _codecs_for(label: str | None) -> tuple[str, ...]:
    label = (label or "").strip().strip("\"'").lower()
    if not label:
        return ()
    try:
        name = codecs.lookup(CHARSET_LABELS.get(label, label)).name
    except LookupError:
        return ()
    return CHARSET_SUPERSETS.get(name, (name,))


def text_decode(*, data: bytes, charset: str | None) -> str:
    """Bytes to text: as labelled (through its superset), else UTF-8, GB18030, Big5; never raises."""
    labelled = _codecs_for(charset)
    for name in (*labelled, *(name for name in FALLBACK_CHARSETS if name not in labelled)):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode(labelled[0] if labelled else "utf-8", errors="replace")


ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _encoded_word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding.lower() == "b":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


def header_decode(*, value: str) -> str:
    """An RFC 2047 header value to text, decoded with `text_decode` (so a gb2312 label reads GBK), adjacent
    encoded words joined before decoding (some clients split a character across two words), and raw 8-bit
    bytes (kept by the parser as surrogate escapes) read as UTF-8 or GB18030."""
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    pieces: list[tuple[bytes, str | None]] = []
    position = 0
    previous_encoded = False
    for match in ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        position = match.end()
        decoded = _encoded_word_bytes(match.group(2), match.group(3))
        if decoded is None:  # not really an encoded word: keep it as written
            pieces.append(((between + match.group(0)).encode("utf-8", "surrogateescape"), None))
            previous_encoded = False
            continue
        if between and not (previous_encoded and between.isspace()):
            pieces.append((between.encode("utf-8", "surrogateescape"), None))
        charset = match.group(1).split("*")[0].lower()  # RFC 2231 language suffix
        if pieces and pieces[-1][1] == charset:
            pieces[-1] = (pieces[-1][0] + decoded, charset)
        else:
            pieces.append((decoded, charset))
        previous_encoded = True
    if position < len(value):
        pieces.append((value[position:].encode("utf-8", "surrogateescape"), None))
    return "".join(text_decode(data=data, charset=charset) for data, charset in pieces).strip()


class _HtmlText(HTMLParser):
    BLOCKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(*, html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- one message ------------------------------------------------------------------------------------------

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MESSAGE_ID_HEADER = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def message_id_read(*, header_bytes: bytes) -> str | None:
    """The Message-ID of a message's header block, normalized to one `<…>`; None when it has none."""
    head = re.split(rb"\r?\n\r?\n", header_bytes, maxsplit=1)[0]
    match = MESSAGE_ID_HEADER.search(head)
    if match is None:
        return None
    value = re.sub(r"\s+", " ", match.group(1).decode("ascii", "replace")).strip()
    token = MESSAGE_ID.search(value)
    value = token.group(0) if token else value
    if not value:
        return None
    if len(value) > 255:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def message_key(*, raw: bytes) -> str:
    """What identifies a message in its mailbox: its Message-ID, or a hash of its bytes when it has none."""
    return message_id_read(header_bytes=raw) or "sha256:" + hashlib.sha256(raw).hexdigest()


@dataclass
class ParsedMessage:
    key: str
    address: str
    name: str
    subject: str
    body: str
    references: list[str]
    automatic: str  # why the message is an auto-reply or a bounce, or ""
    attachments: list[str]


AUTOMATIC_SUBJECT = re.compile(
    r"^\W*(auto[\s_-]?reply|automatic reply|autoreply|auto[\s_-]?response|out of (the )?office|"
    r"undeliverable|undelivered mail|delivery status notification|delivery failure|"
    r"mail delivery (failed|failure|system|subsystem)|returned mail|failure notice|"
    r"自动回复|自動回覆|自动答复|退信|系统退信|邮件退回)",
    re.IGNORECASE,
)
AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster"}


def _headers(message: EmailMessage, name: str) -> list[str]:
    """Raw values of a header (never through the header registry, whose parse of odd input may raise)."""
    return [str(value) for key, value in message.raw_items() if key.lower() == name]


def _header(message: EmailMessage, name: str) -> str:
    values = _headers(message, name)
    return header_decode(value=values[0]) if values else ""


def _automatic_reason(message: EmailMessage, *, address: str, subject: str) -> str:
    auto_submitted = _header(message, "auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if _headers(message, name):
            return name
    precedence = _header(message, "precedence").lower()
    if precedence in {"bulk", "junk", "auto_reply"}:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "multipart/report"
    if _header(message, "return-path").strip() == "<>":
        return "null Return-Path"
    if address.split("@")[0] in AUTOMATIC_SENDERS:
        return f"sender {address}"
    if AUTOMATIC_SUBJECT.match(subject):
        return f"subject {subject[:60]}"
    return ""


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    return text_decode(
        data=payload if isinstance(payload, bytes) else b"", charset=part.get_content_charset()
    )


def _body(message: EmailMessage) -> tuple[str, list[str]]:
    """The first text/plain part (else the first text/html, stripped), and the attachments' names."""
    plain: str | None = None
    html: str | None = None
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        content_type = part.get_content_type()
        filename = part.get_filename()
        if part.get_content_disposition() == "attachment" or content_type not in ("text/plain", "text/html"):
            attachments.append(header_decode(value=filename) if filename else content_type)
            continue
        if content_type == "text/plain" and plain is None:
            plain = _part_text(part)
        elif content_type == "text/html" and html is None:
            html = _part_text(part)
    if plain is not None and plain.strip():
        return plain.replace("\r\n", "\n").strip(), attachments
    return (html_to_text(html=html) if html else ""), attachments


def message_parse(*, raw: bytes) -> ParsedMessage:
    """Read what the rules need; raises MalformedMessage (or whatever the parser raises) when it cannot."""
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always makes these
        raise MalformedMessage("not an email message")
    senders = _headers(message, "from")
    # The address is parsed before any word is decoded (a decoded name may hold commas or brackets).
    name, address = parseaddr(re.sub(r"\r?\n(?=[ \t])", "", senders[0])) if senders else ("", "")
    name, address = header_decode(value=name), address.strip().lower()
    try:
        validate_email(address)
    except ValidationError as error:
        raise MalformedMessage(f"no valid sender address in From: {address!r}") from error
    subject = _header(message, "subject")
    body, attachments = _body(message)
    if not body.strip() and not subject.strip():
        raise MalformedMessage("neither a subject nor any text")
    references = list(
        dict.fromkeys(
            token
            for header in ("in-reply-to", "references")
            for value in _headers(message, header)
            for token in MESSAGE_ID.findall(value)
        )
    )
    return ParsedMessage(
        key=message_key(raw=raw),
        address=address,
        name=name.strip(),
        subject=subject,
        body=body[:MAX_DESCRIPTION],
        references=references[-MAX_REFERENCES:],
        automatic=_automatic_reason(message, address=address, subject=subject),
        attachments=attachments,
    )


QUOTE_START = re.compile(
    r"^(-{2,}\s*(original message|原始邮件|原始郵件)\s*-{2,}|on .+ wrote:|在.+写道[:：]|"
    r"from:\s.+|发件人[:：].*|寄件者[:：].*)\s*$",
    re.IGNORECASE,
)


def reply_text(*, body: str) -> str:
    """A reply without the quoted message below it (or the whole body, when nothing else is left)."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if QUOTE_START.match(stripped):
            break
        if not stripped.startswith(">"):
            kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    return text or body.strip()


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


def _attachments_note(names: Sequence[str]) -> str:
    if not names:
        return ""
    return "\n\n" + _("Attachments not imported (they stay in the mailbox): %(names)s") % {
        "names": ", ".join(names)
    }


@transaction.atomic
def feedback_email_reply_add(
    *,
    item: FeedbackItem,
    sender: str,
    body: str,
    message_id: str,
    subject: str = "",
    attachments: Sequence[str] = (),
) -> TimelineEvent:
    """A customer's emailed reply on the item's timeline (shown to the customer), and the supervisors told."""
    event = events.email_reply_received(
        item=item,
        sender=sender,
        subject=subject,
        message_id=message_id,
        body=body.strip() + _attachments_note(attachments),
        attachments=attachments,
    )
    watchers = [item.supervisor, *project_staff(project=item.project, roles={Role.CS_SUPERVISOR})]
    notify(
        users=watchers,
        title=_("Email reply on %(reference)s: %(title)s")
        % {"reference": item.reference, "title": item.title},
        body=body[:500],
        url=reverse("feedback:item_detail", args=[item.reference]),
    )
    return event


def _own_addresses(mailbox: Mailbox) -> set[str]:
    """Where our own mail comes from: a message from there is never a customer's (no mail loop)."""
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], mailbox.project.complaint_email, mailbox.username}
    return {address.strip().lower() for address in addresses if "@" in address}


def _apply_rules(*, mailbox: Mailbox, parsed: ParsedMessage) -> tuple[str, FeedbackItem | None]:
    if parsed.automatic or parsed.address in _own_addresses(mailbox):
        return Outcome.IGNORED, None
    item = _thread_target(mailbox=mailbox, parsed=parsed)
    if item is not None:
        feedback_email_reply_add(
            item=item,
            sender=parsed.address,
            body=reply_text(body=parsed.body) or parsed.subject,
            message_id=parsed.key,
            subject=parsed.subject,
            attachments=parsed.attachments,
        )
        return Outcome.THREADED, item
    item = feedback_item_register(
        actor=None,
        data=ItemInput(
            project=mailbox.project,
            channel=Channel.EMAIL,
            kind=Kind.COMPLAINT,
            category=Category.OTHER,
            title=parsed.subject,
            description=(parsed.body.strip() or parsed.subject) + _attachments_note(parsed.attachments),
            contact_email=parsed.address,
            contact_name=parsed.name[:60],
            resident=_resident_for(project=mailbox.project, address=parsed.address),
        ),
    )
    return Outcome.CREATED, item


def _process(*, mailbox: Mailbox, raw: bytes, uid: str) -> tuple[InboundMessage, bool]:
    """(the message's record, whether this call made it). One transaction: the record is inserted first,
    so a second fetch of the same message waits for the first and then finds it."""
    key = message_key(raw=raw)
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    mailbox=mailbox, message_id=key, uid=uid[:40], outcome=Outcome.QUARANTINED
                )
        except IntegrityError:
            return InboundMessage.objects.get(mailbox=mailbox, message_id=key), False
        try:
            with transaction.atomic():
                parsed = message_parse(raw=raw)
                inbound.sender, inbound.subject = parsed.address[:255], parsed.subject[:255]
                inbound.outcome, inbound.item = _apply_rules(mailbox=mailbox, parsed=parsed)
        except Exception as error:  # noqa: BLE001 - anything that stops a message sets it aside, whole
            logger.warning("quarantined message %s of mailbox %s", key, mailbox.pk, exc_info=True)
            inbound.outcome, inbound.item = Outcome.QUARANTINED, None
            inbound.error = f"{type(error).__name__}: {error}"[:2000]
            inbound.raw = raw
        inbound.save()
    return inbound, True


def inbound_message_process(*, mailbox: Mailbox, raw: bytes, uid: str = "") -> InboundMessage:
    """Turn one fetched message into its record and what it makes (R-CH-4): an item (R-FB-1), a reply on its
    item, nothing (auto-reply, bounce) or a quarantined message. The same message again returns the first
    record and makes nothing."""
    return _process(mailbox=mailbox, raw=raw, uid=uid)[0]


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
