"""The feedback benchmark: EstateDesk and django-helpdesk 2.6.1 side by side, over HTTP, at N items.

    .venv/bin/python bench/run.py --items 1000000 --database sqlite      # `make bench` runs both databases
    .venv/bin/python bench/run.py --items 10000 --database sqlite --quick   # `make bench-quick`
    .venv/bin/python bench/run.py --items 1000000 --database sqlite --sweep-only   # the SLA sweep alone

For one database and one N: builds a fresh database for each product (bench/generate.py for ours,
bench/peer_helpdesk.py for the peer, same number of items), serves each with gunicorn as in production
(same worker count, 127.0.0.1, DEBUG off), logs in as a staff user who sees everything, and times the
scenarios (median and p95 over rounds; one warm-up request first). Then the SLA sweep with ~1% of the
items overdue (one run, the catch-up of the backlog, a run with nothing due), each statistic as
hand-written SQL (the limit), peak RSS per worker and database size per item. Writes
bench/results/<database>-<N>.json; bench/report.py turns every JSON there into RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from httpbench import CSRF_INPUT, Client, Response, check, rss_of_children, summarize  # noqa: E402

PG_BASE = "postgres://postgres@127.0.0.1:5432/"
PASSWORD = "demo-2026"


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f} s] {message}", flush=True)  # noqa: T201


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_pg_database(name: str) -> str:
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
        )
    return PG_BASE + name


WARMUP = 1
SLOW_SECONDS = 60.0


def timed_rounds(call: Callable[[], Response], *, rounds: int, budget: float) -> dict[str, Any]:
    """Warm-up calls (two per server worker, so that each has loaded its code), then up to `rounds` timed
    calls; stops early after `budget` seconds (3 calls at least). A request that takes over a minute is
    timed once: its first call is the measurement (loading code is nothing beside minutes of work), and
    the result says so (`rounds: 1`)."""
    for _ in range(WARMUP):
        first = check(call(), 200, 201, 302)
        if first.elapsed > SLOW_SECONDS:
            return {**summarize([first.elapsed * 1000]), "note": "timed once: over a minute per request"}
        if first.elapsed > 1.0:
            break  # a second's work: a worker's first-request cost is lost in it
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < rounds and (len(samples) < 3 or time.perf_counter() - started < budget):
        samples.append(check(call(), 200, 201, 302).elapsed * 1000)
    return summarize(samples)


def guarded(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A failing scenario is recorded with its error and the run goes on to the next one."""
    try:
        return measure()
    except (RuntimeError, OSError) as error:
        log(f"    failed: {str(error)[:300]}")
        return {"error": str(error)[:500]}


def intake_rate(
    make_client: Callable[[], Client], create: Callable[[Client], Response], *, clients: int, seconds: float
) -> dict[str, Any]:
    """Items created per second by `clients` concurrent clients, each posting for `seconds`."""
    sessions = [make_client() for _ in range(clients)]
    counts = [0] * clients
    errors: list[str] = []
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            try:
                reply = check(create(sessions[index]), 200, 201, 302)
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors.append(str(error)[:200])
                return
            counts[index] += 1
            latencies[index].append(reply.elapsed * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = [value for row in latencies for value in row]
    return {
        "clients": clients,
        "created": sum(counts),
        "seconds": round(elapsed, 2),
        "per_second": round(sum(counts) / elapsed, 1),
        "latency": summarize(every) if every else None,
        "errors": errors[:3],
    }


# --- EstateDesk --------------------------------------------------------------------------------


def our_environment(database_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "estatedesk.config.settings",
            "ESTATEDESK_DATA_DIR": str(workdir),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SERVE_HTTPS": "0",
            "PLAIN_STATIC": "1",  # no collectstatic needed; the pages are timed, not their assets
            "API_RATE_USER": "1000000/minute",  # the intake runs far above a person's rate on purpose
            "LOG_LEVEL": "WARNING",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def prepare_ours(*, items: int, pg: bool) -> dict[str, Any]:
    import generate
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if pg:
        call_command("flush", interactive=False, verbosity=0)
    info = generate.load(items=items, log=log)
    info["db_bytes"] = generate.database_bytes()
    return info


def serve_ours(*, env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "estatedesk.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "1200",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
    return process


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    client = Client(url.rsplit("/", 1)[0])
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if client.get("/" + url.rsplit("/", 1)[1]).status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def our_samples() -> dict[str, Any]:
    """References, phones and the month the scenarios use, read once before the server starts."""
    from estatedesk.feedback.models import FeedbackItem
    from estatedesk.owners.models import ResidentPhone

    rng = random.Random(5)  # noqa: S311
    last = FeedbackItem.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, last) for _ in range(200)]
    references = list(FeedbackItem.objects.filter(id__in=ids).values_list("reference", flat=True)[:50])
    phones = list(
        ResidentPhone.objects.filter(resident__occupancies__unit__project__code="QD-HJ", is_mobile=True)
        .values_list("number", flat=True)
        .distinct()[:50]
    )
    from django.utils import timezone

    today = timezone.localdate()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last complete month
    return {"references": references, "phones": phones, "month": month.isoformat()[:7]}


def our_scenarios(base: str, samples: dict[str, Any]) -> dict[str, Callable[[], Response]]:
    rng = random.Random(11)  # noqa: S311
    hq = Client(base)
    hq.login_form("/accounts/login/", {"username": "hq", "password": PASSWORD})
    agent = Client(base)
    agent.login_form("/accounts/login/", {"username": "agent_a", "password": PASSWORD})
    month = samples["month"]
    return {
        "list": lambda: hq.get("/feedback/"),
        "list_filtered": lambda: hq.get("/feedback/?status=closed&category=engineering&project=QD-HJ"),
        "detail": lambda: hq.get(f"/feedback/{rng.choice(samples['references'])}/"),
        "api_list": lambda: hq.get("/api/feedback/items/"),
        "stats_project": lambda: hq.get(f"/feedback/statistics/?month={month}&project=QD-HJ"),
        "stats_company": lambda: hq.get(f"/feedback/statistics/?month={month}"),
        "stats_project_api": lambda: hq.get(f"/api/feedback/statistics/?month={month}&project=QD-HJ"),
        "stats_company_api": lambda: hq.get(f"/api/feedback/statistics/?month={month}"),
        "lookup": lambda: agent.get(f"/feedback/hotline/?phone={rng.choice(samples['phones'])}"),
        "lookup_api": lambda: agent.get(f"/api/owners/lookup/?q={rng.choice(samples['phones'])[-4:]}"),
        # word search (issue 17, ADR 0019): a two-character word on about 6% of the items, two words, a
        # word on no item (nothing to stop early at), one project, the API
        "search_common": lambda: hq.get(f"/feedback/?q={quote('漏水')}"),
        "search_two_words": lambda: hq.get(f"/feedback/?q={quote('噪音 扰民')}"),
        "search_absent": lambda: hq.get(f"/feedback/?q={quote('热水器')}"),
        "search_project": lambda: hq.get(f"/feedback/?q={quote('漏水')}&project=QD-HJ"),
        "search_api": lambda: hq.get(f"/api/feedback/items/?search={quote('噪音')}"),
    }


def our_login(base: str, username: str) -> Client:
    client = Client(base)
    client.login_form("/accounts/login/", {"username": username, "password": PASSWORD})
    return client


def our_api_create(client: Client) -> Response:
    return client.post(
        "/api/feedback/items/create/",
        json={
            "project": "QD-HJ",
            "channel": "hotline",
            "kind": "repair",
            "category": "engineering",
            "title": "卫生间漏水",
            "description": "卫生间天花板漏水，请尽快安排维修。",
            "contact_name": "王先生",
            "contact_phone": "13912345678",
        },
    )


HOTLINE_CALLER = re.compile(
    r'name="caller_unit"[^>]*value="(\d+:\d+)"|value="(\d+:\d+)"[^>]*name="caller_unit"'
)


def our_hotline_create(client: Client, phone: str) -> Response:
    """The hotline screen as an agent uses it: the screen pops for the caller, the agent submits the form.
    The returned time is the two requests together."""
    page = client.get(f"/feedback/hotline/?phone={phone}")
    match = HOTLINE_CALLER.search(page.text)
    token = CSRF_INPUT.search(page.body)
    if not match or not token:
        raise RuntimeError(f"the hotline screen shows no caller for {phone} (HTTP {page.status})")
    reply = client.post(
        f"/feedback/hotline/?phone={phone}",
        data={
            "csrfmiddlewaretoken": token.group(1).decode(),
            "phone": phone,
            "caller_unit": match.group(1) or match.group(2),
            "description": "楼道灯不亮，晚上看不见路。",
            "kind": "repair",
            "category": "engineering",
            "priority": "normal",
            "title": "楼道灯不亮",
        },
        follow=False,
    )
    reply.elapsed += page.elapsed
    return reply


def raw_sql_limit(*, month: str, project_code: str | None, rounds: int) -> dict[str, Any]:
    """Each statistic as one hand-written SQL query over the month's items, timed on the same database."""
    from django.db import connection

    from estatedesk.common.months import month_bounds

    start, end = month_bounds(date.fromisoformat(month + "-01"))
    now = datetime.now(UTC)
    sqlite = connection.vendor == "sqlite"
    fmt = (
        (lambda moment: str(moment.astimezone(UTC).replace(tzinfo=None)))
        if sqlite
        else (lambda moment: moment)
    )
    where = "registered_at >= %s AND registered_at < %s"
    params: list[Any] = [fmt(start), fmt(end)]
    if project_code:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM org_project WHERE code = %s", [project_code])
            where += " AND project_id = %s"
            params.append(cursor.fetchone()[0])
    seconds = (
        "(julianday(closed_at) - julianday(registered_at)) * 86400.0"
        if sqlite
        else "EXTRACT(EPOCH FROM closed_at - registered_at)"
    )
    clocks = ", ".join(
        f"SUM(CASE WHEN {done} IS NOT NULL AND {done} <= {due} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN ({done} IS NOT NULL AND {done} > {due}) "
        f"OR ({done} IS NULL AND {due} < %s AND status NOT IN ('closed', 'cancelled')) THEN 1 ELSE 0 END)"
        for due, done in (
            ("contact_due_at", "contacted_at"),
            ("action_due_at", "acted_at"),
            ("resolution_due_at", "customer_informed_at"),
        )
    )
    table = "feedback_feedbackitem"
    queries = {
        "by_kind": (f"SELECT kind, COUNT(*) FROM {table} WHERE {where} GROUP BY kind", params),
        "by_category": (f"SELECT category, COUNT(*) FROM {table} WHERE {where} GROUP BY category", params),
        "by_channel": (f"SELECT channel, COUNT(*) FROM {table} WHERE {where} GROUP BY channel", params),
        "by_status": (f"SELECT status, COUNT(*) FROM {table} WHERE {where} GROUP BY status", params),
        "sla": (f"SELECT {clocks} FROM {table} WHERE {where}", [fmt(now)] * 3 + params),
        "handling": (
            f"SELECT AVG({seconds}), COUNT(*) FROM {table} "
            f"WHERE {where} AND status = 'closed' AND closed_at IS NOT NULL",
            params,
        ),
    }
    result: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, (sql, values) in queries.items():
            cursor.execute(sql, values)
            cursor.fetchall()
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                cursor.execute(sql, values)
                cursor.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            result[name] = summarize(samples)
    result["total_median_ms"] = round(sum(row["median_ms"] for row in result.values()), 2)
    return result


CATCH_UP_SECONDS = 240  # after the first run, catch up on the backlog for at most this long


def sweep_scenario() -> dict[str, Any]:
    """The SLA sweep (escalation.sla_sweep, ADR 0010) over the generated items, none escalated yet: one
    call as the per-minute job makes it (batches of 500 items due for a look, until none is left or its
    budget is spent), then calls until the backlog is caught up, then one call with nothing due (what
    every quiet minute costs), and the plan of the query that selects the items due. Should the backlog
    outlast CATCH_UP_SECONDS, the quiet run is timed at the earliest check still due (nothing before it)."""
    from django.db.models import Min, Q
    from django.urls import reverse
    from django.utils import timezone

    from estatedesk.feedback import escalation
    from estatedesk.feedback.choices import OPEN_STATUSES
    from estatedesk.feedback.clocks import CLOCK_COLUMNS
    from estatedesk.feedback.models import Escalation, FeedbackItem

    now = timezone.now()
    total = FeedbackItem.objects.count()
    breached = Q()
    for due, done in CLOCK_COLUMNS.values():
        breached |= Q(**{f"{due}__lt": now, f"{done}__isnull": True})
    overdue = FeedbackItem.objects.filter(status__in=OPEN_STATUSES).filter(breached).count()
    due_for_a_look = FeedbackItem.objects.filter(escalation_due_at__isnull=False, escalation_due_at__lt=now)
    backlog = due_for_a_look.count()
    selection = due_for_a_look.order_by("escalation_due_at").values_list("pk", "escalation_due_at")
    plan = selection[: escalation.BATCH].explain()
    reverse("feedback:item_list")  # the URL configuration, loaded once per worker, is not the sweep's cost

    started = time.perf_counter()
    escalated = escalation.sla_sweep(now=now)
    first = time.perf_counter() - started
    looked_at = backlog - due_for_a_look.count()
    runs, caught_up = 1, escalated
    started = time.perf_counter()
    while due_for_a_look.exists() and time.perf_counter() - started < CATCH_UP_SECONDS:
        caught_up += escalation.sla_sweep(now=now)
        runs += 1
    catch_up = first + time.perf_counter() - started
    left = due_for_a_look.count()
    quiet = now if not left else due_for_a_look.aggregate(at=Min("escalation_due_at"))["at"]
    idle = []
    for _ in range(5):
        started = time.perf_counter()
        nothing = escalation.sla_sweep(now=quiet)
        idle.append((time.perf_counter() - started) * 1000)
    return {
        "items": total,
        "overdue": overdue,
        "overdue_percent": round(100 * overdue / total, 2) if total else 0,
        "due_for_a_look": backlog,
        "first_run_seconds": round(first, 2),
        "first_run_items": looked_at,
        "first_run_escalations": escalated,
        "escalations_per_second": round(escalated / first, 1) if first else None,
        "catch_up_runs": runs,
        "catch_up_seconds": round(catch_up, 2),
        "catch_up_escalations": caught_up,
        "catch_up_escalations_per_second": round(caught_up / catch_up, 1) if catch_up else None,
        "left_due": left,
        "escalations": Escalation.objects.count(),
        "idle_run_ms": summarize(idle),
        "idle_run_escalations": nothing,
        "selection_plan": plan,
    }


def sweep_only(*, items: int, database: str, workdir: Path, reuse: bool) -> dict[str, Any]:
    """`--sweep-only`: our database and the sweep scenario, no server, no peer, nothing written."""
    pg = database == "postgres"
    database_url = ensure_pg_database("bench_estatedesk") if pg else ""
    setup_django(our_environment(database_url, workdir))
    log(f"EstateDesk: preparing {items:,} items on {database}")
    prepare = {"reused": True} if reuse else prepare_ours(items=items, pg=pg)
    log("  sweep")
    return {"prepare": prepare, "sweep": sweep_scenario()}


def run_ours(
    *,
    items: int,
    database: str,
    workers: int,
    rounds: int,
    budget: float,
    intake_seconds: float,
    workdir: Path,
    reuse: bool = False,
) -> dict[str, Any]:
    pg = database == "postgres"
    database_url = ensure_pg_database("bench_estatedesk") if pg else ""
    env = our_environment(database_url, workdir)
    setup_django(env)
    log(f"EstateDesk: preparing {items:,} items on {database}")
    info = {"reused": True} if reuse else prepare_ours(items=items, pg=pg)
    samples = our_samples()
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = serve_ours(env=env, port=port, workers=workers)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"prepare": info, "scenarios": {}}
    try:
        for name, call in our_scenarios(base, samples).items():
            log(f"  ours {name}")
            results["scenarios"][name] = guarded(lambda c=call: timed_rounds(c, rounds=rounds, budget=budget))
        for clients in (1, 8):
            log(f"  ours intake (API) with {clients} client(s)")
            results["scenarios"][f"create_{clients}"] = intake_rate(
                lambda: our_login(base, "agent_a"), our_api_create, clients=clients, seconds=intake_seconds
            )
        phones = samples["phones"]
        for clients in (1, 8):
            log(f"  ours intake (hotline form) with {clients} client(s)")
            results["scenarios"][f"hotline_{clients}"] = intake_rate(
                lambda: our_login(base, "agent_a"),
                lambda client: our_hotline_create(client, random.choice(phones)),  # noqa: S311
                clients=clients,
                seconds=intake_seconds,
            )
        results["rss"] = rss_of_children(server.pid)
    finally:
        stop(server)
    log("  ours raw SQL and sweep")
    results["raw_sql"] = {
        "project": raw_sql_limit(month=samples["month"], project_code="QD-HJ", rounds=rounds),
        "company": raw_sql_limit(month=samples["month"], project_code=None, rounds=rounds),
    }
    results["sweep"] = sweep_scenario()
    results["month"] = samples["month"]
    return results


# --- the peer ----------------------------------------------------------------------------------


def run_peer(
    *,
    items: int,
    database: str,
    workers: int,
    rounds: int,
    budget: float,
    intake_seconds: float,
    workdir: Path,
) -> dict[str, Any]:
    import peer_helpdesk

    peer_helpdesk.ensure_venv()
    pg = database == "postgres"
    database_url = ensure_pg_database("bench_helpdesk") if pg else f"sqlite:///{workdir / 'helpdesk.sqlite3'}"
    log(f"django-helpdesk: preparing {items:,} tickets on {database}")
    info = peer_helpdesk.prepare(items=items, database_url=database_url, workdir=workdir, log=log)
    port = free_port()
    server = peer_helpdesk.serve(port=port, workers=workers, database_url=database_url, workdir=workdir)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"prepare": info, "scenarios": {}}
    try:
        client = Client(base)
        peer_helpdesk.login(client)
        for name, scenario in peer_helpdesk.scenarios(info=info).items():
            if name == "create":
                continue
            log(f"  peer {name}")
            results["scenarios"][name] = guarded(
                lambda s=scenario: timed_rounds(lambda: s(client), rounds=rounds, budget=budget)
            )
        create = peer_helpdesk.scenarios(info=info)["create"]

        def login() -> Client:
            session = Client(base)
            peer_helpdesk.login(session)
            return session

        for clients in (1, 8):
            log(f"  peer create with {clients} client(s)")
            results["scenarios"][f"create_{clients}"] = intake_rate(
                login, create, clients=clients, seconds=intake_seconds
            )
        results["rss"] = rss_of_children(server.pid)
    finally:
        stop(server)
    return results


def machine() -> dict[str, Any]:
    cpu, memory = "", 0
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in meminfo.splitlines():
        if line.startswith("MemTotal"):
            memory = int(line.split()[1]) // 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=5, help="gunicorn workers for both products (default 5)"
    )
    parser.add_argument("--rounds", type=int, default=15, help="timed requests per scenario (at most)")
    parser.add_argument("--budget", type=float, default=30, help="seconds per scenario before stopping early")
    parser.add_argument("--intake-seconds", type=float, default=15)
    parser.add_argument("--no-peer", action="store_true", help="EstateDesk only")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter intake runs")
    parser.add_argument("--reuse", action="store_true", help="development: keep our database of the last run")
    parser.add_argument(
        "--sweep-only", action="store_true", help="our data and the SLA sweep only; prints, writes nothing"
    )
    args = parser.parse_args()
    global WARMUP
    WARMUP = 2 * args.workers  # gunicorn hands requests to whichever worker is free: give each a chance
    if args.quick:
        args.rounds, args.budget, args.intake_seconds = 5, 5, 3
    workdir = ROOT / "build" / "bench" / f"{args.database}-{args.items}"
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        for old in workdir.glob("*.sqlite3*"):
            old.unlink()
    if args.sweep_only:
        result = sweep_only(items=args.items, database=args.database, workdir=workdir, reuse=args.reuse)
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return
    started = time.perf_counter()
    common = {
        "items": args.items,
        "database": args.database,
        "workers": args.workers,
        "rounds": args.rounds,
        "budget": args.budget,
        "intake_seconds": args.intake_seconds,
        "workdir": workdir,
    }
    peer = None
    if args.reuse:
        common["reuse"] = True
    if not args.no_peer and not args.reuse:  # the peer first: our run sets up Django in this process
        peer = run_peer(**common)
    ours = run_ours(**common)
    output = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "items": args.items,
        "database": args.database,
        "workers": args.workers,
        "rounds": args.rounds,
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "ours": ours,
        "peer": peer,
    }
    out = BENCH / "results" / f"{args.database}-{args.items}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(output, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {out.relative_to(ROOT)} in {output['seconds']} s")
    import report

    report.write()
    log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
