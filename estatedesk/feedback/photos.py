"""Photos of a feedback item (before and after a repair, a patrol finding, what an owner sends): at most five
of at most 10 MB, each one an image Pillow can read; stored through Django's storage API under random names,
downloadable only by those who may see the item.

Each photo also gets a thumbnail (at most 320 px a side, JPEG, turned upright from its EXIF orientation) for
the item page's grid, stored beside it through the storage API (`<name>.thumb.jpg`); a picture that came
without one (an emailed picture, a photo from before thumbnails) gets it the first time it is asked for.
Phones downscale a photo before sending it (static/feedback/photo-resize.js); the cap here stays."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from estatedesk.common.errors import DomainError
from estatedesk.feedback import events
from estatedesk.feedback.models import Attachment, FeedbackItem
from estatedesk.org.permissions import require

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
PICTURE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})  # served inline
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_QUALITY = 80


@dataclass(frozen=True)
class Photo:
    upload: UploadedFile
    content_type: str
    extension: str


def photos_check(*, photos: list[UploadedFile]) -> list[Photo]:
    """At most five photos of at most 10 MB each, each one an image Pillow can read (JPEG, PNG, WebP or
    GIF; the file's content decides, not its name). Raises DomainError on the `photos` field."""
    problems: list[Any] = []
    if len(photos) > MAX_PHOTOS:
        problems.append(_("Send at most %(count)s photos.") % {"count": MAX_PHOTOS})
    checked = []
    for upload in photos[:MAX_PHOTOS]:
        name = upload.name or ""
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            problems.append(
                _("%(name)s is larger than %(size)s MB.")
                % {"name": name, "size": MAX_PHOTO_BYTES // (1024 * 1024)}
            )
            continue
        image_format = image_format_of(upload)
        if image_format not in PHOTO_FORMATS:
            problems.append(_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name})
            continue
        checked.append(
            Photo(upload=upload, content_type=Image.MIME[image_format], extension=PHOTO_FORMATS[image_format])
        )
    if problems:
        raise DomainError(
            "feedback.invalid_photos", _("Some photos cannot be used."), fields={"photos": problems}
        )
    return checked


def image_format_of(upload: File) -> str | None:
    """The Pillow format of an image file (JPEG, PNG, …), or None when it is not an image Pillow can read
    safely: the content decides, never the name."""
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        return None  # not an image, a broken one, or one made to exhaust memory
    finally:
        upload.seek(0)
    return image_format


def attachment_store(
    *, item: FeedbackItem, name: str, content_type: str, extension: str, content: File, uploader: Any
) -> Attachment:
    """Store a file on the item through the storage API: under a random name with `extension` (the
    customer's file name is kept in `name`, never in a guessable path)."""
    attachment = Attachment(
        item=item, name=name[:200], content_type=content_type, size=content.size or 0, uploaded_by=uploader
    )
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", content, save=False)
    attachment.save()
    return attachment


def photos_save(*, item: FeedbackItem, photos: list[Photo], uploader: Any) -> list[str]:
    names = []
    for photo in photos:
        attachment = attachment_store(
            item=item,
            name=photo.upload.name or "photo",
            content_type=photo.content_type,
            extension=photo.extension,
            content=photo.upload,
            uploader=uploader,
        )
        thumbnail_ensure(attachment=attachment)
        names.append(attachment.name)
    return names


@transaction.atomic
def feedback_photos_add(*, actor: Any, item: FeedbackItem, photos: list[UploadedFile]) -> int:
    """Staff add photos to an item (before and after a repair, a patrol finding); audited on the timeline."""
    require(actor, "feedback.comment", project=item.project)
    names = photos_save(item=item, photos=photos_check(photos=photos), uploader=actor)
    if names:
        events.attachments_added(item=item, actor=actor, names=names)
    return len(names)


# --- thumbnails -------------------------------------------------------------------------------------------


def thumbnail_name(attachment: Attachment) -> str:
    stem = (attachment.file.name or "").rsplit(".", 1)[0]
    return f"{stem}.thumb.jpg"


def thumbnail_ensure(*, attachment: Attachment) -> str | None:
    """The storage name of the attachment's thumbnail, made now if it is missing; None when the file is not
    a picture Pillow can read safely (or is gone from storage)."""
    if attachment.content_type not in PICTURE_TYPES or not attachment.file.name:
        return None
    storage = attachment.file.storage
    name = thumbnail_name(attachment)
    if storage.exists(name):
        return name
    try:
        with attachment.file.open("rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle) as image:
                image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a fraction of the size
                picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        return None
    return storage.save(name, ContentFile(buffer.getvalue()))
