"""`estatedesk import-owners FILE --project CODE [--commit [--skip-problem-rows]]`: the owner-archive import
from the console.

A dry run by default (how the file was read, then every problem printed with its row and column);
`--commit` imports when the file is clean; with `--skip-problem-rows` it imports the rows without problems
and leaves the others out (audited, as on the page). Runs as the first active superuser. Exit code 1 when
the file has problems and nothing was imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from estatedesk.common.errors import DomainError
from estatedesk.org.models import Project
from estatedesk.owners import importing
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.models import ImportBatch
from estatedesk.owners.spreadsheet import COLUMN_BY_KEY, COLUMNS

STAGES = {"reading": ("Reading", "rows"), "checking": ("Checking", "rows"), "writing": ("Writing", "records")}


class ProgressBar:
    """A one-line bar on a terminal stream, redrawn with \\r: stage, bar, percentage, count and rate."""

    def __init__(
        self,
        write: Callable[[str], Any],
        *,
        width: int = 30,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.write = write
        self.width = width
        self.interval = interval
        self.clock = clock
        self.stage = ""
        self.started = 0.0
        self.drawn = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage != self.stage:
            self.close()
            self.stage, self.started, self.drawn = stage, now, 0.0
        elif now - self.drawn < self.interval and not (total and done >= total):
            return
        self.drawn = now
        label, unit = STAGES.get(stage, (stage.title(), "rows"))
        rate = done / (now - self.started) if now > self.started else 0.0
        if total:
            filled = min(self.width, self.width * done // total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{label:<9} [{bar}] {100 * done / total:5.1f}%  {done:,}/{total:,} {unit}"
        else:
            line = f"{label:<9} {done:,} {unit}"
        self.write(f"\r{line}  {rate:,.0f} {unit}/s ")

    def close(self) -> None:
        if self.stage:
            self.write("\n")
            self.stage = ""


def problem_line(problem: dict[str, Any]) -> str:
    if not problem["row"]:
        return f"file: {problem['message']}"
    if not problem["column"]:
        return f"row {problem['row']}: {problem['message']}"
    return f"row {problem['row']}, column {problem['column']}: {problem['message']}"


def layout_lines(layout: dict[str, Any]) -> list[str]:
    """How the file was read, when it is not simply our template: the sheet and header row, the headers
    read as our columns under other names, the columns ignored, the rows left out."""
    lines = []
    if layout.get("sheet") and (layout["header_row"] != 1 or layout.get("ignored")):
        lines.append(f"sheet {layout['sheet']}, headers in row {layout['header_row']}")
    own = {name for column in COLUMNS for name in (column.zh, column.en, column.key)}
    renamed = [
        f"{c['header']} → {COLUMN_BY_KEY[c['column']].zh}"
        for c in layout.get("columns", [])
        if c["header"] not in own
    ]
    if renamed:
        lines.append("columns read as: " + ", ".join(renamed))
    if layout.get("ignored"):
        lines.append("columns ignored: " + ", ".join(layout["ignored"]))
    lines.extend(f"row {note['row']}: {note['message']}" for note in layout.get("notes", []))
    return lines


class Command(BaseCommand):
    help = "Import owners from an Excel workbook into a project's archive (a dry run unless --commit)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the .xlsx workbook (the import template's columns)")
        parser.add_argument("--project", required=True, help="the project's code, e.g. QD-A")
        parser.add_argument("--commit", action="store_true", help="import when the file has no problems")
        parser.add_argument(
            "--skip-problem-rows",
            action="store_true",
            help="with --commit: import the rows without problems, leave the rows with problems out",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(
        self,
        *args: Any,
        file: str,
        project: str,
        commit: bool,
        no_progress: bool,
        skip_problem_rows: bool = False,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        target = Project.objects.filter(code=project).first()
        if target is None:
            raise CommandError(f"No project with the code {project}.")
        actor = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if actor is None:
            raise CommandError(
                "The import runs as a system administrator, and there is none: "
                "create one with `estatedesk createsuperuser`."
            )
        bar = None if no_progress else ProgressBar(self._write_progress)
        try:
            batch = importing.import_check(actor=actor, project=target, path_or_file=path, progress=bar)
            if bar:
                bar.close()
            sound_rows = skip_problem_rows and importing.sound_row_count(batch) > 0
            if commit and (batch.status == ImportStatus.VALIDATED or sound_rows):
                batch = importing.import_commit(
                    actor=actor, batch=batch, progress=bar, sound_rows_only=sound_rows
                )
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        finally:
            if bar:
                bar.close()
        self._report(batch, commit=commit)

    def _write_progress(self, text: str) -> None:
        self.stderr.write(text, style_func=str, ending="")
        self.stderr.flush()

    def _report(self, batch: ImportBatch, *, commit: bool) -> None:
        for line in layout_lines(batch.layout):
            self.stdout.write(line)
        for problem in importing.import_problem_list(batch=batch):
            self.stdout.write(problem_line(problem))
        counts = batch.summary
        if batch.status == ImportStatus.INVALID:
            raise CommandError(
                f"{batch.row_count:,} rows checked, {batch.problem_count:,} problems; nothing was imported "
                f"(import #{batch.pk}).",
                returncode=1,
            )
        figures = (
            f"{counts['created']:,} created, {counts['updated']:,} updated, "
            f"{counts['unchanged']:,} unchanged, {counts['units_created']:,} units created"
        )
        if batch.status == ImportStatus.COMMITTED and batch.sound_rows_only:
            imported, skipped = batch.row_count - len(batch.problem_rows), len(batch.problem_rows)
            self.stdout.write(
                f"Imported {imported:,} rows without problems: {figures}; left out {skipped:,} rows with "
                f"problems (import #{batch.pk})."
            )
        elif batch.status == ImportStatus.COMMITTED:
            self.stdout.write(f"Imported {batch.row_count:,} rows: {figures} (import #{batch.pk}).")
        else:
            self.stdout.write(f"{batch.row_count:,} rows checked, no problems. Would be: {figures}.")
            if not commit:
                self.stdout.write("Run again with --commit to import.")
