"""bench/results/*.json → bench/RESULTS.md: one side-by-side table per database and size, each ratio
next to its target (the targets of the benchmark issue apply at 1,000,000 items).

    .venv/bin/python bench/report.py

Runs of bench/run.py since issue 17 (`"format": 2`) time the two products as interleaved A/B pairs and
carry a ratio only where both are asked the same question (EQUAL_WORK, INTAKE); what only we are asked,
or what we answer to a different question, is shown beside without a ratio. Older files (no "format")
are rendered as before, marked as the old method (one product after the other, different questions for
the list and the statistics).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TARGET_ITEMS = 1_000_000

# The old method's rows (format 1): (label, our scenario, peer scenario, target ratio peer/ours)
PAGES = [
    ("Staff list (default)", "list", "list", 40),
    ("Staff list filtered (status + category/queue + project)", "list_filtered", "list_filtered", 40),
    (
        "Staff list, last month's items, every status (its: by the list's created-date filter)",
        "list_month",
        "list_month",
        None,
    ),
    ("Item / ticket page", "detail", "detail", 7),
    ("API list, first page", "api_list", "api_list", None),
    ("Month's statistics, company (page) vs its reports page", "stats_company", "reports", 90),
    ("Month's statistics, one project (page) vs its reports page", "stats_project", "reports", 90),
]
# Equal work (format 2): (label, pair as run.py's PAIRS names it, our scenario, target ratio peer/ours).
# Our scenario's name finds our side of a --no-peer run, which has no pairs.
EQUAL_WORK = [
    ("Staff list, open items (ours `?open_only=on`; its default list: open and reopened)", "list_open",
     "list_open", 40),
    ("Staff list, closed items of one project (its: of one queue)", "list_closed_project",
     "list_closed_project", 40),
    ("Staff list, last month's items, every status (its: by the list's created-date filter)", "list_month",
     "list_month", None),
    ("Item / ticket page", "detail", "detail", 7),
    ("API list, first page (every item / ticket)", "api_list", "api_list", None),
    ("Figures over every item: ours by the figures API, whole period¹; its Queue by Status report",
     "stats_whole", "stats_whole_api", 90),
]  # fmt: skip
INTAKE = [
    ("Intake by API, 1 client (items/s)", "create_1", "create_1", 3),
    ("Intake by API, 8 clients (items/s)", "create_8", "create_8", 3),
]
# Ours alone beside the pairs, no ratio: the peer is asked a different question (its default list shows
# open tickets only; it has no month's statistics) or none.
NOT_EQUAL = [
    ("Staff list, our default: every item, newest first (its default is the open list above)", "list"),
    ("Staff list filtered by status, category and project (it has no category)", "list_filtered"),
    ("Month's statistics, company (page; its reports take no period)", "stats_company"),
    ("Month's statistics, one project (page)", "stats_project"),
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


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"  # noqa: PLR2004 - a tenth below 100 ms


def ms_spread(row: dict[str, Any] | None) -> str:
    """Median (quartiles) and p95: `21.3 (19.8–23.0) p95 27.1`."""
    if not row:
        return "—"
    if "error" in row:
        return "error"
    if row.get("rounds") == 1:
        return f"{_number(row['median_ms'])} (once)"
    if "p25_ms" not in row:
        return ms(row)
    return (
        f"{_number(row['median_ms'])} ({_number(row['p25_ms'])}–{_number(row['p75_ms'])}) "
        f"p95 {_number(row['p95_ms'])}"
    )


def rate_spread(row: dict[str, Any] | None) -> str:
    """Items per second over all blocks, and the blocks' quartiles."""
    if not row:
        return "—"
    if "block_rate" not in row:
        return f"{row['per_second']}"
    blocks = row["block_rate"]
    return f"{row['per_second']} ({blocks['p25']:,.1f}–{blocks['p75']:,.1f})"


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
    if data.get("format", 1) >= 2:  # noqa: PLR2004
        return paired_section(data) + details(data)
    return old_section(data) + details(data)


def old_section(data: dict[str, Any]) -> list[str]:
    """A run of the old method (before issue 17): the peer's scenarios, then ours, a few requests each."""
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
        "**Old method, not interleaved:** the peer was served and timed first, then ours, a few requests "
        "each, so a change of load between the two moved the ratios; and the default list and the "
        "statistics rows compare different questions (every item against its open tickets; our month "
        "against its all-time report). Rerun `bench/run.py` for the equal-work, interleaved tables.",
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
    return [*lines, ""]


def _header(data: dict[str, Any]) -> list[str]:
    machine = data["machine"]
    return [
        f"## {data['items']:,} items on {'PostgreSQL' if data['database'] == 'postgres' else 'SQLite'}"
        + (" (quick run)" if data.get("quick") else ""),
        "",
        f"Run {data['date']}, {machine['cores']} cores ({machine['cpu']}), {machine['memory_mb']:,} MB, "
        f"Python {machine['python']}; gunicorn with {data['workers']} sync workers for each, both served "
        f"at once, DEBUG off, 127.0.0.1; whole run {data['seconds']:,.0f} s"
        + (f", load average {data['load_average']:.1f} at its end" if data.get("load_average") else "")
        + ".",
        "",
    ]


def pair_ratio(pair: dict[str, Any] | None) -> float | None:
    """The ratio a pair of scenarios reports: the median of its pairs' ratios; for intake (`kind` rate)
    the ratio of the two rates over all the interleaved blocks (run.intake_blocks says why)."""
    if not pair or "ratio" not in pair:
        return None
    ratio = pair["ratio"]
    if pair.get("kind") == "rate" and ratio.get("of_totals") is not None:
        return float(ratio["of_totals"])
    return ratio.get("median")


def ratio_cell(pair: dict[str, Any] | None) -> str:
    """The ratio and the quartiles of the per-pair (per-round) ratios: `4.2× (3.9–4.6)`."""
    value = pair_ratio(pair)
    if pair is None or value is None:
        return "—"
    ratio = pair["ratio"]
    if pair.get("pairs") == 1 or "p25" not in ratio:
        return f"{value:,.1f}×" + (" (once)" if pair.get("pairs") == 1 else "")
    return f"{value:,.1f}× ({ratio['p25']:,.1f}–{ratio['p75']:,.1f})"


def paired_section(data: dict[str, Any]) -> list[str]:
    """A run of the interleaved method (format 2): equal work with ratios, the rest beside without."""
    ours, peer = data["ours"], data.get("peer") or {}
    ours_s, peer_s = ours["scenarios"], peer.get("scenarios", {})
    pairs = data.get("pairs", {})
    applies = data["items"] >= TARGET_ITEMS and not data.get("quick")
    lines = [
        *_header(data),
        "**Equal work, interleaved.** Both products asked the same question as A/B pairs, one request to "
        "each, the first of the pair alternating; a side much faster than the other is asked several "
        "times in its half of a pair (its median counts). Times in ms: median (p25–p75) p95 of every "
        "request after the warm-up (two requests per worker and side). Ratio: the peer's time ÷ ours, "
        "the median of the pairs' ratios (their p25–p75); intake in alternating blocks of "
        f"{data.get('block_seconds', 1):g} s, {data.get('intake_seconds', '?'):g} s each, ratio ours ÷ "
        "the peer's over all blocks (p25–p75: the rounds' ratios). Higher is better for us.",
        "",
        "| scenario | EstateDesk ms | django-helpdesk 2.6.1 ms | ratio | pairs | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, name, our_name, target in EQUAL_WORK:
        pair = pairs.get(name, {})
        mine = ours_s.get(our_name)
        theirs = peer_s.get(pair.get("peer", ""))
        ratio = pair.get("ratio", {}).get("median")
        _, verdict = ratio_text(ratio, target, applies)
        count = pair.get("pairs", "—")
        cells = f"{ms_spread(mine)} | {ms_spread(theirs)} | {ratio_cell(pair)} | {count}"
        lines.append(f"| {label} | {cells} | {verdict} |")
    for label, name, _, target in INTAKE:
        pair = pairs.get(name, {})
        _, verdict = ratio_text(pair_ratio(pair), target, applies)
        lines.append(
            f"| {label} | {rate_spread(ours_s.get(name))} | {rate_spread(peer_s.get(name))} | "
            f"{ratio_cell(pair)} | {pair.get('pairs', '—')} | {verdict} |"
        )
    whole = ours.get("whole_period", {})
    if whole:
        covered = (
            "every item"
            if whole["whole_period_items"] >= whole["items"]
            else f"{whole['whole_period_items']:,} of {whole['items']:,} items"
        )
        lines += [
            "",
            f"¹ `/api/analytics/metrics/?scope=company&period={whole['whole_period']}` ({covered}). Our "
            "statistics page and its API take one month only; the dashboards' figures API takes custom "
            "dates up to three years, the data's span. It computes more than the peer's report (which "
            "counts tickets by queue and status): every figure (SLA clocks, handling time, visits, quality, "
            "surveys, per branch), and the period before and the same period a year earlier too. The "
            "peer's reports take no period (a saved query is read, not applied) and its API filters by "
            "status only: the one period it takes is its ticket list's created-date filter, the month's "
            "list above. No month's statistics to compare, so ours are beside, without a ratio.",
        ]
    lines += [
        "",
        "**Beside, no ratio** (ours alone, timed after the pairs; median (p25–p75) p95 ms): a different "
        "question from the peer's, or one it has no page for.",
        "",
        "| scenario | EstateDesk ms |",
        "|---|---:|",
    ]
    for label, name in NOT_EQUAL + OURS_ONLY:
        if name in ours_s:
            lines.append(f"| {label} | {ms_spread(ours_s.get(name))} |")
    for clients in (1, 8):
        row = ours_s.get(f"hotline_{clients}")
        if row:
            lines.append(
                f"| Intake by the hotline screen, {clients} client{'s' if clients > 1 else ''} "
                f"(screen + submit, items/s) | {row['per_second']} |"
            )
    return [*lines, ""]


def ratios_of(data: dict[str, Any]) -> dict[str, float | None]:
    """Each equal-work pair's ratio (`pair_ratio`) in a run of format 2."""
    pairs = data.get("pairs", {})
    return {name: pair_ratio(pairs.get(name)) for _, name, _, _ in EQUAL_WORK + INTAKE}


STABLE = 1.2  # issue 17: three quick runs agree within 20% (max ÷ min)


def stability_table(runs: list[dict[str, Any]]) -> list[str]:
    """The equal-work ratios of several runs side by side, with max ÷ min (run.py --repeat)."""
    lines = [
        "| equal work | "
        + " | ".join(f"run {n}" for n in range(1, len(runs) + 1))
        + " | max ÷ min | ≤ 1.2 |",
        "|---|" + "---:|" * len(runs) + "---:|---|",
    ]
    every = [ratios_of(run) for run in runs]
    for label, name, _, _ in EQUAL_WORK + INTAKE:
        values = [ratios[name] for ratios in every]
        cells = [f"{value:,.2f}×" if value is not None else "—" for value in values]
        known = [value for value in values if value]
        if len(known) == len(values) and known:
            spread = max(known) / min(known)
            verdict = "yes" if spread <= STABLE else "**no**"
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {spread:.2f} | {verdict} |")
        else:
            lines.append(f"| {label} | " + " | ".join(cells) + " | — | — |")
    return lines


def details(data: dict[str, Any]) -> list[str]:
    """What both methods record alike: the raw-SQL limit, memory, database size, loading, the sweep."""
    ours, peer = data["ours"], data.get("peer") or {}
    ours_s = ours["scenarios"]
    applies = data["items"] >= TARGET_ITEMS and not data.get("quick")
    lines: list[str] = []
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
    if sweep and "error" in sweep:
        lines += [f"**SLA sweep.** Failed in this run: {sweep['error']}", ""]
    elif sweep:
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
