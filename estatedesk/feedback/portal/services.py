"""Writes of the owner-facing side of feedback (R-CH-2): an item raised through a QR code posted in a
building, or through the owner portal, with up to five photos; and what the owner does to their own item
(issue 11): chase it (催办, at most once per FEEDBACK_CHASE_INTERVAL_HOURS per item) and withdraw it while it
is not handled yet. Adding information or photos is `feedback.additions.feedback_item_add_information`,
rating `services.feedback_item_rate`.

Registration itself is `services.feedback_item_register` (permission, rules, SLA clocks, timeline,
notifications); this module adds the photos in the same transaction and limits anonymous submissions.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from estatedesk.common.errors import DomainError
from estatedesk.feedback import events, notices
from estatedesk.feedback.choices import EventKind, Status
from estatedesk.feedback.intake import registration
from estatedesk.feedback.intake.registration import ItemInput
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.photos import photos_check, photos_save
from estatedesk.feedback.services import step_time_writes
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.selectors import project_staff

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


# --- what the owner does to their own item (issue 11) -------------------------------------------------------

# Statuses in which the item is still being worked on, not handled yet: the owner may chase or withdraw it.
NOT_YET_HANDLED = frozenset(
    {
        Status.REGISTERED,
        Status.SUPERVISOR_CONTACTED,
        Status.OPINION_RECORDED,
        Status.ARRANGED,
        Status.IN_PROGRESS,
    }
)
CHASE_INTERVAL_HOURS_DEFAULT = 4
MAX_REASON_CHARS = 500


def chase_interval() -> timedelta:
    """How long after a chase the owner may chase the same item again (setting, default 4 hours)."""
    hours = float(getattr(settings, "FEEDBACK_CHASE_INTERVAL_HOURS", CHASE_INTERVAL_HOURS_DEFAULT))
    return timedelta(hours=max(hours, 0))


def _locked_own_item(*, actor: Any, item: FeedbackItem) -> FeedbackItem:
    """The item, locked, when `actor` is its customer; PermissionDenied otherwise (views look it up in the
    owner's scope first, so anyone else has had a 404 already)."""
    locked = (
        FeedbackItem.objects.select_for_update(of=("self",))
        .select_related("project", "resident")
        .get(pk=item.pk)
    )
    if locked.resident is None or locked.resident.user_id is None or locked.resident.user_id != actor.pk:
        raise PermissionDenied("only the customer")
    return locked


def next_chase_at(*, item: FeedbackItem, now: datetime | None = None) -> datetime | None:
    """When the owner may chase the item again; None when they may now."""
    now = now or timezone.now()
    last = (
        TimelineEvent.objects.filter(item_id=item.pk, kind=EventKind.CHASED)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    if last is None or last + chase_interval() <= now:
        return None
    return last + chase_interval()


def _chase_supervisors(item: FeedbackItem) -> list[Any]:
    """Who hears of a chase: the item's supervisor and the project's CS supervisors."""
    users = project_staff(project=item.project, roles={Role.CS_SUPERVISOR})
    if item.supervisor_id:
        users = [item.supervisor, *users]
    return list({user.pk: user for user in users}.values())


@transaction.atomic
def feedback_item_chase(*, actor: Any, item: FeedbackItem) -> TimelineEvent:
    """The owner chases their item (催办) while it is not handled yet: a CHASED event on the timeline and a
    notice to the supervisors; at most once per `chase_interval()` per item, counted from the CHASED events
    under the item's row lock, so two clicks at once make one chase."""
    locked = _locked_own_item(actor=actor, item=item)
    if locked.status not in NOT_YET_HANDLED:
        raise DomainError(
            "feedback.not_chaseable",
            _("Only a request that is still being handled can be chased."),
            status=409,
        )
    now = timezone.now()
    again_at = next_chase_at(item=locked, now=now)
    if again_at is not None:
        minutes = max(1, math.ceil((again_at - now).total_seconds() / 60))
        raise DomainError(
            "feedback.chased_recently",
            ngettext(
                "You chased this request a short while ago; the supervisor has been told. You can chase it "
                "again in %(minutes)s minute.",
                "You chased this request a short while ago; the supervisor has been told. You can chase it "
                "again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
            status=429,
        )
    supervisors = _chase_supervisors(locked)
    event = events.chased(item=locked, actor=actor, notified=[user.pk for user in supervisors])
    notify(
        users=supervisors,
        title=_("%(reference)s: chased by the customer") % {"reference": locked.reference},
        body=locked.description[:500],
        url=notices.item_url(locked),
    )
    return event


@transaction.atomic
def feedback_item_withdraw(*, actor: Any, item: FeedbackItem, reason: str = "") -> FeedbackItem:
    """The owner withdraws their item before it is handled: it is cancelled, its clocks stop as the
    `cancel` step stops them (`services.step_time_writes`), a WITHDRAWN event says so ("withdrawn by the
    customer") and the supervisors are told."""
    locked = _locked_own_item(actor=actor, item=item)
    if locked.status not in NOT_YET_HANDLED:
        raise DomainError(
            "feedback.not_withdrawable",
            _("This request has already been handled and can no longer be withdrawn."),
            status=409,
        )
    reason = reason.strip()[:MAX_REASON_CHARS]
    now = timezone.now()
    updates = step_time_writes(step="cancel", item=locked, now=now)
    FeedbackItem.objects.filter(pk=locked.pk).update(
        **updates, status=Status.CANCELLED, version=locked.version + 1, updated_at=now
    )
    from_status = locked.status
    locked.refresh_from_db()
    events.withdrawn(item=locked, actor=actor, from_status=from_status, reason=reason)
    notify(
        users=_chase_supervisors(locked),
        title=_("%(reference)s: withdrawn by the customer") % {"reference": locked.reference},
        body=reason,
        url=notices.item_url(locked),
    )
    return locked
