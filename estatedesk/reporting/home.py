"""The home page's work queues of reports to HQ (issue 14, item 10). The home page belongs to org; this
module gives its section (registered in apps.py):

- document administrators and project managers: their units' reports due within a week or overdue,
  drafts and returned ones;
- HQ's reviewers: reports submitted and awaiting review (not class-2 events, told in the monthly
  business report), and class-1 emergencies without a final report;
- branch managers: their branch's missing reports (past the deadline, not submitted) and those
  submitted late in the last 30 days.

Who sees which queue is read from the user's roles (no query); each queue is a count and a short list:
the number of queries does not depend on the rows, and is zero for someone with no queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from estatedesk.common.navigation import HomeSection
from estatedesk.common.scoping import scope_for
from estatedesk.org.choices import Role
from estatedesk.reporting.choices import EmergencyClass, Special, SubmissionStatus
from estatedesk.reporting.models import ReportSubmission
from estatedesk.reporting.submissions import EDITABLE

ROWS = 5
DUE_SOON = timedelta(days=7)
LATE_WITHIN = timedelta(days=30)
REPORTERS = frozenset({Role.DOC_ADMIN, Role.PROJECT_MANAGER})


@dataclass
class Queue:
    key: str
    count: int
    rows: list[ReportSubmission] = field(default_factory=list)
    extra: int = 0  # a second figure (the branch's late reports)


def _queue(key: str, rows: QuerySet[ReportSubmission]) -> Queue | None:
    count = rows.count()
    if not count:
        return None
    return Queue(
        key=key, count=count, rows=list(rows.select_related("information_type", "branch", "project")[:ROWS])
    )


def _units_q(branch_ids: set[int], project_ids: set[int]) -> Q | None:
    if not branch_ids and not project_ids:
        return None
    return Q(branch_id__in=sorted(branch_ids)) | Q(project_id__in=sorted(project_ids))


def reporter_queue(user: Any, *, now: Any) -> Queue | None:
    """Reports the user's units are to fill in and submit: due within a week or overdue, drafts, returned."""
    scope = scope_for(user)
    units = _units_q(
        {pk for pk, roles in scope.roles_by_branch.items() if roles & REPORTERS},
        {pk for pk, roles in scope.roles_by_project.items() if roles & REPORTERS},
    )
    if units is None:
        return None
    rows = (
        ReportSubmission.objects.visible_to(user)
        .filter(units, status__in=EDITABLE)
        .filter(Q(due_at__lte=now + DUE_SOON) | ~Q(status=SubmissionStatus.EXPECTED))
        .order_by("due_at", "id")
    )
    return _queue("reporting_to_submit", rows)


def review_queues(user: Any) -> list[Queue]:
    """HQ's: submitted reports awaiting review, and class-1 emergencies still open."""
    if Role.HQ_PROPERTY not in scope_for(user).roles_global:
        return []
    visible = ReportSubmission.objects.visible_to(user)
    class_2 = Q(confirmed_class=EmergencyClass.CLASS_2) | Q(
        confirmed_class="", proposed_class=EmergencyClass.CLASS_2
    )
    emergency = Q(information_type__special=Special.EMERGENCY)
    waiting = (
        visible.filter(status=SubmissionStatus.SUBMITTED)
        .exclude(emergency & class_2)
        .order_by("submitted_at", "id")
    )
    class_1 = (
        visible.filter(emergency, final_at__isnull=True)
        .filter(
            Q(confirmed_class=EmergencyClass.CLASS_1)
            | Q(confirmed_class="", proposed_class=EmergencyClass.CLASS_1)
        )
        .order_by("-occurred_at", "-id")
    )
    return [
        queue
        for queue in (_queue("reporting_to_review", waiting), _queue("reporting_class_1", class_1))
        if queue
    ]


def branch_queue(user: Any, *, now: Any) -> Queue | None:
    """The branch manager's: reports of the branch (its own and its projects') past the deadline and not
    submitted; the figure of those submitted late in the last 30 days beside it."""
    branch_ids = {pk for pk, roles in scope_for(user).roles_by_branch.items() if Role.BRANCH_MANAGER in roles}
    if not branch_ids:
        return None
    rows = ReportSubmission.objects.visible_to(user).filter(branch_id__in=sorted(branch_ids))
    missing = rows.filter(status__in=EDITABLE, due_at__lt=now).order_by("due_at", "id")
    late = rows.filter(first_submitted_at__gt=F("due_at"), first_submitted_at__gte=now - LATE_WITHIN).count()
    queue = _queue("reporting_missing", missing)
    if queue is None and not late:
        return None
    queue = queue or Queue(key="reporting_missing", count=0)
    queue.extra = late
    return queue


def home_section(request: HttpRequest) -> HomeSection | None:
    user: Any = request.user
    now = timezone.now()
    queues = [
        queue
        for queue in (reporter_queue(user, now=now), *review_queues(user), branch_queue(user, now=now))
        if queue is not None
    ]
    if not queues:
        return None
    return HomeSection(template="reporting/_home_queues.html", context={"queues": queues, "now": now})
