"""Time the owner-archive import (R-OA-2) of 20,000 rows as the worker runs it (`owners.import_runs`: the
check, then the import, each writing its progress to the batch): a first import, the same file again
(every row unchanged), and the same rows again in a workbook as people keep it (an instructions sheet, a
title row, other headers, Excel serial dates and numbers in number cells; every row unchanged).

Runs in a throw-away data folder with its own SQLite database (migrated here, with a superuser and a
project of 20 buildings):

    .venv/bin/python bench/import_owners.py [--rows 20000]

`--database-url postgres://postgres@127.0.0.1:5432/test` times PostgreSQL instead: a scratch database is
created beside the one named (CREATE DATABASE), migrated and filled, and dropped at the end, so the server
is left as it was found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬"
BUILDINGS = 20
ENTRANCES = 2
FLOORS = 25


def id_card(rng: random.Random) -> str:
    from estatedesk.owners.contacts import ID_CARD_CHECK, ID_CARD_WEIGHTS

    born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"370202{born}{rng.randint(0, 999):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_CARD_WEIGHTS, strict=True))
    return body + ID_CARD_CHECK[total % 11]


def owner_rows(rows: int) -> Iterator[dict[str, str]]:
    """Two people (owner and household member) per unit, units filled building by building."""
    rng = random.Random(20)  # noqa: S311 - test data
    units_per_floor = max(1, -(-rows // (2 * BUILDINGS * ENTRANCES * FLOORS)))
    written = 0
    for building in range(1, BUILDINGS + 1):
        for entrance in range(1, ENTRANCES + 1):
            for floor in range(1, FLOORS + 1):
                for door in range(1, units_per_floor + 1):
                    floor_area = f"{rng.randint(60, 180)}.5"
                    names: list[str] = []
                    for relation in ("业主", "家庭成员"):
                        if written == rows:
                            return
                        name = ""
                        while not name or name in names:  # two people of a unit have different names
                            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
                        names.append(name)
                        yield {
                            "building": str(building),
                            "entrance": str(entrance),
                            "number": f"{floor}{door:02d}",
                            "floor_area": floor_area,
                            "unit_status": "已入住",
                            "handover_on": "2021-05-01",
                            "name": name,
                            "relation": relation,
                            "phones": f"13{written:09d}",
                            "email": f"owner{written}@example.com" if written % 3 == 0 else "",
                            "id_type": "身份证" if relation == "业主" else "",
                            "id_number": id_card(rng) if relation == "业主" else "",
                            "moved_in_on": f"2021-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d}",
                            "language": "中文",
                            "contact_preference": "电话",
                            "notes": "",
                        }
                        written += 1


def as_kept(values: dict[str, str]) -> dict[str, object]:
    """A row as people keep it: dates as Excel serial numbers, numbers in number cells."""
    from openpyxl.utils.datetime import to_excel

    kept: dict[str, object] = dict(values)
    for key in ("handover_on", "moved_in_on"):
        kept[key] = int(to_excel(dt.date.fromisoformat(values[key])))
    for key in ("building", "entrance", "number", "phones"):
        kept[key] = int(values[key])
    kept["floor_area"] = float(values["floor_area"])
    return kept


def write_workbook(path: Path, rows: int, *, kept: bool = False) -> None:
    """Our template's columns, or (`kept`) an instructions sheet first, a title row and other headers."""
    from openpyxl import Workbook

    from estatedesk.owners.headers import DEFAULT_ALIASES
    from estatedesk.owners.spreadsheet import COLUMNS

    book = Workbook(write_only=True)
    if kept:
        book.create_sheet("填写说明").append(["请按第二张表填写，每人一行。"])
    sheet = book.create_sheet("业主信息" if kept else "业户档案")
    if kept:
        sheet.append(["2026 年业主信息登记表"])
        sheet.append([DEFAULT_ALIASES[column.key][0] for column in COLUMNS])
    else:
        sheet.append([column.zh for column in COLUMNS])
    for values in owner_rows(rows):
        row = as_kept(values) if kept else values
        sheet.append([row[column.key] for column in COLUMNS])
    book.save(path)


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of `url` (its URL), dropped afterwards."""
    import psycopg

    name = f"bench_import_owners_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (a scratch database is made)")
    args = parser.parse_args()
    if args.database_url:
        with scratch_database(args.database_url) as url:
            run(args.rows, url)
    else:
        run(args.rows, "")


def run(rows: int, database_url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="estatedesk-bench-"))
    os.environ["ESTATEDESK_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))  # DEBUG is off: settings need a real key
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from estatedesk.org.models import Branch, Building, Company, Project
    from estatedesk.owners import import_runs, importing
    from estatedesk.owners.models import ImportBatch, Occupancy, Resident, ResidentPhone

    try:
        call_command("migrate", verbosity=0)
        company = Company.objects.create(code="BENCH", name="Bench")
        branch = Branch.objects.create(company=company, code="BENCH-B", name="Bench branch")
        project = Project.objects.create(branch=branch, code="BENCH-P", name="Bench project")
        Building.objects.bulk_create(
            Building(project=project, code=str(n), name=f"{n}号楼") for n in range(1, BUILDINGS + 1)
        )
        actor = get_user_model().objects.create_superuser(username="bench", password=None)
        plain, kept = data_dir / "owners.xlsx", data_dir / "业主信息.xlsx"
        started = time.perf_counter()
        write_workbook(plain, rows)
        write_workbook(kept, rows, kept=True)
        print(f"database: {connection.vendor}; {rows:,} rows, {plain.stat().st_size / 2**20:.1f} MB")
        print(f"write workbooks {time.perf_counter() - started:6.2f} s")

        for attempt, path in (
            ("first import", plain),
            ("same file again", plain),
            ("as people keep it", kept),
        ):
            started = time.perf_counter()
            batch = importing.import_store(actor=actor, project=project, path_or_file=path)
            import_runs.import_batch_check(batch_id=batch.pk)  # the worker's check, progress on the batch
            checked = time.perf_counter() - started
            batch = ImportBatch.objects.select_related("project").get(pk=batch.pk)
            if batch.problem_count:
                print(f"{batch.problem_count} problems, e.g. {batch.problems[:3]}")
                raise SystemExit(1)
            started = time.perf_counter()
            batch = import_runs.import_commit_start(actor=actor, batch=batch)  # queued: the worker's task
            import_runs.import_batch_commit(batch_id=batch.pk)
            committed = time.perf_counter() - started
            batch.refresh_from_db()
            print(f"{attempt}: check {checked:6.2f} s, commit {committed:6.2f} s  {batch.summary}")
        print(
            f"archive: {Resident.objects.count():,} residents, {ResidentPhone.objects.count():,} phones, "
            f"{Occupancy.objects.count():,} occupancies"
        )
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
