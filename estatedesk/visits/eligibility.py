"""Who may visit a customer (issue 12, item 2; R-RV-1, R-RV-2, R-RV-3): never anyone who held or acted
on an item the visit covers. The one check, `visitor_refusal`, is used by the assign and grade services,
the API and the picker of visitors (selectors.eligible_visitors); the monthly list uses the same facts in
bulk (`barred_by_item`).

Barred from visiting an item's customer, from the item and its timeline (feedback's own records):
- its executor and supervisor now, and everyone assigned as either before (step and hand-over events);
- the actors of the timeline events of acting kinds (`ACTING_KINDS`: the steps, the arrange step's
  project manager among them, talks, the execution record, appointments, hand-overs, reclassification,
  files, the report to HQ);
- everyone an SLA escalation of the item was sent to (feedback.Escalation.notified);
- the person who registered it, unless the company's VisitRules.registrant_may_visit says otherwise.

Besides: the visitor needs `visits.record` at the project, and the purpose may ask for a role. R-RV-1: a
survey run by the customer-service department is checked by the project manager, one run by the QA
department by the QA manager; R-RV-2: a paid service is visited by QA; R-RV-3: a separate visit on serious
dissatisfaction is made by a manager.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from estatedesk.common.scoping import scope_for
from estatedesk.feedback.choices import EventKind
from estatedesk.feedback.events import PERSON_KEYS
from estatedesk.feedback.models import Escalation, FeedbackItem, TimelineEvent
from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.org.permissions import CAPABILITIES, QA_ROLES
from estatedesk.visits.choices import Purpose
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.policies import visit_rules_for

ACTING_KINDS = frozenset(
    {
        EventKind.TRANSITION,
        EventKind.STAFF_TALK,
        EventKind.EXECUTION_RECORD,
        EventKind.APPOINTMENT,
        EventKind.HANDED_OVER,
        EventKind.RECLASSIFIED,
        EventKind.ATTACHMENT,
        EventKind.HQ_REPORT,
    }
)

# why someone is barred, strongest first (the message names the strongest)
HANDLED = "handled"
ESCALATED = "escalated"
REGISTERED = "registered"
_STRENGTH = {HANDLED: 3, ESCALATED: 2, REGISTERED: 1}

RECORDERS = CAPABILITIES["visits.record"]
MANAGER_ROLES = frozenset({Role.PROJECT_MANAGER, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR, Role.QA_MANAGER})
# R-RV-1: the department that ran the survey → the role that checks it
SURVEY_CHECKERS: dict[str, frozenset[str]] = {
    DepartmentKind.CUSTOMER_SERVICE: frozenset({Role.PROJECT_MANAGER}),
    DepartmentKind.QUALITY: frozenset({Role.QA_MANAGER}),
}


def _bar(barred: dict[int, str], user_id: Any, reason: str) -> None:
    if isinstance(user_id, int) and _STRENGTH[reason] > _STRENGTH.get(barred.get(user_id, ""), 0):
        barred[user_id] = reason


def barred_by_item(*, item_ids: Iterable[int], registrant_may_visit: bool) -> dict[int, dict[int, str]]:
    """{item id: {user id: reason}} of the people who may not visit these items' customers: three queries
    however many items."""
    ids = sorted(set(item_ids))
    result: dict[int, dict[int, str]] = {pk: {} for pk in ids}
    if not ids:
        return result
    for pk, executor, supervisor, registrant in FeedbackItem.objects.filter(pk__in=ids).values_list(
        "pk", "executor_id", "supervisor_id", "registered_by_id"
    ):
        _bar(result[pk], executor, HANDLED)
        _bar(result[pk], supervisor, HANDLED)
        if not registrant_may_visit:
            _bar(result[pk], registrant, REGISTERED)
    events = TimelineEvent.objects.filter(item_id__in=ids, kind__in=ACTING_KINDS).values_list(
        "item_id", "actor_id", "data"
    )
    for pk, actor, data in events:
        _bar(result[pk], actor, HANDLED)
        for key in PERSON_KEYS:
            value = str(data.get(key, "")) if isinstance(data, dict) else ""
            _bar(result[pk], int(value) if value.isdigit() else None, HANDLED)
    for pk, notified in Escalation.objects.filter(item_id__in=ids).values_list("item_id", "notified"):
        for user_id in notified or []:
            _bar(result[pk], user_id, ESCALATED)
    return result


def merged(barred: dict[int, dict[int, str]], item_ids: Iterable[int]) -> dict[int, str]:
    """The people barred from any of `item_ids`, each with their strongest reason."""
    result: dict[int, str] = {}
    for pk in item_ids:
        for user_id, reason in barred.get(pk, {}).items():
            _bar(result, user_id, reason)
    return result


def visit_item_ids(visit: ReturnVisit) -> list[int]:
    """The items the visit is about: its item and, for a monthly visit, every item it covers."""
    ids = {visit.item_id} if visit.item_id else set()
    if visit.pk:
        ids |= set(visit.covered_items.values_list("pk", flat=True))
    return sorted(ids)


def barred_for_visit(visit: ReturnVisit) -> dict[int, str]:
    """{user id: reason} of the people barred from visiting this visit's customer."""
    ids = visit_item_ids(visit)
    rules = visit_rules_for(company_id=visit.project.branch.company_id)
    return merged(barred_by_item(item_ids=ids, registrant_may_visit=rules.registrant_may_visit), ids)


def required_roles(visit: ReturnVisit) -> frozenset[str]:
    """The roles that may make this visit (before the rule on who acted): those with visits.record,
    narrowed by the purpose."""
    if visit.purpose == Purpose.SURVEY_CHECK:
        kind = visit.department.kind if visit.department_id and visit.department else ""
        return RECORDERS & SURVEY_CHECKERS.get(kind, frozenset())
    if visit.purpose == Purpose.PAID_SERVICE:
        return RECORDERS & QA_ROLES
    if visit.purpose == Purpose.SERIOUS:
        return RECORDERS & MANAGER_ROLES
    return RECORDERS


def barred_message(reason: str, name: str) -> str:
    if reason == REGISTERED:
        return _(
            "%(name)s registered this feedback; the company's rules do not let the person who registered "
            "an item visit its customer."
        ) % {"name": name}
    if reason == ESCALATED:
        return _("%(name)s was told of an escalation of this feedback and may not visit its customer.") % {
            "name": name
        }
    return _("%(name)s handled or acted on this feedback and may not visit its customer.") % {"name": name}


def _role_message(visit: ReturnVisit, name: str) -> str:
    if visit.purpose == Purpose.SURVEY_CHECK:
        kind = visit.department.kind if visit.department_id and visit.department else ""
        if kind == DepartmentKind.QUALITY:
            return _("A survey of the QA department is checked by the QA manager.")
        if kind == DepartmentKind.CUSTOMER_SERVICE:
            return _("A survey of the customer-service department is checked by the project manager.")
        return _("Say which department ran the survey before choosing who checks it.")
    if visit.purpose == Purpose.PAID_SERVICE:
        return _("A paid service is visited by the QA department.")
    if visit.purpose == Purpose.SERIOUS:
        return _("A visit on serious dissatisfaction is made by a manager.")
    return _("%(name)s may not make return visits at this project.") % {"name": name}


def visitor_refusal(*, visit: ReturnVisit, user: Any, barred: dict[int, str] | None = None) -> str | None:
    """Why `user` may not visit for `visit` (a translated sentence), or None when they may. `barred`: the
    visit's barred people when the caller has them already (`barred_for_visit`)."""
    if user is None or not getattr(user, "is_active", False) or not getattr(user, "pk", None):
        return _("Choose an active colleague as the visitor.")
    name = str(user)
    reasons = barred if barred is not None else barred_for_visit(visit)
    reason = reasons.get(user.pk)
    if reason:  # the rule of issue 12 first: it says why better than a missing role would
        return barred_message(reason, name)
    roles = scope_for(user).roles_at(project_id=visit.project_id, branch_id=visit.project.branch_id)
    if not roles & RECORDERS:
        return _("%(name)s may not make return visits at this project.") % {"name": name}
    if not roles & required_roles(visit):
        return _role_message(visit, name)
    return None
