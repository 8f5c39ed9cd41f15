"""Where a page's time goes, in this process (issue 17, item 3): each page is requested through Django's
whole stack (middleware, session, view, templates) with the test client, signed in as the bench's users,
and profiled with cProfile. Every function's own time (not its callees') is put in one bucket by the file
it lives in, so the buckets add up to the (profiled) request's time:

- SQL: the database driver (sqlite3 / psycopg calls) and Django's backend wrappers around it;
- ORM: building queries and model instances (django/db/models);
- templates: django/template, the template tags and filters (ours included: */templatetags/*);
- forms: django/forms (widgets, choices, rendering of fields);
- middleware and auth: django/middleware, sessions, auth, messages, our middleware (*/middleware.py);
- our Python: the rest of estatedesk/ (views, selectors, services);
- translation: django/utils/translation and gettext;
- other: what is left at the top of the call graph.
A helper every layer uses (built-ins, the standard library, django/utils, URL reversing, HTML escaping) is
counted in the bucket of the caller that spent most time in it.

    .venv/bin/python bench/profile_pages.py --items 10000                 # builds build/profile-10000 once
    .venv/bin/python bench/profile_pages.py --items 1000000 --workdir build/bench/sqlite-1000000
    .venv/bin/python bench/profile_pages.py --database postgres           # bench_estatedesk as run.py left it
    .venv/bin/python bench/profile_pages.py --page list --top 30          # one page, its top functions

The wall time printed beside the buckets is measured without the profiler (median of --rounds requests);
the profiler's own overhead inflates the buckets, so read them as shares.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import run  # noqa: E402 - the bench's environment and data set helpers

BUCKETS = (
    "SQL",
    "ORM",
    "templates",
    "forms",
    "middleware and auth",
    "our Python",
    "translation",
    "other",
)


def _own_bucket(filename: str, function: str) -> str | None:
    """The bucket of a function by its own file; None for a helper used by every layer (built-ins, the
    standard library, django/utils, URL reversing), whose time goes to the bucket of its caller."""
    path = filename.replace("\\", "/")
    if path == "~":  # a built-in: the database driver's calls are SQL, the rest belongs to their caller
        return "SQL" if "sqlite3" in function or "psycopg" in function else None
    if (
        "/django/db/backends/" in path
        or "/psycopg/" in path
        or "/sqlite3/" in path
        or "/django/db/utils" in path
    ):
        return "SQL"
    if "/django/db/" in path:
        return "ORM"
    if "/django/template/" in path or "/templatetags/" in path:
        return "templates"
    if "/django/forms/" in path:
        return "forms"
    if (
        "/django/middleware/" in path
        or "/django/contrib/sessions/" in path
        or "/django/contrib/auth/" in path
        or "/django/contrib/messages/" in path
        or "/django/core/handlers/" in path
        or "/whitenoise/" in path
        or "/axes/" in path
        or "/django_htmx/" in path
        or path.endswith("/middleware.py")
    ):
        return "middleware and auth"
    if "/django/utils/translation/" in path or path.endswith("/gettext.py"):
        return "translation"
    if "/estatedesk/" in path:
        return "our Python"
    return None


def breakdown(profile: cProfile.Profile, requests: int) -> dict[str, float]:
    """Milliseconds of own time per bucket, per request. A shared helper's own time is given to the bucket
    of the caller that spent most time in it (followed up the call graph until a bucket is found)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    memo: dict[Any, str] = {}

    def bucket_of(key: Any, depth: int = 0) -> str:
        if key in memo:
            return memo[key]
        filename, _line, function = key
        found = _own_bucket(filename, function)
        if found is None:
            callers = stats.get(key, (0, 0, 0, 0, {}))[4]
            if not callers or depth > 40:
                found = "other"
            else:
                main_caller = max(callers, key=lambda caller: callers[caller][3])
                found = bucket_of(main_caller, depth + 1) if main_caller != key else "other"
        memo[key] = found
        return found

    totals = dict.fromkeys(BUCKETS, 0.0)
    for key, (_cc, _nc, own, _cum, _callers) in stats.items():
        totals[bucket_of(key)] += own
    return {name: round(seconds * 1000 / requests, 2) for name, seconds in totals.items()}


def pages(samples: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name: (username, path). The staff list as opened, asked as the peer's default (open items), filtered,
    an item, the API list, a project's month statistics."""
    month = samples["month"]
    reference = samples["references"][0]
    return {
        "list": ("hq", "/feedback/"),
        "list_open": ("hq", "/feedback/?open_only=on"),
        "list_filtered": ("hq", "/feedback/?status=closed&category=engineering&project=QD-HJ"),
        "detail": ("hq", f"/feedback/{reference}/"),
        "api_list": ("hq", "/api/feedback/items/"),
        "stats_project": ("hq", f"/feedback/statistics/?month={month}&project=QD-HJ"),
        "home": ("agent_a", "/"),
    }


def measure(get: Callable[[], Any], *, rounds: int, top: int, sort: str = "tottime") -> dict[str, Any]:
    from django.db import connection

    sql_seconds = [0.0]

    def timed_sql(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[0] += time.perf_counter() - started

    for _ in range(3):  # warm: templates compiled, catalogues read, caches filled
        response = get()
        assert response.status_code == 200, response.status_code
    walls, queries = [], 0
    with connection.execute_wrapper(timed_sql):
        for _ in range(rounds):
            started = time.perf_counter()
            get()
            walls.append((time.perf_counter() - started) * 1000)
    sql_wall = sql_seconds[0] * 1000 / rounds
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get()
    queries = len(captured.captured_queries)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(rounds):
        get()
    profile.disable()
    result: dict[str, Any] = {
        "wall_ms": round(statistics.median(walls), 2),
        "sql_wall_ms": round(sql_wall, 2),
        "queries": queries,
        "profiled_ms": breakdown(profile, rounds),
    }
    if top:
        stats = pstats.Stats(profile)
        stats.sort_stats(sort).print_stats(top)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workdir", type=Path, help="the SQLite data directory (default build/profile-N)")
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--top", type=int, default=0, help="print the profile's top functions by own time")
    parser.add_argument(
        "--sort", default="tottime", choices=["tottime", "cumulative"], help="order of --top (default: own)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    pg = args.database == "postgres"
    workdir = (args.workdir or ROOT / "build" / f"profile-{args.items}").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = run.ensure_pg_database("bench_estatedesk") if pg else ""
    env = run.our_environment(database_url, workdir)
    run.setup_django(env)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from estatedesk.feedback.models import FeedbackItem

    call_command("migrate", verbosity=0)
    if not FeedbackItem.objects.exists():
        run.prepare_ours(items=args.items, pg=pg)
    samples = run.our_samples()
    clients: dict[str, Client] = {}
    users = get_user_model().objects
    results: dict[str, Any] = {}
    for name, (username, path) in pages(samples).items():
        if args.page and name not in args.page:
            continue
        if username not in clients:
            clients[username] = Client(HTTP_HOST="127.0.0.1")
            clients[username].force_login(users.get(username=username))
        client = clients[username]
        results[name] = measure(
            lambda c=client, p=path: c.get(p), rounds=args.rounds, top=args.top, sort=args.sort
        )
        row = results[name]
        shares = ", ".join(f"{k} {v}" for k, v in row["profiled_ms"].items() if v >= 0.05)
        print(  # noqa: T201 - the report
            f"{name:14} {row['wall_ms']:7.2f} ms wall, SQL {row['sql_wall_ms']:.2f} ms"
            f" in {row['queries']} queries; profiled: {shares}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
