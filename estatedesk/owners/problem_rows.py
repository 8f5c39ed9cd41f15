"""The rows of an owner import that have problems, as a workbook to correct and upload again (R-OA-2):
the file's own header row and cells, exactly as they were (text stays text, numbers numbers, dates dates,
"=1+1" a text), and a last column "问题 Problem" saying what is wrong with each row. The import reads that
column as one it ignores, so the corrected file goes straight back in; nobody types a row twice.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from typing import IO, Any, cast

from django.db import transaction

from estatedesk.common.audit import audit_record
from estatedesk.common.excel import FORMULA_TRIGGERS
from estatedesk.org.permissions import require
from estatedesk.owners.importing import import_problem_list
from estatedesk.owners.models import ImportBatch
from estatedesk.owners.spreadsheet import TEXT_COLUMNS

PROBLEM_HEADER = "问题 Problem"
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
MAX_CELL_CHARACTERS = 32_767


def problem_messages(batch: ImportBatch) -> dict[int, list[str]]:
    """Row number → "column: message" lines, for every problem of the batch."""
    lines: dict[int, list[str]] = defaultdict(list)
    for problem in import_problem_list(batch=batch):
        if problem["row"]:
            column = problem["column"]
            lines[problem["row"]].append(f"{column}: {problem['message']}" if column else problem["message"])
    return lines


def problem_rows_download(*, actor: Any, batch: ImportBatch) -> str:
    """The rows with problems for `actor` (`owners.import` at the batch's project): a temporary .xlsx, and an
    audit row, as for an export (ADR 0007): the cells are the uploaded ones, ID numbers and phones in full,
    because they are to be corrected and uploaded again."""
    require(actor, "owners.import", project=batch.project)
    path = problem_rows_workbook(batch=batch)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=batch,
            after={"what": "import rows with problems", "rows": len(batch.problem_rows)},
            project_id=batch.project_id,
        )
    return path


def problem_rows_workbook(*, batch: ImportBatch) -> str:
    """Write the batch's rows with problems to a temporary .xlsx; returns its path."""
    from openpyxl import Workbook, load_workbook

    layout = batch.layout
    header_row = int(layout["header_row"])
    lines = problem_messages(batch)
    with batch.file.open("rb") as handle:
        source = load_workbook(cast(IO[bytes], handle), read_only=True, data_only=False)
        try:
            sheet = source[layout["sheet"]]
            rows = sheet.iter_rows(min_row=header_row + 1, values_only=True)
            header = list(layout["header"])  # as read: a header merged from above in its own column
            workbook = Workbook(write_only=True)
            target = workbook.create_sheet(sheet.title)
            _widths(target, len(header))
            target.append([_cell(target, value or None, text=False) for value in header] + [PROBLEM_HEADER])
            text_positions = {c["position"] for c in layout["columns"] if c["column"] in TEXT_COLUMNS}
            width, last = len(header), max(lines, default=0)
            for number, values in enumerate(rows, start=header_row + 1):
                if number > last:
                    break
                if number in lines:
                    cells = list(values[:width]) + [None] * (width - len(values))
                    target.append(
                        [_cell(target, value, text=i in text_positions) for i, value in enumerate(cells)]
                        + [_problem_cell(target, lines[number])]
                    )
        finally:
            source.close()
    path = tempfile.NamedTemporaryFile(prefix="estatedesk-", suffix=".xlsx", delete=False)  # noqa: SIM115
    path.close()
    workbook.save(path.name)
    return path.name


def _cell(sheet: Any, value: Any, *, text: bool) -> Any:
    """A cell as it was: text as text (never a formula: "=1+1" is shown as typed and read back as typed),
    a number as a number, a date as a date."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, value=None)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_CHARACTERS]  # what openpyxl can write
        cell.data_type = "s"
        if value[:1] in FORMULA_TRIGGERS:
            cell.quotePrefix = True  # Excel keeps it text, also when the cell is edited
    else:
        cell.value = value
    if isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = DATE_FORMAT
    elif text:
        cell.number_format = TEXT_FORMAT  # what the user types here stays text: 13812345678, not 1.38E+10
    return cell


def _problem_cell(sheet: Any, lines: list[str]) -> Any:
    from openpyxl.styles import Alignment, Font

    cell = _cell(sheet, "\n".join(lines), text=False)
    cell.font = Font(color="C00000")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _widths(sheet: Any, columns: int) -> None:
    from openpyxl.utils import get_column_letter

    for index in range(1, columns + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.column_dimensions[get_column_letter(columns + 1)].width = 60
