"""Dashboards and the monthly pack (issue 15) at N feedback items: the metrics layer for the company, a
branch and a project over a month, a quarter and a year; the dashboard, the drill-down and the figures API
over HTTP; the company's monthly pack (figures, lists, PDF and workbook).

    .venv/bin/python bench/analytics.py --items 1000000 --database sqlite   # after run.py, as `make bench`
    .venv/bin/python bench/analytics.py --items 10000 --rounds 3             # a quick look

The data set is bench/run.py's (bench/generate.py: the demo organisation plus 197 projects, N items over
three years): the SQLite database in build/bench/<database>-<N>/ or PostgreSQL's bench_estatedesk is used
as it is when it holds N items (run.py has just made it), and built with generate.load otherwise. Return
visits are added once (one in ten closed items, graded about 70% A, 22% B, 8% C, due a week after the
item closed) and a nonconformity for one C visit in four, so that every source of the figures has rows.

Timed: `metrics_report` in this process (median of `--rounds`, and its number of queries); the pages and the
API over gunicorn as run.py serves them (DEBUG off), signed in as HQ (`hq`, who sees every project); the
pack made once per round with `pack_generate` (no email). Writes bench/results/analytics/<database>-<N>.json
and the section "Dashboards and the monthly pack (issue 15)" of bench/RESULTS.md.
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

import run  # noqa: E402 - the feedback bench's server, client and timing helpers

OUT = BENCH / "results" / "analytics"
SECTION = "Dashboards and the monthly pack (issue 15)"
START_MARK, END_MARK = "<!-- analytics:start -->", "<!-- analytics:end -->"
VISIT_MARK = "bench-visit"
log = run.log


# --- the data set -----------------------------------------------------------------------------------------


def prepare(*, items: int, database: str, workdir: Path) -> dict[str, Any]:
    """run.py's data set of `items` items, reused when it is there; return visits added once."""
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
    return info


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


# --- timing over HTTP -------------------------------------------------------------------------------------


def http_scenarios(
    *, env: dict[str, str], month: date, workers: int, rounds: int, budget: float
) -> dict[str, Any]:
    from django.db import connections

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
        for name, call in scenarios.items():
            log(f"  HTTP {name}")
            results[name] = run.guarded(lambda c=call: run.timed_rounds(c, rounds=rounds, budget=budget))
        results["rss"] = run.rss_of_children(server.pid)
    finally:
        run.stop(server)
    return results


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
        f"{prepare_info.get('visits', {}).get('nonconformities', 0):,} nonconformities beside them. "
        f"Reproduce: `{data['command']}`.",
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
    for name, row in data["http"].items():
        if name != "rss":
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
    return lines


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
    from django.utils import timezone

    from estatedesk.analytics.periods import last_closed_month

    info = prepare(items=args.items, database=args.database, workdir=workdir)
    month = last_closed_month(timezone.now()).start
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
