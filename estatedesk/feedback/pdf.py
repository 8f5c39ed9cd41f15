"""附表二 物业质量反馈意见执行调查表, the execution record of an item (R-FB-8), as a printable A4 PDF.

The eight rows are `selectors.execution_record_rows`, the same the item page shows: the customer and the
feedback from the item, the rest as stored on the `ExecutionRecord` (the workflow fills in the executor and
the execution time, the customer's rating the customer acceptance), each signed part with who signed it
and when. What is still empty stays an empty box, to be filled in and signed by hand on the printed form.

Text that can't hurt (issue 10, item 4): every text that people typed goes through
`common.text.document_text` (no control characters, no bidirectional override to reorder what follows)
and the template's autoescaping; WeasyPrint fetches nothing while rendering (`NoFetching`: no file, no
network, not even our own static files, which the template does not need).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from estatedesk.common.text import document_text
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import RecordRow, execution_record_rows


class NoFetching(URLFetcher):
    """WeasyPrint's URL fetcher for our documents: refuses every URL (http, https, file, ftp, and data too),
    so markup in a document can neither reach the network or the disk nor slow the rendering down."""

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        raise ValueError(f"nothing is fetched while rendering a document: {url[:100]}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of a document we rendered from a template, with nothing fetched."""
    return HTML(string=html, url_fetcher=NoFetching()).write_pdf()


def _document_row(row: RecordRow) -> RecordRow:
    return replace(row, value=document_text(row.value), signed=document_text(row.signed))


def execution_record_pdf(*, item: FeedbackItem) -> bytes:
    """The PDF of the item's execution record. Fonts: Noto Sans CJK SC (Debian fonts-noto-cjk)."""
    project = item.project
    html = render_to_string(
        "feedback/pdf_execution_record.html",
        {
            "item": item,
            "company": document_text(project.branch.company.name),
            "branch": document_text(project.branch.name),
            "project": document_text(project.name),
            "registered_at": f"{timezone.localtime(item.registered_at):%Y-%m-%d %H:%M}",
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
            "rows": [_document_row(row) for row in execution_record_rows(item=item)],
        },
    )
    return html_to_pdf(html)
