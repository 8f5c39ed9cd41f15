"""A few of our pages over HTTP on a data set run.py has already made (no peer, no intake, no sweep): a quick
before/after check of page work without a whole run.

    .venv/bin/python bench/page_times.py --items 1000000                    # build/bench/sqlite-1000000
    .venv/bin/python bench/page_times.py --items 1000000 --database postgres
    .venv/bin/python bench/page_times.py --items 1000000 --page list_open --rounds 60

Served as run.py serves us (gunicorn, DEBUG off, the same workers), signed in as HQ; each page is timed
after each worker's warm-up; prints median, p25–p75 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import run  # noqa: E402 - the bench's server, client and timing helpers


def paths(samples: dict[str, Any]) -> dict[str, str]:
    month = samples["month"]
    return {
        "floor": "/healthz",  # no page: the server, the client and the middleware, signed in
        "list": "/feedback/",
        "list_open": "/feedback/?open_only=on",
        "list_filtered": "/feedback/?status=closed&project=QD-HJ",
        "detail": f"/feedback/{samples['references'][0]}/",
        "api_list": "/api/feedback/items/",
        "stats_project": f"/feedback/statistics/?month={month}&project=QD-HJ",
        # word search (ADR 0019), as run.py's search scenarios
        "search_common": f"/feedback/?q={quote('漏水')}",
        "search_two_words": f"/feedback/?q={quote('噪音 扰民')}",
        "search_absent": f"/feedback/?q={quote('热水器')}",
        "search_project": f"/feedback/?q={quote('漏水')}&project=QD-HJ",
        "search_api": f"/api/feedback/items/?search={quote('噪音')}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    args = parser.parse_args()
    run.WARMUP = 2 * args.workers
    pg = args.database == "postgres"
    workdir = ROOT / "build" / "bench" / f"{args.database}-{args.items}"
    database_url = run.ensure_pg_database("bench_estatedesk") if pg else ""
    env = run.our_environment(database_url, workdir)
    run.setup_django(env)
    from django.db import connections

    from estatedesk.feedback.models import FeedbackItem

    found = FeedbackItem.objects.count()
    if found < args.items * 0.9:
        sys.exit(
            f"{found:,} items in the {args.database} data set: run bench/run.py --items {args.items} first"
        )
    samples = run.our_samples()
    connections.close_all()
    port = run.free_port()
    server = run.serve_ours(env=env, port=port, workers=args.workers)
    results: dict[str, Any] = {}
    try:
        hq = run.our_login(f"http://127.0.0.1:{port}", "hq")
        for name, path in paths(samples).items():
            if args.page and name not in args.page:
                continue
            row = run.timed_rounds(lambda p=path: hq.get(p), rounds=args.rounds, budget=60)
            results[name] = row
            print(f"{name:14} {json.dumps(row)}")  # noqa: T201 - the report
    finally:
        run.stop(server)
    medians = [row["median_ms"] for row in results.values() if "median_ms" in row]
    if medians:
        print(f"median of the medians: {statistics.median(medians):.1f} ms")  # noqa: T201


if __name__ == "__main__":
    main()
