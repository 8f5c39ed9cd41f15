"""Files that come by mail (R-CH-2): stored on the item they belong to (a new item, or the item a reply
threads onto), through the storage API under random names, and downloaded only through the item's scoped
view (`feedback:attachment_download`).

What is kept: pictures Pillow can read (JPEG, PNG, WebP, GIF; the content decides, never the name) and
documents whose name and content agree (PDF, Word, Excel, PowerPoint, OpenDocument, RTF, plain text, CSV,
HEIC photos), each at most FEEDBACK_MAIL_ATTACHMENT_MAX_BYTES (10 MB) and together at most
FEEDBACK_MAIL_MESSAGE_ATTACHMENTS_MAX_BYTES (25 MB) per message. Anything else is refused, and the item's
timeline says what was refused, its size and why; the raw message keeps it (intake/rawmail.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from PIL import Image

from estatedesk.feedback import events
from estatedesk.feedback.intake.mime import MailAttachment
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.photos import PHOTO_FORMATS, attachment_store, image_format_of

MB = 1024 * 1024
DEFAULT_FILE_MAX_BYTES = 10 * MB
DEFAULT_MESSAGE_MAX_BYTES = 25 * MB

OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # Word, Excel, PowerPoint before 2007
ZIP = (b"PK\x03\x04",)  # Office Open XML and OpenDocument
TEXT = ()  # any text without NUL bytes
# extension → (the type it is served as, how its content starts)
DOCUMENTS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".ppt": ("application/vnd.ms-powerpoint", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", ZIP),
    ".rtf": ("application/rtf", (b"{\\rtf",)),
    ".txt": ("text/plain", TEXT),
    ".csv": ("text/csv", TEXT),
    ".heic": ("image/heic", ()),  # checked by its ftyp box below
    ".heif": ("image/heif", ()),
}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


def file_max_bytes() -> int:
    return int(getattr(settings, "FEEDBACK_MAIL_ATTACHMENT_MAX_BYTES", DEFAULT_FILE_MAX_BYTES))


def message_max_bytes() -> int:
    return int(getattr(settings, "FEEDBACK_MAIL_MESSAGE_ATTACHMENTS_MAX_BYTES", DEFAULT_MESSAGE_MAX_BYTES))


@dataclass(frozen=True)
class Accepted:
    attachment: MailAttachment
    content_type: str
    extension: str


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _document_matches(extension: str, data: bytes) -> bool:
    if extension in (".heic", ".heif"):
        return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS
    starts = DOCUMENTS[extension][1]
    if not starts:  # text: no NUL, and it reads as text in some charset we know
        return b"\x00" not in data
    return data.startswith(starts)


def kind_of(attachment: MailAttachment) -> Accepted | None:
    """How a file is kept: a picture (by its content) or a document (its name and content agree); None
    when it is neither."""
    image_format = image_format_of(ContentFile(attachment.data))
    if image_format in PHOTO_FORMATS:
        return Accepted(attachment, Image.MIME[image_format], PHOTO_FORMATS[image_format])
    extension = _extension(attachment.name)
    if extension in DOCUMENTS and _document_matches(extension, attachment.data):
        return Accepted(attachment, DOCUMENTS[extension][0], extension)
    return None


def mail_files_check(attachments: Sequence[MailAttachment]) -> tuple[list[Accepted], list[dict[str, Any]]]:
    """The files to keep, and those refused ({name, size, reason, limit}) in the message's order."""
    per_file, per_message = file_max_bytes(), message_max_bytes()
    accepted: list[Accepted] = []
    refused: list[dict[str, Any]] = []
    total = 0
    for attachment in attachments:
        refusal = {"name": attachment.name, "size": attachment.size}
        if attachment.size > per_file:
            refused.append({**refusal, "reason": "too_large", "limit": per_file})
            continue
        kept = kind_of(attachment)
        if kept is None:
            refused.append({**refusal, "reason": "type", "limit": 0})
        elif total + attachment.size > per_message:
            refused.append({**refusal, "reason": "message_too_large", "limit": per_message})
        else:
            total += attachment.size
            accepted.append(kept)
    return accepted, refused


def mail_files_save(
    *, item: FeedbackItem, attachments: Sequence[MailAttachment], stored: list[FieldFile]
) -> list[str]:
    """Store the message's files on the item and say on its timeline what was stored and what refused;
    the names stored. Each stored file is appended to `stored`, so that a caller whose transaction fails
    can delete them again."""
    if not attachments:
        return []
    accepted, refused = mail_files_check(attachments)
    names = []
    for kept in accepted:
        attachment = attachment_store(
            item=item,
            name=kept.attachment.name,
            content_type=kept.content_type,
            extension=kept.extension,
            content=ContentFile(kept.attachment.data),
            uploader=None,
        )
        stored.append(attachment.file)
        names.append(attachment.name)
    events.mail_attachments_received(item=item, names=names, refused=refused)
    return names


def stored_files_delete(stored: list[FieldFile]) -> None:
    """Delete files stored by a transaction that was rolled back (their rows are gone with it)."""
    for file in stored:
        if file.name:
            file.storage.delete(file.name)
    stored.clear()
