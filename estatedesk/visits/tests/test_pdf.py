"""附表三 回访记录表 as a printable PDF (R-RV-5): every field of the form, Chinese rendered right."""

from __future__ import annotations

import pytest

from estatedesk.feedback.tests.test_pdf import pdf_fonts, pdf_text, squeeze
from estatedesk.org.models import Department
from estatedesk.visits.choices import Grade
from estatedesk.visits.pdf import return_visit_pdf
from estatedesk.visits.tests.ui_fixtures import grade_row, handled_item, make_visit

FIELDS = ["项目", "管理处", "回访内容及处理结果", "客户满意度", "客户签名", "回访人员签名", "日期", "记录"]


@pytest.fixture
def graded(world):
    item = handled_item(world)
    office = Department.objects.get(project=world.project_a)  # 海景花园客服部, frozen at the grade
    return grade_row(make_visit(world, item, handler_department=office), grade=Grade.A, by=world.supervisor_a)


def test_r_rv_5_record_holds_every_field_of_the_form_in_chinese(world, graded, tmp_path):
    # given a monthly visit graded A by supervisor_a on 2026-11-03
    # when its record is printed
    data = return_visit_pdf(visit=graded)
    # then the PDF reads every heading of 附表三, the project, the office and the result in Chinese
    text = squeeze(pdf_text(data, tmp_path))
    assert data.startswith(b"%PDF-")
    for heading in FIELDS:
        assert heading in text, heading
    assert "回访记录表" in text
    assert "海景花园" in text  # the project
    assert "海景花园客服部" in text
    assert "厨房水管漏水" in text  # the item
    assert "维修及时，师傅态度很好" in text  # what the customer said
    assert "水管已更换，地面已清理" in text  # the handling result
    assert "■A满意" in text  # the grade ticked
    assert "□B较满意" in text
    assert "□C不满意" in text
    assert "2026-11-03" in text  # the visit date and the record date
    assert text.count("supervisor_a") == 2  # visitor and recorder
    assert "Noto-Sans-CJK-SC" in pdf_fonts(data, tmp_path)


def test_r_rv_5_record_foot_names_the_recorder_and_the_record_date(world, graded, tmp_path):
    # given a visit made by supervisor_a, recorded by pm_a on 2026-11-04 (the recorder may differ)
    graded.recorded_by = world.pm_a
    graded.recorded_at = graded.recorded_at.replace(day=4)
    graded.save()
    # when printed
    text = squeeze(pdf_text(return_visit_pdf(visit=graded), tmp_path))
    # then the foot reads the recorder and the record date
    assert "记录Recorder:pm_a" in text
    assert "日期Recorddate:2026-11-04" in text


def test_r_rv_5_paid_service_record_says_whether_quality_was_met(world, tmp_path):
    item = handled_item(world, is_paid_service=True)
    visit = make_visit(world, item, purpose="paid_service", month=None)
    visit.quality_met = False
    grade_row(visit, grade=Grade.C, by=world.supervisor_a)
    text = squeeze(pdf_text(return_visit_pdf(visit=visit), tmp_path))
    assert "■C不满意" in text
    assert "是否符合质量要求Metqualityrequirements:否No" in text
