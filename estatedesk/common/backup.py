"""Backup and restore (issue 16, item 9): `estatedesk backup` and `estatedesk restore`.

A backup is one directory (or the same directory packed as .tar.gz) holding

- `database.sqlite3`: SQLite's online backup of the live database (consistent while the site runs, the
  WAL included), or `database.pgdump`: `pg_dump --format=custom` of the PostgreSQL database;
- `media/`: every uploaded file, read through Django's storage API (for the default file system storage,
  a copy of MEDIA_ROOT);
- `manifest.json`: format, app version, created_at, the database's vendor, size and SHA-256, its row
  count per table, the media's file count and size, and the last migration of each app.

A restore refuses a backup that does not match (another database vendor, a changed file, migrations the
code does not have), replaces the database (SQLite: the file, atomically; PostgreSQL: `pg_restore --clean
--if-exists` in one transaction) and the media, migrates when the code is newer than the backup, and then
runs every app's `backup_hooks` module's functions registered with `@after_restore` (the feedback app
raises its reference counters there: common knows no domain app).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ARCHIVE_SUFFIX = ".tar.gz"
CHUNK = 1024 * 1024
# libpq's environment variables for the connection OPTIONS that dj-database-url may set
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class RestoreInfo:
    """Given to every after-restore hook."""

    backed_up_at: datetime
    restored_at: datetime
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """What a database backup saw: rows per table and the rows of django_migrations."""

    rows: dict[str, int]
    migrations: set[tuple[str, str]]


# --- after-restore hooks ------------------------------------------------------------------------------------

_hooks: dict[str, Callable[[RestoreInfo], None]] = {}


def after_restore(func: Callable[[RestoreInfo], None]) -> Callable[[RestoreInfo], None]:
    """Register `func(info)` to run after every restore, in an app's `backup_hooks.py`."""
    _hooks[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def after_restore_hooks() -> dict[str, Callable[[RestoreInfo], None]]:
    autodiscover_modules("backup_hooks")
    return dict(sorted(_hooks.items()))


# --- small helpers ------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _app_version() -> str:
    try:
        return metadata.version("estatedesk")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _run(program: str, arguments: list[str], *, env: dict[str, str]) -> str:
    """Run a PostgreSQL client program found on PATH; returns its output, its error output becomes the
    BackupError."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed (the PostgreSQL client programs) or not on PATH.")
    result = subprocess.run(  # noqa: S603 - a program found on PATH and our own arguments, no shell
        [executable, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def postgres_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for pg_dump and pg_restore: the password travels in PGPASSWORD, never on the
    command line (where `ps` shows it to everyone on the host)."""
    env = {**os.environ}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in _LIBPQ_OPTIONS.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value:
            env[variable] = str(value)
    return env


# --- migrations ---------------------------------------------------------------------------------------------


def migration_state(recorded: set[tuple[str, str]] | None = None) -> dict[str, str]:
    """The last applied migration of each app the code has migrations for: of the `recorded` rows of
    django_migrations (a backup's snapshot), or of the live database."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    if recorded is None:
        recorded = set(MigrationLoader(connection, ignore_no_migrations=True).applied_migrations)
    graph = loader.graph
    applied = set(recorded)
    for key, migration in loader.replacements.items():  # a squashed migration counts once all it replaces do
        if all(tuple(replaced) in recorded for replaced in migration.replaces):
            applied.add(key)
    applied = {key for key in applied if key in graph.node_map}
    state: dict[str, str] = {}
    for app in sorted(loader.migrated_apps):
        mine = {key for key in applied if key[0] == app}
        last = [key for key in mine if not any(child in mine for child in graph.node_map[key].children)]
        if last:
            state[app] = max(name for _app, name in last)
    return state


def migrations_unknown_to_the_code(state: dict[str, str]) -> list[str]:
    """The backup's last migrations that the code does not have: the backup was made by newer code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update((app, name) for app, name in migration.replaces)  # squashed away
    return sorted(f"{app}.{name}" for app, name in state.items() if (app, name) not in known)


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# --- backup: the database -----------------------------------------------------------------------------------


def _sqlite_backup(target: Path) -> Snapshot:
    """SQLite's online backup API: one consistent snapshot while other processes keep writing (a reader
    in WAL mode blocks nobody), the WAL's committed pages included. The copy is left in rollback-journal
    mode, one self-contained file. Returns the copy's row count per table and its applied migrations."""
    name = Path(connection.settings_dict["NAME"])
    if not name.is_file():
        raise BackupError(f"There is no database at {name}.")
    source = sqlite3.connect(name, timeout=60)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        tables = [row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {
            table: copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - catalogue names
            for table in sorted(tables)
            if not table.startswith("sqlite_")
        }
        recorded = (
            {(app, name) for app, name in copy.execute("SELECT app, name FROM django_migrations")}
            if "django_migrations" in tables
            else set()
        )
        return Snapshot(rows=counts, migrations=recorded)
    finally:
        copy.close()
        source.close()


def _postgres_backup(target: Path) -> Snapshot:
    """`pg_dump --format=custom` inside an exported snapshot, so that the row counts and migrations of the
    manifest are those of the dump (pg_dump's own snapshot is consistent too; this one is shared)."""
    if connection.in_atomic_block:
        raise BackupError("A backup of PostgreSQL runs outside any transaction (it opens its own).")
    env = postgres_environment(connection.settings_dict)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(
                "pg_dump",
                ["--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
                env=env,
            )
            counts = {}
            tables = sorted(connection.introspection.table_names(cursor))
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
            recorded: set[tuple[str, str]] = set()
            if "django_migrations" in tables:
                cursor.execute("SELECT app, name FROM django_migrations")
                recorded = {(app, name) for app, name in cursor.fetchall()}
        finally:
            cursor.execute("ROLLBACK")
    return Snapshot(rows=counts, migrations=recorded)


# --- backup: the media --------------------------------------------------------------------------------------


def _storage_files(storage: Storage, directory: str = "") -> Iterator[str]:
    directories, files = storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(directories):
        yield from _storage_files(storage, f"{directory}/{name}" if directory else name)


def _media_files(storage: Storage) -> Iterator[str]:
    """Every stored file's name. For the file system storage a walk of MEDIA_ROOT (a missing root is
    empty); any other storage is listed through its API."""
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        for folder, directories, files in os.walk(root):
            directories.sort()
            for name in sorted(files):
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    yield path.relative_to(root).as_posix()
        return
    yield from _storage_files(storage)


def _media_backup(target: Path) -> dict[str, int]:
    target.mkdir()
    files = total = 0
    for name in _media_files(default_storage):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, destination.open("wb") as copy:
            shutil.copyfileobj(source, copy, CHUNK)
        files += 1
        total += destination.stat().st_size
    return {"files": files, "bytes": total}


# --- backup -------------------------------------------------------------------------------------------------


def _new_directory(output: Path, now: datetime) -> Path:
    """`estatedesk-backup-YYYYMMDD-HHMMSS` in local time; `-2`, `-3` … when one exists already."""
    output.mkdir(parents=True, exist_ok=True)
    stem = f"estatedesk-backup-{timezone.localtime(now):%Y%m%d-%H%M%S}"
    for number in range(1, 100):
        name = stem if number == 1 else f"{stem}-{number}"
        if (output / name).exists() or (output / f"{name}{ARCHIVE_SUFFIX}").exists():
            continue
        directory = output / name
        directory.mkdir(mode=0o700)
        return directory
    raise BackupError(f"Too many backups named {stem} in {output}.")


def _pack(directory: Path) -> Path:
    archive = directory.with_name(directory.name + ARCHIVE_SUFFIX)
    partial = archive.with_name(archive.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(directory, arcname=directory.name)
        partial.chmod(0o600)
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)
    shutil.rmtree(directory)
    return archive


def backup_create(
    *, output: Path, archive: bool = False, now: datetime | None = None
) -> tuple[Path, dict[str, Any]]:
    """Write a backup into a new timestamped directory under `output` (or a .tar.gz with `archive`).
    Returns its path and manifest. Backups hold owners' personal data: readable by their owner only."""
    vendor = _vendor()
    now = now or timezone.now()
    old_umask = os.umask(0o077)
    try:
        directory = _new_directory(output, now)
        try:
            database = directory / DATABASE_FILES[vendor]
            snapshot = _sqlite_backup(database) if vendor == "sqlite" else _postgres_backup(database)
            manifest = {
                "format": FORMAT,
                "app": "estatedesk",
                "version": _app_version(),
                "created_at": now.isoformat(),
                "database": {
                    "vendor": vendor,
                    "file": database.name,
                    "bytes": database.stat().st_size,
                    "sha256": _sha256(database),
                    "rows": snapshot.rows,
                },
                "media": {
                    "storage": f"{type(default_storage).__module__}.{type(default_storage).__qualname__}",
                    "directory": MEDIA,
                    **_media_backup(directory / MEDIA),
                },
                "migrations": migration_state(snapshot.migrations),
            }
            (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            path = _pack(directory) if archive else directory
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    finally:
        os.umask(old_umask)
    logger.info("backup written to %s", path)
    return path, manifest


# --- restore: reading and checking a backup -----------------------------------------------------------------


@contextlib.contextmanager
def backup_open(path: Path) -> Iterator[Path]:
    """The backup's directory: `path` itself, or a .tar.gz unpacked into a temporary directory (removed
    afterwards). Unpacking refuses links and paths outside the directory (tarfile's "data" filter)."""
    if path.is_dir():
        yield path
        return
    if not (path.is_file() and path.name.endswith(ARCHIVE_SUFFIX)):
        raise BackupError(f"No backup at {path}: expected a backup directory or a {ARCHIVE_SUFFIX} file.")
    with tempfile.TemporaryDirectory(prefix="estatedesk-restore-") as temporary:
        try:
            with tarfile.open(path, "r:gz") as tar:
                tar.extractall(temporary, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"Cannot unpack {path}: {error}") from error
        found = sorted(Path(temporary).glob(f"*/{MANIFEST}"))
        if len(found) != 1:
            raise BackupError(f"{path} holds no backup (no {MANIFEST} in its directory).")
        yield found[0].parent


def backup_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{directory} holds no readable {MANIFEST}: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{directory / MANIFEST} is not a backup manifest of format {FORMAT}.")
    return manifest


def backup_problems(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """What stops this backup from being restored here; empty when it can be."""
    database = manifest.get("database") or {}
    vendor = database.get("vendor")
    if vendor != connection.vendor:
        return [f"The backup is of a {vendor} database; this installation uses {connection.vendor}."]
    problems = []
    dump = directory / str(database.get("file", ""))
    if not dump.is_file():
        problems.append(f"The database file {dump.name} is missing.")
    elif _sha256(dump) != database.get("sha256"):
        problems.append(f"{dump.name} is not the file that was backed up (its SHA-256 differs).")
    media = manifest.get("media") or {}
    if media.get("files") and not (directory / MEDIA).is_dir():
        problems.append(f"The {MEDIA}/ directory with {media['files']} files is missing.")
    newer = migrations_unknown_to_the_code(manifest.get("migrations") or {})
    if newer:
        problems.append(
            "The backup was made by a newer version of EstateDesk (migrations this code does not have: "
            + ", ".join(newer)
            + "). Install that version, then restore."
        )
    return problems


# --- restore: the database ----------------------------------------------------------------------------------


def _sqlite_restore(dump: Path) -> None:
    """Check the copy, then put it in place of the database file with one rename (atomic on one file
    system). The old file's WAL is folded in first and its -wal and -shm removed, so that they can never
    be applied to the restored file."""
    target = Path(connection.settings_dict["NAME"])
    staged = target.with_name(f".{target.name}.restoring-{secrets.token_hex(4)}")
    shutil.copyfile(dump, staged)
    try:
        with contextlib.closing(sqlite3.connect(staged)) as check:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"The backed-up database fails SQLite's check: {result}")
        with staged.open("rb+") as handle:
            os.fsync(handle.fileno())
        connections.close_all()
        if target.exists():
            with contextlib.closing(sqlite3.connect(target, timeout=60)) as old:
                busy = old.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:
                raise BackupError(
                    "Another process is using the database: stop the web, worker and scheduler processes."
                )
        staged.replace(target)
    finally:
        staged.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


def _dump_tables(dump: Path, env: dict[str, str]) -> set[str]:
    """The tables in a custom-format dump (`pg_restore --list`)."""
    listing = _run("pg_restore", ["--list", str(dump)], env=env)
    tables = set()
    for line in listing.splitlines():
        fields = line.split()
        # "215; 1259 16390 TABLE public accounts_user postgres"
        if len(fields) >= 6 and not line.startswith(";") and fields[3] == "TABLE":
            tables.add(fields[5])
    return tables


def _postgres_restore(dump: Path) -> None:
    """`pg_restore --clean --if-exists` in one transaction: all of the backup or, on an error, nothing.
    Tables that newer code added since the backup (absent from the dump) are dropped first: their
    migrations are not in the restored django_migrations, so `migrate` creates them again."""
    env = postgres_environment(connection.settings_dict)
    newer_tables = set(connection.introspection.django_table_names(only_existing=True)) - _dump_tables(
        dump, env
    )
    if newer_tables:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in sorted(newer_tables):
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connections.close_all()
    _run(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env=env,
    )


# --- restore: the media -------------------------------------------------------------------------------------


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False)
    else:
        target.mkdir(parents=True)


def _media_restore(source: Path) -> None:
    """MEDIA_ROOT's contents become the backup's media: copied into a hidden folder inside it, then swapped
    in by renames within MEDIA_ROOT (which may be a mount point of its own), the old contents removed
    last. Other storages: through the storage API, every file of the backup saved under its own name and
    every file not in the backup deleted."""
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        root.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(4)
        staged, retired = root / f".restoring-{token}", root / f".replaced-{token}"
        _copy_tree(source, staged)
        retired.mkdir()
        for entry in sorted(root.iterdir()):
            if entry not in (staged, retired):
                entry.replace(retired / entry.name)
        for entry in sorted(staged.iterdir()):
            entry.replace(root / entry.name)
        staged.rmdir()
        shutil.rmtree(retired, ignore_errors=True)
        return
    wanted = {path.relative_to(source).as_posix(): path for path in source.rglob("*") if path.is_file()}
    for name in list(_storage_files(storage)):
        if name not in wanted:
            storage.delete(name)
    for name, path in sorted(wanted.items()):
        if storage.exists(name):
            storage.delete(name)
        with path.open("rb") as handle:
            storage.save(name, handle)


# --- restore ------------------------------------------------------------------------------------------------


def backup_restore(
    *, directory: Path, manifest: dict[str, Any], checked: bool = False, now: datetime | None = None
) -> RestoreInfo:
    """Restore a backup: the database, then migrations the code has and the backup lacks, then the media,
    then every after-restore hook, each in its own transaction. Checks it first (`backup_problems`)
    unless the caller just did (`checked`)."""
    problems = [] if checked else backup_problems(directory, manifest)
    if problems:
        raise BackupError(" ".join(problems))
    dump = directory / manifest["database"]["file"]
    if connection.vendor == "sqlite":
        _sqlite_restore(dump)
    else:
        _postgres_restore(dump)
    if _unapplied_migrations():
        call_command("migrate", interactive=False, verbosity=0)
    _media_restore(directory / MEDIA)
    info = RestoreInfo(
        backed_up_at=datetime.fromisoformat(manifest["created_at"]),
        restored_at=now or timezone.now(),
        manifest=manifest,
    )
    for name, hook in after_restore_hooks().items():
        with transaction.atomic():
            hook(info)
        logger.info("after restore: %s done", name)
    logger.warning(
        "restored the backup of %s (made %s) at %s",
        manifest["database"]["vendor"],
        manifest["created_at"],
        info.restored_at.isoformat(),
    )
    return info
