"""Background work of nonconformities: the daily reminders of actions (09:00 company time)."""

from __future__ import annotations

from datetime import time

from django.tasks import task

from estatedesk.common.scheduling import Daily, periodic


@periodic(name="quality.action_reminders", at=Daily(time(9, 0)))
@task(queue_name="periodic")
def action_reminders() -> dict[str, int]:
    """Remind action owners before their deadline and, once overdue, them and the project manager; each
    reminder once (reminders.py)."""
    from estatedesk.quality.reminders import actions_remind

    run = actions_remind()
    return {"due_soon": run.due_soon, "overdue": run.overdue}
