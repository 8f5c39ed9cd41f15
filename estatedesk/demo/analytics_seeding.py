"""Demo dashboards, monthly packs and alerts (issue 15), made through the analytics services once the rest
of the demo is seeded (the packs freeze the figures of the feedback, visits, nonconformities, surveys and
reports seeded before them):

- the return visits due last month (the monthly list of the month before it, made on last month's 1st at
  08:00 as the job makes it, and worked through the visits services: most graded, mostly A and B, a few
  C), so that last month's dashboard and packs have visit figures (the visits demo, visit_seeding.py,
  makes last month's list, due this month);
- the company's pack rules (made on the 1st at 08:00, 50 rows a list), the default alert rules and one HQ
  added (a project with three or more items open past a deadline), which the demo's overdue items breach;
- last month's packs, as the scheduled run on the 1st makes them: the company's and each branch
  company's (trigger "schedule"), each with its PDF and workbook, and a delivery per recipient (the
  general manager and leader for the company, the branch manager for a branch; emailed once the seed
  commits, like any pack);
- the company's pack made again by HQ (`hq`) after a late correction: version 2 with the note of what
  changed, so the archive shows a regenerated version;
- one alerts check now, so the alert list has entries (HQ's rule: the projects with three or more items
  open past a deadline).

Idempotent: the packs are made only when the company has none of last month yet, the rules only when
missing; the alerts check records each breach once (its unique constraint).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.analytics import alerts, packs
from estatedesk.analytics.choices import AlertComparison, AlertMetric, AlertWindow, PackTrigger
from estatedesk.analytics.models import AlertBreach, AlertRule, MonthlyPack
from estatedesk.analytics.periods import add_months, last_closed_month
from estatedesk.analytics.scopes import branch_scope, company_scope
from estatedesk.demo import visit_seeding
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.workflow import customer_told
from estatedesk.org.models import Branch, Company, Project
from estatedesk.visits import monthly, services
from estatedesk.visits.choices import Grade, Purpose, VisitChannel
from estatedesk.visits.models import ReturnVisit

REGENERATION_NOTE = "济南分公司补录了上月两条投诉的回访结果，重新生成月报。"
HQ_RULE = {
    "name": "项目超时未办结工单达到3件",
    "metric": AlertMetric.OVERDUE_ITEMS,
    "comparison": AlertComparison.AT_LEAST,
    "threshold": Decimal(3),
    "window": AlertWindow.WEEK,
    "minimum_count": 1,
    "is_active": True,
}


def seed_analytics(*, company: Company, now: datetime | None = None) -> dict[str, int]:
    """The demo's analytics (see the module's docstring); what was made this time."""
    now = now or timezone.now()
    visits_made = _last_months_visits(company=company, now=now)
    packs.pack_rules_for(company=company)
    made = {"alert_rules": len(alerts.alert_rules_seed(company=company)), "packs": 0, "alerts": 0}
    hq: Any = get_user_model().objects.filter(username="hq").first()
    if hq is not None and not AlertRule.objects.filter(company=company, metric=HQ_RULE["metric"]).exists():
        alerts.alert_rule_create(actor=hq, company=company, data=HQ_RULE)
        made["alert_rules"] += 1
    month = last_closed_month(now).start
    if not MonthlyPack.objects.filter(company=company, month=month).exists():
        scopes = [company_scope(company)] + [
            branch_scope(branch) for branch in Branch.objects.filter(company=company).order_by("code")
        ]
        for scope in scopes:
            packs.pack_generate(scope=scope, month=month, trigger=PackTrigger.SCHEDULE, now=now)
            made["packs"] += 1
        if hq is not None:
            packs.pack_regenerate(scope=scopes[0], month=month, actor=hq, note=REGENERATION_NOTE, now=now)
            made["packs"] += 1
    before = AlertBreach.objects.filter(rule__company=company).count()
    alerts.alerts_check(now=now)
    made["alerts"] = AlertBreach.objects.filter(rule__company=company).count() - before
    made["visits"] = visits_made
    return made


def _last_months_visits(*, company: Company, now: datetime) -> int:
    """The monthly lists of the month before last (due last month), made and worked; the visits made."""
    last = last_closed_month(now).start
    listed = add_months(last, -1)
    projects = list(
        Project.objects.filter(code__in=visit_seeding.PROJECT_CODES, branch__company=company).select_related(
            "branch", "service_calendar", "hotline_calendar"
        )
    )
    if ReturnVisit.objects.filter(project__in=projects, purpose=Purpose.MONTHLY, month=listed).exists():
        return 0
    made_at = datetime.combine(last, time(8, 0), tzinfo=timezone.get_current_timezone())
    rng = random.Random("analytics-demo-visits")  # noqa: S311 - demo data
    count = 0
    for project in projects:
        visits = monthly.monthly_list_make(project=project, month=listed, now=made_at)
        count += len(visits)
        for visit in ReturnVisit.objects.filter(pk__in=[v.pk for v in visits]).select_related("visitor"):
            items = FeedbackItem.objects.filter(pk__in=visit.covered_items.values("pk"))
            if visit.visitor is None or not all(customer_told(item) for item in items) or rng.random() < 0.08:
                continue  # not reached before the deadline (no visitor who did not handle the items, …)
            roll = rng.random()
            grade = Grade.A if roll < 0.78 else Grade.B if roll < 0.95 else Grade.C
            services.return_visit_grade(
                actor=visit.visitor,
                visit=visit,
                result=services.VisitResult(
                    grade=grade,
                    customer_said=rng.choice(visit_seeding.SAID[grade]),
                    handling_result="",
                    channel=VisitChannel.PHONE,
                    visited_on=(visit.due_at or made_at).date() - timedelta(days=rng.randrange(4)),
                ),
            )
    return count
