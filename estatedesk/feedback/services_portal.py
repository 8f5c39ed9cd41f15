"""Writes of the owner-facing side of feedback (R-CH-2): an item raised through a QR code posted in a
building, or through the owner portal, with up to five photos.

Registration itself is `services.feedback_item_register` (permission, rules, SLA clocks, timeline,
notifications); this module adds the photos in the same transaction and limits anonymous submissions.
"""

from __future__ import annotations

import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from estatedesk.common.errors import DomainError
from estatedesk.feedback import services
from estatedesk.feedback.models import Attachment, FeedbackItem
from estatedesk.org.models import Building, Project, Unit
from estatedesk.owners.models import Resident

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}

# Anonymous submissions through QR codes, per client address: so many in a fixed window of seconds.
ANONYMOUS_LIMIT = getattr(settings, "FEEDBACK_QR_ANONYMOUS_LIMIT", 5)
ANONYMOUS_WINDOW_SECONDS = getattr(settings, "FEEDBACK_QR_ANONYMOUS_WINDOW_SECONDS", 600)


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
        image_format = _image_format(upload)
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


def _image_format(upload: UploadedFile) -> str | None:
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


@transaction.atomic
def feedback_portal_submit(
    *,
    actor: Any,
    project: Project,
    channel: str,
    kind: str,
    category: str,
    description: str,
    photos: list[UploadedFile],
    building: Building | None = None,
    unit: Unit | None = None,
    resident: Resident | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> FeedbackItem:
    """Register an item raised by a customer themselves (channel "qr" or "portal") with its photos.

    `actor` is None for someone who scanned a QR code without signing in (a phone number is then
    required by the registration rules); a signed-in owner registers for themselves."""
    checked = photos_check(photos=photos)
    item = services.feedback_item_register(
        actor=actor,
        project=project,
        channel=channel,
        kind=kind,
        category=category,
        title="",
        description=description,
        building=building,
        unit=unit,
        resident=resident,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    _save_photos(item=item, photos=checked, uploader=actor if getattr(actor, "pk", None) else None)
    return item


def _save_photos(*, item: FeedbackItem, photos: list[Photo], uploader: Any) -> list[str]:
    names = []
    for photo in photos:
        attachment = Attachment(
            item=item,
            name=(photo.upload.name or "photo")[:200],
            content_type=photo.content_type,
            size=photo.upload.size or 0,
            uploaded_by=uploader,
        )
        # a random stored name: the customer's file name is kept in `name`, never in a guessable path
        attachment.file.save(f"{uuid.uuid4().hex}{photo.extension}", photo.upload, save=False)
        attachment.save()
        names.append(attachment.name)
    return names


def anonymous_submission_allowed(*, client_address: str, now: float | None = None) -> bool:
    """Count one anonymous submission from this address; False once the window's allowance is used up.

    A fixed window counted with an atomic increment in the shared cache (Redis when REDIS_URL is set, so
    every process counts together; per process otherwise)."""
    window = int((now if now is not None else time.time()) // ANONYMOUS_WINDOW_SECONDS)
    key = f"feedback:qr-submissions:{client_address or 'unknown'}:{window}"
    cache.add(key, 0, timeout=ANONYMOUS_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=ANONYMOUS_WINDOW_SECONDS)
        count = 1
    return count <= ANONYMOUS_LIMIT


@transaction.atomic
def feedback_photos_add(*, actor: Any, item: FeedbackItem, photos: list[UploadedFile]) -> int:
    """Staff add photos to an item (before and after a repair, a patrol finding); audited on the timeline."""
    from estatedesk.feedback.choices import EventKind
    from estatedesk.feedback.models import TimelineEvent
    from estatedesk.org.permissions import require

    require(actor, "feedback.comment", project=item.project)
    names = _save_photos(item=item, photos=photos_check(photos=photos), uploader=actor)
    if names:
        TimelineEvent.objects.create(
            item=item, at=timezone.now(), actor=actor, kind=EventKind.ATTACHMENT, data={"files": names}
        )
    return len(names)
