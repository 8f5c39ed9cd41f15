"""What follows a customer's dissatisfaction (R-RV-3, R-RV-4), without feedback knowing who acts on it.

An owner's C rating (feedback) and a return visit graded C (visits) both call `dissatisfaction_confirmed`;
the apps above feedback in the layer order register what they do about it in their `AppConfig.ready()`:
visits arranges the separate visit of serious dissatisfaction, quality opens the item's nonconformity.
Listeners run in the caller's transaction, in registration order, so the rating and everything that
follows from it commit (or roll back) together. This is an explicit registry, not a Django signal: the
listeners are named in one place each and run synchronously (ADR 0015).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from estatedesk.feedback.models import FeedbackItem


class Source:
    """Where the dissatisfaction was said."""

    OWNER_RATING = "owner_rating"  # the owner rated the handling C on the portal
    RETURN_VISIT = "return_visit"  # a return visit was graded C


@dataclass(frozen=True)
class Dissatisfaction:
    item: FeedbackItem
    source: str  # a Source value
    actor: Any  # who recorded it (the owner, or the visitor)
    note: str = ""  # what the customer said
    visit_id: int | None = None  # the graded visit, for Source.RETURN_VISIT


Listener = Callable[[Dissatisfaction], None]
_listeners: dict[str, Listener] = {}


def listen(name: str, listener: Listener) -> None:
    """Register (or replace) a listener under a stable name; apps call this from `ready()`."""
    _listeners[name] = listener


def dissatisfaction_confirmed(event: Dissatisfaction) -> None:
    """Tell every registered listener, in registration order, inside the caller's transaction."""
    for listener in list(_listeners.values()):
        listener(event)
