"""The SLA sweep (R-FB-2, R-FB-4): escalates every breached clock once per level, CS supervisor, then
project manager, then branch manager."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.feedback import events
from estatedesk.feedback.choices import SlaClock, Status
from estatedesk.feedback.models import Escalation, FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.selectors import project_staff

ESCALATION_ROLES = {1: Role.CS_SUPERVISOR, 2: Role.PROJECT_MANAGER, 3: Role.BRANCH_MANAGER}


def _item_url(item: FeedbackItem) -> str:
    return reverse("feedback:item_detail", args=[item.reference])


CLOCK_FIELDS = {
    SlaClock.CONTACT: ("contact_due_at", "contacted_at"),
    SlaClock.ACTION: ("action_due_at", "acted_at"),
    SlaClock.RESOLUTION: ("resolution_due_at", "customer_informed_at"),
}


def escalation_level(*, due_at: datetime, now: datetime, allowed_minutes: float) -> int:
    """1 when the clock is breached, 2 after a further allowed period, 3 after two (capped)."""
    if now <= due_at:
        return 0
    overdue_minutes = (now - due_at).total_seconds() / 60
    return min(3, 1 + int(overdue_minutes // max(allowed_minutes, 1)))


def sla_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Escalate every breached clock once per level: CS supervisor, then project manager, then branch
    manager. Safe with several workers: the Escalation row's unique constraint decides who notifies."""
    now = now or timezone.now()
    escalated = 0
    for clock, (due_field, done_field) in CLOCK_FIELDS.items():
        overdue = (
            FeedbackItem.objects.filter(**{f"{due_field}__lt": now, f"{done_field}__isnull": True})
            .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
            # items already at the last level are done with: they must not fill every batch for ever
            .exclude(
                Exists(
                    Escalation.objects.filter(item=OuterRef("pk"), clock=clock, level=max(ESCALATION_ROLES))
                )
            )
            .select_related("project__branch")
            .order_by(due_field)[:batch]
        )
        for item in overdue:
            due_at = getattr(item, due_field)
            allowed = max((due_at - item.registered_at).total_seconds() / 60, 1)
            level = escalation_level(due_at=due_at, now=now, allowed_minutes=allowed)
            for each in range(1, level + 1):
                if _escalate(item=item, clock=clock, level=each, now=now):
                    escalated += 1
    return escalated


def _escalate(*, item: FeedbackItem, clock: str, level: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(item=item, clock=clock, level=level, at=now)
            users = project_staff(project=item.project, roles={ESCALATION_ROLES[level]})
            escalation.notified = [u.pk for u in users]
            escalation.save(update_fields=["notified"])
            FeedbackItem.objects.filter(pk=item.pk, escalation_level__lt=level).update(escalation_level=level)
            title = _("Overdue (%(clock)s): %(reference)s %(title)s") % {
                "clock": SlaClock(clock).label,
                "reference": item.reference,
                "title": item.title,
            }
            notify(users=users, title=title, body=item.description[:500], url=_item_url(item))
            events.escalated(item=item, clock=clock, level=level, notified=escalation.notified, at=now)
    except IntegrityError:
        return False  # already escalated at this level (by this worker earlier, or another one now)
    return True
