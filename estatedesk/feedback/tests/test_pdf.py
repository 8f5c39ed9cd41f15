"""附表二, the execution record of an item, as a printable PDF (R-FB-8)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from django.test import Client

from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.pdf import execution_record_pdf
from estatedesk.feedback.selectors import execution_record_rows
from estatedesk.feedback.services import execution_record_update, feedback_item_rate
from estatedesk.feedback.tests.helpers import add_member
from estatedesk.org.choices import Role
from estatedesk.owners.models import Resident

HEADINGS = [
    ("客户名称", "Customer"),
    ("反馈意见", "Feedback"),
    ("品质部意见", "QA department's opinion"),
    ("管理处执行记录", "Management office's execution record"),
    ("品质部验收", "QA acceptance"),
    ("客户验收", "Customer acceptance"),
    ("执行人", "Executor"),
    ("执行时间", "Execution time"),
]
EXECUTED_AT = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai


def pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (scripts/system-deps.sh)"
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def item(world):
    resident = Resident.objects.get(user=world.owner_a)
    return feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            title="厨房水管漏水",
            description="厨房水管漏水，地面有积水。",
            resident=resident,
            unit=world.unit_a,
        ),
    )


@pytest.fixture
def recorded_item(world, item):
    """附表二 written in its order (R-FB-8): QA's opinion, the office's record, QA's acceptance, and the
    customer's acceptance from their rating."""
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    execution_record_update(actor=qa, item=item, qa_opinion="同意维修，当天完成")
    execution_record_update(
        actor=world.pm_a,
        item=item,
        office_record="已更换厨房进水软管",
        executor_name="王师傅",
        executed_at=EXECUTED_AT,
    )
    execution_record_update(actor=qa, item=item, qa_acceptance="合格，无渗漏")
    FeedbackItem.objects.filter(pk=item.pk).update(customer_informed_at=EXECUTED_AT)  # told the result
    item.refresh_from_db()
    return feedback_item_rate(actor=world.owner_a, item=item, rating="A", comment="满意")


def test_fb_8_execution_record_pdf_shows_bilingual_headings_and_the_record(world, recorded_item, tmp_path):
    # when
    data = execution_record_pdf(item=recorded_item)
    # then
    assert data.startswith(b"%PDF-")
    text = squeeze(pdf_text(data, tmp_path))
    assert squeeze("物业质量反馈意见执行调查表") in text
    assert squeeze("Quality feedback execution record") in text
    for chinese, english in HEADINGS:
        assert chinese in text
        assert squeeze(english) in text
    for value in (
        "安居物业",
        "海景花园",
        recorded_item.reference,
        "沈业主·1-1-101",
        "厨房水管漏水，地面有积水。",
        "同意维修，当天完成",
        "已更换厨房进水软管",
        "合格，无渗漏",
        "A·满意·满意",
        "王师傅",
        "2026-11-2614:30",
        "签Signed:qa_a",
        "签Signed:pm_a",
    ):
        assert value in text, value


def test_fb_8_chinese_is_set_in_an_embedded_cjk_font_not_tofu(recorded_item, tmp_path):
    # when
    fonts = pdf_fonts(execution_record_pdf(item=recorded_item), tmp_path)
    # then: every font in the file is Noto Sans CJK, embedded and subset
    lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert lines
    for line in lines:
        assert "Noto-Sans-CJK-SC" in line or "NotoSansCJKsc" in line, line
        assert " yes yes yes " in line, line


def test_fb_8_without_a_record_the_item_facts_fill_in_and_the_rest_stays_blank(world, item):
    # given: no execution record yet
    # when
    fields = {row.english: row.value for row in execution_record_rows(item=item)}
    # then
    assert fields == {
        "Customer": "沈业主 · 1-1-101",
        "Feedback": "厨房水管漏水，地面有积水。",
        "QA department's opinion": "",
        "Management office's execution record": "",
        "QA acceptance": "",
        "Customer acceptance": "",
        "Executor": "",
        "Execution time": "",
    }


def test_fb_8_staff_of_the_project_get_the_pdf_inline(world, recorded_item, login):
    # when
    response = login(world.agent_a).get(f"/feedback/{recorded_item.reference}/execution-record.pdf")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="{recorded_item.reference}-execution-record.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


def test_fb_8_outsider_gets_404(world, recorded_item, login):
    response = login(world.outsider).get(f"/feedback/{recorded_item.reference}/execution-record.pdf")
    assert response.status_code == 404


def test_fb_8_the_customer_cannot_print_the_internal_record(world, recorded_item, login):
    # the owner sees their own item in the portal, but not this staff form
    response = login(world.owner_a).get(f"/feedback/{recorded_item.reference}/execution-record.pdf")
    assert response.status_code == 403


def test_fb_8_another_owner_gets_404_and_anonymous_is_sent_to_sign_in(
    world, recorded_item, login, django_user_model
):
    neighbour = django_user_model.objects.create_user(username="neighbour", password="x-pass-2026!")
    Resident.objects.filter(name="邻居").update(user=neighbour)
    url = f"/feedback/{recorded_item.reference}/execution-record.pdf"
    assert login(neighbour).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
