"""`estatedesk restore PATH [--yes] [--check]`: put a backup made by `estatedesk backup` back in place.

Replaces the database and the uploaded files with the backup's; stop the web, worker and scheduler
processes first. Refuses a backup of another database vendor, a changed file, or one made by newer code
(migrations this code does not have); migrates when the code is newer than the backup; then runs the
apps' after-restore repairs (feedback reference counters). `--check` only verifies the backup.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from estatedesk.common.backup import (
    BackupError,
    backup_manifest,
    backup_open,
    backup_problems,
    backup_restore,
)


class Command(BaseCommand):
    help = "Restore the database and the uploaded files from a backup directory or .tar.gz."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="a backup directory or .tar.gz written by `estatedesk backup`")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing the data")
        parser.add_argument("--check", action="store_true", help="only check that the backup can be restored")

    def handle(self, *args: Any, path: str, yes: bool, check: bool, **options: Any) -> None:
        try:
            with backup_open(Path(path)) as directory:
                manifest = backup_manifest(directory)
                self._describe(manifest)
                problems = backup_problems(directory, manifest)
                if problems:
                    raise CommandError("The backup cannot be restored here:\n  " + "\n  ".join(problems))
                if check:
                    self.stdout.write(self.style.SUCCESS("The backup is complete and can be restored here."))
                    return
                self._confirm(yes=yes)
                info = backup_restore(directory=directory, manifest=manifest, checked=True)
        except (BackupError, OSError) as error:
            raise CommandError(f"Restore failed: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup made at {manifest['created_at']} ({info.restored_at.isoformat()}). "
                "Start the web, worker and scheduler processes again."
            )
        )

    def _describe(self, manifest: dict[str, Any]) -> None:
        database, media = manifest["database"], manifest["media"]
        self.stdout.write(
            f"backup made at {manifest['created_at']} by EstateDesk {manifest.get('version', '?')}: "
            f"{database['vendor']} database of {database['bytes']:,} bytes, "
            f"{media['files']:,} media files of {media['bytes']:,} bytes"
        )

    def _confirm(self, *, yes: bool) -> None:
        if yes:
            return
        warning = (
            "This replaces the whole database and every uploaded file with the backup's. "
            "Stop the web, worker and scheduler processes first."
        )
        if not sys.stdin.isatty():
            raise CommandError(f"{warning} Run again with --yes to go ahead.")
        self.stdout.write(self.style.WARNING(warning))
        if input("Type 'yes' to restore: ").strip().lower() != "yes":
            raise CommandError("Nothing restored.")
