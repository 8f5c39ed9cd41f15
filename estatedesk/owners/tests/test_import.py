"""The owner-archive Excel import (R-OA-2): a dry run with a clear per-row report, then all rows at once
or nothing; the template, the pages, the console command and who may use them.

Workbooks are built in each test with openpyxl (no binary fixtures). Project A of the personas has
building 1 (units 1-1-101 with 沈业主 13800001234 and 1-1-102 with 邻居 13900005678) and the common area G1.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.models import Unit
from estatedesk.owners import importing, spreadsheet, views_import
from estatedesk.owners.choices import ImportStatus, Relation
from estatedesk.owners.exporting import project_export
from estatedesk.owners.importing import import_check, import_commit
from estatedesk.owners.management.commands.import_owners import ProgressBar
from estatedesk.owners.models import EmailChange, ImportBatch, Occupancy, Resident, ResidentPhone
from estatedesk.owners.spreadsheet import COLUMNS, Problem

ID_CARD = "11010519491231002X"  # a valid resident ID card number (check digit X)


# --- builders ------------------------------------------------------------------------------------------


def person(**values: Any) -> dict[str, Any]:
    """A row for a new person in unit 1-2-501 of project A unless told otherwise."""
    row = {"building": "1", "entrance": "2", "number": "501", "name": "张伟", "phones": "13812345678"}
    row.update(values)
    return row


def workbook(path: Path, rows: list[dict[str, Any]], *, language: str = "zh") -> Path:
    """An .xlsx with every column (headers in Chinese, English or as keys) and the given rows."""
    book = Workbook()
    sheet = book.active
    sheet.append([getattr(column, language) for column in COLUMNS])
    for row in rows:
        sheet.append([row.get(column.key) for column in COLUMNS])
    book.save(path)
    return path


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.problems]


def archive_counts() -> dict[str, int]:
    return {
        "residents": Resident.objects.count(),
        "phones": ResidentPhone.objects.count(),
        "occupancies": Occupancy.objects.count(),
        "units": Unit.objects.count(),
        "audit": AuditEntry.objects.filter(object_type="owners.resident").count(),
    }


@pytest.fixture(autouse=True)
def _media_and_language(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def checked(world: Any, tmp_path: Path) -> Any:
    """check(rows) → the batch of a dry run of those rows by the CS supervisor of project A."""

    def check(rows: list[dict[str, Any]], name: str = "owners.xlsx", **options: Any) -> ImportBatch:
        path = workbook(tmp_path / name, rows, **options)
        return import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    return check


# --- the template -------------------------------------------------------------------------------------


def test_oa_2_template_downloads_and_its_headers_round_trip_through_the_reader(world, login):
    response = login(world.supervisor_a).get(reverse("owners:import_template"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["业户档案", "说明 Instructions"]
    assert [cell.value for cell in book.worksheets[0][1]] == [column.zh for column in COLUMNS]
    instructions = list(book.worksheets[1].iter_rows(min_row=2, max_row=len(COLUMNS) + 1, values_only=True))
    assert instructions[0] == ("楼栋 (Building)", "是 Yes", "Building code as in the project, e.g. 3", "1")
    assert [row[1] for row in instructions] == ["是 Yes" if c.required else "否 No" for c in COLUMNS]
    sheet = spreadsheet.read_sheet(io.BytesIO(content))
    assert list(sheet.headers) == [column.key for column in COLUMNS]
    assert (sheet.layout.sheet, sheet.layout.header_row, sheet.layout.ignored) == ("业户档案", 1, [])
    assert sheet.rows == []  # the example row is never a person
    assert sheet.notes == [Problem(2, "姓名", "The template's example row (示例) is not imported.")]
    assert sheet.problems == [Problem(0, "", "The workbook has no data rows.")]


def test_oa_2_the_template_example_row_is_skipped_with_a_note(world, tmp_path):
    # given the template as downloaded, with its example row left in and one person typed below it
    book = load_workbook(io.BytesIO(spreadsheet.template_workbook()))
    assert book.worksheets[0]["G2"].value == "张伟（示例）"
    book.worksheets[0].append(["1", "2", "502", None, None, None, "李娜", "业主", "13911112222"])
    book.save(tmp_path / "template.xlsx")

    # when it is checked and imported
    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=tmp_path / "template.xlsx"
    )
    batch = import_commit(actor=world.supervisor_a, batch=batch)

    # then the example is left out with a note, and only the typed person is imported
    assert batch.status == ImportStatus.COMMITTED
    assert batch.row_count == 1
    assert batch.layout["notes"] == [
        {"row": 2, "column": "姓名", "message": "The template's example row (示例) is not imported."}
    ]
    assert batch.summary == {"created": 1, "updated": 0, "unchanged": 0, "units_created": 1}
    assert not Resident.objects.filter(name__contains="示例").exists()
    assert Resident.objects.filter(name="李娜").count() == 1


def test_oa_2_english_headers_are_accepted(checked):
    batch = checked([person(email="zw@example.com")], language="en")

    assert batch.problems == []
    assert batch.status == ImportStatus.VALIDATED
    assert batch.row_count == 1


# --- the dry run reports every problem --------------------------------------------------------------


def test_oa_2_messy_file_reports_each_problem_and_commits_nothing(world, checked, tmp_path):
    # given a second person in 1-1-101, and a file with one problem in each row
    member = Resident.objects.create(name="沈家属", name_initials="sjs")
    ResidentPhone.objects.create(resident=member, number="13600001111", last4="1111")
    Occupancy.objects.create(resident=member, unit=world.unit_a, relation=Relation.MEMBER)
    before = archive_counts()
    rows = [
        person(phones="12345"),  # row 2
        person(building="9", number="101"),  # row 3
        person(number="601", name="李娜", phones="13911112222"),  # row 4
        person(number="601", name="李娜娜", phones="139-1111-2222"),  # row 5: same unit and phone as row 4
        person(number="602", name=None),  # row 6
        person(number="603", name="=1+1", phones="13722223333"),  # row 7: a formula, fine as text
        person(number="604", name="王芳", phones="13733334444", moved_in_on="2021-13-45"),  # row 8
        person(entrance="1", number="101", name="沈家属", phones="13800001234"),  # row 9
        person(number="605", name="赵六", phones="13744445555", email="not-an-email"),  # row 10
        person(building="G1", number="701", name="钱七", phones="13755556666"),  # row 11
    ]

    # when the file is checked
    batch = checked(rows)

    # then each problem is reported at its row and column, and nothing is written
    assert batch.status == ImportStatus.INVALID
    assert batch.row_count == 10
    assert problems_of(batch) == [
        (2, "手机", "“12345” is not a phone number."),
        (3, "楼栋", "Unknown building “9” in this project."),
        (5, "手机", "Same person as row 4 (same unit and mobile number)."),
        (6, "姓名", "Required; this cell is empty."),
        (8, "入住日期", "“2021-13-45” is not a date; write it as 2021-06-15."),
        (9, "手机", "Phone 13800001234 is on file for 沈业主, another person in this unit."),
        (10, "邮箱", "“not-an-email” is not an email address."),
        (11, "楼栋", "“G1” is a common area, not a building."),
    ]
    assert batch.problem_rows == [2, 3, 5, 6, 8, 9, 10, 11]
    assert batch.problem_count == 8
    assert batch.summary == {}
    assert archive_counts() == before
    with pytest.raises(DomainError) as error:
        import_commit(actor=world.supervisor_a, batch=batch)
    assert error.value.code == "owners.import_not_validated"
    assert archive_counts() == before


def test_oa_2_same_name_twice_in_a_unit_is_reported_on_the_later_row(checked):
    batch = checked([person(phones=""), person(phones="13812345678"), person(name="李娜", phones="")])

    assert problems_of(batch) == [(3, "姓名", "Same person as row 2 (same unit and name).")]


def test_oa_2_missing_required_columns_are_reported_once(world, tmp_path):
    book = Workbook()
    book.active.append(["楼栋", "姓名"])
    book.active.append(["1", "张伟"])
    book.save(tmp_path / "short.xlsx")

    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=tmp_path / "short.xlsx"
    )

    assert problems_of(batch) == [(1, "", "Required columns are missing: 房号.")]


def test_oa_2_problems_beyond_the_stored_thousand_are_counted_and_downloadable(
    world, checked, login, monkeypatch
):
    monkeypatch.setattr(importing, "MAX_STORED_PROBLEMS", 2)
    monkeypatch.setattr(views_import, "MAX_ON_SCREEN", 1)
    batch = checked([person(number=str(501 + n), phones="1234") for n in range(3)])

    assert batch.problem_count == 3
    assert len(batch.problems) == 2
    client = login(world.supervisor_a)
    page = client.get(reverse("owners:import_detail", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.content.decode().count('data-testid="import-problem"') == 1
    assert "The first 1 of 3 problems are shown" in page.content.decode()
    download = client.get(reverse("owners:import_problems", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*[column.zh for column in COLUMNS], "问题 Problem")
    assert [(row[2], row[8], row[-1]) for row in rows[1:]] == [
        ("501", "1234", "手机: “1234” is not a phone number."),
        ("502", "1234", "手机: “1234” is not a phone number."),
        ("503", "1234", "手机: “1234” is not a phone number."),
    ]


def test_oa_2_a_file_over_the_size_cap_is_refused_with_a_clear_message(world, checked, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 1024)

    batch = checked([person(notes="x" * 5000)])

    assert batch.status == ImportStatus.INVALID
    assert problems_of(batch) == [(0, "", "The file is larger than 1 KB; split it into several files.")]
    assert not batch.file  # an oversized file is not kept


def test_oa_2_a_file_over_the_row_cap_is_refused_with_a_clear_message(checked, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)

    batch = checked([person(number=str(501 + n), phones="") for n in range(3)])

    assert batch.status == ImportStatus.INVALID
    assert problems_of(batch) == [(0, "", "More than 2 rows; split the file.")]


def test_oa_2_a_file_that_is_not_a_workbook_is_reported(world, tmp_path):
    path = tmp_path / "owners.xlsx"
    path.write_text("姓名,手机\n张伟,13812345678\n", encoding="utf-8")

    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    assert problems_of(batch) == [(0, "", "This is not an Excel workbook (.xlsx).")]


def test_oa_2_the_check_makes_a_fixed_number_of_queries_whatever_the_rows(world, checked):
    checked([person()])  # the supervisor's scope is cached from here on
    with CaptureQueriesContext(connection) as few:
        checked([person(number=str(501 + n), name=f"甲{n}", phones=f"1381234{n:04d}") for n in range(3)])
    with CaptureQueriesContext(connection) as many:
        checked([person(number=str(501 + n), name=f"乙{n}", phones=f"1391234{n:04d}") for n in range(60)])

    assert len(many) == len(few)


# --- the import --------------------------------------------------------------------------------------


def test_oa_2_clean_file_commits_every_row(world, checked):
    # given a file with two people in a new unit and a tenant in an existing one
    rows = [
        person(
            floor_area="118.5",
            unit_status="已入住",
            handover_on="2021-05-01",
            email="zw@example.com",
            id_type="身份证",
            id_number=ID_CARD.lower(),
            moved_in_on="2021/6/15",
            language="English",
            contact_preference="短信",
            notes="养狗",
        ),
        person(name="张小伟", relation="家庭成员", phones="13812345679 / 0532-88776655"),
        person(entrance="1", number="102", name="租客", relation="租户", phones="13700000001"),
    ]
    batch = checked(rows)
    assert batch.status == ImportStatus.VALIDATED
    assert batch.summary == {"created": 3, "updated": 0, "unchanged": 0, "units_created": 1}

    # when it is imported
    batch = import_commit(actor=world.supervisor_a, batch=batch)

    # then every row is in the archive, with one audit row per person and one for the batch
    assert batch.status == ImportStatus.COMMITTED
    assert batch.committed_at is not None
    assert batch.summary == {"created": 3, "updated": 0, "unchanged": 0, "units_created": 1}
    unit = Unit.objects.get(project=world.project_a, label="1-2-501")
    assert (unit.floor, unit.entrance, unit.number, unit.building.code) == (5, "2", "501", "1")
    assert (unit.status, unit.floor_area, unit.handover_on) == (
        "occupied",
        Decimal("118.50"),
        date(2021, 5, 1),
    )
    zhang = Resident.objects.get(name="张伟")
    assert (zhang.email, zhang.id_type, zhang.id_number) == ("zw@example.com", "id_card", ID_CARD)
    assert (zhang.preferred_language, zhang.contact_preference, zhang.notes) == ("en", "sms", "养狗")
    assert (zhang.name_initials, zhang.name_pinyin) == ("zw", "zhang wei")
    occupancy = zhang.occupancies.get()
    assert (occupancy.unit, occupancy.relation, occupancy.started_on) == (unit, "owner", date(2021, 6, 15))
    son = Resident.objects.get(name="张小伟")
    assert list(son.phones.order_by("position").values_list("number", "is_mobile")) == [
        ("13812345679", True),
        ("053288776655", False),
    ]
    assert son.occupancies.get().relation == "member"
    assert Resident.objects.get(name="租客").occupancies.get().unit == world.unit_a_neighbour
    created = AuditEntry.objects.filter(object_type="owners.resident", action="create")
    assert created.count() == 3
    entry = created.get(object_id=str(zhang.pk))
    assert entry.actor == world.supervisor_a
    assert entry.project_id == world.project_a.pk
    assert entry.changes["id_number"] == [None, "110***********002X"]
    assert entry.changes["units"] == [None, ["1-2-501 owner 2021-06-15"]]
    batch_entry = AuditEntry.objects.get(object_type="owners.importbatch", object_id=str(batch.pk))
    assert batch_entry.changes["status"] == ["validated", "committed"]
    assert batch_entry.changes["created"] == [None, 3]


def test_oa_2_a_formula_cell_is_stored_as_its_literal_text(world, checked):
    batch = checked([person(name="=1+1"), person(number="502", name="'=SUM(A1)", phones="13700000002")])

    import_commit(actor=world.supervisor_a, batch=batch)

    assert set(Resident.objects.filter(name__startswith="=").values_list("name", flat=True)) == {
        "=1+1",
        "=SUM(A1)",  # the apostrophe our exports put before a formula is taken off
    }


def test_oa_2_the_same_file_twice_leaves_one_copy(world, checked):
    rows = [person(moved_in_on="2021-06-15"), person(number="502", name="李娜", phones="13911112222")]
    import_commit(actor=world.supervisor_a, batch=checked(rows))
    before = archive_counts()

    again = import_commit(actor=world.supervisor_a, batch=checked(rows, name="again.xlsx"))

    assert again.summary == {"created": 0, "updated": 0, "unchanged": 2, "units_created": 0}
    assert archive_counts() == before


def test_oa_2_an_updated_row_updates_the_person_matched_by_unit_and_phone(world, checked):
    owner = Resident.objects.get(name="沈业主")
    row = person(entrance="1", number="101", name="沈大业主", phones="13800001234", email="s@example.com")

    batch = import_commit(actor=world.supervisor_a, batch=checked([row, person()]))

    assert batch.summary == {"created": 1, "updated": 1, "unchanged": 0, "units_created": 1}
    owner.refresh_from_db()
    # owner_a signs in with this record's email: the new one waits for them (issue 16)
    assert (owner.name, owner.email, owner.name_initials) == ("沈大业主", "", "sdyz")
    assert owner.name_pinyin == "shen da ye zhu"
    assert owner.user == world.owner_a
    assert EmailChange.objects.get(resident=owner).new_email == "s@example.com"
    entries = AuditEntry.objects.filter(
        object_type="owners.resident", object_id=str(owner.pk), action="update"
    )
    assert sorted((entry.changes for entry in entries), key=str) == sorted(
        [
            {"name": ["沈业主", "沈大业主"]},
            {
                "pending_email": ["", "s@example.com"],
                "pending_email_valid_until": [None, EmailChange.objects.get().expires_at.isoformat()],
            },
        ],
        key=str,
    )


def test_oa_2_import_changes_the_email_of_a_resident_without_an_account_directly(world, checked):
    neighbour = Resident.objects.get(name="邻居")
    row = person(entrance="1", number="102", name="邻居", phones="13900005678", email="lin@example.com")

    import_commit(actor=world.supervisor_a, batch=checked([row]))

    neighbour.refresh_from_db()
    assert neighbour.email == "lin@example.com"
    assert not EmailChange.objects.exists()


def test_oa_2_an_updated_row_updates_the_person_matched_by_unit_and_name(world, checked):
    neighbour = Resident.objects.get(name="邻居")
    row = person(
        entrance="1",
        number="102",
        name="邻居",
        phones="13911112222",
        relation="租户",
        moved_in_on="2022-01-02",
    )

    batch = import_commit(actor=world.supervisor_a, batch=checked([row]))

    assert batch.summary == {"created": 0, "updated": 1, "unchanged": 0, "units_created": 0}
    assert list(neighbour.phones.order_by("position", "id").values_list("number", flat=True)) == [
        "13900005678",
        "13911112222",
    ]
    occupancy = neighbour.occupancies.get()
    assert (occupancy.relation, occupancy.started_on) == ("tenant", date(2022, 1, 2))
    entry = AuditEntry.objects.get(
        object_type="owners.resident", object_id=str(neighbour.pk), action="update"
    )
    assert entry.changes == {
        "phones": [["13900005678"], ["13900005678", "13911112222"]],
        "units": [["1-1-102 owner"], ["1-1-102 tenant 2022-01-02"]],
    }


def test_oa_2_one_person_holding_several_units_stays_one_resident(world, checked):
    rows = [
        person(number="501"),
        person(number="502"),  # the same name and phone: the same person
        person(entrance="1", number="103", name="邻居", phones="13900005678"),  # the neighbour's second unit
    ]

    batch = import_commit(actor=world.supervisor_a, batch=checked(rows))

    assert batch.summary == {"created": 1, "updated": 2, "unchanged": 0, "units_created": 3}
    zhang = Resident.objects.get(name="张伟")
    assert sorted(zhang.occupancies.values_list("unit__label", flat=True)) == ["1-2-501", "1-2-502"]
    assert zhang.phones.count() == 1
    neighbour = Resident.objects.get(name="邻居")
    assert sorted(neighbour.occupancies.values_list("unit__label", flat=True)) == ["1-1-102", "1-1-103"]


def test_oa_2_masked_values_from_an_export_keep_what_is_on_file(world, tmp_path):
    # given an owner with an ID number, a formula-like note, and the project exported to Excel
    Resident.objects.filter(name="沈业主").update(id_type="id_card", id_number=ID_CARD, notes="=1+1")
    path = project_export(actor=world.supervisor_a, project=world.project_a)
    sheet = load_workbook(path).worksheets[0]
    sheet.append(["1", "1", "101", None, None, None, "沈业主", "业主", "138****1234 / 13811110000"])
    sheet.parent.save(path)

    # when the export comes back in, with a masked phone added by hand
    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    # then the masked ID numbers and phones mean "unchanged", the apostrophes are taken off
    assert problems_of(batch) == [(4, "姓名", "Same person as row 2 (same unit and name).")]
    Path(path).unlink()
    sheet.delete_rows(4)
    sheet.parent.save(tmp_path / "export.xlsx")
    batch = import_commit(
        actor=world.supervisor_a,
        batch=import_check(
            actor=world.supervisor_a, project=world.project_a, path_or_file=tmp_path / "export.xlsx"
        ),
    )
    assert batch.summary == {"created": 0, "updated": 0, "unchanged": 2, "units_created": 0}
    owner = Resident.objects.get(name="沈业主")
    assert (owner.id_number, owner.notes) == (ID_CARD, "=1+1")


def test_oa_2_all_or_nothing_when_the_write_fails_in_the_middle(world, checked, monkeypatch):
    batch = checked([person(), person(entrance="1", number="101", name="沈业主", phones="13811110000")])
    before = archive_counts()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_audit_entries", fail)  # after units, residents, phones, occupancies
    with pytest.raises(RuntimeError):
        import_commit(actor=world.supervisor_a, batch=batch)

    assert archive_counts() == before
    assert not Unit.objects.filter(label="1-2-501").exists()
    assert Resident.objects.get(name="沈业主").phones.count() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED


def test_oa_2_a_batch_is_imported_once(world, checked):
    batch = import_commit(actor=world.supervisor_a, batch=checked([person()]))

    with pytest.raises(DomainError) as error:
        import_commit(actor=world.supervisor_a, batch=batch)

    assert error.value.code == "owners.import_committed"
    assert Resident.objects.filter(name="张伟").count() == 1


def test_oa_2_the_archive_changing_after_the_check_is_caught_at_import(world, checked):
    batch = checked([person(entrance="1", number="101", name="沈家属", phones="13600001111")])
    member = Resident.objects.create(name="沈家属二", name_initials="sjse")
    ResidentPhone.objects.create(resident=member, number="13600001111", last4="1111")
    Occupancy.objects.create(resident=member, unit=world.unit_a, relation=Relation.MEMBER)
    Resident.objects.filter(name="沈业主").update(name="沈家属")

    batch = import_commit(actor=world.supervisor_a, batch=batch)

    assert batch.status == ImportStatus.INVALID
    assert problems_of(batch) == [
        (2, "手机", "Phone 13600001111 is on file for 沈家属二, another person in this unit.")
    ]
    assert not Resident.objects.filter(name="沈家属", phones__number="13600001111").exists()


def test_oa_2_progress_is_reported_while_reading_checking_and_writing(world, checked, monkeypatch):
    monkeypatch.setattr(spreadsheet, "PROGRESS_EVERY", 2)
    calls: list[tuple[str, int, int]] = []
    batch = checked([person(number=str(501 + n), name=f"甲{n}", phones="") for n in range(5)])

    import_commit(actor=world.supervisor_a, batch=batch, progress=lambda *call: calls.append(call))

    stages = [stage for stage, _done, _total in calls]
    assert stages[0] == "reading"
    assert calls[-1] == ("writing", 5 + 5 + 5 + 5, 20)  # units, residents, occupancies, audit rows
    assert ("reading", 5, 5) in calls
    assert ("checking", 5, 5) in calls


def test_oa_2_progress_bar_shows_percentage_and_rate():
    written: list[str] = []
    ticks = iter([0.0, 2.0, 2.5, 4.0])
    bar = ProgressBar(written.append, width=10, clock=lambda: next(ticks))

    bar("reading", 0, 200)
    bar("reading", 100, 200)
    bar("writing", 10, 0)
    bar.close()

    assert written == [
        "\rReading   [----------]   0.0%  0/200 rows  0 rows/s ",
        "\rReading   [#####-----]  50.0%  100/200 rows  50 rows/s ",
        "\n",
        "\rWriting   10 records  0 records/s ",
        "\n",
    ]


def test_oa_2_the_check_needs_the_import_permission(world, tmp_path):
    path = workbook(tmp_path / "owners.xlsx", [person()])

    with pytest.raises(PermissionDenied):
        import_check(actor=world.agent_a, project=world.project_a, path_or_file=path)

    assert ImportBatch.objects.count() == 0


# --- the console command -----------------------------------------------------------------------------


def test_oa_2_cli_dry_run_prints_every_problem_and_exits_1(world, tmp_path):
    path = workbook(tmp_path / "owners.xlsx", [person(phones="12345"), person(building="9", number="101")])
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_owners", str(path), project="QD-A", stdout=out, stderr=err)

    assert error.value.returncode == 1
    assert str(error.value).startswith("2 rows checked, 2 problems; nothing was imported")
    assert out.getvalue().splitlines() == [
        "row 2, column 手机: “12345” is not a phone number.",
        "row 3, column 楼栋: Unknown building “9” in this project.",
    ]
    assert "Reading" in err.getvalue()


def test_oa_2_cli_dry_run_of_a_clean_file_writes_nothing_and_commit_imports(world, tmp_path):
    path = workbook(tmp_path / "owners.xlsx", [person(), person(number="502", name="李娜", phones="")])
    out = io.StringIO()

    call_command("import_owners", str(path), project="QD-A", no_progress=True, stdout=out)

    assert out.getvalue().splitlines() == [
        "2 rows checked, no problems. Would be: 2 created, 0 updated, 0 unchanged, 2 units created.",
        "Run again with --commit to import.",
    ]
    assert not Resident.objects.filter(name__in=["张伟", "李娜"]).exists()

    out, err = io.StringIO(), io.StringIO()
    call_command("import_owners", str(path), project="QD-A", commit=True, stdout=out, stderr=err)

    batch = ImportBatch.objects.get(status=ImportStatus.COMMITTED)
    assert out.getvalue().splitlines() == [
        f"Imported 2 rows: 2 created, 0 updated, 0 unchanged, 2 units created (import #{batch.pk})."
    ]
    assert batch.created_by == world.sysadmin
    assert Resident.objects.filter(name__in=["张伟", "李娜"]).count() == 2
    assert "Writing" in err.getvalue()


def test_oa_2_cli_needs_a_superuser_and_a_known_project(world, tmp_path):
    path = workbook(tmp_path / "owners.xlsx", [person()])

    with pytest.raises(CommandError, match="No project with the code NOPE"):
        call_command("import_owners", str(path), project="NOPE")
    world.sysadmin.is_active = False
    world.sysadmin.save()
    with pytest.raises(CommandError, match="there is none: create one with `estatedesk createsuperuser`"):
        call_command("import_owners", str(path), project="QD-A")


# --- the pages ----------------------------------------------------------------------------------------


def upload(client: Any, code: str, content: bytes, name: str = "owners.xlsx") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        reverse("owners:import_upload", args=[code]), {"file": file}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_oa_2_upload_check_and_import_through_the_pages(world, login, tmp_path):
    client = login(world.supervisor_a)
    content = workbook(tmp_path / "owners.xlsx", [person(), person(number="502", name="李娜")]).read_bytes()

    form = client.get(reverse("owners:import_upload", args=["QD-A"]), HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200
    assert "At most 10 MB and 50,000 rows." in form.content.decode()

    response = upload(client, "QD-A", content)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("owners:import_detail", args=[batch.pk])
    assert batch.filename == "owners.xlsx"
    assert batch.created_by == world.supervisor_a
    assert len(batch.sha256) == 64

    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Import 2 rows" in page.content.decode()
    assert not Resident.objects.filter(name="张伟").exists()

    response = client.post(reverse("owners:import_commit", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Imported 2 rows." in text
    assert "Every row of the file has been imported." in text
    assert 'data-testid="import-created">2<' in text
    assert Resident.objects.filter(name__in=["张伟", "李娜"]).count() == 2

    client.post(reverse("owners:import_commit", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("owners:import_upload", args=["QD-A"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "This file has already been imported." in page.content.decode()
    assert page.content.decode().count('data-testid="import-batch-row"') == 1


def test_oa_2_the_report_page_lists_problems_with_row_and_column(world, login, tmp_path):
    client = login(world.supervisor_a)
    content = workbook(tmp_path / "owners.xlsx", [person(phones="12345")]).read_bytes()

    response = upload(client, "QD-A", content)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert page.status_code == 200
    assert '<td class="num">2</td>' in text
    assert "“12345” is not a phone number." in text
    assert "Upload a corrected file" in text
    assert 'data-testid="import-commit"' not in text


def test_oa_2_upload_refuses_a_file_that_is_not_xlsx_or_too_large(world, login, monkeypatch):
    client = login(world.supervisor_a)

    response = upload(client, "QD-A", b"name,phone\n", name="owners.csv")
    assert response.status_code == 200
    assert "This is not an Excel workbook (.xlsx)." in response.content.decode()

    response = upload(client, "QD-A", b"not really a zip", name="owners.xlsx")
    assert "This is not an Excel workbook (.xlsx)." in response.content.decode()

    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 2**20)
    response = upload(client, "QD-A", b"PK\x03\x04" + b"0" * 2**20)
    assert response.status_code == 200
    assert "The file is larger than 1 MB; split it into several files." in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_oa_2_agent_without_import_permission_gets_403(world, login, checked):
    batch = checked([person()])
    client = login(world.agent_a)

    assert client.get(reverse("owners:import_upload", args=["QD-A"])).status_code == 403
    assert client.get(reverse("owners:import_detail", args=[batch.pk])).status_code == 403
    assert client.post(reverse("owners:import_commit", args=[batch.pk])).status_code == 403
    assert client.get(reverse("owners:import_template")).status_code == 403
    assert not Resident.objects.filter(name="张伟").exists()


def test_oa_2_outsider_gets_404_for_another_projects_batch_and_upload_page(world, login, checked):
    batch = checked([person()])
    client = login(world.outsider)

    assert client.get(reverse("owners:import_upload", args=["QD-A"])).status_code == 404
    assert client.get(reverse("owners:import_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("owners:import_problems", args=[batch.pk])).status_code == 404
    assert client.post(reverse("owners:import_commit", args=[batch.pk])).status_code == 404
    assert client.get(reverse("owners:import_upload", args=["JN-C"])).status_code == 200
    assert not Resident.objects.filter(name="张伟").exists()


def test_oa_2_a_household_may_share_a_landline(world, tmp_path):
    """Two members of one household with the family's landline are two people, not a duplicate."""
    rows = [
        person(number="502", name="王家", phones="0532-88001234"),
        person(number="502", name="王家女儿", relation="家庭成员", phones="0532-88001234"),
    ]
    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=workbook(tmp_path / "l.xlsx", rows)
    )
    assert problems_of(batch) == []
    import_commit(actor=world.supervisor_a, batch=batch)
    names = set(Resident.objects.filter(phones__number="053288001234").values_list("name", flat=True))
    assert names == {"王家", "王家女儿"}
