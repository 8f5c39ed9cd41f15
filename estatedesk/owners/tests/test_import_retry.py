"""R-OA-2, fix and retry without retyping: the rows with problems downloaded as they were with a column
"问题 Problem", corrected and uploaded as they are; or the sound rows imported now, as an explicit, audited
choice; large files checked and imported by the worker with their progress on the batch, never in the
request.

Project A of the personas has building 1; the messy workbook is `estatedesk/owners/tests/messy.py`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook, load_workbook

from estatedesk.common.models import AuditEntry
from estatedesk.org.models import Unit
from estatedesk.owners import import_runs, importing, spreadsheet
from estatedesk.owners.choices import ImportStatus, Relation
from estatedesk.owners.importing import import_check
from estatedesk.owners.models import ImportBatch, Occupancy, Resident, ResidentPhone
from estatedesk.owners.spreadsheet import COLUMNS
from estatedesk.owners.tests.messy import (
    EXCEL_DATE,
    HEADER,
    MESSY_PROBLEMS,
    MOVED_IN,
    SOUND,
    messy_workbook,
)

FIXED_PHONES = {"赵六": "13711110008", "钱七": None, "孙八": "15112342746", "郑一": "13711110013"}


@pytest.fixture(autouse=True)
def _media_and_language(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _worker_inside_the_test_transaction(monkeypatch):
    """The worker closes stale connections between tasks; inside a test's transaction that would close
    the test's own connection, so that one step is left out here."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_queued_tasks(*, failures_expected: bool = False) -> None:
    """What `estatedesk worker` does: claim and run every queued task once (batch mode), then stop."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    assert DBTaskResult.objects.failed().exists() is failures_expected


def upload(client: Any, code: str, path: Path) -> Any:
    file = io.BytesIO(path.read_bytes())
    file.name = path.name
    return client.post(
        reverse("owners:import_upload", args=[code]), {"file": file}, HTTP_ACCEPT_LANGUAGE="en"
    )


def get(client: Any, name: str, batch: ImportBatch, **extra: Any) -> Any:
    return client.get(reverse(f"owners:{name}", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en", **extra)


def commit(client: Any, batch: ImportBatch, **data: Any) -> Any:
    return client.post(reverse("owners:import_commit", args=[batch.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def workbook_of(response: Any) -> Any:
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.problems]


def clean_workbook(path: Path, rows: int) -> Path:
    book = Workbook()
    book.active.append([column.zh for column in COLUMNS])
    for n in range(rows):
        values = {"building": "1", "entrance": "3", "number": str(501 + n), "name": f"甲{n}"}
        book.active.append([values.get(column.key) for column in COLUMNS])
    book.save(path)
    return path


# --- fix and retry ------------------------------------------------------------------------------------------


def test_oa_2_the_rows_with_problems_download_as_they_were_with_a_problem_column(world, login, tmp_path):
    client = login(world.supervisor_a)
    upload(client, "QD-A", messy_workbook(tmp_path / "业主信息.xlsx"))
    batch = ImportBatch.objects.get()

    response = get(client, "import_problems", batch)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = workbook_of(response)
    assert sheet.title == "业主信息"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*HEADER, "问题 Problem")
    assert rows[1:] == [
        (
            4,
            "赵六\u3000",
            "暂无",
            None,
            "业主",
            "1",
            "2",
            "504",
            "2024.5.1",
            "联系电话: “暂无” is not a phone number.",
        ),
        (5, "钱七", "—", None, "业主", "1", "2", "505", "20240501", "联系电话: “—” is not a phone number."),
        (
            6,
            "孙八",
            "151****2746",
            None,
            "业主",
            "1",
            "2",
            "506",
            EXCEL_DATE,
            "联系电话: “151****2746” is not a phone number: its digits are hidden.",
        ),
        (
            8,
            "吴十",
            "13600001111",
            110105194912310000,
            "业主",
            "1",
            "2",
            "508",
            "2024-13-45",
            f"入住时间: {MESSY_PROBLEMS[3][2]}\n身份证号: {MESSY_PROBLEMS[4][2]}",
        ),
        (9, "郑一", "N/A", None, "业主", "1", "2", "509", None, "联系电话: “N/A” is not a phone number."),
    ]
    assert sheet["C2"].number_format == "@"  # typed numbers stay text when corrected
    entry = AuditEntry.objects.get(object_type="owners.importbatch", action="export")
    assert (entry.actor, entry.project_id) == (world.supervisor_a, world.project_a.pk)
    assert entry.changes == {"what": [None, "import rows with problems"], "rows": [None, 5]}


def test_oa_2_fix_and_retry_download_the_problem_rows_correct_them_upload_and_import(world, login, tmp_path):
    # given a messy file checked, and its rows with problems downloaded
    client = login(world.supervisor_a)
    upload(client, "QD-A", messy_workbook(tmp_path / "业主信息.xlsx"))
    batch = ImportBatch.objects.get()
    book = load_workbook(io.BytesIO(b"".join(get(client, "import_problems", batch).streaming_content)))

    # when the rows are corrected in that workbook (nothing retyped but the wrong cells) and uploaded
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        name = row[1].value.strip()
        if name in FIXED_PHONES:
            row[2].value = FIXED_PHONES[name]
        if name == "吴十":
            row[3].value = "11010519491231002X"
            row[8].value = "2024-05-01"
    fixed = tmp_path / "业主信息-problems.xlsx"
    book.save(fixed)
    response = upload(client, "QD-A", fixed)
    retry = ImportBatch.objects.exclude(pk=batch.pk).get()

    # then the corrected rows pass, the problem column is only ignored, and they import
    assert response["Location"] == reverse("owners:import_detail", args=[retry.pk])
    assert problems_of(retry) == []
    assert retry.layout["ignored"] == ["序号", "问题 Problem"]
    assert (retry.status, retry.row_count) == (ImportStatus.VALIDATED, 5)
    response = commit(client, retry, rows="all")
    retry.refresh_from_db()
    assert retry.status == ImportStatus.COMMITTED
    assert retry.summary == {"created": 5, "updated": 0, "unchanged": 0, "units_created": 5}
    fixed_names = ["赵六", "钱七", "孙八", "吴十", "郑一"]
    assert sorted(Resident.objects.filter(name__in=fixed_names).values_list("name", flat=True)) == sorted(
        fixed_names
    )
    assert Resident.objects.get(name="孙八").phones.get().number == "15112342746"
    assert not Resident.objects.get(name="钱七").phones.exists()  # a blank phone is no problem
    wu = Resident.objects.get(name="吴十")
    assert (wu.id_number, wu.occupancies.get().started_on) == ("11010519491231002X", MOVED_IN)


# --- importing the sound rows now ---------------------------------------------------------------------------


def test_oa_2_importing_the_sound_rows_now_is_an_explicit_audited_choice(world, login, tmp_path):
    client = login(world.supervisor_a)
    upload(client, "QD-A", messy_workbook(tmp_path / "业主信息.xlsx"))
    batch = ImportBatch.objects.get()
    page = get(client, "import_detail", batch).content.decode()
    assert 'data-testid="import-sound-form"' in page
    assert "Import 4 rows without problems" in page

    # never silently: without ticking the box nothing is imported
    response = commit(client, batch, rows="sound")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Tick the box to confirm that the rows with problems are left out of this import." in page
    assert not Resident.objects.filter(name__in=SOUND.values()).exists()
    assert commit(client, batch, rows="all").status_code == 302
    assert not Resident.objects.filter(name__in=SOUND.values()).exists()

    # the choice made: the sound rows are imported, in one go
    response = commit(client, batch, rows="sound", skip_confirmed="on")
    batch.refresh_from_db()
    assert (batch.status, batch.sound_rows_only, batch.committed_by) == (
        ImportStatus.COMMITTED,
        True,
        world.supervisor_a,
    )
    assert sorted(Resident.objects.filter(name__in=SOUND.values()).values_list("name", flat=True)) == sorted(
        SOUND.values()
    )
    assert not Resident.objects.filter(name__in=["赵六", "钱七", "孙八", "吴十", "郑一"]).exists()
    entry = AuditEntry.objects.get(object_type="owners.importbatch", object_id=str(batch.pk))
    assert entry.actor == world.supervisor_a
    assert entry.changes["sound_rows_only"] == [None, True]
    assert entry.changes["imported_rows"] == [None, 4]
    assert entry.changes["skipped_rows"] == [None, 5]
    assert entry.changes["skipped"] == [None, [8, 9, 10, 12, 13]]

    # the result page lists the rows left out, and they download to be corrected
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported 4 rows; the rows with problems were left out." in page
    assert "4 rows without problems have been imported; the 5 rows with problems were left out" in page
    assert page.count('data-testid="import-problem"') == len(MESSY_PROBLEMS)
    assert 'data-testid="import-skipped-download"' in page
    skipped = workbook_of(get(client, "import_problems", batch))
    assert [row[1] for row in skipped.iter_rows(min_row=2, values_only=True)] == [
        "赵六\u3000",
        "钱七",
        "孙八",
        "吴十",
        "郑一",
    ]

    # and the batch is imported once
    commit(client, batch, rows="sound", skip_confirmed="on")
    assert Resident.objects.filter(name="张伟").count() == 1


def test_oa_2_the_sound_rows_are_refused_when_the_archive_changed_their_problems(world, login, tmp_path):
    client = login(world.supervisor_a)
    upload(client, "QD-A", messy_workbook(tmp_path / "业主信息.xlsx"))
    batch = ImportBatch.objects.get()
    # since the check, 李娜's number (row 6) was given to someone else in her unit
    unit = Unit.objects.create(
        project=world.project_a,
        building=world.unit_a.building,
        entrance="2",
        number="502",
        floor=5,
        label="1-2-502",
    )
    for name, number in (("李娜", "13900000000"), ("别人", "13911112222")):
        resident = Resident.objects.create(name=name)
        ResidentPhone.objects.create(resident=resident, number=number, last4=number[-4:])
        Occupancy.objects.create(resident=resident, unit=unit, relation=Relation.OWNER)

    response = commit(client, batch, rows="sound", skip_confirmed="on")

    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert batch.problem_rows == [6, 8, 9, 10, 12, 13]
    assert not Resident.objects.filter(name="张伟").exists()
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The archive has changed since the check; nothing was imported." in page


def test_oa_2_a_file_with_a_problem_of_its_own_offers_no_sound_rows(world, login, tmp_path):
    book = Workbook()
    book.active.append(["楼栋", "姓名"])
    book.active.append(["1", "张伟"])
    book.save(tmp_path / "short.xlsx")
    client = login(world.supervisor_a)
    upload(client, "QD-A", tmp_path / "short.xlsx")
    batch = ImportBatch.objects.get()

    page = get(client, "import_detail", batch).content.decode()
    commit(client, batch, rows="sound", skip_confirmed="on")

    assert 'data-testid="import-sound-form"' not in page
    assert 'data-testid="import-problems-download"' not in page
    assert get(client, "import_problems", batch).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert not Resident.objects.filter(name="张伟").exists()


# --- large files in the worker ------------------------------------------------------------------------------


def test_oa_2_a_large_import_runs_as_a_task_with_its_progress_on_the_batch(
    world, login, tmp_path, monkeypatch
):
    # given files "large" from 4 rows on, progress every 2 rows, and the progress the worker writes recorded
    monkeypatch.setattr(import_runs, "INLINE_MAX_ROWS", 3)
    monkeypatch.setattr(spreadsheet, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    written: list[tuple[str, int, int]] = []
    record = import_runs.BatchProgress.__call__

    def recording(self: Any, stage: str, done: int, total: int) -> None:
        written.append((stage, done, total))
        record(self, stage, done, total)

    monkeypatch.setattr(import_runs.BatchProgress, "__call__", recording)
    client = login(world.supervisor_a)

    # when a 5-row file is uploaded, nothing is read in the request: a task is queued with the batch
    response = upload(client, "QD-A", clean_workbook(tmp_path / "owners.xlsx", 5))
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("owners:import_detail", args=[batch.pk])
    assert (batch.phase, batch.row_count, batch.status) == (ImportBatch.Phase.QUEUED, 0, ImportStatus.INVALID)
    task = DBTaskResult.objects.get()
    assert task.task_path == "estatedesk.owners.import_runs.import_check_run"
    assert task.args_kwargs["kwargs"] == {"batch_id": batch.pk}
    page = get(client, "import_detail", batch).content.decode()
    assert f'hx-get="{reverse("owners:import_progress", args=[batch.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page
    fragment = get(client, "import_progress", batch)
    assert "Waiting for the worker" in fragment.content.decode()
    assert "HX-Refresh" not in fragment

    # then the worker checks it, writing its progress as it goes
    run_queued_tasks()
    batch.refresh_from_db()
    assert (batch.phase, batch.status, batch.row_count) == (ImportBatch.Phase.DONE, ImportStatus.VALIDATED, 5)
    assert (batch.rows_read, batch.rows_total) == (5, 5)
    assert written == [
        ("reading", 2, 5),
        ("reading", 4, 5),
        ("reading", 5, 5),
        ("checking", 2, 5),
        ("checking", 4, 5),
        ("checking", 5, 5),
    ]
    assert get(client, "import_progress", batch)["HX-Refresh"] == "true"

    # and the import, asked for on the page, is the worker's too
    written.clear()
    commit(client, batch, rows="all")
    batch.refresh_from_db()
    assert (batch.phase, batch.committed_by, batch.rows_total) == (
        ImportBatch.Phase.QUEUED,
        world.supervisor_a,
        5,
    )
    assert not Resident.objects.filter(name__startswith="甲").exists()
    response = commit(client, batch, rows="all")  # a second click while it waits
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This file is being checked or imported; wait until it is done." in page
    assert (
        DBTaskResult.objects.filter(task_path="estatedesk.owners.import_runs.import_commit_run").count() == 1
    )
    run_queued_tasks()
    batch.refresh_from_db()
    assert (batch.status, batch.phase) == (ImportStatus.COMMITTED, ImportBatch.Phase.DONE)
    assert Resident.objects.filter(name__startswith="甲").count() == 5
    assert written == [("reading", 2, 5), ("reading", 4, 5), ("reading", 5, 5), ("writing", 0, 5)]
    assert AuditEntry.objects.filter(object_type="owners.importbatch", action="import").count() == 1


def test_oa_2_a_task_that_fails_stops_the_progress_and_imports_nothing(world, login, tmp_path, monkeypatch):
    monkeypatch.setattr(import_runs, "INLINE_MAX_ROWS", 1)
    client = login(world.supervisor_a)
    upload(client, "QD-A", clean_workbook(tmp_path / "owners.xlsx", 3))
    run_queued_tasks()
    batch = ImportBatch.objects.get()
    commit(client, batch, rows="all")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_write", fail)
    run_queued_tasks(failures_expected=True)

    batch.refresh_from_db()
    assert (batch.phase, batch.status) == (ImportBatch.Phase.FAILED, ImportStatus.VALIDATED)
    assert not Resident.objects.filter(name__startswith="甲").exists()
    page = get(client, "import_detail", batch).content.decode()
    assert 'data-testid="import-failed"' in page
    assert 'data-testid="import-commit"' in page  # it may be tried again


def test_oa_2_a_small_file_is_still_checked_in_the_request(world, login, tmp_path):
    client = login(world.supervisor_a)

    upload(client, "QD-A", clean_workbook(tmp_path / "owners.xlsx", 3))

    batch = ImportBatch.objects.get()
    assert (batch.phase, batch.status, batch.row_count) == (ImportBatch.Phase.DONE, ImportStatus.VALIDATED, 3)
    assert not DBTaskResult.objects.exists()


# --- who may see it -----------------------------------------------------------------------------------------


def test_oa_2_progress_and_downloads_are_scoped_like_the_import_page(world, login, client, tmp_path):
    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=messy_workbook(tmp_path / "m.xlsx")
    )

    for name in ("import_progress", "import_problems", "import_detail"):
        assert get(login(world.outsider), name, batch).status_code == 404, name
        assert get(login(world.agent_a), name, batch).status_code == 403, name
        assert get(login(world.pm_a), name, batch).status_code == 200, name
    client.logout()
    assert get(client, "import_progress", batch).status_code == 302


# --- the console ------------------------------------------------------------------------------------------


def test_oa_2_cli_says_how_the_file_was_read_and_imports_the_sound_rows_when_told(world, tmp_path):
    path = messy_workbook(tmp_path / "业主信息.xlsx")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_owners", str(path), project="QD-A", commit=True, no_progress=True, stdout=out)
    assert out.getvalue().splitlines()[:4] == [
        "sheet 业主信息, headers in row 3",
        "columns read as: 业主姓名 → 姓名, 联系电话 → 手机, 身份证号 → 证件号码, 身份 → 关系, 楼号 → 楼栋, "
        "房间号 → 房号, 入住时间 → 入住日期",
        "columns ignored: 序号",
        "row 4: The template's example row (示例) is not imported.",
    ]
    assert not Resident.objects.filter(name__in=SOUND.values()).exists()

    out = io.StringIO()
    call_command(
        "import_owners",
        str(path),
        project="QD-A",
        commit=True,
        skip_problem_rows=True,
        no_progress=True,
        stdout=out,
    )

    batch = ImportBatch.objects.get(status=ImportStatus.COMMITTED)
    assert out.getvalue().splitlines()[-1] == (
        "Imported 4 rows without problems: 4 created, 0 updated, 0 unchanged, 4 units created; "
        f"left out 5 rows with problems (import #{batch.pk})."
    )
    assert (batch.sound_rows_only, batch.committed_by) == (True, world.sysadmin)
    assert Resident.objects.filter(name__in=SOUND.values()).count() == 4


@pytest.mark.parametrize(("language", "chinese"), [("", True), ("zh-hans", True), ("en", False)])
def test_oa_2_the_worker_writes_the_problems_in_the_uploaders_language(
    world, login, tmp_path, monkeypatch, language, chinese
):
    # given a file large enough for the worker, uploaded by a supervisor with this language (none: the
    # company's), while the worker's own thread happens to have English active
    monkeypatch.setattr(import_runs, "INLINE_MAX_ROWS", 3)
    world.supervisor_a.preferred_language = language
    world.supervisor_a.save(update_fields=["preferred_language"])
    upload(login(world.supervisor_a), "QD-A", messy_workbook(tmp_path / "业主信息.xlsx"))
    # when the worker checks it
    with translation.override("en"):
        run_queued_tasks()
    # then the problems read in the uploader's language
    messages = " ".join(message for _row, _column, message in problems_of(ImportBatch.objects.get()))
    assert messages
    assert ("is not a phone number" in messages) is not chinese
