"""Background work of customer feedback: the SLA sweep and the complaint-mailbox poll (periodic)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from estatedesk.common.scheduling import periodic


@periodic(name="feedback.sla_sweep", every=timedelta(minutes=1))
@task(queue_name="periodic")
def sla_sweep() -> int:
    """Escalate breached SLA clocks once per level (R-FB-2, R-FB-4)."""
    from estatedesk.feedback.services import sla_sweep as sweep

    return sweep()
