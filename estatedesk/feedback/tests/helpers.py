"""Shared by the feedback tests: the extra personas of project A and the R-FB path, step by step.

The `world` fixture (estatedesk/conftest.py) has no department supervisor, executor or general manager;
`add_member` gives a new user one role at one node of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.services import feedback_item_step
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def add_member(world: Any, username: str, role: str, *, project: Any = None, email: str = "") -> Any:
    """A new user holding `role` at `project` (company-wide when no project is given)."""
    user = get_user_model().objects.create_user(username=username, display_name=username, email=email)
    Membership.objects.create(
        user=user,
        role=role,
        level=ScopeLevel.PROJECT if project else ScopeLevel.COMPANY,
        company=world.company,
        project=project,
    )
    world.users[username] = user
    return user


def add_crew(world: Any) -> Any:
    """A department supervisor (工作主管) and an executor (执行人) of project A."""
    add_member(world, "dept_supervisor_a", Role.DEPT_SUPERVISOR, project=world.project_a)
    add_member(world, "executor_a", Role.EXECUTOR, project=world.project_a)
    return world


AGENT = object()  # register()'s default actor: agent_a of the world


def register(world: Any, *, actor: Any = AGENT, **values: Any) -> FeedbackItem:
    """A complaint about engineering at project A, registered by agent_a on the hotline (`actor=None`:
    someone without an account)."""
    fields: dict[str, Any] = {
        "project": world.project_a,
        "channel": Channel.HOTLINE,
        "kind": Kind.COMPLAINT,
        "category": Category.ENGINEERING,
        "title": "Water leaking in the stairwell",
        "description": "Water has been dripping from the ceiling of entrance 1 since this morning.",
    }
    fields.update(values)
    registered_at = fields.pop("registered_at", None)
    return feedback_item_register(
        actor=world.agent_a if actor is AGENT else actor,
        data=ItemInput(**fields),
        registered_at=registered_at,
    )


# The R-FB path: step, who takes it, the note, the data (user names stand for their ids).
PATH: list[tuple[str, str, str, dict[str, Any]]] = [
    ("contact_supervisor", "agent_a", "", {"supervisor_id": "dept_supervisor_a"}),
    ("record_opinion", "dept_supervisor_a", "Replace the valve on the riser.", {}),
    ("arrange", "pm_a", "", {"executor_id": "executor_a"}),
    ("start", "executor_a", "", {}),
    ("complete", "executor_a", "Valve replaced, ceiling dried.", {}),
    ("inform_cs", "executor_a", "", {}),
    ("inform_customer", "agent_a", "Told the owner the leak is fixed.", {"how": "phone"}),
    ("close", "agent_a", "", {}),
]


def step_data(world: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {key: world.users[value].pk if key.endswith("_id") else value for key, value in data.items()}


def walk(world: Any, item: FeedbackItem, *, until: str) -> FeedbackItem:
    """Take the steps of PATH in order, up to and including `until`."""
    for step, persona, note, data in PATH:
        item = feedback_item_step(
            actor=world.users[persona],
            item=item,
            step=step,
            version=item.version,
            note=note,
            data=step_data(world, data),
        )
        if step == until:
            return item
    raise AssertionError(f"no step {until}")


def api_for(user: Any, language: str | None = "en") -> Any:
    """An API client signed in as a fresh copy of the user (its scope computed afresh, as in a real
    request), asking for English so that the messages asserted read as written in the code."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE=language) if language else APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def assert_error(response: Any, status: int, code: str, fields: set[str] | None = None) -> dict[str, Any]:
    """The API's one error body {code, message, fields}, with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    if fields is not None:
        assert set(body["fields"]) == fields
    return body
