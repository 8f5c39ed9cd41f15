"""附表二 物业质量反馈意见执行调查表, the execution record of an item (R-FB-8), as a printable A4 PDF.

The eight rows are `selectors.execution_record_rows`, the same the item page shows: the customer and the
feedback from the item, the rest as stored on the `ExecutionRecord` (the workflow fills in the executor and
the execution time, the customer's rating the customer acceptance), each signed part with who signed it
and when. What is still empty stays an empty box, to be filled in and signed by hand on the printed form.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import execution_record_rows


def execution_record_pdf(*, item: FeedbackItem) -> bytes:
    """The PDF of the item's execution record. Fonts: Noto Sans CJK SC (Debian fonts-noto-cjk)."""
    project = item.project
    html = render_to_string(
        "feedback/pdf_execution_record.html",
        {
            "item": item,
            "company": project.branch.company.name,
            "branch": project.branch.name,
            "project": project.name,
            "registered_at": f"{timezone.localtime(item.registered_at):%Y-%m-%d %H:%M}",
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
            "rows": execution_record_rows(item=item),
        },
    )
    # nothing is fetched while rendering: no file, no network (the template needs neither)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
