"""Background work of return visits (periodic): the monthly list (R-FB-6), the sweep of late visits, and
the QA visits of paid services (R-RV-2). Each task loads what it needs and calls the module that does it."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task

from estatedesk.common.scheduling import Monthly, periodic


@periodic(name="visits.monthly_list", at=Monthly(day=1, at=time(8, 0)))
@task(queue_name="periodic")
def monthly_list() -> dict[str, int]:
    """Last month's return-visit list of every active project (monthly.monthly_lists_make_all)."""
    from estatedesk.visits.monthly import monthly_lists_make_all

    return monthly_lists_make_all()


@periodic(name="visits.sweep", every=timedelta(minutes=1))
@task(queue_name="periodic")
def visit_sweep() -> int:
    """Escalate late return visits once per level (escalation.visit_sweep); the escalations made."""
    from estatedesk.visits.escalation import visit_sweep as sweep

    return sweep()


@periodic(name="visits.paid_service", every=timedelta(minutes=5))
@task(queue_name="periodic")
def paid_service_visits() -> int:
    """R-RV-2: a QA visit for each paid-service item whose customer was told (services.
    paid_service_visits_sweep); the visits arranged."""
    from estatedesk.visits.services import paid_service_visits_sweep

    return paid_service_visits_sweep()
