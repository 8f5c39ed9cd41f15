"""The statistical analysis report (统计分析报告, R-SV-5, R-CS-2) as a printable A4 PDF in Chinese.

Its numbers are the figures every page shows (`figures.figures_snapshot` of `figures.campaign_figures`),
never computed a second time: the frozen snapshot of an approved report (`CampaignReport.figures`), or the
live figures of a draft (then the PDF says 草稿 / DRAFT on every page). Charts are SVG drawn in Python
(`common.svgcharts`: WeasyPrint runs no JavaScript). Rendered like quality/pdf.py: WeasyPrint fetching
nothing, Noto Sans CJK SC, every typed text through `common.text.document_text`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from estatedesk.common.svgcharts import bar_svg, pareto_svg
from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.surveys import figures
from estatedesk.surveys.choices import ReportStatus
from estatedesk.surveys.models import Campaign, CampaignReport

FINAL = frozenset({ReportStatus.APPROVED, ReportStatus.DISTRIBUTED})


def report_figures(*, campaign: Campaign, report: CampaignReport | None) -> dict[str, Any]:
    """The report's numbers: frozen once approved, live before."""
    if report is not None and report.status in FINAL and report.figures:
        return report.figures
    return figures.figures_snapshot(figures.campaign_figures(campaign))


def report_pdf(*, report: CampaignReport) -> bytes:
    """The report's PDF (a draft's carries the DRAFT mark)."""
    return campaign_report_pdf(campaign=report.campaign, report=report)


def campaign_report_pdf(*, campaign: Campaign, report: CampaignReport | None) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return html_to_pdf(report_html(campaign=campaign, report=report))


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _day(value: str | date | None) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def _rate(value: str | None) -> str:
    return "—" if value is None else f"{value}%"


def _counts_row(row: dict[str, Any]) -> dict[str, Any]:
    counts = row.get("counts") or {}
    return {
        "very_satisfied": counts.get("very_satisfied", 0),
        "satisfied": counts.get("satisfied", 0),
        "fairly_satisfied": counts.get("fairly_satisfied", 0),
        "unsatisfied": counts.get("unsatisfied", 0),
        "unrated": counts.get("unrated", 0),
        "rated": counts.get("rated", 0),
        "qualified": counts.get("rated", 0) - counts.get("unsatisfied", 0),
        "rate": _rate(row.get("rate")),
        "caution": bool(row.get("caution")),
    }


def _comparison(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    comparison = snapshot.get("comparison") or {}
    previous = comparison.get("previous")
    if not previous:
        return None

    def side(value: dict[str, Any] | None) -> str:
        return "—" if value is None else _rate(value.get("rate"))

    def change(value: str | None) -> str:
        if value is None:
            return "—"
        return value if value.startswith("-") else f"+{value}"

    overall = comparison.get("overall") or {}
    return {
        "reference": document_text(str(previous.get("reference", ""))),
        "title": document_text(str(previous.get("title", ""))),
        "period": f"{_day(previous.get('period_start'))} ~ {_day(previous.get('period_end'))}",
        "items": [
            {
                "label": document_text(str(row.get("label", ""))),
                "then": side(row.get("then")),
                "now": side(row.get("now")),
                "change": change(row.get("change_points")),
            }
            for row in comparison.get("items") or []
        ],
        "overall": {
            "then": side(overall.get("then")),
            "now": side(overall.get("now")),
            "change": change(overall.get("change_points")),
        },
    }


def _charts(snapshot: dict[str, Any]) -> dict[str, str]:
    pareto = snapshot.get("pareto") or []
    items = snapshot.get("items") or []
    return {
        # the SVG is built by svgcharts, which escapes every text it writes
        "pareto_svg": mark_safe(  # noqa: S308 - svgcharts escapes every text
            pareto_svg(
                [document_text(str(row["label"])) for row in pareto],
                [int(row["count"]) for row in pareto],
                [row["cumulative"] or "0" for row in pareto],
                cutoff=80,
                title="不满意项排列图",
                count_label="不满意数",
                cumulative_label="累计百分比",
                empty_text="本次调查没有不满意的回答",
                width=640,
                height=300,
            )
        ),
        "items_svg": mark_safe(  # noqa: S308 - svgcharts escapes every text
            bar_svg(
                [document_text(str(row["label"])) for row in items],
                [row.get("rate") for row in items],
                unit="%",
                title="各项目满意率",
                width=640,
            )
        ),
    }


def report_html(*, campaign: Campaign, report: CampaignReport | None) -> str:
    snapshot = report_figures(campaign=campaign, report=report)
    project = campaign.project
    rules = snapshot.get("rules") or {}
    returns = snapshot.get("returns") or {}
    is_final = report is not None and report.status in FINAL
    recipients = []
    if report is not None and report.status == ReportStatus.DISTRIBUTED:
        recipients = [
            {
                "name": document_text(str(row.user)),
                "department": document_text(row.department.name if row.department else ""),
                "sent_at": _when(row.sent_at),
            }
            for row in report.recipients.select_related("user", "department").order_by("sent_at", "id")
        ]
    context = {
        "campaign": campaign,
        "is_draft": not is_final,
        "company": document_text(project.branch.company.name),
        "branch": document_text(project.branch.name),
        "project": document_text(project.name),
        "title": document_text(campaign.title),
        "period": f"{campaign.period_start:%Y-%m-%d} ~ {campaign.period_end:%Y-%m-%d}",
        "runner": campaign.get_runner_display(),
        "department": document_text(campaign.department.name if campaign.department else ""),
        "kind": campaign.get_kind_display(),
        "threshold": rules.get("return_rate_threshold", ""),
        "small_below": rules.get("small_sample_below", ""),
        "returns": {
            "handed_out": returns.get("handed_out", 0),
            "returned": returns.get("returned", 0),
            "rate": _rate(returns.get("rate")),
        },
        "areas": [
            {
                "name": document_text(str(row.get("name", ""))),
                "handed_out": row.get("handed_out", 0),
                "returned": row.get("returned", 0),
                "return_rate": _rate(row.get("return_rate")),
                "passes": bool(row.get("passes")),
                "has_waiver": bool(row.get("has_waiver")),
                "waiver_reason": document_text(str(row.get("waiver_reason", ""))),
                **_counts_row(row),
            }
            for row in snapshot.get("areas") or []
        ],
        "overall": _counts_row(snapshot.get("overall") or {}),
        "items": [
            {"label": document_text(str(row.get("label", ""))), **_counts_row(row)}
            for row in snapshot.get("items") or []
        ],
        "pareto": [
            {
                "label": document_text(str(row.get("label", ""))),
                "count": row.get("count", 0),
                "share": _rate(row.get("share")),
                "cumulative": _rate(row.get("cumulative")),
                "vital": bool(row.get("vital")),
            }
            for row in snapshot.get("pareto") or []
        ],
        "comparison": _comparison(snapshot),
        **_charts(snapshot),
        "summary": document_text(report.summary if report is not None else ""),
        "author": document_text(str(report.author)) if report is not None else "",
        "reviewer": document_text(str(report.reviewer)) if report is not None and report.reviewer else "",
        "review_note": document_text(report.review_note) if report is not None and is_final else "",
        "status": report.get_status_display() if report is not None else "",
        "drafted_at": _when(report.created_at) if report is not None else "",
        "submitted_at": _when(report.submitted_at) if report is not None else "",
        "reviewed_at": _when(report.reviewed_at) if is_final and report is not None else "",
        "distributed_at": _when(report.distributed_at) if report is not None else "",
        "recipients": recipients,
        "printed_at": _when(timezone.now()),
    }
    return render_to_string("surveys/pdf_report.html", context)
