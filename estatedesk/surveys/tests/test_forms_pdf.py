"""R-SV-6: the feedback collection form (附表一) printed per numbered form: bilingual, Chinese extractable
from the PDF (so the fonts are embedded with their text), one A4 page a form, a QR code of the form's own
address, and the print time recorded."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from estatedesk.surveys import campaigns, forms_pdf
from estatedesk.surveys.models import SurveyForm
from estatedesk.surveys.tests.test_campaigns import area_named, make_campaign


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "forms.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        ["/usr/bin/pdfinfo", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def test_sv_6_form_prints_bilingual_with_serial_and_chinese_extractable(world: Any, tmp_path: Path) -> None:
    # given two numbered forms of 1号楼
    campaign = make_campaign(world)
    area = area_named(campaign, "1号楼")
    made = campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=area, count=2)
    # when they are printed
    pdf = forms_pdf.forms_pdf(campaign=campaign, area=area, forms=made, base="https://desk.example.cn/")
    # then each is one A4 page of 附表一 in Chinese and English
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf, tmp_path) == 2
    text = _text(pdf, tmp_path)
    for words in (
        "安居物业",
        "物业服务质量意见征询表",
        "LETTER OF FEEDBACK COLLECTION",
        "感谢您对本公司的支持和关心",
        "Thank you for your support and attention!",
        "很满意",
        "满意",
        "较满意",
        "不满意",
        "Very satisfied",
        "Fairly satisfied",
        "Unsatisfied",
        "客户服务",
        "Engineering repairs",
        "意见",
        "Your feedback",
        "客户",
        "Your name",
        "日期",
        "Date",
        "海景花园 · 1号楼",
        "0001",
        "0002",
    ):
        assert words in text, words
    # and the QR code's address (printed small beneath it too) is the form's own
    flat = "".join(text.split())
    for form in made:
        assert f"https://desk.example.cn/s/{form.token}/" in flat
    assert SurveyForm.objects.filter(pk__in=[f.pk for f in made], printed_at__isnull=False).count() == 2


def test_sv_6_qr_code_is_inline_svg_of_the_answer_address() -> None:
    svg = forms_pdf.qr_svg("https://desk.example.cn/s/abc/")
    assert svg.startswith("<svg")
    assert "https://desk.example.cn/s/abc/" in svg
    assert (
        forms_pdf.answer_url(base="https://desk.example.cn", token="abc") == "https://desk.example.cn/s/abc/"
    )


def test_sv_6_public_address_setting_wins_over_the_request(settings: Any) -> None:
    settings.ESTATEDESK_PUBLIC_URL = "https://public.example.cn/"
    assert forms_pdf.base_url("http://10.0.0.5:8000/") == "https://public.example.cn/"
    settings.ESTATEDESK_PUBLIC_URL = ""
    assert forms_pdf.base_url("http://10.0.0.5:8000/") == "http://10.0.0.5:8000/"


def test_sv_6_typed_text_cannot_reorder_the_printed_form(world: Any, tmp_path: Path) -> None:
    campaign = make_campaign(world)
    type(campaign).objects.filter(pk=campaign.pk).update(greeting="尊敬的客户\u202e你好")
    campaign.refresh_from_db()
    area = area_named(campaign, "中心花园")
    made = campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=area, count=1)
    text = _text(forms_pdf.forms_pdf(campaign=campaign, area=area, forms=made, base="http://x/"), tmp_path)
    assert "尊敬的客户你好" in text
    assert "\u202e" not in text
