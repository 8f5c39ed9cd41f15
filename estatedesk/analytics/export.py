"""The dashboard as a workbook (issue 15, R-FB-7): /analytics/workbook/?scope=…&period=…, a sheet per table
of the page (the filters, every figure with the previous period and a year earlier, each breakdown, the
units, the SLA clocks), holding the same values as the page: a figure's number with a number format that
prints it as the page does (1,234 / 93.33% / 12.5), "—" where the page shows "—".

Written in memory (a dashboard's workbook is a few hundred cells) and never stored: nothing to clean up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from estatedesk.analytics.metrics import (
    COUNT,
    FIGURES,
    HOURS,
    PERCENT,
    UNIT_FIGURES,
    Figure,
    MetricsReport,
    Share,
)
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import MetricScope
from estatedesk.common.excel import cell_text, sheet_title

UNDEFINED = "—"
NUMBER_FORMATS = {COUNT: "#,##0", PERCENT: '0.00"%"', HOURS: "0.0"}
DEFAULT_NUMBER_FORMAT = "0.00"


def number_format(key: str) -> str:
    """How a figure's number is printed: a count 1,234, a rate 93.33% (the value is the percentage), hours
    12.5, a score 87.50."""
    return NUMBER_FORMATS.get(FIGURES[key].unit, DEFAULT_NUMBER_FORMAT)


def figure_cell(figure: Figure) -> tuple[Any, str | None]:
    """(the cell's value, its number format): the number, or "—" as text when it is undefined."""
    if figure.value is None:
        return UNDEFINED, None
    value: Any = figure.value
    if isinstance(value, Decimal):
        value = float(value) if FIGURES[figure.key].unit != COUNT else int(value)
    return value, number_format(figure.key)


class _Sheet:
    """A sheet being written: a bold header row, then rows of texts and figures."""

    def __init__(self, workbook: Any, title: str, headers: list[str], widths: list[int]) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheet = workbook.create_sheet(title=sheet_title(title))
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.append(headers)
        for cell in self.sheet[1]:
            cell.font = Font(bold=True)
        self.sheet.freeze_panes = "A2"

    def append(self, values: Iterable[Any]) -> None:
        row: list[Any] = []
        formats: list[str | None] = []
        for value in values:
            number: str | None = None
            if isinstance(value, Figure):
                value, number = figure_cell(value)
            elif isinstance(value, datetime):
                value, number = timezone.localtime(value).replace(tzinfo=None), "yyyy-mm-dd hh:mm"
            elif not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
                value = cell_text("" if value is None else str(value))
            row.append(value)
            formats.append(number)
        self.sheet.append(row)
        for cell, number in zip(self.sheet[self.sheet.max_row], formats, strict=True):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            if number:
                cell.number_format = number


def _percent(share: Share) -> Any:
    return UNDEFINED if share.percent is None else float(share.percent)


def dashboard_workbook_bytes(
    *,
    report: MetricsReport,
    scope: MetricScope,
    period: Period,
    breakdowns: Iterable[tuple[str, Any]],
    clocks: Iterable[tuple[str, Any]],
    unit_kind_label: Any,
) -> bytes:
    """The workbook of a dashboard: its filters, figures, breakdowns, SLA clocks and units."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    current, previous, year_earlier = report.current, report.previous, report.year_earlier
    compared = period.previous(), period.year_earlier()

    filters = _Sheet(workbook, _("Filters"), [_("Filter"), _("Value")], [22, 60])
    filters.append([_("Scope"), scope.label])
    filters.append(
        [
            pgettext("time span", "Period"),
            f"{period.label} ({period.start.isoformat()} – {period.last_day.isoformat()})",
        ]
    )
    for label, other in ((_("Previous period"), compared[0]), (_("A year earlier"), compared[1])):
        filters.append([label, f"{other.label} ({other.start.isoformat()} – {other.last_day.isoformat()})"])
    filters.append([_("Computed at"), current.computed_at])

    figures = _Sheet(
        workbook,
        _("Figures"),
        [_("Figure"), _("Key"), period.label, compared[0].label, compared[1].label, _("Counts")],
        [34, 30, 14, 14, 14, 16],
    )
    for key in FIGURES:
        if key not in current.figures:
            continue
        figure = current.figures[key]
        counts = (
            f"{figure.numerator or 0} / {figure.denominator}"
            if FIGURES[key].unit == PERCENT and figure.denominator is not None
            else ""
        )
        figures.append(
            [str(FIGURES[key].label), key, figure, previous.figures[key], year_earlier.figures[key], counts]
        )

    for key, title in breakdowns:
        sheet = _Sheet(workbook, str(title), [str(title), _("Count"), _("Share (%)")], [30, 12, 12])
        for share in current.breakdowns.get(key, []):
            sheet.append([share.label, share.count, _percent(share)])
        for row in sheet.sheet.iter_rows(min_row=2, min_col=3, max_col=3):
            for cell in row:
                if not isinstance(cell.value, str):
                    cell.number_format = '0.00"%"'

    sla = _Sheet(
        workbook, _("SLA clocks"), [_("Clock"), _("On time"), _("Met"), _("Breached")], [18, 12, 10, 10]
    )
    for clock, label in clocks:
        sla.append(
            [str(label)]
            + [current.figures[f"feedback.{clock}.{part}"] for part in ("on_time", "met", "breached")]
        )

    units = _Sheet(
        workbook,
        _("Units compared"),
        [_("Code"), str(unit_kind_label)] + [str(FIGURES[key].label) for key in UNIT_FIGURES],
        [12, 24] + [14] * len(UNIT_FIGURES),
    )
    for row in current.units:
        units.append([row.unit.code, row.unit.name] + [row.figures[key] for key in UNIT_FIGURES])

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
