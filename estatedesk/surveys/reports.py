"""R-SV-5: a campaign's statistical analysis report (统计分析报告) is drafted, reviewed by someone other than
its author, then distributed, and each recipient's first reading is recorded.

- Drafting needs surveys.run at the campaign's project and no area below the return-rate threshold without a
  waiver (R-SV-2, `figures.blocking_areas`); the author edits a draft (or a report returned for changes)
  by drafting again, then submits it.
- The reviewer is decided by the company's `ReportRoute` for the campaign's running department: a holder of
  one of its reviewer roles at the campaign's project (company-wide, at the branch or at the project), and
  never the author. Approval freezes the figures (`figures.figures_snapshot` of `figures.campaign_figures`:
  the numbers every page shows, computed once) in `report.figures` and stores the PDF; returning the report
  needs a note.
- Distribution, by the author or the reviewer, once approved, goes to the route's audience: the chosen
  departments' active members (default: the departments of the project, its branch and the company whose
  kind is a department of the campaign's items), or the leaders in charge (LEADER and GENERAL_MANAGER
  covering the project). Each recipient is a `ReportRecipient` row and is notified; the notification's
  group key is the report's page, so opening the page reads it.
- `report_mark_read`: the recipient's first opening only. `report_reminders_send` (daily): recipients who
  have not read a report distributed at least SurveyRules.report_reminder_days ago and were not reminded
  within as many days; each is claimed with a conditional UPDATE, so two workers never both remind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.common.text import filename_safe
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Department, Membership
from estatedesk.org.permissions import can, require
from estatedesk.org.selectors import memberships_at
from estatedesk.surveys import figures, rates
from estatedesk.surveys.choices import Audience, CampaignStatus, ReportStatus
from estatedesk.surveys.models import Campaign, CampaignItem, CampaignReport, ReportRecipient, ReportRoute

logger = logging.getLogger(__name__)

LEADER_ROLES = frozenset({Role.LEADER, Role.GENERAL_MANAGER})
EDITABLE = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})
AUDITED = [
    "status",
    "summary",
    "submitted_at",
    "reviewer_id",
    "reviewed_at",
    "review_note",
    "audience",
    "distributed_at",
    "distributed_by_id",
    "pdf",
]
SUMMARY_MAX = 20000


def report_url(campaign: Campaign) -> str:
    return reverse("surveys:report", args=[campaign.reference])


def _audit(
    *, actor: Any, report: CampaignReport, before: dict[str, Any] | None, action: str = "update"
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=report,
        before=before,
        after=model_changes(report, AUDITED),
        project_id=report.campaign.project_id,
    )


def _locked(report: CampaignReport) -> CampaignReport:
    return (
        CampaignReport.objects.select_for_update(of=("self",))
        .select_related("campaign__project__branch", "author", "reviewer")
        .get(pk=report.pk)
    )


def _refuse_blocking(campaign: Campaign) -> None:
    """R-SV-2: no report while an area is below the threshold without a waiver (the message lists them)."""
    blocking = figures.blocking_areas(campaign)
    if not blocking:
        return
    areas = "、".join(
        f"{row.name} ({rates.percent_text(row.rate)}, {row.returned}/{row.handed_out})" for row in blocking
    )
    raise DomainError(
        "surveys.below_return_rate",
        _(
            "These areas are below the return rate the rules ask for and have no waiver: %(areas)s. Collect "
            "more forms or have a manager record a waiver first."
        )
        % {"areas": areas},
        status=409,
    )


# --- who reviews, who distributes --------------------------------------------------------------------------


def route_for(campaign: Campaign) -> ReportRoute | None:
    """The company's route for the campaign's running department (R-SV-5, data)."""
    return ReportRoute.objects.filter(
        company_id=campaign.project.branch.company_id, runner=campaign.runner
    ).first()


def reviewer_refusal(*, user: Any, report: CampaignReport, route: ReportRoute | None = None) -> str | None:
    """Why `user` may not review the report (a sentence), or None when they may: the author never does, and
    the reviewer holds one of the route's reviewer roles at the campaign's project."""
    campaign = report.campaign
    if getattr(user, "pk", None) is None:
        return _("Sign in to review the report.")
    if user.pk == report.author_id:
        return _("The author of a report does not review it: another person must.")
    route = route if route is not None else route_for(campaign)
    if route is None:
        return _("No review route is set for this running department; ask HQ to set one.")
    roles = scope_for(user).roles_at(project_id=campaign.project_id, branch_id=campaign.project.branch_id)
    if not roles & set(route.reviewer_roles):
        labels = dict(Role.choices)
        names = "、".join(str(labels.get(role, role)) for role in route.reviewer_roles)
        return _("This report is reviewed by: %(roles)s.") % {"roles": names}
    return None


def may_distribute(*, user: Any, report: CampaignReport) -> bool:
    return report.status == ReportStatus.APPROVED and getattr(user, "pk", None) in (
        report.author_id,
        report.reviewer_id,
    )


def reviewers(*, report: CampaignReport, route: ReportRoute | None) -> list[Any]:
    """The people who may review the report (told when it is submitted): holders of the route's reviewer
    roles at the project, the author left out."""
    if route is None:
        return []
    campaign = report.campaign
    rows = memberships_at(project=campaign.project, roles=set(route.reviewer_roles)).exclude(
        user_id=report.author_id
    )
    return [row.user for row in rows.select_related("user").order_by("user_id")]


# --- draft, submit, review ---------------------------------------------------------------------------------


@transaction.atomic
def report_draft(*, actor: Any, campaign: Campaign, summary: str) -> CampaignReport:
    """Draft the campaign's report, or edit the draft (or the report returned for changes) as its author."""
    require(actor, "surveys.run", project=campaign.project)
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.DRAFT):
        raise DomainError(
            "surveys.campaign_not_reportable",
            _("Only a running or closed campaign has a report."),
            status=409,
        )
    _refuse_blocking(campaign)
    summary = summary.strip()[:SUMMARY_MAX]
    existing = CampaignReport.objects.filter(campaign=campaign).first()
    if existing is None:
        report = CampaignReport(campaign=campaign, author=actor, summary=summary)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:  # drafted a moment ago by someone else: edit that one, as below
            existing = CampaignReport.objects.get(campaign=campaign)
        else:
            _audit(actor=actor, report=report, before=None, action="create")
            return report
    report = _locked(existing)
    if report.author_id != actor.pk:
        raise DomainError("surveys.report_not_author", _("Only the author edits this report."), status=403)
    if report.status not in EDITABLE:
        raise DomainError(
            "surveys.report_locked",
            _("The report is with the reviewer or approved; it can no longer be edited."),
            status=409,
        )
    before = model_changes(report, AUDITED)
    report.summary = summary
    report.save(update_fields=["summary", "updated_at"])
    _audit(actor=actor, report=report, before=before)
    return report


@transaction.atomic
def report_submit(*, actor: Any, report: CampaignReport) -> CampaignReport:
    """The author sends the draft (or the changed report) for review; the possible reviewers are told."""
    report = _locked(report)
    campaign = report.campaign
    if report.author_id != actor.pk:
        raise DomainError("surveys.report_not_author", _("Only the author submits this report."), status=403)
    if report.status not in EDITABLE:
        raise DomainError("surveys.report_locked", _("The report was submitted already."), status=409)
    if not report.summary.strip():
        message = _("Write the findings and measures before submitting.")
        raise DomainError("surveys.invalid", message, fields={"summary": [message]})
    _refuse_blocking(campaign)
    route = route_for(campaign)
    if route is None:
        raise DomainError(
            "surveys.no_route",
            _("No review route is set for this running department; ask HQ to set one."),
            status=409,
        )
    before = model_changes(report, AUDITED)
    report.status = ReportStatus.IN_REVIEW
    report.submitted_at = timezone.now()
    report.save(update_fields=["status", "submitted_at", "updated_at"])
    _audit(actor=actor, report=report, before=before)
    url = report_url(campaign)
    notify(
        users=reviewers(report=report, route=route),
        title=_("Survey report to review: %(title)s") % {"title": campaign.title},
        body=_("%(author)s submitted the report of %(reference)s for review.")
        % {"author": str(report.author), "reference": campaign.reference},
        url=url,
        group_key=url,
    )
    return report


@transaction.atomic
def report_review(*, actor: Any, report: CampaignReport, approve: bool, note: str) -> CampaignReport:
    """Approve the report (its figures frozen and its PDF stored) or return it to the author with a note."""
    report = _locked(report)
    campaign = report.campaign
    if report.status != ReportStatus.IN_REVIEW:
        raise DomainError("surveys.report_not_in_review", _("The report is not awaiting review."), status=409)
    if actor.pk == report.author_id:
        raise DomainError(
            "surveys.review_own",
            _("The author of a report does not review it: another person must."),
            status=403,
        )
    refusal = reviewer_refusal(user=actor, report=report)
    if refusal:
        raise DomainError("surveys.not_reviewer", refusal, status=403)
    note = note.strip()[:SUMMARY_MAX]
    if not approve and not note:
        message = _("Say what should change.")
        raise DomainError("surveys.note_required", message, fields={"note": [message]})
    before = model_changes(report, AUDITED)
    report.reviewer = actor
    report.reviewed_at = timezone.now()
    report.review_note = note
    if approve:
        _refuse_blocking(campaign)
        report.status = ReportStatus.APPROVED
        report.figures = figures.figures_snapshot(figures.campaign_figures(campaign))
        _store_pdf(report)
    else:
        report.status = ReportStatus.RETURNED
    report.save()
    _audit(actor=actor, report=report, before=before)
    url = report_url(campaign)
    title = (
        _("Survey report approved: %(title)s")
        if approve
        else _("Survey report returned for changes: %(title)s")
    ) % {"title": campaign.title}
    notify(users=[report.author], title=title, body=note, url=url, group_key=url)
    return report


def _store_pdf(report: CampaignReport) -> None:
    """Render the approved report (again once distributed: with its recipients; the figures are frozen) and
    keep it through the storage API; a replaced file is deleted once the transaction commits."""
    from estatedesk.surveys.report_pdf import report_pdf

    old = report.pdf.name if report.pdf else ""
    data = report_pdf(report=report)
    name = filename_safe(f"{report.campaign.reference}-report.pdf", fallback="report.pdf")
    report.pdf.save(name, ContentFile(data), save=False)
    if old and old != report.pdf.name:
        transaction.on_commit(lambda: default_storage.delete(old))


# --- distribution ------------------------------------------------------------------------------------------


def distribution_departments(campaign: Campaign) -> QuerySet[Department]:
    """The departments a report may go to: of the project, of its branch, and the company's own."""
    project = campaign.project
    return (
        Department.objects.filter(
            Q(project_id=project.pk)
            | Q(branch_id=project.branch_id, project__isnull=True)
            | Q(company_id=project.branch.company_id, branch__isnull=True, project__isnull=True)
        )
        .select_related("branch", "project")
        .order_by("kind", "project_id", "branch_id", "id")
    )


def default_departments(campaign: Campaign) -> list[Department]:
    """The departments proposed: those whose kind is the responsible department of one of the campaign's
    items (客户服务 → customer service, 工程维修 → engineering, …)."""
    kinds = set(
        CampaignItem.objects.filter(campaign=campaign)
        .exclude(department_kind="")
        .values_list("department_kind", flat=True)
    )
    return [row for row in distribution_departments(campaign) if row.kind in kinds]


def _department_recipients(departments: list[Department]) -> dict[int, tuple[Any, Department | None]]:
    rows = (
        Membership.objects.filter(department__in=departments, is_active=True, user__is_active=True)
        .select_related("user", "department")
        .order_by("department_id", "user_id", "id")
    )
    chosen: dict[int, tuple[Any, Department | None]] = {}
    for row in rows:
        chosen.setdefault(row.user_id, (row.user, row.department))
    return chosen


def _leader_recipients(campaign: Campaign) -> dict[int, tuple[Any, Department | None]]:
    rows = (
        memberships_at(project=campaign.project, roles=LEADER_ROLES)
        .select_related("user", "department")
        .order_by("user_id", "id")
    )
    chosen: dict[int, tuple[Any, Department | None]] = {}
    for row in rows:
        chosen.setdefault(row.user_id, (row.user, row.department))
    return chosen


def _chosen_departments(campaign: Campaign, departments: list[Department] | None) -> list[Department]:
    if departments is None:
        return default_departments(campaign)
    allowed = {row.pk for row in distribution_departments(campaign)}
    wrong = [row for row in departments if row.pk not in allowed]
    if wrong:
        message = _("Choose departments of the campaign's project, its branch or the company.")
        raise DomainError("surveys.invalid", message, fields={"departments": [message]})
    return departments


@transaction.atomic
def report_distribute(
    *, actor: Any, report: CampaignReport, departments: list[Department] | None = None
) -> CampaignReport:
    """Send the approved report to the route's audience (R-SV-5): each recipient a row, each notified."""
    report = _locked(report)
    campaign = report.campaign
    if report.status == ReportStatus.DISTRIBUTED:
        raise DomainError("surveys.already_distributed", _("The report was distributed already."), status=409)
    if report.status != ReportStatus.APPROVED:
        raise DomainError(
            "surveys.not_approved",
            _("A report is distributed only once it is reviewed and approved."),
            status=409,
        )
    if actor.pk not in (report.author_id, report.reviewer_id):
        raise DomainError(
            "surveys.not_distributor", _("The report's author or its reviewer distributes it."), status=403
        )
    route = route_for(campaign)
    if route is None:
        raise DomainError(
            "surveys.no_route",
            _("No review route is set for this running department; ask HQ to set one."),
            status=409,
        )
    if route.audience == Audience.DEPARTMENTS:
        chosen = _chosen_departments(campaign, departments)
        people = _department_recipients(chosen)
    else:
        people = _leader_recipients(campaign)
    if not people:
        message = (
            _("Nobody is a member of the chosen departments. Choose other departments.")
            if route.audience == Audience.DEPARTMENTS
            else _("No leader in charge or general manager covers this project.")
        )
        raise DomainError("surveys.no_recipients", message, fields={"departments": [message]}, status=409)
    now = timezone.now()
    before = model_changes(report, AUDITED)
    ReportRecipient.objects.bulk_create(
        [
            ReportRecipient(report=report, user=user, department=department, sent_at=now)
            for user, department in people.values()
        ]
    )
    report.status = ReportStatus.DISTRIBUTED
    report.audience = route.audience
    report.distributed_at = now
    report.distributed_by = actor
    _store_pdf(report)
    report.save(update_fields=["status", "audience", "distributed_at", "distributed_by", "pdf", "updated_at"])
    _audit(actor=actor, report=report, before=before)
    url = report_url(campaign)
    notify(
        users=[user for user, _department in people.values()],
        title=_("Survey report to read: %(title)s") % {"title": campaign.title},
        body=_("The statistical analysis report of %(reference)s (%(project)s) was approved; please read it.")
        % {"reference": campaign.reference, "project": campaign.project.name},
        url=url,
        group_key=url,
    )
    return report


# --- read receipts and reminders ---------------------------------------------------------------------------


def report_mark_read(*, user: Any, report: CampaignReport) -> bool:
    """The recipient opened the report: the first time only is recorded (one conditional UPDATE; another
    user's opening records nothing). True when this was the first reading."""
    if getattr(user, "pk", None) is None:
        return False
    return bool(
        ReportRecipient.objects.filter(report=report, user_id=user.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def _due(cutoff: datetime) -> Q:
    return Q(read_at__isnull=True, report__distributed_at__lte=cutoff) & (
        Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff)
    )


def report_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each recipient who has not read a report distributed at least the company's
    report_reminder_days ago and was not reminded within as many days (the daily job). The reminders sent."""
    now = now or timezone.now()
    unread = ReportRecipient.objects.filter(read_at__isnull=True, report__status=ReportStatus.DISTRIBUTED)
    company_ids = sorted(
        set(unread.values_list("report__campaign__project__branch__company_id", flat=True).distinct())
    )
    sent = 0
    for company_id in company_ids:
        days = figures.rules_for_company(company_id).report_reminder_days
        cutoff = now - timedelta(days=days)
        rows = (
            unread.filter(_due(cutoff), report__campaign__project__branch__company_id=company_id)
            .select_related("user", "report__campaign__project")
            .order_by("id")
        )
        for row in rows:
            try:
                with transaction.atomic():
                    sent += _remind(row, cutoff=cutoff, now=now)
            except Exception:  # noqa: BLE001 - one recipient's failure never stops the others
                logger.exception("survey report reminder %s failed; tried again next run", row.pk)
    return sent


def _remind(row: ReportRecipient, *, cutoff: datetime, now: datetime) -> int:
    claimed = ReportRecipient.objects.filter(Q(pk=row.pk) & _due(cutoff)).update(
        reminded_at=now, reminders=F("reminders") + 1
    )
    if not claimed:  # read meanwhile, or another worker reminded them
        return 0
    campaign = row.report.campaign
    url = report_url(campaign)
    notify(
        users=[row.user],
        title=_("Reminder: survey report to read: %(title)s") % {"title": campaign.title},
        body=_("The statistical analysis report of %(reference)s (%(project)s) is waiting for you.")
        % {"reference": campaign.reference, "project": campaign.project.name},
        url=url,
        group_key=url,
    )
    return 1


# --- reading: the inbox and the home page -------------------------------------------------------------------

INBOX_ROWS = 100


def reports_to_review(*, user: Any, limit: int = INBOX_ROWS) -> list[CampaignReport]:
    """Reports awaiting review that `user` may review (the route's roles at the project, not the author),
    oldest submission first. Two queries, whatever the number of reports."""
    scope = scope_for(user)
    if not scope.is_staff_member or getattr(user, "pk", None) is None:
        return []
    route_roles = {
        (route.company_id, route.runner): set(route.reviewer_roles)
        for route in ReportRoute.objects.filter(company_id__in=sorted(scope.company_ids))
    }
    rows = (
        CampaignReport.objects.visible_to(user)
        .filter(status=ReportStatus.IN_REVIEW)
        .exclude(author_id=user.pk)
        .select_related("campaign__project__branch", "author")
        .order_by("submitted_at", "id")
    )
    result = []
    for report in rows:
        project = report.campaign.project
        roles = route_roles.get((project.branch.company_id, report.campaign.runner), set())
        if scope.roles_at(project_id=project.pk, branch_id=project.branch_id) & roles:
            result.append(report)
            if len(result) >= limit:
                break
    return result


def reports_to_read(*, user: Any) -> QuerySet[ReportRecipient]:
    """The distributed reports `user` received and has not opened yet, newest first."""
    return (
        ReportRecipient.objects.filter(
            user_id=getattr(user, "pk", None) or 0,
            read_at__isnull=True,
            report__status=ReportStatus.DISTRIBUTED,
        )
        .select_related("report__campaign__project")
        .order_by("-sent_at", "-id")
    )


def reports_returned(*, user: Any) -> QuerySet[CampaignReport]:
    """The reports `user` wrote that came back for changes."""
    return (
        CampaignReport.objects.visible_to(user)
        .filter(author_id=getattr(user, "pk", None) or 0, status=ReportStatus.RETURNED)
        .select_related("campaign__project", "reviewer")
        .order_by("-reviewed_at", "-id")
    )


@dataclass(frozen=True)
class ReportAccess:
    """A campaign and its report as a user may see them: project staff see the campaign (and its report, if
    any); a recipient from elsewhere sees only the distributed report (`recipient_only`)."""

    campaign: Campaign
    report: CampaignReport | None
    recipient_only: bool


def report_access(*, user: Any, reference: str) -> ReportAccess:
    """The campaign by reference with its report for the report's page and API, or 404 (missing, out of
    scope, or a report not distributed to this user)."""
    if not scope_for(user).is_staff_member:
        raise Http404
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("project__branch__company", "department")
        .filter(reference=reference)
        .first()
    )
    if campaign is not None and can(user, "surveys.view", project=campaign.project):
        report = (
            CampaignReport.objects.filter(campaign=campaign)
            .select_related("author", "reviewer", "distributed_by")
            .first()
        )
        if report is not None:
            report.campaign = campaign
        return ReportAccess(campaign, report, recipient_only=False)
    received = (
        ReportRecipient.objects.filter(
            user_id=user.pk, report__campaign__reference=reference, report__status=ReportStatus.DISTRIBUTED
        )
        .select_related(
            "report__campaign__project__branch__company",
            "report__campaign__department",
            "report__author",
            "report__reviewer",
            "report__distributed_by",
        )
        .first()
    )
    if received is None:
        raise Http404
    return ReportAccess(received.report.campaign, received.report, recipient_only=True)
