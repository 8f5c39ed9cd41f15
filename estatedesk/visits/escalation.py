"""Late return visits escalate (R-FB-6: "escalated when late through the same engine as feedback clocks"):
level 1 at the visit's due time to the visitor's supervisors (the project's CS supervisors; QA managers
for a paid-service visit), level 2 VisitRules.escalation_hours of working time later, on the project's
calendar, to the project manager. Runs every minute (tasks.visit_sweep).

The engine is feedback's (feedback/escalation.py, ADR 0010), mirrored here because its sweep is written
for FeedbackItem and feedback may not know visits: the level arithmetic is shared
(feedback.sla.escalation_times, feedback.sla.Period, on feedback.clocks' project calendars); the claim
loop is the same: each visit carries `escalation_due_at`, the instant the sweep must look at it next
(its due time when arranged, the next level's time as the sweep leaves it, NULL once graded, cancelled or
at its last level), read through a partial index; a visit is claimed with a conditional UPDATE that moves
`escalation_due_at` to a lease, escalated in one transaction (a `VisitEscalation(visit, level)` row per
level, unique, so each level happens once), and a visit that fails is logged and retried after
RETRY_DELAY without stopping the sweep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.feedback import sla
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.selectors import project_staff
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.deadlines import project_calendar
from estatedesk.visits.models import ReturnVisit, VisitEscalation
from estatedesk.visits.policies import visit_rules_for
from estatedesk.visits.services import visit_url

logger = logging.getLogger(__name__)

LAST_LEVEL = 2
LEASE = timedelta(minutes=10)
RETRY_DELAY = timedelta(minutes=5)
BATCH = 500
MAX_BATCHES = 20
BUDGET_SECONDS = 45.0


def escalation_roles(visit: ReturnVisit, level: int) -> frozenset[str]:
    """Level 1: the visitor's supervisors (QA's manager for a paid-service visit); level 2: the project
    manager."""
    if level >= LAST_LEVEL:
        return frozenset({Role.PROJECT_MANAGER})
    if visit.purpose == Purpose.PAID_SERVICE:
        return frozenset({Role.QA_MANAGER})
    return frozenset({Role.CS_SUPERVISOR})


@dataclass
class _Run:
    now: datetime
    stop_at: float = float("inf")
    periods: dict[int, sla.Period] = field(default_factory=dict)
    staff: dict[tuple[int, frozenset[str]], list[Any]] = field(default_factory=dict)

    def period_of(self, project: Project) -> sla.Period:
        if project.pk not in self.periods:
            hours = visit_rules_for(company_id=project.branch.company_id).escalation_hours
            self.periods[project.pk] = sla.Period(
                calendar=project_calendar(project), minutes=max(hours, 1) * 60
            )
        return self.periods[project.pk]

    def staff_of(self, project: Project, roles: frozenset[str]) -> list[Any]:
        key = (project.pk, roles)
        if key not in self.staff:
            self.staff[key] = project_staff(project=project, roles=set(roles))
        return self.staff[key]


def visit_sweep(
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
    budget_seconds: float = BUDGET_SECONDS,
) -> int:
    """Escalate every late visit once per level; the number of escalations made. Safe with several sweeps
    at once (feedback.escalation.sla_sweep, for visits)."""
    run = _Run(now=now or timezone.now(), stop_at=time.monotonic() + budget_seconds)
    escalated = 0
    for _batch in range(max_batches):
        due = list(
            ReturnVisit.objects.filter(escalation_due_at__isnull=False, escalation_due_at__lt=run.now)
            .order_by("escalation_due_at")
            .values_list("pk", "escalation_due_at")[:batch]
        )
        if not due:
            break
        visits = ReturnVisit.objects.select_related(
            "project__branch", "project__service_calendar", "project__hotline_calendar", "visitor"
        ).in_bulk([pk for pk, _at in due])
        for pk, seen in due:
            if pk in visits and seen is not None:
                escalated += _sweep_visit(run, visits[pk], seen)
            if time.monotonic() >= run.stop_at:
                return escalated
    return escalated


def _sweep_visit(run: _Run, visit: ReturnVisit, seen: datetime) -> int:
    lease = run.now + LEASE
    if not ReturnVisit.objects.filter(pk=visit.pk, escalation_due_at=seen).update(escalation_due_at=lease):
        return 0  # another sweep has it, or it was graded, cancelled or rescheduled a moment ago
    try:
        with transaction.atomic():
            return _escalate_visit(run, visit, lease)
    except Exception:  # noqa: BLE001 - whatever broke, the other visits are escalated; this one is retried
        retry_at = run.now + RETRY_DELAY
        logger.exception("visit sweep: visit %s failed; it is tried again at %s", visit.pk, retry_at)
        ReturnVisit.objects.filter(pk=visit.pk, escalation_due_at=lease).update(escalation_due_at=retry_at)
        return 0


def _escalate_visit(run: _Run, visit: ReturnVisit, lease: datetime) -> int:
    current = ReturnVisit.objects.select_for_update().filter(pk=visit.pk, escalation_due_at=lease).first()
    if current is None:
        return 0
    current.project = visit.project
    current.visitor = visit.visitor
    if current.status != VisitStatus.DUE or current.due_at is None:
        ReturnVisit.objects.filter(pk=current.pk).update(escalation_due_at=None)
        return 0
    reached = set(VisitEscalation.objects.filter(visit=current).values_list("level", flat=True))
    made, top, next_check = 0, current.escalation_level, None
    allowed = run.period_of(current.project)
    for level, at in sla.escalation_times(due_at=current.due_at, allowed=allowed, levels=LAST_LEVEL):
        if at >= run.now:
            next_check = at
            break
        top = max(top, level)
        if level not in reached:
            _escalate(run, current, level=level)
            made += 1
    ReturnVisit.objects.filter(pk=current.pk).update(escalation_due_at=next_check, escalation_level=top)
    return made


def _escalate(run: _Run, visit: ReturnVisit, *, level: int) -> None:
    """One level: the VisitEscalation row (unique per level: should another sweep have made it, the
    constraint refuses this one and the visit is rolled back and looked at again) and the notifications."""
    users = run.staff_of(visit.project, escalation_roles(visit, level))
    notified = [user.pk for user in users]
    VisitEscalation.objects.create(visit=visit, level=level, at=run.now, notified=notified)
    title = _("Return visit overdue (level %(level)s): %(visit)s") % {"level": level, "visit": str(visit)}
    visitor = str(visit.visitor) if visit.visitor_id else _("nobody assigned")
    due = timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M") if visit.due_at else ""
    body = _("Visitor: %(visitor)s. Due: %(due)s.") % {"visitor": visitor, "due": due}
    notify(users=users, title=title, body=body, url=visit_url(visit))
