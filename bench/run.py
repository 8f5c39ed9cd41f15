"""The feedback benchmark: EstateDesk and django-helpdesk 2.6.1 side by side, over HTTP, at N items.

    .venv/bin/python bench/run.py --items 1000000 --database sqlite      # `make bench` runs both databases
    .venv/bin/python bench/run.py --items 10000 --database sqlite --quick   # `make bench-quick`
    .venv/bin/python bench/run.py --items 10000 --database sqlite --quick --repeat 3   # ratios stable?
    .venv/bin/python bench/run.py --items 1000000 --database sqlite --sweep-only   # the SLA sweep alone

For one database and one N: builds a fresh database for each product (bench/generate.py for ours,
bench/peer_helpdesk.py for the peer, same number of items), then serves BOTH at once with gunicorn as in
production (same worker count, 127.0.0.1, DEBUG off), logs in as a staff user who sees everything, and asks
each the same questions as interleaved A/B pairs: per scenario a warm-up of each, then pairs of one request
to each product, the first of the pair alternating (ours–peer, peer–ours, ...), so that whatever else the
machine does falls on both alike. The ratio of a pair is the peer's time divided by ours; a scenario's ratio
is the median of its pairs' ratios, with their quartiles as the spread. Intake (creation by API with 1 and 8
clients) runs in alternating blocks (ours, peer, peer, ours, ...) until each has had --intake-seconds.
Scenarios that ask different questions of the two (our default list of every item, our month's
statistics) and those the peer has no counterpart for are timed on ours alone and carry no ratio.
Then the SLA sweep with ~1% of the items overdue (one run, the catch-up of the backlog, a run with nothing
due), each statistic as hand-written SQL (the limit), peak RSS per worker and database size per item.
Writes bench/results/<database>-<N>.json; bench/report.py turns every JSON there into RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from httpbench import (  # noqa: E402
    CSRF_INPUT,
    Client,
    Response,
    check,
    quantile,
    rss_of_children,
    summarize,
)

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
WARM_ENOUGH_SECONDS = 1.0  # a request this long hides a worker's first-request cost: no more warm-up
MAX_REPEAT = 8  # the most requests one side makes per pair to cover the other side's one slow request
MIN_PAIRS = 10
LONG_PAIR_SECONDS = 3.0  # a request this long: half as many pairs at least (timed_pairs)
SOLO_ROUNDS, SOLO_SECONDS = 20, 20.0  # a scenario of ours alone (no ratio to steady); raw-SQL rounds
INTAKE_WARM_SECONDS = 0.3  # per side before the timed blocks: fresh sessions, the first writes' caches


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """The client's garbage collector off while timing: a collection in this process would land on
    whichever request happens to be in flight (one side's, not the other's). Collected before, so that
    nothing piles up across scenarios."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def timed_rounds(call: Callable[[], Response], *, rounds: int, budget: float) -> dict[str, Any]:
    """Warm-up calls (two per server worker, so that each has loaded its code), then up to `rounds` timed
    calls; stops early after `budget` seconds (3 calls at least). A request that takes over a minute is
    timed once: its first call is the measurement (loading code is nothing beside minutes of work), and
    the result says so (`rounds: 1`). For one product alone; `timed_pairs` compares two."""
    with quiet_gc():
        for _ in range(WARMUP):
            first = check(call(), 200, 201, 302)
            if first.elapsed > SLOW_SECONDS:
                return {**summarize([first.elapsed * 1000]), "note": "timed once: over a minute per request"}
            if first.elapsed > WARM_ENOUGH_SECONDS:
                break  # a second's work: a worker's first-request cost is lost in it
        samples: list[float] = []
        started = time.perf_counter()
        while len(samples) < rounds and (len(samples) < 3 or time.perf_counter() - started < budget):
            samples.append(check(call(), 200, 201, 302).elapsed * 1000)
    return summarize(samples)


def spread(values: list[float], digits: int = 3) -> dict[str, float]:
    """Median and quartiles (and p5/p95) of per-pair ratios: how far apart single pairs land."""
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), digits),
        "p25": round(quantile(ordered, 0.25), digits),
        "p75": round(quantile(ordered, 0.75), digits),
        "p5": round(quantile(ordered, 0.05), digits),
        "p95": round(quantile(ordered, 0.95), digits),
    }


SIDES = ("ours", "peer")


def timed_pairs(
    ours: Callable[[], Response],
    peer: Callable[[], Response],
    *,
    pairs: int,
    budget: float,
    min_pairs: int = MIN_PAIRS,
) -> dict[str, Any]:
    """The same question to both products as interleaved A/B pairs; returns each side's timings
    (`summarize`) and the ratio peer ÷ ours (`spread` of the per-pair ratios, and the ratio of the medians).

    Warm-up: WARMUP calls to each side, interleaved (a side stops warming after a call over a second).
    Then up to `pairs` pairs, at least `min_pairs` (half as many when a request takes seconds), more while
    within `budget` seconds: each pair asks one
    side then the other, the first alternating from pair to pair (A B, B A, A B, ...), so that a change of
    load on the machine falls on both sides of a pair alike and neither always goes first. When one side
    answers much faster, it is asked several times in a row within its half of the pair (at most
    MAX_REPEAT; about the other side's time, from the warm-up) and the pair counts the median of those:
    both halves of a pair then span about the same time, and the fast side's noise does not dominate the
    pair's ratio. Every single request is in its side's timings.

    A side whose warm-up call takes over SLOW_SECONDS (the peer's reports and API at a million tickets) is
    timed by that one call, the other side by up to `pairs` calls right after it (`note` says so)."""
    calls = {"ours": ours, "peer": peer}
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    last: dict[str, float] = {}
    warming = dict.fromkeys(SIDES, True)
    slow: dict[str, float] = {}
    started = time.perf_counter()
    with quiet_gc():
        for index in range(max(WARMUP, 1)):
            for side in SIDES if index % 2 == 0 else SIDES[::-1]:
                if not warming[side]:
                    continue
                elapsed = check(calls[side](), 200, 201, 302).elapsed
                last[side] = elapsed
                if elapsed > SLOW_SECONDS:
                    slow[side] = elapsed * 1000
                if elapsed > WARM_ENOUGH_SECONDS:
                    warming[side] = False
            if slow:
                break
        if slow:
            for side in SIDES:
                if side in slow:
                    samples[side] = [slow[side]]
                    continue
                begun = time.perf_counter()
                while len(samples[side]) < pairs and (
                    len(samples[side]) < 3 or time.perf_counter() - begun < budget
                ):
                    samples[side].append(check(calls[side](), 200, 201, 302).elapsed * 1000)
            ratio = statistics.median(samples["peer"]) / statistics.median(samples["ours"])
            return {
                "ours": summarize(samples["ours"]),
                "peer": summarize(samples["peer"]),
                "pairs": 1,
                "ratio": {**spread([ratio]), "of_medians": round(ratio, 3)},
                "note": "timed once: over a minute per request",
                "seconds": round(time.perf_counter() - started, 1),
            }
        repeat = {
            "ours": max(1, min(MAX_REPEAT, round(last["peer"] / last["ours"]))),
            "peer": max(1, min(MAX_REPEAT, round(last["ours"] / last["peer"]))),
        }
        if max(last.values()) > LONG_PAIR_SECONDS:
            # a request of several seconds averages the machine's noise within itself, and the other
            # side's half is a median of several: half the pairs are as steady, and the quick run stays
            # quick (at about a second, as the peer's report at 10,000 tickets, they are not: three quick
            # runs of 5 pairs each spread 1.24× apart)
            min_pairs = max(3, min_pairs // 2)
        halves: dict[str, list[float]] = {side: [] for side in SIDES}
        begun = time.perf_counter()
        done = 0
        while done < pairs and (done < min_pairs or time.perf_counter() - begun < budget):
            for side in SIDES if done % 2 == 0 else SIDES[::-1]:
                values = [check(calls[side](), 200, 201, 302).elapsed * 1000 for _ in range(repeat[side])]
                samples[side] += values
                halves[side].append(statistics.median(values))
            done += 1
    ratios = [theirs / mine for mine, theirs in zip(halves["ours"], halves["peer"], strict=True)]
    of_medians = statistics.median(samples["peer"]) / statistics.median(samples["ours"])
    return {
        "ours": summarize(samples["ours"]),
        "peer": summarize(samples["peer"]),
        "pairs": done,
        "repeat": repeat,
        "ratio": {**spread(ratios), "of_medians": round(of_medians, 3)},
        "seconds": round(time.perf_counter() - started, 1),
    }


def guarded(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A failing scenario is recorded with its error and the run goes on to the next one."""
    try:
        return measure()
    except (RuntimeError, OSError) as error:
        log(f"    failed: {str(error)[:300]}")
        return {"error": str(error)[:500]}


def in_process(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A step timed in this process after the servers have stopped (raw SQL, the sweep): its failure, for
    whatever reason, is recorded, so that the pairs measured before it are still written."""
    try:
        return measure()
    except Exception as error:  # noqa: BLE001 - recorded in the results
        log(f"    failed: {type(error).__name__}: {str(error)[:300]}")
        return {"error": f"{type(error).__name__}: {str(error)[:500]}"}


Maker = Callable[[], Client]
Creator = Callable[[Client], Response]


def _intake_block(sessions: list[Client], create: Creator, seconds: float) -> dict[str, Any]:
    """Each session posts from its own thread until `seconds` have passed (the request in flight then
    finishes and counts; the block's time runs until the last one has)."""
    counts = [0] * len(sessions)
    errors: list[str] = []
    latencies: list[list[float]] = [[] for _ in sessions]
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
    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "created": sum(counts),
        "seconds": time.perf_counter() - started,
        "latencies": [value for row in latencies for value in row],
        "errors": errors,
    }


def _intake_result(clients: int, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    created = sum(block["created"] for block in blocks)
    seconds = sum(block["seconds"] for block in blocks)
    every = [value for block in blocks for value in block["latencies"]]
    result: dict[str, Any] = {
        "clients": clients,
        "created": created,
        "seconds": round(seconds, 2),
        "per_second": round(created / seconds, 1) if seconds else 0.0,
        "latency": summarize(every) if every else None,
        "errors": [error for block in blocks for error in block["errors"]][:3],
    }
    if len(blocks) > 1:
        result["blocks"] = len(blocks)
        result["block_rate"] = spread([block["created"] / block["seconds"] for block in blocks], 1)
    return result


def intake_rate(make_client: Maker, create: Creator, *, clients: int, seconds: float) -> dict[str, Any]:
    """Items created per second by `clients` concurrent clients, each posting for `seconds` (one product
    alone; `intake_blocks` compares two)."""
    sessions = [make_client() for _ in range(clients)]
    return _intake_result(clients, [_intake_block(sessions, create, seconds)])


def intake_blocks(
    sides: dict[str, tuple[Maker, Creator]], *, clients: int, seconds: float, block: float
) -> dict[str, Any]:
    """Items created per second by `clients` concurrent clients on each product, in alternating blocks of
    `block` seconds (A B, B A, A B, ... after a short untimed block each) until each has posted for
    `seconds`: a slower or busier minute of the machine falls on both. Returns each side's
    `_intake_result` and the ratio ours ÷ peer: `of_totals`, the ratio of the two rates over all blocks
    (the one reported: a block of one client holds a dozen or so items, so one round's ratio moves by
    steps of several percent, and the median of a few such ratios moved 1.30× across three quick runs),
    and the `spread` of the rounds' ratios beside it."""
    sessions = {side: [make() for _ in range(clients)] for side, (make, _) in sides.items()}
    for side, (_, create) in sides.items():
        _intake_block(sessions[side], create, INTAKE_WARM_SECONDS)
    blocks: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    names = list(sides)
    rounds = 0
    while min(sum(one["seconds"] for one in done) for done in blocks.values()) < seconds:
        for side in names if rounds % 2 == 0 else names[::-1]:
            blocks[side].append(_intake_block(sessions[side], sides[side][1], block))
        rounds += 1
        if any(one["errors"] for done in blocks.values() for one in done):
            break  # a product refuses: what it managed is reported with its errors
    results = {side: _intake_result(clients, done) for side, done in blocks.items()}
    rates = {side: [one["created"] / one["seconds"] for one in done] for side, done in blocks.items()}
    ratios = [mine / theirs for mine, theirs in zip(rates["ours"], rates["peer"], strict=True) if theirs]
    totals = results["peer"]["per_second"]
    return {
        **results,
        "pairs": rounds,
        "ratio": {
            **(spread(ratios) if ratios else {}),
            "of_totals": round(results["ours"]["per_second"] / totals, 3) if totals else None,
        },
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
    """References, phones, the month and the whole period the scenarios use, read once before the server
    starts."""
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
    return {
        "references": references,
        "phones": phones,
        "month": month.isoformat()[:7],
        **whole_period(today),
    }


def whole_period(today: date) -> dict[str, Any]:
    """Our figures over every item on file, as near as the product can ask for them: neither the
    statistics page nor its API takes more than a month, so it is the figures API of the dashboards
    (/api/analytics/metrics/) with custom dates, whose longest period is LONGEST_CUSTOM_DAYS (three
    years, the generated data's span). `whole_period_items` / `items` say whether it covers them all."""
    from django.db.models import Min
    from django.utils import timezone

    from estatedesk.analytics.periods import LONGEST_CUSTOM_DAYS, Period
    from estatedesk.feedback.models import FeedbackItem

    earliest = FeedbackItem.objects.aggregate(first=Min("registered_at"))["first"]
    first = timezone.localdate(earliest) if earliest else today
    first = max(first, today - timedelta(days=LONGEST_CUSTOM_DAYS - 1))
    period = Period.custom(first, today)
    start, end = period.bounds()
    return {
        "whole_period": period.text,
        "whole_period_items": FeedbackItem.objects.filter(
            registered_at__gte=start, registered_at__lt=end
        ).count(),
        "items": FeedbackItem.objects.count(),
    }


# Equal work: (pair, our scenario, the peer's scenario in peer_helpdesk.scenarios). Each is timed as
# interleaved A/B pairs and gets a ratio; bench/report.py labels them.
PAIRS = [
    # the open items (ours: every status but closed and cancelled, newest first, 50 rows and their count;
    # its default list: open and reopened tickets, 25 rows by its DataTables request)
    ("list_open", "list_open", "list"),
    # the closed items of one project (its: one queue's closed tickets)
    ("list_closed_project", "list_closed_project", "list_filtered"),
    # the items registered in last month, every status (its list's created-date filter: the one place it
    # takes a period; its reports and API take none)
    ("list_month", "list_month", "list_month"),
    ("detail", "detail", "detail"),
    ("api_list", "api_list", "api_list"),
    # figures over every item on file: its Queue by Status report counts every ticket (it takes no period);
    # ours by the dashboards' figures API over the whole period (see whole_period)
    ("stats_whole", "stats_whole_api", "reports"),
]


def our_scenarios(base: str, samples: dict[str, Any]) -> dict[str, Callable[[], Response]]:
    rng = random.Random(11)  # noqa: S311
    hq = Client(base)
    hq.login_form("/accounts/login/", {"username": "hq", "password": PASSWORD})
    agent = Client(base)
    agent.login_form("/accounts/login/", {"username": "agent_a", "password": PASSWORD})
    month = samples["month"]
    whole = samples.get("whole_period", "")
    return {
        # the default list: every item in scope, newest first (not the peer's question: no ratio)
        "list": lambda: hq.get("/feedback/"),
        "list_open": lambda: hq.get("/feedback/?open_only=on"),
        "list_closed_project": lambda: hq.get("/feedback/?status=closed&project=QD-HJ"),
        "list_month": lambda: hq.get(f"/feedback/?month={month}"),
        # the filtered list of the earlier runs, with our category filter beside (no ratio)
        "list_filtered": lambda: hq.get("/feedback/?status=closed&category=engineering&project=QD-HJ"),
        "detail": lambda: hq.get(f"/feedback/{rng.choice(samples['references'])}/"),
        "api_list": lambda: hq.get("/api/feedback/items/"),
        "stats_whole_api": lambda: hq.get(f"/api/analytics/metrics/?scope=company&period={whole}"),
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


def prepare_peer(*, items: int, database: str, workdir: Path, reuse: bool) -> tuple[dict[str, Any], str]:
    """The peer's database (`--reuse`: the last run's, when its info file is there) and its URL."""
    import peer_helpdesk

    peer_helpdesk.ensure_venv()
    pg = database == "postgres"
    database_url = ensure_pg_database("bench_helpdesk") if pg else f"sqlite:///{workdir / 'helpdesk.sqlite3'}"
    info_file = workdir / peer_helpdesk.INFO_FILE
    if reuse and info_file.exists():
        log("django-helpdesk: reusing the last run's tickets")
        return {**json.loads(info_file.read_text()), "reused": True}, database_url
    log(f"django-helpdesk: preparing {items:,} tickets on {database}")
    return peer_helpdesk.prepare(
        items=items, database_url=database_url, workdir=workdir, log=log
    ), database_url


def run_both(
    *,
    items: int,
    database: str,
    workers: int,
    rounds: int,
    budget: float,
    intake_seconds: float,
    workdir: Path,
    reuse: bool = False,
    peer: bool = True,
    min_pairs: int = MIN_PAIRS,
    block: float = 1.0,
) -> dict[str, Any]:
    """Both products prepared, then served side by side; the equal-work scenarios as interleaved pairs,
    ours alone for the rest, the intake in alternating blocks. Returns {"ours", "peer", "pairs"} (the peer
    None and no pairs with `peer=False`)."""
    import peer_helpdesk

    pg = database == "postgres"
    database_url = ensure_pg_database("bench_estatedesk") if pg else ""
    env = our_environment(database_url, workdir)
    setup_django(env)
    log(f"EstateDesk: preparing {items:,} items on {database}")
    our_info = {"reused": True} if reuse else prepare_ours(items=items, pg=pg)
    samples = our_samples()
    from django.db import connections
    from django.urls import reverse

    import estatedesk.feedback.escalation  # noqa: F401 - see below

    # Every module this process runs later (the sweep, the raw SQL) loaded now, with the servers' code:
    # the working tree may change during a run, and the run should measure one version of it.
    reverse("feedback:item_list")
    connections.close_all()
    peer_info, peer_url = (
        prepare_peer(items=items, database=database, workdir=workdir, reuse=reuse) if peer else ({}, "")
    )

    ours: dict[str, Any] = {"prepare": our_info, "scenarios": {}}
    theirs: dict[str, Any] = {"prepare": peer_info, "scenarios": {}}
    pairs: dict[str, Any] = {}
    servers: list[subprocess.Popen[bytes]] = []
    try:
        our_port = free_port()
        servers.append(serve_ours(env=env, port=our_port, workers=workers))
        our_base = f"http://127.0.0.1:{our_port}"
        mine = our_scenarios(our_base, samples)
        if peer:
            peer_port = free_port()
            servers.append(
                peer_helpdesk.serve(port=peer_port, workers=workers, database_url=peer_url, workdir=workdir)
            )
            peer_base = f"http://127.0.0.1:{peer_port}"
            client = Client(peer_base)
            peer_helpdesk.login(client)
            their = peer_helpdesk.scenarios(info=peer_info, month=samples["month"])
            log(f"both served ({workers} workers each); equal work as interleaved A/B pairs")
            for pair, our_name, their_name in PAIRS:
                log(f"  pair {pair}: ours {our_name} / peer {their_name}")
                measured = guarded(
                    lambda o=mine[our_name], t=their[their_name]: timed_pairs(
                        o, lambda: t(client), pairs=rounds, budget=budget, min_pairs=min_pairs
                    )
                )
                ours["scenarios"][our_name] = measured.pop("ours", measured)
                theirs["scenarios"][their_name] = measured.pop("peer", measured)
                pairs[pair] = {"ours": our_name, "peer": their_name, **measured}
                if "ratio" in measured:
                    ratio = measured["ratio"]
                    log(
                        f"    ratio {ratio['median']:.2f} ({ratio['p25']:.2f}–{ratio['p75']:.2f}) over "
                        f"{measured['pairs']} pairs"
                    )
        paired = {our_name for _, our_name, _ in PAIRS} if peer else set()
        # ours alone carries no ratio: a median and spread from fewer requests is enough
        solo_rounds, solo_budget = min(rounds, SOLO_ROUNDS), min(budget, SOLO_SECONDS)
        for name, call in mine.items():
            if name in paired:
                continue
            log(f"  ours {name}")
            ours["scenarios"][name] = guarded(
                lambda c=call: timed_rounds(c, rounds=solo_rounds, budget=solo_budget)
            )

        def our_session() -> Client:
            return our_login(our_base, "agent_a")

        for clients in (1, 8):
            name = f"create_{clients}"
            if not peer:
                log(f"  ours intake (API) with {clients} client(s)")
                ours["scenarios"][name] = intake_rate(
                    our_session, our_api_create, clients=clients, seconds=intake_seconds
                )
                continue

            def peer_session() -> Client:
                session = Client(peer_base)
                peer_helpdesk.login(session)
                return session

            log(f"  pair {name}: intake (API) with {clients} client(s), alternating {block:g} s blocks")
            measured = intake_blocks(
                {"ours": (our_session, our_api_create), "peer": (peer_session, their["create"])},
                clients=clients,
                seconds=intake_seconds,
                block=block,
            )
            ours["scenarios"][name] = measured.pop("ours")
            theirs["scenarios"][name] = measured.pop("peer")
            pairs[name] = {"ours": name, "peer": name, "kind": "rate", **measured}
            if measured["ratio"].get("of_totals") is not None:
                log(f"    ratio {measured['ratio']['of_totals']:.2f} over {measured['pairs']} block pairs")
        phones = samples["phones"]
        for clients in (1, 8):
            log(f"  ours intake (hotline form) with {clients} client(s)")
            ours["scenarios"][f"hotline_{clients}"] = intake_rate(
                our_session,
                lambda client: our_hotline_create(client, random.choice(phones)),  # noqa: S311
                clients=clients,
                seconds=intake_seconds,
            )
        ours["rss"] = rss_of_children(servers[0].pid)
        if peer:
            theirs["rss"] = rss_of_children(servers[1].pid)
    finally:
        for server in servers:
            stop(server)
    log("  ours raw SQL and sweep")
    ours["raw_sql"] = in_process(
        lambda: {
            "project": raw_sql_limit(month=samples["month"], project_code="QD-HJ", rounds=SOLO_ROUNDS),
            "company": raw_sql_limit(month=samples["month"], project_code=None, rounds=SOLO_ROUNDS),
        }
    )
    ours["sweep"] = in_process(sweep_scenario)
    ours["month"] = samples["month"]
    ours["whole_period"] = {key: samples[key] for key in ("whole_period", "whole_period_items", "items")}
    return {"ours": ours, "peer": theirs if peer else None, "pairs": pairs}


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


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    """One run as `make bench`/`make bench-quick` makes it: fresh data unless --reuse, both products served,
    the JSON written and RESULTS.md rewritten."""
    workdir = ROOT / "build" / "bench" / f"{args.database}-{args.items}"
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        for old in workdir.glob("*.sqlite3*"):
            old.unlink()
    started = time.perf_counter()
    measured = run_both(
        items=args.items,
        database=args.database,
        workers=args.workers,
        rounds=args.rounds,
        budget=args.budget,
        intake_seconds=args.intake_seconds,
        workdir=workdir,
        reuse=args.reuse,
        peer=not args.no_peer,
        min_pairs=args.min_pairs,
        block=args.block,
    )
    output = {
        "format": 2,  # interleaved A/B pairs, both served at once (report.py reads format 1 as before)
        "method": "interleaved",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "items": args.items,
        "database": args.database,
        "workers": args.workers,
        "rounds": args.rounds,
        "min_pairs": args.min_pairs,
        "budget": args.budget,
        "intake_seconds": args.intake_seconds,
        "block_seconds": args.block,
        "quick": args.quick,
        "load_average": os.getloadavg()[0],
        "seconds": round(time.perf_counter() - started, 1),
        **measured,
    }
    out = BENCH / "results" / f"{args.database}-{args.items}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(output, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {out.relative_to(ROOT)} in {output['seconds']} s")
    import report

    report.write()
    log("wrote bench/RESULTS.md")
    return output


def repeat_runs(args: argparse.Namespace, argv: list[str]) -> None:
    """`--repeat N`: N runs one after the other, each a separate process exactly as `make bench-quick`
    (or the same command without --repeat) runs it; then each run's equal-work ratios side by side and
    their max ÷ min (the check of issue 17: three quick runs within 20%). Written to
    bench/results/stability/<database>-<items>.json."""
    import report

    command = [sys.executable, str(Path(__file__).resolve())]
    skip = False
    for arg in argv:  # the same arguments without --repeat N
        if skip:
            skip = False
        elif arg == "--repeat":
            skip = True
        elif not arg.startswith("--repeat="):
            command.append(arg)
    out = BENCH / "results" / f"{args.database}-{args.items}.json"
    runs: list[dict[str, Any]] = []
    for number in range(1, args.repeat + 1):
        log(f"run {number} of {args.repeat}: {' '.join(command[1:])}")
        before = out.stat().st_mtime if out.exists() else 0.0
        code = subprocess.run(command, check=False).returncode
        wrote = out.exists() and out.stat().st_mtime > before  # measured, even if RESULTS.md then failed
        if wrote:
            runs.append(json.loads(out.read_text()))
        if code:
            log(f"run {number} exited with {code}" + ("" if wrote else "; no results"))
    table = report.stability_table(runs)
    print("\n".join(table))  # noqa: T201
    folder = BENCH / "results" / "stability"
    folder.mkdir(exist_ok=True)
    summary = {
        "command": " ".join(["bench/run.py", *command[2:]]),
        "runs": [
            {"date": run["date"], "seconds": run["seconds"], "load_average": run.get("load_average"),
             "ratios": report.ratios_of(run)}
            for run in runs
        ],
        "table": table,
    }  # fmt: skip
    target = folder / f"{args.database}-{args.items}.json"
    target.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {target.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=5, help="gunicorn workers for both products (default 5)"
    )
    parser.add_argument(
        "--rounds", type=int, default=60, help="A/B pairs per scenario, or our requests alone (at most)"
    )
    parser.add_argument("--min-pairs", type=int, default=MIN_PAIRS, help="A/B pairs per scenario (at least)")
    parser.add_argument("--budget", type=float, default=60, help="seconds per scenario before stopping early")
    parser.add_argument("--intake-seconds", type=float, default=15, help="seconds of intake per product")
    parser.add_argument("--block", type=float, default=1.0, help="seconds per intake block (alternating)")
    parser.add_argument("--no-peer", action="store_true", help="EstateDesk only")
    parser.add_argument("--quick", action="store_true", help="fewer pairs and shorter intake runs")
    parser.add_argument(
        "--reuse", action="store_true", help="development: keep both databases of the last run"
    )
    parser.add_argument("--repeat", type=int, default=1, help="N runs one after the other, ratios compared")
    parser.add_argument(
        "--sweep-only", action="store_true", help="our data and the SLA sweep only; prints, writes nothing"
    )
    args = parser.parse_args()
    global WARMUP
    WARMUP = 2 * args.workers  # gunicorn hands requests to whichever worker is free: give each a chance
    if args.quick:
        args.rounds, args.budget, args.intake_seconds, args.block = 40, 10, 4, 0.5
    if args.repeat > 1:
        repeat_runs(args, sys.argv[1:])
        return
    if args.sweep_only:
        workdir = ROOT / "build" / "bench" / f"{args.database}-{args.items}"
        workdir.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for old in workdir.glob("*.sqlite3*"):
                old.unlink()
        result = sweep_only(items=args.items, database=args.database, workdir=workdir, reuse=args.reuse)
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))  # noqa: T201
        return
    one_run(args)


if __name__ == "__main__":
    main()
