"""Shared by the visits tests (and by other helpers' tests: keep these stable): the extra personas of
project A who visit, an item walked until its customer is told, and a visit's result."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.tests.helpers import add_crew, add_member, register, walk
from estatedesk.org.choices import Role
from estatedesk.visits.choices import Grade, VisitChannel
from estatedesk.visits.services import VisitResult


def add_visitors(world: Any) -> Any:
    """The crew of project A (dept_supervisor_a, executor_a) and those who visit and never acted on the
    items: visitor_a and visitor_b (CS agents), qa_a (QA staff), qa_manager_a (QA manager)."""
    add_crew(world)
    add_member(world, "visitor_a", Role.CS_AGENT, project=world.project_a)
    add_member(world, "visitor_b", Role.CS_AGENT, project=world.project_a)
    add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    add_member(world, "qa_manager_a", Role.QA_MANAGER, project=world.project_a)
    return world


def told_item(world: Any, **values: Any) -> FeedbackItem:
    """An item of project A walked along the R-FB path until the customer is told (not closed): agent_a
    registered and told, dept_supervisor_a supervised, pm_a arranged, executor_a did the work."""
    if "resident" not in values and "contact_phone" not in values:
        values.update(resident=_owner_resident(world), unit=world.unit_a)
    return walk(world, register(world, **values), until="inform_customer")


def _owner_resident(world: Any) -> Any:
    from estatedesk.owners.models import Resident

    return Resident.objects.get(user=world.owner_a)


def result(grade: str = Grade.A, **values: Any) -> VisitResult:
    fields: dict[str, Any] = {
        "grade": grade,
        "customer_said": "师傅来得很及时。" if grade != Grade.C else "漏水没有修好，还在滴水。",
        "handling_result": "",
        "channel": VisitChannel.PHONE,
        "visited_on": timezone.localdate(),
    }
    fields.update(values)
    return VisitResult(**fields)


def first_of(month: date) -> date:
    return month.replace(day=1)
