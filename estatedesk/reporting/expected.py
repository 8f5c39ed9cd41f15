"""Expected reports and their deadlines (placeholder: filled in by the catalogue work)."""

from __future__ import annotations


def expected_reports_make() -> int:
    return 0


def deadline_sweep() -> dict[str, int]:
    return {}
