"""Exports are safe from formula injection: dangerous cells come back as the text that was written."""

import datetime as dt
import os

from openpyxl import load_workbook

from estatedesk.common.excel import safe_text, unquote, write_workbook


def test_dangerous_cells_are_written_as_text():
    path = write_workbook(
        title="t",
        headers=["姓名", "备注"],
        rows=[
            ['=HYPERLINK("http://x")', "+1"],
            ["@SUM(A1)", "-2"],
            ["\tx", "正常"],
            [dt.date(2026, 1, 2), 3],
        ],
    )
    try:
        sheet = load_workbook(path).worksheets[0]
        values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        types = {cell.data_type for row in sheet.iter_rows(min_row=2, max_row=3) for cell in row}
    finally:
        os.unlink(path)
    assert values[0] == ['\'=HYPERLINK("http://x")', "'+1"]
    assert values[1] == ["'@SUM(A1)", "'-2"]
    assert values[2] == ["'\tx", "正常"]
    assert values[3][0].date() == dt.date(2026, 1, 2)
    assert types == {"s"}


def test_unquote_reverses_safe_text():
    for text in ("=1+1", "+86", "-", "@a", "plain", "'quoted"):
        assert unquote(safe_text(text)) == text
