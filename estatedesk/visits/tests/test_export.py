"""The monthly return-visit list as Excel (R-FB-6): the rows of the month, phones masked for whoever does
not call owners, nothing for anyone else."""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from estatedesk.common.audit import AuditEntry
from estatedesk.visits.choices import Grade, Purpose
from estatedesk.visits.export import HEADERS, monthly_list_export
from estatedesk.visits.models import VisitAttempt
from estatedesk.visits.tests.ui_fixtures import MONTH, grade_row, handled_item, make_visit


def read_rows(path: str) -> list[list]:
    try:
        sheet = load_workbook(path, read_only=True).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        os.unlink(path)


@pytest.fixture
def month_list(world):
    item = handled_item(world)
    graded = grade_row(make_visit(world, item), grade=Grade.B, by=world.supervisor_a)
    due = make_visit(
        world, None, customer_key="p13900005678", customer_name="邻居", customer_phone="13900005678"
    )
    VisitAttempt.objects.create(visit=due, at=graded.recorded_at, outcome="no_answer", by=world.supervisor_a)
    VisitAttempt.objects.create(
        visit=due, at=graded.recorded_at, outcome="rescheduled", by=world.supervisor_a
    )
    make_visit(world, None, customer_key="other-month", month=date(2026, 9, 1), customer_name="九月客户")
    make_visit(
        world, None, purpose=Purpose.AD_HOC, customer_key="adhoc", month=None, customer_name="临时客户"
    )
    return graded, due


def test_r_fb_6_export_lists_the_months_visits_with_full_phones_for_who_calls_owners(world, month_list):
    # given two monthly visits of October, one graded B, one due after two attempts
    # when the project manager (who calls owners) exports October
    rows = read_rows(monthly_list_export(actor=world.pm_a, project=world.project_a, month=MONTH))
    # then the sheet has the header and the two October visits, phones in full
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == ["沈业主", "邻居"]
    graded, due = rows[1], rows[2]
    assert graded[1] == "13800001234"
    assert graded[2].endswith("厨房水管漏水")
    assert graded[4] == "supervisor_a"
    assert graded[7] == 0
    assert graded[6] == "已回访"
    assert graded[8] == "B 较满意"
    assert due[1] == "13900005678"
    assert due[7] == 2  # attempts are counted, never a grade
    assert due[6] == "待回访"
    assert due[8] is None
    entry = AuditEntry.objects.get(action="export", project_id=world.project_a.pk)
    assert entry.changes["phones"] == [None, "full"]


def test_r_fb_6_export_masks_phones_for_a_manager_who_does_not_call_owners(world, month_list):
    # given the branch manager, who may export but does not call owners
    rows = read_rows(monthly_list_export(actor=world.branch_manager, project=world.project_a, month=MONTH))
    # then the phones are masked in the workbook too
    assert [row[1] for row in rows[1:]] == ["138****1234", "139****5678"]
    assert "13800001234" not in str(rows)


def test_r_fb_6_export_refused_to_an_outsider_and_an_agent(world, month_list):
    with pytest.raises(PermissionDenied):
        monthly_list_export(actor=world.outsider, project=world.project_a, month=MONTH)
    with pytest.raises(PermissionDenied):
        monthly_list_export(actor=world.agent_a, project=world.project_a, month=MONTH)
