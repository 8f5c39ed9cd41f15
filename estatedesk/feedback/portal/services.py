"""Writes of the owner-facing side of feedback (R-CH-2): an item raised through a QR code posted in a
building, or through the owner portal, with up to five photos.

Registration itself is `services.feedback_item_register` (permission, rules, SLA clocks, timeline,
notifications); this module adds the photos in the same transaction and limits anonymous submissions.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from estatedesk.feedback.intake import registration
from estatedesk.feedback.intake.registration import ItemInput
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.photos import photos_check, photos_save

# Anonymous submissions through QR codes, per client address: so many in a fixed window of seconds.
ANONYMOUS_LIMIT = getattr(settings, "FEEDBACK_QR_ANONYMOUS_LIMIT", 5)
ANONYMOUS_WINDOW_SECONDS = getattr(settings, "FEEDBACK_QR_ANONYMOUS_WINDOW_SECONDS", 600)


@transaction.atomic
def feedback_portal_submit(
    *, actor: Any, data: ItemInput, photos: list[UploadedFile], idempotency_key: str = ""
) -> FeedbackItem:
    """Register an item raised by a customer themselves (channel "qr" or "portal") with its photos.

    `actor` is None for someone who scanned a QR code without signing in (a phone number is then
    required by the registration rules); a signed-in owner registers for themselves. The form's one-time
    token makes a resubmitted form return the first item, its photos saved once."""
    checked = photos_check(photos=photos)
    first = registration.item_for_idempotency_key(actor=actor, key=idempotency_key)
    if first is not None:
        return first
    item = registration.feedback_item_register(
        actor=actor, data=replace(data, title=""), idempotency_key=idempotency_key
    )
    photos_save(item=item, photos=checked, uploader=actor if getattr(actor, "pk", None) else None)
    return item


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
