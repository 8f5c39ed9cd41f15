"""The daily digest email (issue 11): at 08:00 each user who chose it in their profile (`User.daily_digest`)
gets one email listing the items they have unread notifications about from the last day, one line each
with the latest notification, how many are new and a link. Nothing is sent to a user with nothing unread.

Once a day however often it runs: the scheduler enqueues the job once per day (common/scheduling.py), and a
`DailyDigest` row per user and local day, written in the transaction that queues the email in the outbox
(never sent directly), makes a second run for that day send nothing more. The window is the 24 hours
before the run; a notification read before 08:00 is not in it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from estatedesk.notifications.models import DailyDigest, Notification
from estatedesk.notifications.outbox import Enqueue, outbound_email_queue
from estatedesk.notifications.selectors import NotificationGroup, unread_groups_between

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=1)
ITEMS_LISTED = 50  # more are counted, not listed: the notifications page has them all


def _link(path: str) -> str:
    """An address people can open from their mail: ESTATEDESK_PUBLIC_URL before a path, when set."""
    if not path.startswith("/"):
        return ""
    base = (getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def digest_text(*, groups: list[NotificationGroup], total: int) -> tuple[str, str]:
    """The subject and body of one user's digest (in the active language)."""
    subject = ngettext(
        "EstateDesk daily digest: %(count)d item with unread notifications",
        "EstateDesk daily digest: %(count)d items with unread notifications",
        total,
    ) % {"count": total}
    lines = [_("Unread notifications of the last day, one line per item, the latest first:"), ""]
    for group in groups:
        new = ngettext("%(count)d new", "%(count)d new", group.unread) % {"count": group.unread}
        lines.append(f"- {group.latest.title} ({new})")
        link = _link(group.latest.url)
        if link:
            lines.append(f"  {link}")
    if total > len(groups):
        lines += ["", _("…and %(count)d more.") % {"count": total - len(groups)}]
    lines += [
        "",
        _("All notifications: %(link)s") % {"link": _link(reverse("notifications:list"))},
        _("To stop this email, untick “Daily digest email at 08:00” in your profile."),
    ]
    return subject, "\n".join(lines)


def _digest_for(*, user: Any, day: Any, since: datetime, until: datetime, enqueue: Enqueue) -> bool:
    """One user's digest for `day`: True when it was queued by this call."""
    groups = unread_groups_between(user=user, since=since, until=until, limit=ITEMS_LISTED + 1)
    if not groups:
        return False
    total = len(groups)
    if total > ITEMS_LISTED:
        total = (
            Notification.objects.filter(
                user=user, read_at__isnull=True, created_at__gte=since, created_at__lt=until
            )
            .values("group_key")
            .distinct()
            .count()
        )
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            DailyDigest.objects.create(user=user, day=day, items=total)
            with translation.override(language):
                subject, body = digest_text(groups=groups[:ITEMS_LISTED], total=total)
            outbound_email_queue(to=user.email, subject=subject, body=body, enqueue=enqueue)
    except IntegrityError:  # this day's digest was already sent to them (a second run)
        return False
    return True


def daily_digest_send(*, enqueue: Enqueue, now: datetime | None = None) -> int:
    """Queue today's digest for every active user who chose it, has an email address and has unread
    notifications from the last day, in the outbox (`enqueue` enqueues the send task of an outbox email:
    tasks.py passes it, as this module may not import the tasks). The number of digests queued by this
    run."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    since = now - WINDOW
    recipients = (
        Notification.objects.filter(
            read_at__isnull=True,
            created_at__gte=since,
            created_at__lt=now,
            user__daily_digest=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user_id", flat=True)
        .distinct()
    )
    user_ids = sorted(set(recipients))
    already = set(DailyDigest.objects.filter(day=day, user_id__in=user_ids).values_list("user_id", flat=True))
    sent = 0
    for user in get_user_model().objects.filter(pk__in=[pk for pk in user_ids if pk not in already]):
        if _digest_for(user=user, day=day, since=since, until=now, enqueue=enqueue):
            sent += 1
    if sent:
        logger.info("daily digest: %d emails queued for %s", sent, day)
    return sent
