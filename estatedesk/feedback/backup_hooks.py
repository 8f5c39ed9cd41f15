"""After a restore (`estatedesk restore`, estatedesk/common/backup.py): no reference is handed out twice.

References are PROJECT-YYYYMMDD-NNNN, numbered by `ReferenceCounter` (project, day, last). A restore puts
the counters back as they were at the backup, and the items registered after it are gone; but their
references may already have reached customers (the acknowledgement email, a text, a note on the phone).
So, after a restore:

1. every counter is at least the highest number that the references on file use for its project and day
   (a counter row missing for a day with items is created);
2. for every project and every day from the backup's day to the restore's day, the counter then jumps by
   `ESTATEDESK_RESTORE_REFERENCE_GAP` (1000): the next reference of those days is 1000 above anything
   given out before, and the jump itself shows where a restore happened. The day of a reference is the
   local day of its registration, as in `intake.registration._next_reference`.

docs/deployment.md, "Backup and restore", gives the reasoning.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import BigIntegerField, F, Max, Value
from django.db.models.functions import Cast, Concat, Length, Substr
from django.utils import timezone

from estatedesk.common.backup import RestoreInfo, after_restore
from estatedesk.feedback.models import FeedbackItem, ReferenceCounter
from estatedesk.org.models import Project

Key = tuple[int, date]


def highest_reference_numbers() -> dict[Key, int]:
    """{(project id, day): the highest NNNN among the references PROJECT-YYYYMMDD-NNNN on file}, in one
    grouped query. References that do not start with their project's current code are left out: the
    counter only makes references with the current code, so those can never collide."""
    prefix = Length("project__code") + 1  # "QD-A-"
    rows = (
        FeedbackItem.objects.filter(
            reference__regex=r"-[0-9]{8}-[0-9]+$",
            reference__startswith=Concat(F("project__code"), Value("-")),
        )
        .annotate(
            day_text=Substr("reference", prefix + 1, 8),
            number=Cast(Substr("reference", prefix + 10), BigIntegerField()),
        )
        .order_by()
        .values("project_id", "day_text")
        .annotate(highest=Max("number"))
        .values_list("project_id", "day_text", "highest")
    )
    return {
        (project_id, datetime.strptime(day_text, "%Y%m%d").date()): highest  # noqa: DTZ007 - a date only
        for project_id, day_text, highest in rows
    }


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def counter_targets(*, info: RestoreInfo, gap: int, counters: dict[Key, int]) -> dict[Key, int]:
    """The value each counter must have after the restore (rules 1 and 2 of the module), for the counters
    that must change; `counters` are the present ones, {(project id, day): last}."""
    targets = highest_reference_numbers()
    for key, last in counters.items():
        targets[key] = max(targets.get(key, 0), last)
    window = _days(timezone.localdate(info.backed_up_at), timezone.localdate(info.restored_at))
    for project_id in Project.objects.values_list("pk", flat=True):
        for day in window:
            key = (project_id, day)
            targets[key] = targets.get(key, 0) + gap
    return {key: value for key, value in targets.items() if value != counters.get(key)}


@after_restore
def reference_counters_repair(info: RestoreInfo) -> None:
    """Raise the counters after a restore (the module's rules 1 and 2): one read of the counters, one
    grouped query over the items, and the changed and missing counters written in batches."""
    rows = list(ReferenceCounter.objects.values_list("pk", "project_id", "day", "last"))
    pks = {(project_id, day): pk for pk, project_id, day, _last in rows}
    counters = {(project_id, day): last for _pk, project_id, day, last in rows}
    targets = counter_targets(
        info=info, gap=int(settings.ESTATEDESK_RESTORE_REFERENCE_GAP), counters=counters
    )
    changed = [
        ReferenceCounter(pk=pks[key], project_id=key[0], day=key[1], last=value)
        for key, value in targets.items()
        if key in pks
    ]
    created = [
        ReferenceCounter(project_id=key[0], day=key[1], last=value)
        for key, value in targets.items()
        if key not in pks
    ]
    ReferenceCounter.objects.bulk_update(changed, ["last"], batch_size=500)
    ReferenceCounter.objects.bulk_create(created, batch_size=500)
