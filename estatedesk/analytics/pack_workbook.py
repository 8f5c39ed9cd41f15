"""The monthly pack as an Excel workbook (issue 15, R-FB-7): a sheet per table of the pack (the key figures,
each breakdown, the units, each list, the corrections), from the pack's stored JSON
(`pack_lists.pack_tables`): the same values as the PDF and the pack's page. Every text cell goes through
`common.excel.cell_text` (never a formula)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.analytics.models import MonthlyPack
from estatedesk.analytics.pack_lists import pack_tables
from estatedesk.common.excel import cell_text, sheet_title


def _cell(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell_text("" if value is None else str(value))


def pack_workbook(*, pack: MonthlyPack) -> bytes:
    """The workbook's bytes, in the company's language (it is filed beside the PDF)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with translation.override(settings.LANGUAGE_CODE):
        tables = pack_tables(figures=pack.figures, lists=pack.lists, corrections=pack.corrections)
        workbook = Workbook()
        cover = workbook.active
        cover.title = sheet_title(_("Pack"))
        bold = Font(bold=True)
        for label, value in (
            (_("Scope"), pack.scope_label),
            (_("Month"), f"{pack.month:%Y-%m}"),
            (_("Version"), pack.version),
            (_("Made at"), f"{timezone.localtime(pack.generated_at):%Y-%m-%d %H:%M}"),
            (_("What changed"), pack.change_note),
        ):
            cover.append([_cell(label), _cell(value)])
            cover.cell(row=cover.max_row, column=1).font = bold
        cover.column_dimensions["A"].width = 16
        cover.column_dimensions["B"].width = 60
        used: set[str] = {cover.title}
        for table in tables:
            title = sheet_title(table.title)
            number = 2
            while title in used:
                title = sheet_title(f"{table.title[:27]} {number}")
                number += 1
            used.add(title)
            sheet = workbook.create_sheet(title=title)
            sheet.append([_cell(header) for header in table.headers])
            for cell in sheet[1]:
                cell.font = bold
            for row in table.rows:
                sheet.append([_cell(value) for value in row])
            if table.more:
                sheet.append(
                    [
                        _cell(
                            _("And %(more)d more (%(total)d in all)")
                            % {"more": table.more, "total": table.total}
                        )
                    ]
                )
            sheet.column_dimensions["A"].width = 28
            for letter in "BCDEFGHI":
                sheet.column_dimensions[letter].width = 18
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
