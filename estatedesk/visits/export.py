"""The monthly return-visit list (R-FB-6) of a project as an Excel workbook: one row per customer with the
items of the month the visit covers, the visitor, the deadline, the attempts and the result.

Phones follow the owner archive's rule (owners.privacy, ADR 0007): in full only for a user who holds
`owners.phone.full` at the project (the roles that call owners), masked for everyone else who may export
(a branch or general manager, HQ). Reading goes through `ReturnVisit.objects.visible_to`, so the export
holds what the user may see and nothing more; every export is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet

from estatedesk.common.audit import audit_record
from estatedesk.common.excel import write_workbook
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, require
from estatedesk.owners.contacts import mask_phone
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.pdf import GRADE_WORDS

HEADERS = [
    "客户 Customer",
    "电话 Phone",
    "反馈事项 Items",
    "类别 Category",
    "回访人 Visitor",
    "回访期限 Visit by",
    "状态 Status",
    "联系次数 Attempts",
    "满意度 Satisfaction",
    "回访日期 Visit date",
    "回访内容 Customer said",
    "处理结果 Handling result",
]
STATUS_ZH: dict[str, str] = {
    VisitStatus.DUE: "待回访",
    VisitStatus.GRADED: "已回访",
    VisitStatus.CANCELLED: "已取消",
}
COLUMN_WIDTHS = [12, 16, 40, 12, 12, 17, 10, 8, 12, 12, 36, 36]


def monthly_visits(*, user: Any, project: Project, month: date) -> QuerySet[ReturnVisit]:
    """The project's monthly visits of `month` that the user may see, with what a row shows."""
    items = FeedbackItem.objects.order_by("registered_at", "id")
    return (
        ReturnVisit.objects.visible_to(user)
        .filter(project=project, purpose=Purpose.MONTHLY, month=month.replace(day=1))
        .select_related("visitor", "graded_by", "item")
        .prefetch_related(Prefetch("covered_items", queryset=items, to_attr="item_list"))
        .annotate(attempt_count=Count("attempts"))
        .order_by("due_at", "id")
    )


def _items(visit: ReturnVisit) -> list[FeedbackItem]:
    items: list[FeedbackItem] = list(getattr(visit, "item_list", []))
    if visit.item is not None and all(item.pk != visit.item_id for item in items):
        items.insert(0, visit.item)
    return items


def _rows(visits: QuerySet[ReturnVisit], *, full_phones: bool) -> Iterator[list[Any]]:
    for visit in visits:
        items = _items(visit)
        phone = visit.customer_phone
        categories = dict.fromkeys(item.get_category_display() for item in items)
        yield [
            visit.customer_name,
            phone if full_phones else mask_phone(phone),
            "\n".join(f"{item.reference} {item.title}" for item in items),
            " / ".join(str(category) for category in categories),
            str(visit.graded_by or visit.visitor or ""),
            visit.due_at,
            STATUS_ZH.get(visit.status, visit.status),
            getattr(visit, "attempt_count", 0),
            f"{visit.grade} {GRADE_WORDS[Grade(visit.grade)]}" if visit.grade else "",
            visit.visited_on,
            visit.customer_said,
            visit.handling_result,
        ]


def monthly_list_export(*, actor: Any, project: Project, month: date) -> str:
    """Write the project's monthly visit list of `month` to a temporary .xlsx and record the export;
    returns the file path. Phones are masked unless the actor calls owners at the project."""
    require(actor, "visits.export", project=project)
    full_phones = can(actor, "owners.phone.full", project=project)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=project,
            after={
                "what": f"monthly return visits {month:%Y-%m}",
                "phones": "full" if full_phones else "masked",
            },
            project_id=project.pk,
        )
    return write_workbook(
        title=f"回访名单 {project.code} {month:%Y-%m}",
        headers=HEADERS,
        rows=_rows(monthly_visits(user=actor, project=project, month=month), full_phones=full_phones),
        column_widths=COLUMN_WIDTHS,
    )
