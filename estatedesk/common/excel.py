"""Excel helpers shared by every workbook we write (the owner archive export, R-OA-2; an import's
problems): a cell holds the text as typed, minus the control characters that openpyxl refuses and Excel
calls corruption (`common.text.multi_line`: tab and line feed stay), never more than Excel's 32,767
characters, and text a spreadsheet would run as a formula (= + - @, a tab or a line break first) is written
as text after an apostrophe (OWASP CSV/formula injection), in a string cell."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from estatedesk.common.text import multi_line, one_line

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_CELL_CHARACTERS = 32_767  # Excel's limit for a cell: a longer text makes Excel "repair" the file
MAX_TITLE_CHARACTERS = 31  # Excel's limit for a sheet's name
TITLE_RESERVED = str.maketrans(dict.fromkeys("\\/*?:[]", " "))  # not allowed in a sheet's name


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


def cell_text(value: str) -> str:
    """What a text cell holds: `value` without control characters (tab and line feed kept, CR LF made a
    line feed), disarmed if it looks like a formula, cut to Excel's 32,767 characters."""
    return safe_text(multi_line(value))[:MAX_CELL_CHARACTERS]


def sheet_title(title: str) -> str:
    """A sheet's name Excel accepts: one line, without \\ / * ? : [ ], no apostrophe at either end, at most
    31 characters; "Sheet" when nothing is left."""
    text = one_line(one_line(title).translate(TITLE_RESERVED)).strip("'")
    return text[:MAX_TITLE_CHARACTERS].strip().strip("'") or "Sheet"


def _cell_value(value: Any) -> Any:
    """A number or a date as itself (an aware time in local time: Excel has no time zones); anything else
    as the text of `cell_text`."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, (int, float, Decimal, dt.date, dt.time)) and not isinstance(value, bool):
        return value
    return cell_text("" if value is None else str(value))


def write_workbook(
    *, title: str, headers: list[str], rows: Iterable[list[Any]], column_widths: list[int] | None = None
) -> str:
    """Write a one-sheet .xlsx in streaming mode (constant memory) and return its temporary file path.
    Every string is stored as a string cell (`cell_text`), never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    for index, width in enumerate(column_widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=cell_text(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            content = _cell_value(value)
            if not isinstance(content, str):
                cells.append(WriteOnlyCell(sheet, value=content))
                continue
            cell = WriteOnlyCell(sheet, value=None)
            cell.value = content
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.NamedTemporaryFile(prefix="estatedesk-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return handle.name
