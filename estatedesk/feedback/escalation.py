"""The SLA sweep (R-FB-2, R-FB-4): escalates every breached clock once per level, CS supervisor, then
project manager, then branch manager. Runs every minute (tasks.sla_sweep); ADR 0010.

Each item carries `escalation_due_at`, the instant the sweep must next look at it: the earliest running
due time when a step sets its clocks (`clocks.first_escalation_check`), then the next level's time as the
sweep leaves it, NULL once every running clock is at its last level or none runs. So the sweep reads only
what is due, through a partial index, and an item escalated long ago never stands in front of a fresh
breach (the old sweep scanned overdue clocks by due time and could starve).

Per item, in the manner of Healthchecks' `sendalerts`: claim it with a conditional UPDATE that moves
`escalation_due_at` to a lease (a concurrent sweep's UPDATE then matches nothing and skips it; a sweep
that dies mid-way leaves the lease to expire), then in one transaction create the missing
`Escalation(item, clock, cycle, level)` rows (the unique constraint makes each happen once), notify the
level's role, write the timeline, and set the next check. An item that fails is logged, retried after
`RETRY_DELAY`, and never stops the sweep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.feedback import clocks, events, sla
from estatedesk.feedback.choices import SlaClock
from estatedesk.feedback.models import Escalation, FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.selectors import project_staff

logger = logging.getLogger(__name__)

ESCALATION_ROLES = {1: Role.CS_SUPERVISOR, 2: Role.PROJECT_MANAGER, 3: Role.BRANCH_MANAGER}
LAST_LEVEL = max(ESCALATION_ROLES)
LEASE = timedelta(minutes=10)  # a claimed item is left alone this long, should its sweep die mid-way
RETRY_DELAY = timedelta(minutes=5)  # an item that failed is looked at again after this
BATCH = 500
MAX_BATCHES = 20  # items per run at most BATCH × MAX_BATCHES: a backlog is caught up over a few runs
BUDGET_SECONDS = 45.0  # the sweep runs every minute: take no further item after this long


def _item_url(item: FeedbackItem) -> str:
    return reverse("feedback:item_detail", args=[item.reference])


@dataclass
class _Run:
    """One sweep: its instant, when it stops taking items, and what it read once for many items (each
    company's policies, each project's calendars, who holds each role at each project)."""

    now: datetime
    stop_at: float = float("inf")  # time.monotonic()
    policies: dict[int, list[sla.Policy]] = field(default_factory=dict)
    rules: dict[int, clocks.ClockRules] = field(default_factory=dict)
    staff: dict[tuple[int, str], list[Any]] = field(default_factory=dict)

    def rules_of(self, project: Project) -> clocks.ClockRules:
        if project.pk not in self.rules:
            company_id = project.branch.company_id
            if company_id not in self.policies:
                self.policies[company_id] = clocks.policies_for(project)
            self.rules[project.pk] = clocks.ClockRules(
                policies=self.policies[company_id], calendars=clocks.calendars_for(project)
            )
        return self.rules[project.pk]

    def staff_of(self, project: Project, level: int) -> list[Any]:
        key = (project.pk, ESCALATION_ROLES[level])
        if key not in self.staff:
            self.staff[key] = project_staff(project=project, roles={ESCALATION_ROLES[level]})
        return self.staff[key]


def sla_sweep(
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
    budget_seconds: float = BUDGET_SECONDS,
) -> int:
    """Escalate every breached clock once per level; the number of escalations made. Takes the items due
    for a look (`escalation_due_at` before `now`) a batch at a time until none is left, `max_batches`
    were taken or `budget_seconds` have passed (at least one item is taken). Safe with several sweeps at
    once."""
    run = _Run(now=now or timezone.now(), stop_at=time.monotonic() + budget_seconds)
    escalated = 0
    for _batch in range(max_batches):
        due = list(
            FeedbackItem.objects.filter(escalation_due_at__isnull=False, escalation_due_at__lt=run.now)
            .order_by("escalation_due_at")
            .values_list("pk", "escalation_due_at")[:batch]
        )
        if not due:
            break
        items = FeedbackItem.objects.select_related(
            "project__branch", "project__service_calendar", "project__hotline_calendar"
        ).in_bulk([pk for pk, _at in due])
        for pk, seen in due:
            if pk in items and seen is not None:
                escalated += _sweep_item(run, items[pk], seen)
            if time.monotonic() >= run.stop_at:
                return escalated  # the rest are still due: the next run takes them
    return escalated


def _sweep_item(run: _Run, item: FeedbackItem, seen: datetime) -> int:
    """Claim the item and escalate what is due on it; a failure is logged and retried later."""
    lease = run.now + LEASE
    if not FeedbackItem.objects.filter(pk=item.pk, escalation_due_at=seen).update(escalation_due_at=lease):
        return 0  # another sweep has it, or a step has just set its clocks again
    try:
        with transaction.atomic():
            return _escalate_item(run, item, lease)
    except Exception:  # noqa: BLE001 - whatever broke, the other items are escalated; this one is retried
        retry_at = run.now + RETRY_DELAY
        logger.exception("SLA sweep: item %s failed; it is tried again at %s", item.reference, retry_at)
        FeedbackItem.objects.filter(pk=item.pk, escalation_due_at=lease).update(escalation_due_at=retry_at)
        return 0


def _escalate_item(run: _Run, item: FeedbackItem, lease: datetime) -> int:
    current = FeedbackItem.objects.select_for_update().filter(pk=item.pk, escalation_due_at=lease).first()
    if current is None:
        return 0  # a step set the clocks while we waited for the row: its new check time stands
    current.project = item.project  # read with the batch, with its branch and calendars
    if not current.is_open:
        FeedbackItem.objects.filter(pk=current.pk).update(escalation_due_at=None)
        return 0
    reached = set(
        Escalation.objects.filter(item=current, cycle=current.escalation_cycle).values_list("clock", "level")
    )
    rules = run.rules_of(current.project)
    made, top, next_check = 0, current.escalation_level, None
    for clock, due_at in clocks.running_clocks(current).items():
        allowed = clocks.period_for(current, clock, rules)
        for level, at in sla.escalation_times(due_at=due_at, allowed=allowed, levels=LAST_LEVEL):
            if at >= run.now:  # not yet: the sweep looks again then
                next_check = at if next_check is None else min(next_check, at)
                break
            top = max(top, level)
            if (clock, level) not in reached:
                _escalate(run, current, clock=clock, level=level)
                made += 1
    FeedbackItem.objects.filter(pk=current.pk).update(escalation_due_at=next_check, escalation_level=top)
    return made


def _escalate(run: _Run, item: FeedbackItem, *, clock: str, level: int) -> None:
    """One level of one clock: the Escalation row, the role's notifications and the timeline. The item's
    row is claimed and locked, so no other sweep is escalating it; should one have made the row all the
    same, the unique constraint refuses this one and the whole item is rolled back and looked at again
    (no savepoint per row: it cost a fifth of the sweep's queries on PostgreSQL)."""
    users = run.staff_of(item.project, level)
    notified = [user.pk for user in users]
    Escalation.objects.create(
        item=item, clock=clock, cycle=item.escalation_cycle, level=level, at=run.now, notified=notified
    )
    title = _("Overdue (%(clock)s): %(reference)s %(title)s") % {
        "clock": SlaClock(clock).label,
        "reference": item.reference,
        "title": item.title,
    }
    notify(users=users, title=title, body=item.description[:500], url=_item_url(item))
    events.escalated(
        item=item, clock=clock, level=level, notified=notified, at=run.now, cycle=item.escalation_cycle
    )
