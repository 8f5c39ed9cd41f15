"""The nonconformity record (不合格项处理记录, R-RV-4) as a printable A4 PDF: the nature of the nonconformity,
its cause, the actions with their owners, deadlines and results, the verification, and the signature lines.
Rendered like feedback/pdf.py: WeasyPrint fetching nothing, Noto Sans CJK SC, every typed text through
`common.text.document_text`."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.quality import events, selectors
from estatedesk.quality.models import Nonconformity


def _when(value: object) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""  # type: ignore[arg-type]


def nonconformity_pdf(*, nonconformity: Nonconformity) -> bytes:
    """The record in the company's language (the printed form is filed), headings bilingual."""
    with translation.override(settings.LANGUAGE_CODE):
        return html_to_pdf(_html(nonconformity))


def _html(nonconformity: Nonconformity) -> str:
    project = nonconformity.project
    actions = [
        {
            "kind": action.get_kind_display(),
            "description": document_text(action.description),
            "owner": document_text(str(action.owner)),
            "due_on": f"{action.due_on:%Y-%m-%d}",
            "done_at": _when(action.done_at),
            "result": document_text(action.result),
        }
        for action in nonconformity.actions.all()
    ]
    history = [
        events.describe(event) for event in selectors.nonconformity_events(nonconformity=nonconformity)
    ]
    return render_to_string(
        "quality/pdf_record.html",
        {
            "nc": nonconformity,
            "company": document_text(project.branch.company.name),
            "project": document_text(project.name),
            "title": document_text(nonconformity.title),
            "description": document_text(nonconformity.description),
            "cause": document_text(nonconformity.cause),
            "evidence": document_text(nonconformity.verification_evidence),
            "cancelled_reason": document_text(nonconformity.cancelled_reason),
            "raised_at": _when(nonconformity.raised_at),
            "verified_at": _when(nonconformity.verified_at),
            "closed_at": _when(nonconformity.closed_at),
            "raised_by": document_text(str(nonconformity.raised_by or "")),
            "verifier": document_text(str(nonconformity.verifier or "")),
            "actions": actions,
            "history": [
                {
                    "at": f"{row.at:%Y-%m-%d %H:%M}",
                    "who": document_text(row.who),
                    "what": row.what,
                    "message": document_text(row.message),
                }
                for row in history
            ],
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        },
    )
