"""附表二 物业质量反馈意见执行调查表, the execution record of an item (R-FB-8), as a printable A4 PDF.

The eight fields come from the item's `ExecutionRecord` when one exists; where the record leaves a field
empty, the facts the item already holds fill it: the customer's name and unit, the feedback itself, the
executor assigned and the time handling was done, and the customer's own rating as their acceptance.
The rest stay as empty boxes to be filled in and signed by hand on the printed form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from estatedesk.feedback.models import ExecutionRecord, FeedbackItem


@dataclass(frozen=True)
class Field:
    chinese: str
    english: str
    value: str
    tall: bool = False  # a box with room to write by hand


def execution_record_fields(*, item: FeedbackItem) -> list[Field]:
    """The eight fields of 附表二 in the form's order, with fixed bilingual headings."""
    try:
        record: ExecutionRecord | None = item.execution_record
    except ExecutionRecord.DoesNotExist:
        record = None
    customer = item.contact_name or (item.resident.name if item.resident else "")
    place = item.unit.label if item.unit else (item.building.name if item.building else "")
    customer_acceptance = record.customer_acceptance if record else ""
    if not customer_acceptance and item.rating:
        customer_acceptance = " ".join(
            part for part in (str(item.get_rating_display()), item.rating_comment) if part
        )
    executor = record.executor_name if record else ""
    if not executor and item.executor:
        executor = str(item.executor)
    executed_at = (record.executed_at if record else None) or item.handled_at
    return [
        Field("客户名称", "Customer", " · ".join(part for part in (customer, place) if part)),
        Field("反馈意见", "Feedback", _feedback(item), tall=True),
        Field("品质部意见", "QA department's opinion", record.qa_opinion if record else "", tall=True),
        Field(
            "管理处执行记录",
            "Management office's execution record",
            (record.office_record if record else "") or item.result,
            tall=True,
        ),
        Field("品质部验收", "QA acceptance", record.qa_acceptance if record else "", tall=True),
        Field("客户验收", "Customer acceptance", customer_acceptance, tall=True),
        Field("执行人", "Executor", executor),
        Field(
            "执行时间",
            "Execution time",
            f"{timezone.localtime(executed_at):%Y-%m-%d %H:%M}" if executed_at else "",
        ),
    ]


def _feedback(item: FeedbackItem) -> str:
    if item.title and not item.description.startswith(item.title):
        return f"{item.title}\n{item.description}"
    return item.description


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
            "fields": execution_record_fields(item=item),
        },
    )
    # nothing is fetched while rendering: no file, no network (the template needs neither)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
