"""Fixtures of the quality tests: `visiting` (the visits tests' world with the crew and QA of project A)."""

from estatedesk.visits.tests.conftest import english, visiting  # noqa: F401 - fixtures re-exported
