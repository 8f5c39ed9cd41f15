"""R-CH-1: stored calendars become working-time arithmetic with the company's holidays."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from estatedesk.common.workcalendar import add_working_time
from estatedesk.org.models import WorkingCalendar
from estatedesk.org.selectors import calendar_for

TZ = ZoneInfo("Asia/Shanghai")


def test_ch_1_office_calendar_uses_the_seeded_2026_holidays(world):
    office = calendar_for(WorkingCalendar.objects.get(code="OFFICE"))
    # Wednesday 30 September 17:00 + 2 working hours: the National Day week is closed.
    due = add_working_time(office, datetime(2026, 9, 30, 17, 0, tzinfo=TZ), timedelta(hours=2))
    assert due == datetime(2026, 10, 8, 10, 0, tzinfo=TZ)
    # Saturday 10 October 2026 is a make-up working day.
    assert office.is_working_day(datetime(2026, 10, 10, tzinfo=TZ).date())


def test_ch_1_project_service_centre_is_12_hours_and_hotline_24(world):
    centre = calendar_for(world.project_a.service_calendar)
    hotline = calendar_for(world.project_a.hotline_calendar)
    late = datetime(2026, 11, 26, 21, 0, tzinfo=TZ)
    assert add_working_time(centre, late, timedelta(hours=1)) == datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
    assert add_working_time(hotline, late, timedelta(hours=1)) == datetime(2026, 11, 26, 22, 0, tzinfo=TZ)


def test_ch_1_a_holiday_added_by_hq_changes_the_clock(world):
    from datetime import date

    from estatedesk.org.services import public_holiday_set

    public_holiday_set(
        actor=world.hq, company=world.company, day=date(2026, 12, 1), kind="holiday", name="测试假日"
    )
    office = calendar_for(WorkingCalendar.objects.get(code="OFFICE"))
    due = add_working_time(office, datetime(2026, 11, 30, 17, 0, tzinfo=TZ), timedelta(hours=2))
    assert due == datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
