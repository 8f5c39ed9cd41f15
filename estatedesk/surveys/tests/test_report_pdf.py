"""R-CS-2, R-SV-5: the statistical analysis report prints as a PDF in Chinese, with the figures of
`figures.campaign_figures` (the same numbers as every page), the Pareto chart, the author and reviewer, and
the recipients once distributed; a draft is marked as such."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

from django.urls import reverse

from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department
from estatedesk.surveys import reports
from estatedesk.surveys.report_pdf import campaign_report_pdf, report_html
from estatedesk.surveys.tests.test_reports_world import add_form, make_campaign, member, survey

__all__ = ["survey"]


def _text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (scripts/system-deps.sh)"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return "".join(out.split())


def _approve(survey, world):
    report = reports.report_draft(
        actor=world.supervisor_a,
        campaign=survey.campaign,
        summary="工程维修不满意集中在报修响应慢，工程部一周内整改。",
    )
    reports.report_submit(actor=world.supervisor_a, report=report)
    return reports.report_review(actor=world.pm_a, report=report, approve=True, note="同意")


def test_cs_2_the_approved_report_prints_in_chinese_with_the_figures(survey, world, tmp_path):
    report = _approve(survey, world)

    with report.pdf.open("rb") as handle:
        text = _text(handle.read(), tmp_path)

    for words in (
        "统计分析报告",
        survey.campaign.title,
        survey.campaign.reference,
        "海景花园",
        "2026-11-01~2026-11-30",
        "客户服务部",  # the running department
        "回收率",
        "总体满意率",
        "70.59%",  # 12 qualified of 17 rated, 未表态 left out
        "很满意",
        "较满意",
        "不满意",
        "未表态",
        "客户服务",
        "80.00%",
        "工程维修",
        "50.00%",
        "保洁卫生",
        "83.33%",
        "1号楼",
        "75.00%",
        "中心花园",
        "60.00%",
        "不满意项排列图",
        "累计百分比",
        "工程维修不满意集中在报修响应慢",
        "编制人",
        "supervisor_a",
        "审核人",
        "pm_a",
        "无可比较的上次调查",
    ):
        assert words in text, words
    assert "草稿" not in text
    # the Pareto table: 工程维修 3 of 5 unsatisfied (60.00%), then 客户服务 and 保洁卫生 with 1 each
    assert "工程维修360.00%60.00%" in text


def test_cs_2_a_draft_pdf_is_marked_and_shows_live_figures(survey, world, tmp_path):
    text = _text(campaign_report_pdf(campaign=survey.campaign, report=None), tmp_path)

    assert "草稿" in text
    assert "DRAFT" in text
    assert "70.59%" in text


def test_cs_2_the_pdf_compares_with_the_previous_campaign(survey, world, tmp_path):
    earlier = make_campaign(world, reference="SV-QD-A-202610-01", period_start=date(2026, 10, 1))
    building, garden = earlier.areas
    add_form(earlier, building, [1, 1, 1])
    add_form(earlier, garden, [4, 1, 1])  # then: 客户服务 50.00%, 工程维修 100.00%

    text = _text(campaign_report_pdf(campaign=survey.campaign, report=None), tmp_path)

    assert "与上次调查比较" in text
    assert "SV-QD-A-202610-01" in text
    assert "客户服务50.00%80.00%+30.00" in text
    assert "工程维修100.00%50.00%-50.00" in text


def test_sv_5_the_distributed_report_lists_its_recipients(survey, world, django_user_model, tmp_path):
    engineering = Department.objects.create(
        company=world.company, project=world.project_a, kind=DepartmentKind.ENGINEERING, name="海景工程部"
    )
    member(
        django_user_model,
        world,
        "engineer",
        Role.DEPT_SUPERVISOR,
        project=world.project_a,
        department=engineering,
    )
    report = _approve(survey, world)
    reports.report_distribute(actor=world.pm_a, report=report, departments=[engineering])
    report.refresh_from_db()

    with report.pdf.open("rb") as handle:
        text = _text(handle.read(), tmp_path)

    assert "分发" in text
    assert "engineer海景工程部" in text


def test_cs_2_typed_text_is_escaped_and_cannot_reorder_the_page(survey, world):
    report = _approve(survey, world)
    report.summary = "<script>alert(1)</script>\u202egpj.exe"

    html = report_html(campaign=survey.campaign, report=report)

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "\u202e" not in html


def test_cs_2_the_report_pdf_page_serves_the_stored_pdf_once_approved(survey, world, login):
    report = _approve(survey, world)
    with report.pdf.open("rb") as handle:
        stored = handle.read()

    response = login(world.supervisor_a).get(reverse("surveys:report_pdf", args=[survey.campaign.reference]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored


def test_cs_2_the_report_pdf_page_renders_a_draft_before_approval(survey, world, login, tmp_path):
    response = login(world.pm_a).get(reverse("surveys:report_pdf", args=[survey.campaign.reference]))

    assert response.status_code == 200
    assert "草稿" in _text(response.content, tmp_path)


def test_cs_2_an_undefined_rate_prints_as_a_dash(world, tmp_path):
    from estatedesk.surveys.tests.test_reports_world import routes

    routes(world.company)
    only_unrated = make_campaign(world, reference="SV-QD-A-202612-01", period_start=date(2026, 12, 1))
    add_form(only_unrated, only_unrated.areas[0], [0, 0, 0])
    add_form(only_unrated, only_unrated.areas[1], [0, 0, 0])

    text = _text(campaign_report_pdf(campaign=only_unrated.campaign, report=None), tmp_path)

    assert "总体满意率—" in text
    assert "合格项0÷表态0；不满意0；未表态6" in text
    for label in ("客户服务", "工程维修", "保洁卫生"):
        assert f"{label}000020—" in text  # no answer rated: "—", never 0.00% or 100.00%
    assert "本次调查没有不满意的回答" in text
