from __future__ import annotations

from django.core.mail import send_mail
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
        send_mail(message.subject, message.body, None, [message.to])
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded on the row
        OutboundEmail.objects.filter(pk=message.pk).update(sent_at=None, last_error=str(error)[:1000])
        raise
    return True
