"""Alerts between packs (issue 15, deliverable 4): thresholds as data (`AlertRule`), checked daily, each
breach recorded and sent once.

A rule watches one figure (`AlertMetric`) per project, or per building for C visits, over a window that
ends with the check: this ISO week from Monday, or this calendar month (company time). The figures, by SQL
aggregation grouped by project (or building), one query per rule:

- `contact_on_time`, `resolution_on_time`: the items registered in the window; met = the clock's done time
  is at or before its due time; breached = done late, or still open, not done and past due at the check
  (the metrics layer's conditions `metrics.clock_met` / `clock_breached`, feedback.statistics' definition
  over `feedback.clocks.CLOCK_COLUMNS`; a clock left undone on a closed or cancelled item stopped with it).
  The rate is met ÷ (met + breached) in percent, rounded half-up to two decimals (`common.rounding`);
  `counted` = met + breached. No rate (nothing decided) is never a breach.
- `c_visits_building`: return visits graded C whose visit date falls in the window, by the building of the
  item visited about (the item's building, else its unit's building); a visit about no building counts for
  none. (The dashboards count visits by the month they were due; an alert looks at when the C was heard.)
- `overdue_items`: the project's open items with a clock past due at the check (`metrics.overdue_now`),
  whenever registered (the window only numbers the breach: once a week or once a month).
- `major_incidents`: the project's items marked major (重大) registered in the window, cancelled left out.

A rule fires for a unit when `counted` ≥ `minimum_count` and the value is below (`below`) or at least
(`at_least`) the threshold. The breach is the row (rule, unit, window start): the unique constraint makes it
once, however often and by however many workers the check runs. Once the breaches are committed, each is
sent by claiming its `sent_at` with a conditional UPDATE in the transaction that notifies (in-app and email
through the outbox): a second worker claims nothing and sends nothing. The project's project managers and
the branch managers of its branch are told.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.analytics.choices import AlertComparison, AlertMetric, AlertWindow
from estatedesk.analytics.metrics import clock_breached, clock_met, overdue_now
from estatedesk.analytics.models import AlertBreach, AlertRule
from estatedesk.analytics.periods import Period, add_months
from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.common.rounding import percent_of
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.feedback.choices import SlaClock, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Company, Membership, Project
from estatedesk.visits.choices import Grade, VisitStatus
from estatedesk.visits.models import ReturnVisit

logger = logging.getLogger(__name__)

PERCENT_METRICS = frozenset({AlertMetric.CONTACT_ON_TIME, AlertMetric.RESOLUTION_ON_TIME})
CLOCK_OF = {
    AlertMetric.CONTACT_ON_TIME: SlaClock.CONTACT,
    AlertMetric.RESOLUTION_ON_TIME: SlaClock.RESOLUTION,
}
RECIPIENT_ROLES = (Role.PROJECT_MANAGER, Role.BRANCH_MANAGER)

# The company's defaults (R-FB-2 contact and resolution on time; R-RV C visits), as data the rules page edits.
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": gettext_lazy("Project's contact-on-time rate below 80% this week"),
        "metric": AlertMetric.CONTACT_ON_TIME,
        "comparison": AlertComparison.BELOW,
        "threshold": Decimal(80),
        "window": AlertWindow.WEEK,
        "minimum_count": 5,
    },
    {
        "name": gettext_lazy("Three C visits in one building this month"),
        "metric": AlertMetric.C_VISITS_BUILDING,
        "comparison": AlertComparison.AT_LEAST,
        "threshold": Decimal(3),
        "window": AlertWindow.MONTH,
        "minimum_count": 1,
    },
    {
        "name": gettext_lazy("Project's resolution-on-time rate below 80% this month"),
        "metric": AlertMetric.RESOLUTION_ON_TIME,
        "comparison": AlertComparison.BELOW,
        "threshold": Decimal(80),
        "window": AlertWindow.MONTH,
        "minimum_count": 10,
    },
)


# --- windows ------------------------------------------------------------------------------------------------


def window_of(window: str, *, now: datetime) -> Period:
    """The window ending with the check: this ISO week from Monday, or this calendar month (company time).
    As a custom period of whole days, so that a drill-down can name it."""
    today = timezone.localdate(now)
    if window == AlertWindow.WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period.custom(monday, monday + timedelta(days=6))
    first = today.replace(day=1)
    return Period.custom(first, add_months(first, 1) - timedelta(days=1))


# --- figures per unit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A rule's figure for one project or building in the window."""

    unit_key: str
    project_id: int
    building_id: int | None
    value: Decimal | None  # None: no rate (nothing decided)
    counted: int


def _items(rule: AlertRule) -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.filter(project__branch__company_id=rule.company_id)


def _readings(rule: AlertRule, *, window: Period, now: datetime) -> list[Reading]:
    start, end = window.bounds()
    metric = rule.metric
    if metric in PERCENT_METRICS:
        clock = CLOCK_OF[AlertMetric(metric)]
        rows = (
            _items(rule)
            .filter(registered_at__gte=start, registered_at__lt=end)
            .order_by()
            .values("project_id")
            .annotate(
                met=Count("id", filter=clock_met(clock)),
                late=Count("id", filter=clock_breached(clock, now)),
            )
        )
        return [
            Reading(
                f"project:{row['project_id']}",
                row["project_id"],
                None,
                percent_of(row["met"], row["met"] + row["late"]),
                row["met"] + row["late"],
            )
            for row in rows
        ]
    if metric == AlertMetric.C_VISITS_BUILDING:
        visits = (
            ReturnVisit.objects.filter(
                project__branch__company_id=rule.company_id,
                status=VisitStatus.GRADED,
                grade=Grade.C,
                visited_on__gte=window.start,
                visited_on__lt=window.end,
            )
            .annotate(building_key=Coalesce("item__building_id", "item__unit__building_id"))
            .filter(building_key__isnull=False)
            .order_by()
            .values("project_id", "building_key")
            .annotate(n=Count("id"))
        )
        return [
            Reading(
                f"building:{row['building_key']}",
                row["project_id"],
                row["building_key"],
                Decimal(row["n"]),
                row["n"],
            )
            for row in visits
        ]
    if metric == AlertMetric.OVERDUE_ITEMS:
        items = _items(rule).filter(overdue_now(now))
    elif metric == AlertMetric.MAJOR_INCIDENTS:
        items = (
            _items(rule)
            .filter(is_major=True, registered_at__gte=start, registered_at__lt=end)
            .exclude(status=Status.CANCELLED)
        )
    else:  # a metric this module does not know (a newer choice): nothing to read
        logger.warning("alert rule %s watches an unknown figure %r", rule.pk, metric)
        return []
    counts = items.order_by().values("project_id").annotate(n=Count("id"))
    return [
        Reading(f"project:{row['project_id']}", row["project_id"], None, Decimal(row["n"]), row["n"])
        for row in counts
    ]


def is_breach(rule: AlertRule, reading: Reading) -> bool:
    if reading.value is None or reading.counted < rule.minimum_count:
        return False
    if rule.comparison == AlertComparison.BELOW:
        return reading.value < rule.threshold
    return reading.value >= rule.threshold


# --- the daily check ----------------------------------------------------------------------------------------


def alerts_check(*, now: datetime | None = None) -> list[AlertBreach]:
    """Check every active rule at `now`, record each new breach once and send every breach not sent yet.
    The breaches found by this run (none that an earlier run or another worker recorded)."""
    now = now or timezone.now()
    found: list[AlertBreach] = []
    for rule in AlertRule.objects.filter(is_active=True).order_by("company_id", "id"):
        window = window_of(rule.window, now=now)
        readings = [
            reading for reading in _readings(rule, window=window, now=now) if is_breach(rule, reading)
        ]
        if not readings:
            continue
        known = set(
            AlertBreach.objects.filter(rule=rule, window_start=window.start).values_list(
                "unit_key", flat=True
            )
        )
        for reading in readings:
            if reading.unit_key in known:
                continue
            try:
                with transaction.atomic():
                    assert reading.value is not None  # noqa: S101 - is_breach() holds no undefined rate
                    found.append(
                        AlertBreach.objects.create(
                            rule=rule,
                            unit_key=reading.unit_key,
                            project_id=reading.project_id,
                            building_id=reading.building_id,
                            window_start=window.start,
                            value=reading.value,
                            counted=reading.counted,
                            found_at=now,
                        )
                    )
            except IntegrityError:  # recorded by another worker meanwhile
                continue
    transaction.on_commit(lambda: alert_breaches_send(now=now))
    return found


def _recipients(projects: list[Project]) -> dict[int, list[Any]]:
    """project id → its project managers and the branch managers of its branch (active), in one query."""
    project_ids = sorted({p.pk for p in projects})
    branch_ids = sorted({p.branch_id for p in projects})
    rows = (
        Membership.objects.filter(is_active=True, user__is_active=True)
        .filter(
            Q(role=Role.PROJECT_MANAGER, level=ScopeLevel.PROJECT, project_id__in=project_ids)
            | Q(role=Role.BRANCH_MANAGER, level=ScopeLevel.BRANCH, branch_id__in=branch_ids)
        )
        .select_related("user")
        .order_by("user_id")
    )
    by_project: dict[int, list[Any]] = defaultdict(list)
    by_branch: dict[int, list[Any]] = defaultdict(list)
    for membership in rows:
        if membership.role == Role.PROJECT_MANAGER and membership.project_id is not None:
            by_project[membership.project_id].append(membership.user)
        elif membership.branch_id is not None:
            by_branch[membership.branch_id].append(membership.user)
    return {p.pk: [*by_project.get(p.pk, []), *by_branch.get(p.branch_id, [])] for p in projects}


def alert_breaches_send(*, now: datetime | None = None) -> int:
    """Send every breach not sent yet, each claimed by a conditional UPDATE of `sent_at` in the transaction
    that notifies: a breach claimed by another worker is skipped. The number sent."""
    now = now or timezone.now()
    breaches = list(
        AlertBreach.objects.filter(sent_at__isnull=True)
        .select_related("rule", "project__branch", "building")
        .order_by("found_at", "id")
    )
    if not breaches:
        return 0
    people = _recipients([breach.project for breach in breaches])
    sent = 0
    for breach in breaches:
        with transaction.atomic():
            if not AlertBreach.objects.filter(pk=breach.pk, sent_at__isnull=True).update(sent_at=now):
                continue
            notify(
                users=people.get(breach.project_id, []),
                title=breach_title(breach),
                body=breach_body(breach),
                url=reverse("analytics:alert_list"),
                group_key=f"analytics-alert-{breach.pk}",
            )
        sent += 1
    return sent


# --- words --------------------------------------------------------------------------------------------------


def unit_label(breach: AlertBreach) -> str:
    project = breach.project
    if breach.building is not None:
        return f"{project.code} {project.name} · {breach.building.name}"
    return f"{project.code} {project.name}"


def value_text(breach: AlertBreach) -> str:
    if breach.rule.metric in PERCENT_METRICS:
        return f"{breach.value:.2f}%"
    return str(int(breach.value))


def window_text(breach: AlertBreach) -> str:
    window = window_of(breach.rule.window, now=_noon(breach.window_start))
    return window.label


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), timezone.get_default_timezone())


def breach_title(breach: AlertBreach) -> str:
    return _("Alert: %(rule)s — %(unit)s: %(value)s") % {
        "rule": breach.rule.name,
        "unit": unit_label(breach),
        "value": value_text(breach),
    }


def breach_body(breach: AlertBreach) -> str:
    rule = breach.rule
    return _(
        "%(figure)s is %(value)s (%(counted)d counted), %(window)s; the rule: %(comparison)s %(threshold)s."
    ) % {
        "figure": rule.get_metric_display(),
        "value": value_text(breach),
        "counted": breach.counted,
        "window": window_text(breach),
        "comparison": rule.get_comparison_display(),
        "threshold": rule.threshold.normalize()
        if rule.threshold == rule.threshold.to_integral()
        else rule.threshold,
    }


def breach_window(breach: AlertBreach) -> Period:
    return window_of(breach.rule.window, now=_noon(breach.window_start))


# --- the rules ----------------------------------------------------------------------------------------------

RULE_FIELDS = ("name", "metric", "comparison", "threshold", "window", "minimum_count", "is_active")


def alert_rules_seed(*, company: Company) -> list[AlertRule]:
    """The default rules (DEFAULT_RULES) the company has none of yet, by figure and window; the rules made.
    Safe to run again: a company that edited or deactivated a default keeps it as it is."""
    have = set(AlertRule.objects.filter(company=company).values_list("metric", "window"))
    made = []
    for default in DEFAULT_RULES:
        if (default["metric"], default["window"]) in have:
            continue
        made.append(AlertRule.objects.create(company=company, **{**default, "name": str(default["name"])}))
    return made


def _validate(data: dict[str, Any]) -> None:
    fields: dict[str, list[Any]] = {}
    threshold = data.get("threshold")
    if threshold is not None and threshold < 0:
        fields["threshold"] = [_("The threshold cannot be negative.")]
    elif threshold is not None and data.get("metric") in PERCENT_METRICS and threshold > 100:  # noqa: PLR2004
        fields["threshold"] = [_("A rate's threshold is a percentage from 0 to 100.")]
    if fields:
        raise DomainError("analytics.alert_rule_invalid", _("Check the rule's threshold."), fields=fields)


def alert_rule_create(*, actor: Any, company: Company, data: dict[str, Any]) -> AlertRule:
    values = {name: data[name] for name in RULE_FIELDS if name in data}
    _validate(values)
    with transaction.atomic():
        rule = AlertRule.objects.create(company=company, **values)
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=rule, after=_snapshot(rule))
    return rule


def alert_rule_update(*, actor: Any, rule: AlertRule, data: dict[str, Any]) -> AlertRule:
    before = _snapshot(rule)
    merged = {**before, **{name: data[name] for name in RULE_FIELDS if name in data}}
    _validate({**merged, "threshold": Decimal(str(merged["threshold"]))})
    with transaction.atomic():
        for name in RULE_FIELDS:
            if name in data:
                setattr(rule, name, data[name])
        rule.save(update_fields=[name for name in RULE_FIELDS if name in data] or None)
        after = _snapshot(rule)
        changed = {key for key in after if after[key] != before[key]}
        if changed:
            audit_record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=rule,
                before={key: before[key] for key in changed},
                after={key: after[key] for key in changed},
            )
    return rule


def _snapshot(rule: AlertRule) -> dict[str, Any]:
    return {
        name: str(getattr(rule, name)) if name == "threshold" else getattr(rule, name) for name in RULE_FIELDS
    }


def alert_rule_get_for_user(*, user: Any, pk: int) -> AlertRule:
    """A rule of the user's company; 404 whether missing or out of reach."""
    return get_for_user_or_404(AlertRule.objects.all(), user=user, pk=pk)


def alert_breach_list(*, user: Any) -> QuerySet[AlertBreach]:
    """The breaches the user may see (their projects'), newest first."""
    return (
        AlertBreach.objects.visible_to(user)
        .select_related("rule", "project__branch", "building")
        .order_by("-found_at", "-id")
    )
