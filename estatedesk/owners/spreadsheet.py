"""Reading the owner-archive workbook (R-OA-2) as people keep it: the table found wherever it is
(`owners.headers`: the sheet, a header row below a title, headers through aliases), values cleaned before
they are checked (full-width digits and spaces, numbers read as their digits, Excel serial dates and the
usual ways of writing a date), every problem reported with its row, column and a message quoting the cell
as typed. The template's example row is recognised by its marker (示例) and left out with a note. Formula
cells are taken as their text. Pure: no database.

The database checks (unknown building, the person already on file) and the all-or-nothing write are in
`owners.importing`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.datetime import from_excel

from estatedesk.common.excel import unquote
from estatedesk.owners.contacts import is_valid_id_card, is_valid_phone, normalize_phone
from estatedesk.owners.headers import (
    DEFAULT_ALIASES,
    HEADER_SEARCH_ROWS,
    HeaderMatcher,
    Layout,
    choose_layout,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PROGRESS_EVERY = 500  # rows between two calls of a progress callback
MASK = "*"  # exports mask phones and ID numbers with it; a masked value in an import means "unchanged"
EXAMPLE_MARKER = "示例"  # in the name of the template's example row, which is never imported
QUOTE_LENGTH = 40  # the longest cell text a message quotes in full
PHONE_LIST_SEPARATORS = re.compile(r"[;,；，/、]+")  # between numbers of one cell (and spaces, see _phones)
# The longest text each column may hold (the database's column sizes).
MAX_LENGTH = {"building": 20, "entrance": 10, "number": 20, "name": 60, "email": 254, "id_number": 40}

Progress = Callable[[int, int], None]  # (rows done, rows in the sheet or 0 when unknown)

logger = logging.getLogger(__name__)


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
    Column(
        "name",
        "姓名",
        "Name",
        True,
        "张伟（示例）",
        gettext_lazy("At most 60 characters. A name with 示例 marks an example and is never imported."),
    ),
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
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

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
    row: int  # the spreadsheet's row number; 0 for the whole file
    column: str  # the header as written in the file, or "" for the whole row or file
    message: str


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)  # key → the cell as the user sees it

    @property
    def unit_label(self) -> str:
        parts = [self.values["building"], self.values.get("entrance") or "", self.values["number"]]
        return "-".join(part for part in parts if part)


@dataclass
class Sheet:
    rows: list[Row]
    problems: list[Problem]
    headers: dict[str, str]  # key → header as written
    layout: Layout | None = None
    notes: list[Problem] = field(default_factory=list)  # rows left out on purpose (the example row)

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
    """A cell as the user sees it. A number is its digits (13800001234.0 → "13800001234", never 1.38E+10);
    formula cells arrive as their formula string ("=1+1") and stay exactly that; the apostrophe our
    exports put before = + - @ (`common.excel.safe_text`) is taken off again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unquote(str(value).strip())


def normalized(text: str) -> str:
    """What is checked: full-width forms as ASCII (NFKC: "１３８" → "138"), every run of spaces (U+3000,
    U+00A0, tabs, line breaks) one space, none at the ends."""
    if not text.isascii():  # most cells are: NFKC leaves ASCII as it is
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def quoted(text: str) -> str:
    """A cell for a message, as the user typed it (long ones cut)."""
    return f"“{text[:QUOTE_LENGTH]}…”" if len(text) > QUOTE_LENGTH else f"“{text}”"


def is_example(name: str) -> bool:
    """The template's example row: its name carries the marker (张伟（示例）)."""
    return EXAMPLE_MARKER in normalized(name)


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{1,5}(?:\.\d+)?")
_LAST_SERIAL = 73051  # 2100-01-01: later serial numbers are not move-in dates


def _date_of_number(number: float) -> dt.date:
    """An Excel serial date (45413 → 2024-05-01), or a date written as a number (20240501)."""
    if number.is_integer() and 19_000_101 <= number <= 21_001_231:
        match = _COMPACT_DATE.fullmatch(str(int(number)))
        assert match is not None  # noqa: S101 - eight digits
        return _date_of_parts(match)
    if 1 <= number < _LAST_SERIAL:
        return from_excel(number).date()  # type: ignore[no-any-return]
    raise ValueError(number)


def _date_of_parts(match: re.Match[str]) -> dt.date:
    year, month, day = (int(part) for part in match.groups())
    if not 1900 <= year <= 2100:
        raise ValueError(year)
    return dt.date(year, month, day)


def date_of(value: Any) -> dt.date:
    """A date cell, an Excel serial number, or text: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日 or
    20240501; ValueError otherwise. Pure (the survey import reads its dates with it too)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_of_number(float(value))
    text = normalized(cell_text(value))
    if _SERIAL.fullmatch(text):
        return _date_of_number(float(text))
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return _date_of_parts(match)


_Report = Callable[[str, str], None]  # (column key, message): one problem of the row
_CHOICE_COLUMNS = [  # key, the values written (Chinese or English) → stored, the values to tell people
    ("unit_status", UNIT_STATUS, "空置 / 已入住 / 装修中"),
    ("relation", RELATION, "业主 / 租户 / 家庭成员"),
    ("id_type", ID_TYPE, "身份证 / 护照 / 港澳通行证 / 台胞证 / 其他"),
    ("language", LANGUAGE, "中文 / English"),
    ("contact_preference", CONTACT, "电话 / 短信 / 邮件"),
]
_TEXT_KEYS = ("building", "entrance", "number", "name", "email", "notes", "id_number")
_AREA_UNIT = re.compile(r"\s*(?:m2|平方米|平米)$", re.IGNORECASE)


def parse_row(number: int, raw: dict[str, Any], headers: dict[str, str]) -> tuple[Row, list[Problem]]:
    """Validate one row's values on their own (no database); returns the cleaned row and its problems.
    Messages quote the cells as typed."""
    row = Row(number=number)
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(number, headers.get(key, key), message))

    row.typed = {key: cell_text(raw.get(key)) for key in headers}
    text = {key: typed if key == "notes" else normalized(typed) for key, typed in row.typed.items()}
    _check_required_and_lengths(text, row.typed, problem)
    for key in _TEXT_KEYS:
        row.values[key] = text.get(key, "")
    if MASK in row.values["id_number"]:
        row.values["id_number"] = ""  # masked by an export: keep the number on file
    row.values["phones"], row.values["masked_phones"] = _phones(row.typed.get("phones", ""), problem)
    if row.values["email"]:
        _check_email(row.values["email"], row.typed["email"], problem)
    if text.get("floor_area"):
        area = _floor_area(text["floor_area"], row.typed["floor_area"], problem)
        if area is not None:
            row.values["floor_area"] = area
    row.values.update(_choices(text, row.typed, problem))
    row.values.update(_dates(raw, row.typed, problem))
    if row.values["id_number"]:
        _check_id_number(row.values, raw.get("id_number"), row.typed["id_number"], problem)
    return row, problems


def _check_required_and_lengths(text: dict[str, str], typed: dict[str, str], problem: _Report) -> None:
    for column in COLUMNS:
        if column.required and not text.get(column.key):
            problem(column.key, _("Required; this cell is empty."))
    for key, limit in MAX_LENGTH.items():
        if len(text.get(key, "")) > limit:
            problem(
                key,
                _("%(cell)s is longer than %(count)d characters.")
                % {"cell": quoted(typed[key]), "count": limit},
            )


def _phones(typed: str, problem: _Report) -> tuple[list[str], list[str]]:
    """The valid numbers of the cell, and its masked numbers ("138****1234", as exports show them: the
    planner keeps them when they are the person's numbers on file). Anything else is "not a phone
    number" (暂无, 不详, -, N/A, 12345); a blank cell is no problem."""
    cell = normalized(typed)
    if not cell:
        return [], []
    numbers: list[str] = []
    masked: list[str] = []
    bad: list[str] = []
    for part in _phone_parts(cell):
        number = normalize_phone(part)
        if MASK in part:
            masked.append(part)
        elif is_valid_phone(number):
            if number not in numbers:
                numbers.append(number)
        else:
            bad.append(part)
    if bad and not numbers and not masked:
        problem("phones", _("%(cell)s is not a phone number.") % {"cell": quoted(typed)})
    elif bad:
        problem(
            "phones",
            _("In %(cell)s, %(part)s is not a phone number.")
            % {"cell": quoted(typed), "part": "、".join(quoted(part) for part in bad)},
        )
    return numbers, masked


def _phone_parts(cell: str) -> list[str]:
    """The numbers of a cell: split at / , ; 、 and at spaces between whole numbers ("138 0000 1234" is one
    number, "13800001234 13900005678" two). A cell of separators only ("/") is one part."""
    parts: list[str] = []
    for chunk in PHONE_LIST_SEPARATORS.split(cell):
        chunk = chunk.strip()
        if not chunk:
            continue
        if " " in chunk and not is_valid_phone(normalize_phone(chunk)):
            parts.extend(chunk.split())
        else:
            parts.append(chunk)
    return parts or [cell]


def _check_email(email: str, typed: str, problem: _Report) -> None:
    try:
        validate_email(email)
    except ValidationError:
        problem("email", _("%(cell)s is not an email address.") % {"cell": quoted(typed)})


def _floor_area(text: str, typed: str, problem: _Report) -> Decimal | None:
    try:
        area = Decimal(_AREA_UNIT.sub("", text))
        if not area.is_finite() or area <= 0 or area >= Decimal("100000"):
            raise InvalidOperation
        return area.quantize(Decimal("0.01"))
    except InvalidOperation:
        problem("floor_area", _("%(cell)s is not a floor area in square metres.") % {"cell": quoted(typed)})
        return None


def _choices(text: dict[str, str], typed: dict[str, str], problem: _Report) -> dict[str, str]:
    """The stored values of the choice columns that are filled in and known."""
    values: dict[str, str] = {}
    for key, mapping, allowed in _CHOICE_COLUMNS:
        if not text.get(key):
            continue
        found = mapping.get(text[key].lower())
        if found is None:
            problem(
                key,
                _("%(cell)s is not a known value; use one of: %(allowed)s.")
                % {"cell": quoted(typed[key]), "allowed": allowed},
            )
        else:
            values[key] = found
    return values


def _dates(raw: dict[str, Any], typed: dict[str, str], problem: _Report) -> dict[str, dt.date | None]:
    values: dict[str, dt.date | None] = {}
    for key in ("handover_on", "moved_in_on"):
        if key in typed and typed[key]:
            try:
                values[key] = date_of(raw[key])
            except ValueError:
                problem(
                    key, _("%(cell)s is not a date; write it as 2021-06-15.") % {"cell": quoted(typed[key])}
                )
    return values


def _check_id_number(values: dict[str, Any], raw: Any, typed: str, problem: _Report) -> None:
    """An ID number without a type is an ID card's; an ID card's number is upper case, with its check
    digit. A long number stored as a number has lost its last digits (Excel keeps 15)."""
    values.setdefault("id_type", "id_card")
    if values["id_type"] != "id_card":
        return
    values["id_number"] = values["id_number"].upper()
    if isinstance(raw, (int, float)) and len(typed) > 15:
        problem(
            "id_number",
            _(
                "%(cell)s was stored as a number, and Excel keeps only 15 digits; format the column as "
                "text and type the number again."
            )
            % {"cell": quoted(typed)},
        )
    elif not is_valid_id_card(values["id_number"]):
        problem(
            "id_number",
            _("%(cell)s is not a valid ID card number (18 characters, check digit).")
            % {"cell": quoted(typed)},
        )


# --- reading a workbook ------------------------------------------------------------------------------------


def header_matcher(aliases: Iterable[tuple[str, str]] | None = None) -> HeaderMatcher:
    """Our headers and the aliases ((header, column key) pairs; the defaults when None)."""
    if aliases is None:
        aliases = [(alias, key) for key, names in DEFAULT_ALIASES.items() for alias in names]
    own = [(name, column.key) for column in COLUMNS for name in (column.zh, column.en, column.key)]
    return HeaderMatcher.build(aliases=aliases, own=own)


def read_sheet(
    source: str | Path | IO[bytes],
    *,
    progress: Progress | None = None,
    aliases: Iterable[tuple[str, str]] | None = None,
) -> Sheet:
    """Find the table (sheet, header row, columns: `owners.headers`) and read its rows. Problems of the
    whole file (size, no table, row cap) have row 0; rows are numbered as in the sheet.

    `progress(done, total)` is called every few hundred rows and at the end; `total` is the number of rows
    below the header as the file declares it (0 when it does not)."""
    from openpyxl import load_workbook

    size = Path(source).stat().st_size if isinstance(source, (str, Path)) else _stream_size(source)
    if size > MAX_FILE_BYTES:
        return Sheet([], [Problem(0, "", too_large_message())], {})
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any file openpyxl cannot read is "not a workbook"
        return Sheet([], [Problem(0, "", _("This is not an Excel workbook (.xlsx)."))], {})
    try:
        found = _find_table(workbook, header_matcher(aliases))
        if isinstance(found, Problem):
            return Sheet([], [found], {})
        headers = found.headers
        missing = [c.zh for c in COLUMNS if c.required and c.key not in found.positions]
        if missing:
            message = _("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)}
            return Sheet([], [Problem(found.header_row, "", message)], headers, found)
        return _read_rows(workbook[found.sheet], found, progress)
    except (ParseError, zipfile.BadZipFile, KeyError, EOFError) as error:
        # read lazily, a sheet whose XML or zip entry is broken fails only now: still "not a workbook"
        logger.warning("unreadable sheet in an uploaded workbook: %r", error)
        return Sheet([], [Problem(0, "", _("This is not an Excel workbook (.xlsx)."))], {})
    finally:
        workbook.close()


def _find_table(workbook: Any, matcher: HeaderMatcher) -> Layout | Problem:
    firsts = [
        (sheet.title, list(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)))
        for sheet in workbook.worksheets
    ]
    if not any(any(cell_text(value) for value in row) for _title, rows in firsts for row in rows):
        return Problem(0, "", _("The workbook is empty."))
    layout = choose_layout(firsts, matcher)
    if layout is None:
        return Problem(
            0,
            "",
            _("No header row found: none of the first %(rows)d rows names the columns 楼栋, 房号 and 姓名.")
            % {"rows": HEADER_SEARCH_ROWS},
        )
    return layout


def _read_rows(worksheet: Any, layout: Layout, progress: Progress | None) -> Sheet:
    sheet = Sheet([], [], layout.headers, layout)
    first = layout.header_row + 1
    total = max((worksheet.max_row or 0) - layout.header_row, 0)  # 0: the file does not say
    last = first - 1
    for number, values in enumerate(worksheet.iter_rows(min_row=first, values_only=True), start=first):
        done = number - layout.header_row
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total if total >= done else 0)
        if values is None or all(is_blank(value) for value in values):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            message = _("More than %(rows)d rows; split the file.") % {"rows": MAX_ROWS}
            return Sheet([], [Problem(0, "", message)], layout.headers, layout)
        raw = {key: values[index] if index < len(values) else None for key, index in layout.positions.items()}
        last = number
        if EXAMPLE_MARKER in str(raw.get("name") or "") and is_example(cell_text(raw["name"])):
            note = _("The template's example row (示例) is not imported.")
            sheet.notes.append(Problem(number, layout.headers["name"], note))
            continue
        row, row_problems = parse_row(number, raw, layout.headers)
        sheet.rows.append(row)
        sheet.problems.extend(row_problems)
    if not sheet.rows:
        sheet.problems.append(Problem(0, "", _("The workbook has no data rows.")))
    if progress is not None:
        progress(last - layout.header_row, last - layout.header_row)
    return sheet


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
        _(
            "The first row holds the column names; columns may be in any order, in Chinese or English, "
            "and many other names are understood (姓名 or 业主姓名, 手机 or 联系电话, 房号 or 房间号…)."
        ),
        _("The example row (its name says 示例) is never imported: leave it or delete it."),
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
