"""Writes to customer feedback (R-FB). Each service checks permission and the rule, saves, writes the
timeline event and queues notifications in one transaction. Pages, the API, the mailbox poller, the
portal and the sweep all come through here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import clocks, events, sla
from estatedesk.feedback.choices import (
    Category,
    Channel,
    Kind,
    Priority,
    Rating,
    Status,
    TalkKind,
)
from estatedesk.feedback.models import (
    ExecutionRecord,
    FeedbackItem,
    ReferenceCounter,
    SlaPolicy,
    StaffTalk,
    TimelineEvent,
)
from estatedesk.feedback.workflow import STEPS, SUPERVISORS, WORKERS
from estatedesk.notifications.services import email_send, notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, require
from estatedesk.org.selectors import project_staff
from estatedesk.owners.models import Resident

ANONYMOUS_CHANNELS = {Channel.QR, Channel.EMAIL}


# --- helpers ----------------------------------------------------------------------------------------------


def _next_reference(*, project: Project, day: Any) -> str:
    """PROJECT-YYYYMMDD-NNNN, unique however many registrations run at once: the UPDATE that takes the
    number holds the counter row's lock until the registration commits (two queries, once the day's row
    exists)."""
    counter = ReferenceCounter.objects.filter(project=project, day=day)
    if not counter.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(project=project, day=day, last=1)
            return f"{project.code}-{day:%Y%m%d}-0001"
        except IntegrityError:
            counter.update(last=F("last") + 1)  # another registration created today's row first
    return f"{project.code}-{day:%Y%m%d}-{counter.values_list('last', flat=True).get():04d}"


def _item_url(item: FeedbackItem) -> str:
    from django.urls import reverse

    return reverse("feedback:item_detail", args=[item.reference])


def _roles_at(user: Any, project: Project) -> frozenset[str]:
    return scope_for(user).roles_at(project_id=project.pk, branch_id=project.branch_id)


# --- registration (R-FB-1, R-CH-2) -----------------------------------------------------------------------


@transaction.atomic
def feedback_item_register(
    *,
    actor: Any,
    project: Project,
    channel: str,
    kind: str,
    category: str,
    title: str,
    description: str,
    priority: str = Priority.NORMAL,
    resident: Resident | None = None,
    unit: Any = None,
    building: Any = None,
    location_note: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    is_major: bool = False,
    is_hot: bool = False,
    is_paid_service: bool = False,
    is_quality_problem: bool = False,
    registered_at: datetime | None = None,
) -> FeedbackItem:
    """Register what a customer raised, at once (R-FB-1), with its SLA clocks started."""
    _check_register_permission(actor=actor, project=project, channel=channel, resident=resident, unit=unit)
    fields: dict[str, list[Any]] = {}
    if channel not in Channel.values:
        fields["channel"] = [_("Unknown value.")]
    if kind not in Kind.values:
        fields["kind"] = [_("Unknown value.")]
    if category not in Category.values:
        fields["category"] = [_("Unknown value.")]
    if priority not in Priority.values:
        fields["priority"] = [_("Unknown value.")]
    if not description.strip():
        fields["description"] = [_("This field is required.")]
    if unit is not None and unit.project_id != project.pk:
        fields["unit"] = [_("This unit belongs to another project.")]
    if building is not None and building.project_id != project.pk:
        fields["building"] = [_("This building belongs to another project.")]
    if channel in ANONYMOUS_CHANNELS and resident is None and not (contact_phone or contact_email):
        fields["contact_phone"] = [_("Leave a phone number so that we can tell you the result.")]
    if fields:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=fields)
    now = registered_at or timezone.now()
    title = (title.strip() or description.strip().splitlines()[0])[:120]
    due = clocks.deadlines_for(
        project=project,
        channel=channel,
        kind=kind,
        category=category,
        priority=priority,
        is_quality_problem=is_quality_problem,
        start=now,
    )
    item = FeedbackItem.objects.create(
        reference=_next_reference(project=project, day=timezone.localtime(now).date()),
        project=project,
        building=building or (unit.building if unit is not None else None),
        unit=unit,
        location_note=location_note.strip()[:200],
        resident=resident,
        contact_name=contact_name.strip()[:60] or (resident.name if resident else ""),
        contact_phone=contact_phone.strip()[:24],
        contact_email=contact_email.strip(),
        channel=channel,
        kind=kind,
        category=category,
        priority=priority,
        title=title,
        description=description.strip(),
        is_major=is_major,
        is_hot=is_hot,
        is_paid_service=is_paid_service,
        is_quality_problem=is_quality_problem,
        registered_by=actor if getattr(actor, "pk", None) and not _is_owner_actor(actor, resident) else None,
        registered_at=now,
        contact_due_at=due.contact_due_at,
        action_due_at=due.action_due_at,
        resolution_due_at=due.resolution_due_at,
        escalation_due_at=clocks.first_escalation_check(
            {
                "contact_due_at": due.contact_due_at,
                "action_due_at": due.action_due_at,
                "resolution_due_at": due.resolution_due_at,
            }
        ),
    )
    events.registered(item=item, actor=actor, at=now)
    url = _item_url(item)
    notify(
        users=project_staff(project=project, roles={Role.CS_SUPERVISOR}),
        title=_("New %(kind)s %(reference)s: %(title)s")
        % {"kind": item.get_kind_display(), "reference": item.reference, "title": item.title},
        body=item.description[:500],
        url=url,
    )
    if is_major:
        _alert_general_manager(item=item, actor=actor)
    _tell_customer(
        item=item,
        subject=_("We have registered your %(kind)s %(reference)s")
        % {"kind": item.get_kind_display(), "reference": item.reference},
        body=_("Thank you. We will contact you about %(title)s.") % {"title": item.title},
    )
    return item


def _is_owner_actor(actor: Any, resident: Resident | None) -> bool:
    return resident is not None and resident.user_id == getattr(actor, "pk", None)


def _check_register_permission(
    *, actor: Any, project: Project, channel: str, resident: Resident | None, unit: Any = None
) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        if channel in ANONYMOUS_CHANNELS:
            return  # QR codes posted in a building and the complaint mailbox need no account
        raise PermissionDenied("sign in")
    if can(actor, "feedback.register", project=project):
        return
    scope = scope_for(actor)
    if channel in (Channel.PORTAL, Channel.QR) and project.pk in scope.owner_project_ids:
        if resident is not None and resident.user_id != actor.pk:
            raise PermissionDenied("an owner registers for themselves")
        if (
            unit is not None
            and not unit.occupancies.filter(resident__user_id=actor.pk, ended_on__isnull=True).exists()
        ):
            raise PermissionDenied("an owner registers for their own units only")
        return
    raise PermissionDenied("feedback.register")


def _alert_general_manager(*, item: FeedbackItem, actor: Any) -> None:
    """R-FB-3: a major incident goes to the general manager at once."""
    managers = project_staff(project=item.project, roles={Role.GENERAL_MANAGER})
    notify(
        users=managers,
        title=_("Major incident %(reference)s at %(project)s: %(title)s")
        % {"reference": item.reference, "project": item.project.name, "title": item.title},
        body=item.description[:1000],
        url=_item_url(item),
    )
    events.major_alert_sent(item=item, actor=actor, notified=[u.pk for u in managers])


def _tell_customer(*, item: FeedbackItem, subject: str, body: str) -> None:
    address = item.contact_email or (item.resident.email if item.resident else "")
    if address:
        email_send(to=address, subject=subject, body=body)
    if item.resident and item.resident.user_id:
        notify(users=[item.resident.user], title=subject, body=body, email=False)


# --- the R-FB path ----------------------------------------------------------------------------------------


@transaction.atomic
def feedback_item_step(
    *,
    actor: Any,
    item: FeedbackItem,
    step: str,
    version: int,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> FeedbackItem:
    """Take one step of the workflow. `version` is the item's version the actor saw: if someone else
    changed the item since, nothing is written and the actor is told (no silent overwrite)."""
    definition = STEPS.get(step)
    if definition is None:
        raise DomainError("feedback.unknown_step", _("Unknown step."))
    if not _roles_at(actor, item.project) & definition.roles:
        raise PermissionDenied(step)
    data = dict(data or {})
    current = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if current.version != version:
        raise DomainError(
            "feedback.conflict",
            _("Someone else changed this item a moment ago. Reload it to see the change, then try again."),
            status=409,
        )
    if current.status not in definition.sources or (
        definition.kinds and current.kind not in definition.kinds
    ):
        raise DomainError("feedback.step_not_allowed", _("This step is not possible now."), status=409)
    now = timezone.now()
    updates: dict[str, Any] = {"status": definition.target, "version": current.version + 1}
    if step == "contact_supervisor":
        updates["contacted_at"] = now
        if data.get("supervisor_id"):
            updates["supervisor_id"] = _staff_member_id(
                project=current.project,
                user_id=data["supervisor_id"],
                roles=SUPERVISORS,
                field="supervisor_id",
            )
    elif step == "record_opinion":
        if not note.strip():
            raise DomainError(
                "feedback.opinion_required",
                _("Write the handling opinion."),
                fields={"note": [_("This field is required.")]},
            )
        updates["handling_opinion"] = note.strip()
        if current.contacted_at is None:
            updates["contacted_at"] = now
    elif step == "arrange":
        if data.get("executor_id"):
            updates["executor_id"] = _staff_member_id(
                project=current.project, user_id=data["executor_id"], roles=WORKERS, field="executor_id"
            )
    elif step == "start":
        if current.is_quality_problem and current.acted_at is None:
            updates["acted_at"] = now
    elif step == "complete":
        if not note.strip():
            raise DomainError(
                "feedback.result_required",
                _("Describe what was done."),
                fields={"note": [_("This field is required.")]},
            )
        updates["result"] = note.strip()
        updates["handled_at"] = now
    elif step in ("inform_customer", "answer"):
        how = str(data.get("how", "")).strip()
        if not note.strip() or how not in {"phone", "sms", "email", "in_person", "portal"}:
            raise DomainError(
                "feedback.feedback_required",
                _("Record what the customer was told and how."),
                fields={
                    "note": [_("This field is required.")],
                    "how": [_("Choose how the customer was told.")],
                },
            )
        updates["customer_informed_at"] = now
        if step == "answer" and current.contacted_at is None:
            updates["contacted_at"] = now  # answered at once: the contact clock is met, not left running
        data["how"] = how
    elif step == "close":
        if current.category == Category.STAFF_ATTITUDE and not current.staff_talks.exists():
            raise DomainError(
                "feedback.staff_talk_required",
                _(
                    "A staff-attitude problem can be closed only after a talk with, or criticism of, "
                    "the employee is recorded."
                ),
                status=409,
            )
        updates["closed_at"] = now
    elif step == "reopen":
        if not note.strip():
            raise DomainError(
                "feedback.reason_required",
                _("Say why it is reopened."),
                fields={"note": [_("This field is required.")]},
            )
        updates.update(closed_at=None, customer_informed_at=None, handled_at=None, escalation_level=0)
    elif step == "cancel" and not note.strip():
        raise DomainError(
            "feedback.reason_required",
            _("Give the reason for cancelling."),
            fields={"note": [_("This field is required.")]},
        )
    changed = FeedbackItem.objects.filter(pk=current.pk, version=version).update(**updates, updated_at=now)
    if not changed:  # pragma: no cover - the row is locked; kept for databases without row locks
        raise DomainError("feedback.conflict", _("Someone else changed this item a moment ago."), status=409)
    events.step_taken(
        item=current,
        actor=actor,
        step=step,
        from_status=current.status,
        to_status=definition.target,
        note=note.strip(),
        data=data,
        is_public=step in ("inform_customer", "answer", "close", "reopen", "cancel"),
    )
    current.refresh_from_db()
    _after_step(item=current, step=step, actor=actor, note=note)
    return current


def _staff_member_id(*, project: Project, user_id: Any, roles: frozenset[str], field: str) -> int:
    """The id of an active user holding one of `roles` at the project; anyone else is refused, so an item
    is never assigned to (nor its description sent to) someone outside the project."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = None
    if pk is None or pk not in {user.pk for user in project_staff(project=project, roles=set(roles))}:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={field: [_("Choose a colleague who works on this project in that role.")]},
        )
    return pk


def _after_step(*, item: FeedbackItem, step: str, actor: Any, note: str) -> None:
    url = _item_url(item)
    label = str(STEPS[step].label)
    title = _("%(reference)s: %(step)s") % {"reference": item.reference, "step": label}
    if step == "contact_supervisor" and item.supervisor_id:
        notify(users=[item.supervisor], title=title, body=item.description[:500], url=url)
    elif step == "record_opinion":
        notify(
            users=project_staff(project=item.project, roles={Role.PROJECT_MANAGER}),
            title=title,
            body=note,
            url=url,
        )
    elif step == "arrange" and item.executor_id:
        notify(users=[item.executor], title=title, body=item.handling_opinion, url=url)
    elif step in ("complete", "inform_cs"):
        notify(
            users=project_staff(project=item.project, roles={Role.CS_AGENT, Role.CS_SUPERVISOR}),
            title=title,
            body=note,
            url=url,
        )
    elif step in ("inform_customer", "answer"):
        _tell_customer(
            item=item,
            subject=_("Your %(kind)s %(reference)s has been handled")
            % {"kind": item.get_kind_display(), "reference": item.reference},
            body=note + "\n\n" + _("Please rate how we handled it in the owner portal."),
        )


@transaction.atomic
def staff_talk_record(
    *, actor: Any, item: FeedbackItem, employee_name: str, kind: str, notes: str
) -> StaffTalk:
    """R-FB-4: the talk with, or criticism of, the employee whose attitude was the problem."""
    require(actor, "feedback.staff_talk", project=item.project)
    if kind not in TalkKind.values or not employee_name.strip() or not notes.strip():
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"notes": [_("This field is required.")]},
        )
    talk = StaffTalk.objects.create(
        item=item,
        employee_name=employee_name.strip(),
        kind=kind,
        notes=notes.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    events.staff_talk_recorded(
        item=item, actor=actor, employee=talk.employee_name, kind=kind, notes=notes.strip()
    )
    return talk


@transaction.atomic
def feedback_comment_add(
    *, actor: Any, item: FeedbackItem, message: str, is_public: bool = False
) -> TimelineEvent:
    require(actor, "feedback.comment", project=item.project)
    if not message.strip():
        raise DomainError(
            "feedback.invalid", _("Write a comment."), fields={"message": [_("This field is required.")]}
        )
    return events.comment_added(item=item, actor=actor, message=message.strip(), is_public=is_public)


EXECUTION_FIELDS = [
    "qa_opinion",
    "office_record",
    "qa_acceptance",
    "customer_acceptance",
    "executor_name",
    "executed_at",
]


@transaction.atomic
def execution_record_update(*, actor: Any, item: FeedbackItem, **values: Any) -> ExecutionRecord:
    """附表二 (R-FB-8): the QA opinion, the office's execution record, both acceptances, executor and time."""
    require(actor, "feedback.execution_record", project=item.project)
    unknown = set(values) - set(EXECUTION_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    record, _created = ExecutionRecord.objects.get_or_create(item=item)
    before = {name: str(getattr(record, name) or "") for name in values}
    for name, value in values.items():
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    record.save()
    after = {name: str(getattr(record, name) or "") for name in values}
    changes = {k: [before[k], after[k]] for k in values if before[k] != after[k]}
    if changes:
        events.execution_record_changed(item=item, actor=actor, changes=changes)
    return record


@transaction.atomic
def feedback_item_rate(*, actor: Any, item: FeedbackItem, rating: str, comment: str = "") -> FeedbackItem:
    """The customer rates the handling once it is done (A satisfied / B fairly / C unsatisfied)."""
    if item.resident is None or item.resident.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("only the customer rates")
    if rating not in Rating.values:
        raise DomainError(
            "feedback.invalid", _("Choose a rating."), fields={"rating": [_("Choose a rating.")]}
        )
    if item.status not in (Status.CUSTOMER_INFORMED, Status.CLOSED):
        raise DomainError("feedback.not_done", _("You can rate it once it has been handled."), status=409)
    if item.rating:
        raise DomainError("feedback.already_rated", _("You have already rated it."), status=409)
    rated = FeedbackItem.objects.filter(pk=item.pk, rating="").update(
        rating=rating, rating_comment=comment.strip()[:500], version=F("version") + 1
    )
    if not rated:  # rated a moment ago (another tab, a double click): the first rating stands
        raise DomainError("feedback.already_rated", _("You have already rated it."), status=409)
    events.rated(item=item, actor=actor, rating=rating, comment=comment.strip()[:500])
    if rating == Rating.C:
        # serious dissatisfaction: the responsible manager hears of it (the return-visit work picks it up)
        notify(
            users=project_staff(project=item.project, roles={Role.PROJECT_MANAGER, Role.CS_SUPERVISOR}),
            title=_("%(reference)s rated unsatisfied by the customer") % {"reference": item.reference},
            body=comment,
            url=_item_url(item),
        )
    item.refresh_from_db()
    return item


# --- hand-off to HQ reporting (R-IR-8) ----------------------------------------------------------------------


@transaction.atomic
def feedback_item_report_to_hq(*, actor: Any, item: FeedbackItem) -> dict[str, Any]:
    """A major or hot complaint goes to HQ as an instant report without retyping. Returns the report's
    content (title, facts, progress) for the HQ reporting service to file; marks the item as reported."""
    require(actor, "feedback.report_hq", project=item.project)
    if not (item.is_major or item.is_hot):
        raise DomainError(
            "feedback.not_reportable",
            _("Only major or hot complaints are reported to HQ as instant reports."),
        )
    rows = list(item.events.select_related("actor").order_by("at", "id"))
    content = {
        "source": "feedback",
        "reference": item.reference,
        "project": item.project.code,
        "type": "major_or_hot_complaint",
        "title": item.title,
        "facts": item.description,
        "registered_at": item.registered_at.isoformat(),
        "status": item.status,
        "progress": [
            {
                "at": event.at.isoformat(),
                "step": event.to_status or event.kind,
                "what": described.what,
                "note": event.message,
            }
            for event, described in zip(rows, events.describe_all(rows), strict=True)
        ],
    }
    FeedbackItem.objects.filter(pk=item.pk).update(reported_to_hq_at=timezone.now())
    events.reported_to_hq(item=item, actor=actor)
    return content


def seed_sla_policies(*, company: Any) -> None:
    """The default SLA rows (R-FB-2: 60 minutes; R-FB-4: 30 minutes); running it again adds nothing."""
    for policy in sla.default_policies():
        SlaPolicy.objects.get_or_create(
            company=company,
            clock=policy.clock,
            kind=policy.kind,
            category=policy.category,
            priority=policy.priority,
            defaults={"minutes": policy.minutes, "uses_hotline_calendar": policy.uses_hotline_calendar},
        )
