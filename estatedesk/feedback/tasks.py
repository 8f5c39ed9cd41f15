"""Background work of customer feedback: the SLA sweep, the complaint-mailbox poll, the retries of mail
work left undone and the pruning of raw mail copies (periodic)."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task

from estatedesk.common.health import MAILBOX, heartbeat_beat
from estatedesk.common.scheduling import Daily, periodic


@periodic(name="feedback.sla_sweep", every=timedelta(minutes=1))
@task(queue_name="periodic")
def sla_sweep() -> int:
    """Escalate breached SLA clocks once per level (R-FB-2, R-FB-4): the items due for a look, a batch at a
    time, until none is left or the run's budget is spent (escalation.sla_sweep); the escalations made."""
    from estatedesk.feedback.escalation import sla_sweep as sweep

    return sweep()


@periodic(name="feedback.poll_mailboxes", every=timedelta(minutes=2))
@task(queue_name="periodic")
def poll_mailboxes() -> dict[str, int]:
    """Fetch new mail from every active complaint mailbox (R-CH-2, R-CH-4); totals of what it made."""
    from estatedesk.feedback.intake.mailbox import mailbox_poll_all

    results = mailbox_poll_all()
    heartbeat_beat(MAILBOX)  # /health/ reports a poller that stopped (a mailbox's own error is on its row)
    totals = {"mailboxes": len(results), "failed": sum(1 for result in results if result.error)}
    for name in ("fetched", "created", "threaded", "ignored", "quarantined", "duplicates"):
        totals[name] = sum(getattr(result, name) for result in results)
    return totals


@periodic(name="feedback.mail_retry", every=timedelta(minutes=1))
@task(queue_name="periodic")
def mail_retry() -> dict[str, int]:
    """Work left on recorded mail whose retry is due (intake/followup.py): replies whose supervisors are not
    told yet, messages an unexpected error set aside."""
    from estatedesk.feedback.intake.mailbox import inbound_messages_retry

    result = inbound_messages_retry()
    return {"notified": result.notified, "processed": result.processed, "pending": result.pending}


@periodic(name="feedback.mail_raw_prune", at=Daily(time(4, 15)))
@task(queue_name="periodic")
def mail_raw_prune() -> int:
    """Drop raw copies of mail older than FEEDBACK_MAIL_RAW_RETENTION_DAYS (04:15 daily), except of messages
    still in the quarantine (intake/rawmail.py); the number pruned."""
    from estatedesk.feedback.intake.rawmail import raw_prune

    return raw_prune()
