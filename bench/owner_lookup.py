"""Caller-lookup benchmark (owner archive issue): 200,000 residents, median and p95 of each kind of query.

    .venv/bin/python bench/owner_lookup.py [--residents 200000] [--database-url postgres://…]

Builds a throw-away database (SQLite in a temporary folder unless --database-url is given; on PostgreSQL
it empties that database first, so point it at a scratch one), loads the residents by bulk insert, then
times the
same selector the hotline screen uses, as an agent of one project and as an HQ user.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="estatedesk-bench-")
    os.environ["ESTATEDESK_DATA_DIR"] = workdir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))  # DEBUG is off: settings need a real key
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.database_url:
        call_command("flush", interactive=False, verbosity=0)  # a scratch database: start empty
    from django.contrib.auth import get_user_model

    from estatedesk.org.models import Branch, Building, Company, Membership, Project, Unit
    from estatedesk.owners.contacts import name_initials
    from estatedesk.owners.models import Occupancy, Resident, ResidentPhone
    from estatedesk.owners.selectors import resident_lookup

    rng = random.Random(7)  # noqa: S311
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    )
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰红梅志文海燕鹏飞晓东"
    started = time.perf_counter()
    company = Company.objects.create(code="BENCH", name="Bench")
    branch = Branch.objects.create(company=company, code="B1", name="Branch")
    per_project = args.residents // args.projects
    units_per_project = per_project  # one resident per unit
    for p in range(args.projects):
        project = Project.objects.create(branch=branch, code=f"P{p:03d}", name=f"项目{p}")
        building = Building.objects.create(project=project, code="1", name="1号楼")
        Unit.objects.bulk_create(
            [
                Unit(
                    project=project,
                    building=building,
                    entrance=str(u // 1000 + 1),
                    floor=(u % 1000) // 10 + 1,
                    number=f"{u % 1000:04d}",
                    label=f"1-{u // 1000 + 1}-{u % 1000:04d}",
                    status="occupied",
                )
                for u in range(units_per_project)
            ],
            batch_size=2000,
        )
        units = list(Unit.objects.filter(project=project).order_by("id").values_list("id", flat=True))
        names = [rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in units]
        residents = Resident.objects.bulk_create(
            [Resident(name=n, name_initials=name_initials(n)) for n in names], batch_size=2000
        )
        phones = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in residents]
        ResidentPhone.objects.bulk_create(
            [
                ResidentPhone(resident=r, number=ph, last4=ph[-4:])
                for r, ph in zip(residents, phones, strict=True)
            ],
            batch_size=2000,
        )
        Occupancy.objects.bulk_create(
            [
                Occupancy(resident=r, unit_id=u, relation="owner")
                for r, u in zip(residents, units, strict=True)
            ],
            batch_size=2000,
        )
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a production database has

    user_model = get_user_model()
    agent = user_model.objects.create_user(username="agent")
    Membership.objects.create(
        user=agent,
        role="cs_agent",
        level="project",
        company=company,
        project=Project.objects.get(code="P000"),
    )
    hq = user_model.objects.create_user(username="hq")
    Membership.objects.create(user=hq, role="hq_property", level="company", company=company)

    samples = list(
        Resident.objects.filter(occupancies__unit__project__code="P000").values_list(
            "name", "name_initials", "phones__number"
        )[:200]
    )
    labels = list(Unit.objects.filter(project__code="P000").values_list("label", flat=True)[:200])
    kinds = {
        "full phone": lambda: rng.choice(samples)[2],
        "last 4 digits": lambda: rng.choice(samples)[2][-4:],
        "full name": lambda: rng.choice(samples)[0],
        "surname + given": lambda: rng.choice(samples)[0][:2],
        "pinyin initials": lambda: rng.choice(samples)[1],
        "unit 1-1-0123": lambda: rng.choice(labels),
    }
    print(
        f"database: {connection.vendor}; residents: {Resident.objects.count():,}; "
        f"loaded in {load_seconds:.0f} s"
    )  # noqa: T201
    print("| query | user | median ms | p95 ms | results (median) |")  # noqa: T201
    print("|---|---|---|---|---|")  # noqa: T201
    for kind, make in kinds.items():
        for user_label, user in (("project agent", agent), ("HQ (all projects)", hq)):
            timings, counts = [], []
            for _ in range(args.rounds):
                query = make()
                for attr in ("_estatedesk_scope",):
                    if hasattr(user, attr):
                        delattr(user, attr)
                begin = time.perf_counter()
                found = resident_lookup(user=user, query=query)
                timings.append((time.perf_counter() - begin) * 1000)
                counts.append(len(found))
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"| {kind} | {user_label} | {statistics.median(timings):.1f} | {p95:.1f} "
                f"| {statistics.median(counts):.0f} |"
            )  # noqa: T201


if __name__ == "__main__":
    main()
