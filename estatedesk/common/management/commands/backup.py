"""`estatedesk backup [--output DIR] [--archive]`: a consistent backup of the database and the uploaded files.

Safe while the site runs. Writes `estatedesk-backup-YYYYMMDD-HHMMSS/` (or the same as `.tar.gz` with
`--archive`) under DIR, by default `backups/` in the data directory: database, media and manifest.json
(estatedesk/common/backup.py). Schedule, copies and drills: docs/deployment.md, "Backup and restore".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from estatedesk.common.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one timestamped directory (or .tar.gz)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            default=None,
            help="directory to write the backup into (default: backups/ in the data directory)",
        )
        parser.add_argument("--archive", action="store_true", help="write one .tar.gz instead of a directory")

    def handle(self, *args: Any, output: str | None, archive: bool, **options: Any) -> None:
        target = Path(output) if output else Path(settings.DATA_DIR) / "backups"
        try:
            path, manifest = backup_create(output=target, archive=archive)
        except (BackupError, OSError) as error:
            raise CommandError(f"Backup failed: {error}") from error
        database, media = manifest["database"], manifest["media"]
        self.stdout.write(
            f"{database['vendor']} database: {database['bytes']:,} bytes, sha256 {database['sha256']}\n"
            f"media: {media['files']:,} files, {media['bytes']:,} bytes\n"
            f"migrations: {len(manifest['migrations'])} apps; made at {manifest['created_at']}"
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
