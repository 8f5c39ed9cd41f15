"""R-OA-2 in the browser.

1. A CS supervisor uploads a workbook as people keep it: sees how each column was read and every problem
   quoting the cells as typed, downloads the rows with problems, imports the sound rows now (an explicit
   choice), corrects the downloaded rows and imports them, on a phone as on a desktop.
2. A messy 20,000-row workbook is checked and imported by the worker, never in the request, with a
   progress bar on the page: every problem on the dry-run page, the corrected file imported at once, and
   the same file again changes nothing.

The worker is run by the test (`estatedesk worker` in batch mode), in the test's thread, while the browser
polls the page; waits are Playwright's, never sleeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from estatedesk.owners.models import ImportBatch, Occupancy, Resident
from estatedesk.owners.spreadsheet import COLUMNS
from estatedesk.owners.tests.messy import SOUND, messy_workbook
from tests.browser.conftest import PHONE, SCREENSHOTS

pytestmark = pytest.mark.browser
ROWS = 20_000
HEADERS = [column.zh for column in COLUMNS]
FIXED = {"赵六": "13711110008", "钱七": None, "孙八": "15112342746", "郑一": "13711110013"}


def run_worker() -> None:
    """What `estatedesk worker` does, once: claim and run every queued task, then stop."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    ).run()
    assert not DBTaskResult.objects.failed().exists()


def check_file(page: Any, path: Path) -> None:
    page.goto("/archive/QD-HJ/import/")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.get_by_test_id("import-check").click()


# --- a workbook as people keep it, fixed and retried ----------------------------------------------------


def test_oa_2_messy_workbook_mapping_problems_sound_rows_and_fix_and_retry(
    page, log_in, screenshots, tmp_path
):
    log_in("supervisor_a")

    # 1. the dry run: how each column was read, the example row left out, every problem as typed
    check_file(page, messy_workbook(tmp_path / "业主信息.xlsx", entrance="3"))
    expect(page.get_by_test_id("import-layout-where")).to_contain_text("业主信息")
    mapping = [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.get_by_test_id("import-mapping-row").all()
    ]
    assert mapping[0] == ["业主姓名", "姓名 (Name)"]
    assert mapping[1] == ["联系电话", "手机 (Phone)"]
    assert [header for header, _column in mapping] == [
        "业主姓名",
        "联系电话",
        "身份证号",
        "身份",
        "楼号",
        "单元",
        "房间号",
        "入住时间",
    ]
    assert page.get_by_test_id("import-ignored-column").all_inner_texts() == ["序号"]
    expect(page.get_by_test_id("import-note")).to_contain_text("第 4 行")
    problems = [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.get_by_test_id("import-problem").all()
    ]
    assert [(row, column) for row, column, _message in problems] == [
        ("8", "联系电话"),
        ("9", "联系电话"),
        ("10", "联系电话"),
        ("12", "入住时间"),
        ("12", "身份证号"),
        ("13", "联系电话"),
    ]
    typed = ["“暂无”", "“—”", "“151****2746”", "“2024-13-45”", "“110105194912310000”", "“N/A”"]
    assert [next(cell for cell in typed if cell in message) for *_, message in problems] == typed
    assert page.get_by_test_id("import-commit").count() == 0
    screenshots("import-messy-dry-run")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 800})

    # 2. the rows with problems, downloaded as they were, with the problem column
    with page.expect_download() as download_info:
        page.get_by_test_id("import-problems-download").click()
    problem_rows = tmp_path / "problem-rows.xlsx"
    download_info.value.save_as(problem_rows)
    book = load_workbook(problem_rows)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][-1] == "问题 Problem"
    assert [row[1].strip() for row in rows[1:]] == ["赵六", "钱七", "孙八", "吴十", "郑一"]

    # 3. the sound rows now: an explicit choice, the rows with problems listed to correct
    form = page.get_by_test_id("import-sound-form")
    form.locator("input[name=skip_confirmed]").check()
    with page.expect_navigation():
        form.get_by_test_id("import-sound-commit").click()
    expect(page.get_by_test_id("import-committed")).to_be_visible()
    expect(page.get_by_test_id("import-status")).to_contain_text("有问题的行未导入")
    assert page.get_by_test_id("import-problem").count() == len(problems)
    expect(page.get_by_test_id("import-skipped-download")).to_be_visible()
    assert (
        Resident.objects.filter(name__in=SOUND.values(), occupancies__unit__label__startswith="1-3-").count()
        == 4
    )
    assert not Resident.objects.filter(name__in=FIXED).exists()

    # 4. the downloaded rows corrected and uploaded as they are, then imported
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        name = row[1].value.strip()
        if name in FIXED:
            row[2].value = FIXED[name]
        if name == "吴十":
            row[3].value = "11010519491231002X"
            row[8].value = "2024-05-01"
    book.save(problem_rows)
    check_file(page, problem_rows)
    expect(page.get_by_test_id("import-commit")).to_be_visible()
    assert page.get_by_test_id("import-problem").count() == 0
    assert "问题 Problem" in page.get_by_test_id("import-ignored").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-status")).to_have_text("已导入")
    assert Resident.objects.filter(name__in=[*FIXED, "吴十"]).count() == 5


# --- 20,000 rows in the worker --------------------------------------------------------------------------


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


def in_the_worker(page: Any, then: str) -> None:
    """The page shows the worker's progress; the worker runs; the page reloads itself on the result."""
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("import-progress-bar")).to_be_attached()
    run_worker()
    expect(page.get_by_test_id(then)).to_be_visible(timeout=60_000)


@pytest.mark.long
def test_oa_2_messy_20000_row_import_runs_in_the_worker_with_progress(page, log_in, tmp_path):
    page.set_default_timeout(120_000)
    log_in("supervisor_a")
    rows = clean_rows()

    # 1. the messy file: queued, checked by the worker, every problem with its row, column and message
    check_file(page, write(tmp_path / "业主-有错.xlsx", messy(rows)))
    batch = ImportBatch.objects.get()
    assert (batch.phase, batch.row_count) == (ImportBatch.Phase.QUEUED, 0)  # not read in the request
    expect(page.get_by_test_id("import-phase")).to_have_text("等待后台处理")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "import-progress.png"), full_page=False)
    in_the_worker(page, "import-problems")
    batch.refresh_from_db()
    assert (batch.rows_read, batch.rows_total) == (ROWS, ROWS)
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
    assert "“1380000”" in messages
    assert "“99”" in messages
    assert "“2023-13-45”" in messages
    assert "第 501 行" in messages
    assert page.get_by_test_id("import-commit").count() == 0
    assert not Resident.objects.filter(name__startswith="导入").exists()
    page.screenshot(path=str(SCREENSHOTS / "import-problems.png"), full_page=False)

    # 2. the corrected file: checked by the worker, then imported by the worker at once
    clean = write(tmp_path / "业主.xlsx", rows)
    check_file(page, clean)
    in_the_worker(page, "import-commit")
    assert page.get_by_test_id("import-created").inner_text() == str(ROWS)
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()
    assert not Resident.objects.filter(name__startswith="导入").exists()  # not in the request either
    in_the_worker(page, "import-committed")
    expect(page.get_by_test_id("import-status")).to_have_text("已导入")
    assert Resident.objects.filter(name__startswith="导入").count() == ROWS - 1
    assert Resident.objects.filter(name="=1+1").count() == 1
    occupancies = Occupancy.objects.filter(unit__project__code="QD-HJ").count()

    # 3. the same file again changes nothing
    check_file(page, clean)
    in_the_worker(page, "import-commit")
    assert page.get_by_test_id("import-unchanged").inner_text() == str(ROWS)
    assert page.get_by_test_id("import-created").inner_text() == "0"
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()
    in_the_worker(page, "import-committed")
    assert Resident.objects.filter(name__startswith="导入").count() == ROWS - 1
    assert Occupancy.objects.filter(unit__project__code="QD-HJ").count() == occupancies

    # 4. the formula cell shows as text in the archive
    page.goto("/archive/QD-HJ/?q=%3D1%2B1")
    assert page.get_by_test_id("resident-row").count() == 1
    assert page.get_by_test_id("resident-row").locator("a[href^='/archive']").inner_text() == "=1+1"
