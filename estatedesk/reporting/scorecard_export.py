"""The scorecard of reports to HQ (R-IR-1) as an Excel workbook: the same figures as the page
(`scoring.scorecard`): a sheet of the units (the selection's figure, the branches ranked, the branch's units
or the user's projects) and a sheet of the 12-month trend. Names through `common.excel.cell_text` (formula
injection); figures as numbers, an undefined figure as "—". Every export is audited."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from typing import Any

from django.db import transaction

from estatedesk.common.audit import audit_record
from estatedesk.common.excel import cell_text, sheet_title
from estatedesk.reporting.scoring import Score, Scorecard

HEADERS = [
    "层级 Level",
    "排名 Rank",
    "代码 Code",
    "单位 Unit",
    "应报 Expected",
    "按时 On time",
    "及时性 Timeliness (%)",
    "完整 Complete",
    "完整性 Completeness (%)",
    "已评分 Scored",
    "质量 Quality",
    "总分 Total",
]
TREND_HEADERS = ["月份 Month", *HEADERS[4:]]
LEVELS = {"branch": "分公司 Branch", "own": "分公司本部 Branch's own", "project": "项目 Project"}
WIDTHS = [16, 8, 12, 28, 10, 10, 14, 10, 14, 10, 10, 10]


def _figure(value: Decimal | None) -> Any:
    return value if value is not None else "—"


def _figures(score: Score) -> list[Any]:
    counts = score.counts
    return [
        counts.expected,
        counts.on_time,
        _figure(score.timeliness),
        counts.complete,
        _figure(score.completeness),
        counts.scored,
        _figure(score.quality),
        _figure(score.total),
    ]


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append([cell_text(v) if isinstance(v, str) else v for v in values])


def scorecard_workbook(*, actor: Any, card: Scorecard) -> str:
    """Write the workbook to a temporary .xlsx and record the export; returns the file path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=card.company,
            after={
                "what": f"reporting scores {card.period.label}",
                "branch": card.branch.code if card.branch else "",
            },
        )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(f"考核 {card.period.label}")
    _append(sheet, HEADERS)
    _append(
        sheet,
        [
            "合计 All",
            "",
            card.branch.code if card.branch else "",
            card.headline_label,
            *_figures(card.headline),
        ],
    )
    for unit in [*card.branches, *card.units]:
        _append(sheet, [LEVELS[unit.kind], unit.rank or "", unit.code, unit.name, *_figures(unit.score)])
    trend = workbook.create_sheet(sheet_title("趋势 Trend"))
    _append(trend, TREND_HEADERS)
    for point in card.trend:
        _append(trend, [f"{point.month:%Y-%m}", *_figures(point.score)])
    for target, widths in ((sheet, WIDTHS), (trend, [10, *WIDTHS[4:]])):
        for index, width in enumerate(widths, start=1):
            target.column_dimensions[get_column_letter(index)].width = width
        for cell in target[1]:
            cell.font = Font(bold=True)
    handle = tempfile.NamedTemporaryFile(prefix="estatedesk-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return handle.name
