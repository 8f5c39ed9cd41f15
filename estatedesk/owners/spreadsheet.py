"""Reading the owner-archive workbook (R-OA-2): headers in Chinese or English, every problem reported with
its row, column and message, formula cells taken as their text. Pure: no database.

The database checks (unknown building, the person already on file) and the all-or-nothing write are in
`owners.importing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.common.excel import unquote
from estatedesk.owners.contacts import PHONE_SEPARATORS, is_valid_id_card, is_valid_phone, split_phones

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PROGRESS_EVERY = 500  # rows between two calls of a progress callback
MASK = "*"  # exports mask phones and ID numbers with it; a masked value in an import means "unchanged"
# The longest text each column may hold (the database's column sizes).
MAX_LENGTH = {"building": 20, "entrance": 10, "number": 20, "name": 60, "email": 254, "id_number": 40}

Progress = Callable[[int, int], None]  # (rows done, rows in the sheet or 0 when unknown)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    example: str = ""
    help: Any = ""


COLUMNS: list[Column] = [
    Column(
        "building", "楼栋", "Building", True, "1", gettext_lazy("Building code as in the project, e.g. 3")
    ),
    Column(
        "entrance", "单元", "Entrance", False, "2", gettext_lazy("Leave empty when the building has none.")
    ),
    Column(
        "number",
        "房号",
        "Unit number",
        True,
        "501",
        gettext_lazy("The floor is read from it: 501 is on floor 5."),
    ),
    Column("floor_area", "建筑面积", "Floor area", False, "118.5", gettext_lazy("Square metres.")),
    Column("unit_status", "房屋状态", "Unit status", False, "已入住", "空置 / 已入住 / 装修中"),
    Column(
        "handover_on",
        "交付日期",
        "Handover date",
        False,
        "2021-05-01",
        gettext_lazy("A date, e.g. 2021-05-01."),
    ),
    Column("name", "姓名", "Name", True, "张伟", gettext_lazy("At most 60 characters.")),
    Column("relation", "关系", "Relation", False, "业主", "业主 / 租户 / 家庭成员"),
    Column("phones", "手机", "Phone", False, "13812345678", gettext_lazy("Several numbers separated by /")),
    Column("email", "邮箱", "Email", False, "zhangwei@example.com"),
    Column(
        "id_type",
        "证件类型",
        "ID type",
        False,
        "身份证",
        "身份证 / 护照 / 港澳通行证 / 台胞证 / 其他",
    ),
    Column(
        "id_number",
        "证件号码",
        "ID number",
        False,
        "",
        gettext_lazy("A resident ID card number must have 18 characters and a correct check digit."),
    ),
    Column(
        "moved_in_on",
        "入住日期",
        "Move-in date",
        False,
        "2021-06-15",
        gettext_lazy("A date, e.g. 2021-06-15."),
    ),
    Column("language", "语言", "Language", False, "中文", "中文 / English"),
    Column(
        "contact_preference",
        "联系偏好",
        "Contact preference",
        False,
        "电话",
        "电话 / 短信 / 邮件",
    ),
    Column("notes", "备注", "Notes", False, ""),
]
TEXT_COLUMNS = ("building", "entrance", "number", "phones", "id_number")  # typed as text, never as numbers
BY_HEADER = {name.lower(): column for column in COLUMNS for name in (column.zh, column.en, column.key)}

UNIT_STATUS = {
    "空置": "vacant",
    "vacant": "vacant",
    "已入住": "occupied",
    "入住": "occupied",
    "occupied": "occupied",
    "装修中": "decorating",
    "装修": "decorating",
    "decorating": "decorating",
    "under decoration": "decorating",
}
RELATION = {
    "业主": "owner",
    "owner": "owner",
    "租户": "tenant",
    "tenant": "tenant",
    "家庭成员": "member",
    "家属": "member",
    "household member": "member",
    "member": "member",
}
ID_TYPE = {
    "身份证": "id_card",
    "居民身份证": "id_card",
    "id card": "id_card",
    "护照": "passport",
    "passport": "passport",
    "港澳通行证": "hk_macau_permit",
    "港澳居民来往内地通行证": "hk_macau_permit",
    "台胞证": "taiwan_permit",
    "其他": "other",
    "other": "other",
}
LANGUAGE = {
    "中文": "zh-hans",
    "简体中文": "zh-hans",
    "chinese": "zh-hans",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "english": "en",
    "英文": "en",
    "en": "en",
}
CONTACT = {
    "电话": "phone",
    "phone": "phone",
    "短信": "sms",
    "sms": "sms",
    "邮件": "email",
    "email": "email",
    "邮箱": "email",
}


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number (the header is row 1); 0 for the whole file
    column: str  # the header as written in the file, or "" for the whole row or file
    message: str


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def unit_label(self) -> str:
        parts = [self.values["building"], self.values.get("entrance") or "", self.values["number"]]
        return "-".join(part for part in parts if part)


@dataclass
class Sheet:
    rows: list[Row]
    problems: list[Problem]
    headers: dict[str, str]  # key → header as written

    @property
    def is_valid(self) -> bool:
        return not self.problems


def size_label(size: int | None = None) -> str:
    """The file size limit for people: "10 MB" (or KB, bytes for small limits)."""
    size = MAX_FILE_BYTES if size is None else size
    if size >= 2**20:
        return f"{size / 2**20:g} MB"
    return f"{size / 2**10:g} KB" if size >= 2**10 else f"{size} B"


def too_large_message() -> str:
    return _("The file is larger than %(size)s; split it into several files.") % {"size": size_label()}


def cell_text(value: Any) -> str:
    """A cell as text. Formula cells arrive as their formula string ("=1+1") and stay exactly that; the
    apostrophe our exports put before = + - @ (`common.excel.safe_text`) is taken off again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unquote(str(value).strip())


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = (
        cell_text(value)
        .replace("/", "-")
        .replace(".", "-")
        .replace("年", "-")
        .replace("月", "-")
        .rstrip("日")
    )
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError as exc:
        raise ValueError(_("Not a date; write it as 2021-06-15.")) from exc


def _choice(mapping: dict[str, str], value: str, allowed: str) -> str:
    found = mapping.get(value.strip().lower())
    if found is None:
        raise ValueError(_("Unknown value; use one of: %(allowed)s.") % {"allowed": allowed})
    return found


_Report = Callable[[str, str], None]  # (column key, message): one problem of the row
_CHOICE_COLUMNS = [  # key, the values written (Chinese or English) → stored, the values to tell people
    ("unit_status", UNIT_STATUS, "空置 / 已入住 / 装修中"),
    ("relation", RELATION, "业主 / 租户 / 家庭成员"),
    ("id_type", ID_TYPE, "身份证 / 护照 / 港澳通行证 / 台胞证 / 其他"),
    ("language", LANGUAGE, "中文 / English"),
    ("contact_preference", CONTACT, "电话 / 短信 / 邮件"),
]
_TEXT_KEYS = ("building", "entrance", "number", "name", "email", "notes", "id_number")


def parse_row(number: int, raw: dict[str, Any], headers: dict[str, str]) -> tuple[Row, list[Problem]]:
    """Validate one row's values on their own (no database); returns the cleaned row and its problems."""
    row = Row(number=number)
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(number, headers.get(key, key), message))

    text = {key: cell_text(raw.get(key)) for key in headers}
    _check_required_and_lengths(text, problem)
    for key in _TEXT_KEYS:
        row.values[key] = text.get(key, "")
    if MASK in row.values["id_number"]:
        row.values["id_number"] = ""  # masked by an export: keep the number on file
    row.values["phones"] = _phones(text.get("phones", ""), problem)
    if row.values["email"]:
        _check_email(row.values["email"], problem)
    if text.get("floor_area"):
        area = _floor_area(text["floor_area"], problem)
        if area is not None:
            row.values["floor_area"] = area
    row.values.update(_choices(text, problem))
    row.values.update(_dates(raw, problem))
    if row.values["id_number"]:
        _check_id_number(row.values, problem)
    return row, problems


def _check_required_and_lengths(text: dict[str, str], problem: _Report) -> None:
    for column in COLUMNS:
        if column.required and not text.get(column.key):
            problem(column.key, _("Required; this cell is empty."))
    for key, limit in MAX_LENGTH.items():
        if len(text.get(key, "")) > limit:
            problem(key, _("Longer than %(count)d characters.") % {"count": limit})


def _phones(text: str, problem: _Report) -> list[str]:
    """The valid numbers of the cell. Masked numbers ("138****1234", from an export) mean "the numbers on
    file"; they are left out."""
    parts = [part for part in PHONE_SEPARATORS.split(text) if MASK not in part]
    phones = split_phones(" / ".join(parts))
    bad = [number for number in phones if not is_valid_phone(number)]
    if bad:
        problem("phones", _("Not a valid phone number: %(numbers)s.") % {"numbers": ", ".join(bad)})
    return [number for number in phones if number not in bad]


def _check_email(email: str, problem: _Report) -> None:
    try:
        validate_email(email)
    except ValidationError:
        problem("email", _("Not a valid email address."))


def _floor_area(text: str, problem: _Report) -> Decimal | None:
    try:
        area = Decimal(text)
        if area <= 0 or area >= Decimal("100000"):
            raise InvalidOperation
        return area.quantize(Decimal("0.01"))
    except InvalidOperation:
        problem("floor_area", _("Not a floor area in square metres."))
        return None


def _choices(text: dict[str, str], problem: _Report) -> dict[str, str]:
    """The stored values of the choice columns that are filled in and known."""
    values: dict[str, str] = {}
    for key, mapping, allowed in _CHOICE_COLUMNS:
        if text.get(key):
            try:
                values[key] = _choice(mapping, text[key], allowed)
            except ValueError as error:
                problem(key, str(error))
    return values


def _dates(raw: dict[str, Any], problem: _Report) -> dict[str, dt.date | None]:
    values: dict[str, dt.date | None] = {}
    for key in ("handover_on", "moved_in_on"):
        if raw.get(key) not in (None, ""):
            try:
                values[key] = _date(raw[key])
            except ValueError as error:
                problem(key, str(error))
    return values


def _check_id_number(values: dict[str, Any], problem: _Report) -> None:
    """An ID number without a type is an ID card's; an ID card's number is upper case, with its check
    digit."""
    values.setdefault("id_type", "id_card")
    if values["id_type"] == "id_card":
        values["id_number"] = values["id_number"].upper()
        if not is_valid_id_card(values["id_number"]):
            problem("id_number", _("Not a valid ID card number (18 characters, check digit)."))


def read_sheet(source: str | Path | IO[bytes], *, progress: Progress | None = None) -> Sheet:
    """Read the first worksheet. Problems of the whole file (size, headers, row cap) have row 0.

    `progress(done, total)` is called every few hundred rows and at the end; `total` is the sheet's row
    count as the file declares it (0 when it does not)."""
    from openpyxl import load_workbook

    size = Path(source).stat().st_size if isinstance(source, (str, Path)) else _stream_size(source)
    if size > MAX_FILE_BYTES:
        return Sheet(
            [],
            [Problem(0, "", too_large_message())],
            {},
        )
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any file openpyxl cannot read is "not a workbook"
        return Sheet([], [Problem(0, "", _("This is not an Excel workbook (.xlsx)."))], {})
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            return Sheet([], [Problem(0, "", _("The workbook is empty."))], {})
        headers, positions = _read_headers(header_row)
        missing = [c.zh for c in COLUMNS if c.required and c.key not in positions]
        if missing:
            message = _("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)}
            return Sheet([], [Problem(1, "", message)], headers)
        parsed: list[Row] = []
        problems: list[Problem] = []
        total = max((sheet.max_row or 1) - 1, 0)  # 0: the file does not say (streamed workbooks)
        for number, values in enumerate(rows, start=2):
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number - 1, total if total >= number - 1 else 0)
            if values is None or all(cell_text(v) == "" for v in values):
                continue
            if len(parsed) >= MAX_ROWS:
                problems.insert(
                    0, Problem(0, "", _("More than %(rows)d rows; split the file.") % {"rows": MAX_ROWS})
                )
                return Sheet([], problems, headers)
            raw = {key: values[index] if index < len(values) else None for key, index in positions.items()}
            row, row_problems = parse_row(number, raw, headers)
            parsed.append(row)
            problems.extend(row_problems)
        if not parsed:
            problems.append(Problem(0, "", _("The workbook has no data rows.")))
        if progress is not None:
            done = parsed[-1].number - 1 if parsed else 0
            progress(done, done)
        return Sheet(parsed, problems, headers)
    finally:
        workbook.close()


def _read_headers(header_row: tuple[Any, ...]) -> tuple[dict[str, str], dict[str, int]]:
    """The columns the header row names: key → header as written, and key → position (the first of two
    columns with the same header counts)."""
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    for index, value in enumerate(header_row):
        label = cell_text(value).replace("*", "").strip()
        column = BY_HEADER.get(label.lower())
        if column and column.key not in positions:
            positions[column.key] = index
            headers[column.key] = label
    return headers, positions


def _stream_size(stream: IO[bytes]) -> int:
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def template_workbook() -> bytes:
    """The import template: the columns in Chinese with one example row, and a sheet "说明 Instructions"
    that lists each column, whether it is required, what it holds and an example."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "业户档案"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    sheet.append([column.zh for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=index)
        header.font = bold
        if column.required:
            header.fill = required_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if column.key in ("phones", "email", "id_number") else 12
        example = sheet.cell(row=2, column=index, value=column.example or None)
        if column.key in TEXT_COLUMNS:
            example.number_format = "@"
            for row in range(2, 1002):  # typed numbers stay text: 13812345678 is not 1.38E+10
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明 Instructions")
    notes.append(["列 Column", "必填 Required", "说明 Help", "示例 Example"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        notes.append(
            [
                f"{column.zh} ({column.en})",
                "是 Yes" if column.required else "否 No",
                str(column.help),
                column.example,
            ]
        )
    notes.append([])
    for line in (
        _("The first row holds the column names; columns may be in any order, in Chinese or English."),
        _("Delete the example row before importing."),
        _("Empty cells keep what is on file; phone numbers are added to those on file."),
        _("Masked numbers (with *) from an export keep the numbers on file."),
        _("A person is found by unit and mobile number, then by unit and name; others are added."),
        _("At most %(rows)s rows and %(mb)d MB per file.")
        % {"rows": f"{MAX_ROWS:,}", "mb": MAX_FILE_BYTES // 2**20},
    ):
        notes.append([line])
    for letter, width in zip("ABCD", (22, 14, 60, 24), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2, max_col=3):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
