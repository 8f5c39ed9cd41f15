"""The history of a report to HQ (R-IR): the only code that writes `ReportUpdate` rows (after Saleor's
`order/events.py`). Append-only: submissions, returns, acceptance, the class confirmed, the first report,
follow-ups (续报) and the final report (终报).

A follow-up that comes from a feedback item's timeline (R-IR-8) carries the event's id: it is recorded
once per report however often it is passed on (the unique constraint decides, not a check first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from estatedesk.reporting.models import ReportSubmission, ReportUpdate


def record(
    *,
    submission: ReportSubmission,
    kind: str,
    actor: Any,
    text: str = "",
    values: dict[str, Any] | None = None,
    at: datetime | None = None,
    source_event_id: int | None = None,
) -> ReportUpdate:
    """One row of the report's history; `kind` an UpdateKind value. With `source_event_id`, the row already
    recorded for that event is returned instead of a second one."""
    fields = {
        "submission": submission,
        "kind": kind,
        "at": at or timezone.now(),
        "actor": actor if getattr(actor, "pk", None) else None,
        "text": text,
        "values": values or {},
        "source_event_id": source_event_id,
    }
    if source_event_id is None:
        return ReportUpdate.objects.create(**fields)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a duplicate
            return ReportUpdate.objects.create(**fields)
    except IntegrityError:
        return ReportUpdate.objects.get(submission=submission, source_event_id=source_event_id)
