"""The data analytics.py adds for issue 17's scenarios, beside run.py's items (each part once, idempotent):

- the return-visit list of the month: the monthly list of every active project made by the visits service
  (`monthly_list_make`, as the job does on the 1st at 08:00), so that `/visits/?month=…` lists it;
- survey campaigns: per project a campaign of the month with `forms` returned forms (a few more handed
  out, 8 areas of buildings and 3 common areas, every item of the seeded questionnaire answered) and a
  smaller closed campaign of the month before (the analysis compares with it); campaigns made and opened by
  the surveys services, the forms and answers bulk-inserted; the campaigns' titles start with SURVEY_MARK;
- reports to HQ: a year of monthly reports of every project (a bench information type of project scope,
  BENCH_TYPE) and of each branch's own two monthly reports, submitted on time or late or not at all,
  complete or not, accepted with a level of the rubric; bulk-inserted, references starting with REPORT_MARK.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

SURVEY_MARK = "基准调查"
REPORT_MARK = "BENCH-RP-"
BENCH_TYPE = "bench_project_monthly"
REPORT_MONTHS = 12


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    from django.utils import timezone

    return datetime.combine(day, clock(hour, minute), timezone.get_default_timezone())


# --- the return-visit list of the month ---------------------------------------------------------------------


def monthly_visits(*, month: date, log: Callable[[str], None]) -> dict[str, Any]:
    """Every active project's monthly list of `month`, made on the next 1st at 08:00; projects that have
    their list already are skipped (the service is idempotent too, but asking it costs a month's items)."""
    from estatedesk.org.models import Project
    from estatedesk.visits import services
    from estatedesk.visits.choices import Purpose
    from estatedesk.visits.models import ReturnVisit

    listed = ReturnVisit.objects.filter(purpose=Purpose.MONTHLY, month=month)
    done = set(listed.values_list("project_id", flat=True).distinct())
    projects = [
        p
        for p in Project.objects.filter(is_active=True)
        .select_related("branch", "service_calendar", "hotline_calendar")
        .order_by("code")
        if p.pk not in done
    ]
    if not projects:
        return {"reused": True, "visits": listed.count(), "projects": len(done)}
    started = time.perf_counter()
    now = _local(_add_months(month, 1), 8)
    made = 0
    for project in projects:
        made += len(services.monthly_list_make(project=project, month=month, now=now))
    seconds = round(time.perf_counter() - started, 1)
    log(f"made the monthly return-visit lists of {month:%Y-%m}: {made:,} visits, {len(projects)} projects")
    return {"visits": listed.count(), "made": made, "projects": len(projects) + len(done), "seconds": seconds}


# --- survey campaigns ---------------------------------------------------------------------------------------

# answers per item: (very satisfied, satisfied, fairly satisfied, unsatisfied, unrated) weights; the items'
# unsatisfied shares differ so that the Pareto rows have a head and a tail
RATING_WEIGHTS = [
    (40, 35, 12, 5, 8),
    (30, 35, 15, 14, 6),
    (38, 38, 10, 6, 8),
    (25, 35, 15, 20, 5),
    (42, 36, 10, 4, 8),
    (35, 35, 12, 9, 9),
    (36, 36, 12, 8, 8),
    (33, 37, 13, 10, 7),
]
RATINGS = [1, 2, 3, 4, 0]  # surveys.choices.Rating: very satisfied … unsatisfied, 0 = unrated (未表态)


def _campaign_actor(project: Any) -> Any:
    """Someone who may run the project's surveys (`surveys.run`): its CS supervisor or manager, else a QA
    manager of its branch; a project with nobody (a demo project without staff) gets a bench CS supervisor
    (`bench-sup-<code>`, who cannot sign in)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from estatedesk.org.models import Membership
    from estatedesk.org.permissions import can

    candidates = (
        Membership.objects.filter(Q(project=project) | Q(branch=project.branch, project__isnull=True))
        .filter(is_active=True, role__in=["cs_supervisor", "project_manager", "qa_manager"])
        .select_related("user")
        .order_by("role", "id")  # "cs_supervisor" sorts first
    )
    for membership in candidates:
        if can(membership.user, "surveys.run", project=project):
            return membership.user
    user, created = get_user_model().objects.get_or_create(
        username=f"bench-sup-{project.code.lower()}", defaults={"display_name": f"{project.name}客服主管"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Membership.objects.create(
            user=user,
            role="cs_supervisor",
            level="project",
            company=project.branch.company,
            project=project,
        )
    return user


def _fill(
    *, campaign: Any, returned: int, actor: Any, rng: random.Random, answered_on: date
) -> tuple[int, int]:
    """`returned` forms returned over the campaign's areas (each area's return rate 85-99%, so some are
    below the 90% threshold), every item answered; the forms and answers bulk-inserted."""
    from django.db import connection
    from django.db.models import F

    from estatedesk.surveys.choices import Channel
    from estatedesk.surveys.models import Campaign, CampaignArea, CampaignItem, SurveyAnswer, SurveyForm

    areas = list(CampaignArea.objects.filter(campaign=campaign).order_by("position", "id"))
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("position", "id"))
    per_area = [returned // len(areas) + (1 if n < returned % len(areas) else 0) for n in range(len(areas))]
    handed_at = _local(answered_on, 9)
    forms: list[Any] = []
    serial = campaign.last_serial
    for area, count in zip(areas, per_area, strict=True):
        handed_out = round(count / rng.uniform(0.85, 0.99))
        for n in range(handed_out):
            serial += 1
            back = n < count
            day = answered_on + timedelta(days=rng.randint(0, 20))
            forms.append(
                SurveyForm(
                    campaign=campaign,
                    area=area,
                    serial=serial,
                    token=f"bench{campaign.pk}x{serial}",  # unique; no QR code is scanned in the bench
                    printed_at=handed_at,
                    handed_out_at=handed_at,
                    returned_at=_local(day, 18) if back else None,
                    channel=Channel.PAPER if back else "",
                    answered_on=day if back else None,
                    entered_by=actor if back else None,
                    comment="电梯维修响应慢，希望改进。" if back and rng.random() < 0.05 else "",
                )
            )
    SurveyForm.objects.bulk_create(forms, batch_size=2000)
    Campaign.objects.filter(pk=campaign.pk).update(last_serial=F("last_serial") + len(forms))
    form_ids = list(
        SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=False).values_list("pk", flat=True)
    )
    # a form's answers drawn per item at once, inserted as plain rows: 3.5 million SurveyAnswer objects
    # through bulk_create took ten minutes of Python
    ratings = {
        item.pk: rng.choices(RATINGS, RATING_WEIGHTS[index % len(RATING_WEIGHTS)], k=len(form_ids))
        for index, item in enumerate(items)
    }
    rows = [
        (form_id, item_id, drawn[n])
        for item_id, drawn in ratings.items()
        for n, form_id in enumerate(form_ids)
    ]
    table = connection.ops.quote_name(SurveyAnswer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (form_id, item_id, rating) VALUES (%s, %s, %s)", rows)  # noqa: S608 - our table name
    return len(forms), len(rows)


def surveys(*, month: date, forms: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Per active project: the campaign of `month` (running, `forms` returned forms) and the closed one of
    the month before (a tenth of the forms). A project whose campaign of `month` exists is skipped; each
    project's campaigns are made in one transaction, so a run stopped half-way leaves no half project."""
    from django.db import transaction
    from django.utils import timezone

    from estatedesk.org.models import Company, Project
    from estatedesk.surveys import campaigns, catalogue
    from estatedesk.surveys.choices import CampaignStatus, Frequency, Runner
    from estatedesk.surveys.models import Campaign, Questionnaire, SurveyAnswer, SurveyForm

    marked = Campaign.objects.filter(title__startswith=SURVEY_MARK)
    done = set(marked.filter(period_start=month).values_list("project_id", flat=True))
    projects = [
        p
        for p in Project.objects.filter(is_active=True).select_related("branch").order_by("code")
        if p.pk not in done
    ]
    if not projects:
        return {
            "reused": True,
            "campaigns": marked.count(),
            "forms": SurveyForm.objects.filter(campaign__in=marked).count(),
            "answers": SurveyAnswer.objects.filter(form__campaign__in=marked).count(),
            "forms_per_campaign": forms,
        }
    started = time.perf_counter()
    company = Company.objects.order_by("id").first()
    assert company is not None
    catalogue.catalogue_ensure(company=company)
    questionnaire = Questionnaire.objects.filter(company=company, is_active=True).order_by("id").first()
    assert questionnaire is not None
    rng = random.Random(17)  # noqa: S311 - benchmark data
    before = _add_months(month, -1)
    totals = {"campaigns": 0, "forms": 0, "answers": 0}
    for number, project in enumerate(projects, start=1):
        actor = _campaign_actor(project)
        with transaction.atomic():
            for start, returned, closed in ((before, max(forms // 10, 1), True), (month, forms, False)):
                campaign = campaigns.campaign_create(
                    actor=actor,
                    data=campaigns.CampaignData(
                        project=project,
                        runner=Runner.CUSTOMER_SERVICE,
                        questionnaire=questionnaire,
                        period_start=start,
                        period_end=_add_months(start, 1) - timedelta(days=1),
                        frequency=Frequency.MONTHLY,
                        title=f"{SURVEY_MARK} {start:%Y-%m} {project.code}",
                    ),
                )
                campaign = campaigns.campaign_open(actor=actor, campaign=campaign)
                made_forms, made_answers = _fill(
                    campaign=campaign, returned=returned, actor=actor, rng=rng, answered_on=start
                )
                if closed:  # closed as it would be after its report (closing checks every area's rate)
                    Campaign.objects.filter(pk=campaign.pk).update(
                        status=CampaignStatus.CLOSED, closed_at=timezone.now(), closed_by=actor
                    )
                totals["campaigns"] += 1
                totals["forms"] += made_forms
                totals["answers"] += made_answers
        if number % 50 == 0:
            log(f"  surveys: {number}/{len(projects)} projects, {totals['answers']:,} answers")
    seconds = round(time.perf_counter() - started, 1)
    log(
        f"added {totals['campaigns']} survey campaigns, {totals['forms']:,} forms and "
        f"{totals['answers']:,} answers in {seconds} s"
    )
    return {**totals, "forms_per_campaign": forms, "seconds": seconds}


# --- reports to HQ ------------------------------------------------------------------------------------------


def _bench_type(company: Any) -> Any:
    """A monthly report of each project (the seeded catalogue's monthly reports are the branches')."""
    from estatedesk.reporting.choices import DeadlineRule, InfoClass, ReportingScope
    from estatedesk.reporting.models import InformationType

    itype, _created = InformationType.objects.get_or_create(
        company=company,
        code=BENCH_TYPE,
        defaults={
            "name": "项目月度工作报告（基准）",
            "name_en": "Project monthly report (bench)",
            "info_class": InfoClass.PERIODIC,
            "scope": ReportingScope.PROJECT,
            "scope_note": "bench",
            "deadline_rule": DeadlineRule.MONTHLY_BY_DAY,
            "deadline_day": 10,
            "is_expected": True,
            "position": 900,
        },
    )
    return itype


def reports(*, month: date, log: Callable[[str], None]) -> dict[str, Any]:
    """A year of monthly reports (the 12 months ending with `month`) of every project and of each
    branch's own two monthly reports, with their outcomes; once (all in one transaction)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from estatedesk.org.models import Branch, Company, Membership, Project
    from estatedesk.reporting import catalogue, deadlines
    from estatedesk.reporting.choices import SubmissionStatus
    from estatedesk.reporting.models import InformationType, QualityLevel, ReportSubmission
    from estatedesk.reporting.selectors import rules_for_company

    marked = ReportSubmission.objects.filter(reference__startswith=REPORT_MARK)
    if marked.exists():
        return {"reused": True, "reports": marked.count()}
    started = time.perf_counter()
    company = Company.objects.order_by("id").first()
    assert company is not None
    now = timezone.now()
    rng = random.Random(14)  # noqa: S311 - benchmark data
    with transaction.atomic():
        catalogue.catalogue_ensure(company=company)
        rules = rules_for_company(company.pk)
        project_type = _bench_type(company)
        branch_types = list(
            InformationType.objects.filter(company=company, code__in=["monthly_business", "monthly_finance"])
        )
        levels = list(QualityLevel.objects.filter(company=company).order_by("position", "-score", "id"))
        hq = get_user_model().objects.get(username="hq")
        reporters = dict(
            Membership.objects.filter(role="project_manager", project__isnull=False).values_list(
                "project_id", "user_id"
            )
        )
        units: list[tuple[Any, Branch, Project | None, str, str]] = [
            (project_type, p.branch, p, f"P{p.pk}", p.code)
            for p in Project.objects.filter(is_active=True).select_related("branch").order_by("code")
        ]
        units += [
            (itype, b, None, f"B{b.pk}", b.code)
            for b in Branch.objects.filter(company=company).order_by("code")
            for itype in branch_types
        ]
        rows: list[ReportSubmission] = []
        for offset in range(REPORT_MONTHS - 1, -1, -1):
            period = _add_months(month, -offset)
            for itype, branch, project, key, code in units:
                due = deadlines.due_at(itype, period_start=period, rules=rules)
                row = ReportSubmission(
                    reference=f"{REPORT_MARK}{code}-{period:%Y%m}-{itype.pk}",
                    information_type=itype,
                    branch=branch,
                    project=project,
                    unit_key=key,
                    period_start=period,
                    period_end=_add_months(period, 1) - timedelta(days=1),
                    due_at=due,
                    status=SubmissionStatus.EXPECTED,
                    title=f"{period:%Y-%m} {itype.name}",
                )
                _outcome(
                    row,
                    rng=rng,
                    now=now,
                    levels=levels,
                    hq_id=hq.pk,
                    reporter=reporters.get(project.pk) if project else None,
                )
                rows.append(row)
        ReportSubmission.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    seconds = round(time.perf_counter() - started, 1)
    made = marked.count()
    log(f"added {made:,} reports to HQ ({REPORT_MONTHS} months, {len(units)} units) in {seconds} s")
    return {"reports": made, "units": len(units), "months": REPORT_MONTHS, "seconds": seconds}


def _outcome(
    row: Any, *, rng: random.Random, now: datetime, levels: list[Any], hq_id: int, reporter: int | None
) -> None:
    """What became of a report: not sent (4%), late (8%) or on time; complete 92% of those received;
    reviewed by HQ within days (accepted with a rubric level, a few returned and resubmitted). A report
    whose deadline has not come yet is sent by now with a chance of 60%, and not reviewed yet."""
    from estatedesk.reporting.choices import SubmissionStatus

    due: datetime = row.due_at
    if due > now:
        if rng.random() >= 0.6:
            return
        sent = min(due - timedelta(days=rng.uniform(1, 8)), now - timedelta(hours=1))
    else:
        roll = rng.random()
        if roll < 0.04:
            return
        late = roll < 0.12
        sent = (
            due + timedelta(days=rng.uniform(0.5, 6)) if late else due - timedelta(days=rng.uniform(0.1, 6))
        )
    row.first_submitted_at = row.submitted_at = sent
    row.submitted_by_id = reporter
    row.is_complete = rng.random() < 0.92
    row.status = SubmissionStatus.SUBMITTED
    reviewed = sent + timedelta(days=rng.uniform(0.5, 3))
    if reviewed > now:
        return
    if rng.random() < 0.03:  # returned once, then resubmitted and accepted
        row.resubmissions = 1
        row.submitted_at = reviewed + timedelta(days=1)
        reviewed += timedelta(days=2)
        if reviewed > now:
            row.status = SubmissionStatus.SUBMITTED
            return
    level = rng.choices(levels, [30, 45, 20, 5][: len(levels)] + [1] * max(len(levels) - 4, 0))[0]
    row.status = SubmissionStatus.ACCEPTED
    row.accepted_at = reviewed
    row.accepted_by_id = hq_id
    row.quality_level = level
    row.quality_score = level.score
