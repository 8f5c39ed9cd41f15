"""Submitting and reviewing reports to HQ (R-IR-1, R-IR-5), instant reports and emergencies (R-IR-4,
R-CS-4): issue 14, deliverables 3 and 4.

A periodic report is made by the system (expected.py) with its deadline; the branch or project fills the
type's template as a draft (`submission_draft`: the template version is fixed on the first save and kept),
adds attachments, and the document administrator submits it (`submission_submit`: refused while a required
field or attachment is missing). HQ's property management department accepts it with a quality level
(`submission_accept`: the report is then locked) or returns it with a reason (`submission_return`); a
returned report keeps its first submission time for timeliness, and its resubmission is counted and
recorded. Follow-ups (续报) and the final report (终报) go on the same report (`follow_up_add`).

An instant report (an event: an emergency, litigation, a media report, …) is filed at once
(`instant_report_make`): due `deadlines.due_at` of the event (occurred_at + the type's hours or the
rules' "at once" hours), submitted when made. An emergency's facts give the proposed class
(emergencies.propose_class); a person confirms it or overrides it with a reason (`class_confirm`).
Class 1 is due at HQ within the hours; class 2 has no deadline of its own: it is told in the monthly
business report of its month (`class_2_events_for`). Every emergency at a project is told to the project
manager (R-CS-4).

Services check the capability at the report's unit (its project, or its branch), lock the row, save, write
the history (events.record), audit, and notify in the same transaction (notifications.notify queues its
email on commit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.text import filename_safe
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Branch, Membership, Project
from estatedesk.org.permissions import can, require
from estatedesk.org.selectors import project_staff
from estatedesk.reporting import catalogue, deadlines, emergencies, events
from estatedesk.reporting.choices import (
    EmergencyClass,
    InfoClass,
    Special,
    SubmissionStatus,
    UpdateKind,
)
from estatedesk.reporting.models import (
    InformationType,
    QualityLevel,
    ReportAttachment,
    ReportingRules,
    ReportSubmission,
    ReportTemplate,
    ReportUpdate,
)
from estatedesk.reporting.selectors import rules_for_company

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 20
ATTACHMENT_EXTENSIONS = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".txt",
        ".csv",
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".zip",
        ".rar",
        ".7z",
        ".wps",
        ".et",
    }
)
EDITABLE = (SubmissionStatus.EXPECTED, SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)
FILED = (SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED, SubmissionStatus.ACCEPTED)
AUDITED = [
    "status",
    "title",
    "body",
    "values",
    "first_submitted_at",
    "submitted_at",
    "resubmissions",
    "is_complete",
    "returned_reason",
    "accepted_at",
    "quality_level_id",
    "quality_score",
    "confirmed_class",
    "class_reason",
    "final_at",
]
MAX_FUTURE = timedelta(minutes=10)  # an event "in the future" beyond clock drift is a typing error


# --- who may act on a report ----------------------------------------------------------------------------


def _can(actor: Any, capability: str, submission: ReportSubmission) -> bool:
    """The capability at the report's unit: its project (with the project's branch and company-wide roles),
    or its branch for a branch's own report."""
    if submission.project_id is not None:
        return can(actor, capability, project=submission.project)
    return can(actor, capability, branch=submission.branch)


def is_instant(submission: ReportSubmission) -> bool:
    """An event's report (not an expected periodic one)."""
    return submission.period_start is None


def may_write(actor: Any, submission: ReportSubmission) -> bool:
    """Fill in the report: reporting.fill at its unit, or, for an event's report, whoever reports events."""
    return _can(actor, "reporting.fill", submission) or (
        is_instant(submission) and _can(actor, "reporting.instant", submission)
    )


def may_submit(actor: Any, submission: ReportSubmission) -> bool:
    """Submit it: the document administrator or a manager of the unit; an event's report, who reports
    events."""
    return _can(actor, "reporting.submit", submission) or (
        is_instant(submission) and _can(actor, "reporting.instant", submission)
    )


def may_review(actor: Any, submission: ReportSubmission) -> bool:
    return _can(actor, "reporting.review", submission)


def may_classify(actor: Any, submission: ReportSubmission) -> bool:
    return is_emergency(submission) and _can(actor, "reporting.classify", submission)


def is_emergency(submission: ReportSubmission) -> bool:
    return submission.information_type.special == Special.EMERGENCY


def _denied(actor: Any, allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(what)


# --- the template: fields, values, completeness ----------------------------------------------------------


def template_of(submission: ReportSubmission) -> ReportTemplate | None:
    """The version the report is filled in; before its first save, the type's current one."""
    if submission.template_id is not None:
        return submission.template
    return catalogue.current_template(submission.information_type)


def field_label(field: dict[str, Any]) -> str:
    """The field's label in the active language (the English one when English is active and there is one)."""
    label_en = str(field.get("label_en") or "")
    if label_en and (translation.get_language() or "").startswith("en"):
        return label_en
    return str(field.get("label") or field.get("key") or "")


def choice_values(field: dict[str, Any]) -> list[tuple[str, str]]:
    """A choice field's (value, label) pairs: choices as ["a", "b"], [["a", "A"]] or [{"value", "label"}]."""
    pairs = []
    for choice in field.get("choices") or []:
        if isinstance(choice, dict):
            value = str(choice.get("value", ""))
            pairs.append((value, str(choice.get("label") or value)))
        elif isinstance(choice, (list, tuple)) and choice:
            pairs.append((str(choice[0]), str(choice[-1])))
        else:
            pairs.append((str(choice), str(choice)))
    return pairs


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(field: dict[str, Any], value: Any) -> str:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as error:
        raise ValueError(_("Enter a number.")) from error
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    return str(number.quantize(Decimal("0.01")) if field.get("type") == "money" else number)


def _date(field: dict[str, Any], value: Any) -> str:
    try:
        day = value if isinstance(value, date) else parse_date(str(value).strip())
    except ValueError:
        day = None
    if day is None:
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    return day.isoformat()


def _choice(field: dict[str, Any], value: Any) -> str:
    if str(value) not in [pair[0] for pair in choice_values(field)]:
        raise ValueError(_("Choose one of the listed values."))
    return str(value)


def _yes_no(field: dict[str, Any], value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "是"}:
        return True
    if text in {"0", "false", "no", "off", "否"}:
        return False
    raise ValueError(_("Answer yes or no."))


CLEANERS: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    "number": _number,
    "money": _number,
    "date": _date,
    "choice": _choice,
    "yes_no": _yes_no,
}


def clean_value(field: dict[str, Any], value: Any) -> Any:
    """One value as it is stored (text, a decimal as text, an ISO date, a choice, a yes/no), or
    ValueError with what is wrong; blank is None."""
    if _is_blank(value):
        return None
    cleaner = CLEANERS.get(str(field.get("type", "text")))
    return cleaner(field, value) if cleaner is not None else str(value).strip()


def clean_values(template: ReportTemplate | None, values: dict[str, Any]) -> dict[str, Any]:
    """The template's values from `values` (keys it does not know are dropped; blanks left out), or a
    DomainError with a message per field."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[Any]] = {}
    for field in template.fields if template is not None else []:
        key = field.get("key")
        if not key or key not in values:
            continue
        try:
            value = clean_value(field, values[key])
        except ValueError as error:
            problems[key] = [str(error)]
            continue
        if value is not None:
            cleaned[key] = value
    if problems:
        raise DomainError("reporting.invalid_values", _("Some fields are not valid."), fields=problems)
    return cleaned


def missing_fields(submission: ReportSubmission) -> list[dict[str, Any]]:
    template = template_of(submission)
    values = submission.values or {}
    return [
        field
        for field in (template.fields if template is not None else [])
        if field.get("required") and _is_blank(values.get(field.get("key")))
    ]


def completeness(submission: ReportSubmission, *, attachment_count: int | None = None) -> list[str]:
    """What is missing before the report may be submitted (R-IR-1 completeness): each required field's
    label, then the attachments still needed; [] when complete."""
    missing = [field_label(field) for field in missing_fields(submission)]
    template = template_of(submission)
    needed = template.attachments_required if template is not None else 0
    have = attachment_count if attachment_count is not None else submission.attachments.count()
    if needed > have:
        note = template.attachment_note if template is not None else ""
        missing.append(
            _("%(needed)s attachment(s) required (%(note)s), %(have)s given")
            % {"needed": needed, "have": have, "note": note or _("files")}
            if note
            else _("%(needed)s attachment(s) required, %(have)s given") % {"needed": needed, "have": have}
        )
    return missing


def is_on_time(submission: ReportSubmission) -> bool | None:
    """First submitted within the deadline (R-IR-1; a resubmission keeps the first time); None while it has
    not been submitted and the deadline has not passed."""
    if submission.first_submitted_at is None and submission.due_at >= timezone.now():
        return None
    return deadlines.is_on_time(submission.first_submitted_at, submission.due_at)


# --- the people told -------------------------------------------------------------------------------------


def hq_reviewers(company_id: int) -> list[Any]:
    """HQ's property management department (company-wide HQ_PROPERTY), who review reports."""
    user_ids = Membership.objects.filter(
        company_id=company_id,
        role=Role.HQ_PROPERTY,
        branch__isnull=True,
        project__isnull=True,
        is_active=True,
    ).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True))


def unit_reporters(submission: ReportSubmission) -> list[Any]:
    """Who reports for the unit: its document administrators, else its manager (the project's manager, or
    the branch manager for a branch's report)."""
    at_unit = (
        Q(project_id=submission.project_id)
        if submission.project_id is not None
        else Q(branch_id=submission.branch_id, project__isnull=True)
    )
    rows = Membership.objects.filter(at_unit, is_active=True, user__is_active=True)
    user_ids = list(rows.filter(role=Role.DOC_ADMIN).values_list("user_id", flat=True))
    if not user_ids:
        manager = Role.PROJECT_MANAGER if submission.project_id is not None else Role.BRANCH_MANAGER
        user_ids = list(rows.filter(role=manager).values_list("user_id", flat=True))
    return list(get_user_model().objects.filter(pk__in=user_ids))


def submission_url(submission: ReportSubmission) -> str:
    return reverse("reporting:submission_detail", args=[submission.reference])


def _unit_name(submission: ReportSubmission) -> str:
    project = submission.project
    return project.name if project is not None else submission.branch.name


def _tell(
    users: Iterable[Any], submission: ReportSubmission, title: str, body: str = "", *, actor: Any
) -> None:
    url = submission_url(submission)
    notify(
        users=[user for user in users if user.pk != getattr(actor, "pk", None)],
        title=title,
        body=body,
        url=url,
        group_key=url,
    )


def _needs_hq_now(submission: ReportSubmission) -> bool:
    """HQ acts on it now: anything but an emergency of class 2 (told in the monthly business report)."""
    return not (is_emergency(submission) and class_of(submission) == EmergencyClass.CLASS_2)


def class_of(submission: ReportSubmission) -> str:
    """The confirmed class, else the proposed one ("" for a report that is not an emergency)."""
    return submission.confirmed_class or submission.proposed_class


# --- the row, locked -------------------------------------------------------------------------------------


def _locked(submission: ReportSubmission) -> ReportSubmission:
    return (
        ReportSubmission.objects.select_for_update(of=("self",))
        .select_related("information_type", "branch", "project", "template")
        .get(pk=submission.pk)
    )


def _refuse_locked(current: ReportSubmission) -> None:
    if current.is_locked:
        raise DomainError(
            "reporting.locked",
            _("The report has been accepted by HQ and can no longer be changed."),
            status=409,
        )


def _save(current: ReportSubmission, *, actor: Any, before: dict[str, Any], fields: list[str]) -> None:
    current.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=current,
        before=before,
        after=model_changes(current, AUDITED),
        project_id=current.project_id,
    )


# --- drafting --------------------------------------------------------------------------------------------


@transaction.atomic
def submission_draft(
    *, actor: Any, submission: ReportSubmission, values: dict[str, Any], title: str, body: str
) -> ReportSubmission:
    """Save what the unit has filled in so far (a draft: required fields may still be blank). The first
    save fixes the template version the report is filled in (R-IR-5)."""
    _denied(actor, may_write(actor, submission), "reporting.fill")
    current = _locked(submission)
    _refuse_locked(current)
    if current.status not in EDITABLE:
        raise DomainError(
            "reporting.under_review",
            _("The report is with HQ for review; it can be changed once HQ returns it."),
            status=409,
        )
    before = model_changes(current, AUDITED)
    if current.template_id is None:
        current.template = catalogue.current_template(current.information_type)
    cleaned = clean_values(current.template, values)  # a key posted blank is emptied; one left out is kept
    current.values = {
        key: value for key, value in (current.values or {}).items() if key not in values
    } | cleaned
    current.title = title.strip()[:200]
    current.body = body.strip()
    if current.status == SubmissionStatus.EXPECTED:
        current.status = SubmissionStatus.DRAFT
    _save(current, actor=actor, before=before, fields=["template", "values", "title", "body", "status"])
    return current


@transaction.atomic
def attachment_add(*, actor: Any, submission: ReportSubmission, file: UploadedFile) -> ReportAttachment:
    """A file of the report (through the storage API): while it is being filled in or corrected."""
    _denied(actor, may_write(actor, submission), "reporting.fill")
    current = _locked(submission)
    _refuse_locked(current)
    if current.status not in EDITABLE:
        raise DomainError(
            "reporting.under_review",
            _("The report is with HQ for review; files cannot be added now."),
            status=409,
        )
    return _attach(actor=actor, submission=current, files=[file])[0]


def _attach(
    *, actor: Any, submission: ReportSubmission, files: Sequence[UploadedFile]
) -> list[ReportAttachment]:
    existing = submission.attachments.count()
    if existing + len(files) > MAX_ATTACHMENTS:
        raise DomainError(
            "reporting.too_many_files",
            _("A report has at most %(count)s files.") % {"count": MAX_ATTACHMENTS},
            fields={"file": [_("Too many files.")]},
        )
    stored = []
    for upload in files:
        name = filename_safe(upload.name or "", fallback="file")
        if PurePath(name).suffix.lower() not in ATTACHMENT_EXTENSIONS:
            raise DomainError(
                "reporting.file_type",
                _("%(name)s is not a document, a spreadsheet, a picture or an archive.") % {"name": name},
                fields={"file": [_("This kind of file is not accepted.")]},
            )
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise DomainError(
                "reporting.file_too_large",
                _("%(name)s is larger than %(size)s MB.")
                % {"name": name, "size": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
                fields={"file": [_("The file is too large.")]},
            )
        attachment = ReportAttachment(
            submission=submission, name=name, size=upload.size or 0, uploaded_by=actor
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="create",
            obj=attachment,
            after={"name": name, "item": submission.reference},
            project_id=submission.project_id,
        )
        stored.append(attachment)
    return stored


@transaction.atomic
def attachment_remove(*, actor: Any, attachment: ReportAttachment) -> None:
    submission = attachment.submission
    _denied(actor, may_write(actor, submission), "reporting.fill")
    current = _locked(submission)
    _refuse_locked(current)
    if current.status not in EDITABLE:
        raise DomainError(
            "reporting.under_review",
            _("The report is with HQ for review; files cannot be removed now."),
            status=409,
        )
    audit_record(
        actor=actor,
        action="delete",
        obj=attachment,
        before={"name": attachment.name, "item": current.reference},
        project_id=current.project_id,
    )
    name = attachment.file.name
    attachment.delete()
    if name:
        transaction.on_commit(lambda: attachment.file.storage.delete(name))


# --- submitting and reviewing ----------------------------------------------------------------------------


@transaction.atomic
def submission_submit(*, actor: Any, submission: ReportSubmission) -> ReportSubmission:
    """Send the report to HQ, complete (every required field and attachment), or refused with what is
    missing. The first submission time stays for timeliness; a resubmission after a return is counted
    and recorded. HQ's reviewers are told."""
    _denied(actor, may_submit(actor, submission), "reporting.submit")
    current = _locked(submission)
    _refuse_locked(current)
    if current.status not in EDITABLE:
        raise DomainError("reporting.already_submitted", _("The report is already with HQ."), status=409)
    if current.template_id is None:
        current.template = catalogue.current_template(current.information_type)
    missing_keys = {field["key"]: [_("Required before submitting.")] for field in missing_fields(current)}
    missing = completeness(current)
    if missing:
        raise DomainError(
            "reporting.incomplete",
            _("The report is not complete: %(missing)s.") % {"missing": "; ".join(missing)},
            fields=missing_keys,
        )
    before = model_changes(current, AUDITED)
    now = timezone.now()
    resubmitted = current.first_submitted_at is not None
    if resubmitted:
        current.resubmissions += 1
    else:
        current.first_submitted_at = now
    current.submitted_at = now
    current.submitted_by = actor
    current.status = SubmissionStatus.SUBMITTED
    current.is_complete = True
    _save(
        current,
        actor=actor,
        before=before,
        fields=[
            "template",
            "first_submitted_at",
            "submitted_at",
            "submitted_by",
            "status",
            "is_complete",
            "resubmissions",
        ],
    )
    events.record(
        submission=current,
        kind=UpdateKind.RESUBMITTED if resubmitted else UpdateKind.SUBMITTED,
        actor=actor,
        at=now,
        values={"values": current.values, "resubmission": current.resubmissions} if resubmitted else {},
    )
    title = (
        _("%(reference)s resubmitted after correction: %(title)s")
        if resubmitted
        else _("%(reference)s submitted for review: %(title)s")
    ) % {"reference": current.reference, "title": current.title or current.information_type.name}
    _tell(hq_reviewers(current.branch.company_id), current, title, _unit_name(current), actor=actor)
    return current


def _review_target(actor: Any, submission: ReportSubmission) -> ReportSubmission:
    _denied(actor, may_review(actor, submission), "reporting.review")
    current = _locked(submission)
    _refuse_locked(current)
    if current.status != SubmissionStatus.SUBMITTED:
        raise DomainError(
            "reporting.not_submitted", _("Only a submitted report can be reviewed."), status=409
        )
    return current


@transaction.atomic
def submission_return(*, actor: Any, submission: ReportSubmission, reason: str) -> ReportSubmission:
    """HQ returns the report for correction, with the reason (required); the unit is told."""
    current = _review_target(actor, submission)
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "reporting.reason_required",
            _("Say what is to be corrected."),
            fields={"reason": [_("Say what is to be corrected.")]},
        )
    before = model_changes(current, AUDITED)
    current.status = SubmissionStatus.RETURNED
    current.returned_reason = reason
    _save(current, actor=actor, before=before, fields=["status", "returned_reason"])
    events.record(submission=current, kind=UpdateKind.RETURNED, actor=actor, text=reason)
    people = [*unit_reporters(current), *([current.submitted_by] if current.submitted_by else [])]
    _tell(
        people,
        current,
        _("%(reference)s returned by HQ for correction") % {"reference": current.reference},
        reason,
        actor=actor,
    )
    return current


@transaction.atomic
def submission_accept(
    *, actor: Any, submission: ReportSubmission, quality_level: QualityLevel
) -> ReportSubmission:
    """HQ accepts the report with a quality level of its rubric (R-IR-1: the score is kept as given); the
    report is locked."""
    current = _review_target(actor, submission)
    if quality_level.company_id != current.branch.company_id:
        raise DomainError(
            "reporting.quality_level",
            _("Choose a quality level of the company's rubric."),
            fields={"quality_level": [_("Choose a quality level of the company's rubric.")]},
        )
    before = model_changes(current, AUDITED)
    now = timezone.now()
    current.status = SubmissionStatus.ACCEPTED
    current.accepted_at = now
    current.accepted_by = actor
    current.quality_level = quality_level
    current.quality_score = quality_level.score
    _save(
        current,
        actor=actor,
        before=before,
        fields=["status", "accepted_at", "accepted_by", "quality_level", "quality_score"],
    )
    events.record(
        submission=current,
        kind=UpdateKind.ACCEPTED,
        actor=actor,
        at=now,
        values={"quality_level": quality_level.label, "score": str(quality_level.score)},
    )
    _tell(
        unit_reporters(current),
        current,
        _("%(reference)s accepted by HQ (%(level)s)")
        % {"reference": current.reference, "level": quality_level.label},
        actor=actor,
    )
    return current


# --- follow-ups and the final report ---------------------------------------------------------------------


@transaction.atomic
def follow_up_add(
    *, actor: Any, submission: ReportSubmission, kind: str, text: str, values: dict[str, Any] | None = None
) -> ReportUpdate:
    """A follow-up (续报) or the final report (终报) on the same report, once it has been filed; nothing
    follows the final report. HQ is told (unless the event is of class 2)."""
    _denied(actor, may_write(actor, submission), "reporting.fill")
    if kind not in (UpdateKind.FOLLOW_UP, UpdateKind.FINAL):
        raise DomainError("reporting.follow_up_kind", _("A follow-up or the final report."))
    current = _locked(submission)
    if current.status not in FILED:
        raise DomainError(
            "reporting.not_filed", _("Submit the report first; follow-ups come after it."), status=409
        )
    if current.final_at is not None:
        raise DomainError(
            "reporting.final_given", _("The final report has been given; nothing follows it."), status=409
        )
    text = text.strip()
    if not text:
        raise DomainError(
            "reporting.text_required",
            _("Say what happened since."),
            fields={"text": [_("Say what happened since.")]},
        )
    now = timezone.now()
    if kind == UpdateKind.FINAL:
        before = model_changes(current, AUDITED)
        current.final_at = now
        _save(current, actor=actor, before=before, fields=["final_at"])
    update = events.record(submission=current, kind=kind, actor=actor, text=text, values=values or {}, at=now)
    if _needs_hq_now(current):
        title = (
            _("Final report on %(reference)s: %(title)s")
            if kind == UpdateKind.FINAL
            else _("Follow-up on %(reference)s: %(title)s")
        ) % {"reference": current.reference, "title": current.title}
        _tell(hq_reviewers(current.branch.company_id), current, title, text, actor=actor)
    return update


# --- instant reports and emergencies ---------------------------------------------------------------------


def instant_due_at(
    information_type: InformationType, *, occurred_at: datetime, rules: ReportingRules
) -> datetime:
    """The deadline of an event's report: the catalogue's rule (deadlines.due_at: within the type's hours,
    or the rules' "at once" hours; daily for move-in bulletins)."""
    return deadlines.due_at(information_type, occurred_at=occurred_at, rules=rules)


def _unit(project: Project | None, branch: Branch | None) -> tuple[Branch, Project | None, str, str]:
    """(branch, project, unit_key, the unit's code) of an event's report."""
    if project is not None:
        return project.branch, project, f"P{project.pk}", project.code
    if branch is None:
        raise DomainError("reporting.unit_required", _("Choose the project or the branch company."))
    return branch, None, f"B{branch.pk}", branch.code


def _new_reference(prefix: str) -> str:
    """The next free number of the day: IR-QD-HJ-20261202-001 …"""
    taken = ReportSubmission.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


def _create_with_reference(prefix: str, **fields: Any) -> ReportSubmission:
    """The report under the next free reference (another report taking the number first: the next)."""
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return ReportSubmission.objects.create(reference=_new_reference(prefix), **fields)
        except IntegrityError:
            if (
                fields.get("feedback_item") is not None
                and ReportSubmission.objects.filter(feedback_item=fields["feedback_item"]).exists()
            ):
                raise
            continue
    raise DomainError("reporting.busy", _("Too many reports at once; try again."), status=409)


@dataclass(frozen=True)
class ClassChoice:
    """A person's class for an emergency: the proposal confirmed, or another class with the reason."""

    chosen: str
    reason: str = ""


def _check_class(proposed: str, choice: ClassChoice) -> tuple[str, str]:
    if choice.chosen not in EmergencyClass.values:
        raise DomainError(
            "reporting.class",
            _("Choose class 1 or class 2."),
            fields={"chosen": [_("Choose class 1 or class 2.")]},
        )
    reason = choice.reason.strip()
    if choice.chosen != proposed and not reason:
        raise DomainError(
            "reporting.class_reason_required",
            _("Give the reason for another class than the one proposed from the facts."),
            fields={"reason": [_("Give the reason for another class than the one proposed from the facts.")]},
        )
    return choice.chosen, reason if choice.chosen != proposed else ""


@dataclass(frozen=True)
class EventReport:
    """What an event's report says: its type, unit (a project, or a branch for a branch's event), when,
    where and what; an emergency's facts and, from who may classify, the class; the template's values and
    files."""

    information_type: InformationType
    occurred_at: datetime
    title: str
    project: Project | None = None
    branch: Branch | None = None
    body: str = ""
    place: str = ""
    facts: emergencies.Facts | None = None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    class_choice: ClassChoice | None = None
    attachments: Sequence[UploadedFile] = ()


@transaction.atomic
def instant_report_make(*, actor: Any, report: EventReport) -> ReportSubmission:
    """An event's report, filed at once (its first report, 首报): due from the event's time
    (`instant_due_at`), submitted now. An emergency's class is proposed from its facts and, with
    `class_choice` by someone who may classify, confirmed or overridden with a reason. The project's
    manager is told of every emergency (R-CS-4); HQ's reviewers of whatever they act on now."""
    information_type, occurred_at, facts = report.information_type, report.occurred_at, report.facts
    title, body, place, values = report.title, report.body, report.place, report.values
    class_choice, attachments = report.class_choice, report.attachments
    branch, project, unit_key, code = _unit(report.project, report.branch)
    require(
        actor, "reporting.instant", **({"project": project} if project is not None else {"branch": branch})
    )
    if information_type.company_id != branch.company_id or not information_type.is_active:
        raise DomainError("reporting.type", _("Choose an information type of the catalogue."))
    if information_type.is_expected:
        raise DomainError(
            "reporting.type_expected",
            _("%(type)s is made by the system for each period; fill in the expected report instead.")
            % {"type": information_type.name},
            fields={"information_type": [_("Not an event's report.")]},
        )
    now = timezone.now()
    if timezone.is_naive(occurred_at) or occurred_at > now + MAX_FUTURE:
        raise DomainError(
            "reporting.occurred_at",
            _("When did it happen? Not in the future."),
            fields={"occurred_at": [_("When did it happen? Not in the future.")]},
        )
    title = title.strip()
    if not title:
        raise DomainError(
            "reporting.title_required", _("Give the report a title."), fields={"title": [_("Required.")]}
        )
    rules = rules_for_company(branch.company_id)
    template = catalogue.current_template(information_type)
    cleaned = clean_values(template, values or {})
    emergency = information_type.special == Special.EMERGENCY
    proposed = ""
    reasons: list[str] = []
    if emergency:
        facts = facts or emergencies.Facts()
        proposed, reasons = emergencies.propose_class(facts, loss_threshold=rules.class1_loss_yuan)
    confirmed, class_reason = "", ""
    if emergency and class_choice is not None:
        require(
            actor,
            "reporting.classify",
            **({"project": project} if project is not None else {"branch": branch}),
        )
        confirmed, class_reason = _check_class(proposed, class_choice)
    local_day = timezone.localtime(occurred_at).date()
    submission = _create_with_reference(
        f"IR-{code}-{local_day:%Y%m%d}-",
        information_type=information_type,
        template=template,
        branch=branch,
        project=project,
        unit_key=unit_key,
        occurred_at=occurred_at,
        due_at=instant_due_at(information_type, occurred_at=occurred_at, rules=rules),
        status=SubmissionStatus.SUBMITTED,
        title=title[:200],
        body=body.strip(),
        values=cleaned,
        first_submitted_at=now,
        submitted_at=now,
        submitted_by=actor,
        place=place.strip()[:200],
        facts=facts.as_json() if emergency and facts is not None else {},
        proposed_class=proposed,
        confirmed_class=confirmed,
        class_reason=class_reason,
        class_confirmed_by=actor if confirmed else None,
        created_by=actor,
    )
    _attach(actor=actor, submission=submission, files=attachments)
    submission.is_complete = not completeness(submission, attachment_count=len(attachments))
    submission.save(update_fields=["is_complete"])
    audit_record(
        actor=actor,
        action="create",
        obj=submission,
        after=model_changes(submission, AUDITED),
        project_id=submission.project_id,
    )
    events.record(
        submission=submission,
        kind=UpdateKind.FIRST,
        actor=actor,
        at=now,
        text=submission.body,
        values={"values": cleaned, **({"proposed_class": proposed, "reasons": reasons} if emergency else {})},
    )
    if confirmed:
        events.record(
            submission=submission,
            kind=UpdateKind.CLASS_SET,
            actor=actor,
            at=now,
            text=class_reason,
            values={"class": confirmed, "proposed": proposed},
        )
    _announce(actor=actor, submission=submission)
    return submission


def _announce(*, actor: Any, submission: ReportSubmission) -> None:
    """A new event's report: the project manager of an emergency (R-CS-4), HQ of what it acts on now."""
    words = {"reference": submission.reference, "title": submission.title}
    project = submission.project
    if is_emergency(submission) and project is not None:
        _tell(
            project_staff(project=project, roles={Role.PROJECT_MANAGER}),
            submission,
            _("Emergency at %(project)s: %(title)s") % {**words, "project": project.name},
            _("%(reference)s, reported to you as the project manager.") % words,
            actor=actor,
        )
    if _needs_hq_now(submission):
        _tell(
            hq_reviewers(submission.branch.company_id),
            submission,
            _("%(type)s reported: %(title)s") % {**words, "type": submission.information_type.name},
            _("%(reference)s from %(unit)s") % {**words, "unit": _unit_name(submission)},
            actor=actor,
        )


@transaction.atomic
def class_confirm(
    *, actor: Any, submission: ReportSubmission, chosen: str, reason: str = ""
) -> ReportSubmission:
    """A person confirms the proposed class of an emergency, or overrides it with a reason (R-IR-4).
    Becoming class 1 puts it on HQ's 24-hour clock (its deadline is the event's time plus the hours); HQ is
    told."""
    _denied(actor, may_classify(actor, submission), "reporting.classify")
    current = _locked(submission)
    _refuse_locked(current)
    confirmed, class_reason = _check_class(current.proposed_class, ClassChoice(chosen=chosen, reason=reason))
    was = class_of(current)
    before = model_changes(current, AUDITED)
    current.confirmed_class = confirmed
    current.class_reason = class_reason
    current.class_confirmed_by = actor
    _save(
        current, actor=actor, before=before, fields=["confirmed_class", "class_reason", "class_confirmed_by"]
    )
    events.record(
        submission=current,
        kind=UpdateKind.CLASS_SET,
        actor=actor,
        text=class_reason,
        values={"class": confirmed, "proposed": current.proposed_class},
    )
    if confirmed == EmergencyClass.CLASS_1 and was != EmergencyClass.CLASS_1:
        _tell(
            hq_reviewers(current.branch.company_id),
            current,
            _("%(reference)s is a class-1 emergency: %(title)s")
            % {"reference": current.reference, "title": current.title},
            class_reason,
            actor=actor,
        )
    return current


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionFilters:
    period: date | None = None  # a month: the reports of that period, or events that happened in it
    type_code: str = ""
    status: str = ""
    unit_key: str = ""  # "B<branch id>" or "P<project id>"
    emergency_class: str = ""


def submission_list(
    *, user: Any, filters: SubmissionFilters = SubmissionFilters()
) -> QuerySet[ReportSubmission]:
    """Reports in the user's scope (a branch its own and its projects', HQ all), most urgent first."""
    rows = ReportSubmission.objects.visible_to(user).select_related("information_type", "branch", "project")
    if filters.period is not None:
        start = filters.period.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        zone = timezone.get_default_timezone()
        rows = rows.filter(
            Q(period_start__gte=start, period_start__lt=end)
            | Q(
                period_start__isnull=True,
                occurred_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=zone),
                occurred_at__lt=datetime.combine(end, datetime.min.time(), tzinfo=zone),
            )
        )
    if filters.type_code:
        rows = rows.filter(information_type__code=filters.type_code)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.unit_key:
        rows = rows.filter(unit_key=filters.unit_key)
    if filters.emergency_class:
        rows = rows.filter(
            Q(confirmed_class=filters.emergency_class)
            | Q(confirmed_class="", proposed_class=filters.emergency_class)
        )
    return rows.order_by("-due_at", "-id")


def class_2_events_for(submission: ReportSubmission) -> list[ReportSubmission]:
    """The class-2 emergencies told in this monthly business report (R-IR-3: 客户投诉及突发事件): those of
    its unit (for a branch's report, the branch's and its projects') that happened in its period."""
    if submission.information_type.special != Special.BUSINESS or submission.period_start is None:
        return []
    zone = timezone.get_default_timezone()
    start = datetime.combine(submission.period_start, datetime.min.time(), tzinfo=zone)
    end_day = submission.period_end or (submission.period_start + timedelta(days=32)).replace(
        day=1
    ) - timedelta(days=1)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    unit = Q(project_id=submission.project_id) if submission.project_id else Q(branch_id=submission.branch_id)
    rows = ReportSubmission.objects.filter(
        unit,
        Q(confirmed_class=EmergencyClass.CLASS_2)
        | Q(confirmed_class="", proposed_class=EmergencyClass.CLASS_2),
        information_type__special=Special.EMERGENCY,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    return list(rows.select_related("project").order_by("occurred_at", "id"))


def history(submission: ReportSubmission) -> list[ReportUpdate]:
    return list(submission.updates.select_related("actor").order_by("at", "id"))


def instant_types(*, company_id: int) -> list[InformationType]:
    """The catalogue's types of event reports (not made by the system per period)."""
    return list(
        InformationType.objects.filter(company_id=company_id, is_active=True, is_expected=False)
        .exclude(info_class=InfoClass.PERIODIC)
        .order_by("position", "id")
    )
