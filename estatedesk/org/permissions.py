"""Who may do what, decided in one place. Roles come from memberships; capabilities are checked at the
node (project or branch) the action touches."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from estatedesk.common.scoping import scope_for
from estatedesk.org.choices import Role

STAFF_ROLES = frozenset(role.value for role in Role)
MANAGERS = frozenset(
    {Role.SYSTEM_ADMIN, Role.HQ_PROPERTY, Role.GENERAL_MANAGER, Role.BRANCH_MANAGER, Role.PROJECT_MANAGER}
)

# People who call owners (hotline, dispatch, repairs, return visits) see their phone numbers in full.
CONTACTS_OWNERS = frozenset(
    {
        Role.CS_AGENT,
        Role.CS_SUPERVISOR,
        Role.PROJECT_MANAGER,
        Role.DEPT_SUPERVISOR,
        Role.EXECUTOR,
        Role.QA_MANAGER,
        Role.QA_STAFF,
    }
)
ARCHIVE_KEEPERS = frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER})
QA_ROLES = frozenset({Role.QA_MANAGER, Role.QA_STAFF})
PROJECT_OFFICE = frozenset({Role.PROJECT_MANAGER, Role.DEPT_SUPERVISOR, Role.EXECUTOR})  # 管理处

CAPABILITIES: dict[str, frozenset[str]] = {
    "org.view": STAFF_ROLES,
    "org.calendar.manage": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
    "org.membership.manage": frozenset({Role.SYSTEM_ADMIN}),
    "org.members.view": MANAGERS | {Role.CS_SUPERVISOR},
    "audit.view": MANAGERS,
    "api.docs": STAFF_ROLES,
    # failed outbox emails, with their recipients, and resending them (issue 16, item 6)
    "notifications.outbox": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
    # owner archive (R-OA)
    "owners.view": STAFF_ROLES,
    "owners.phone.full": CONTACTS_OWNERS,
    "owners.id.reveal": ARCHIVE_KEEPERS,
    "owners.edit": ARCHIVE_KEEPERS | {Role.CS_AGENT},
    "owners.import": ARCHIVE_KEEPERS | {Role.SYSTEM_ADMIN},
    "owners.export": ARCHIVE_KEEPERS,
    "owners.confirm_changes": ARCHIVE_KEEPERS | {Role.CS_AGENT},
    # customer feedback (R-FB)
    "feedback.view": STAFF_ROLES,
    "feedback.register": frozenset(
        {
            Role.CS_AGENT,
            Role.CS_SUPERVISOR,
            Role.PROJECT_MANAGER,
            Role.DEPT_SUPERVISOR,
            Role.EXECUTOR,
            Role.QA_MANAGER,
            Role.QA_STAFF,
        }
    ),
    "feedback.comment": STAFF_ROLES,
    "feedback.staff_talk": frozenset({Role.PROJECT_MANAGER, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR}),
    # the execution record (附表二, R-FB-8): QA writes its opinion and its acceptance, the management
    # office (the project's staff) its execution record; "feedback.execution_record" is either
    "feedback.execution_record.qa": QA_ROLES,
    "feedback.execution_record.office": PROJECT_OFFICE,
    "feedback.execution_record": QA_ROLES | PROJECT_OFFICE,
    "feedback.report_hq": frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER, Role.BRANCH_MANAGER}),
    # change kind, category, location, department, priority or flags after registration
    "feedback.reclassify": frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER, Role.QA_MANAGER}),
    # the complaint mailbox's quarantine of the project: read, download the raw message, release, discard
    "feedback.mail_quarantine": frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER}),
    # return visits (R-FB-6, R-RV, 附表三) and client visits (R-CS-1)
    "visits.view": STAFF_ROLES,
    "visits.record": frozenset(
        {
            Role.CS_AGENT,
            Role.CS_SUPERVISOR,
            Role.PROJECT_MANAGER,
            Role.DEPT_SUPERVISOR,
            Role.QA_MANAGER,
            Role.QA_STAFF,
        }
    ),
    "visits.plan": frozenset(
        {Role.CS_SUPERVISOR, Role.PROJECT_MANAGER, Role.QA_MANAGER, Role.DEPT_SUPERVISOR}
    ),
    "visits.export": MANAGERS | {Role.CS_SUPERVISOR, Role.QA_MANAGER},
    "visits.policy": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
    "visits.client": frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER}),
    # nonconformities (不合格项, R-RV-4)
    "quality.view": STAFF_ROLES,
    "quality.raise": frozenset(
        {Role.CS_SUPERVISOR, Role.PROJECT_MANAGER, Role.QA_MANAGER, Role.QA_STAFF, Role.DEPT_SUPERVISOR}
    ),
    "quality.manage": frozenset({Role.QA_MANAGER, Role.QA_STAFF, Role.PROJECT_MANAGER}),
    "quality.verify": QA_ROLES,
    # satisfaction surveys (R-SV, R-CS-2)
    "surveys.view": STAFF_ROLES,
    # make campaigns, print and hand out forms, close them; write the report
    "surveys.run": frozenset(
        {Role.CS_SUPERVISOR, Role.PROJECT_MANAGER, Role.QA_MANAGER, Role.QA_STAFF, Role.ADMIN_DEPT}
    ),
    # key in paper forms, import workbooks of answered forms
    "surveys.enter": frozenset(
        {
            Role.CS_AGENT,
            Role.CS_SUPERVISOR,
            Role.PROJECT_MANAGER,
            Role.QA_MANAGER,
            Role.QA_STAFF,
            Role.ADMIN_DEPT,
        }
    ),
    # accept an area's return rate below the threshold, with a reason (R-SV-2)
    "surveys.waive": MANAGERS | {Role.QA_MANAGER},
    # the questionnaire catalogue, rules and report routes (company-wide data)
    "surveys.catalogue": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
    "surveys.export": MANAGERS | {Role.CS_SUPERVISOR, Role.QA_MANAGER, Role.ADMIN_DEPT},
    # reporting to HQ (R-IR, R-CS-3, R-CS-4)
    "reporting.view": STAFF_ROLES,
    # fill in a branch's or project's report (a draft); the document administrator submits it
    "reporting.fill": frozenset(
        {Role.DOC_ADMIN, Role.BRANCH_MANAGER, Role.PROJECT_MANAGER, Role.CS_SUPERVISOR, Role.ADMIN_DEPT}
    ),
    "reporting.submit": frozenset({Role.DOC_ADMIN, Role.BRANCH_MANAGER, Role.PROJECT_MANAGER}),
    # HQ's property management department: review (accept, return), score, the catalogue, the newsletter
    "reporting.review": frozenset({Role.HQ_PROPERTY}),
    "reporting.catalogue": frozenset({Role.HQ_PROPERTY, Role.SYSTEM_ADMIN}),
    "reporting.newsletter": frozenset({Role.HQ_PROPERTY}),
    # report an event (an emergency, R-IR-4 / R-CS-4) and confirm its class
    "reporting.instant": frozenset(
        {
            Role.CS_SUPERVISOR,
            Role.PROJECT_MANAGER,
            Role.BRANCH_MANAGER,
            Role.DOC_ADMIN,
            Role.QA_MANAGER,
            Role.DEPT_SUPERVISOR,
        }
    ),
    "reporting.classify": frozenset({Role.PROJECT_MANAGER, Role.BRANCH_MANAGER, Role.HQ_PROPERTY}),
    "reporting.propose": frozenset({Role.BRANCH_MANAGER, Role.DOC_ADMIN}),
    "reporting.scores": MANAGERS | {Role.LEADER},
    # formal documents: register and forward (HQ's document administrator), send to projects (HQ)
    "reporting.documents": frozenset({Role.DOC_ADMIN, Role.HQ_PROPERTY}),
    "reporting.activities": frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER}),
    # dashboards and monthly packs (issue 15, R-FB-7): the figures of the scopes a role answers for
    "analytics.view": MANAGERS | {Role.LEADER, Role.CS_SUPERVISOR, Role.QA_MANAGER, Role.ADMIN_DEPT},
    "analytics.pack": MANAGERS | {Role.LEADER, Role.CS_SUPERVISOR, Role.QA_MANAGER, Role.ADMIN_DEPT},
    # make a month's pack again (version 2, …) with a note of why
    "analytics.pack.regenerate": frozenset(
        {Role.SYSTEM_ADMIN, Role.HQ_PROPERTY, Role.GENERAL_MANAGER, Role.CS_SUPERVISOR}
    ),
    # the alert thresholds (company-wide data)
    "analytics.alerts.manage": frozenset({Role.SYSTEM_ADMIN, Role.HQ_PROPERTY}),
}


def can(user: Any, capability: str, *, project: Any = None, branch: Any = None) -> bool:
    """Does the user hold a role granting `capability` at this project or branch (or company-wide)?"""
    scope = scope_for(user)
    allowed = CAPABILITIES[capability]
    if project is not None:
        roles = scope.roles_at(project_id=project.pk, branch_id=project.branch_id)
    elif branch is not None:
        roles = scope.roles_at(branch_id=branch.pk)
    else:
        roles = scope.roles_global
    return bool(roles & allowed)


def can_anywhere(user: Any, capability: str) -> bool:
    return bool(scope_for(user).all_roles & CAPABILITIES[capability])


def require(user: Any, capability: str, *, project: Any = None, branch: Any = None) -> None:
    if not can(user, capability, project=project, branch=branch):
        raise PermissionDenied(capability)


def projects_with(user: Any, capability: str) -> frozenset[int] | None:
    """The projects where the user holds `capability`: None means every project (a company-wide role)."""
    scope = scope_for(user)
    allowed = CAPABILITIES[capability]
    if scope.roles_global & allowed:
        return None
    from estatedesk.org.models import Project

    projects = {pid for pid, roles in scope.roles_by_project.items() if roles & allowed}
    branches = [bid for bid, roles in scope.roles_by_branch.items() if roles & allowed]
    if branches:
        projects |= set(Project.objects.filter(branch_id__in=branches).values_list("id", flat=True))
    return frozenset(projects)
