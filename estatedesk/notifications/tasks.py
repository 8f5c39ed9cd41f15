from __future__ import annotations

from django.core.mail import EmailMessage
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from estatedesk.notifications.models import OutboundEmail


@task()
def send_email(*, outbound_email_id: int) -> bool:
    """Send one outbox email. The row is claimed with a conditional UPDATE first, so a retried or
    duplicated task sends nothing more (at most once; a failed send is recorded, not retried blindly)."""
    claimed = OutboundEmail.objects.filter(pk=outbound_email_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboundEmail.objects.get(pk=outbound_email_id)
    try:
        # marked as automatic, so that mail systems (and our own complaint mailbox) do not answer it
        EmailMessage(
            message.subject, message.body, to=[message.to], headers={"Auto-Submitted": "auto-generated"}
        ).send()
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded on the row
        OutboundEmail.objects.filter(pk=message.pk).update(sent_at=None, last_error=str(error)[:1000])
        raise
    return True
