"""R-OA-2, workbooks as people keep them: the table found below a title and beside an instructions sheet,
headers read through the alias table (data HQ edits), values cleaned before they are checked, messages
quoting the cells as typed, and the template's example row never imported.

Project A of the personas has building 1 (units 1-1-101 and 1-1-102); the messy workbook is
`estatedesk/owners/tests/messy.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from estatedesk.owners import spreadsheet
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.headers import DEFAULT_ALIASES, HeaderMatcher, choose_layout, header_key
from estatedesk.owners.importing import import_check, import_commit
from estatedesk.owners.models import ImportColumnAlias, Occupancy, Resident
from estatedesk.owners.selectors import completeness_by_project
from estatedesk.owners.spreadsheet import Problem
from estatedesk.owners.tests.messy import (
    EXAMPLE_NOTE,
    EXCEL_DATE,
    HEADER,
    ID_CARD,
    MAPPING,
    MESSY_PROBLEMS,
    MOVED_IN,
    SHEET,
    SOUND,
    messy_workbook,
)


@pytest.fixture(autouse=True)
def _media_and_language(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def problems_of(batch: Any) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.problems]


def parse(headers: dict[str, str], **cells: Any) -> tuple[spreadsheet.Row, list[Problem]]:
    """One row on its own, with the required cells filled in (楼栋 1, 房号 501, 姓名 张伟) unless given."""
    raw = {"building": "1", "number": "501", "name": "张伟", **cells}
    return spreadsheet.parse_row(7, raw, {"building": "楼栋", "number": "房号", "name": "姓名", **headers})


def sheet_with(path: Path, rows: list[list[Any]], title: str = "Sheet1") -> Path:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# --- the messy workbook -------------------------------------------------------------------------------------


def test_oa_2_a_workbook_as_people_keep_it_reports_exactly_its_bad_rows_quoting_cells_as_typed(
    world, tmp_path
):
    # given a workbook as people keep it (an instructions sheet first, a title, a two-row merged header in
    # other words than ours, the template's example row, every way of writing dates and numbers)
    path = messy_workbook(tmp_path / "业主信息.xlsx")

    # when it is checked
    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    # then the table is found, each header is read as one of our columns, the example row is left out,
    # and exactly the bad rows are reported, each message quoting the cell as typed
    assert batch.layout["sheet"] == SHEET
    assert batch.layout["header_row"] == 3
    assert [(c["header"], c["column"]) for c in batch.layout["columns"]] == MAPPING
    assert batch.layout["ignored"] == ["序号"]
    assert batch.layout["header"] == HEADER
    assert batch.layout["notes"] == [EXAMPLE_NOTE]
    assert batch.row_count == 9
    assert problems_of(batch) == MESSY_PROBLEMS
    assert batch.problem_rows == [8, 9, 10, 12, 13]
    assert batch.status == ImportStatus.INVALID
    assert not Resident.objects.filter(name__in=SOUND.values()).exists()


def test_oa_2_the_sound_rows_of_the_messy_workbook_import_with_their_values_cleaned(world, tmp_path):
    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=messy_workbook(tmp_path / "m.xlsx")
    )

    batch = import_commit(actor=world.supervisor_a, batch=batch, sound_rows_only=True)

    assert batch.status == ImportStatus.COMMITTED
    assert batch.summary == {"created": 4, "updated": 0, "unchanged": 0, "units_created": 4}
    people = {
        o.resident.name: (o.unit.label, o.relation, o.started_on, [p.number for p in o.resident.phones.all()])
        for o in Occupancy.objects.filter(unit__project=world.project_a, unit__entrance="2").select_related(
            "unit", "resident"
        )
    }
    assert people == {
        "张伟": ("1-2-501", "owner", MOVED_IN, ["13812345678"]),  # an Excel serial date
        "李娜": ("1-2-502", "owner", MOVED_IN, ["13911112222"]),  # full-width digits, 2024年5月1日
        "王芳": ("1-2-503", "member", MOVED_IN, ["13733334444"]),  # number cells, 2024/5/1
        "周九": ("1-2-507", "tenant", MOVED_IN, ["13800012345"]),  # U+3000 in the number, U+00A0, tab
    }
    assert Resident.objects.get(name="李娜").id_number == ID_CARD


def test_oa_1_move_in_dates_written_any_way_complete_the_archive(world, tmp_path):
    """Completeness counts an owner with a name, a phone and a move-in date: dates typed as Excel serials or
    in Chinese count like any other."""
    batch = import_check(
        actor=world.supervisor_a, project=world.project_a, path_or_file=messy_workbook(tmp_path / "m.xlsx")
    )
    before = completeness_by_project(project_ids=[world.project_a.pk])[world.project_a.pk]

    import_commit(actor=world.supervisor_a, batch=batch, sound_rows_only=True)
    from estatedesk.org.models import Unit

    Unit.objects.filter(project=world.project_a, entrance="2").update(status="occupied")

    after = completeness_by_project(project_ids=[world.project_a.pk])[world.project_a.pk]
    # 501 and 502 have owners; 503 only a household member and 507 a tenant
    assert (after.occupied_units - before.occupied_units, after.complete_units - before.complete_units) == (
        4,
        2,
    )


# --- headers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("手机号码（必填）", "手机号码"),
        ("*业主姓名", "业主姓名"),
        ("联系电话:", "联系电话"),
        (" Move-In  Date ", "moveindate"),
        ("ＭＯＢＩＬＥ", "mobile"),
        ("房\u3000号", "房号"),
        ("【楼号】", ""),
        ("E-mail", "email"),
    ],
)
def test_oa_2_headers_match_ignoring_case_spaces_full_width_and_remarks(written, key):
    assert header_key(written) == key


def test_oa_2_each_default_alias_and_our_own_headers_name_their_column():
    matcher = spreadsheet.header_matcher()

    for column, aliases in DEFAULT_ALIASES.items():
        assert {matcher.column(alias) for alias in aliases} == {column}, column
    for column in spreadsheet.COLUMNS:
        assert {matcher.column(column.zh), matcher.column(column.en), matcher.column(column.key)} == {
            column.key
        }
    assert matcher.column("手机号码（必填）*") == "phones"
    assert matcher.column("序号") is None


def test_oa_2_the_sheet_whose_headers_match_best_is_read_and_instructions_only_as_a_last_resort():
    matcher = HeaderMatcher.build(
        aliases=[], own=[("姓名", "name"), ("房号", "number"), ("楼栋", "building")]
    )
    instructions = [["姓名", "房号", "楼栋"]]
    fewer = [["说明"], ["姓名", "房号"]]
    more = [["标题"], [], ["楼栋", "房号", "姓名", "备注"]]

    assert choose_layout([("说明", instructions), ("A", fewer), ("B", more)], matcher).sheet == "B"
    assert choose_layout([("说明", instructions), ("A", fewer), ("B", more)], matcher).header_row == 3
    assert choose_layout([("Instructions", instructions)], matcher).sheet == "Instructions"
    assert choose_layout([("A", [["x"]])], matcher) is None


def test_oa_2_a_header_row_is_looked_for_in_the_first_ten_rows_only(world, tmp_path):
    title = [[f"说明第 {n} 行"] for n in range(10)]
    path = sheet_with(tmp_path / "deep.xlsx", [*title, ["楼栋", "房号", "姓名"], ["1", "501", "张伟"]])

    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    assert problems_of(batch) == [
        (0, "", "No header row found: none of the first 10 rows names the columns 楼栋, 房号 and 姓名.")
    ]


# --- the alias table is data --------------------------------------------------------------------------------


def test_oa_2_the_alias_table_is_seeded_with_the_defaults(db):
    seeded = sorted(ImportColumnAlias.objects.values_list("column", "alias"))

    assert seeded == sorted(
        (column, alias) for column, aliases in DEFAULT_ALIASES.items() for alias in aliases
    )


def test_oa_2_aliases_edited_as_data_change_how_headers_are_read(world, tmp_path):
    # given an alias added for a header of this company, and 业主姓名 taken out
    ImportColumnAlias.objects.create(alias="住户房号", column="number")
    ImportColumnAlias.objects.filter(alias="业主姓名").delete()
    path = sheet_with(tmp_path / "a.xlsx", [["楼栋", "住户房号", "业主姓名"], ["1", "501", "张伟"]])

    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    assert [(c["header"], c["column"]) for c in batch.layout["columns"]] == [
        ("楼栋", "building"),
        ("住户房号", "number"),
    ]
    assert batch.layout["ignored"] == ["业主姓名"]
    assert problems_of(batch) == [(1, "", "Required columns are missing: 姓名.")]


def test_oa_2_an_empty_alias_table_means_the_defaults(world, tmp_path):
    ImportColumnAlias.objects.all().delete()
    path = sheet_with(tmp_path / "a.xlsx", [["楼号", "房间号", "业主姓名"], ["1", "501", "张伟"]])

    batch = import_check(actor=world.supervisor_a, project=world.project_a, path_or_file=path)

    assert batch.status == ImportStatus.VALIDATED


def test_oa_2_an_alias_read_like_another_or_like_another_columns_name_is_refused(db):
    with pytest.raises(ValidationError) as error:
        ImportColumnAlias(alias="业主 姓名（必填）", column="name").full_clean()
    assert error.value.message_dict["alias"] == ["“业主姓名” is read the same way already."]
    with pytest.raises(ValidationError) as error:
        ImportColumnAlias(alias="手机", column="name").full_clean()
    assert error.value.message_dict["alias"] == ["This is already the name of another column."]
    ImportColumnAlias(alias="业主名", column="name").full_clean()


def test_oa_2_hq_and_system_administrators_edit_the_aliases_in_the_admin(world, login):
    model_admin = admin_site._registry[ImportColumnAlias]
    request = RequestFactory().get("/")
    for user, may in ((world.hq, True), (world.sysadmin, True), (world.supervisor_a, False)):
        request.user = user
        assert model_admin.has_change_permission(request) is may, user
        assert model_admin.has_add_permission(request) is may, user

    response = login(world.sysadmin).post(
        reverse("admin:owners_importcolumnalias_add"), {"alias": "房产编号", "column": "number"}
    )
    assert response.status_code == 302
    assert ImportColumnAlias.objects.get(alias="房产编号").column == "number"


# --- values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        45413,
        45413.0,
        EXCEL_DATE,
        dt.date(2024, 5, 1),
        "45413",
        "2024/5/1",
        "2024-05-01",
        "2024.5.1",
        "2024年5月1日",
        "２０２４年５月１日",
        "20240501",
        20240501,
        " 2024-05-01 00:00:00 ",
    ],
)
def test_oa_2_dates_are_read_as_people_write_them(value):
    row, problems = parse({"moved_in_on": "入住日期"}, moved_in_on=value)

    assert problems == []
    assert row.values["moved_in_on"] == MOVED_IN


@pytest.mark.parametrize(
    ("cell", "phones", "message"),
    [
        (13800001234.0, ["13800001234"], None),
        (13800001234, ["13800001234"], None),
        ("１３８００００１２３４", ["13800001234"], None),
        ("138 0000 1234", ["13800001234"], None),
        ("\u3000138-0000-1234\u00a0", ["13800001234"], None),
        ("13800001234／13900005678", ["13800001234", "13900005678"], None),
        ("13800001234 13900005678", ["13800001234", "13900005678"], None),
        ("", [], None),
        ("暂无", [], "“暂无” is not a phone number."),
        ("无", [], "“无” is not a phone number."),
        ("不详", [], "“不详” is not a phone number."),
        ("未知", [], "“未知” is not a phone number."),
        ("/", [], "“/” is not a phone number."),
        ("-", [], "“-” is not a phone number."),
        ("—", [], "“—” is not a phone number."),
        ("N/A", [], "“N/A” is not a phone number."),
        ("１２３４５", [], "“１２３４５” is not a phone number."),
        ("13800001234 / 暂无", ["13800001234"], "In “13800001234 / 暂无”, “暂无” is not a phone number."),
    ],
)
def test_oa_2_phone_cells_are_read_as_their_digits_and_placeholders_reported(cell, phones, message):
    row, problems = parse({"phones": "联系电话"}, phones=cell)

    assert row.values["phones"] == phones
    assert problems == ([Problem(7, "联系电话", message)] if message else [])


def test_oa_2_a_masked_number_is_kept_aside_for_the_person_on_file():
    row, problems = parse({"phones": "联系电话"}, phones="151****2746")

    assert (row.values["phones"], row.values["masked_phones"], problems) == ([], ["151****2746"], [])


def test_oa_2_text_is_checked_normalised_and_quoted_as_typed():
    headers = {"building": "楼号", "number": "房号", "name": "姓名", "email": "邮箱", "floor_area": "面积"}
    raw = {
        "building": "１",
        "number": "\t５０１\u00a0",
        "name": "张\u3000伟",
        "email": "ｚｗ＠",
        "floor_area": "99㎡",
    }

    row, problems = spreadsheet.parse_row(7, raw, headers)

    assert (row.values["building"], row.values["number"], row.values["name"]) == ("1", "501", "张 伟")
    assert row.values["floor_area"] == spreadsheet.Decimal("99.00")
    assert problems == [Problem(7, "邮箱", "“ｚｗ＠” is not an email address.")]
