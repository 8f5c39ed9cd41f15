"""Work queues (issue 11): what each role has to do next, as data. A queue is a saved filter of the items
the user sees (`FeedbackItem.objects.visible_to(user)`, so scoping is never repeated here) with its
order; the home page shows the user's queues with their counts and first rows, the staff list and the API
take `?queue=<name>`.

What the queues mean (every one of them only open items: not closed or cancelled):

- `calls_to_return` (CS agent): a call the desk owes. A new item (registered) still to be passed to its
  supervisor by phone within the contact clock (R-FB-2), or an item the customer chased (a "chased"
  event in the timeline) with no step or public reply since. Items of the agent's projects, not only
  those the agent typed: the desk shares the phone.
- `to_inform` (CS agent): the work is reported done to customer service (status cs_informed); the
  customer is to be told the result (R-FB-5).
- `registered_today` (CS agent): registered since midnight today (company time zone), any status.
- `to_dispatch` (CS supervisor): registered, no responsible supervisor contacted yet (R-FB-2).
- `awaiting_opinion` (CS supervisor): the supervisor is contacted; the handling opinion is awaited.
- `about_to_breach` (CS supervisor): the earliest running SLA clock runs out within `BREACH_WINDOW`;
  the closest first.
- `overdue` (CS supervisor, branch, HQ, general manager, leader): the earliest running SLA clock has run
  out; the longest overdue first.
- `major_hot` (CS supervisor, project manager, branch, HQ, general manager, leader): major incidents and
  hot complaints.
- `to_arrange` (project manager): the handling opinion is recorded; the project manager arranges the
  work (R-FB-4: at once).
- `escalated_to_me` (project manager, branch manager): the SLA sweep escalated the item to the user's
  level in its current cycle (escalation.ESCALATION_ROLES: level 2 the project manager, 3 the branch
  manager).
- `my_opinions` (department supervisor): the user is the item's supervisor and is to give the handling
  opinion.
- `my_jobs` (executor, department supervisor): the user is the item's executor; arranged, in progress,
  or handled and not yet reported to customer service. The appointment agreed with the customer first.
- `qa_opinion` (QA): a concrete quality problem whose execution record (附表二, R-FB-8) has no QA
  opinion yet.
- `qa_acceptance` (QA): the management office recorded the execution; QA's acceptance is awaited.
- `open_items`, `registered_this_month` (branch, HQ, general manager, leader): the figures of their
  scope.

Counts are SQL aggregates for all of a user's queues at once (`queue_counts`); rows are read per queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from estatedesk.common.scoping import scope_for
from estatedesk.feedback.choices import OPEN_STATUSES, EventKind, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.escalation import ESCALATION_ROLES
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, TimelineEvent
from estatedesk.org.choices import Role

# "About to breach": the earliest running clock runs out within this time
BREACH_WINDOW = timedelta(hours=2)
# What `next_due_at` is when no clock runs (LEAST skips no NULL on SQLite, so none is left in it)
NO_DEADLINE = datetime(2999, 12, 31, tzinfo=UTC)

FIGURE_ROLES = frozenset({Role.BRANCH_MANAGER, Role.HQ_PROPERTY, Role.GENERAL_MANAGER, Role.LEADER})


@dataclass(frozen=True)
class QueueContext:
    """What a queue's condition may depend on: who asks and when."""

    user_id: int | None
    roles: frozenset[str]
    now: datetime

    @property
    def today_start(self) -> datetime:
        return timezone.localtime(self.now).replace(hour=0, minute=0, second=0, microsecond=0)

    @property
    def month_start(self) -> datetime:
        return self.today_start.replace(day=1)


@dataclass(frozen=True)
class Queue:
    name: str
    label: Promise
    roles: frozenset[str]
    condition: Callable[[QueueContext], Q]
    ordering: tuple[Any, ...]
    is_figure: bool = False  # shown as a figure (a count with a link), without rows
    counts_as_work: bool = True  # counted in the menu's number of things to do
    open_only: bool = True  # holds open items only (counted among the open items, through their index)
    help: Promise | str = ""


def _open() -> Q:
    return Q(status__in=OPEN_STATUSES)


def _chased_unanswered() -> Q:
    """The customer chased the item, and no step or public reply came after the chase."""
    answered = TimelineEvent.objects.filter(item_id=OuterRef("item_id"), at__gt=OuterRef("at")).filter(
        Q(kind=EventKind.TRANSITION) | Q(kind=EventKind.COMMENT, is_public=True)
    )
    chases = TimelineEvent.objects.filter(item_id=OuterRef("pk"), kind=EventKind.CHASED).exclude(
        Exists(answered)
    )
    return Q(Exists(chases))


def _escalated_to(context: QueueContext) -> Q:
    levels = [level for level, role in ESCALATION_ROLES.items() if role in context.roles]
    if not levels:
        return Q(pk__in=[])
    return _open() & Q(escalation_level__gte=min(levels))


def _qa_opinion() -> Q:
    given = ExecutionRecord.objects.filter(item_id=OuterRef("pk"), qa_opinion_at__isnull=False)
    return _open() & Q(is_quality_problem=True) & ~Q(Exists(given))


def _qa_acceptance() -> Q:
    awaited = ExecutionRecord.objects.filter(
        item_id=OuterRef("pk"), office_record_at__isnull=False, qa_acceptance_at__isnull=True
    )
    return _open() & Q(Exists(awaited))


URGENT_FIRST = (F("next_due_at").asc(), F("registered_at").asc(), F("id").asc())
NEWEST_FIRST = (F("registered_at").desc(), F("id").desc())

CS_AGENT = frozenset({Role.CS_AGENT})
CS_SUPERVISOR = frozenset({Role.CS_SUPERVISOR})

QUEUES: dict[str, Queue] = {
    queue.name: queue
    for queue in [
        Queue(
            "calls_to_return",
            _("Calls to return"),
            CS_AGENT,
            lambda c: _open() & (Q(status=Status.REGISTERED) | _chased_unanswered()),
            URGENT_FIRST,
            help=_("New items to pass to their supervisor, and customers who chased"),
        ),
        Queue(
            "to_inform",
            _("Customers to inform"),
            CS_AGENT,
            lambda c: Q(status=Status.CS_INFORMED),
            URGENT_FIRST,
            help=_("The work is done: tell the customer the result"),
        ),
        Queue(
            "registered_today",
            _("Registered today"),
            CS_AGENT,
            lambda c: Q(registered_at__gte=c.today_start),
            NEWEST_FIRST,
            counts_as_work=False,
            open_only=False,
        ),
        Queue(
            "to_dispatch",
            _("To dispatch"),
            CS_SUPERVISOR,
            lambda c: Q(status=Status.REGISTERED),
            URGENT_FIRST,
            help=_("Contact the responsible supervisor"),
        ),
        Queue(
            "awaiting_opinion",
            _("Waiting for the handling opinion"),
            CS_SUPERVISOR,
            lambda c: Q(status=Status.SUPERVISOR_CONTACTED),
            URGENT_FIRST,
        ),
        Queue(
            "about_to_breach",
            _("About to breach"),
            CS_SUPERVISOR,
            lambda c: _open() & Q(next_due_at__gte=c.now, next_due_at__lt=c.now + BREACH_WINDOW),
            URGENT_FIRST,
            help=_("A deadline runs out within two hours"),
        ),
        Queue(
            "overdue",
            _("Overdue"),
            CS_SUPERVISOR | FIGURE_ROLES,
            lambda c: _open() & Q(next_due_at__lt=c.now),
            URGENT_FIRST,
        ),
        Queue(
            "major_hot",
            _("Major and hot"),
            CS_SUPERVISOR | {Role.PROJECT_MANAGER} | FIGURE_ROLES,
            lambda c: _open() & (Q(is_major=True) | Q(is_hot=True)),
            URGENT_FIRST,
        ),
        Queue(
            "to_arrange",
            _("To arrange"),
            frozenset({Role.PROJECT_MANAGER}),
            lambda c: Q(status=Status.OPINION_RECORDED),
            URGENT_FIRST,
            help=_("The handling opinion is in: arrange the work at once"),
        ),
        Queue(
            "escalated_to_me",
            _("Escalated to me"),
            frozenset({Role.PROJECT_MANAGER, Role.BRANCH_MANAGER}),
            _escalated_to,
            URGENT_FIRST,
        ),
        Queue(
            "my_opinions",
            _("My handling opinions"),
            frozenset({Role.DEPT_SUPERVISOR}),
            lambda c: Q(status=Status.SUPERVISOR_CONTACTED, supervisor_id=c.user_id),
            URGENT_FIRST,
        ),
        Queue(
            "my_jobs",
            _("My jobs"),
            frozenset({Role.EXECUTOR, Role.DEPT_SUPERVISOR}),
            lambda c: Q(
                executor_id=c.user_id,
                status__in=[Status.ARRANGED, Status.IN_PROGRESS, Status.HANDLED],
            ),
            (F("appointment_at").asc(nulls_last=True), *URGENT_FIRST),
        ),
        Queue(
            "qa_opinion",
            _("Awaiting QA opinion"),
            frozenset({Role.QA_MANAGER, Role.QA_STAFF}),
            lambda c: _qa_opinion(),
            URGENT_FIRST,
        ),
        Queue(
            "qa_acceptance",
            _("Awaiting QA acceptance"),
            frozenset({Role.QA_MANAGER, Role.QA_STAFF}),
            lambda c: _qa_acceptance(),
            URGENT_FIRST,
        ),
        Queue(
            "open_items",
            _("Open items"),
            FIGURE_ROLES,
            lambda c: _open(),
            URGENT_FIRST,
            is_figure=True,
            counts_as_work=False,
        ),
        Queue(
            "registered_this_month",
            _("Registered this month"),
            FIGURE_ROLES,
            lambda c: Q(registered_at__gte=c.month_start),
            NEWEST_FIRST,
            is_figure=True,
            counts_as_work=False,
            open_only=False,
        ),
    ]
}


def queue_choices() -> list[tuple[str, Promise]]:
    return [(queue.name, queue.label) for queue in QUEUES.values()]


def context_for(*, user: Any, now: datetime | None = None) -> QueueContext:
    return QueueContext(
        user_id=getattr(user, "pk", None),
        roles=scope_for(user).all_roles,
        now=now or timezone.now(),
    )


def queues_for(*, user: Any) -> list[Queue]:
    """The user's queues, in the table's order: those of any role the user holds somewhere."""
    roles = scope_for(user).all_roles
    return [queue for queue in QUEUES.values() if queue.roles & roles]


def next_due_expression() -> Any:
    """The earliest running SLA clock's due time (NO_DEADLINE when none runs), in SQL."""
    parts = [
        Coalesce(
            Case(When(**{f"{done}__isnull": True}, then=F(due)), output_field=DateTimeField()),
            Value(NO_DEADLINE, output_field=DateTimeField()),
        )
        for due, done in CLOCK_COLUMNS.values()
    ]
    return Least(*parts, output_field=DateTimeField())


def with_next_due(queryset: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    return queryset.annotate(next_due_at=next_due_expression())


def queue_filter(
    queryset: QuerySet[FeedbackItem], *, queue: Queue, context: QueueContext
) -> QuerySet[FeedbackItem]:
    """`queryset` (already scoped to the user) narrowed to the queue and in its order."""
    return with_next_due(queryset).filter(queue.condition(context)).order_by(*queue.ordering)


def in_queue(
    queryset: QuerySet[FeedbackItem], *, name: str, user: Any, now: datetime | None = None
) -> QuerySet[FeedbackItem]:
    """The list's items in the queue called `name`, in its order; newest first when there is no such
    queue (the callers refuse or report an unknown name)."""
    queue = QUEUES.get(name)
    if queue is None:
        return queryset.order_by("-registered_at", "-id")
    return queue_filter(queryset, queue=queue, context=context_for(user=user, now=now))


def queue_items(*, user: Any, queue: Queue, now: datetime | None = None) -> QuerySet[FeedbackItem]:
    return queue_filter(
        FeedbackItem.objects.visible_to(user), queue=queue, context=context_for(user=user, now=now)
    )


TO_DO_KEY = "to_do"


def queue_counts(*, user: Any, queues: Iterable[Queue], now: datetime | None = None) -> dict[str, int]:
    """{queue name: number of items} for the given queues, and under `TO_DO_KEY` the number of items in
    any of the work queues among them (each item once; figures and "registered today" are no work to
    do). One aggregate over the open items the user sees (beside a million finished items they are a few
    thousand; project staff read them through the project-and-status index), and one over this month's
    registrations when a queue counts those. Work queues hold open items only (tested), so the number of
    things to do is counted among the open items."""
    queues = list(queues)
    if not queues:
        return {TO_DO_KEY: 0}
    context = context_for(user=user, now=now)
    scoped = FeedbackItem.objects.visible_to(user)
    counts: dict[str, Any] = {}
    open_queues = [queue for queue in queues if queue.open_only]
    to_do = Q(pk__in=[])
    for queue in queues:
        if queue.counts_as_work:
            to_do |= queue.condition(context)
    open_sums = {queue.name: Count("pk", filter=queue.condition(context)) for queue in open_queues}
    open_items = scoped.filter(status__in=OPEN_STATUSES)
    if connection.vendor == "sqlite" and scope_for(user).is_global:
        # SQLite's statistics say the status index holds 100,000 items a value (it keeps no count per
        # value), so for a company-wide user it read every item to count the open ones: 323 ms at a
        # million. Their ids from the status index, then each item by its key: 43 ms. Not for a project's
        # staff (their project's index serves them, 7 ms against 10) nor on PostgreSQL (33 ms against 52).
        open_items = FeedbackItem.objects.filter(pk__in=open_items.values("pk"))
    counts |= with_next_due(open_items).aggregate(**open_sums, **{TO_DO_KEY: Count("pk", filter=to_do)})
    recent = [queue for queue in queues if not queue.open_only]
    if recent:
        counts |= scoped.filter(registered_at__gte=min(context.month_start, context.today_start)).aggregate(
            **{queue.name: Count("pk", filter=queue.condition(context)) for queue in recent}
        )
    return {name: int(value or 0) for name, value in counts.items()}


# --- what the pages show: the home page's counts, the menu's number, the list's tabs -----------------------

_COUNTS_ATTRIBUTE = "_work_queue_counts"


def user_queue_counts(*, user: Any) -> dict[str, int]:
    """`queue_counts` of all the user's queues, read once per request (kept on the request's user object,
    so the menu, the home page and the list's tabs share the one query)."""
    cached = getattr(user, _COUNTS_ATTRIBUTE, None)
    if cached is None:
        cached = queue_counts(user=user, queues=queues_for(user=user))
        setattr(user, _COUNTS_ATTRIBUTE, cached)
    return cached


def menu_count(user: Any) -> int | None:
    """The number beside "Home" in the menu: items waiting in the user's work queues (None: no queues,
    no query)."""
    if not getattr(user, "is_authenticated", False) or not queues_for(user=user):
        return None
    work = [queue for queue in queues_for(user=user) if queue.counts_as_work]
    return queue_counts(user=user, queues=work)[TO_DO_KEY]


@dataclass(frozen=True)
class QueueTab:
    name: str
    label: str
    url: str
    is_current: bool


def queue_tabs(*, user: Any, current: str, query: Any = None) -> list[QueueTab]:
    """The user's queues as tabs of the staff list: each links to the list with that queue (the other
    filters of `query` kept), the current one back to the list without it. No counts: the home page has
    them; counting a whole company's open items would double the list's time (bench/)."""
    mine = queues_for(user=user)
    if not mine:
        return []
    kept = [
        (name, value)
        for name, values in (query.lists() if query is not None else [])
        for value in values
        if name not in ("queue", "page") and value
    ]
    base = reverse("feedback:item_list")
    tabs = []
    for queue in mine:
        params = kept if queue.name == current else [*kept, ("queue", queue.name)]
        tabs.append(
            QueueTab(
                name=queue.name,
                label=str(queue.label),
                url=f"{base}?{urlencode(params)}" if params else base,
                is_current=queue.name == current,
            )
        )
    return tabs
