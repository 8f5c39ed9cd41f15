"""Fixtures of the visits tests (others may reuse them; kept stable): `visiting` is the world with the
crew of project A and its visitors (helpers.add_visitors)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from estatedesk.visits.tests.helpers import add_visitors


@pytest.fixture
def visiting(world: Any) -> Any:
    """The world, with dept_supervisor_a, executor_a, visitor_a, visitor_b, qa_a and qa_manager_a."""
    return add_visitors(world)


@pytest.fixture
def english() -> Any:
    """Messages compared in English, whatever the catalogue translates."""
    with translation.override("en"):
        yield
