"""bench/results/*.json → bench/RESULTS.md: one side-by-side table per database and size, each ratio
next to its target (the targets of the benchmark issue apply at 1,000,000 items).

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TARGET_ITEMS = 1_000_000

# (label, our scenario, peer scenario, target ratio peer/ours)
PAGES = [
    ("Staff list (default)", "list", "list", 40),
    ("Staff list filtered (status + category/queue + project)", "list_filtered", "list_filtered", 40),
    ("Item / ticket page", "detail", "detail", 7),
    ("API list, first page", "api_list", "api_list", None),
    ("Month's statistics, company (page) vs its reports page", "stats_company", "reports", 90),
    ("Month's statistics, one project (page) vs its reports page", "stats_project", "reports", 90),
]
OURS_ONLY = [
    ("Month's statistics, company (API)", "stats_company_api"),
    ("Month's statistics, one project (API)", "stats_project_api"),
    ("Caller lookup: hotline screen for a phone number", "lookup"),
    ("Caller lookup: API, last four digits", "lookup_api"),
    ("Word search, company: 漏水 (about 6% of the items)", "search_common"),
    ("Word search, company: 噪音 扰民 (two words)", "search_two_words"),
    ("Word search, company: 热水器 (on no item)", "search_absent"),
    ("Word search, one project: 漏水", "search_project"),
    ("Word search, API: 噪音", "search_api"),
]


def ms(row: dict[str, Any] | None) -> str:
    if not row:
        return "—"
    if "error" in row:
        return "error"
    if row.get("rounds") == 1:
        return f"{row['median_ms']:,.0f} (once)"
    return f"{row['median_ms']:,.1f} / {row['p95_ms']:,.1f}"


def ratio_text(ratio: float | None, target: float | None, applies: bool) -> tuple[str, str]:
    if ratio is None:
        return "—", ""
    shown = f"{ratio:,.1f}×"
    if target is None:
        return shown, ""
    if not applies:
        return shown, f"(≥ {target}× applies at 1M)"
    verdict = "met" if ratio >= target else f"**missed** ({ratio / target:.0%} of target)"
    return shown, f"≥ {target}×: {verdict}"


def section(data: dict[str, Any]) -> list[str]:
    ours, peer = data["ours"], data.get("peer") or {}
    ours_s, peer_s = ours["scenarios"], peer.get("scenarios", {})
    applies = data["items"] >= TARGET_ITEMS and not data.get("quick")
    lines = [
        f"## {data['items']:,} items on {'PostgreSQL' if data['database'] == 'postgres' else 'SQLite'}"
        + (" (quick run)" if data.get("quick") else ""),
        "",
        f"Run {data['date']}, {data['machine']['cores']} cores ({data['machine']['cpu']}), "
        f"{data['machine']['memory_mb']:,} MB, Python {data['machine']['python']}; gunicorn with "
        f"{data['workers']} sync workers for both, DEBUG off, 127.0.0.1; whole run {data['seconds']:,.0f} s. "
        f"Times are median / p95 in ms over up to {data.get('rounds', '?')} timed requests, "
        "after two warm-up requests per worker.",
        "",
        "| scenario | EstateDesk ms | django-helpdesk 2.6.1 ms | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for label, mine, theirs, target in PAGES:
        a, b = ours_s.get(mine), peer_s.get(theirs)
        ratio = b["median_ms"] / a["median_ms"] if a and b and "error" not in a and "error" not in b else None
        shown, verdict = ratio_text(ratio, target, applies)
        lines.append(f"| {label} | {ms(a)} | {ms(b)} | {shown} | {verdict} |")
    for clients in (1, 8):
        a, b = ours_s.get(f"create_{clients}"), peer_s.get(f"create_{clients}")
        ratio = a["per_second"] / b["per_second"] if a and b and b["per_second"] else None
        shown, verdict = ratio_text(ratio, 3, applies)
        lines.append(
            f"| Intake by API, {clients} client{'s' if clients > 1 else ''} (items/s) | "
            f"{a['per_second'] if a else '—'} | {b['per_second'] if b else '—'} | {shown} | {verdict} |"
        )
    for label, name in OURS_ONLY:
        if name in ours_s or not name.startswith("search_"):  # runs before the word search lack it
            lines.append(f"| {label} | {ms(ours_s.get(name))} | — | | |")
    for clients in (1, 8):
        row = ours_s.get(f"hotline_{clients}")
        if row:
            lines.append(
                f"| Intake by the hotline screen, {clients} client{'s' if clients > 1 else ''} "
                f"(screen + submit, items/s) | {row['per_second']} | — | | |"
            )
    lines.append("")

    raw = ours.get("raw_sql", {})
    if raw:
        lines += [
            "**Raw-SQL limit.** Each statistic as one hand-written query (counts by kind, category, channel "
            "and status; SLA met/breached per clock; average handling time) on the same database, "
            "medians summed, "
            "against our statistics API over HTTP:",
            "",
            "| month's statistics | raw SQL, 6 queries (ms) | EstateDesk API (ms) | multiple of the limit "
            "| target |",
            "|---|---:|---:|---:|---|",
        ]
        for scope, name in (("company", "stats_company_api"), ("project", "stats_project_api")):
            limit = raw.get(scope, {}).get("total_median_ms")
            api = ours_s.get(name, {}).get("median_ms")
            if limit and api:
                multiple = api / limit
                verdict = (
                    f"≤ 3×: {'met' if multiple <= 3 else '**missed**'}" if applies else "(≤ 3× applies at 1M)"
                )
                lines.append(f"| {scope} | {limit:,.1f} | {api:,.1f} | {multiple:,.2f}× | {verdict} |")
        lines.append("")

    def peak(rows: list[dict[str, int]]) -> str:
        return f"{max(row['peak_kb'] for row in rows) / 1024:,.0f} MB" if rows else "—"

    our_peak = max((row["peak_kb"] for row in ours.get("rss", [])), default=0) / 1024
    rss_verdict = ("met" if our_peak < 200 else "**missed**") if our_peak else "—"
    lines += [
        "**Memory.** Peak RSS of the largest worker after all scenarios: "
        f"EstateDesk {peak(ours.get('rss', []))} "
        f"(target < 200 MB: {rss_verdict}), django-helpdesk {peak(peer.get('rss', []))}.",
        "",
    ]
    ours_db = ours.get("prepare", {}).get("db_bytes")
    peer_db = peer.get("prepare", {}).get("db_bytes")
    if ours_db:
        per_item = ours_db / data["items"]
        text = f"**Database size.** EstateDesk {ours_db / 2**20:,.0f} MB ({per_item:,.0f} bytes per item"
        text += f", {ours['prepare'].get('events', 0):,} timeline events)"
        if peer_db:
            per_ticket = peer_db / data["items"]
            text += f"; django-helpdesk {peer_db / 2**20:,.0f} MB ({per_ticket:,.0f} bytes per ticket)"
        lines += [text + ".", ""]
    load = ours.get("prepare", {}).get("load_seconds")
    if load:
        text = f"**Loading.** {data['items']:,} items with their events in {load:,.0f} s"
        if peer.get("prepare", {}).get("load_seconds"):
            text += f" (the peer's tickets: {peer['prepare']['load_seconds']:,.0f} s)"
        lines += [text + ".", ""]
    sweep = ours.get("sweep")
    if sweep:
        lines += [_sweep_text(sweep), ""]
    return lines


def _sweep_text(sweep: dict[str, Any]) -> str:
    text = (
        f"**SLA sweep.** {sweep['overdue']:,} of {sweep['items']:,} items overdue "
        f"({sweep['overdue_percent']}%), none escalated yet. "
    )
    if "catch_up_runs" not in sweep:  # the sweep before ADR 0010: 500 items per clock and run
        return text + (
            f"One sweep (as the per-minute job runs it, 500 items per clock): "
            f"{sweep['first_run_seconds']} s for {sweep['first_run_escalations']:,} escalations "
            f"({sweep['escalations_per_second']}/s, each with its notifications and timeline event); "
            f"the next sweep {sweep['second_run_seconds']} s ({sweep['second_run_escalations']:,} more)."
        )
    return text + (
        f"{sweep['due_for_a_look']:,} items due for a look. One sweep (as the per-minute job runs it): "
        f"{sweep['first_run_items']:,} items, {sweep['first_run_escalations']:,} escalations in "
        f"{sweep['first_run_seconds']} s ({sweep['escalations_per_second']}/s, each with its "
        f"notifications and timeline event); "
        f"{'the whole backlog' if not sweep['left_due'] else 'all but ' + format(sweep['left_due'], ',')} "
        f"in {sweep['catch_up_runs']} runs, "
        f"{sweep['catch_up_seconds']} s ({sweep['catch_up_escalations']:,} escalations, "
        f"{sweep['catch_up_escalations_per_second']}/s); a sweep with nothing due "
        f"{sweep['idle_run_ms']['median_ms']} ms."
    )


SEARCH_TARGET_MS = 50
SEARCH_ROWS = [(label, key) for label, key in OURS_ONLY if key.startswith("search_")]


def search_sections() -> list[str]:
    """Word search at scale (issue 17 item 4, ADR 0019): EstateDesk-only runs of run.py kept in
    results/search/ (the peer has no word search over an index to compare with)."""
    runs = load_runs(RESULTS / "search")
    if not runs:
        return []
    lines = [
        "## Word search (issue 17, ADR 0019)",
        "",
        "EstateDesk only (`bench/run.py --no-peer`, results in `bench/results/search/`): the staff list "
        "searched for words as HQ (every project), median / p95 in ms over HTTP, target "
        f"≤ {SEARCH_TARGET_MS} ms at 1M. The default list of the same run beside them.",
        "",
        "| scenario | " + " | ".join(f"{run['database']}, {run['items']:,} items" for run in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for label, key in [("Staff list (default), same run", "list"), *SEARCH_ROWS]:
        cells = []
        for run in runs:
            row = run["ours"]["scenarios"].get(key)
            met = row and "median_ms" in row and row["median_ms"] <= SEARCH_TARGET_MS
            cells.append(ms(row) + ("" if key == "list" or not row else (" ✓" if met else " **missed**")))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    dates = ", ".join(f"{run['database']} {run['date'][:10]}" for run in runs)
    return [*lines, "", f"Runs: {dates}.", ""]


def load_runs(folder: Path) -> list[dict[str, Any]]:
    """The run files of a folder, largest first, then by database."""
    runs = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return sorted(runs, key=lambda run: (-run["items"], run["database"]))


def write() -> Path:
    runs = load_runs(RESULTS)
    lines = [
        "# Benchmark results",
        "",
        "EstateDesk against django-helpdesk 2.6.1 (the closest Python peer, from the package registry, "
        "Django 5.2, in its own virtual environment) on the same machine, the same data volume and the same "
        "server settings. Ratios are the peer's time divided by ours (higher is better for us; for intake, "
        "our rate divided by "
        "the peer's). How the data and scenarios are built: `bench/generate.py`, `bench/peer_helpdesk.py`, "
        "`bench/run.py`.",
        "",
        "Reproduce: `make bench` (1,000,000 items, SQLite and PostgreSQL) or `make bench-quick` "
        "(10,000 items, SQLite, a few minutes). This file is rewritten from `bench/results/*.json` by "
        "`bench/report.py`.",
        "",
    ]
    analysis = BENCH / "ANALYSIS.md"  # written by hand after a full run: why a target is missed, what is next
    if analysis.exists():
        lines += [analysis.read_text().rstrip(), ""]
    for run in runs:
        lines += section(run)
    import analytics  # noqa: PLC0415 - bench/analytics.py: the dashboards and pack section (issue 15)

    lines += analytics.sections()
    lines += search_sections()
    target = BENCH / "RESULTS.md"
    target.write_text("\n".join(lines).rstrip() + "\n")
    return target


if __name__ == "__main__":
    print(write())  # noqa: T201
