"""Dashboards and the monthly pack (issue 15) at N feedback items: the metrics layer for the company, a
branch and a project over a month, a quarter and a year; the dashboard, the drill-down and the figures API
over HTTP; the company's monthly pack (figures, lists, PDF and workbook). Issue 17's scenarios beside
them: the return-visit list of the month, the survey rates of a campaign of 2,000 forms and the reporting
scorecard of 200 projects, each in process (the selector) and over HTTP (the pages, API and exports).

    .venv/bin/python bench/analytics.py --items 1000000 --database sqlite   # after run.py, as `make bench`
    .venv/bin/python bench/analytics.py --items 10000 --rounds 3             # a quick look

The data set is bench/run.py's (bench/generate.py: the demo organisation plus 197 projects, N items over
three years): the SQLite database in build/bench/<database>-<N>/ or PostgreSQL's bench_estatedesk is used
as it is when it holds N items (run.py has just made it), and built with generate.load otherwise. Return
visits are added once (one in ten closed items, graded about 70% A, 22% B, 8% C, due a week after the
item closed) and a nonconformity for one C visit in four, so that every source of the figures has rows.
analytics_data.py adds, once each: the monthly return-visit lists of the month (the visits service, as on
the 1st), per project a survey campaign of the month with `--survey-forms` returned forms and a closed one
of the month before, and a year of monthly reports to HQ of every project and branch (a few minutes the
first time, whatever N: about 3.5 million survey answers).

Timed: `metrics_report` in this process (median of `--rounds`, and its number of queries); the pages and the
API over gunicorn as run.py serves them (DEBUG off), signed in as HQ (`hq`, who sees every project); the
pack made once per round with `pack_generate` (no email); issue 17's selectors in process (a first call
with its queries, then median and p95 of `--rounds`) and their pages over HTTP. Writes
bench/results/analytics/<database>-<N>.json and the section "Dashboards and the monthly pack (issue 15)"
of bench/RESULTS.md, with issue 17's tables at its end.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import analytics_data  # noqa: E402 - the data of issue 17's scenarios (monthly lists, surveys, reports)
import run  # noqa: E402 - the feedback bench's server, client and timing helpers

OUT = BENCH / "results" / "analytics"
SECTION = "Dashboards and the monthly pack (issue 15)"
START_MARK, END_MARK = "<!-- analytics:start -->", "<!-- analytics:end -->"
VISIT_MARK = "bench-visit"
log = run.log


# --- the data set -----------------------------------------------------------------------------------------


def prepare(*, items: int, database: str, workdir: Path, survey_forms: int = 2000) -> dict[str, Any]:
    """run.py's data set of `items` items, reused when it is there; return visits, the monthly lists,
    survey campaigns and reports to HQ added once (analytics_data.py)."""
    from django.core.management import call_command

    from estatedesk.feedback.models import FeedbackItem

    pg = database == "postgres"
    call_command("migrate", verbosity=0)
    have = FeedbackItem.objects.count()
    info: dict[str, Any] = {"items_found": have}
    if have < items * 0.99 or have > items * 1.05:
        log(f"building the data set of {items:,} items (found {have:,})")
        if pg or have:
            call_command("flush", interactive=False, verbosity=0)
        import generate

        info["generate"] = generate.load(items=items, log=log)
    else:
        log(f"reusing the data set in {workdir if not pg else 'bench_estatedesk'}: {have:,} items")
        info["reused"] = True
    info["visits"] = _visits()
    month = _month()
    info["monthly_visits"] = analytics_data.monthly_visits(month=month, log=log)
    info["surveys"] = analytics_data.surveys(month=month, forms=survey_forms, log=log)
    info["reports"] = analytics_data.reports(month=month, log=log)
    return info


def _month() -> date:
    """The month every scenario is about: the last closed month (the dashboards' default)."""
    from django.utils import timezone

    from estatedesk.analytics.periods import last_closed_month

    return last_closed_month(timezone.now()).start


def _visits() -> dict[str, Any]:
    """One return visit per ten closed items (graded A/B/C), a nonconformity per four C visits; once."""
    from django.db import transaction
    from django.db.models import F, IntegerField
    from django.db.models.functions import Mod

    from estatedesk.feedback.models import FeedbackItem
    from estatedesk.quality.choices import Origin, Stage
    from estatedesk.quality.models import Nonconformity
    from estatedesk.visits.choices import Grade, Purpose, VisitChannel, VisitStatus
    from estatedesk.visits.models import ReturnVisit

    if ReturnVisit.objects.filter(customer_name=VISIT_MARK).exists():
        return {
            "reused": True,
            "visits": ReturnVisit.objects.filter(customer_name=VISIT_MARK).count(),
            "nonconformities": Nonconformity.objects.filter(reference__startswith="BENCH-NC-").count(),
        }
    started = time.perf_counter()
    rng = random.Random(15)  # noqa: S311 - benchmark data
    rows = (
        FeedbackItem.objects.filter(status="closed", closed_at__isnull=False)
        .annotate(tenth=Mod(F("id"), 10, output_field=IntegerField()))
        .filter(tenth=0)
        .values_list("id", "project_id", "closed_at")
        .iterator(chunk_size=5000)
    )
    visits, ncs = 0, 0
    batch: list[ReturnVisit] = []
    c_visits: list[tuple[int, int, datetime]] = []

    def flush() -> None:
        nonlocal visits
        with transaction.atomic():
            made = ReturnVisit.objects.bulk_create(batch, batch_size=2000)
        visits += len(made)
        c_visits.extend(
            (v.pk, v.project_id, v.due_at)
            for v in made
            if v.grade == Grade.C and v.pk and rng.random() < 0.25
        )
        batch.clear()

    for item_id, project_id, closed_at in rows:
        roll = rng.random()
        grade = Grade.A if roll < 0.70 else Grade.B if roll < 0.92 else Grade.C
        due = closed_at + timedelta(days=7)
        batch.append(
            ReturnVisit(
                project_id=project_id,
                purpose=Purpose.AD_HOC,
                status=VisitStatus.GRADED,
                grade=grade,
                channel=VisitChannel.PHONE,
                item_id=item_id,
                due_at=due,
                visited_on=due.date(),
                customer_name=VISIT_MARK,
            )
        )
        if len(batch) >= 10000:
            flush()
    if batch:
        flush()
    with transaction.atomic():
        made = Nonconformity.objects.bulk_create(
            [
                Nonconformity(
                    project_id=project_id,
                    reference=f"BENCH-NC-{visit_id}",
                    title="回访不满意",
                    description="bench",
                    origin=Origin.RETURN_VISIT_C,
                    visit_id=visit_id,
                    stage=Stage.CLOSED
                    if due < datetime.now(due.tzinfo) - timedelta(days=30)
                    else Stage.ANALYSIS,
                    raised_at=due,
                    closed_at=due + timedelta(days=12)
                    if due < datetime.now(due.tzinfo) - timedelta(days=30)
                    else None,
                )
                for visit_id, project_id, due in c_visits
            ],
            batch_size=2000,
        )
        ncs = len(made)
    seconds = round(time.perf_counter() - started, 1)
    log(f"added {visits:,} return visits and {ncs:,} nonconformities in {seconds} s")
    return {"visits": visits, "nonconformities": ncs, "seconds": seconds}


# --- timing in this process -------------------------------------------------------------------------------


def _timed(call: Callable[[], Any], rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        call()
        first = (time.perf_counter() - started) * 1000
    samples = [first]
    for _ in range(rounds - 1):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "rounds": len(samples),
        "first_ms": round(first, 1),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "queries": len(queries.captured_queries),
    }


def _timed_warm(call: Callable[[], Any], rounds: int) -> dict[str, Any]:
    """A first call (its time and queries recorded apart: it fills caches), then `rounds` timed calls:
    median and p95 as over HTTP (httpbench.summarize)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from httpbench import summarize

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        call()
        first = (time.perf_counter() - started) * 1000
    samples: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {**summarize(samples), "first_ms": round(first, 1), "queries": len(queries.captured_queries)}


def metrics_scenarios(*, month: date, rounds: int) -> dict[str, Any]:
    from estatedesk.analytics.metrics import metrics_report
    from estatedesk.analytics.periods import Period
    from estatedesk.analytics.scopes import branch_scope, company_scope, project_scope
    from estatedesk.org.models import Branch, Company, Project

    company = Company.objects.order_by("id").first()
    assert company is not None
    scopes = {
        "company": company_scope(company),
        "branch QD": branch_scope(Branch.objects.get(code="QD")),
        "project QD-HJ": project_scope(Project.objects.select_related("branch").get(code="QD-HJ")),
    }
    periods = {
        "month": Period.month(month),
        "quarter": Period.quarter(month.year, (month.month - 1) // 3 + 1),
        "year": Period.year(month.year),
    }
    result: dict[str, Any] = {}
    for scope_name, scope in scopes.items():
        for period_name, period in periods.items():
            log(f"  metrics_report {scope_name} {period_name} {period.text}")
            result[f"{scope_name} / {period_name}"] = _timed(
                lambda s=scope, p=period: metrics_report(scope=s, period=p), rounds
            )
    result["_scope_projects"] = {name: len(scope.project_ids) for name, scope in scopes.items()}
    return result


def pack_scenario(*, month: date, rounds: int) -> dict[str, Any]:
    """The company's pack of the month, made `rounds` times (each a new version, no email): the whole
    pack_generate, and its parts (figures and lists; PDF; workbook) timed apart on the last version."""
    from estatedesk.analytics import packs
    from estatedesk.analytics.choices import PackTrigger
    from estatedesk.analytics.models import MonthlyPack
    from estatedesk.analytics.scopes import company_scope
    from estatedesk.org.models import Company

    company = Company.objects.order_by("id").first()
    assert company is not None
    scope = company_scope(company)
    log(f"  pack_generate company {month:%Y-%m}")
    whole = _timed(
        lambda: packs.pack_generate(
            scope=scope, month=month, trigger=PackTrigger.COMMAND, send_email=False, note="bench"
        ),
        rounds,
    )
    rules = packs.pack_rules_for(company=company)
    content = _timed(
        lambda: packs.pack_content(
            scope=scope, month=month, limit=rules.list_limit, now=datetime.now().astimezone()
        ),
        1,
    )
    from estatedesk.analytics.pack_pdf import pack_pdf
    from estatedesk.analytics.pack_workbook import pack_workbook

    pack = MonthlyPack.objects.filter(scope_key=scope.key, month=month).order_by("-version").first()
    assert pack is not None
    sizes: dict[str, int] = {}

    def pdf() -> None:
        sizes["pdf_bytes"] = len(pack_pdf(pack=pack))

    def workbook() -> None:
        sizes["workbook_bytes"] = len(pack_workbook(pack=pack))

    return {
        "generate": whole,
        "figures_and_lists": content,
        "pdf": _timed(pdf, 1),
        "workbook": _timed(workbook, 1),
        **sizes,
    }


def issue17_scenarios(*, month: date, rounds: int) -> dict[str, Any]:
    """Issue 17's reads in this process, each as its page makes it: the return-visit list of the month
    (the first page of 50 with its capped count), a campaign's survey figures (every rate, the Pareto
    rows, the returns, the comparison) and the reporting scorecard."""
    from django.contrib.auth import get_user_model

    from estatedesk.common.pagination import CappedPaginator
    from estatedesk.reporting.scoring import Period, scorecard
    from estatedesk.surveys.figures import campaign_figures, figures_snapshot
    from estatedesk.visits.selectors import return_visit_list

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["hq", "supervisor_a"])}
    hq, supervisor = users["hq"], users["supervisor_a"]
    campaign = _campaign(month)

    def visit_page(user: Any) -> Callable[[], Any]:
        def call() -> Any:  # as visits.views.visit_list reads it: 50 rows and a capped count
            page = CappedPaginator(return_visit_list(user=user, month=month), 50).get_page(1)
            return len(list(page)), page.paginator.count

        return call

    calls: dict[str, Callable[[], Any]] = {
        "visits month, HQ": visit_page(hq),
        "visits month, project staff": visit_page(supervisor),
        "survey figures": lambda: campaign_figures(campaign),
        "survey figures as JSON (API)": lambda: figures_snapshot(campaign_figures(campaign)),
        "scorecard month, HQ": lambda: scorecard(user=hq, period=Period.month(month)),
        "scorecard month, branch QD": lambda: scorecard(
            user=hq, period=Period.month(month), branch_code="QD"
        ),
        "scorecard year, HQ": lambda: scorecard(user=hq, period=Period.year(month.year)),
    }
    result: dict[str, Any] = {}
    for name, call in calls.items():
        log(f"  {name}")
        result[name] = _timed_warm(call, rounds)
    result["_facts"] = _facts(month, campaign)
    return result


def _facts(month: date, campaign: Any) -> dict[str, Any]:
    """What the scenarios read, for the report's lines (and to see at a glance that they read rows)."""
    from estatedesk.reporting.models import ReportSubmission
    from estatedesk.surveys import rates
    from estatedesk.surveys.figures import campaign_figures
    from estatedesk.surveys.models import Campaign, SurveyAnswer, SurveyForm
    from estatedesk.visits.choices import Purpose
    from estatedesk.visits.models import ReturnVisit

    monthly = ReturnVisit.objects.filter(purpose=Purpose.MONTHLY, month=month)
    figures = campaign_figures(campaign)
    return {
        "visits": ReturnVisit.objects.count(),
        "monthly_visits": monthly.count(),
        "monthly_visits_project": monthly.filter(project_id=campaign.project_id).count(),
        "monthly_projects": monthly.values("project_id").distinct().count(),
        "campaign": campaign.reference,
        "campaign_handed_out": figures.handed_out,
        "campaign_returned": figures.returned,
        "campaign_areas": len(figures.areas),
        "campaign_items": len(figures.items),
        "campaign_satisfaction": rates.percent_text(figures.overall.rate),
        "campaign_return_rate": rates.percent_text(rates.return_rate(figures.returned, figures.handed_out)),
        "campaign_previous": figures.previous.reference if figures.previous else "",
        "campaigns": Campaign.objects.count(),
        "forms": SurveyForm.objects.count(),
        "answers": SurveyAnswer.objects.count(),
        "reports": ReportSubmission.objects.count(),
        "reports_in_month": ReportSubmission.objects.filter(period_start=month).count(),
    }


def _campaign(month: date) -> Any:
    """The bench campaign of the month at 海景花园 (QD-HJ), the one the survey scenarios read."""
    from estatedesk.surveys.models import Campaign

    return Campaign.objects.select_related("project__branch").get(
        title__startswith=analytics_data.SURVEY_MARK, period_start=month, project__code="QD-HJ"
    )


# --- timing over HTTP -------------------------------------------------------------------------------------


def http_scenarios(
    *, env: dict[str, str], month: date, workers: int, rounds: int, budget: float
) -> dict[str, Any]:
    from django.db import connections

    reference = _campaign(month).reference
    connections.close_all()
    port = run.free_port()
    server = run.serve_ours(env=env, port=port, workers=workers)
    base = f"http://127.0.0.1:{port}"
    period = f"{month:%Y-%m}"
    year = f"{month:%Y}"
    results: dict[str, Any] = {}
    try:
        hq = run.our_login(base, "hq")
        pm = run.our_login(base, "pm_a")
        scenarios: dict[str, Callable[[], Any]] = {
            "dashboard company month": lambda: hq.get(f"/analytics/?scope=company&period={period}"),
            "dashboard company year": lambda: hq.get(f"/analytics/?scope=company&period={year}"),
            "dashboard branch month": lambda: hq.get(f"/analytics/?scope=branch:QD&period={period}"),
            "dashboard project month (PM)": lambda: pm.get(
                f"/analytics/?scope=project:QD-HJ&period={period}"
            ),
            "drill-down company month, contact late": lambda: hq.get(
                f"/analytics/items/?scope=company&period={period}&figure=feedback.contact.breached"
            ),
            "drill-down company month, all items": lambda: hq.get(
                f"/analytics/items/?scope=company&period={period}&figure=feedback.total"
            ),
            "dashboard workbook company month": lambda: hq.get(
                f"/analytics/workbook/?scope=company&period={period}"
            ),
            "API figures company month": lambda: hq.get(
                f"/api/analytics/metrics/?scope=company&period={period}"
            ),
        }
        scenarios |= issue17_requests(base, hq=hq, pm=pm, period=period, year=year, reference=reference)
        for name, call in scenarios.items():
            log(f"  HTTP {name}")
            results[name] = run.guarded(lambda c=call: run.timed_rounds(c, rounds=rounds, budget=budget))
        results["rss"] = run.rss_of_children(server.pid)
    finally:
        run.stop(server)
    return results


ISSUE17_HTTP = {  # the requests of issue 17's scenarios, in the order RESULTS.md lists them
    "visits": [
        "visit list of the month, HQ (every project)",
        "visit list of the month, HQ, one project",
        "visit list of the month, project CS supervisor",
        "visit list, a visitor's own due visits",
        "API visits of the month, HQ",
        "monthly list workbook, one project",
    ],
    "surveys": [
        "survey analysis page, HQ",
        "survey analysis page, project CS supervisor",
        "survey figures API",
        "survey analysis workbook",
        "survey campaign list, HQ",
    ],
    "reporting": [
        "scorecard month, HQ (branches)",
        "scorecard month, branch QD (its projects ranked)",
        "scorecard year, HQ",
        "scorecard month, project manager",
        "scorecard API month, branch QD",
        "scorecard workbook month, branch QD",
        "scorecard PDF month, branch QD",
    ],
}


def issue17_requests(
    base: str, *, hq: Any, pm: Any, period: str, year: str, reference: str
) -> dict[str, Callable[[], Any]]:
    """The pages and API of issue 17's scenarios: HQ sees every project; 海景花园's (QD-HJ) CS supervisor,
    CS agent and project manager see their project."""
    supervisor = run.our_login(base, "supervisor_a")
    agent = run.our_login(base, "agent_a")
    month = f"month={period}"
    calls: list[Callable[[], Any]] = [
        lambda: hq.get(f"/visits/?{month}"),
        lambda: hq.get(f"/visits/?{month}&project=QD-HJ"),
        lambda: supervisor.get(f"/visits/?{month}"),
        lambda: agent.get("/visits/"),  # a visitor opens the bare list on their own due visits
        lambda: hq.get(f"/api/visits/?{month}"),
        lambda: supervisor.get(f"/visits/monthly/export/?project=QD-HJ&{month}"),
        lambda: hq.get(f"/surveys/{reference}/analysis/"),
        lambda: supervisor.get(f"/surveys/{reference}/analysis/"),
        lambda: hq.get(f"/api/surveys/campaigns/{reference}/figures/"),
        lambda: hq.get(f"/surveys/{reference}/analysis.xlsx"),
        lambda: hq.get("/surveys/"),
        lambda: hq.get(f"/reporting/scores/?{month}"),
        lambda: hq.get(f"/reporting/scores/?{month}&branch=QD"),
        lambda: hq.get(f"/reporting/scores/?year={year}"),
        lambda: pm.get(f"/reporting/scores/?{month}"),
        lambda: hq.get(f"/api/reporting/scorecard/?{month}&branch=QD"),
        lambda: hq.get(f"/reporting/scores/xlsx/?{month}&branch=QD"),
        lambda: hq.get(f"/reporting/scores/pdf/?{month}&branch=QD"),
    ]
    names = [name for group in ISSUE17_HTTP.values() for name in group]
    return dict(zip(names, calls, strict=True))


# --- the report -------------------------------------------------------------------------------------------


def _ms(row: dict[str, Any] | None) -> str:
    if not row:
        return "—"
    if "error" in row:
        return "error: " + row["error"][:80]
    if "p95_ms" in row:
        return f"{row['median_ms']:,.0f} / {row['p95_ms']:,.0f}"
    return f"{row['median_ms']:,.0f}"


def section(data: dict[str, Any]) -> list[str]:
    items, database = data["items"], data["database"]
    prepare_info = data["prepare"]
    metrics = data["metrics"]
    lines = [
        f"## {SECTION}",
        "",
        f"{items:,} feedback items on {database} ({data['date'][:10]}, {data['machine']['cores']} cores), "
        f"the month {data['month']}; {prepare_info.get('visits', {}).get('visits', 0):,} return visits and "
        f"{prepare_info.get('visits', {}).get('nonconformities', 0):,} nonconformities beside them"
        + _issue17_data(prepare_info)
        + f". Reproduce: `{data['command']}`.",
        "",
        "The metrics layer (`metrics_report`: the period, the period before and a year earlier), in process; "
        "milliseconds, median of the rounds (first call in brackets) and the queries of one call:",
        "",
        "| scope | month | quarter | year | queries (month) |",
        "|---|---:|---:|---:|---:|",
    ]
    for scope in ("company", "branch QD", "project QD-HJ"):
        cells = []
        for period in ("month", "quarter", "year"):
            row = metrics.get(f"{scope} / {period}")
            cells.append(f"{row['median_ms']:,.0f} ({row['first_ms']:,.0f})" if row else "—")
        queries = metrics.get(f"{scope} / month", {}).get("queries", "—")
        projects = metrics.get("_scope_projects", {}).get(scope, "")
        lines.append(f"| {scope} ({projects} projects) | " + " | ".join(cells) + f" | {queries} |")
    lines += [
        "",
        "Over HTTP (gunicorn, DEBUG off, signed in as HQ; the project's dashboard as its manager); "
        "milliseconds, median / p95:",
        "",
        "| request | ms |",
        "|---|---:|",
    ]
    issue17_names = {name for group in ISSUE17_HTTP.values() for name in group}
    for name, row in data["http"].items():
        if name != "rss" and name not in issue17_names:
            lines.append(f"| {name} | {_ms(row)} |")
    pack = data["pack"]
    lines += [
        "",
        f"The company's monthly pack of {data['month']} (`pack_generate`, no email): "
        f"{_ms(pack['generate'])} ms a pack (median of {pack['generate']['rounds']}); of which the figures "
        f"and lists {_ms(pack['figures_and_lists'])} ms, the PDF {_ms(pack['pdf'])} ms "
        f"({pack.get('pdf_bytes', 0) / 1024:,.0f} KB), the workbook {_ms(pack['workbook'])} ms "
        f"({pack.get('workbook_bytes', 0) / 1024:,.0f} KB).",
        "",
    ]
    if "issue17" in data:
        lines += issue17_section(data)
    return lines


# what each of issue 17's scenarios measures: (name, in process or over HTTP, the line RESULTS.md shows)
ISSUE17_ROWS: dict[str, list[tuple[str, str, str]]] = {
    "visits": [
        (
            "visits month, HQ",
            "process",
            "`return_visit_list(month=…)` as HQ, the first page of 50 and its capped count",
        ),
        ("visits month, project staff", "process", "the same for 海景花园's CS supervisor (one project)"),
        ("visit list of the month, HQ (every project)", "http", "`/visits/?month=…`: every project's list"),
        ("visit list of the month, HQ, one project", "http", "`/visits/?month=…&project=QD-HJ`"),
        (
            "visit list of the month, project CS supervisor",
            "http",
            "`/visits/?month=…` in one project's scope",
        ),
        ("visit list, a visitor's own due visits", "http", "`/visits/` as a CS agent: the default list"),
        ("API visits of the month, HQ", "http", "`/api/visits/?month=…`, first page"),
        ("monthly list workbook, one project", "http", "`/visits/monthly/export/`: the list as Excel"),
    ],
    "surveys": [
        ("survey figures", "process", "`campaign_figures`: every rate, the returns, Pareto, the comparison"),
        (
            "survey figures as JSON (API)",
            "process",
            "`figures_snapshot(campaign_figures(…))`, what the API answers",
        ),
        ("survey analysis page, HQ", "http", "`/surveys/<ref>/analysis/`: the table, returns, Pareto chart"),
        ("survey analysis page, project CS supervisor", "http", "the same page in one project's scope"),
        ("survey figures API", "http", "`/api/surveys/campaigns/<ref>/figures/`"),
        ("survey analysis workbook", "http", "`/surveys/<ref>/analysis.xlsx`"),
        ("survey campaign list, HQ", "http", "`/surveys/`: the campaigns of every project"),
    ],
    "reporting": [
        ("scorecard month, HQ", "process", "`scoring.scorecard` of the month as HQ: branches ranked, trend"),
        ("scorecard month, branch QD", "process", "the same with branch QD's units ranked"),
        ("scorecard year, HQ", "process", "`scoring.scorecard` of the year as HQ"),
        ("scorecard month, HQ (branches)", "http", "`/reporting/scores/?month=…`"),
        (
            "scorecard month, branch QD (its projects ranked)",
            "http",
            "`/reporting/scores/?month=…&branch=QD`",
        ),
        ("scorecard year, HQ", "http", "`/reporting/scores/?year=…`"),
        ("scorecard month, project manager", "http", "the page as 海景花园's manager (one project)"),
        ("scorecard API month, branch QD", "http", "`/api/reporting/scorecard/?month=…&branch=QD`"),
        ("scorecard workbook month, branch QD", "http", "`/reporting/scores/xlsx/`"),
        ("scorecard PDF month, branch QD", "http", "`/reporting/scores/pdf/`"),
    ],
}
ISSUE17_TITLES = {
    "visits": "The return-visit list of the month",
    "surveys": "Survey rates of a campaign",
    "reporting": "The reporting scorecard",
}


def issue17_section(data: dict[str, Any]) -> list[str]:
    """Issue 17's scenarios: one table per area, each row with what it measures; in process the median
    and p95 of the rounds after a first call (in brackets) and that call's queries, over HTTP median/p95."""
    facts = data["issue17"].get("_facts", {})
    about = {
        "visits": (
            f"{facts.get('monthly_visits', 0):,} visits on the monthly lists of {data['month']} "
            f"({facts.get('monthly_projects', 0)} projects, {facts.get('monthly_visits_project', 0):,} at "
            f"QD-HJ; made by the visits service as on the 1st), "
            f"{facts.get('visits', 0):,} return visits in all"
        ),
        "surveys": (
            f"campaign {facts.get('campaign', '?')}: {facts.get('campaign_returned', 0):,} forms returned of "
            f"{facts.get('campaign_handed_out', 0):,} handed out ({facts.get('campaign_return_rate', '')}), "
            f"{facts.get('campaign_items', 0)} items × {facts.get('campaign_areas', 0)} areas, satisfaction "
            f"{facts.get('campaign_satisfaction', '')}, "
            f"compared with {facts.get('campaign_previous') or '—'}; "
            f"{facts.get('campaigns', 0):,} campaigns, {facts.get('forms', 0):,} forms and "
            f"{facts.get('answers', 0):,} answers in the database"
        ),
        "reporting": (
            f"{facts.get('reports', 0):,} reports to HQ (a year of monthly reports of 200 projects and "
            f"the branches' own), {facts.get('reports_in_month', 0):,} of them for {data['month']}"
        ),
    }
    lines = [
        f"### Issue 17: return visits, survey rates, the reporting scorecard ({data['month']})",
        "",
        "In process: median / p95 ms of the rounds after a first call (first call in brackets) and the "
        "queries of that call. Over HTTP: median / p95 ms as above (HQ unless the row says otherwise; "
        "海景花园, QD-HJ, for one project).",
    ]
    for area, rows in ISSUE17_ROWS.items():
        lines += [
            "",
            f"**{ISSUE17_TITLES[area]}**: {about[area]}.",
            "",
            "| scenario | what it measures | ms | queries |",
            "|---|---|---:|---:|",
        ]
        for name, where, what in rows:
            if where == "process":
                row = data["issue17"].get(name)
                ms = f"{_ms(row)} ({row['first_ms']:,.0f})" if row and "first_ms" in row else _ms(row)
                queries = row.get("queries", "—") if row else "—"
                lines.append(f"| {name} (in process) | {what} | {ms} | {queries} |")
            else:
                lines.append(f"| {name} | {what} | {_ms(data['http'].get(name))} | |")
    lines.append("")
    return lines


def _issue17_data(prepare_info: dict[str, Any]) -> str:
    """Issue 17's data, which the dashboards read too (their survey and reporting figures): runs before it
    had none, so their dashboard times are not comparable with later ones."""
    surveys, reports = prepare_info.get("surveys"), prepare_info.get("reports")
    if not surveys:
        return ""
    return (
        f", {prepare_info.get('monthly_visits', {}).get('visits', 0):,} visits on the monthly lists, "
        f"{surveys.get('campaigns', 0):,} survey campaigns with {surveys.get('answers', 0):,} answers and "
        f"{(reports or {}).get('reports', 0):,} reports to HQ (issue 17's data: the dashboards' survey and "
        "reporting figures read them, so the times are not comparable with runs before it)"
    )


def write_section(data: dict[str, Any]) -> Path:
    """Put the section into RESULTS.md between its marks (replacing an earlier one)."""
    target = BENCH / "RESULTS.md"
    text = target.read_text() if target.exists() else "# Benchmark results\n"
    block = "\n".join([START_MARK, *section(data), END_MARK])
    if START_MARK in text and END_MARK in text:
        head, _sep, rest = text.partition(START_MARK)
        _old, _sep, tail = rest.partition(END_MARK)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    target.write_text(text)
    return target


def sections() -> list[str]:
    """Every analytics result as RESULTS.md lines (for bench/report.py, so that a rewrite keeps them)."""
    lines: list[str] = []
    for path in sorted(OUT.glob("*.json"), reverse=True):
        lines += [START_MARK, *section(json.loads(path.read_text())), END_MARK, ""]
    return lines


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="timed calls per scenario (at most)")
    parser.add_argument(
        "--survey-forms", type=int, default=2000, help="returned forms of each campaign of the month"
    )
    parser.add_argument("--pack-rounds", type=int, default=2, help="packs made (each a new version)")
    parser.add_argument(
        "--budget", type=float, default=30, help="seconds per HTTP scenario before stopping early"
    )
    args = parser.parse_args()
    run.WARMUP = args.workers
    started = time.perf_counter()
    workdir = ROOT / "build" / "bench" / f"{args.database}-{args.items}"
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = run.ensure_pg_database("bench_estatedesk") if args.database == "postgres" else ""
    env = run.our_environment(database_url, workdir)
    run.setup_django(env)
    info = prepare(items=args.items, database=args.database, workdir=workdir, survey_forms=args.survey_forms)
    month = _month()
    log(f"analytics at {args.items:,} items, {args.database}, month {month:%Y-%m}")
    output: dict[str, Any] = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": run.machine(),
        "items": args.items,
        "database": args.database,
        "month": f"{month:%Y-%m}",
        "command": f".venv/bin/python bench/analytics.py --items {args.items} --database {args.database}",
        "prepare": info,
        "metrics": metrics_scenarios(month=month, rounds=args.rounds),
        "pack": pack_scenario(month=month, rounds=args.pack_rounds),
        "issue17": issue17_scenarios(month=month, rounds=args.rounds),
    }
    output["http"] = http_scenarios(
        env=env, month=month, workers=args.workers, rounds=args.rounds, budget=args.budget
    )
    output["seconds"] = round(time.perf_counter() - started, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{args.database}-{args.items}.json"
    out.write_text(json.dumps(output, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {out.relative_to(ROOT)}; {write_section(output).relative_to(ROOT)} in {output['seconds']} s")


if __name__ == "__main__":
    main()
