"""Background work of analytics (periodic): the monthly packs on the 1st (R-FB-7) and the daily alerts.
Each task calls the module that does it."""

from __future__ import annotations

from datetime import time, timedelta

from django.tasks import task

from estatedesk.common.scheduling import Daily, periodic

# --- monthly packs (PACK) ---------------------------------------------------------------------------------


@periodic(name="analytics.monthly_packs", every=timedelta(hours=1))
@task(queue_name="periodic")
def monthly_packs() -> int:
    """Make last month's packs once the company's send time has passed (packs.monthly_packs_make): version
    1 of the company's and each branch's, each once however many workers run; the packs made."""
    from estatedesk.analytics.packs import monthly_packs_make

    return len(monthly_packs_make())


# --- alerts (ALERTS) ---------------------------------------------------------------------------------------


@periodic(name="analytics.alerts", at=Daily(time(7, 30)))
@task(queue_name="periodic")
def alerts_check_daily() -> int:
    """Check the alert rules (alerts.alerts_check): each breach recorded and sent once; the breaches found."""
    from estatedesk.analytics.alerts import alerts_check

    return len(alerts_check())
