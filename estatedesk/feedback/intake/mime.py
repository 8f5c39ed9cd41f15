"""Reading a complaint email (R-CH-2, R-CH-4): its sender, subject, text and attachments, decoded so that
Chinese mail reads right and nothing the owner wrote is lost. Pure: bytes in, text out, no database.

- Charsets: GB2312 and GBK are decoded as GB18030 (their superset), Big5 as Big5-HKSCS, and a part that does
  not decode as labelled is tried as UTF-8, GB18030 and Big5 in turn; text cut off in the middle of a
  character (a truncated message) keeps everything before it.
- Structure: the email package (policy.default). When its parse gives no text (a boundary that does not
  match the header, a part whose structure cannot be read), the text is salvaged from the raw bytes: MIME
  headers and boundary lines are dropped, base64 and quoted-printable blocks decoded, each block read in
  its declared (or detected) charset. Truncated base64 is decoded up to where it stops.
- One line where one line belongs: the subject, the sender's name and file names lose CR, LF and every other
  control character (`text.clean_text`), so a header word hiding a line break cannot add a line or a header.
- File names: RFC 2231 `filename*=` (any charset, continuations), RFC 2047 words in `name=`, raw 8-bit
  GBK or UTF-8; then made safe (`filename_safe`): control characters and bidirectional overrides removed,
  so `invoice\\u202egpj.exe` reads as what it is.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import mimetypes
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from estatedesk.feedback.text import clean_text

MAX_DESCRIPTION = 50_000
MAX_REFERENCES = 50
MAX_FILENAME = 120


class MalformedMessage(ValueError):
    """The message cannot become an item or a reply: it is quarantined with this text."""


# --- charsets ---------------------------------------------------------------------------------------------

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


def _decode_cut(data: bytes, name: str) -> str | None:
    """`data` in codec `name`, where only an incomplete character at the very end (a message cut off) may be
    left out; None when anything else does not decode."""
    try:
        return codecs.getincrementaldecoder(name)().decode(data, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def text_decode(*, data: bytes, charset: str | None) -> str:
    """Bytes to text: as labelled (through its superset), else UTF-8, GB18030, Big5; never raises."""
    labelled = _codecs_for(charset)
    candidates = (*labelled, *(name for name in FALLBACK_CHARSETS if name not in labelled))
    for name in candidates:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            if name in labelled or name == "utf-8":
                cut = _decode_cut(data, name)
                if cut is not None:
                    return cut
    return data.decode(labelled[0] if labelled else "utf-8", errors="replace")


# --- header words -----------------------------------------------------------------------------------------

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
    bytes (kept by the parser as surrogate escapes) read as UTF-8 or GB18030. Line breaks inside the decoded
    words are kept: callers that want one line use `clean_text`."""
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


# --- HTML -------------------------------------------------------------------------------------------------


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


# --- identity ---------------------------------------------------------------------------------------------

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


# --- file names -------------------------------------------------------------------------------------------

# Not allowed in a file name on any system we serve to, besides control and format characters.
FILENAME_RESERVED = re.compile(r'[\\/:*?"<>|]')


def filename_safe(name: str, *, fallback: str = "attachment") -> str:
    """A file name fit to show and to send back in Content-Disposition: control characters (CR, LF, NUL…)
    and format characters (the bidirectional overrides U+202A–U+202E and isolates U+2066–U+2069, zero-width
    characters) removed, path separators and reserved characters replaced, no leading dots, at most
    MAX_FILENAME characters with the extension kept."""
    text = "".join(ch for ch in name or "" if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = FILENAME_RESERVED.sub("_", clean_text(text)).strip(" .")
    if not text:
        return fallback
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = text, ""
    extension = f".{extension}" if extension else ""
    return stem[: MAX_FILENAME - len(extension)].rstrip() + extension


def _param_value(header_value: str, name: str) -> str | None:
    """Parameter `name` of a raw Content-Type/Content-Disposition value, decoded: RFC 2231 (charset'lang'
    %XX and continuations) read with `text_decode`, RFC 2047 words and raw 8-bit bytes with
    `header_decode`. None when absent."""
    # The compat32 parser reads parameters and their RFC 2231 continuations; it is given the bytes as
    # Latin-1 so that 8-bit names come back byte for byte.
    holder = Message()
    holder["Content-Type"] = header_value.encode("utf-8", "surrogateescape").decode("latin-1")
    value: Any = holder.get_param(name, header="content-type")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text of %-decoded bytes)
        charset, _language, text = value
        return text_decode(data=str(text).encode("latin-1", "replace"), charset=charset or "utf-8")
    return header_decode(value=str(value).encode("latin-1", "replace").decode("ascii", "surrogateescape"))


def _raw_headers(part: Message, name: str) -> list[str]:
    """Raw values of a header (never through the header registry, whose parse of odd input may raise)."""
    return [str(value) for key, value in part.raw_items() if key.lower() == name]


def part_filename(part: Message) -> str:
    """The part's file name as the sender wrote it, decoded (not yet made safe): Content-Disposition's
    `filename`, else Content-Type's `name`; "" when it has none."""
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        for value in _raw_headers(part, header):
            name = _param_value(value, parameter)
            if name:
                return name
    return ""


# --- payloads ---------------------------------------------------------------------------------------------

BASE64_LINE = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")


def base64_lenient(data: bytes) -> bytes:
    """Base64 decoded as far as it goes: stray characters ignored, a truncated last group decoded up to
    where it stops."""
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(clean) % 4 == 1:
        clean = clean[:-1]  # one character of a group carries no whole byte
    try:
        return base64.b64decode(clean + b"=" * (-len(clean) % 4))
    except (binascii.Error, ValueError):
        return b""


def _transfer_encoding(part: Message) -> str:
    values = _raw_headers(part, "content-transfer-encoding")
    return values[0].strip().lower() if values else ""


def _payload_bytes(part: Message) -> bytes:
    """The part's content, decoded from its transfer encoding; truncated base64 as far as it goes."""
    if _transfer_encoding(part) == "base64":
        payload = part.get_payload(decode=False)
        text = payload if isinstance(payload, str) else ""
        return base64_lenient(text.encode("ascii", "ignore"))
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


def _part_text(part: Message) -> str:
    return text_decode(data=_payload_bytes(part), charset=part.get_content_charset())


@dataclass(frozen=True)
class MailAttachment:
    """A file the message carries: its decoded, safe name, the type its sender declared, and its bytes."""

    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


# --- salvage ----------------------------------------------------------------------------------------------

BOUNDARY_LINE = re.compile(rb"^--[^\s]{1,200}\s*$")
HEADER_LINE = re.compile(rb"^([A-Za-z0-9-]+)[ \t]*:(.*)$")
MIME_HEADER_LINE = re.compile(rb"^(content-[a-z-]+|mime-version|x-attachment-id)[ \t]*:(.*)$", re.IGNORECASE)
CONTINUATION_LINE = re.compile(rb"^[ \t]+\S")
CHARSET_PARAMETER = re.compile(rb"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
PREAMBLE = re.compile(r"^this is a multi-?part message in mime format\.?$", re.IGNORECASE)


@dataclass
class _Block:
    headers: dict[str, str] = field(default_factory=dict)
    lines: list[bytes] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name, "").lower()


def _read_header(block: _Block, line: bytes, pattern: re.Pattern[bytes], last: str) -> str | None:
    """Add a header line (or the continuation of the last one) to the block: the header's name, or None
    when the line is not a header line."""
    match = pattern.match(line)
    if match:
        name = match.group(1).decode("ascii").lower()
        block.headers[name] = match.group(2).decode("ascii", "replace").strip()
        return name
    if last and CONTINUATION_LINE.match(line):
        block.headers[last] += " " + line.decode("ascii", "replace").strip()
        return last
    return None


def _blocks(body: bytes) -> list[_Block]:
    """The body cut at boundary lines, each piece with the MIME header lines at its start."""
    blocks = [_Block()]
    in_headers, last = True, ""
    for line in re.split(rb"\r?\n", body):
        if BOUNDARY_LINE.match(line):
            blocks.append(_Block())
            in_headers, last = True, ""
            continue
        if in_headers:
            name = _read_header(blocks[-1], line, MIME_HEADER_LINE, last)
            if name is not None:
                last = name
                continue
            in_headers = False
            if not line.strip():
                continue  # the blank line that ends a part's headers
        blocks[-1].lines.append(line)
    return blocks


def _head(raw: bytes) -> tuple[_Block, bytes]:
    """The message's own header block (every header) and its body."""
    parts = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    if len(parts) == 1 and not HEADER_LINE.match(raw.split(b"\n", 1)[0]):
        return _Block(), raw  # no header block: all of it is body
    head = _Block()
    last = ""
    for line in re.split(rb"\r?\n", parts[0]):
        last = _read_header(head, line, HEADER_LINE, last) or ""
    return head, parts[1] if len(parts) == 2 else b""


def _looks_base64(lines: list[bytes]) -> bool:
    stripped = [line.strip() for line in lines if line.strip()]
    return (
        bool(stripped)
        and all(BASE64_LINE.match(line) for line in stripped)
        and sum(len(line) for line in stripped) >= 16
    )


def _is_readable(text: str) -> bool:
    """Text a person wrote, not bytes of a file: few control characters or replacement marks."""
    if not text.strip():
        return False
    odd = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\r\n\t"))
    return odd <= len(text) // 20


def _block_bytes(block: _Block, *, defaults: _Block) -> bytes:
    encoding = block.header("content-transfer-encoding") or defaults.header("content-transfer-encoding")
    data = b"\n".join(block.lines)
    if encoding == "base64" or (not encoding and _looks_base64(block.lines)):
        return base64_lenient(data)
    if encoding == "quoted-printable":
        return quopri.decodestring(data)
    return data


def _block_text(block: _Block, *, content_type: str, data: bytes, charset: str | None) -> str:
    declared = CHARSET_PARAMETER.search(block.header("content-type").encode("ascii", "ignore"))
    text = text_decode(data=data, charset=declared.group(1).decode() if declared else charset)
    if content_type == "text/html" or (not content_type and re.search(r"<(html|body|div|p)\b", text, re.I)):
        text = html_to_text(html=text)
    text = text.replace("\r\n", "\n").strip()
    return text if _is_readable(text) and not PREAMBLE.match(text) else ""


def _block_filename(block: _Block) -> str:
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        value = block.headers.get(header, "")
        name = _param_value(value, parameter) if value else None
        if name:
            return name
    return ""


def message_salvage(*, raw: bytes) -> tuple[str, list[MailAttachment]]:
    """Everything readable in a message whose structure the parser could not follow: the body's blocks
    between boundary lines, without their MIME headers, decoded from base64 or quoted-printable; text read
    in its declared charset (else the message's, else detected), plain text preferred to its HTML copy;
    blocks of other types (pictures, documents) as attachments."""
    head, body = _head(raw)
    declared = CHARSET_PARAMETER.search(raw[:20_000])
    charset = declared.group(1).decode() if declared else None
    single = not head.header("content-type").startswith("multipart/")
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    for number, block in enumerate(_blocks(body)):
        # the headers of a single-part message describe its body, the first (and only) block
        defaults = head if single and number == 0 else _Block()
        content_type = (block.header("content-type") or defaults.header("content-type")).split(";")[0].strip()
        data = _block_bytes(block, defaults=defaults)
        filename = _block_filename(block)
        is_text = not content_type or content_type.startswith(("text/", "multipart/"))
        if not is_text or block.header("content-disposition").startswith("attachment"):
            if data.strip():
                fallback = f"attachment-{len(attachments) + 1}{mimetypes.guess_extension(content_type) or ''}"
                name = filename_safe(filename, fallback=fallback)
                attachments.append(MailAttachment(name=name, content_type=content_type, data=data))
            continue
        text = _block_text(block, content_type=content_type, data=data, charset=charset)
        if text:
            (html if content_type == "text/html" else plain).append(text)
    return "\n\n".join(plain or html).strip(), attachments


def text_salvage(*, raw: bytes) -> str:
    """The text `message_salvage` finds."""
    return message_salvage(raw=raw)[0]


# --- one message ------------------------------------------------------------------------------------------


@dataclass
class ParsedMessage:
    key: str
    address: str  # the sender's address, lower case; "" when the From header holds none
    name: str  # the sender's display name, one line
    subject: str  # one line
    body: str
    references: list[str]
    automatic: str  # why the message is an auto-reply or a bounce, or ""
    attachments: list[MailAttachment] = field(default_factory=list)
    salvaged: bool = False  # some text was read from the raw bytes, not from the parsed structure
    from_header: str = ""  # the From header as written (one line), for the quarantine's error

    @property
    def attachment_names(self) -> list[str]:
        return [attachment.name for attachment in self.attachments]


AUTOMATIC_SUBJECT = re.compile(
    r"^\W*(auto[\s_-]?reply|automatic reply|autoreply|auto[\s_-]?response|out of (the )?office|"
    r"undeliverable|undelivered mail|delivery status notification|delivery failure|"
    r"mail delivery (failed|failure|system|subsystem)|returned mail|failure notice|"
    r"自动回复|自動回覆|自动答复|退信|系统退信|邮件退回)",
    re.IGNORECASE,
)
AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster"}


def _header(message: Message, name: str) -> str:
    values = _raw_headers(message, name)
    return header_decode(value=values[0]) if values else ""


def _automatic_reason(message: Message, *, address: str, subject: str) -> str:
    auto_submitted = clean_text(_header(message, "auto-submitted")).lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted[:60]}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if _raw_headers(message, name):
            return name
    precedence = clean_text(_header(message, "precedence")).lower()
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


def _fallback_name(part: Message, number: int) -> str:
    extension = mimetypes.guess_extension(part.get_content_type()) or ""
    return f"attachment-{number}{extension}"


@dataclass
class _Contents:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # text salvaged from parts the parser left whole
    attachments: list[MailAttachment] = field(default_factory=list)


def _contents(message: Message) -> _Contents:
    found = _Contents()
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        content_type = part.get_content_type()
        if part.get_content_maintype() == "multipart":  # a structure the parser could not follow
            payload = part.get_payload(decode=False)
            text = payload if isinstance(payload, str) else ""
            salvaged, files = message_salvage(raw=b"\n\n" + text.encode("utf-8", "surrogateescape"))
            if salvaged:
                found.unparsed.append(salvaged)
            found.attachments.extend(files)
            continue
        is_text = content_type in ("text/plain", "text/html")
        is_body = is_text and part.get_content_disposition() != "attachment"
        if is_body:
            (found.plain if content_type == "text/plain" else found.html).append(_part_text(part))
        else:
            number = len(found.attachments) + 1
            name = filename_safe(part_filename(part), fallback=_fallback_name(part, number))
            found.attachments.append(
                MailAttachment(name=name, content_type=content_type, data=_payload_bytes(part))
            )
    return found


def _body(contents: _Contents) -> str:
    """The text/plain parts in order (else the text/html parts, as text: they are its alternative), and
    any text salvaged from parts the parser could not follow."""
    plain = [text.replace("\r\n", "\n").strip() for text in contents.plain]
    if any(plain):
        text = "\n\n".join(piece for piece in plain if piece)
    else:
        text = "\n\n".join(html_to_text(html=html) for html in contents.html if html.strip())
    return "\n\n".join(piece for piece in (text, *contents.unparsed) if piece).strip()


def _sender(message: Message) -> tuple[str, str, str]:
    """(display name, address, the From header as written); the address "" when it is not one."""
    senders = _raw_headers(message, "from")
    written = re.sub(r"\r?\n(?=[ \t])", "", senders[0]) if senders else ""
    # The address is parsed before any word is decoded (a decoded name may hold commas or brackets).
    name, address = parseaddr(written) if written else ("", "")
    address = clean_text(address).lower()
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    return clean_text(header_decode(value=name)), address, clean_text(address or written)[:200]


def _references(message: Message) -> list[str]:
    tokens = dict.fromkeys(
        token
        for header in ("in-reply-to", "references")
        for value in _raw_headers(message, header)
        for token in MESSAGE_ID.findall(value)
    )
    return list(tokens)[-MAX_REFERENCES:]


def body_clean(text: str) -> str:
    """Text fit to store and show: line breaks as \\n, no control characters but tab and line feed (NUL is
    refused by PostgreSQL), no trailing blanks on lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()


def _structured_read(raw: bytes, key: str) -> ParsedMessage:
    message = message_from_bytes(raw, policy=policy.default)
    name, address, written = _sender(message)
    subject = clean_text(_header(message, "subject"))
    contents = _contents(message)
    body = body_clean(_body(contents))
    salvaged = bool(contents.unparsed)
    attachments = contents.attachments
    if not body:  # the structure gave no text: read the raw bytes
        body, files = message_salvage(raw=raw)
        body, salvaged = body_clean(body), bool(body)
        attachments = attachments or files
    return ParsedMessage(
        key=key,
        address=address,
        name=name,
        subject=subject,
        body=body[:MAX_DESCRIPTION],
        references=_references(message),
        automatic=_automatic_reason(message, address=address, subject=subject),
        attachments=attachments,
        salvaged=salvaged,
        from_header=written,
    )


def message_read(*, raw: bytes) -> ParsedMessage:
    """What a message says, as far as it can be read; never raises. Text the parsed structure does not
    give is salvaged from the raw bytes (`message_salvage`)."""
    key = message_key(raw=raw)
    try:
        return _structured_read(raw, key)
    except Exception:  # noqa: BLE001 - a parser failure leaves the bytes: read what they hold
        headers = message_from_bytes(raw)  # compat32: headers kept as written, nothing parsed
        name, address, written = _sender(headers)
        body, files = message_salvage(raw=raw)
        return ParsedMessage(
            key=key,
            address=address,
            name=name,
            subject=clean_text(_header(headers, "subject")),
            body=body_clean(body)[:MAX_DESCRIPTION],
            references=_references(headers),
            automatic="",
            attachments=files,
            salvaged=True,
            from_header=written,
        )


def message_check(parsed: ParsedMessage) -> None:
    """Raise MalformedMessage when the message cannot become an item: no sender to answer, or nothing in it
    at all (no subject, no text, no file)."""
    if not parsed.address:
        raise MalformedMessage(f"no valid sender address in From: {parsed.from_header!r}")
    if not parsed.body.strip() and not parsed.subject.strip() and not parsed.attachments:
        raise MalformedMessage("neither a subject nor any text")


def message_parse(*, raw: bytes) -> ParsedMessage:
    """`message_read`, then `message_check`: raises MalformedMessage when the message cannot be used."""
    parsed = message_read(raw=raw)
    message_check(parsed)
    return parsed


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
