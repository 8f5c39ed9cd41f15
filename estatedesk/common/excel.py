"""Excel helpers shared by every export: cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: str) -> str:
    """Text that cannot start a formula (OWASP CSV/formula injection): a leading quote disarms it."""
    if value and (value[0] in FORMULA_TRIGGERS or ord(value[0]) < 32):
        return "'" + value
    return value


def unquote(value: str) -> str:
    """The inverse of `safe_text`, for a workbook we exported coming back in an import."""
    if len(value) > 1 and value[0] == "'" and (value[1] in FORMULA_TRIGGERS or ord(value[1]) < 32):
        return value[1:]
    return value


def write_workbook(
    *, title: str, headers: list[str], rows: Iterable[list[Any]], column_widths: list[int] | None = None
) -> str:
    """Write a one-sheet .xlsx in streaming mode (constant memory) and return its temporary file path.
    Every string is stored as a string cell, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(column_widths or []):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_text(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, (int, float, Decimal, dt.date)) and not isinstance(value, bool):
                cells.append(WriteOnlyCell(sheet, value=value))
                continue
            cell = WriteOnlyCell(sheet, value=None)
            cell.value = safe_text("" if value is None else str(value))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.NamedTemporaryFile(prefix="estatedesk-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return handle.name
