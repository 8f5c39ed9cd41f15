"""Expected reports and their deadlines (R-IR-1): nobody can forget a periodic report.

`expected_reports_make` (daily) makes, for every active type that is expected (monthly and yearly types)
and every reporting unit of its scope (each branch, or each project), one `ReportSubmission` per period
with status "expected" and its deadline stored (deadlines.due_at), as soon as the period has begun. Only
units open in the period count (the DHIS2 flaw of rates over 100% when units open and close): a unit is
open when opened_on ≤ the period's end (or its deadline, if earlier: a yearly type's period is the year
of its January deadline) and closed_on is empty or ≥ the period's start; no opened_on means open, a
project marked inactive reports no more. An untouched expected report of a unit found closed afterwards
is withdrawn. The daily run makes the periods whose deadline has not passed (nothing overdue is born:
a unit added late owes no past months); `since` backfills every period from a day (the demo's year).
The unique constraint (type, unit, period) keeps one report per unit and period however often it runs.

`deadline_sweep` (every 15 minutes) does what follows a deadline, each thing once, claimed in the
database (a second run or a second worker sends nothing again):
- reminders `rules.reminder_days` days before the deadline (e.g. 3 and 1) to the unit's reporters: its
  document administrators, else its manager (the project's, else the branch's); one `ReportReminder`
  per (report, "before_N"); a sweep that comes late sends only the most urgent one;
- from the day after the deadline, the non-reporters listed for HQ's property management department: one
  notification per company and period with the list (`listed_missing_at` claims each report);
- `rules.escalate_after_days` days after the deadline, the branch manager told of the branch's missing
  reports, once (`escalated_at`).
Reports count as received from their first submission (a returned report is not missing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.scoping import ScopedQuerySet
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch, Membership, Project
from estatedesk.org.permissions import can
from estatedesk.reporting import deadlines
from estatedesk.reporting.choices import DeadlineRule, ReportingScope, SubmissionStatus
from estatedesk.reporting.models import InformationType, ReportingRules, ReportReminder, ReportSubmission
from estatedesk.reporting.selectors import rules_for_company

NOT_RECEIVED = (SubmissionStatus.EXPECTED, SubmissionStatus.DRAFT)
REFERENCE_MAX = 40
LOOK_BACK = timedelta(days=400)
YEARLY = (DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH)


def report_url(reference: str) -> str:
    """The report's page (the submissions pages), for notifications."""
    try:
        return reverse("reporting:submission_detail", args=[reference])
    except NoReverseMatch:  # pragma: no cover - the submissions pages not mounted
        return f"/reporting/{reference}/"


def period_words(information_type: InformationType, period_start: date) -> str:
    """A period as people name it: 2026-11, 2027."""
    if information_type.deadline_rule == DeadlineRule.MONTHLY_BY_DAY:
        return f"{period_start:%Y-%m}"
    if information_type.deadline_rule in YEARLY:
        return f"{period_start:%Y}"
    return f"{period_start:%Y-%m-%d}"


# --- reporting units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingUnit:
    key: str  # "B<branch id>" or "P<project id>"
    code: str
    name: str
    branch: Branch
    project: Project | None
    opened_on: date | None
    closed_on: date | None

    def is_open(self, first: date, last: date) -> bool:
        """Open at some time in [first, last]."""
        return (self.opened_on is None or self.opened_on <= last) and (
            self.closed_on is None or self.closed_on >= first
        )


def reporting_units(company_ids: Iterable[int]) -> dict[tuple[int, str], list[ReportingUnit]]:
    """(company id, scope) -> its units: every branch; every active project. Two queries."""
    units: dict[tuple[int, str], list[ReportingUnit]] = defaultdict(list)
    ids = sorted(set(company_ids))
    for branch in Branch.objects.filter(company_id__in=ids).order_by("code"):
        units[(branch.company_id, ReportingScope.BRANCH)].append(
            ReportingUnit(
                f"B{branch.pk}", branch.code, branch.name, branch, None, branch.opened_on, branch.closed_on
            )
        )
    projects = Project.objects.filter(branch__company_id__in=ids, is_active=True).select_related("branch")
    for project in projects.order_by("code"):
        units[(project.branch.company_id, ReportingScope.PROJECT)].append(
            ReportingUnit(
                f"P{project.pk}",
                project.code,
                project.name,
                project.branch,
                project,
                project.opened_on,
                project.closed_on,
            )
        )
    return units


def _reference(unit: ReportingUnit, information_type: InformationType, period_start: date) -> str:
    """RP-<unit code>-<period>-<TYPE>, e.g. RP-QD-202611-MONTHLY-BUSINESS (by the type's id if too long)."""
    period = deadlines.period_label(information_type, period_start)
    reference = f"RP-{unit.code}-{period}-{information_type.code.upper().replace('_', '-')}"
    if len(reference) > REFERENCE_MAX:
        reference = f"RP-{unit.code}-{period}-T{information_type.pk}"[:REFERENCE_MAX]
    return reference


# --- expected reports ------------------------------------------------------------------------------------


def expected_reports_make(*, today: date | None = None, since: date | None = None) -> int:
    """Make the expected reports of the periods that have begun by `today` (company time); the number
    made. By default (the daily run) only periods whose deadline has not passed are made: a branch added
    today, or a type made expected today, owes nothing already overdue. `since` makes every period from
    that day on (a backfill: the demo's year, a unit's history), with the units open in each."""
    today = today or timezone.localdate()
    types = list(
        InformationType.objects.filter(is_active=True, is_expected=True).order_by(
            "company_id", "position", "id"
        )
    )
    if not types:
        return 0
    units = reporting_units(itype.company_id for itype in types)
    rules: dict[int, ReportingRules] = {}
    made = 0
    for itype in types:
        if itype.company_id not in rules:
            rules[itype.company_id] = rules_for_company(itype.company_id)
        first = since or timezone.localdate(itype.created_at)
        # the daily run looks back no further than a deadline can lie after its period's start
        scan_from = first if since is not None else max(first, today - LOOK_BACK)
        wanted: list[ReportSubmission] = []
        for period_start, period_end in deadlines.periods(itype, scan_from, today):
            if period_start > today:
                continue
            due = deadlines.due_at(itype, period_start=period_start, rules=rules[itype.company_id])
            due_day = timezone.localdate(due)
            if due_day < first or (since is None and due_day < today):
                continue
            window_end = min(period_end, due_day)
            wanted.extend(
                ReportSubmission(
                    reference=_reference(unit, itype, period_start),
                    information_type=itype,
                    branch=unit.branch,
                    project=unit.project,
                    unit_key=unit.key,
                    period_start=period_start,
                    period_end=period_end,
                    due_at=due,
                    status=SubmissionStatus.EXPECTED,
                    title=f"{period_words(itype, period_start)} {itype.name}",
                )
                for unit in units[(itype.company_id, itype.scope)]
                if unit.is_open(period_start, window_end)
            )
        if not wanted:
            continue
        existing = set(
            ReportSubmission.objects.filter(
                information_type=itype, period_start__in=sorted({row.period_start for row in wanted})
            ).values_list("unit_key", "period_start")
        )
        new = [row for row in wanted if (row.unit_key, row.period_start) not in existing]
        if new:
            ReportSubmission.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
            made += len(new)
    _withdraw_not_open(units)
    return made


def _withdraw_not_open(units: dict[tuple[int, str], list[ReportingUnit]]) -> int:
    """Untouched expected reports of periods when their unit was not open (an opening or closing date
    recorded after the reports were made): removed, so that no unit is expected more than it was open.
    A report someone started (a draft) or submitted stays."""
    condition = Q(pk__in=[])
    for unit in (unit for group in units.values() for unit in group):
        if unit.closed_on is not None:
            condition |= Q(unit_key=unit.key, period_start__gt=unit.closed_on)
        if unit.opened_on is not None:
            opened = datetime.combine(unit.opened_on, time(0), tzinfo=timezone.get_default_timezone())
            condition |= Q(unit_key=unit.key) & (Q(period_end__lt=unit.opened_on) | Q(due_at__lt=opened))
    deleted, _rows = ReportSubmission.objects.filter(
        condition,
        period_start__isnull=False,
        status=SubmissionStatus.EXPECTED,
        first_submitted_at__isnull=True,
        template__isnull=True,
    ).delete()
    return deleted


# --- who is told -------------------------------------------------------------------------------------------


@dataclass
class People:
    """Active people holding reporting roles at branches and projects, and HQ, loaded once per sweep."""

    by_branch: dict[tuple[int, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    by_project: dict[tuple[int, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    hq: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, *, branch_ids: set[int], project_ids: set[int], company_ids: set[int]) -> People:
        people = cls()
        rows = (
            Membership.objects.filter(is_active=True, user__is_active=True)
            .filter(
                Q(level=ScopeLevel.BRANCH, branch_id__in=sorted(branch_ids))
                | Q(level=ScopeLevel.PROJECT, project_id__in=sorted(project_ids))
                | Q(level=ScopeLevel.COMPANY, company_id__in=sorted(company_ids), role=Role.HQ_PROPERTY)
            )
            .filter(role__in=[Role.DOC_ADMIN, Role.BRANCH_MANAGER, Role.PROJECT_MANAGER, Role.HQ_PROPERTY])
            .select_related("user")
            .order_by("user_id")
        )
        for membership in rows:
            if membership.level == ScopeLevel.BRANCH and membership.branch_id is not None:
                people.by_branch[(membership.branch_id, membership.role)].append(membership.user)
            elif membership.level == ScopeLevel.PROJECT and membership.project_id is not None:
                people.by_project[(membership.project_id, membership.role)].append(membership.user)
            elif membership.role == Role.HQ_PROPERTY:
                people.hq[membership.company_id].append(membership.user)
        return people

    def reporters(self, submission: ReportSubmission) -> list[Any]:
        """Who submits the unit's reports: its document administrators, else its manager."""
        if submission.project_id is not None:
            project = submission.project_id
            return (
                self.by_project.get((project, Role.DOC_ADMIN))
                or self.by_project.get((project, Role.PROJECT_MANAGER))
                or self.branch_managers(submission.branch_id)
            )
        return self.by_branch.get((submission.branch_id, Role.DOC_ADMIN)) or self.branch_managers(
            submission.branch_id
        )

    def branch_managers(self, branch_id: int) -> list[Any]:
        return list(self.by_branch.get((branch_id, Role.BRANCH_MANAGER), []))


def _unit_name(submission: ReportSubmission) -> str:
    return submission.project.name if submission.project is not None else submission.branch.name


def _line(submission: ReportSubmission) -> str:
    due = timezone.localtime(submission.due_at)
    return f"{_unit_name(submission)} · {submission.information_type.name} · {_('due')} {due:%Y-%m-%d %H:%M}"


# --- the sweep ----------------------------------------------------------------------------------------------


def deadline_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Reminders before deadlines, the non-reporters for HQ after them, the branch managers told; each
    once. The counts: reminded (reports), listed (reports), escalated (reports)."""
    now = now or timezone.now()
    pending = ReportSubmission.objects.filter(
        period_start__isnull=False, first_submitted_at__isnull=True, status__in=NOT_RECEIVED
    ).select_related("information_type", "branch", "project")
    rules = {r.company_id: r for r in ReportingRules.objects.all()}
    horizon = max((max(r.reminder_days or [0]) for r in rules.values()), default=0)
    soon = list(
        pending.filter(due_at__gt=now, due_at__lte=now + timedelta(days=horizon + 1)).order_by("due_at", "id")
    )
    overdue = list(
        pending.filter(due_at__lt=now)
        .filter(Q(listed_missing_at__isnull=True) | Q(escalated_at__isnull=True))
        .order_by("due_at", "id")
    )
    if not soon and not overdue:
        return {"reminded": 0, "listed": 0, "escalated": 0}
    rows = [*soon, *overdue]
    people = People.load(
        branch_ids={row.branch_id for row in rows},
        project_ids={row.project_id for row in rows if row.project_id is not None},
        company_ids={row.information_type.company_id for row in rows},
    )
    return {
        "reminded": _remind(soon, now=now, rules=rules, people=people),
        "listed": _list_missing(
            [row for row in overdue if row.listed_missing_at is None], now=now, people=people
        ),
        "escalated": _escalate(
            [row for row in overdue if row.escalated_at is None], now=now, rules=rules, people=people
        ),
    }


def _remind(
    rows: list[ReportSubmission], *, now: datetime, rules: dict[int, ReportingRules], people: People
) -> int:
    today = timezone.localdate(now)
    sent_before = set(
        ReportReminder.objects.filter(submission_id__in=[row.pk for row in rows]).values_list(
            "submission_id", "kind"
        )
    )
    reminded = 0
    for row in rows:
        company_rules = rules.get(row.information_type.company_id)
        days = company_rules.reminder_days if company_rules is not None else []
        days_left = (timezone.localdate(row.due_at) - today).days
        applicable = [int(n) for n in days if int(n) >= days_left]
        if not applicable:
            continue
        kind = f"before_{min(applicable)}"
        if (row.pk, kind) in sent_before:
            continue
        try:
            with transaction.atomic():
                ReportReminder.objects.create(submission=row, kind=kind, sent_at=now)
                due = timezone.localtime(row.due_at)
                notify(
                    users=people.reporters(row),
                    title=_("Reminder: %(type)s %(period)s for %(unit)s is due %(due)s")
                    % {
                        "type": row.information_type.name,
                        "period": period_words(row.information_type, row.period_start or due.date()),
                        "unit": _unit_name(row),
                        "due": f"{due:%Y-%m-%d %H:%M}",
                    },
                    body=_("Please fill it in and submit it to HQ by the deadline."),
                    url=report_url(row.reference),
                )
        except IntegrityError:  # sent by another sweep meanwhile
            continue
        reminded += 1
    return reminded


def _claim(ids: list[int], column: str, now: datetime) -> list[ReportSubmission]:
    """Claim the rows whose `column` is empty (a conditional UPDATE), and read back those this run took."""
    if not ids:
        return []
    ReportSubmission.objects.filter(pk__in=ids, **{f"{column}__isnull": True}).update(**{column: now})
    return list(
        ReportSubmission.objects.filter(pk__in=ids, **{column: now})
        .select_related("information_type", "branch", "project")
        .order_by("information_type__position", "branch__code", "project__code", "id")
    )


def missing_url(period_start: date) -> str:
    return f"{reverse('reporting:missing')}?period={period_start:%Y-%m}"


def _list_missing(rows: list[ReportSubmission], *, now: datetime, people: People) -> int:
    groups: dict[tuple[int, date, date], list[int]] = defaultdict(list)
    for row in rows:
        assert row.period_start is not None  # noqa: S101 - pending rows have a period
        key = (row.information_type.company_id, row.period_start, timezone.localdate(row.due_at))
        groups[key].append(row.pk)
    listed = 0
    for (company_id, period_start, _due), ids in groups.items():
        with transaction.atomic():
            claimed = _claim(ids, "listed_missing_at", now)
            if not claimed:
                continue
            notify(
                users=people.hq.get(company_id, []),
                title=_("%(count)s reports of %(period)s are missing")
                % {"count": len(claimed), "period": period_words(claimed[0].information_type, period_start)},
                body="\n".join(_line(row) for row in claimed),
                url=missing_url(period_start),
                group_key=f"reporting-missing-{company_id}-{period_start:%Y-%m}",
            )
        listed += len(claimed)
    return listed


def _escalate(
    rows: list[ReportSubmission], *, now: datetime, rules: dict[int, ReportingRules], people: People
) -> int:
    today = timezone.localdate(now)
    by_branch: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        company_rules = rules.get(row.information_type.company_id)
        after = company_rules.escalate_after_days if company_rules is not None else 1
        if today >= timezone.localdate(row.due_at) + timedelta(days=after):
            by_branch[row.branch_id].append(row.pk)
    escalated = 0
    for branch_id, ids in by_branch.items():
        with transaction.atomic():
            claimed = _claim(ids, "escalated_at", now)
            if not claimed:
                continue
            notify(
                users=people.branch_managers(branch_id),
                title=_("%(branch)s: %(count)s reports to HQ are missing after their deadline")
                % {"branch": claimed[0].branch.name, "count": len(claimed)},
                body="\n".join(_line(row) for row in claimed),
                url=report_url(claimed[0].reference)
                if len(claimed) == 1
                else missing_url(claimed[0].period_start or today),
            )
        escalated += len(claimed)
    return escalated


# --- the non-reporters of a period (HQ's page and API) ------------------------------------------------------


@dataclass(frozen=True)
class MissingRow:
    submission: ReportSubmission
    unit: str
    days_late: int


@dataclass(frozen=True)
class MissingPeriod:
    period_start: date
    rows: list[MissingRow]
    expected: int  # expected reports of the period (its monthly and yearly types)
    received: int  # first submitted
    pending: int  # not received, deadline not passed


def may_see_missing(user: Any) -> bool:
    """HQ: the property management department, the catalogue's keepers, company-wide managers."""
    return can(user, "reporting.review") or can(user, "reporting.catalogue") or can(user, "reporting.scores")


def parse_period(value: str) -> date | None:
    """ "YYYY-MM" → its first day; None when not a month."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def missing_for_period(*, user: Any, month: date, now: datetime | None = None) -> MissingPeriod:
    """The reports of the periods beginning in `month` that the user may see and that are missing
    (deadline passed, never submitted), by type and unit, with the days late; and the period's counts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first, last = month_bounds(month)
    rows: ScopedQuerySet[ReportSubmission] = ReportSubmission.objects.visible_to(user).filter(
        period_start__gte=first, period_start__lte=last
    )
    counts = rows.aggregate(
        expected=Count("id"),
        received=Count("id", filter=Q(first_submitted_at__isnull=False)),
        pending=Count("id", filter=Q(first_submitted_at__isnull=True, due_at__gte=now)),
    )
    missing = (
        rows.filter(first_submitted_at__isnull=True, due_at__lt=now)
        .select_related("information_type", "branch", "project")
        .order_by("information_type__position", "information_type_id", "branch__code", "project__code", "id")
    )
    return MissingPeriod(
        period_start=first,
        rows=[
            MissingRow(row, _unit_name(row), (today - timezone.localdate(row.due_at)).days) for row in missing
        ],
        expected=counts["expected"],
        received=counts["received"],
        pending=counts["pending"],
    )
