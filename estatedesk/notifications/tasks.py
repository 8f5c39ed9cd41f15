"""Background work of the outbox (notifications/outbox.py): send one email, enqueued with it; and the
sweep every minute that puts back emails of dead workers and enqueues retries and lost sends; and the
daily digest email at 08:00 (notifications/digest.py)."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import TaskContext, task

from estatedesk.common.scheduling import Daily, periodic
from estatedesk.notifications import digest, outbox


@task(takes_context=True)
def send_email(context: TaskContext | None = None, *, outbound_email_id: int) -> bool:
    """Send one outbox email if it is still queued; True when the mail server accepted it. Another task
    for the same email sends nothing (the row is claimed with a conditional UPDATE); this same task run
    again after its worker lost the database takes its own claim over. (`send_email.call(...)` passes no
    context: no claim to take over.)"""
    claimant = str(context.task_result.id) if context is not None else ""
    return outbox.outbound_email_send(outbound_email_id=outbound_email_id, claimant=claimant)


def _enqueue(outbound_email_id: int) -> None:
    send_email.enqueue(outbound_email_id=outbound_email_id)


@periodic(name="notifications.outbox_sweep", every=timedelta(minutes=1))
@task(queue_name="periodic")
def outbox_sweep() -> dict[str, int]:
    """Emails left sending by a dead worker go back to the queue; due retries and lost sends are enqueued."""
    return outbox.outbox_sweep(enqueue=_enqueue)


@periodic(name="notifications.daily_digest", at=Daily(time(8, 0)))
@task(queue_name="periodic")
def daily_digest() -> int:
    """08:00: the daily digest email for those who chose it (notifications/digest.py); once a day."""
    return digest.daily_digest_send(enqueue=_enqueue)
