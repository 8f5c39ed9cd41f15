"""Writes to return visits (R-FB-6, R-RV-1 to R-RV-3, R-RV-5; 附表三). Each service checks the capability
and the rule, saves, writes the audit row and tells people, in one transaction; pages, the API, the
portal and the periodic jobs all come through here.

- Attempts (无人接听 / 拒访 / 号码错误 / 改约) are `VisitAttempt` rows, never grades.
- A visit is graded once (A/B/C, what the customer said, the handling result, the channel, the visitor,
  the recorder, the date), only after its items are handled and the customer told (feedback.workflow
  .customer_told), and only by someone who never held or acted on them (eligibility.visitor_refusal).
  The item's handler and department at that moment are frozen on the visit (a later reassignment cannot
  move a C).
- R-RV-3: a visit graded C arranges one separate visit (purpose SERIOUS, parent = the visit) with the
  responsible department's manager, then tells feedback's followups hook (quality opens the one
  nonconformity); an owner's C rating arrives through the same hook and arranges the same visit with no
  parent. A SERIOUS visit graded C arranges no further visit.
- R-RV-2: a paid-service item gets one QA visit once the customer is told (`paid_service_visits_sweep`,
  every 5 minutes: feedback cannot call visits); its grade records whether the work met quality
  requirements.
- Listeners of graded visits (`listen_graded`): an app above visits (quality: a verification visit's
  result) learns of every grade in the grading transaction without visits importing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, Unpack

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.feedback import followups
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.visit_results import feedback_item_visit_recorded
from estatedesk.feedback.workflow import customer_told
from estatedesk.notifications.services import notify
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.models import Department, Project
from estatedesk.org.permissions import QA_ROLES, can, require
from estatedesk.org.selectors import project_staff
from estatedesk.owners.models import Resident
from estatedesk.visits import eligibility
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.deadlines import due_after_working_days, project_calendar
from estatedesk.visits.models import ReturnVisit, VisitAttempt
from estatedesk.visits.policies import visit_rules_for

logger = logging.getLogger(__name__)

AUDITED = [
    "status",
    "visitor_id",
    "due_at",
    "grade",
    "customer_said",
    "handling_result",
    "channel",
    "quality_met",
    "graded_by_id",
    "visited_on",
    "recorded_by_id",
    "handler_id",
    "handler_department_id",
    "cancelled_reason",
    "owner_comment",
]


def visit_url(visit: ReturnVisit) -> str:
    """The visit's staff page (visits-ui's "visits:visit_detail"); empty while no page is wired."""
    try:
        return reverse("visits:visit_detail", args=[visit.pk])
    except NoReverseMatch:
        return ""


def _audit(*, actor: Any, visit: ReturnVisit, before: dict[str, Any] | None, action: str = "update") -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=visit,
        before=before,
        after=model_changes(visit, AUDITED),
        project_id=visit.project_id,
    )


def _locked(visit: ReturnVisit) -> ReturnVisit:
    current = (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("project__branch", "item__resident", "department")
        .get(pk=visit.pk)
    )
    return current


def _require_due(visit: ReturnVisit) -> None:
    if visit.status != VisitStatus.DUE:
        raise DomainError(
            "visits.not_due",
            _("This visit is already recorded or cancelled."),
            status=409,
        )


def _refuse_visitor(*, visit: ReturnVisit, user: Any, field: str = "visitor") -> None:
    reason = eligibility.visitor_refusal(visit=visit, user=user)
    if reason:
        raise DomainError("visits.visitor_not_allowed", reason, fields={field: [reason]}, status=403)


def due_in_working_days(*, project: Project, days: int, start: datetime | None = None) -> datetime:
    return due_after_working_days(project_calendar(project), start or timezone.now(), days)


# --- arranging a visit ------------------------------------------------------------------------------------


class CustomerFields(TypedDict, total=False):
    """Who is visited when the visit has no item to say it, and which department visits."""

    resident: Resident | None
    customer_name: str
    customer_phone: str
    department: Department | None


def _default_due(*, project: Project, purpose: str, start: datetime) -> datetime:
    rules = visit_rules_for(company_id=project.branch.company_id)
    days: dict[str, int] = {
        Purpose.SERIOUS: rules.serious_due_working_days,
        Purpose.PAID_SERVICE: rules.paid_service_due_working_days,
    }
    return due_after_working_days(project_calendar(project), start, days.get(purpose, rules.due_working_days))


def _check_arrangement(
    *, purpose: str, project: Project, item: FeedbackItem | None, parent: ReturnVisit | None, department: Any
) -> None:
    problems: dict[str, list[Any]] = {}
    if purpose not in Purpose.values or purpose == Purpose.MONTHLY:
        problems["purpose"] = [_("Monthly visits are made by the monthly list; choose another purpose.")]
    if item is not None and item.project_id != project.pk:
        problems["item"] = [_("This feedback belongs to another project.")]
    if parent is not None and parent.project_id != project.pk:
        problems["parent"] = [_("That visit belongs to another project.")]
    if purpose == Purpose.PAID_SERVICE and (item is None or not item.is_paid_service):
        problems["item"] = [_("A paid-service visit is about a feedback item flagged as a paid service.")]
    if purpose == Purpose.SERIOUS and item is None and parent is None:
        problems["item"] = [_("Say which feedback or visit the customer was seriously dissatisfied with.")]
    if purpose == Purpose.SURVEY_CHECK and (
        department is None
        or department.kind not in eligibility.SURVEY_CHECKERS
        or department.company_id != project.branch.company_id
    ):
        problems["department"] = [
            _("Say which department ran the survey: customer service or the QA department.")
        ]
    if problems:
        raise DomainError("visits.invalid", _("Some fields are not valid."), fields=problems)


@transaction.atomic
def return_visit_arrange(
    *,
    actor: Any,
    purpose: str,
    project: Project,
    item: FeedbackItem | None = None,
    parent: ReturnVisit | None = None,
    visitor: Any = None,
    due_at: datetime | None = None,
    **customer: Unpack[CustomerFields],
) -> ReturnVisit:
    """Arrange a visit by hand (a serious-dissatisfaction visit, a survey check, a paid-service or an
    ad-hoc visit; quality's verification visits). Needs visits.plan at the project (a verification visit:
    visits.record, so that QA staff verifying a nonconformity may arrange it). The customer comes from the
    item unless given; due in the company's working days for the purpose unless `due_at` is given."""
    capability = "visits.record" if purpose == Purpose.VERIFICATION else "visits.plan"
    require(actor, capability, project=project)
    department = customer.get("department")
    _check_arrangement(purpose=purpose, project=project, item=item, parent=parent, department=department)
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise DomainError(
            "visits.invalid",
            _("Some fields are not valid."),
            fields={"due_at": [_("Choose a time in the future.")]},
        )
    resident = customer.get("resident") or (item.resident if item is not None else None)
    visit = ReturnVisit(
        project=project,
        purpose=purpose,
        item=item or (parent.item if parent is not None else None),
        parent=parent,
        resident=resident,
        customer_name=(customer.get("customer_name") or _customer_name(item, resident))[:60],
        customer_phone=(customer.get("customer_phone") or (item.contact_phone if item else ""))[:24],
        department=department,
        arranged_by=actor,
        due_at=due_at or _default_due(project=project, purpose=purpose, start=now),
    )
    visit.escalation_due_at = visit.due_at
    if visitor is not None:
        _refuse_visitor(visit=visit, user=visitor)
        visit.visitor = visitor
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        raise DomainError(
            "visits.already_arranged", _("Such a visit is already arranged for this feedback."), status=409
        ) from exc
    _audit(actor=actor, visit=visit, before=None, action="create")
    _tell_visitor(visit)
    return visit


def _customer_name(item: FeedbackItem | None, resident: Resident | None) -> str:
    if item is not None and item.contact_name:
        return item.contact_name
    return resident.name if resident is not None else ""


def _tell_visitor(visit: ReturnVisit) -> None:
    if visit.visitor_id is None:
        return
    due = timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M") if visit.due_at else ""
    notify(
        users=[visit.visitor],
        title=_("Return visit to make: %(visit)s") % {"visit": str(visit)},
        body=_("Visit by %(due)s.") % {"due": due} if due else "",
        url=visit_url(visit),
    )


@transaction.atomic
def return_visit_assign(*, actor: Any, visit: ReturnVisit, visitor: Any) -> ReturnVisit:
    """Give the visit to a colleague who may make it (visits.plan; eligibility.visitor_refusal)."""
    require(actor, "visits.plan", project=visit.project)
    current = _locked(visit)
    _require_due(current)
    _refuse_visitor(visit=current, user=visitor)
    before = model_changes(current, AUDITED)
    current.visitor = visitor
    current.save(update_fields=["visitor", "updated_at"])
    _audit(actor=actor, visit=current, before=before)
    _tell_visitor(current)
    return current


# --- attempts and the result (附表三) -----------------------------------------------------------------------


@transaction.atomic
def return_visit_record_attempt(
    *, actor: Any, visit: ReturnVisit, outcome: str, note: str = "", rescheduled_to: datetime | None = None
) -> VisitAttempt:
    """An attempt that reached no grade (无人接听 / 拒访 / 号码错误 / 改约): counted, never graded. A
    rescheduled visit (改约) needs the agreed time; a time after the deadline moves the deadline to it."""
    require(actor, "visits.record", project=visit.project)
    current = _locked(visit)
    _require_due(current)
    if outcome not in AttemptOutcome.values:
        raise DomainError(
            "visits.invalid", _("Choose an outcome."), fields={"outcome": [_("Choose an outcome.")]}
        )
    now = timezone.now()
    if outcome == AttemptOutcome.RESCHEDULED and (rescheduled_to is None or rescheduled_to <= now):
        message = _("Give the time agreed with the customer, in the future.")
        raise DomainError("visits.invalid", message, fields={"rescheduled_to": [message]})
    if outcome != AttemptOutcome.RESCHEDULED:
        rescheduled_to = None
    attempt = VisitAttempt.objects.create(
        visit=current,
        at=now,
        outcome=outcome,
        note=note.strip()[:300],
        rescheduled_to=rescheduled_to,
        by=actor,
    )
    if rescheduled_to is not None and (current.due_at is None or rescheduled_to > current.due_at):
        before = model_changes(current, AUDITED)
        current.due_at = rescheduled_to
        current.escalation_due_at = rescheduled_to
        current.escalation_level = 0
        current.save(update_fields=["due_at", "escalation_due_at", "escalation_level", "updated_at"])
        _audit(actor=actor, visit=current, before=before)
    return attempt


@dataclass(frozen=True)
class VisitResult:
    """What a graded visit records (附表三, R-RV-5): the grade, what the customer said, the handling
    result, how, the visit date; `quality_met` for a paid-service visit (R-RV-2); the visitor (default
    the actor) and the recorder (default the actor), who may differ."""

    grade: str
    customer_said: str
    handling_result: str
    channel: str
    visited_on: date
    quality_met: bool | None = None
    visitor: Any = None
    recorder: Any = None


def _check_result(*, visit: ReturnVisit, result: VisitResult) -> None:
    problems: dict[str, list[Any]] = {}
    if result.grade not in Grade.values:
        problems["grade"] = [_("Choose A, B or C.")]
    if result.channel not in VisitChannel.values:
        problems["channel"] = [_("Choose how the customer was visited.")]
    if result.visited_on > timezone.localdate():
        problems["visited_on"] = [_("The visit date cannot be in the future.")]
    if result.grade == Grade.C and not result.customer_said.strip():
        problems["customer_said"] = [_("Write what the customer was unsatisfied with.")]
    if visit.purpose == Purpose.PAID_SERVICE and result.quality_met is None:
        problems["quality_met"] = [_("Say whether the work met the quality requirements.")]
    if problems:
        raise DomainError("visits.invalid", _("Some fields are not valid."), fields=problems)


def _check_items_told(visit: ReturnVisit) -> list[FeedbackItem]:
    """The visit's items, each handled and its customer told; otherwise refused."""
    ids = eligibility.visit_item_ids(visit)
    items = list(
        FeedbackItem.objects.filter(pk__in=ids).select_related("executor", "supervisor", "department")
    )
    untold = [item.reference for item in items if not customer_told(item)]
    if untold:
        raise DomainError(
            "visits.not_told",
            _("A visit is recorded once the feedback is handled and the customer told the result: %(refs)s.")
            % {"refs": ", ".join(sorted(untold))},
            status=409,
        )
    return items


@transaction.atomic
def return_visit_grade(*, actor: Any, visit: ReturnVisit, result: VisitResult) -> ReturnVisit:
    """Record the visit's one result (附表三). See the module's docstring for what follows a C."""
    require(actor, "visits.record", project=visit.project)
    current = _locked(visit)
    _require_due(current)
    _check_result(visit=current, result=result)
    visitor = result.visitor or actor
    recorder = result.recorder or actor
    if not can(recorder, "visits.record", project=current.project):
        raise PermissionDenied("visits.record")
    _refuse_visitor(visit=current, user=visitor)
    items = _check_items_told(current)
    item = next((i for i in items if i.pk == current.item_id), None)
    before = model_changes(current, AUDITED)
    current.status = VisitStatus.GRADED
    current.grade = result.grade
    current.customer_said = result.customer_said.strip()
    current.handling_result = result.handling_result.strip() or (item.result if item is not None else "")
    current.channel = result.channel
    current.quality_met = result.quality_met if current.purpose == Purpose.PAID_SERVICE else None
    current.visited_on = result.visited_on
    current.graded_by = visitor
    current.visitor = visitor
    current.recorded_by = recorder
    current.recorded_at = timezone.now()
    if item is not None:  # frozen: a later reassignment of the item cannot move this grade
        current.handler_id = item.executor_id or item.supervisor_id
        current.handler_department_id = item.department_id
    current.escalation_due_at = None
    current.save()
    _audit(actor=actor, visit=current, before=before)
    for told in items:  # on each item's timeline; the customer acceptance of 附表二 if not rated (R-FB-8)
        feedback_item_visit_recorded(
            actor=actor, item=told, grade=current.grade, purpose=current.purpose, visit_id=current.pk
        )
    if current.grade == Grade.C:
        _after_c(visit=current, item=item, actor=actor)
    for listener in list(_graded_listeners.values()):
        listener(current)
    return current


def _after_c(*, visit: ReturnVisit, item: FeedbackItem | None, actor: Any) -> None:
    """R-RV-3, R-RV-4: the separate visit (not after a separate or a verification visit: no chains), the
    managers told, and feedback's hook (quality opens or keeps the item's one nonconformity)."""
    if item is None:
        return
    if visit.purpose not in (Purpose.SERIOUS, Purpose.VERIFICATION):
        serious_visit_arrange(item=item, parent=visit)
    followups.dissatisfaction_confirmed(
        followups.Dissatisfaction(
            item=item,
            source=followups.Source.RETURN_VISIT,
            actor=actor,
            note=visit.customer_said,
            visit_id=visit.pk,
        )
    )


# --- R-RV-3: the separate visit on serious dissatisfaction ------------------------------------------------

SERIOUS_MANAGER_ORDER = (Role.PROJECT_MANAGER, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR, Role.QA_MANAGER)


def serious_visitor(*, visit: ReturnVisit) -> Any:
    """The responsible department's manager who makes the separate visit: the project manager unless they
    acted on the item, then the CS supervisor, then another manager of the project; None when every
    manager acted on it (a planner then assigns someone)."""
    barred = eligibility.barred_for_visit(visit)
    for role in SERIOUS_MANAGER_ORDER:
        candidates = sorted(project_staff(project=visit.project, roles={role}), key=lambda u: u.pk)
        for user in candidates:
            if (
                user.pk not in barred
                and eligibility.visitor_refusal(visit=visit, user=user, barred=barred) is None
            ):
                return user
    return None


def serious_visit_arrange(*, item: FeedbackItem, parent: ReturnVisit | None) -> ReturnVisit:
    """The one separate visit after a C (parent = the visit graded C) or an owner's C rating (no parent):
    idempotent by the model's unique constraints; due in VisitRules.serious_due_working_days; the chosen
    manager and the project's managers are told. Runs inside the caller's transaction."""
    existing = ReturnVisit.objects.filter(purpose=Purpose.SERIOUS)
    existing = (
        existing.filter(parent=parent) if parent is not None else existing.filter(item=item, parent=None)
    )
    found = existing.first()
    if found is not None:
        return found
    project = Project.objects.select_related("branch").get(pk=item.project_id)
    visit = ReturnVisit(
        project=project,
        purpose=Purpose.SERIOUS,
        item=item,
        parent=parent,
        resident=item.resident,
        customer_name=(item.contact_name or (item.resident.name if item.resident else ""))[:60],
        customer_phone=item.contact_phone[:24],
        department=parent.department if parent is not None else None,
        due_at=_default_due(project=project, purpose=Purpose.SERIOUS, start=timezone.now()),
    )
    visit.escalation_due_at = visit.due_at
    visit.visitor = serious_visitor(visit=visit)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # arranged a moment ago by a concurrent grade or rating: that one stands
        return existing.get()
    _audit(actor=None, visit=visit, before=None, action="create")
    managers = project_staff(project=project, roles={Role.PROJECT_MANAGER})
    notify(
        users=[*managers, *([visit.visitor] if visit.visitor else [])],
        title=_("Serious dissatisfaction with %(reference)s: a separate return visit is arranged")
        % {"reference": item.reference},
        body=(parent.customer_said if parent is not None else item.rating_comment)[:500],
        url=visit_url(visit),
    )
    return visit


def on_dissatisfaction(event: followups.Dissatisfaction) -> None:
    """feedback's followups listener (apps.ready): an owner's C rating arranges the separate visit. A visit
    graded C arranges its own in `return_visit_grade`."""
    if event.source == followups.Source.OWNER_RATING:
        serious_visit_arrange(item=event.item, parent=None)


# --- cancel, and the owner's word on the portal -------------------------------------------------------------


@transaction.atomic
def return_visit_cancel(*, actor: Any, visit: ReturnVisit, reason: str) -> ReturnVisit:
    require(actor, "visits.plan", project=visit.project)
    current = _locked(visit)
    _require_due(current)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for cancelling.")
        raise DomainError("visits.reason_required", message, fields={"reason": [message]})
    before = model_changes(current, AUDITED)
    current.status = VisitStatus.CANCELLED
    current.cancelled_reason = reason[:200]
    current.escalation_due_at = None
    current.save(update_fields=["status", "cancelled_reason", "escalation_due_at", "updated_at"])
    _audit(actor=actor, visit=current, before=before)
    return current


@transaction.atomic
def return_visit_owner_comment(*, actor: Any, visit: ReturnVisit, comment: str) -> ReturnVisit:
    """The owner adds their word to the visit's result on the portal, once."""
    current = _locked(visit)
    resident = current.item.resident if current.item_id and current.item else None
    if resident is None or resident.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("only the customer comments")
    if current.status != VisitStatus.GRADED:
        raise DomainError("visits.not_graded", _("You can comment once the visit is recorded."), status=409)
    if current.owner_comment:
        raise DomainError("visits.already_commented", _("You have already commented."), status=409)
    comment = comment.strip()
    if not comment:
        message = _("Write a comment.")
        raise DomainError("visits.invalid", message, fields={"comment": [message]})
    before = model_changes(current, AUDITED)
    current.owner_comment = comment[:1000]
    current.owner_commented_at = timezone.now()
    current.save(update_fields=["owner_comment", "owner_commented_at", "updated_at"])
    _audit(actor=actor, visit=current, before=before)
    # the visitor and the project's CS supervisors read the owner's word where they work
    supervisors = project_staff(project=current.project, roles={Role.CS_SUPERVISOR})
    notify(
        users=[*supervisors, *([current.graded_by] if current.graded_by_id else [])],
        title=_("The owner commented on the return visit: %(visit)s") % {"visit": str(current)},
        body=current.owner_comment[:500],
        url=visit_url(current),
    )
    return current


# --- the monthly list (R-FB-6) --------------------------------------------------------------------------


def monthly_list_make(*, project: Project, month: date, now: datetime | None = None) -> list[ReturnVisit]:
    """The monthly list of `month` for `project` (monthly.py): the visits made by this run (none when run
    again)."""
    from estatedesk.visits.monthly import monthly_list_make as make

    return make(project=project, month=month, now=now)


# --- R-RV-2: paid services --------------------------------------------------------------------------------

PAID_SERVICE_WINDOW = timedelta(days=30)  # how far back the sweep looks for informed paid-service items


def qa_department(project: Project) -> Department | None:
    """The QA department serving the project: the branch's, else the company's."""
    return (
        Department.objects.filter(kind=DepartmentKind.QUALITY, project__isnull=True)
        .filter(branch_id=project.branch_id)
        .first()
        or Department.objects.filter(
            kind=DepartmentKind.QUALITY,
            company_id=project.branch.company_id,
            branch__isnull=True,
            project__isnull=True,
        ).first()
    )


def _qa_visitor(visit: ReturnVisit, load: dict[int, int]) -> Any:
    """The QA colleague of the project with the fewest open visits who may make it."""
    barred = eligibility.barred_for_visit(visit)
    candidates = sorted(project_staff(project=visit.project, roles=set(QA_ROLES)), key=lambda u: u.pk)
    allowed = [u for u in candidates if u.pk not in barred]
    if not allowed:
        return None
    chosen = min(allowed, key=lambda u: (load.get(u.pk, 0), u.pk))
    load[chosen.pk] = load.get(chosen.pk, 0) + 1
    return chosen


def paid_service_visits_sweep(*, now: datetime | None = None) -> int:
    """R-RV-2: a QA visit for every paid-service item whose customer was told in the last 30 days and that
    has none yet; idempotent (one per item, a unique constraint). The number arranged."""
    now = now or timezone.now()
    items = (
        FeedbackItem.objects.filter(
            is_paid_service=True,
            customer_informed_at__isnull=False,
            customer_informed_at__gte=now - PAID_SERVICE_WINDOW,
        )
        .exclude(return_visits__purpose=Purpose.PAID_SERVICE)
        .select_related("project__branch", "project__service_calendar", "resident")
        .order_by("customer_informed_at", "pk")[:500]
    )
    made = 0
    load: dict[int, int] = {}
    for item in items:
        if not customer_told(item):
            continue
        try:
            with transaction.atomic():
                made += _paid_service_visit(item=item, now=now, load=load)
        except Exception:  # noqa: BLE001 - one item's failure never stops the others; retried next run
            logger.exception("paid-service visits: item %s failed; tried again next run", item.reference)
    return made


def _paid_service_visit(*, item: FeedbackItem, now: datetime, load: dict[int, int]) -> int:
    visit = ReturnVisit(
        project=item.project,
        purpose=Purpose.PAID_SERVICE,
        item=item,
        resident=item.resident,
        customer_name=(item.contact_name or (item.resident.name if item.resident else ""))[:60],
        customer_phone=item.contact_phone[:24],
        department=qa_department(item.project),
        due_at=_default_due(project=item.project, purpose=Purpose.PAID_SERVICE, start=now),
    )
    visit.escalation_due_at = visit.due_at
    visit.visitor = _qa_visitor(visit, load)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # made a moment ago by another sweep
        return 0
    _audit(actor=None, visit=visit, before=None, action="create")
    _tell_visitor(visit)
    return 1


# --- who hears of a grade -------------------------------------------------------------------------------

GradedListener = Callable[[ReturnVisit], None]
_graded_listeners: dict[str, GradedListener] = {}


def listen_graded(name: str, listener: GradedListener) -> None:
    """Register (or replace) a listener of graded visits under a stable name (an app's `ready()`): it runs
    in the grading transaction, after the visit is saved and what a C arranges is done."""
    _graded_listeners[name] = listener
