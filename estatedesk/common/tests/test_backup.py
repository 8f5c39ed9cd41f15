"""Backup and restore (issue 16, item 9): the drill on the suite's database (SQLite, or PostgreSQL with
DATABASE_URL), the manifest, the refusals, and no feedback reference handed out twice after a restore."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from PIL import Image

from estatedesk.common.backup import (
    RestoreInfo,
    after_restore_hooks,
    migration_state,
    postgres_environment,
)
from estatedesk.feedback.backup_hooks import reference_counters_repair
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import Attachment, FeedbackItem, ReferenceCounter
from estatedesk.feedback.photos import feedback_photos_add, thumbnail_name

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _register(world: Any, title: str, **extra: Any) -> FeedbackItem:
    return feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            title=title,
            description=f"{title}: please send someone.",
        ),
        **extra,
    )


def _photo(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _with_photo(world: Any, item: FeedbackItem, name: str) -> Attachment:
    feedback_photos_add(actor=world.agent_a, item=item, photos=[_photo(name)])
    return item.attachments.get(name=name)


def _backup(tmp_path: Path, *extra: str) -> Path:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), *extra, stdout=out)
    written = sorted((tmp_path / "backups").iterdir())
    assert len(written) == 1, out.getvalue()
    return written[0]


def _manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / "manifest.json").read_text())


def _number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


# --- the drill ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ops_drill_backup_then_restore_brings_back_the_data_and_media_and_never_reuses_a_reference(
    world, media, tmp_path
):
    # given an item with a photo, backed up (as one .tar.gz) at 09:30
    with time_machine.travel(MORNING, tick=False):
        kept = _register(world, "Lift stuck on floor 3")
        kept_photo = _with_photo(world, kept, "lift.png")
        archive = _backup(tmp_path, "--archive")
    # and, after the backup, another item with a photo, its reference perhaps already told to the customer
    with time_machine.travel(NOON, tick=False):
        lost = _register(world, "Leak in the garage")
        lost_photo = _with_photo(world, lost, "leak.png")
    assert default_storage.exists(lost_photo.file.name)

    # when the backup is restored
    with time_machine.travel(NOON, tick=False):
        call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    # then the data is as of the backup: the earlier item and its photo are back, the later ones are gone
    assert archive.name.endswith(".tar.gz")
    assert list(FeedbackItem.objects.values_list("reference", flat=True)) == [kept.reference]
    assert list(Attachment.objects.values_list("file", flat=True)) == [kept_photo.file.name]
    assert default_storage.exists(kept_photo.file.name)
    assert not default_storage.exists(lost_photo.file.name)
    # and the next registration of the day gets a reference that was never handed out
    with time_machine.travel(NOON, tick=False):
        fresh = _register(world, "Broken street lamp")
    assert (kept.reference, lost.reference) == ("QD-A-20261126-0001", "QD-A-20261126-0002")
    assert fresh.reference == "QD-A-20261126-1002"


@pytest.mark.django_db(transaction=True)
def test_ops_backup_writes_a_manifest_with_checksum_counts_and_migrations(world, media, tmp_path):
    # given two items, one with a photo
    first = _register(world, "Lift stuck on floor 3")
    _register(world, "Leak in the garage")
    photo = _with_photo(world, first, "lift.png")

    # when a backup is made into a directory
    path = _backup(tmp_path)

    # then its manifest describes it
    manifest = _manifest(path)
    database = manifest["database"]
    assert path.name.startswith("estatedesk-backup-")
    assert database["vendor"] == connection.vendor
    assert (path / database["file"]).stat().st_size == database["bytes"]
    assert len(database["sha256"]) == 64
    assert database["rows"]["feedback_feedbackitem"] == 2
    assert database["rows"]["feedback_attachment"] == 1
    thumbnail = media / thumbnail_name(photo)  # made at upload for the item page's grid
    assert manifest["media"]["files"] == 2
    assert manifest["media"]["bytes"] == photo.file.size + thumbnail.stat().st_size
    assert (path / "media" / photo.file.name).read_bytes() == (media / photo.file.name).read_bytes()
    assert manifest["migrations"] == migration_state()
    assert {"feedback", "owners", "org", "accounts", "common"} <= set(manifest["migrations"])
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    # and only its owner may read it: it holds owners' personal data
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.django_db(transaction=True)
def test_ops_restore_check_accepts_a_good_backup_and_changes_nothing(world, media, tmp_path):
    # given a backup, then one more item
    _register(world, "Lift stuck on floor 3")
    path = _backup(tmp_path)
    _register(world, "Leak in the garage")

    # when the backup is only checked
    out = io.StringIO()
    call_command("restore", str(path), "--check", stdout=out)

    # then it passes, and the data is untouched
    assert "can be restored" in out.getvalue()
    assert FeedbackItem.objects.count() == 2


@pytest.fixture
def fully_migrated_afterwards():
    yield
    call_command("migrate", interactive=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_ops_a_backup_older_than_the_code_is_restored_and_migrated(
    world, media, tmp_path, fully_migrated_afterwards
):
    # given a backup made before the API tokens' table existed, and the code that has it
    call_command("migrate", "authtoken", "zero", interactive=False, verbosity=0)
    _register(world, "Registered before the upgrade")
    path = _backup(tmp_path)
    call_command("migrate", "authtoken", interactive=False, verbosity=0)
    _register(world, "Registered after the upgrade")

    # when the backup is restored
    call_command("restore", str(path), "--yes", stdout=io.StringIO())

    # then the data is the backup's and the database has every migration of the code again
    assert "authtoken" not in _manifest(path)["migrations"]
    assert list(FeedbackItem.objects.values_list("title", flat=True)) == ["Registered before the upgrade"]
    assert "authtoken_token" in connection.introspection.table_names()
    assert ("authtoken", migration_state()["authtoken"]) in MigrationLoader(None).graph.leaf_nodes(
        "authtoken"
    )


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ops_restore_refuses_a_backup_made_by_newer_code(world, media, tmp_path):
    # given a backup whose feedback app has a migration this code does not know
    path = _backup(tmp_path)
    manifest = _manifest(path)
    manifest["migrations"]["feedback"] = "9999_from_the_future"
    (path / "manifest.json").write_text(json.dumps(manifest))
    _register(world, "Registered after the backup")

    # when it is restored
    with pytest.raises(CommandError, match=r"newer version .*feedback\.9999_from_the_future"):
        call_command("restore", str(path), "--yes", stdout=io.StringIO())

    # then nothing was replaced
    assert FeedbackItem.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ops_restore_refuses_a_changed_database_file(world, media, tmp_path):
    # given a backup whose database file was changed after it was written
    path = _backup(tmp_path)
    dump = path / _manifest(path)["database"]["file"]
    dump.write_bytes(dump.read_bytes() + b"\0")

    # when it is restored, then it is refused
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command("restore", str(path), "--yes", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_ops_restore_refuses_a_backup_of_the_other_database_vendor(world, media, tmp_path):
    # given a backup labelled as coming from the other database
    path = _backup(tmp_path)
    manifest = _manifest(path)
    manifest["database"]["vendor"] = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    (path / "manifest.json").write_text(json.dumps(manifest))

    # when it is restored, then it is refused
    with pytest.raises(CommandError, match="this installation uses"):
        call_command("restore", str(path), "--yes", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_ops_restore_asks_for_yes_when_nobody_can_answer(world, media, tmp_path, monkeypatch):
    # given a backup, and a restore run without a terminal (cron, CI)
    path = _backup(tmp_path)
    _register(world, "Registered after the backup")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    # when it is restored without --yes, then it refuses and changes nothing
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert FeedbackItem.objects.count() == 1


def test_ops_restore_refuses_a_path_that_is_no_backup(tmp_path):
    (tmp_path / "notes.txt").write_text("not a backup")

    with pytest.raises(CommandError, match="No backup"):
        call_command("restore", str(tmp_path / "notes.txt"), "--yes", stdout=io.StringIO())


# --- reference counters after a restore ---------------------------------------------------------------------


def test_ops_restore_runs_the_feedback_reference_repair():
    assert "estatedesk.feedback.backup_hooks.reference_counters_repair" in after_restore_hooks()


def _counter(project: Any, day: date) -> int | None:
    return ReferenceCounter.objects.filter(project=project, day=day).values_list("last", flat=True).first()


def test_ops_reference_counters_rise_above_every_reference_on_file_and_jump_in_the_lost_window(
    world, settings
):
    # given items on the 20th and the 26th whose counters lag behind (a restore from an odd copy)
    settings.ESTATEDESK_RESTORE_REFERENCE_GAP = 1000
    old = _register(world, "Old item", registered_at=datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    _register(world, "Recent item", registered_at=MORNING)
    recent = _register(world, "Another recent item", registered_at=MORNING)
    ReferenceCounter.objects.update(last=0)

    # when a backup of the 25th is restored on the 26th
    reference_counters_repair(
        RestoreInfo(
            backed_up_at=datetime(2026, 11, 25, 23, 0, tzinfo=SHANGHAI), restored_at=NOON, manifest={}
        )
    )

    # then a day outside the window is raised to its highest reference
    assert (_number(old.reference), _number(recent.reference)) == (1, 2)
    assert _counter(world.project_a, date(2026, 11, 20)) == 1
    # and every project's counters of the 25th and the 26th jump by the gap above what is on file
    assert _counter(world.project_a, date(2026, 11, 25)) == 1000
    assert _counter(world.project_a, date(2026, 11, 26)) == 1002
    assert _counter(world.project_b, date(2026, 11, 26)) == 1000
    assert _counter(world.project_a2, date(2026, 11, 25)) == 1000
    assert _counter(world.project_a, date(2026, 11, 27)) is None


def test_ops_reference_counters_ignore_references_of_a_former_project_code(world):
    # given an item whose reference carries the project's former code
    item = _register(world, "Registered before the project was renamed", registered_at=MORNING)
    FeedbackItem.objects.filter(pk=item.pk).update(reference="OLD-20261120-0042")

    # when the counters are repaired outside any lost window
    reference_counters_repair(RestoreInfo(backed_up_at=NOON, restored_at=NOON, manifest={}))

    # then the former code's numbers do not count: they can never collide with the current code's
    assert _counter(world.project_a, date(2026, 11, 20)) is None


# --- PostgreSQL connection --------------------------------------------------------------------------------


def test_sec_pg_dump_gets_the_password_from_the_environment_not_the_command_line():
    env = postgres_environment(
        {
            "NAME": "estatedesk",
            "USER": "backup",
            "PASSWORD": "s3cret",
            "HOST": "db.example.com",
            "PORT": 5432,
            "OPTIONS": {"sslmode": "require"},
        }
    )

    assert (env["PGDATABASE"], env["PGUSER"], env["PGHOST"], env["PGPORT"]) == (
        "estatedesk",
        "backup",
        "db.example.com",
        "5432",
    )
    assert (env["PGPASSWORD"], env["PGSSLMODE"]) == ("s3cret", "require")
