"""`estatedesk monthly_pack --month 2026-11 [--scope CODE] [--out DIR] [--send]`: make a month's pack on
demand (issue 15, R-FB-7).

CODE is a branch or project code, or `company` (or the company's code); without it the company's pack and
each branch's are made. Each is a new pack (trigger "command": version 1, or the next version when the
month has one), emailed to its recipients only with --send (the 1st's scheduled run sends; a pack made by
hand to look at is not mailed to the general manager); its PDF and workbook are copied into DIR (default:
a new temporary folder), and the folder and the file names are printed. A bad month or an unknown scope is
a one-line error, exit code 1.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from estatedesk.analytics.choices import PackTrigger
from estatedesk.analytics.packs import pack_generate, scheduled_scopes
from estatedesk.analytics.periods import PeriodKind, parse_period
from estatedesk.analytics.scopes import MetricScope, branch_scope, company_scope, project_scope
from estatedesk.org.models import Branch, Company, Project


def scopes_for_code(*, company: Company, code: str, month: Any) -> list[MetricScope]:
    """The scopes a --scope CODE names (none: the company and every branch open in the month)."""
    if not code:
        return scheduled_scopes(company=company, month=month)
    if code.lower() == "company" or code.upper() == company.code.upper():
        return [company_scope(company)]
    branch = Branch.objects.filter(company=company, code__iexact=code).first()
    if branch is not None:
        return [branch_scope(branch)]
    project = (
        Project.objects.filter(branch__company=company, code__iexact=code).select_related("branch").first()
    )
    if project is not None:
        return [project_scope(project)]
    raise CommandError(f"no branch or project with the code {code!r} (or write 'company')")


class Command(BaseCommand):
    help = "Make a month's monthly pack (PDF and workbook) on demand and write the files to a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="the month, e.g. 2026-11")
        parser.add_argument("--scope", default="", help="a branch or project code, or 'company'")
        parser.add_argument(
            "--out", default="", help="the folder for the files (default: a new temporary one)"
        )
        parser.add_argument("--send", action="store_true", help="also email the pack to its recipients")

    def handle(self, *args: Any, **options: Any) -> None:
        period = parse_period(options["month"])
        if period is None or period.kind != PeriodKind.MONTH:
            raise CommandError(f"not a month: {options['month']!r} (write it as 2026-11)")
        company = Company.objects.order_by("id").first()
        if company is None:
            raise CommandError("there is no company yet (run setup_company first)")
        scopes = scopes_for_code(company=company, code=options["scope"].strip(), month=period.start)
        out = Path(options["out"]) if options["out"] else Path(tempfile.mkdtemp(prefix="estatedesk-packs-"))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot write to {out}: {error.strerror}") from error
        self.stdout.write(str(out))
        for scope in scopes:
            pack = pack_generate(
                scope=scope,
                month=period.start,
                trigger=PackTrigger.COMMAND,
                send_email=options["send"],
            )
            for stored in (pack.pdf, pack.workbook):
                name = (stored.name or "").rsplit("/", 1)[-1]
                with stored.open("rb") as handle:
                    (out / name).write_bytes(handle.read())
                self.stdout.write(f"  {name}")
