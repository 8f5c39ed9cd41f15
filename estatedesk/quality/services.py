"""Writes to nonconformities (不合格项, R-RV-4). Each service checks the capability and the rule, saves,
writes the retained record (events.py) and the audit row, and tells people once the transaction commits.
Pages, the API, the dissatisfaction listener and the daily job all come through here.

The procedure (OCA mgmtsystem_nonconformity's gates, ISO 9001 §10.2):
draft → analysis → action plan → in progress → verification → closed, and cancelled.
- analysis needs a cause category and a severity;
- work cannot start without at least one action with an owner, a deadline and a type;
- verification only once every action is done, by someone who owns none of them, with evidence; it may be a
  re-visit (visits' VERIFICATION purpose) that must come back A or B; a C sends the nonconformity back to
  in progress with the failed verification recorded;
- cancelling needs a reason; reopening clears the close date and counts the reopening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import followups
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Building, Department, Project
from estatedesk.org.permissions import QA_ROLES, can, require
from estatedesk.org.selectors import project_staff
from estatedesk.quality import events
from estatedesk.quality.choices import (
    DISSATISFACTION_ORIGINS,
    ActionKind,
    CauseCategory,
    EventKind,
    Origin,
    Severity,
    Stage,
    VerificationResult,
)
from estatedesk.quality.models import (
    Nonconformity,
    NonconformityAction,
    NonconformityCounter,
    QualityRules,
)
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.services import listen_graded, return_visit_arrange

LISTENER_NAME = "quality.nonconformity_from_dissatisfaction"
GRADED_LISTENER_NAME = "quality.verification_visit_graded"
AUDITED = [
    "stage",
    "cause_category",
    "cause",
    "severity",
    "verifier_id",
    "verification_evidence",
    "verification_result",
    "verification_visit_id",
    "closed_at",
    "cancelled_reason",
    "reopen_count",
]

# --- helpers ----------------------------------------------------------------------------------------------


def nonconformity_url(nonconformity: Nonconformity) -> str:
    return reverse("quality:detail", args=[nonconformity.reference])


def _tell(*, users: list[Any], title: str, body: str = "", url: str = "") -> None:
    """Notify once the transaction commits (nothing is said about a change that rolled back)."""
    users = [user for user in users if user is not None]
    if users:
        transaction.on_commit(lambda: notify(users=users, title=title, body=body, url=url))


def _qa_and_manager(project: Project) -> list[Any]:
    return project_staff(project=project, roles={*QA_ROLES, Role.PROJECT_MANAGER})


def _invalid(fields: dict[str, str], message: str | None = None) -> DomainError:
    return DomainError(
        "quality.invalid",
        message or _("Some fields are not valid."),
        fields={name: [text] for name, text in fields.items()},
    )


def _wrong_stage() -> DomainError:
    return DomainError("quality.stage", _("This is not possible at the nonconformity's stage."), status=409)


def _locked(nonconformity: Nonconformity, *stages: str) -> Nonconformity:
    """The row, locked for the change, refused unless at one of `stages`."""
    current = Nonconformity.objects.select_for_update().select_related("project").get(pk=nonconformity.pk)
    if stages and current.stage not in stages:
        raise _wrong_stage()
    return current


def _save(
    nonconformity: Nonconformity, *, actor: Any, before: dict[str, Any], fields: list[str]
) -> Nonconformity:
    nonconformity.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=nonconformity,
        before=before,
        after=model_changes(nonconformity, AUDITED),
        project_id=nonconformity.project_id,
    )
    return nonconformity


def _next_reference(*, project: Project, month: date) -> str:
    """NC-PROJECT-YYYYMM-NNN, unique however many run at once: the UPDATE that takes the number holds the
    counter row's lock until the transaction commits."""
    counter = NonconformityCounter.objects.filter(project=project, month=month)
    if not counter.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                NonconformityCounter.objects.create(project=project, month=month, last=1)
            return f"NC-{project.code}-{month:%Y%m}-001"
        except IntegrityError:
            counter.update(last=F("last") + 1)
    return f"NC-{project.code}-{month:%Y%m}-{counter.values_list('last', flat=True).get():03d}"


def rules_for(project: Project) -> QualityRules:
    """The company's rules (created with the defaults on first use)."""
    rules, _created = QualityRules.objects.get_or_create(company_id=project.branch.company_id)
    return rules


# --- raising a nonconformity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NonconformityInput:
    """What a nonconformity raised by hand says."""

    project: Project
    origin: str
    title: str
    description: str
    item: FeedbackItem | None = None
    visit: ReturnVisit | None = None
    survey_reference: str = ""
    area: Building | None = None
    department: Department | None = None


def _check_input(data: NonconformityInput) -> None:
    problems: dict[str, str] = {}
    if data.origin not in Origin.values:
        problems["origin"] = _("Choose where the nonconformity comes from.")
    elif data.origin in DISSATISFACTION_ORIGINS:
        problems["origin"] = _(
            "A confirmed C opens its nonconformity by itself; raise this one from the item, a survey, "
            "a patrol or by hand."
        )
    if not data.title.strip():
        problems["title"] = _("This field is required.")
    if not data.description.strip():
        problems["description"] = _("This field is required.")
    if data.origin in (Origin.ITEM, Origin.PATROL) and data.item is None:
        problems["item"] = _("Choose the feedback item.")
    if data.origin == Origin.PATROL and data.item is not None and data.item.channel != Channel.PATROL:
        problems["item"] = _("This item is not a patrol finding.")
    if data.origin == Origin.SURVEY and not data.survey_reference.strip():
        problems["survey_reference"] = _("Name the survey result.")
    for name, value in (("item", data.item), ("visit", data.visit), ("area", data.area)):
        if value is not None and value.project_id != data.project.pk:
            problems[name] = _("It belongs to another project.")
    if data.department is not None and data.department.project_id not in (None, data.project.pk):
        problems["department"] = _("It belongs to another project.")
    if problems:
        raise _invalid(problems)


def _create(*, actor: Any, data: NonconformityInput, raised_by: Any, note: str = "") -> Nonconformity:
    now = timezone.now()
    nonconformity = Nonconformity.objects.create(
        project=data.project,
        reference=_next_reference(project=data.project, month=timezone.localdate(now).replace(day=1)),
        title=data.title.strip()[:120],
        description=data.description.strip(),
        origin=data.origin,
        item=data.item,
        visit=data.visit,
        survey_reference=data.survey_reference.strip()[:120],
        area=data.area,
        department=data.department,
        raised_by=raised_by,
        raised_at=now,
    )
    events.raised(nonconformity=nonconformity, actor=actor, note=note)
    audit_record(
        actor=actor,
        action="create",
        obj=nonconformity,
        after=model_changes(nonconformity, ["reference", "origin", "item_id", "visit_id", "stage"]),
        project_id=data.project.pk,
    )
    _tell(
        users=_qa_and_manager(data.project),
        title=_("Nonconformity %(reference)s raised: %(title)s")
        % {"reference": nonconformity.reference, "title": nonconformity.title},
        body=nonconformity.description[:500],
        url=nonconformity_url(nonconformity),
    )
    return nonconformity


@transaction.atomic
def nonconformity_create(*, actor: Any, data: NonconformityInput) -> Nonconformity:
    """Raise a nonconformity by hand: from a feedback item, a patrol finding (an item of the patrol
    channel), a survey result (its reference as text: surveys come later), a return visit, or manually."""
    require(actor, "quality.raise", project=data.project)
    _check_input(data)
    return _create(actor=actor, data=data, raised_by=actor)


# --- a confirmed dissatisfaction (the feedback.followups listener) -----------------------------------------


def _dissatisfaction_input(event: followups.Dissatisfaction, visit: ReturnVisit | None) -> NonconformityInput:
    item = event.item
    origin = Origin.RETURN_VISIT_C if event.source == followups.Source.RETURN_VISIT else Origin.OWNER_RATING
    with translation.override(settings.LANGUAGE_CODE):  # stored in the company's language, as printed
        title = _("Customer unsatisfied: %(title)s") % {"title": item.title}
        said = _("The customer said: %(note)s") % {"note": event.note} if event.note else ""
    description = "\n\n".join(part for part in (f"{item.reference} · {item.description}", said) if part)
    return NonconformityInput(
        project=item.project,
        origin=origin,
        title=title,
        description=description,
        item=item,
        visit=visit,
        area=item.building,
        department=item.department,
    )


@transaction.atomic
def nonconformity_from_dissatisfaction(event: followups.Dissatisfaction) -> Nonconformity | None:
    """R-RV-4: an owner's C rating or a return visit graded C opens the item's one nonconformity; a second C
    on the same item (the owner's rating, then the visit) is recorded on it, never a second one. A
    verification visit graded C opens nothing: the verification it was made for fails."""
    visit = ReturnVisit.objects.filter(pk=event.visit_id).first() if event.visit_id else None
    if visit is not None and visit.purpose == Purpose.VERIFICATION:
        return _verification_visit_unsatisfied(visit=visit, actor=event.actor, note=event.note)
    existing = Nonconformity.objects.filter(item=event.item, origin__in=DISSATISFACTION_ORIGINS).first()
    if existing is None:
        data = _dissatisfaction_input(event, visit)
        raised_by = event.actor if visit is not None else None  # the visitor; an owner is not staff
        try:
            with transaction.atomic():
                return _create(actor=event.actor, data=data, raised_by=raised_by, note=event.note)
        except IntegrityError:  # opened a moment ago by the other C
            existing = Nonconformity.objects.get(item=event.item, origin__in=DISSATISFACTION_ORIGINS)
    already = existing.events.filter(
        kind__in=[EventKind.RAISED, EventKind.DISSATISFACTION], data__visit_id=event.visit_id
    )
    if event.visit_id is None:
        already = existing.events.filter(kind=EventKind.DISSATISFACTION, data__source=event.source)
    if not already.exists():
        events.dissatisfaction(
            nonconformity=existing,
            actor=event.actor,
            source=event.source,
            note=event.note,
            visit_id=event.visit_id,
        )
    return existing


def _verification_visit_unsatisfied(*, visit: ReturnVisit, actor: Any, note: str) -> Nonconformity | None:
    nonconformity = Nonconformity.objects.filter(verification_visit=visit).first()
    if nonconformity is None or nonconformity.stage != Stage.VERIFICATION:
        return nonconformity
    current = _locked(nonconformity, Stage.VERIFICATION)
    _fail_verification(nonconformity=current, actor=actor, note=note, grade=Grade.C)
    return current


def _on_dissatisfaction(event: followups.Dissatisfaction) -> None:
    nonconformity_from_dissatisfaction(event)


def register_listeners() -> None:
    """Called from QualityConfig.ready under stable names (registering again replaces them)."""
    followups.listen(LISTENER_NAME, _on_dissatisfaction)
    listen_graded(GRADED_LISTENER_NAME, on_visit_graded)


# --- the procedure ------------------------------------------------------------------------------------------


@transaction.atomic
def nonconformity_take_up(*, actor: Any, nonconformity: Nonconformity) -> Nonconformity:
    """Draft → analysis: QA or the project manager takes the nonconformity up."""
    require(actor, "quality.manage", project=nonconformity.project)
    current = _locked(nonconformity, Stage.DRAFT)
    before = model_changes(current, AUDITED)
    current.stage = Stage.ANALYSIS
    _save(current, actor=actor, before=before, fields=["stage"])
    events.moved(nonconformity=current, actor=actor, kind=EventKind.ANALYSED, from_stage=Stage.DRAFT)
    return current


@transaction.atomic
def nonconformity_analyse(
    *, actor: Any, nonconformity: Nonconformity, cause_category: str, severity: str, cause: str
) -> Nonconformity:
    """Analysis → action plan: the cause (a category from the list, and in words) and the severity. From a
    draft, taking it up and analysing are one step."""
    require(actor, "quality.manage", project=nonconformity.project)
    problems = {}
    if cause_category not in CauseCategory.values:
        problems["cause_category"] = _("Choose the cause category.")
    if severity not in Severity.values:
        problems["severity"] = _("Choose the severity.")
    if not cause.strip():
        problems["cause"] = _("Describe the cause.")
    if problems:
        raise _invalid(problems)
    current = _locked(nonconformity, Stage.DRAFT, Stage.ANALYSIS, Stage.ACTION_PLAN)
    before = model_changes(current, AUDITED)
    from_stage = current.stage
    current.cause_category, current.severity, current.cause = cause_category, severity, cause.strip()
    current.stage = Stage.ACTION_PLAN
    current.analysed_at = current.analysed_at or timezone.now()
    current.planned_at = current.planned_at or current.analysed_at
    _save(
        current,
        actor=actor,
        before=before,
        fields=["cause_category", "severity", "cause", "stage", "analysed_at", "planned_at"],
    )
    events.moved(
        nonconformity=current,
        actor=actor,
        kind=EventKind.ANALYSED,
        from_stage=from_stage,
        message=current.cause,
        cause_category=cause_category,
        severity=severity,
    )
    return current


def _check_owner(*, project: Project, owner: Any) -> None:
    """An action's owner works at the project (any staff role there)."""
    roles = scope_for(owner).roles_at(project_id=project.pk, branch_id=project.branch_id) if owner else set()
    if not roles:
        raise _invalid({"owner": _("Choose a colleague who works on this project.")})


@transaction.atomic
def nonconformity_action_add(
    *, actor: Any, nonconformity: Nonconformity, kind: str, description: str, owner: Any, due_on: date | None
) -> NonconformityAction:
    """An action of the plan, with its type, owner and deadline; the owner is told at once."""
    require(actor, "quality.manage", project=nonconformity.project)
    problems = {}
    if kind not in ActionKind.values:
        problems["kind"] = _("Choose the type of action.")
    if not description.strip():
        problems["description"] = _("Describe the action.")
    if owner is None:
        problems["owner"] = _("Choose who does it.")
    if due_on is None:
        problems["due_on"] = _("Give a deadline.")
    elif due_on < timezone.localdate():
        problems["due_on"] = _("The deadline is in the past.")
    if problems:
        raise _invalid(problems)
    current = _locked(nonconformity, Stage.ACTION_PLAN, Stage.IN_PROGRESS)
    _check_owner(project=current.project, owner=owner)
    assert due_on is not None  # noqa: S101 - checked above
    action = NonconformityAction.objects.create(
        nonconformity=current,
        kind=kind,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        created_by=actor,
        assigned_notified_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="create",
        obj=action,
        after=model_changes(action, ["kind", "description", "owner_id", "due_on"]),
        project_id=current.project_id,
    )
    events.action_event(action=action, actor=actor, kind=EventKind.ACTION_ADDED, message=action.description)
    _tell(
        users=[owner],
        title=_("%(reference)s: an action for you, due %(due)s")
        % {"reference": current.reference, "due": f"{due_on:%Y-%m-%d}"},
        body=action.description[:500],
        url=nonconformity_url(current),
    )
    return action


@transaction.atomic
def nonconformity_start(*, actor: Any, nonconformity: Nonconformity) -> Nonconformity:
    """Action plan → in progress: refused without at least one action with an owner, a deadline and a type."""
    require(actor, "quality.manage", project=nonconformity.project)
    current = _locked(nonconformity, Stage.ACTION_PLAN)
    planned = current.actions.filter(owner__isnull=False, due_on__isnull=False, kind__in=ActionKind.values)
    if not planned.exists():
        raise DomainError(
            "quality.no_action_plan",
            _("Plan at least one action with an owner, a deadline and a type before the work starts."),
            status=409,
        )
    before = model_changes(current, AUDITED)
    current.stage = Stage.IN_PROGRESS
    current.started_at = timezone.now()
    _save(current, actor=actor, before=before, fields=["stage", "started_at"])
    events.moved(nonconformity=current, actor=actor, kind=EventKind.STARTED, from_stage=Stage.ACTION_PLAN)
    return current


def may_complete(*, user: Any, action: NonconformityAction) -> bool:
    """The action's owner, or who manages nonconformities at the project."""
    return action.owner_id == getattr(user, "pk", None) or can(
        user, "quality.manage", project=action.nonconformity.project
    )


@transaction.atomic
def nonconformity_action_done(*, actor: Any, action: NonconformityAction, result: str) -> NonconformityAction:
    """The owner records the action done, with its result (while the nonconformity is in progress)."""
    nonconformity = action.nonconformity
    if not may_complete(user=actor, action=action):
        raise PermissionDenied("quality.action_done")
    if not result.strip():
        raise _invalid({"result": _("Say what was done and what came of it.")})
    _locked(nonconformity, Stage.IN_PROGRESS)
    done = NonconformityAction.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now(), result=result.strip()
    )
    if not done:
        raise DomainError("quality.action_done", _("This action is already done."), status=409)
    action.refresh_from_db()
    audit_record(
        actor=actor,
        action="update",
        obj=action,
        before={"done_at": None, "result": ""},
        after=model_changes(action, ["done_at", "result"]),
        project_id=nonconformity.project_id,
    )
    events.action_event(action=action, actor=actor, kind=EventKind.ACTION_DONE, message=action.result)
    if not nonconformity.actions.filter(done_at__isnull=True).exists():
        _tell(
            users=project_staff(project=nonconformity.project, roles=set(QA_ROLES)),
            title=_("%(reference)s: every action is done, ready for verification")
            % {"reference": nonconformity.reference},
            url=nonconformity_url(nonconformity),
        )
    return action


@transaction.atomic
def nonconformity_to_verification(*, actor: Any, nonconformity: Nonconformity) -> Nonconformity:
    """In progress → verification, once every action is done."""
    if not (
        can(actor, "quality.manage", project=nonconformity.project)
        or can(actor, "quality.verify", project=nonconformity.project)
    ):
        raise PermissionDenied("quality.to_verification")
    current = _locked(nonconformity, Stage.IN_PROGRESS)
    if current.actions.filter(done_at__isnull=True).exists() or not current.actions.exists():
        raise DomainError(
            "quality.actions_open", _("Every action must be done before the verification."), status=409
        )
    before = model_changes(current, AUDITED)
    current.stage = Stage.VERIFICATION
    current.verification_at = timezone.now()
    current.verification_result = ""
    _save(current, actor=actor, before=before, fields=["stage", "verification_at", "verification_result"])
    events.moved(
        nonconformity=current, actor=actor, kind=EventKind.TO_VERIFICATION, from_stage=Stage.IN_PROGRESS
    )
    _tell(
        users=project_staff(project=current.project, roles=set(QA_ROLES)),
        title=_("%(reference)s is waiting for verification") % {"reference": current.reference},
        url=nonconformity_url(current),
    )
    return current


def verifier_refusal(*, user: Any, nonconformity: Nonconformity) -> str | None:
    """Why `user` may not verify the nonconformity (a translated reason), or None: the verifier holds
    quality.verify at the project and owns none of its actions."""
    if not can(user, "quality.verify", project=nonconformity.project):
        return _("Only QA verifies nonconformities.")
    if nonconformity.actions.filter(owner_id=user.pk).exists():
        return _("You own an action of this nonconformity: someone who owns none must verify it.")
    return None


def _check_verifier(*, actor: Any, nonconformity: Nonconformity) -> None:
    refusal = verifier_refusal(user=actor, nonconformity=nonconformity)
    if refusal is None:
        return
    if not can(actor, "quality.verify", project=nonconformity.project):
        raise PermissionDenied("quality.verify")
    raise DomainError("quality.verifier_owns_action", refusal, status=403)


def _check_evidence(*, evidence: str, evidence_file: UploadedFile | None) -> None:
    if not evidence.strip():
        raise _invalid(
            {"evidence": _("Give the evidence that the actions worked: no close without evidence.")},
            _("No close without evidence."),
        )


@dataclass(frozen=True)
class Verification:
    """What the verifier records: the evidence (required, a file optional) and whether it was effective."""

    evidence: str
    result: str = VerificationResult.EFFECTIVE
    evidence_file: UploadedFile | None = None


def _write_evidence(nonconformity: Nonconformity, *, actor: Any, verification: Verification) -> list[str]:
    nonconformity.verifier = actor
    nonconformity.verification_evidence = verification.evidence.strip()
    fields = ["verifier", "verification_evidence"]
    if verification.evidence_file is not None:
        nonconformity.verification_file.save(
            verification.evidence_file.name or "evidence", verification.evidence_file, save=False
        )
        fields.append("verification_file")
    return fields


@transaction.atomic
def nonconformity_verify(
    *, actor: Any, nonconformity: Nonconformity, verification: Verification
) -> Nonconformity:
    """Verification → closed when effective; → back to in progress when not (recorded). Refused to anyone
    who owns an action, without evidence, and while a verification visit is still to come back A or B."""
    _check_verifier(actor=actor, nonconformity=nonconformity)
    if verification.result not in VerificationResult.values:
        raise _invalid({"result": _("Choose whether the actions were effective.")})
    _check_evidence(evidence=verification.evidence, evidence_file=verification.evidence_file)
    current = _locked(nonconformity, Stage.VERIFICATION)
    visit = current.verification_visit
    came_back_well = (
        visit is not None and visit.status == VisitStatus.GRADED and visit.grade in (Grade.A, Grade.B)
    )
    if verification.result == VerificationResult.EFFECTIVE and visit is not None and not came_back_well:
        raise DomainError(
            "quality.visit_pending",
            _("The verification visit must come back A or B before the nonconformity closes."),
            status=409,
        )
    before = model_changes(current, AUDITED)
    fields = _write_evidence(current, actor=actor, verification=verification)
    if verification.result == VerificationResult.NOT_EFFECTIVE:
        _save(current, actor=actor, before=before, fields=fields)
        _fail_verification(nonconformity=current, actor=actor, note=verification.evidence.strip())
        return current
    _close(current, actor=actor, before=before, fields=fields, note=verification.evidence.strip())
    return current


def _close(
    nonconformity: Nonconformity,
    *,
    actor: Any,
    before: dict[str, Any],
    fields: list[str],
    note: str,
    **data: Any,
) -> None:
    now = timezone.now()
    nonconformity.verification_result = VerificationResult.EFFECTIVE
    nonconformity.verified_at = now
    nonconformity.stage = Stage.CLOSED
    nonconformity.closed_at = now
    _save(
        nonconformity,
        actor=actor,
        before=before,
        fields=[*fields, "verification_result", "verified_at", "stage", "closed_at"],
    )
    events.moved(
        nonconformity=nonconformity,
        actor=actor,
        kind=EventKind.VERIFIED,
        from_stage=Stage.VERIFICATION,
        message=note,
        **data,
    )
    _tell(
        users=[*_qa_and_manager(nonconformity.project)],
        title=_("%(reference)s closed: verified effective") % {"reference": nonconformity.reference},
        url=nonconformity_url(nonconformity),
    )


def _fail_verification(*, nonconformity: Nonconformity, actor: Any, note: str, grade: str = "") -> None:
    """Not effective: back to in progress, the failed verification recorded (and its visit let go)."""
    before = model_changes(nonconformity, AUDITED)
    nonconformity.stage = Stage.IN_PROGRESS
    nonconformity.verification_result = VerificationResult.NOT_EFFECTIVE
    nonconformity.verified_at = timezone.now()
    nonconformity.verification_visit = None
    _save(
        nonconformity,
        actor=actor,
        before=before,
        fields=["stage", "verification_result", "verified_at", "verification_visit"],
    )
    data = {"grade": grade} if grade else {}
    events.moved(
        nonconformity=nonconformity,
        actor=actor,
        kind=EventKind.VERIFICATION_FAILED,
        from_stage=Stage.VERIFICATION,
        message=note,
        **data,
    )
    _tell(
        users=[*_qa_and_manager(nonconformity.project), *[a.owner for a in nonconformity.actions.all()]],
        title=_("%(reference)s: verification failed, back to the actions")
        % {"reference": nonconformity.reference},
        body=note[:500],
        url=nonconformity_url(nonconformity),
    )


@transaction.atomic
def nonconformity_verification_visit_arrange(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    evidence: str,
    visitor: Any = None,
    due_at: datetime | None = None,
) -> ReturnVisit:
    """Verify by a re-visit of the customer (visits' VERIFICATION purpose): the nonconformity closes only when
    the visit comes back A or B (`on_visit_graded`); a C sends it back to in progress (the dissatisfaction
    listener)."""
    _check_verifier(actor=actor, nonconformity=nonconformity)
    _check_evidence(evidence=evidence, evidence_file=None)
    current = _locked(nonconformity, Stage.VERIFICATION)
    if current.item is None:
        raise DomainError(
            "quality.no_customer",
            _("Only a nonconformity about a feedback item can be verified by a visit."),
            status=409,
        )
    if current.verification_visit is not None and current.verification_visit.status == VisitStatus.DUE:
        raise DomainError("quality.visit_pending", _("A verification visit is already arranged."), status=409)
    visit = return_visit_arrange(
        actor=actor,
        purpose=Purpose.VERIFICATION,
        project=current.project,
        item=current.item,
        visitor=visitor,
        due_at=due_at,
    )
    before = model_changes(current, AUDITED)
    current.verifier = actor
    current.verification_evidence = evidence.strip()
    current.verification_visit = visit
    _save(
        current,
        actor=actor,
        before=before,
        fields=["verifier", "verification_evidence", "verification_visit"],
    )
    events.record(
        nonconformity=current,
        actor=actor,
        kind=EventKind.VISIT_ARRANGED,
        message=evidence.strip(),
        data={"visit_id": visit.pk},
    )
    return visit


def on_visit_graded(visit: ReturnVisit) -> None:
    """visits' graded-visit listener: a verification visit that came back A or B closes its nonconformity
    (a C sends it back to in progress through the dissatisfaction listener, which runs first)."""
    if visit.purpose != Purpose.VERIFICATION or visit.grade not in (Grade.A, Grade.B):
        return
    nonconformity = Nonconformity.objects.filter(verification_visit=visit, stage=Stage.VERIFICATION).first()
    if nonconformity is None:
        return
    current = _locked(nonconformity, Stage.VERIFICATION)
    before = model_changes(current, AUDITED)
    _close(
        current, actor=current.verifier, before=before, fields=[], note=visit.customer_said, grade=visit.grade
    )


@transaction.atomic
def nonconformity_cancel(*, actor: Any, nonconformity: Nonconformity, reason: str) -> Nonconformity:
    require(actor, "quality.manage", project=nonconformity.project)
    if not reason.strip():
        raise _invalid({"reason": _("Say why the nonconformity is cancelled.")})
    current = _locked(nonconformity, *[s for s in Stage.values if s not in (Stage.CLOSED, Stage.CANCELLED)])
    before = model_changes(current, AUDITED)
    from_stage = current.stage
    current.stage = Stage.CANCELLED
    current.cancelled_at = timezone.now()
    current.cancelled_reason = reason.strip()[:300]
    _save(current, actor=actor, before=before, fields=["stage", "cancelled_at", "cancelled_reason"])
    events.moved(
        nonconformity=current,
        actor=actor,
        kind=EventKind.CANCELLED,
        from_stage=from_stage,
        message=reason.strip(),
    )
    return current


def _stage_before_cancel(nonconformity: Nonconformity) -> str:
    last = nonconformity.events.filter(kind=EventKind.CANCELLED).order_by("-at", "-id").first()
    stage = last.from_stage if last is not None else Stage.DRAFT
    return stage if stage in Stage.values else Stage.DRAFT


@transaction.atomic
def nonconformity_reopen(*, actor: Any, nonconformity: Nonconformity, reason: str) -> Nonconformity:
    """A closed nonconformity goes back to in progress (its close date cleared, the reopening counted); a
    cancelled one back to the stage it was cancelled at."""
    if not (
        can(actor, "quality.manage", project=nonconformity.project)
        or can(actor, "quality.verify", project=nonconformity.project)
    ):
        raise PermissionDenied("quality.reopen")
    if not reason.strip():
        raise _invalid({"reason": _("Say why the nonconformity is reopened.")})
    current = _locked(nonconformity, Stage.CLOSED, Stage.CANCELLED)
    before = model_changes(current, AUDITED)
    from_stage = current.stage
    fields = ["stage", "reopen_count"]
    if from_stage == Stage.CLOSED:
        current.stage = Stage.IN_PROGRESS
        current.closed_at = None
        current.verified_at = None
        current.verification_result = ""
        current.verification_visit = None
        fields += ["closed_at", "verified_at", "verification_result", "verification_visit"]
    else:
        current.stage = _stage_before_cancel(current)
        current.cancelled_at = None
        current.cancelled_reason = ""
        fields += ["cancelled_at", "cancelled_reason"]
    current.reopen_count += 1
    _save(current, actor=actor, before=before, fields=fields)
    events.moved(
        nonconformity=current,
        actor=actor,
        kind=EventKind.REOPENED,
        from_stage=from_stage,
        message=reason.strip(),
    )
    _tell(
        users=[*_qa_and_manager(current.project), *[a.owner for a in current.actions.all()]],
        title=_("%(reference)s reopened") % {"reference": current.reference},
        body=reason.strip()[:500],
        url=nonconformity_url(current),
    )
    return current
