"""The monthly return-visit list (R-FB-6): on the 1st at 08:00 (company time zone, tasks.monthly_list), for
every active project, one visit per customer who gave feedback in the previous calendar month.

- The month is [1st 00:00, next 1st 00:00) in the company's time zone (settings.TIME_ZONE,
  common.months.month_bounds), by when the feedback was given (`registered_at`): an item registered at
  23:59:59 on the last day is on that month's list, however late it was handled or closed; one at 00:00:00
  on the 1st is on the next month's. Cancelled items and patrol findings (no customer) are left out.
- One visit per customer: the resident, else the contact phone (digits only, without +86), else the item
  itself (`customer_key`). The visit covers the customer's items of the month still to visit; its item is
  the latest of them.
- Minus what was visited already: an item with a graded visit (by hand, or a paid-service visit) is left
  out; a customer with nothing left is not listed.
- The category's VisitPolicy: always; skip an item the owner already rated; never; or a sample of N%,
  decided by a hash of (project, month, customer), so a rerun lists the same customers.
- Visitors in turn (round-robin) among the project's CS agents and supervisors who may visit each
  customer (eligibility.py); a customer nobody may visit is listed unassigned for a planner.
- Due at the close of the VisitRules.due_working_days-th working day on the project's calendar
  (deadlines.py); late visits escalate (escalation.py).
- Idempotent: one visit per (project, month, customer), a unique constraint; a rerun adds only customers
  not listed yet (one with items registered late, say) and never moves a listed visit.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.months import current_month, month_bounds
from estatedesk.feedback.choices import Channel, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.selectors import project_staff
from estatedesk.owners.models import ResidentPhone
from estatedesk.visits import eligibility
from estatedesk.visits.choices import Purpose, VisitRule, VisitStatus
from estatedesk.visits.deadlines import due_after_working_days, project_calendar
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.policies import CategoryPolicy, visit_policies_for, visit_rules_for

logger = logging.getLogger(__name__)

MONTHLY_VISITORS = frozenset({Role.CS_AGENT, Role.CS_SUPERVISOR})
ITEM_COLUMNS = ("pk", "resident_id", "contact_phone", "contact_name", "category", "rating", "registered_at")


def normalised_phone(phone: str) -> str:
    """Digits only, without China's country code: "+86 138-0000-1234" and "13800001234" are one."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def customer_key(*, resident_id: int | None, phone: str, item_id: int) -> str:
    if resident_id:
        return f"r:{resident_id}"
    digits = normalised_phone(phone)
    return f"p:{digits}"[:40] if digits else f"i:{item_id}"


def sampled(*, project_id: int, month: date, key: str, percent: int) -> bool:
    """Is this customer in the month's sample of `percent`%? The same answer on every run."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"{project_id}:{month:%Y-%m}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def wanted(row: dict[str, Any], policy: CategoryPolicy, *, project_id: int, month: date, key: str) -> bool:
    """Does the category's policy put this item on the list?"""
    if policy.rule == VisitRule.NEVER:
        return False
    if policy.rule == VisitRule.SKIP_IF_RATED:
        return not row["rating"]
    if policy.rule == VisitRule.SAMPLE:
        return sampled(project_id=project_id, month=month, key=key, percent=policy.sample_percent)
    return True


@dataclass
class Customer:
    key: str
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> dict[str, Any]:
        return self.items[-1]

    @property
    def item_ids(self) -> list[int]:
        return [row["pk"] for row in self.items]


def _visited_item_ids(item_ids: list[int]) -> set[int]:
    graded = ReturnVisit.objects.filter(status=VisitStatus.GRADED)
    direct = set(graded.filter(item_id__in=item_ids).values_list("item_id", flat=True))
    covered = set(
        ReturnVisit.covered_items.through.objects.filter(
            feedbackitem_id__in=item_ids, returnvisit__status=VisitStatus.GRADED
        ).values_list("feedbackitem_id", flat=True)
    )
    return direct | covered


def month_customers(*, project: Project, month: date) -> list[Customer]:
    """The customers of `month` to list, each with the items to visit, in order of first feedback."""
    start, end = month_bounds(month)
    rows = list(
        FeedbackItem.objects.filter(project=project, registered_at__gte=start, registered_at__lt=end)
        .exclude(status=Status.CANCELLED)
        .exclude(channel=Channel.PATROL)
        .order_by("registered_at", "pk")
        .values(*ITEM_COLUMNS)
    )
    visited = _visited_item_ids([row["pk"] for row in rows])
    policies = visit_policies_for(company_id=project.branch.company_id)
    customers: dict[str, Customer] = {}
    for row in rows:
        if row["pk"] in visited:
            continue
        key = customer_key(resident_id=row["resident_id"], phone=row["contact_phone"], item_id=row["pk"])
        if wanted(row, policies[row["category"]], project_id=project.pk, month=month, key=key):
            customers.setdefault(key, Customer(key)).items.append(row)
    return list(customers.values())


class RoundRobin:
    """Visitors in turn; each customer goes to the next one in the turn who may visit them."""

    def __init__(self, people: list[Any]) -> None:
        self.people = sorted(people, key=lambda user: user.pk)
        self.next = 0

    def pick(self, barred: dict[int, str]) -> Any:
        count = len(self.people)
        for step in range(count):
            user = self.people[(self.next + step) % count]
            if user.pk not in barred:
                self.next = (self.next + step + 1) % count
                return user
        return None


def _phones(resident_ids: set[int]) -> dict[int, str]:
    phones: dict[int, str] = {}
    for resident_id, number in ResidentPhone.objects.filter(resident_id__in=resident_ids).values_list(
        "resident_id", "number"
    ):
        phones.setdefault(resident_id, number)
    return phones


def _names(resident_ids: set[int]) -> dict[int, str]:
    from estatedesk.owners.models import Resident

    return dict(Resident.objects.filter(pk__in=resident_ids).values_list("pk", "name"))


@transaction.atomic
def monthly_list_make(*, project: Project, month: date, now: datetime | None = None) -> list[ReturnVisit]:
    """Make `project`'s list of `month` (see the module's docstring); the visits this run made."""
    now = now or timezone.now()
    month = month.replace(day=1)
    listed = set(
        ReturnVisit.objects.filter(project=project, month=month, purpose=Purpose.MONTHLY).values_list(
            "customer_key", flat=True
        )
    )
    customers = [c for c in month_customers(project=project, month=month) if c.key not in listed]
    if not customers:
        return []
    rules = visit_rules_for(company_id=project.branch.company_id)
    barred = eligibility.barred_by_item(
        item_ids=[pk for c in customers for pk in c.item_ids], registrant_may_visit=rules.registrant_may_visit
    )
    turn = RoundRobin(project_staff(project=project, roles=set(MONTHLY_VISITORS)))
    due_at = due_after_working_days(project_calendar(project), now, rules.due_working_days)
    resident_ids = {c.latest["resident_id"] for c in customers if c.latest["resident_id"]}
    phones, names = _phones(resident_ids), _names(resident_ids)
    department = project.departments.filter(kind="customer_service").first()
    made: list[ReturnVisit] = []
    for customer in customers:
        latest = customer.latest
        resident_id = latest["resident_id"]
        visit = ReturnVisit(
            project=project,
            purpose=Purpose.MONTHLY,
            month=month,
            customer_key=customer.key,
            item_id=latest["pk"],
            resident_id=resident_id,
            customer_name=(latest["contact_name"] or names.get(resident_id, ""))[:60],
            customer_phone=(latest["contact_phone"] or phones.get(resident_id, ""))[:24],
            department=department,
            visitor=turn.pick(eligibility.merged(barred, customer.item_ids)),
            due_at=due_at,
            escalation_due_at=due_at,
        )
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError:  # listed a moment ago by a concurrent run
            continue
        visit.covered_items.set(customer.item_ids)
        made.append(visit)
    _tell_visitors(project=project, month=month, visits=made)
    return made


def _tell_visitors(*, project: Project, month: date, visits: list[ReturnVisit]) -> None:
    """One notification per visitor: how many visits of the month's list are theirs."""
    by_visitor: dict[int, list[ReturnVisit]] = defaultdict(list)
    for visit in visits:
        if visit.visitor_id is not None:
            by_visitor[visit.visitor_id].append(visit)
    for mine in by_visitor.values():
        notify(
            users=[mine[0].visitor],
            title=_("%(count)s return visits of %(month)s to make at %(project)s")
            % {"count": len(mine), "month": f"{month:%Y-%m}", "project": project.name},
        )
    unassigned = [visit for visit in visits if visit.visitor_id is None]
    if unassigned:
        notify(
            users=project_staff(project=project, roles={Role.CS_SUPERVISOR}),
            title=_("%(count)s return visits of %(month)s at %(project)s have no visitor: assign them")
            % {"count": len(unassigned), "month": f"{month:%Y-%m}", "project": project.name},
        )


def previous_month(now: datetime) -> date:
    return (current_month(now) - timedelta(days=1)).replace(day=1)


def monthly_lists_make_all(*, now: datetime | None = None) -> dict[str, int]:
    """Last month's list of every active project (tasks.monthly_list, the 1st at 08:00); a project that
    fails is logged and skipped (the job can be run again: it adds only what is missing)."""
    now = now or timezone.now()
    month = previous_month(now)
    totals = {"projects": 0, "visits": 0, "failed": 0}
    for project in Project.objects.filter(is_active=True).select_related(
        "branch", "service_calendar", "hotline_calendar"
    ):
        try:
            totals["visits"] += len(monthly_list_make(project=project, month=month, now=now))
            totals["projects"] += 1
        except Exception:  # noqa: BLE001 - the other projects get their lists; this one is retried by hand
            totals["failed"] += 1
            logger.exception("monthly visit list of %s for %s failed", project.code, month)
    return totals
