"""R-OA-2 in the browser: a CS supervisor uploads a messy 20,000-row workbook, reads every problem on the
dry-run page, fixes the file, imports it, and importing the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from estatedesk.owners.models import Occupancy, Resident
from estatedesk.owners.spreadsheet import COLUMNS
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser
ROWS = 20_000
HEADERS = [column.zh for column in COLUMNS]


def clean_rows() -> list[dict[str, Any]]:
    """20,000 people in new units of the demo's buildings 1–8 (floors 20–99), one per unit."""
    rows = []
    for index in range(ROWS):
        building, rest = divmod(index, 2500)
        entrance, rest = divmod(rest, 1250)
        floor, door = divmod(rest, 16)
        rows.append(
            {
                "楼栋": str(building + 1),
                "单元": str(entrance + 1),
                "房号": f"{floor + 20}{door + 1:02d}",
                "姓名": f"导入{index:05d}",
                "手机": f"186{index:08d}",
                "入住日期": "2023-03-01",
            }
        )
    rows[7]["姓名"] = "=1+1"  # a formula cell: taken as its text, never evaluated
    return rows


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("业户档案")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(header) for header in HEADERS])
    book.save(path)
    return path


def messy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [dict(row) for row in rows]
    rows[99]["手机"] = "1380000"  # spreadsheet row 101: bad phone
    rows[199]["楼栋"] = "99"  # row 201: unknown building
    rows[299]["姓名"] = ""  # row 301: missing required field
    rows[399]["入住日期"] = "2023-13-45"  # row 401: bad date
    rows[500] = dict(rows[499])  # row 502: the same person as row 501
    return rows


def test_oa_2_messy_20000_row_import_in_the_browser(page, log_in, tmp_path):
    page.set_default_timeout(120_000)
    log_in("supervisor_a")
    rows = clean_rows()

    # 1. the messy file: every problem with its row, column and message; nothing imported
    page.goto("/archive/QD-HJ/import/")
    page.set_input_files("input[type=file]", str(write(tmp_path / "业主-有错.xlsx", messy(rows))))
    page.get_by_test_id("import-check").click()
    page.wait_for_selector("[data-testid=import-problems]")
    assert page.get_by_test_id("import-rows").inner_text() == str(ROWS)
    assert page.get_by_test_id("import-problem-count").inner_text() == "5"
    problems = [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.get_by_test_id("import-problem").all()
    ]
    assert [(row, column) for row, column, _message in problems] == [
        ("101", "手机"),
        ("201", "楼栋"),
        ("301", "姓名"),
        ("401", "入住日期"),
        ("502", "手机"),
    ]
    messages = " ".join(message for *_, message in problems)
    assert "1380000" in messages
    assert "99" in messages
    assert "第 501 行" in messages
    assert page.get_by_test_id("import-commit").count() == 0
    assert not Resident.objects.filter(name__startswith="导入").exists()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "import-problems.png"), full_page=False)

    # 2. the corrected file: checked, then imported at once
    clean = write(tmp_path / "业主.xlsx", rows)
    page.goto("/archive/QD-HJ/import/")
    page.set_input_files("input[type=file]", str(clean))
    page.get_by_test_id("import-check").click()
    page.wait_for_selector("[data-testid=import-commit]")
    assert page.get_by_test_id("import-created").inner_text() == str(ROWS)
    page.get_by_test_id("import-commit").click()
    page.wait_for_selector("text=已导入")
    assert Resident.objects.filter(name__startswith="导入").count() == ROWS - 1
    assert Resident.objects.filter(name="=1+1").count() == 1
    occupancies = Occupancy.objects.filter(unit__project__code="QD-HJ").count()

    # 3. the same file again changes nothing
    page.goto("/archive/QD-HJ/import/")
    page.set_input_files("input[type=file]", str(clean))
    page.get_by_test_id("import-check").click()
    page.wait_for_selector("[data-testid=import-commit]")
    assert page.get_by_test_id("import-unchanged").inner_text() == str(ROWS)
    assert page.get_by_test_id("import-created").inner_text() == "0"
    page.get_by_test_id("import-commit").click()
    page.wait_for_selector("text=已导入")
    assert Resident.objects.filter(name__startswith="导入").count() == ROWS - 1
    assert Occupancy.objects.filter(unit__project__code="QD-HJ").count() == occupancies

    # 4. the formula cell shows as text in the archive
    page.goto("/archive/QD-HJ/?q=%3D1%2B1")
    assert page.get_by_test_id("resident-row").count() == 1
    assert page.get_by_test_id("resident-row").locator("a").inner_text() == "=1+1"
