"""When a visit is due (R-FB-6, R-RV-2, R-RV-3): a number of working days on the project's calendar.
Pure apart from `project_calendar`, which reads the project's service-centre calendar as feedback's SLA
clocks do (feedback.clocks.calendars_for: a project without one is open round the clock).

"Due in N working days" ends at the close of the N-th working day, counting the start's own day when it
is a working day and the start is before its close: a list made on Monday 1st at 08:00 with 5 working days
is due on Friday 5th at closing time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from estatedesk.common.workcalendar import MAX_DAYS_SCANNED, Calendar, CalendarError
from estatedesk.feedback import clocks
from estatedesk.org.models import Project


def project_calendar(project: Project) -> Calendar:
    """The project's service-centre calendar (the hours visits are made and escalated in)."""
    return clocks.calendars_for(project).service


def due_after_working_days(calendar: Calendar, start: datetime, days: int) -> datetime:
    """The close of the `days`-th working day from `start` (at least one day is counted)."""
    if start.tzinfo is None:
        raise CalendarError("datetimes must be timezone-aware")
    day = start.astimezone(calendar.tz).date()
    counted = 0
    for offset in range(MAX_DAYS_SCANNED):
        interval = calendar.open_interval(day + timedelta(days=offset))
        if interval is None or interval[1] <= start:
            continue
        counted += 1
        if counted >= max(days, 1):
            return interval[1]
    raise CalendarError("the calendar has no working time in the next three years")
