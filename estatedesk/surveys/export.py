"""A campaign's analysis as an Excel workbook (R-SV-3, R-SV-4): a sheet per table, from
figures.campaign_figures, so it holds the numbers of the page and the API.

- 汇总 Summary: the overall rate, per item and per area, each with its counts (n rated, 未表态, each rating);
- 调查表 Survey table: items × areas, a rate and its counts per cell, the totals row and column;
- 排列图 Pareto: the unsatisfied answers by item, descending, with share and cumulative share, and a chart
  (bars, the cumulative line on a second axis, the 80% line);
- 回收率 Returns: forms handed out and returned per area, the return rate, the threshold, the waiver;
- 对比 Comparison: the previous comparable campaign's rates beside this one's.

Rates are numbers with two decimals (rounded half-up from the exact fraction); an undefined rate is "—".
Every text from the catalogue or typed by a user goes through `common.excel.cell_text` (safe_text: a text
that looks like a formula is written as text). Every export is audited.
"""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from estatedesk.common.audit import audit_record
from estatedesk.common.excel import cell_text, sheet_title
from estatedesk.org.permissions import require
from estatedesk.surveys import rates
from estatedesk.surveys.figures import CampaignFigures, RateFigure, campaign_figures
from estatedesk.surveys.models import Campaign

UNDEFINED = "—"
RATE_FORMAT = "0.00"
COUNT_HEADERS = [
    "满意率 Satisfaction rate (%)",
    "已表态 Rated",
    "未表态 No answer",
    "很满意 Very satisfied",
    "满意 Satisfied",
    "较满意 Fairly satisfied",
    "不满意 Unsatisfied",
    "样本少 Small sample",
]
SHEETS = {
    "summary": "汇总 Summary",
    "table": "调查表 Survey table",
    "pareto": "排列图 Pareto",
    "returns": "回收率 Returns",
    "comparison": "对比 Comparison",
}
BOLD = Font(bold=True)


def _rate(rate: Fraction | None) -> Decimal | str:
    shown = rates.percent(rate)
    return UNDEFINED if shown is None else shown


def _text(value: str) -> str:
    return cell_text(value)


def _append(sheet: Worksheet, values: list[Any], *, bold: bool = False) -> None:
    sheet.append(values)
    row = sheet.max_row
    for cell in sheet[row]:
        if isinstance(cell.value, Decimal):
            cell.number_format = RATE_FORMAT
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever the text
        if bold:
            cell.font = BOLD


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _counts_row(figure: RateFigure) -> list[Any]:
    counts = figure.counts
    return [
        _rate(figure.rate),
        counts.rated,
        counts.unrated,
        counts.very_satisfied,
        counts.satisfied,
        counts.fairly_satisfied,
        counts.unsatisfied,
        "是 yes" if figure.is_small else "",
    ]


def _summary(sheet: Worksheet, figures: CampaignFigures) -> None:
    campaign = figures.campaign
    _append(sheet, [_text(f"{campaign.reference} {campaign.title}")], bold=True)
    _append(sheet, ["项目 Project", _text(campaign.project.name)])
    _append(
        sheet, ["期间 Period", f"{campaign.period_start.isoformat()} – {campaign.period_end.isoformat()}"]
    )
    _append(
        sheet,
        ["满意率 = (很满意 + 满意 + 较满意) ÷ (以上 + 不满意) × 100%，未表态不计；无人表态时为 —"],
    )
    _append(sheet, [])
    _append(sheet, ["范围 Scope", *COUNT_HEADERS], bold=True)
    _append(sheet, ["总体 Overall", *_counts_row(figures.overall)], bold=True)
    _append(sheet, [])
    _append(sheet, ["按项目 By item", *COUNT_HEADERS], bold=True)
    for row in figures.items:
        _append(sheet, [_text(row.label), *_counts_row(row.total)])
    _append(sheet, [])
    _append(sheet, ["按区域 By area", *COUNT_HEADERS], bold=True)
    for area in figures.areas:
        _append(sheet, [_text(area.name), *_counts_row(area.total)])
    _widths(sheet, [24, 14, 10, 10, 10, 10, 10, 10, 10])


def _survey_table(sheet: Worksheet, figures: CampaignFigures) -> None:
    columns = [*(area.name for area in figures.areas), "合计 Total"]
    header = ["项目 Item"]
    for name in columns:
        header += [_text(f"{name} 满意率 (%)"), _text(f"{name} 已表态"), _text(f"{name} 未表态")]
    _append(sheet, header, bold=True)

    def cells(figure: RateFigure) -> list[Any]:
        return [_rate(figure.rate), figure.rated, figure.unrated]

    for row in figures.items:
        values: list[Any] = [_text(row.label)]
        for cell in row.cells:
            values += cells(cell)
        _append(sheet, [*values, *cells(row.total)])
    totals: list[Any] = ["合计 Total"]
    for area in figures.areas:
        totals += cells(area.total)
    _append(sheet, [*totals, *cells(figures.overall)], bold=True)
    _widths(sheet, [18, *([12] * (3 * len(columns)))])


def _pareto(sheet: Worksheet, figures: CampaignFigures) -> None:
    cutoff = int(rates.PARETO_CUTOFF)
    _append(
        sheet,
        [
            "项目 Item",
            "不满意 Unsatisfied",
            "占比 Share (%)",
            "累计占比 Cumulative (%)",
            f"{cutoff}% 线 line",
            "关键少数 Vital few",
        ],
        bold=True,
    )
    for row in figures.pareto:
        _append(
            sheet,
            [
                _text(row.label),
                row.count,
                _rate(row.share),
                _rate(row.cumulative),
                Decimal(cutoff),
                "是 yes" if row.is_vital else "",
            ],
        )
    _append(sheet, ["合计 Total", figures.unsatisfied], bold=True)
    _widths(sheet, [18, 14, 14, 18, 10, 12])
    count = len(figures.pareto)
    if count:
        _pareto_chart(sheet, count)


def _pareto_chart(sheet: Worksheet, count: int) -> None:
    """Bars of the counts, and the cumulative share with the cutoff line on a second axis (0-100%)."""
    bars = BarChart()
    bars.type = "col"
    bars.title = "排列图 Pareto"
    bars.y_axis.title = "不满意 Unsatisfied"
    bars.add_data(Reference(sheet, min_col=2, min_row=1, max_row=count + 1), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    bars.y_axis.majorGridlines = None
    line = LineChart()
    line.add_data(Reference(sheet, min_col=4, max_col=5, min_row=1, max_row=count + 1), titles_from_data=True)
    line.y_axis.axId = 200
    line.y_axis.title = "累计 Cumulative (%)"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 100
    line.y_axis.crosses = "max"
    line.series[1].graphicalProperties.line.dashStyle = "dash"
    bars += line
    bars.height = 9
    bars.width = 18
    sheet.add_chart(bars, "H2")


def _returns(sheet: Worksheet, figures: CampaignFigures) -> None:
    _append(sheet, [f"回收率下限 Minimum return rate: {figures.threshold}%"])
    _append(
        sheet,
        [
            "区域 Area",
            "发放 Handed out",
            "回收 Returned",
            "回收率 Return rate (%)",
            "达标 Meets the minimum",
            "豁免理由 Waiver reason",
        ],
        bold=True,
    )
    for area in figures.areas:
        row = area.returns
        _append(
            sheet,
            [
                _text(area.name),
                row.handed_out,
                row.returned,
                _rate(row.rate),
                "是 yes" if row.passes else "否 no",
                _text(row.waiver_reason),
            ],
        )
    _append(
        sheet,
        ["合计 Total", figures.handed_out, figures.returned, _rate(figures.return_rate)],
        bold=True,
    )
    _widths(sheet, [18, 14, 14, 18, 16, 40])


def _comparison(sheet: Worksheet, figures: CampaignFigures) -> None:
    previous = figures.previous
    if previous is None:
        _append(sheet, ["没有可比的上一次调查 No previous comparable campaign"])
        return
    _append(
        sheet,
        [
            _text(
                f"上一次 Previous: {previous.reference} {previous.title} "
                f"({previous.period_start.isoformat()} – {previous.period_end.isoformat()})"
            )
        ],
    )
    _append(
        sheet,
        [
            "项目 Item",
            "上次满意率 Then (%)",
            "上次已表态 Rated then",
            "本次满意率 Now (%)",
            "本次已表态 Rated now",
            "变化 Change (points)",
        ],
        bold=True,
    )
    rows = [*figures.comparison]
    if figures.overall_comparison is not None:
        rows.append(figures.overall_comparison)
    for change in rows:
        points = change.points
        _append(
            sheet,
            [
                _text(change.label) if change.campaign_item_id is not None else "总体 Overall",
                _rate(change.then.rate) if change.then is not None else UNDEFINED,
                change.then.rated if change.then is not None else "",
                _rate(change.now.rate),
                change.now.rated,
                UNDEFINED if points is None else points,
            ],
            bold=change.campaign_item_id is None,
        )
    _widths(sheet, [18, 18, 18, 18, 18, 18])


def figures_workbook(figures: CampaignFigures) -> bytes:
    """The workbook of the figures (no check, no audit: `analysis_workbook` is the export)."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None  # noqa: S101 - a new workbook has its sheet
    first.title = sheet_title(SHEETS["summary"])
    _summary(first, figures)
    for key, build in (
        ("table", _survey_table),
        ("pareto", _pareto),
        ("returns", _returns),
        ("comparison", _comparison),
    ):
        build(workbook.create_sheet(sheet_title(SHEETS[key])), figures)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def analysis_workbook(*, actor: Any, campaign: Campaign) -> bytes:
    """The campaign's analysis workbook for who may export at its project; the export is audited."""
    require(actor, "surveys.export", project=campaign.project)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=campaign,
            after={"what": f"survey analysis {campaign.reference}"},
            project_id=campaign.project_id,
        )
    return figures_workbook(campaign_figures(campaign))
