"""Demo return visits (issue 12): last month's list made for the demo projects, as the job does on the 1st
at 08:00, then worked as the demo accounts would have: some visits graded A, B and C (a C arranges its
separate visit, R-RV-3, and tells feedback's hook), some attempts that reached nobody, the rest still due,
one of them late and escalated; the QA visits of paid services (R-RV-2).

Everything goes through the visits services. The one demo-only rewrite: a visit's deadline is moved back
so that one visit is late (the services stamp the current time).

Idempotent: nothing is done when last month's list of the demo projects exists already. Deterministic
apart from "now". Call after `seed_feedback()` (the list is made of its items):

    seed_visits(company=company, now=timezone.now())
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.workflow import customer_told
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Company, Department, Membership, Project
from estatedesk.visits import escalation, monthly, services
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.policies import visit_rules_seed

PROJECT_CODES = ("QD-HJ", "QD-LX", "JN-QC")
# a CS agent of 海景花园 who makes return visits and acted on none of the items (the demo's other agent
# registered and told most of them, so may not visit their customers)
VISITOR = ("visitor_a", "秦回访专员")
GRADES = [Grade.A] * 6 + [Grade.B] * 2  # then two C's, so that the list shows every grade
SAID = {
    Grade.A: ["处理很及时，非常满意。", "师傅态度好，问题解决了。", "满意，谢谢回访。"],
    Grade.B: ["问题解决了，就是等得有点久。", "基本满意，希望以后更快。"],
    Grade.C: ["修过之后还是漏水，很不满意。", "上门很慢，沟通也不好。"],
}
ATTEMPTS = [AttemptOutcome.NO_ANSWER, AttemptOutcome.NO_ANSWER, AttemptOutcome.WRONG_NUMBER]


def _visitor(company: Company, project: Project) -> Any:
    """The demo's return visitor of 海景花园 (the lead may also list it among the demo accounts)."""
    user, created = get_user_model().objects.get_or_create(
        username=VISITOR[0], defaults={"display_name": VISITOR[1]}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        user=user,
        role=Role.CS_AGENT,
        level=ScopeLevel.PROJECT,
        company=company,
        branch=None,
        project=project,
        defaults={
            "department": Department.objects.filter(
                project=project, kind=DepartmentKind.CUSTOMER_SERVICE
            ).first()
        },
    )
    return user


def _list_made_at(now: datetime) -> datetime:
    """This month's 1st at 08:00, when the job made last month's list (or now, on the 1st before 08:00)."""
    local = timezone.localtime(now)
    made = datetime.combine(local.date().replace(day=1), time(8, 0), tzinfo=local.tzinfo)
    return min(made, now)


def _work(rng: random.Random, visits: list[ReturnVisit], now: datetime) -> dict[str, int]:
    """Grade some visits, record attempts on others, and leave the rest due."""
    counts = {"graded": 0, "c": 0, "attempts": 0}
    grades = [*GRADES, Grade.C, Grade.C]
    for visit in visits:
        if visit.visitor is None:
            continue
        items = FeedbackItem.objects.filter(pk__in=visit.covered_items.values("pk"))
        if grades and all(customer_told(item) for item in items) and rng.random() < 0.6:
            grade = grades.pop(0)
            services.return_visit_grade(
                actor=visit.visitor,
                visit=visit,
                result=services.VisitResult(
                    grade=grade,
                    customer_said=rng.choice(SAID[grade]),
                    handling_result="",
                    channel=rng.choice([VisitChannel.PHONE, VisitChannel.PHONE, VisitChannel.ON_SITE]),
                    visited_on=timezone.localdate(now),
                ),
            )
            counts["graded"] += 1
            counts["c"] += grade == Grade.C
        elif counts["attempts"] < len(ATTEMPTS):
            services.return_visit_record_attempt(
                actor=visit.visitor, visit=visit, outcome=ATTEMPTS[counts["attempts"]], note="未接通"
            )
            counts["attempts"] += 1
    return counts


def _one_late(visits: list[ReturnVisit], now: datetime) -> int:
    """One still-due visit's deadline moved back a working day (demo-only), then the sweep escalates it."""
    due = [v for v in visits if v.status == VisitStatus.DUE and v.visitor_id]
    if not due:
        return 0
    late = due[-1]
    at = now - timedelta(days=1)
    ReturnVisit.objects.filter(pk=late.pk).update(due_at=at, escalation_due_at=at)
    return escalation.visit_sweep(now=now)


def seed_visits(*, company: Company, now: datetime) -> dict[str, int]:
    projects = list(
        Project.objects.filter(code__in=PROJECT_CODES, branch__company=company).select_related(
            "branch", "service_calendar", "hotline_calendar"
        )
    )
    month = monthly.previous_month(now)
    if (
        not projects
        or ReturnVisit.objects.filter(project__in=projects, purpose=Purpose.MONTHLY, month=month).exists()
    ):
        return {"visits": 0, "graded": 0, "escalations": 0}
    visit_rules_seed(company=company)
    team = next((p for p in projects if p.code == "QD-HJ"), None)
    if team is not None:
        _visitor(company, team)
    rng = random.Random("visits-demo")  # noqa: S311 - demo data, not security
    made_at = _list_made_at(now)
    totals = {"visits": 0, "graded": 0, "c": 0, "attempts": 0, "escalations": 0}
    for project in projects:
        visits = monthly.monthly_list_make(project=project, month=month, now=made_at)
        totals["visits"] += len(visits)
        visits = list(
            ReturnVisit.objects.filter(pk__in=[v.pk for v in visits]).select_related(
                "visitor", "project__branch"
            )
        )
        if project.code == "QD-HJ":
            for key, value in _work(rng, visits, now).items():
                totals[key] += value
            totals["escalations"] += _one_late(
                list(ReturnVisit.objects.filter(pk__in=[v.pk for v in visits]).order_by("pk")), now
            )
    totals["paid_service"] = services.paid_service_visits_sweep(now=now)
    return totals
