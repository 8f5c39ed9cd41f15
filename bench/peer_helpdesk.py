"""The benchmark's peer: django-helpdesk 2.6.1 on Django 5.2, in its own virtual environment.

    python bench/peer_helpdesk.py prepare --items 10000 [--database-url URL] [--workdir DIR]
    python bench/peer_helpdesk.py serve --port 8871 [--workers 5] [--database-url URL]
    python bench/peer_helpdesk.py scenarios --port 8871 [--rounds 5]   # time each scenario once served

bench/run.py imports this module from our virtual environment (Python 3.12, Django 6.1), so nothing here
imports Django or helpdesk at module level: the peer venv (build/bench/helpdesk-venv, pinned by
bench/helpdesk-requirements.txt) is driven through subprocesses. The data load runs this same file with the
peer's Python (`_load`, inside bench/helpdesk_site's settings): a fresh schema, migrate, the staff superuser
"bench", 200 queues (one per property project) and N tickets with about three follow-ups each, spread over
the last three years, by executemany (SQLite) or COPY (PostgreSQL) with the secondary indexes dropped during
the load, then ANALYZE (and VACUUM on PostgreSQL). The scenarios drive the peer's pages and API over HTTP as
a staff user's browser does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bulkload import DETAILS, BulkWriter, database_bytes, weighted
from httpbench import Client, Response, time_requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = ROOT / "build" / "bench" / "helpdesk-venv"
REQUIREMENTS = BENCH / "helpdesk-requirements.txt"
STAMP = VENV / ".requirements-sha256"
MANUAL_WORKDIR = ROOT / "build" / "bench" / "helpdesk-manual"
INFO_FILE = "helpdesk-info.json"

USERNAME = "bench"
PASSWORD = "bench-2026"  # noqa: S105 - a benchmark account on 127.0.0.1
QUEUES = 200
SEED = 2026
YEARS = 3
CHUNK = 50_000
SECRET_KEY = secrets.token_urlsafe(50)

# helpdesk's default statuses (helpdesk/settings.py)
OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5

TICKET_COLUMNS = [
    "id", "title", "queue_id", "created", "modified", "submitter_email", "assigned_to_id", "status",
    "on_hold", "description", "resolution", "priority", "due_date", "last_escalation", "secret_key",
    "kbitem_id", "merged_to_id",
]  # fmt: skip
FOLLOWUP_COLUMNS = [
    "ticket_id", "date", "title", "comment", "public", "user_id", "new_status", "message_id", "time_spent",
    "email_recipients",
]  # fmt: skip

CITIES = ["青岛", "济南", "烟台", "潍坊", "临沂", "淄博", "威海", "日照", "泰安", "德州"]
ESTATES = [
    "海景花园", "锦绣华庭", "翡翠城", "阳光100", "金色家园", "万和苑", "碧水湾", "丽都名苑", "枫林绿洲",
    "御景湾", "书香门第", "东方名城", "世纪花园", "香榭丽舍", "和谐家园", "绿城玉园", "悦澜山", "中央公园",
    "观澜府", "春和景明",
]  # fmt: skip
TITLES = [
    "电梯停运", "卫生间漏水", "楼道灯不亮", "门禁失灵", "水压太低", "外墙渗水", "车库积水", "夜间噪音扰民",
    "车辆乱停放", "垃圾未及时清运", "楼道卫生差", "草坪枯黄", "前台电话无人接听", "物业费账单有误",
    "停车费标准咨询", "快递柜故障", "保安态度恶劣", "报修进度无人告知", "高空抛物", "宠物未拴绳",
]  # fmt: skip
COMMENTS = [
    "已联系业主，安排师傅上门。",
    "维修中，材料已申请。",
    "已回访业主，业主表示满意。",
    "等待业主确认时间。",
]
# (status, weight) for tickets older than 30 days and for the last 30 days: about 5% open overall
STATUS_OLD = [(CLOSED, 79), (RESOLVED, 13), (OPEN, 3.8), (REOPENED, 2.2), (DUPLICATE, 2)]
STATUS_RECENT = [(OPEN, 40), (REOPENED, 5), (RESOLVED, 25), (CLOSED, 28), (DUPLICATE, 2)]
PRIORITIES = [(3, 60), (4, 20), (2, 12), (5, 5), (1, 3)]

# the ticket list's DataTables columns (templates/helpdesk/ticket_list.html, KB and time spent enabled)
DATATABLE_COLUMNS = [
    ("id", False), ("ticket", True), ("priority", True), ("queue", True), ("status", True), ("created", True),
    ("due_date", True), ("assigned_to", True), ("submitter", True), ("last_followup", True),
    ("time_spent", True), ("kbitem", True),
]  # fmt: skip
DATATABLES_URL = re.compile(r'"url":\s*"(/datatables_ticket_list/[^"]+)"')
JSON = {"Accept": "application/json"}
# The reports scenario: helpdesk's "Queue by Status" report (reports/queuestatus), tickets counted per queue
# (project) and status: the nearest of its standard reports to our counts by kind/category/status, and the
# heaviest. helpdesk's reports have no period filter, so it counts every ticket, in Python, over one query
# that reads them all (at 1M on SQLite: queuestatus 186 s, the /reports/ index with its queue x status grid
# 134 s, queuemonth 67 s, one request each). Nor can a month be had another way: run_report (2.6.1,
# views/staff.py) loads a `?saved_query=` but never applies it to the tickets it counts (`Query(...)` is built
# and dropped), and its API (/api/tickets/) filters by status only. The one place it takes dates is the ticket
# list (`date_from`/`date_to` on `created`, heeded only beside another filter such as `status`): the month's
# tickets as a list, which the `list_month` scenario asks for.
REPORTS_PATH = "/reports/queuestatus/"
ALL_STATUSES = (OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE)


# --- the peer venv ------------------------------------------------------------------------------------------


def _python312() -> str:
    """A Python 3.12 to build the venv with: $HELPDESK_PYTHON, this one, python3.12 on PATH, or pyenv's."""
    if os.environ.get("HELPDESK_PYTHON"):
        return os.environ["HELPDESK_PYTHON"]
    if sys.version_info[:2] == (3, 12):
        return sys.executable
    if found := shutil.which("python3.12"):
        return found
    if shutil.which("pyenv"):
        reply = subprocess.run(["pyenv", "which", "python3.12"], capture_output=True, text=True, check=False)
        if reply.returncode == 0 and reply.stdout.strip():
            return reply.stdout.strip()
    raise RuntimeError("no Python 3.12 found for the django-helpdesk venv (set HELPDESK_PYTHON)")


def ensure_venv() -> Path:
    """Create build/bench/helpdesk-venv from bench/helpdesk-requirements.txt unless its stamp (the file's
    SHA-256) says it is current; return the venv's python."""
    python = VENV / "bin" / "python"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    if VENV.exists():
        shutil.rmtree(VENV)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_python312(), "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    STAMP.write_text(digest + "\n")
    return python


def _environment(database_url: str, workdir: Path) -> dict[str, str]:
    """The peer's environment: our own Django, path and database variables replaced by the peer's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
        and not key.startswith("HELPDESK_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk_site.settings",
        PYTHONPATH=str(BENCH),
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        HELPDESK_MEDIA_ROOT=str(workdir / "helpdesk-media"),
        PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


# --- prepare and serve (from our venv) ----------------------------------------------------------------------


def prepare(
    *, items: int, database_url: str, workdir: Path, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """A fresh peer database with `items` tickets: load time, size, queue ids and 50 sample ticket ids."""
    if items < 50:
        raise ValueError("at least 50 items")
    python = ensure_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(python), str(Path(__file__).resolve()), "_load", "--items", str(items)],
        cwd=BENCH,
        env=_environment(database_url, workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    for line in process.stderr:
        log(f"  helpdesk: {line.rstrip()}")
    output = process.stdout.read()
    if process.wait() != 0:
        raise RuntimeError(f"django-helpdesk data load failed (exit {process.returncode})")
    info: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    (workdir / INFO_FILE).write_text(json.dumps(info) + "\n")
    return info


def serve(*, port: int, workers: int, database_url: str, workdir: Path) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1:`port` in its own process group (kill the group to stop it); returns once /login/
    answers. Its output goes to workdir/helpdesk-gunicorn.log."""
    python = ensure_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "helpdesk-gunicorn.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [
                str(python),
                "-m",
                "gunicorn",
                "helpdesk_site.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "1200",  # its reports and API list take minutes at a million tickets: measured, not killed
                "--no-control-socket",
                "--log-level",
                "warning",
            ],  # fmt: skip
            cwd=BENCH,
            env=_environment(database_url, workdir),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = Client(f"http://127.0.0.1:{port}", timeout=10)
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"django-helpdesk's gunicorn exited with {process.returncode}:\n{tail}")
        try:
            if client.get("/login/").status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"django-helpdesk did not answer on port {port} within 120 s")


# --- over HTTP ----------------------------------------------------------------------------------------------


def login(client: Client) -> None:
    """Log in as the staff superuser through the peer's Django login form (/login/)."""
    client.login_form("/login/", {"username": USERNAME, "password": PASSWORD})


def _datatables_query(draw: int) -> str:
    """The query string DataTables sends on first drawing the ticket list (no ordering, 25 rows)."""
    params = [("draw", str(draw))]
    for index, (name, orderable) in enumerate(DATATABLE_COLUMNS):
        params += [
            (f"columns[{index}][data]", name),
            (f"columns[{index}][name]", ""),
            (f"columns[{index}][searchable]", "true"),
            (f"columns[{index}][orderable]", "true" if orderable else "false"),
            (f"columns[{index}][search][value]", ""),
            (f"columns[{index}][search][regex]", "false"),
        ]
    params += [("start", "0"), ("length", "25"), ("search[value]", ""), ("search[regex]", "false")]
    params.append(("_", str(int(time.time() * 1000))))
    return urlencode(params)


def ticket_list(client: Client, path: str) -> Response:
    """The staff ticket list as a browser opens it: the page, then the DataTables JSON request that fills its
    rows (its URL, the filter base64-encoded in it, read from the page). Elapsed is the two together."""
    page = client.get(path)
    if page.status != 200:
        return page
    match = DATATABLES_URL.search(page.text)
    if not match:
        raise RuntimeError(f"{path}: no datatables_ticket_list URL in the page")
    rows = client.get(f"{match.group(1)}?{_datatables_query(1)}", headers=JSON)
    if rows.status == 200 and "recordsTotal" not in rows.json():
        raise RuntimeError(f"{path}: unexpected datatables reply {rows.text[:200]}")
    rows.elapsed += page.elapsed
    return rows


def scenarios(*, info: dict[str, Any], month: str | None = None) -> dict[str, Callable[[Client], Response]]:
    """The peer's side of each scenario, by the names bench/run.py and bench/report.py use.

    - list: /tickets/ (helpdesk's default: open and reopened tickets, oldest first) + its DataTables request.
    - list_filtered: /tickets/?status=4&queue=<first queue> (closed, one project) + its DataTables request.
    - list_month (with `month`, YYYY-MM): the tickets created in that month, every status, by the list's
      date filter (see REPORTS_PATH) + its DataTables request.
    - detail: /tickets/<id>/ for a random one of the 50 sample ids.
    - reports: REPORTS_PATH, the Queue by Status report (see there).
    - api_list: GET /api/tickets/ (DRF, page 1 of 25) as JSON.
    - create: POST /api/tickets/ (JSON) into the first queue: 201, a new ticket and its "opened" follow-up.
    """
    rng = random.Random(11)  # noqa: S311 - benchmark sampling
    sample_ids: list[int] = info["sample_ticket_ids"]
    queue = info["queue_ids"][0]
    months: dict[str, Callable[[Client], Response]] = {}
    if month:
        first = datetime.strptime(month + "-01", "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        # created__lte takes the day as its midnight: the next month's first day closes the month
        query = urlencode(
            [("status", str(status)) for status in ALL_STATUSES]
            + [("date_from", first.isoformat()), ("date_to", following.isoformat())]
        )
        months["list_month"] = lambda client: ticket_list(client, f"/tickets/?{query}")

    def create(client: Client) -> Response:
        return client.post(
            "/api/tickets/",
            json={
                "queue": queue,
                "title": "卫生间漏水",
                "description": "卫生间天花板漏水，请尽快安排维修。",
                "submitter_email": "owner@example.com",
                "priority": 3,
            },
            headers=JSON,
        )

    return {
        "list": lambda client: ticket_list(client, "/tickets/"),
        "list_filtered": lambda client: ticket_list(client, f"/tickets/?status={CLOSED}&queue={queue}"),
        "detail": lambda client: client.get(f"/tickets/{rng.choice(sample_ids)}/"),
        "reports": lambda client: client.get(REPORTS_PATH),
        "api_list": lambda client: client.get("/api/tickets/", headers=JSON),
        "create": create,
        **months,
    }


# --- the data load (runs inside the peer venv) --------------------------------------------------------------


def _rows(
    *, items: int, rng: random.Random, queue_ids: list[int], user_id: int, sqlite: bool
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(ticket row, its follow-up rows) in id order, created uniformly over the last YEARS years."""
    now = time.time()
    start = now - YEARS * 365 * 86400
    recent = now - 30 * 86400
    status_old, status_recent = weighted(rng, STATUS_OLD), weighted(rng, STATUS_RECENT)
    priority_of = weighted(rng, PRIORITIES)
    queue_weights = [rng.uniform(0.4, 1.6) for _ in queue_ids]  # as bench/generate.py weighs projects
    cumulative: list[float] = []
    running = 0.0
    for weight in queue_weights:
        running += weight
        cumulative.append(running)
    true, false = (1, 0) if sqlite else (True, False)

    def when(ts: float) -> Any:
        moment = datetime.fromtimestamp(ts, UTC)
        return str(moment.replace(tzinfo=None)) if sqlite else moment

    stamps = sorted(rng.uniform(start, now - 600) for _ in range(items))
    for ticket_id, created in enumerate(stamps, start=1):
        status = status_recent() if created >= recent else status_old()
        done = status in (RESOLVED, CLOSED, DUPLICATE)
        handled = created + rng.uniform(0.5, 240) * 3600 if done else created + rng.uniform(0.1, 48) * 3600
        modified = min(handled, now - 60)
        title = rng.choice(TITLES)
        description = f"{title}，{rng.choice(DETAILS)}"
        row = (
            ticket_id,
            title,
            rng.choices(queue_ids, cum_weights=cumulative)[0],
            when(created),
            when(modified),
            f"owner{rng.randrange(1, 60_000):05d}@example.com",
            user_id if rng.random() < 0.35 else None,
            status,
            true if status in (OPEN, REOPENED) and rng.random() < 0.02 else false,
            description,
            "已处理完毕，业主确认。" if status in (RESOLVED, CLOSED) else None,
            priority_of(),
            None,
            None,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            None,
            None,
        )
        count = rng.choice((1, 2, 3, 3, 4, 5))  # about three follow-ups a ticket
        opened = (ticket_id, when(created), "Ticket Opened", description, true, None, None, None, None, None)
        followups: list[tuple[Any, ...]] = [opened]
        for step in range(1, count):
            last = step == count - 1
            moment = modified if last else created + (modified - created) * step / count
            new_status = status if last and status != OPEN else None
            title_text = "Comment" if new_status is None else f"Status {new_status}"
            public = true if rng.random() < 0.5 else false
            comment = rng.choice(COMMENTS)
            followups.append(
                (ticket_id, when(moment), title_text, comment, public, user_id, new_status, None, None, None)
            )
        yield row, followups


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load(items: int, seed: int = SEED) -> dict[str, Any]:
    """Inside the peer venv: a fresh database, migrate, the staff user, 200 queues and `items` tickets."""
    started = time.perf_counter()
    from django.conf import settings

    database = settings.DATABASES["default"]
    sqlite = database["ENGINE"].endswith("sqlite3")
    if sqlite:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database['NAME']}{suffix}").unlink(missing_ok=True)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from helpdesk.models import FollowUp, Queue, Ticket

    if not sqlite:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    call_command("migrate", interactive=False, verbosity=0)
    assert {field.column for field in Ticket._meta.concrete_fields} == set(TICKET_COLUMNS)
    assert {field.column for field in FollowUp._meta.concrete_fields} - {"id"} == set(FOLLOWUP_COLUMNS)
    _say(f"migrated ({time.perf_counter() - started:.0f} s)")

    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    user = get_user_model().objects.create_superuser(USERNAME, "bench@example.com", PASSWORD)
    queue_ids = []
    for number in range(1, QUEUES + 1):
        title = f"{CITIES[(number - 1) % len(CITIES)]}·{ESTATES[(number - 1) // len(CITIES) % len(ESTATES)]}"
        queue = Queue.objects.create(title=title, slug=f"project-{number:03d}")
        queue_ids.append(queue.id)

    loaded = time.perf_counter()
    ticket_table, followup_table = Ticket._meta.db_table, FollowUp._meta.db_table
    writer = BulkWriter(connection)
    saved = writer.indexes(ticket_table) + writer.indexes(followup_table)
    writer.execute(*(f'DROP INDEX "{name}"' for name, _ in saved))
    tickets: list[tuple[Any, ...]] = []
    followups: list[tuple[Any, ...]] = []
    done = followup_count = 0
    for row, rows in _rows(items=items, rng=rng, queue_ids=queue_ids, user_id=user.id, sqlite=sqlite):
        tickets.append(row)
        followups.extend(rows)
        if len(tickets) >= CHUNK:
            writer.insert(ticket_table, TICKET_COLUMNS, tickets)
            writer.insert(followup_table, FOLLOWUP_COLUMNS, followups)
            done += len(tickets)
            followup_count += len(followups)
            tickets, followups = [], []
            if done % (CHUNK * 4) == 0:
                _say(f"{done:,} / {items:,} tickets ({time.perf_counter() - loaded:.0f} s)")
    writer.insert(ticket_table, TICKET_COLUMNS, tickets)
    writer.insert(followup_table, FOLLOWUP_COLUMNS, followups)
    followup_count += len(followups)
    _say(f"{items:,} tickets, {followup_count:,} follow-ups inserted ({time.perf_counter() - loaded:.0f} s)")
    writer.execute(*(sql for _, sql in saved))
    writer.reset_sequences([ticket_table])
    writer.settle()
    load_seconds = time.perf_counter() - loaded
    _say(f"indexes and ANALYZE done: {load_seconds:.0f} s for the tickets")
    return {
        "items": items,
        "followups": followup_count,
        "load_seconds": round(load_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "db_bytes": database_bytes(connection),
        "queue_ids": queue_ids,
        "sample_ticket_ids": sorted(rng.sample(range(1, items + 1), 50)),
    }


# --- command line -------------------------------------------------------------------------------------------


def _default_url(workdir: Path) -> str:
    return f"sqlite:///{(workdir / 'helpdesk.sqlite3').resolve()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "serve", "scenarios", "_load"):
        command = commands.add_parser(name)
        command.add_argument("--workdir", type=Path, default=MANUAL_WORKDIR)
        command.add_argument("--database-url", default="")
        if name in ("prepare", "_load"):
            command.add_argument("--items", type=int, default=10_000)
        if name in ("serve", "scenarios"):
            command.add_argument("--port", type=int, default=8871)
        if name == "serve":
            command.add_argument("--workers", type=int, default=5)
        if name == "scenarios":
            command.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir: Path = args.workdir.resolve()
    database_url = args.database_url or _default_url(workdir)
    if args.command == "_load":
        print(json.dumps(_load(args.items)))
    elif args.command == "prepare":
        info = prepare(items=args.items, database_url=database_url, workdir=workdir)
        shown = {key: value for key, value in info.items() if key not in ("queue_ids", "sample_ticket_ids")}
        print(json.dumps(shown, indent=2))
    elif args.command == "serve":
        server = serve(port=args.port, workers=args.workers, database_url=database_url, workdir=workdir)
        print(f"django-helpdesk on http://127.0.0.1:{args.port}/ ({USERNAME} / {PASSWORD}); Ctrl-C stops it")
        try:
            server.wait()
        except KeyboardInterrupt:
            os.killpg(server.pid, 15)
            server.wait()
    else:
        info = json.loads((workdir / INFO_FILE).read_text())
        client = Client(f"http://127.0.0.1:{args.port}")
        login(client)
        for name, scenario in scenarios(info=info).items():
            timings = time_requests(partial(scenario, client), rounds=args.rounds)
            print(f"{name:14} {json.dumps(timings)}")


if __name__ == "__main__":
    main()
