"""Time the owner-archive import (R-OA-2) of 20,000 rows: the check (dry run) and the import, then the
same file again (every row unchanged).

Runs in a throw-away data folder with its own SQLite database (migrated here, with a superuser and a
project of 20 buildings):

    .venv/bin/python bench/import_owners.py [--rows 20000]

`--database-url postgres://…/scratch` times PostgreSQL instead; the database must be an empty scratch
database (it is migrated and filled, never cleaned).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def write_workbook(path: Path, rows: int) -> None:
    """Two people (owner and household member) per unit, units filled building by building."""
    from openpyxl import Workbook

    from estatedesk.owners.spreadsheet import COLUMNS

    rng = random.Random(20)  # noqa: S311 - test data
    book = Workbook(write_only=True)
    sheet = book.create_sheet("业户档案")
    sheet.append([column.zh for column in COLUMNS])
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
                            book.save(path)
                            return
                        name = ""
                        while not name or name in names:  # two people of a unit have different names
                            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
                        names.append(name)
                        values = {
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
                        sheet.append([values[column.key] for column in COLUMNS])
                        written += 1
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="", help="an empty scratch PostgreSQL database")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="estatedesk-bench-"))
    os.environ["ESTATEDESK_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))  # DEBUG is off: settings need a real key
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from estatedesk.org.models import Branch, Building, Company, Project
    from estatedesk.owners.importing import import_check, import_commit
    from estatedesk.owners.models import Occupancy, Resident, ResidentPhone

    try:
        call_command("migrate", verbosity=0)
        company = Company.objects.create(code="BENCH", name="Bench")
        branch = Branch.objects.create(company=company, code="BENCH-B", name="Bench branch")
        project = Project.objects.create(branch=branch, code="BENCH-P", name="Bench project")
        Building.objects.bulk_create(
            Building(project=project, code=str(n), name=f"{n}号楼") for n in range(1, BUILDINGS + 1)
        )
        actor = get_user_model().objects.create_superuser(username="bench", password=None)
        path = data_dir / "owners.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows)
        print(f"database: {connection.vendor}; {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MB")
        print(f"write workbook  {time.perf_counter() - started:6.2f} s")

        for attempt in ("first import", "same file again"):
            started = time.perf_counter()
            batch = import_check(actor=actor, project=project, path_or_file=path)
            checked = time.perf_counter() - started
            if batch.problem_count:
                print(f"{batch.problem_count} problems, e.g. {batch.problems[:3]}")
                raise SystemExit(1)
            started = time.perf_counter()
            batch = import_commit(actor=actor, batch=batch)
            committed = time.perf_counter() - started
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
