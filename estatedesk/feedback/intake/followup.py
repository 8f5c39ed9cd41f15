"""Work left on a recorded message (R-CH-4: nothing dropped), retried and reported rather than lost:

- telling the item's supervisor and the project's CS supervisors of an emailed reply. The notification is
  a task (`notify_reply_watchers`) queued in the transaction that threads the reply: the database task
  queue commits the task row with the reply, so a reply is never on the timeline without its task, and a
  failing notification can no longer undo the reply. The row's `retry_at` is a safety net for a lost task
  (REQUEUE_AFTER); a failure is logged, kept on the row (`error`, `attempts`) and tried again after 1, 2, 4,
  8 and 16 minutes, MAX_ATTEMPTS in all; `notified_at` says when it worked.
- a message set aside by an unexpected error is tried again on the same schedule (intake/mailbox.py).

The retries are run by the periodic job `feedback.mail_retry` (`mailbox.inbound_messages_retry`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.feedback.choices import EventKind
from estatedesk.feedback.models import InboundMessage
from estatedesk.notifications.outbox import REQUEUE_AFTER, retry_delay
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.selectors import project_staff

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def attempt_failed(*, inbound: InboundMessage, error: BaseException, what: str, now: datetime) -> None:
    """Record a failed attempt on the (unsaved) row: the error, and when to try again unless that was the
    last attempt."""
    inbound.attempts += 1
    inbound.error = f"{what}{type(error).__name__}: {error}"[:2000]
    retry = inbound.attempts < MAX_ATTEMPTS
    inbound.retry_at = now + retry_delay(inbound.attempts) if retry else None
    logger.warning(
        "inbound message %s: %sattempt %d of %d failed%s",
        inbound.pk,
        what,
        inbound.attempts,
        MAX_ATTEMPTS,
        "" if retry else ", not retried",
        exc_info=error,
    )


def reply_notification_queue(*, inbound: InboundMessage, now: datetime) -> None:
    """Queue telling the watchers of a threaded reply, in the caller's transaction."""
    inbound.retry_at = now + REQUEUE_AFTER
    notify_reply_watchers.enqueue(inbound_message_id=inbound.pk)


@task()
def notify_reply_watchers(*, inbound_message_id: int) -> bool:
    """Tell the watchers of a threaded reply, once; True when they were told by this run."""
    return inbound_message_notify(inbound_message_id=inbound_message_id)


def _tell_watchers(inbound: InboundMessage) -> None:
    item = inbound.item
    if item is None:  # pragma: no cover - the query below only takes threaded rows with an item
        return
    event = (
        item.events.filter(kind=EventKind.EMAIL_REPLY, data__message_id=inbound.message_id)
        .order_by("-pk")
        .first()
    )
    watchers = [item.supervisor, *project_staff(project=item.project, roles={Role.CS_SUPERVISOR})]
    notify(
        users=watchers,
        title=_("Email reply on %(reference)s: %(title)s")
        % {"reference": item.reference, "title": item.title},
        body=(event.message if event is not None else "")[:500],
        url=reverse("feedback:item_detail", args=[item.reference]),
    )


def inbound_message_notify(*, inbound_message_id: int, now: datetime | None = None) -> bool:
    """Tell the item's supervisor and the project's CS supervisors of a threaded reply, if nobody has been
    told yet; a failure is recorded on the row and retried. True when they were told by this call."""
    now = now or timezone.now()
    with transaction.atomic():
        inbound = (
            InboundMessage.objects.select_for_update(of=("self",))
            .select_related("item__project", "item__supervisor")
            .filter(
                pk=inbound_message_id,
                outcome=InboundMessage.Outcome.THREADED,
                notified_at__isnull=True,
                item__isnull=False,
            )
            .first()
        )
        if inbound is None:
            return False  # told already (a duplicated task), or nothing to tell
        try:
            with transaction.atomic():
                _tell_watchers(inbound)
        except Exception as error:  # noqa: BLE001 - recorded on the row and retried, never dropped
            attempt_failed(inbound=inbound, error=error, what="notification: ", now=now)
            inbound.save(update_fields=["attempts", "error", "retry_at"])
            return False
        inbound.notified_at, inbound.retry_at = now, None
        inbound.save(update_fields=["notified_at", "retry_at"])
    return True
