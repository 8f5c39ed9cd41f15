"""From feedback without retyping (R-IR-8): a major or hot complaint on a feedback item becomes one instant
report of the catalogue's complaint type (重大、热点投诉: 投诉事由、事态进展情况), in HQ's inbox.

Feedback cannot import reporting (the layer order), so it calls what reporting registers in
`feedback.followups` (`connect()`, from ReportingConfig.ready):
- `report_from_item`: the hand-off. The report is made once per item (`ReportSubmission.feedback_item` is
  unique: a second hand-off, or two at once, answer with the first report), filed at once with the item's
  facts and progress filled into the template, HQ's reviewers told. Feedback says "sent" only with the
  receipt this returns.
- `progress_of_item`: each later timeline event of a reported item becomes a follow-up (续报) of that
  report, never a second report; each event once (`ReportUpdate.source_event_id`).

The report's event time is when the item was registered, so its deadline (the type's "at once" hours)
runs from the complaint, not from the hand-off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.feedback import events as feedback_events
from estatedesk.feedback import followups
from estatedesk.feedback.choices import EventKind
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.org.models import Company
from estatedesk.reporting import catalogue, events, submissions
from estatedesk.reporting.choices import Special, SubmissionStatus, UpdateKind
from estatedesk.reporting.models import InformationType, ReportSubmission
from estatedesk.reporting.selectors import rules_for_company

LISTENER = "reporting.handoff"


def connect() -> None:
    """Register the hand-off and the progress listeners (ReportingConfig.ready; again replaces them)."""
    followups.listen_handoff(LISTENER, report_from_item)
    followups.listen_reported_progress(LISTENER, progress_of_item)


def complaint_type(*, company_id: int) -> InformationType | None:
    """The catalogue's type of major or hot complaints; a company without any catalogue yet gets the seed's
    (None when HQ has none active: nothing can be stored)."""
    rows = InformationType.objects.filter(
        company_id=company_id, special=Special.COMPLAINT, is_active=True
    ).order_by("position", "id")
    found = rows.first()
    if found is None and not InformationType.objects.filter(company_id=company_id).exists():
        catalogue.catalogue_ensure(company=Company.objects.get(pk=company_id))
        found = rows.first()
    return found


def _receipt(submission: ReportSubmission, *, created: bool) -> followups.HqReport:
    return followups.HqReport(
        reference=submission.reference,
        url=submissions.submission_url(submission),
        title=submission.title,
        created=created,
    )


def _progress_text(progress: list[dict[str, Any]]) -> str:
    lines = []
    for step in progress:
        at = str(step.get("at", ""))
        try:
            when = f"{timezone.localtime(datetime.fromisoformat(at)):%Y-%m-%d %H:%M}"
        except ValueError:
            when = at[:16]
        note = f" · {step['note']}" if step.get("note") else ""
        lines.append(f"{when} · {step.get('what', '')}{note}")
    return "\n".join(lines)


def _place(item: FeedbackItem) -> str:
    parts = [item.project.name]
    building, unit = item.building, item.unit
    if building is not None:
        parts.append(building.name)
    if unit is not None:
        parts.append(unit.label)
    return " · ".join(parts)


@transaction.atomic
def report_from_item(handoff: followups.HqHandoff) -> followups.HqReport | None:
    """The hand-off listener: the item's report, made now or found (None: the company's catalogue has no
    complaint type, so nothing was stored)."""
    item = handoff.item
    existing = ReportSubmission.objects.filter(feedback_item_id=item.pk).first()
    if existing is not None:
        return _receipt(existing, created=False)
    project = item.project
    information_type = complaint_type(company_id=project.branch.company_id)
    if information_type is None:
        return None
    content = handoff.content
    template = catalogue.current_template(information_type)
    values = submissions.clean_values(
        template,
        {
            "cause": content.get("facts", ""),
            "progress": _progress_text(content.get("progress", [])),
            "is_hot": item.is_hot,
            "feedback_reference": item.reference,
        },
    )
    now = timezone.now()
    rules = rules_for_company(project.branch.company_id)
    try:
        submission = submissions._create_with_reference(
            f"IR-{project.code}-{timezone.localtime(item.registered_at).date():%Y%m%d}-",
            information_type=information_type,
            template=template,
            branch=project.branch,
            project=project,
            unit_key=f"P{project.pk}",
            occurred_at=item.registered_at,
            due_at=submissions.instant_due_at(information_type, occurred_at=item.registered_at, rules=rules),
            status=SubmissionStatus.SUBMITTED,
            title=item.title[:200],
            body=str(content.get("facts", "")),
            values=values,
            first_submitted_at=now,
            submitted_at=now,
            submitted_by=handoff.actor,
            place=_place(item)[:200],
            feedback_item=item,
            created_by=handoff.actor,
        )
    except IntegrityError:  # handed over at the same moment by someone else: theirs is the report
        return _receipt(ReportSubmission.objects.get(feedback_item_id=item.pk), created=False)
    submission.is_complete = not submissions.completeness(submission, attachment_count=0)
    submission.save(update_fields=["is_complete"])
    audit_record(
        actor=handoff.actor,
        action="create",
        obj=submission,
        after={**model_changes(submission, submissions.AUDITED), "item": item.reference},
        project_id=project.pk,
    )
    events.record(
        submission=submission,
        kind=UpdateKind.FIRST,
        actor=handoff.actor,
        at=now,
        text=submission.body,
        values={"feedback_item": item.reference, "progress": content.get("progress", [])},
    )
    words = {"reference": submission.reference, "title": submission.title, "project": project.name}
    submissions._tell(
        submissions.hq_reviewers(project.branch.company_id),
        submission,
        (
            _("Hot complaint at %(project)s: %(title)s")
            if item.is_hot and not item.is_major
            else _("Major complaint at %(project)s: %(title)s")
        )
        % words,
        _("%(reference)s, handed over from the feedback item %(item)s.") % {**words, "item": item.reference},
        actor=handoff.actor,
    )
    return _receipt(submission, created=True)


def _event_text(event: TimelineEvent) -> str:
    """The event in words, in the company's language (what, details, then the note)."""
    with translation.override(settings.LANGUAGE_CODE):
        described = feedback_events.describe(event)
        head = " · ".join([described.what, *[line for line in described.details if line]])
    return f"{head}\n{described.message}".strip() if described.message else head


def progress_of_item(item: FeedbackItem, event: TimelineEvent) -> None:
    """A new timeline event of an item reported to HQ: a follow-up of its report, once."""
    if event.kind == EventKind.HQ_REPORT:
        return
    submission = ReportSubmission.objects.filter(feedback_item_id=item.pk).first()
    if submission is None:  # reported before HQ reporting stored reports
        return
    events.record(
        submission=submission,
        kind=UpdateKind.FOLLOW_UP,
        actor=event.actor,
        at=event.at,
        text=_event_text(event),
        values={"feedback_item": item.reference, "event": event.kind, "status": event.to_status},
        source_event_id=event.pk,
    )


def submission_from_item(*, actor: Any, item: FeedbackItem) -> tuple[ReportSubmission, bool]:
    """Hand an item to HQ through feedback's service (its rules: major or hot, who may); the report and
    whether it was made now."""
    from estatedesk.feedback.services import feedback_item_hand_to_hq

    _content, receipt = feedback_item_hand_to_hq(actor=actor, item=item)
    return ReportSubmission.objects.get(reference=receipt.reference), receipt.created
