"""The scorecard of reports to HQ (R-IR-1) as a printable A4 PDF: the same figures as the page
(`scoring.scorecard`), in the company's language with bilingual headings, and its charts as SVG drawn in
Python (`common.svgcharts`: WeasyPrint runs no JavaScript). Rendered like quality/pdf.py: WeasyPrint
fetching nothing, Noto Sans CJK SC, every name people typed through `common.text.document_text`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from estatedesk.common.svgcharts import bar_svg
from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.reporting.scoring import Score, Scorecard, UnitScore


def _row(unit: UnitScore) -> dict[str, Any]:
    return {"rank": unit.rank, "name": document_text(unit.name), "code": unit.code, "score": unit.score}


def _svg(markup: str) -> SafeString:
    return mark_safe(markup)  # noqa: S308 - svgcharts escapes every text it writes


def charts(card: Scorecard) -> dict[str, SafeString]:
    """The totals of the ranked units (branches, else the branch's units) and the trend of the totals."""
    ranked = card.branches or (card.units if card.units_ranked else [])
    result: dict[str, SafeString] = {}
    if ranked:
        result["ranking_svg"] = _svg(
            bar_svg(
                [document_text(unit.name) for unit in ranked],
                [unit.score.total for unit in ranked],
                unit="",
                max_value=100,
                title="总分 Total score",
                width=640,
            )
        )
    result["trend_svg"] = _svg(
        bar_svg(
            [f"{point.month:%Y-%m}" for point in card.trend],
            [point.score.total for point in card.trend],
            unit="",
            max_value=100,
            horizontal=False,
            title="近12个月总分 Total score, 12 months",
            width=640,
            height=260,
        )
    )
    return result


def scorecard_html(*, card: Scorecard) -> str:
    headline: Score = card.headline
    return render_to_string(
        "reporting/pdf_scorecard.html",
        {
            "card": card,
            "company": document_text(card.company.name),
            "label": document_text(card.headline_label),
            "headline": headline,
            "branches": [_row(unit) for unit in card.branches],
            "branch": document_text(card.branch.name) if card.branch else "",
            "units": [_row(unit) for unit in card.units],
            "trend": card.trend,
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
            **charts(card),
        },
    )


def scorecard_pdf(*, card: Scorecard) -> bytes:
    """The PDF in the company's language (the printed scorecard is filed), headings bilingual."""
    with translation.override(settings.LANGUAGE_CODE):
        return html_to_pdf(scorecard_html(card=card))
