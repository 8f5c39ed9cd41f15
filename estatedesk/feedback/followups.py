"""What follows a customer's dissatisfaction (R-RV-3, R-RV-4), without feedback knowing who acts on it.

An owner's C rating (feedback) and a return visit graded C (visits) both call `dissatisfaction_confirmed`;
the apps above feedback in the layer order register what they do about it in their `AppConfig.ready()`:
visits arranges the separate visit of serious dissatisfaction, quality opens the item's nonconformity.
Listeners run in the caller's transaction, in registration order, so the rating and everything that
follows from it commit (or roll back) together. This is an explicit registry, not a Django signal: the
listeners are named in one place each and run synchronously (ADR 0015).

The same kind of registry carries the hand-off of a major or hot complaint to HQ reporting (R-IR-8) and
the item's later progress to the report, below.
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


# --- R-IR-8: a major or hot complaint handed to HQ reporting, and its later progress ------------------------
# HQ reporting (above feedback in the layer order) registers in its `AppConfig.ready()`:
# - a hand-off listener that stores the instant report and answers with its receipt (`HqReport`), or None
#   when it did not store one; the first receipt wins. Feedback says "sent" only when it has a receipt.
# - progress listeners, told of each new timeline event of an item already reported to HQ (events.py
#   calls them), which add the event to the report as a follow-up, each event once.
# Both run inside the caller's transaction, like the listeners above.


@dataclass(frozen=True)
class HqHandoff:
    item: FeedbackItem
    actor: Any  # who reported it
    content: dict[str, Any]  # the item's facts and progress (services.feedback_item_report_to_hq)


@dataclass(frozen=True)
class HqReport:
    """The receipt of a stored report: its reference, the page's address, its title; `created` is False
    when the item had been reported before (no second report)."""

    reference: str
    url: str
    title: str
    created: bool


HandoffListener = Callable[[HqHandoff], HqReport | None]
ProgressListener = Callable[[FeedbackItem, Any], None]  # (the item, the new TimelineEvent)
_handoff_listeners: dict[str, HandoffListener] = {}
_progress_listeners: dict[str, ProgressListener] = {}


def listen_handoff(name: str, listener: HandoffListener) -> None:
    """Register (or replace) what stores an item handed to HQ; apps call this from `ready()`."""
    _handoff_listeners[name] = listener


def listen_reported_progress(name: str, listener: ProgressListener) -> None:
    """Register (or replace) what follows the progress of an item reported to HQ."""
    _progress_listeners[name] = listener


def reported_to_hq(handoff: HqHandoff) -> HqReport | None:
    """The receipt of the first listener that stored the report; None when none did (nothing was sent)."""
    for listener in list(_handoff_listeners.values()):
        receipt = listener(handoff)
        if receipt is not None:
            return receipt
    return None


def reported_item_progressed(item: FeedbackItem, event: Any) -> None:
    """A new timeline event of an item reported to HQ: tell every progress listener."""
    for listener in list(_progress_listeners.values()):
        listener(item, event)
