"""The monthly pack as a printable A4 PDF in Chinese (issue 15, R-FB-7): the cover (scope, month, version),
the key figures with the month before and the same month a year earlier, the charts, the units, the
lists, the corrections to earlier months and the change note.

Everything comes from the pack's stored JSON (`pack_lists.pack_tables`), so the PDF, the workbook and the
pack's page show the same values. Rendered like reporting/scorecard_pdf.py: WeasyPrint fetching nothing,
Noto Sans CJK SC, charts as inline SVG drawn in Python (`common.svgcharts`: WeasyPrint runs no
JavaScript), every text people typed through `common.text.document_text`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from estatedesk.analytics.models import MonthlyPack
from estatedesk.analytics.pack_lists import SLA_CLOCKS, Table, figure_catalogue, pack_tables, stored_figure
from estatedesk.common.svgcharts import bar_svg
from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf


def _svg(markup: str) -> SafeString:
    return mark_safe(markup)  # noqa: S308 - svgcharts escapes every text it writes


def _value(figure: dict[str, Any] | None) -> Any:
    return None if figure is None else figure.get("value")


def pack_charts(figures: dict[str, Any]) -> dict[str, SafeString]:
    """Items by channel, SLA on time per clock, visit grades, and the units compared (items, contact on
    time), from the stored figures."""
    current = figures.get("current") or {}
    labels = {key: label for key, label, _unit in figure_catalogue(figures)}
    channels = (current.get("breakdowns") or {}).get("feedback.by_channel") or []
    charts: dict[str, SafeString] = {
        "channel_svg": _svg(
            bar_svg(
                [document_text(str(s.get("label") or s.get("value"))) for s in channels],
                [s.get("count", 0) for s in channels],
                unit="",
                title=_("Items by channel"),
                empty_text=_("No items this month"),
                width=640,
            )
        ),
        "sla_svg": _svg(
            bar_svg(
                [labels.get(f"feedback.{c}.on_time", c) for c in SLA_CLOCKS],
                [_value(stored_figure(figures, "current", f"feedback.{c}.on_time")) for c in SLA_CLOCKS],
                unit="%",
                max_value=100,
                title=_("On time per SLA clock"),
                width=640,
            )
        ),
        "grades_svg": _svg(
            bar_svg(
                ["A", "B", "C"],
                [_value(stored_figure(figures, "current", f"visits.{g}")) or 0 for g in ("a", "b", "c")],
                unit="",
                horizontal=False,
                title=_("Return visits by grade"),
                width=320,
                height=220,
            )
        ),
    }
    units = current.get("units") or []
    if units:
        names = []
        for row in units:
            unit = row.get("unit") if isinstance(row.get("unit"), dict) else row
            names.append(document_text(str(unit.get("name") or unit.get("code") or "")))
        charts["units_svg"] = _svg(
            bar_svg(
                names,
                [_value((row.get("figures") or {}).get("feedback.total")) or 0 for row in units],
                unit="",
                title=_("Items by unit"),
                width=640,
            )
        )
    return charts


def _document_table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "headers": table.headers,
        "rows": [[document_text(str(cell)) for cell in row] for row in table.rows],
        "total": table.total,
        "more": table.more,
    }


def pack_html(*, pack: MonthlyPack) -> str:
    tables = [
        _document_table(t)
        for t in pack_tables(figures=pack.figures, lists=pack.lists, corrections=pack.corrections)
    ]
    by_key = {t["key"]: t for t in tables}
    return render_to_string(
        "analytics/pack_pdf.html",
        {
            "pack": pack,
            "scope": document_text(pack.scope_label),
            "month": f"{pack.month:%Y-%m}",
            "generated_at": f"{timezone.localtime(pack.generated_at):%Y-%m-%d %H:%M}",
            "trigger": pack.get_trigger_display(),
            "figures": by_key["figures"],
            "breakdowns": [t for t in tables if t["key"].startswith("breakdown:")],
            "units": by_key["units"],
            "lists": [t for t in tables if t["key"].startswith("list:")],
            "corrections": by_key["corrections"],
            "change_note": document_text(pack.change_note),
            "overdue_as_of": (pack.lists.get("overdue") or {}).get("as_of", ""),
            **pack_charts(pack.figures),
        },
    )


def pack_pdf(*, pack: MonthlyPack) -> bytes:
    """The pack's PDF in the company's language (it is filed and sent), headings bilingual."""
    with translation.override(settings.LANGUAGE_CODE):
        return html_to_pdf(pack_html(pack=pack))
