"""Capability checks for the plumbing apps (notifications, api), which may not import `org`: `org`
registers its check at start-up (org/apps.py), as it registers the scope resolver. Without a registered
check nobody holds any capability (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_check: Callable[[Any, str], bool] | None = None


def register_capability_check(check: Callable[[Any, str], bool]) -> None:
    """`check(user, capability)`: does the user hold `capability` company-wide?"""
    global _check
    _check = check


def has_capability(user: Any, capability: str) -> bool:
    """True when the user holds `capability` through a company-wide role (org.permissions.CAPABILITIES)."""
    return _check is not None and _check(user, capability)
