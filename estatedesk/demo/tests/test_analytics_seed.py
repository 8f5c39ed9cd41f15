"""The demo's analytics (issue 15, R-FB-7): after `seed_demo`, last month's packs exist for the company and
each branch company (made as the scheduled run makes them), the company's again as version 2 with a note,
each with a PDF and a workbook that open; the default alert rules and an alerts check; and last month
looks like a real property company's month on the dashboard. A second seeding adds nothing.

The demo is seeded once for the package (estatedesk/demo/tests/conftest.py's `demo_seeded`, files in a
temporary MEDIA_ROOT)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from openpyxl import load_workbook

from estatedesk.analytics.choices import PackTrigger
from estatedesk.analytics.metrics import metrics_report
from estatedesk.analytics.models import AlertBreach, AlertRule, MonthlyPack
from estatedesk.analytics.periods import last_closed_month
from estatedesk.analytics.scopes import company_scope
from estatedesk.demo.analytics_seeding import REGENERATION_NOTE, seed_analytics
from estatedesk.org.models import Branch, Company


def _month():
    return last_closed_month(timezone.now()).start


def test_fb_7_demo_has_last_months_packs_for_the_company_and_each_branch(demo_seeded, db):
    month = _month()
    company = Company.objects.get(code="AJ")

    packs = MonthlyPack.objects.filter(company=company, month=month)

    branch_keys = {f"branch:{code}" for code in Branch.objects.values_list("code", flat=True)}
    assert branch_keys == {"branch:QD", "branch:JN"}
    assert set(packs.filter(version=1).values_list("scope_key", "trigger")) == {
        ("company", PackTrigger.SCHEDULE),
        *((key, PackTrigger.SCHEDULE) for key in branch_keys),
    }
    second = packs.get(scope_key="company", version=2)
    assert second.trigger == PackTrigger.REGENERATE
    assert second.generated_by is not None
    assert second.generated_by.username == "hq"
    assert REGENERATION_NOTE in second.change_note
    assert packs.count() == 4


def test_fb_7_demo_packs_pdf_and_workbook_open(demo_seeded, db):
    for pack in MonthlyPack.objects.filter(month=_month()):
        with pack.pdf.open("rb") as handle:
            pdf = handle.read()
        with pack.workbook.open("rb") as handle:
            book = load_workbook(io.BytesIO(handle.read()))
        assert pdf.startswith(b"%PDF-"), pack
        assert len(book.worksheets) >= 2, pack
        if shutil.which("pdftotext"):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "pack.pdf"
                path.write_bytes(pdf)
                text = subprocess.run(  # noqa: S603 - a fixed program on our own file
                    ["pdftotext", "-enc", "UTF-8", str(path), "-"],  # noqa: S607
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            assert pack.scope_label.split(" · ")[-1] in text.replace("\n", ""), pack


def test_fb_7_demo_has_alert_rules_and_alerts_and_a_second_seeding_adds_nothing(demo_seeded, db):
    company = Company.objects.get(code="AJ")
    rules = AlertRule.objects.filter(company=company).count()
    packs = MonthlyPack.objects.count()

    again = seed_analytics(company=company)

    assert rules >= 4  # the three defaults and HQ's rule on overdue items
    assert AlertBreach.objects.filter(rule__company=company).exists()  # the alert list has entries
    assert again["alert_rules"] == 0
    assert again["packs"] == 0
    assert (AlertRule.objects.filter(company=company).count(), MonthlyPack.objects.count()) == (rules, packs)


def test_fb_7_demo_month_looks_like_a_real_property_companys_month(demo_seeded, db):
    # the company's last month on the dashboard: dozens to hundreds of items, rates a real company shows
    period = last_closed_month(timezone.now())
    report = metrics_report(scope=company_scope(Company.objects.get(code="AJ")), period=period)
    figures = report.current.figures

    assert 30 <= figures["feedback.total"].value <= 1000
    assert figures["visits.due"].value >= 30  # the visits of the month before's customers, due last month
    floors = {
        "feedback.contact.on_time": 70,
        "feedback.arrange.on_time": 70,
        "feedback.action.on_time": 70,
        "feedback.resolution.on_time": 70,
        "visits.coverage": 60,  # customers not reached or not yet told the result are not visited
        "visits.satisfaction": 70,
        "surveys.satisfaction": 70,
    }
    shown = {key: figures[key].value for key in floors}
    low = [key for key, value in shown.items() if value is None or not Decimal(floors[key]) <= value <= 100]
    assert not low, shown
