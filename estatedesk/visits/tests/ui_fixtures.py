"""Shared by visits-ui's tests (pages, API, PDF, export, portal, home): a handled item of project A whose
customer was told the result, and return visits about it made directly as rows (the services' own tests
are visits-core's), so a page test states exactly the visit it reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.tests.helpers import add_crew, local, register, walk
from estatedesk.owners.models import Resident
from estatedesk.visits.choices import Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.models import ReturnVisit

MONTH = date(2026, 10, 1)
DUE_AT = local(2026, 11, 6, 18)


def handled_item(world: Any, **values: Any) -> FeedbackItem:
    """An item of owner_a at unit 1-1-101, handled and the customer told (ready for a visit)."""
    if "executor_a" not in world.users:
        add_crew(world)
    resident = Resident.objects.get(user=world.owner_a)
    fields: dict[str, Any] = {"resident": resident, "unit": world.unit_a, "title": "厨房水管漏水"}
    fields.update(values)
    item = register(world, **fields)
    return walk(world, item, until="inform_customer")


def make_visit(world: Any, item: FeedbackItem | None = None, **values: Any) -> ReturnVisit:
    """A monthly visit of project A due for `item`'s customer (visitor: supervisor_a unless given)."""
    project = item.project if item is not None else world.project_a
    fields: dict[str, Any] = {
        "project": project,
        "purpose": Purpose.MONTHLY,
        "item": item,
        "month": MONTH,
        "customer_key": f"r{item.resident_id}" if item is not None and item.resident_id else "k",
        "resident": item.resident if item is not None else None,
        "customer_name": "沈业主",
        "customer_phone": "13800001234",
        "visitor": world.supervisor_a,
        "due_at": DUE_AT,
    }
    fields.update(values)
    visit = ReturnVisit.objects.create(**fields)
    if item is not None:
        visit.covered_items.add(item)
    return visit


def grade_row(
    visit: ReturnVisit, *, grade: str = Grade.A, by: Any, at: datetime | None = None
) -> ReturnVisit:
    """The visit as graded (written directly: the grade service is visits-core's)."""
    visit.status = VisitStatus.GRADED
    visit.grade = grade
    visit.customer_said = "维修及时，师傅态度很好"
    visit.handling_result = "水管已更换，地面已清理"
    visit.channel = VisitChannel.PHONE
    visit.graded_by = by
    visit.recorded_by = by
    visit.visited_on = date(2026, 11, 3)
    visit.recorded_at = at or local(2026, 11, 3, 10)
    visit.save()
    return visit
