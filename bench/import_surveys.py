"""Time the import of a workbook of answered survey forms (issue 13, deliverable 3): 2,000 forms by default,
in our template as a company would fill it (the template downloaded from the campaign, ratings typed as
words, some left blank for 未表态, a date and a comment on some rows), checked (the dry run) and committed;
then the campaign's figures over those forms (every rate, the Pareto rows, the returns: figures.py).

Runs in a throw-away data folder with its own SQLite database (migrated here, with a CS supervisor, a
project of 8 buildings and a running campaign of the seeded questionnaire, 8 items):

    .venv/bin/python bench/import_surveys.py [--forms 2000]

`--database-url postgres://postgres@127.0.0.1:5432/test` times PostgreSQL instead, in a scratch database
created beside the one named and dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_owners import scratch_database  # noqa: E402 - the scratch PostgreSQL database of the owner bench

REPO = Path(__file__).resolve().parent.parent
AREAS = 8
WORDS = ["很满意", "满意", "满意", "较满意", "不满意", None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (a scratch database is made)")
    args = parser.parse_args()
    if args.database_url:
        with scratch_database(args.database_url) as url:
            run(args.forms, url)
    else:
        run(args.forms, "")


def filled(template: bytes, rng: random.Random) -> bytes:
    """The template with every form answered: ratings as words (blank now and then), a date, comments."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    header_row = next(
        row for row in range(1, 10) if any(str(cell.value or "").startswith("编号") for cell in sheet[row])
    )
    headers = [str(cell.value or "") for cell in sheet[header_row]]
    item_columns = [
        index
        for index, text in enumerate(headers, start=1)
        if text and not text.startswith(("区域", "编号", "客户", "日期", "意见", "Area", "Serial"))
    ]
    date_column = next((i for i, t in enumerate(headers, start=1) if t.startswith("日期")), None)
    comment_column = next((i for i, t in enumerate(headers, start=1) if t.startswith("意见")), None)
    for row in range(header_row + 1, sheet.max_row + 1):
        if sheet.cell(row, 2).value in (None, ""):
            continue
        for column in item_columns:
            sheet.cell(row, column).value = rng.choice(WORDS)
        if date_column:
            sheet.cell(row, date_column).value = date(2026, 11, rng.randint(1, 28))
        if comment_column and rng.random() < 0.2:
            sheet.cell(row, comment_column).value = "电梯维修响应慢，希望改进。"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(forms: int, database_url: str) -> None:
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

    from estatedesk.org.choices import Role, ScopeLevel
    from estatedesk.org.models import Branch, Building, Company, Membership, Project
    from estatedesk.org.services import company_seed_defaults
    from estatedesk.surveys import campaigns, catalogue, figures, importing, rates
    from estatedesk.surveys.choices import Runner
    from estatedesk.surveys.models import CampaignArea, Questionnaire, SurveyAnswer, SurveyForm

    try:
        call_command("migrate", verbosity=0)
        company = Company.objects.create(code="BENCH", name="Bench")
        company_seed_defaults(company=company)
        catalogue.catalogue_ensure(company=company)
        branch = Branch.objects.create(company=company, code="BENCH-B", name="Bench branch")
        project = Project.objects.create(branch=branch, code="BENCH-P", name="Bench project")
        Building.objects.bulk_create(
            Building(project=project, code=str(n), name=f"{n}号楼") for n in range(1, AREAS + 1)
        )
        actor = get_user_model().objects.create_user(username="bench", password=None)
        Membership.objects.create(
            user=actor, role=Role.CS_SUPERVISOR, level=ScopeLevel.PROJECT, company=company, project=project
        )
        campaign = campaigns.campaign_create(
            actor=actor,
            data=campaigns.CampaignData(
                project=project,
                runner=Runner.CUSTOMER_SERVICE,
                questionnaire=Questionnaire.objects.get(company=company),
                period_start=date(2026, 11, 1),
                period_end=date(2026, 11, 30),
            ),
        )
        campaign = campaigns.campaign_open(actor=actor, campaign=campaign)
        per_area = -(-forms // AREAS)
        for area in CampaignArea.objects.filter(campaign=campaign):
            campaigns.forms_make(actor=actor, campaign=campaign, area=area, count=per_area)
            campaigns.forms_hand_out(actor=actor, campaign=campaign, area=area, count=per_area)
        started = time.perf_counter()
        data = filled(importing.template_workbook(campaign=campaign), random.Random(13))  # noqa: S311
        size = f"{len(data) / 2**10:.0f} KB"
        print(f"database: {connection.vendor}; {forms:,} forms × {campaign.items.count()} items, {size}")
        print(f"template and filling  {time.perf_counter() - started:6.2f} s")
        started = time.perf_counter()
        checked = importing.survey_import_check(
            actor=actor, campaign=campaign, upload=io.BytesIO(data), filename="回收.xlsx"
        )
        check_seconds = time.perf_counter() - started
        if checked.problems:
            print(f"{len(checked.problems)} problems, e.g. {checked.problems[:3]}")
            raise SystemExit(1)
        started = time.perf_counter()
        importing.survey_import_commit(actor=actor, survey_import=checked)
        commit_seconds = time.perf_counter() - started
        returned = SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=False).count()
        answers = SurveyAnswer.objects.filter(form__campaign=campaign).count()
        counts = f"{returned:,} returned, {answers:,} answers"
        print(f"check {check_seconds:6.2f} s, commit {commit_seconds:6.2f} s; {counts}")
        # the campaign's figures (every rate, the Pareto rows, the returns), as the analysis page reads them
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            computed = figures.campaign_figures(campaign)
            samples.append(time.perf_counter() - started)
        samples.sort()
        overall = rates.percent_text(computed.overall.rate)
        print(
            f"campaign figures: median {samples[3] * 1000:.1f} ms (min {samples[0] * 1000:.1f}, "
            f"max {samples[-1] * 1000:.1f}) over 7 runs; overall {overall}"
        )
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
