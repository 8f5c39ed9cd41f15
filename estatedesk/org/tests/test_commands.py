from io import StringIO

import pytest
from django.core.management import call_command

from estatedesk.org.models import Company, PublicHoliday, WorkingCalendar


@pytest.mark.django_db
def test_ch_1_setup_company_seeds_calendars_and_holidays_once():
    call_command("setup_company", "--code", "AJ", "--name", "安居物业", stdout=StringIO())
    call_command("setup_company", "--code", "AJ", "--name", "安居物业", stdout=StringIO())
    company = Company.objects.get(code="AJ")
    calendars = {c.code: c for c in WorkingCalendar.objects.filter(company=company)}
    assert set(calendars) == {"CS-CENTRE", "HOTLINE-24H", "OFFICE"}
    centre = calendars["CS-CENTRE"]
    assert (centre.opens_at.hour, centre.closes_at.hour, centre.is_24_hours) == (8, 20, False)  # 12 hours
    assert calendars["HOTLINE-24H"].is_24_hours
    years = set(PublicHoliday.objects.filter(company=company).values_list("day__year", flat=True))
    assert years == {2026, 2027}
    assert PublicHoliday.objects.filter(company=company, kind="makeup_workday", day__year=2026).count() == 6
