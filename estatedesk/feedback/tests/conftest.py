"""Fixtures shared by the feedback tests (the personas come from estatedesk/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from estatedesk.feedback.tests.helpers import add_crew


@pytest.fixture
def crew(world):
    """The world, with a department supervisor and an executor of project A (helpers.add_crew)."""
    return add_crew(world)


@pytest.fixture
def staff(login):
    """staff(user) -> a signed-in client reading the pages in English."""

    def _staff(user: Any) -> Any:
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff
