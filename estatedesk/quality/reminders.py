"""Reminders of nonconformity actions (R-RV-4): on assignment (services.nonconformity_action_add tells the
owner at once), a configurable number of working days before the deadline (QualityRules, on the project's
service calendar), and once overdue, to the owner and the owner's manager, the project manager.

The daily job (tasks.py, 09:00 company time) is idempotent: each reminder is claimed on the action's row
with a conditional UPDATE (`due_soon_notified_at`, `overdue_notified_at`), so a second run, or a second
worker, sends nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.workcalendar import Calendar
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.selectors import calendar_for, project_staff
from estatedesk.quality import events
from estatedesk.quality.choices import OPEN_STAGES
from estatedesk.quality.models import NonconformityAction, QualityRules
from estatedesk.quality.services import nonconformity_url

DEFAULT_REMIND_DAYS = 2  # QualityRules' default, for a company without its row
MAX_REMIND_DAYS = 30  # working days; the calendar scan below looks at most this far ahead (in weeks)


def _calendar(project: Project) -> Calendar:
    if project.service_calendar is not None:
        return calendar_for(project.service_calendar)
    return Calendar(tz=ZoneInfo(settings.TIME_ZONE), weekdays=frozenset(range(5)))


def remind_on(*, due_on: date, working_days: int, calendar: Calendar) -> date:
    """The working day `working_days` working days before `due_on` (the deadline itself when 0)."""
    day = due_on
    left = working_days
    while left > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
        if (due_on - day).days > 7 * MAX_REMIND_DAYS:
            break
    return day


@dataclass
class ReminderRun:
    due_soon: int = 0
    overdue: int = 0


def _claim(action: NonconformityAction, column: str, now: datetime) -> bool:
    return bool(
        NonconformityAction.objects.filter(pk=action.pk, **{f"{column}__isnull": True}).update(
            **{column: now}
        )
    )


def actions_remind(*, now: datetime | None = None) -> ReminderRun:
    """Send the reminders due at `now`; each once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = ReminderRun()
    rules = dict(QualityRules.objects.values_list("company_id", "remind_working_days_before"))
    horizon = today + timedelta(days=7 * MAX_REMIND_DAYS)
    actions = NonconformityAction.objects.filter(
        done_at__isnull=True, nonconformity__stage__in=OPEN_STAGES, due_on__lte=horizon
    )
    calendars: dict[int, Calendar] = {}
    for action in actions.select_related(
        "owner", "nonconformity__project__branch", "nonconformity__project__service_calendar"
    ).order_by("due_on", "id"):
        project = action.nonconformity.project
        if action.due_on < today:
            if action.overdue_notified_at is None:
                run.overdue += _overdue(action, now)
            continue
        if action.due_soon_notified_at is not None:
            continue
        if project.pk not in calendars:
            calendars[project.pk] = _calendar(project)
        days = rules.get(project.branch.company_id, DEFAULT_REMIND_DAYS)
        if today >= remind_on(due_on=action.due_on, working_days=days, calendar=calendars[project.pk]):
            run.due_soon += _due_soon(action, now)
    return run


@transaction.atomic
def _due_soon(action: NonconformityAction, now: datetime) -> int:
    if not _claim(action, "due_soon_notified_at", now):
        return 0
    nonconformity = action.nonconformity
    notify(
        users=[action.owner],
        title=_("%(reference)s: your action is due %(due)s")
        % {"reference": nonconformity.reference, "due": f"{action.due_on:%Y-%m-%d}"},
        body=action.description[:500],
        url=nonconformity_url(nonconformity),
    )
    events.reminded(action=action, which="due_soon", notified=[action.owner_id])
    return 1


@transaction.atomic
def _overdue(action: NonconformityAction, now: datetime) -> int:
    if not _claim(action, "overdue_notified_at", now):
        return 0
    nonconformity = action.nonconformity
    managers = project_staff(project=nonconformity.project, roles={Role.PROJECT_MANAGER})
    users = [action.owner, *managers]
    notify(
        users=users,
        title=_("%(reference)s: an action is overdue (due %(due)s, %(owner)s)")
        % {"reference": nonconformity.reference, "due": f"{action.due_on:%Y-%m-%d}", "owner": action.owner},
        body=action.description[:500],
        url=nonconformity_url(nonconformity),
    )
    events.reminded(action=action, which="overdue", notified=sorted({user.pk for user in users}))
    return 1
