"""The email outbox (issue 16, item 6): every email is sent at least once, and marked sent only after the
mail server accepted it, or it is listed as failed for staff to resend.

    queued --claim--> sending --the server accepted it--> sent
                         |--error--> failed: retried after 1, 2, 4, 8, 16 minutes, MAX_ATTEMPTS in all,
                         |           then failed for good (listed at /notifications/outbox/failed/)
                         '--its worker died (claimed_at older than SENDING_TIMEOUT)--> queued again

- `outbound_email_send` claims a queued row (a conditional UPDATE: a duplicated task sends nothing),
  hands it to the mail backend with the row's own Message-ID, then marks it sent, or failed.
- `outbox_sweep` (notifications.outbox_sweep, every minute) puts back emails left `sending` by a dead
  worker, and enqueues a send for every queued or failed email whose `next_attempt_at` is due, so a
  queued email whose task was lost is sent too. A message the server accepted just before its worker died
  is sent a second time with the same Message-ID (at least once, never silently lost).

Writes that enqueue the send task take the enqueue function as an argument: tasks.py imports this module,
so this module does not import tasks.py (services.py wires the two).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from estatedesk.common.text import multi_line, one_line
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
SENDING_TIMEOUT = timedelta(minutes=10)  # SMTP gives up after 30 s (settings): a longer send has no worker
REQUEUE_AFTER = timedelta(minutes=10)  # a queued email not sent by then gets another task (the lost-task net)
SWEEP_BATCH = 200
WORKER_DIED = "the worker stopped during the send; sending again"
WORKER_DIED_LAST = "the worker stopped during the last attempt"
NOT_AN_ADDRESS = "not one valid email address: not sent"

Enqueue = Callable[[int], Any]  # enqueue the send task for an outbox email id


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, 8, 16 minutes (at most an hour)."""
    return min(MAX_RETRY_DELAY, FIRST_RETRY_DELAY * 2 ** max(0, min(attempts - 1, 20)))


def outbound_email_queue(*, to: str, subject: str, body: str, enqueue: Enqueue) -> OutboundEmail:
    """Queue an email: the row (queued, with its own Message-ID) and its send task (`enqueue`), in the
    caller's transaction. Should the task be lost, the outbox sweep enqueues another after REQUEUE_AFTER.
    The address and the subject become one line, the body loses its control characters (`common.text`); an
    address that is not one valid address is never sent to: its row is failed at once, for staff to see.
    (services.email_send is this with the send task; the daily digest passes the task itself.)"""
    address = one_line(to)
    values = {"to": address[:254], "subject": one_line(subject)[:200], "body": multi_line(body)}
    try:
        validate_email(address)
    except ValidationError:
        logger.warning("outbox: not sending to %r, not one valid email address", address[:254])
        return OutboundEmail.objects.create(
            **values, status=OutboxStatus.FAILED, last_error=NOT_AN_ADDRESS, next_attempt_at=None
        )
    message = OutboundEmail.objects.create(**values, next_attempt_at=timezone.now() + REQUEUE_AFTER)
    enqueue(message.pk)
    return message


def _deliver(message: OutboundEmail) -> None:
    """Hand the message to the mail backend; returns only when the server accepted it."""
    headers = {
        "Message-ID": message.message_id,
        # marked as automatic, so that mail systems (and our own complaint mailbox) do not answer it
        "Auto-Submitted": "auto-generated",
    }
    EmailMessage(message.subject, message.body, to=[message.to], headers=headers).send()


def outbound_email_send(*, outbound_email_id: int, claimant: str = "") -> bool:
    """Send one queued outbox email; True when the mail server accepted it. A row not queued (already sent,
    being sent by another worker, failed and not yet due) is left alone: a duplicated task sends nothing.
    `claimant` (the task's id): a row this same task claimed before its worker lost the database is taken
    over again at once (at least once, under the same Message-ID)."""
    mine = Q(status=OutboxStatus.SENDING, claimed_by=claimant) if claimant else Q(pk__in=[])
    claimed = (
        OutboundEmail.objects.filter(pk=outbound_email_id)
        .filter(Q(status=OutboxStatus.QUEUED) | mine)
        .update(
            status=OutboxStatus.SENDING,
            claimed_at=timezone.now(),
            claimed_by=claimant,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    message = OutboundEmail.objects.get(pk=outbound_email_id)
    try:
        _deliver(message)
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded on the row and retried
        outbound_email_fail(message=message, error=error)
        return False
    OutboundEmail.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), next_attempt_at=None
    )
    return True


def outbound_email_fail(*, message: OutboundEmail, error: BaseException, now: datetime | None = None) -> None:
    """Record a failed attempt: failed, with the error; retried later unless it was the last attempt."""
    now = now or timezone.now()
    retry = message.attempts < MAX_ATTEMPTS
    OutboundEmail.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.FAILED,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        next_attempt_at=now + retry_delay(message.attempts) if retry else None,
    )
    logger.warning(
        "outbox email %s: the mail server refused it (attempt %d of %d%s): %s",
        message.pk,
        message.attempts,
        MAX_ATTEMPTS,
        "" if retry else ", not retried",
        error,
    )


def outbound_email_reclaim_stuck(*, now: datetime | None = None) -> int:
    """Emails left `sending` for longer than SENDING_TIMEOUT (their worker died mid-send): queued again and
    due now, or failed for good when that was the last attempt. The number reclaimed."""
    now = now or timezone.now()
    stuck = OutboundEmail.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - SENDING_TIMEOUT)
    given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=OutboxStatus.FAILED, last_error=WORKER_DIED_LAST, next_attempt_at=None
    )
    again = stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=OutboxStatus.QUEUED, last_error=WORKER_DIED, next_attempt_at=now
    )
    if given_up or again:
        logger.warning(
            "outbox: %d emails were left sending by a dead worker; %d queued again", given_up + again, again
        )
    return given_up + again


def outbound_email_enqueue_due(*, enqueue: Enqueue, now: datetime | None = None) -> int:
    """Enqueue a send for every queued or failed email whose next attempt is due (a batch at a time). Each
    is taken with a conditional UPDATE in the transaction that enqueues its task, so two sweeps at once
    enqueue it once, and a crash leaves it due. The number enqueued."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        status__in=(OutboxStatus.QUEUED, OutboxStatus.FAILED), next_attempt_at__lte=now
    )
    enqueued = 0
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            taken = due.filter(pk=pk).update(status=OutboxStatus.QUEUED, next_attempt_at=now + REQUEUE_AFTER)
            if taken:
                enqueue(pk)
                enqueued += 1
    return enqueued


def outbox_sweep(*, enqueue: Enqueue, now: datetime | None = None) -> dict[str, int]:
    """The minute's sweep: reclaim what dead workers left, then enqueue what is due."""
    now = now or timezone.now()
    return {
        "reclaimed": outbound_email_reclaim_stuck(now=now),
        "enqueued": outbound_email_enqueue_due(enqueue=enqueue, now=now),
    }
