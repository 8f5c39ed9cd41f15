"""Field work on an arranged item (issue 11): the visit time agreed with the customer, and handing the job
over to a colleague in one step.

Both are services: they check who may act and when (the rules below, as data), lock the item, write it,
and put one event on the timeline (`events.appointment_agreed`, `events.handed_over`). The item's version
is not moved: neither changes the R-FB path, so a step form opened before stays valid.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import events, notices
from estatedesk.feedback.choices import Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.workflow import CS, STEPS, WORKERS
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.selectors import project_staff

# While the job is arranged or being done, the appointment may be agreed (or moved) by those who do it and
# by customer service, who talk to the customer.
FIELD_STATUSES = frozenset({Status.ARRANGED, Status.IN_PROGRESS})
APPOINTMENT_ROLES = WORKERS | CS
# An appointment is for the days ahead; one recorded after the fact may be a little in the past.
APPOINTMENT_PAST_GRACE = timedelta(days=1)
APPOINTMENT_HORIZON = timedelta(days=90)
NOTE_MAX_LENGTH = 500
# The job is handed over by its executor, or by a department supervisor or the project manager, to a
# colleague the "arrange" step could have chosen.
HAND_OVER_ROLES = frozenset({Role.DEPT_SUPERVISOR, Role.PROJECT_MANAGER})
HAND_OVER_TO_ROLES = STEPS["arrange"].assignee.roles if STEPS["arrange"].assignee else WORKERS


def _roles_at(user: Any, item: FeedbackItem) -> frozenset[str]:
    return scope_for(user).roles_at(project_id=item.project_id, branch_id=item.project.branch_id)


def _locked(item: FeedbackItem) -> FeedbackItem:
    current = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if current.status not in FIELD_STATUSES:
        raise DomainError(
            "feedback.not_in_field",
            _("This is possible only while the job is arranged or in progress."),
            status=409,
        )
    return current


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"note": [_("At most %(count)s characters.") % {"count": NOTE_MAX_LENGTH}]},
        )
    return note


def may_set_appointment(*, user: Any, item: FeedbackItem) -> bool:
    return item.status in FIELD_STATUSES and bool(_roles_at(user, item) & APPOINTMENT_ROLES)


def may_hand_over(*, user: Any, item: FeedbackItem) -> bool:
    if item.status not in FIELD_STATUSES:
        return False
    roles = _roles_at(user, item)
    is_its_executor = Role.EXECUTOR in roles and item.executor_id == getattr(user, "pk", None)
    return is_its_executor or bool(roles & HAND_OVER_ROLES)


@transaction.atomic
def feedback_item_set_appointment(
    *, actor: Any, item: FeedbackItem, at: datetime, note: str = ""
) -> FeedbackItem:
    """Record the visit time agreed with the customer (shown to them in the portal), or move it."""
    if not _roles_at(actor, item) & APPOINTMENT_ROLES:
        raise PermissionDenied("feedback.appointment")
    if timezone.is_naive(at):
        raise DomainError(
            "feedback.invalid", _("Some fields are not valid."), fields={"at": [_("Give a date and time.")]}
        )
    note = _clean_note(note)
    current = _locked(item)
    now = timezone.now()
    if not now - APPOINTMENT_PAST_GRACE <= at <= now + APPOINTMENT_HORIZON:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"at": [_("Choose a time between yesterday and 90 days from now.")]},
        )
    previous = current.appointment_at
    FeedbackItem.objects.filter(pk=current.pk).update(appointment_at=at, updated_at=now)
    current.appointment_at, current.updated_at = at, now
    events.appointment_agreed(item=current, actor=actor, at=at, previous=previous, note=note)
    if current.executor_id and current.executor_id != getattr(actor, "pk", None):
        notify(
            users=[current.executor],
            title=_("%(reference)s: appointment %(at)s")
            % {"reference": current.reference, "at": f"{timezone.localtime(at):%Y-%m-%d %H:%M}"},
            body=note,
            url=notices.item_url(current),
        )
    return current


@transaction.atomic
def feedback_item_hand_over(*, actor: Any, item: FeedbackItem, to_id: Any, note: str) -> FeedbackItem:
    """Hand the job to another colleague of the project in one step, saying why; the new executor is told."""
    if not may_hand_over(user=actor, item=item):
        if item.status not in FIELD_STATUSES and _roles_at(actor, item) & (HAND_OVER_ROLES | {Role.EXECUTOR}):
            raise DomainError(
                "feedback.not_in_field",
                _("This is possible only while the job is arranged or in progress."),
                status=409,
            )
        raise PermissionDenied("feedback.hand_over")
    note = _clean_note(note)
    if not note:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"note": [_("Say why the job is handed over.")]},
        )
    current = _locked(item)
    try:
        pk = int(to_id)
    except (TypeError, ValueError):
        pk = None
    staff = {user.pk: user for user in project_staff(project=current.project, roles=set(HAND_OVER_TO_ROLES))}
    if pk is None or pk not in staff or pk == current.executor_id:
        raise DomainError(
            "feedback.invalid",
            _("Some fields are not valid."),
            fields={"executor": [_("Choose another colleague who works on this project.")]},
        )
    previous = current.executor_id
    now = timezone.now()
    FeedbackItem.objects.filter(pk=current.pk).update(executor_id=pk, updated_at=now)
    current.executor_id, current.updated_at = pk, now
    events.handed_over(item=current, actor=actor, executor_id=pk, previous_id=previous, note=note)
    notify(
        users=[staff[pk]],
        title=_("%(reference)s: handed over to you") % {"reference": current.reference},
        body=note,
        url=notices.item_url(current),
    )
    return current


def hand_over_choices(*, item: FeedbackItem) -> list[tuple[int, str]]:
    """The colleagues the job may go to: those of the project in an eligible role, but its executor."""
    people = project_staff(project=item.project, roles=set(HAND_OVER_TO_ROLES))
    return [(user.pk, str(user)) for user in sorted(people, key=str) if user.pk != item.executor_id]
