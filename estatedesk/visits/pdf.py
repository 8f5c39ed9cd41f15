"""附表三 回访记录表, the record of one return visit (R-RV-5), as a printable A4 PDF.

The form's columns, as the seed has them: project, management office, the visit's content and the handling
result, the customer's satisfaction A 满意 / B 较满意 / C 不满意, the customer's signature, the visitor's
signature and the date; at its foot the recorder (记录) and the record date (日期). The visitor's and the
recorder's names are printed from the visit; the signatures stay empty boxes, to be signed on paper.

Text that people typed goes through `common.text.document_text` and autoescaping, and WeasyPrint fetches
nothing (`feedback.pdf.html_to_pdf`), as for 附表二.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.visits.choices import Grade
from estatedesk.visits.models import ReturnVisit

GRADE_WORDS = {Grade.A: "满意", Grade.B: "较满意", Grade.C: "不满意"}


@dataclass(frozen=True)
class GradeBox:
    letter: str
    word: str
    checked: bool


def _person(user: Any) -> str:
    return document_text(str(user)) if user is not None else ""


def covered_items(visit: ReturnVisit) -> list[Any]:
    """The feedback items the visit is about: the monthly list's items of the month, else its one item."""
    items = list(visit.covered_items.order_by("registered_at", "id"))
    if visit.item is not None and all(item.pk != visit.item_id for item in items):
        items.insert(0, visit.item)
    return items


def _office(visit: ReturnVisit, items: list[Any]) -> str:
    """The management office: the department handling the item at the time of the grade, else the
    item's responsible department, else the visiting department, else the project."""
    for department in (visit.handler_department, *(i.department for i in items), visit.department):
        if department is not None:
            return document_text(department.name)
    return document_text(visit.project.name)


def _content(visit: ReturnVisit, items: list[Any]) -> list[str]:
    lines = [f"{item.reference} {item.title}" for item in items]
    lines.append(visit.get_purpose_display())
    if visit.customer_said:
        lines.append(f"客户意见 Customer said: {visit.customer_said}")
    return [document_text(line) for line in lines]


def _handling(visit: ReturnVisit, items: list[Any]) -> str:
    if visit.handling_result:
        return document_text(visit.handling_result)
    return document_text("\n".join(item.result for item in items if item.result))


def return_visit_pdf(*, visit: ReturnVisit) -> bytes:
    """The PDF of the visit's record. Fonts: Noto Sans CJK SC (Debian fonts-noto-cjk)."""
    project = visit.project
    items = covered_items(visit)
    recorded_at = timezone.localtime(visit.recorded_at) if visit.recorded_at else None
    html = render_to_string(
        "visits/pdf_return_visit.html",
        {
            "visit": visit,
            "company": document_text(project.branch.company.name),
            "project": document_text(project.name),
            "office": _office(visit, items),
            "customer": document_text(visit.customer_name or (visit.resident.name if visit.resident else "")),
            "content": _content(visit, items),
            "handling": _handling(visit, items),
            "grades": [
                GradeBox(letter=grade.value, word=GRADE_WORDS[grade], checked=visit.grade == grade.value)
                for grade in Grade
            ],
            "quality_met": visit.quality_met,
            "channel": visit.get_channel_display() if visit.channel else "",
            "visitor": _person(visit.graded_by or visit.visitor),
            "visited_on": f"{visit.visited_on:%Y-%m-%d}" if visit.visited_on else "",
            "recorder": _person(visit.recorded_by),
            "recorded_on": f"{recorded_at:%Y-%m-%d}" if recorded_at else "",
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        },
    )
    return html_to_pdf(html)
