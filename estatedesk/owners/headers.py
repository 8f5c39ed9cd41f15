"""Finding the owner workbook's table as people keep it (R-OA-2): which sheet, which row holds the headers,
and which of our columns each header names. Pure: no database.

- A header is matched through aliases (业主姓名, 手机号码, 楼号, move-in date…), ignoring case, spaces,
  full-width forms, punctuation and bracketed remarks: "手机号码（必填）*" is "手机号码". The aliases are data
  (`ImportColumnAlias`, edited in the admin; `DEFAULT_ALIASES` when the table is empty); our own template's
  headers (each column's Chinese and English name and key) are always understood.
- The header row is the one of the first `HEADER_SEARCH_ROWS` rows that names the most columns, so a title
  row or two above it is skipped. A header cell merged over two or three rows (its text in the top cell
  only) is read in the lower rows too, so a two-row header (房屋信息 over 楼号, 单元, 房间号) is one.
- Of several sheets the one whose header row names the most columns is read; sheets of instructions (a name
  with 说明 or "instruction") only when there is nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

HEADER_SEARCH_ROWS = 10
MERGED_HEADER_ROWS = 2  # rows above a header row whose cells may reach down into it (merged vertically)
INSTRUCTION_SHEETS = ("说明", "须知", "instruction", "readme")

# Column key → the headers people write for it, besides our template's own (seeded into
# `ImportColumnAlias` by owners/migrations/0004; edit them there).
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("楼号", "楼栋号", "栋", "栋号", "幢", "幢号", "楼", "楼宇", "block", "bldg", "tower"),
    "entrance": ("单元号", "unit"),
    "number": (
        "房间号",
        "房号码",
        "室",
        "室号",
        "门牌号",
        "户号",
        "房屋号",
        "room",
        "room no",
        "room number",
        "door number",
    ),
    "floor_area": ("面积", "房屋面积", "area", "size"),
    "unit_status": ("状态", "房屋状况", "status"),
    "handover_on": ("交房日期", "交房时间", "交付时间", "handover", "handover on"),
    "name": (
        "业主姓名",
        "业主",
        "户主",
        "客户名称",
        "客户姓名",
        "住户姓名",
        "住户",
        "owner",
        "owner name",
        "full name",
        "resident",
        "resident name",
    ),
    "relation": (
        "身份",
        "类型",
        "住户类型",
        "住户身份",
        "与业主关系",
        "relationship",
        "type",
        "resident type",
    ),
    "phones": (
        "联系电话",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系方式",
        "联系手机",
        "mobile",
        "mobile phone",
        "phone number",
        "telephone",
        "tel",
        "contact number",
    ),
    "email": ("电子邮箱", "电子邮件", "邮件", "e-mail", "mail"),
    "id_type": ("证件种类", "document type"),
    "id_number": ("身份证号", "身份证", "身份证号码", "证件号", "id no", "id card", "id card number"),
    "moved_in_on": ("入住时间", "入伙日期", "move-in", "moved in", "moved in on"),
    "language": ("语种", "preferred language"),
    "contact_preference": ("联系方式偏好", "首选联系方式", "preferred contact"),
    "notes": ("说明", "备注信息", "remark", "remarks", "comment", "comments"),
}

_BRACKETED = re.compile(r"[(\[【〔《<][^)\]】〕》>]*[)\]】〕》>]")


def header_key(text: Any) -> str:
    """A header as matched: "手机号码（必填）*" → "手机号码", " Move-in Date " → "moveindate"."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text)).casefold()
    value = _BRACKETED.sub("", value)
    return "".join(char for char in value if unicodedata.category(char)[0] in "LN")


def is_instruction_sheet(name: str) -> bool:
    key = header_key(name)
    return any(word in key for word in INSTRUCTION_SHEETS)


@dataclass(frozen=True)
class HeaderMatcher:
    """Header text → column key, from the aliases and our own headers (which win)."""

    columns: dict[str, str]  # header_key → column key

    @classmethod
    def build(cls, *, aliases: Iterable[tuple[str, str]], own: Iterable[tuple[str, str]]) -> HeaderMatcher:
        """`aliases` and `own` are (header, column key) pairs."""
        columns: dict[str, str] = {}
        for header, key in aliases:
            if header_key(header):
                columns.setdefault(header_key(header), key)
        for header, key in own:
            columns[header_key(header)] = key
        return cls(columns)

    def column(self, header: Any) -> str | None:
        return self.columns.get(header_key(header)) if header not in (None, "") else None


@dataclass
class Layout:
    """Where the table is: the sheet, its header row (1-based), and what each header was read as."""

    sheet: str
    header_row: int
    positions: dict[str, int] = field(default_factory=dict)  # column key → position (0-based)
    headers: dict[str, str] = field(default_factory=dict)  # column key → the header as written
    ignored: list[str] = field(default_factory=list)  # headers as written that name none of our columns
    cells: list[str] = field(default_factory=list)  # the header row as read, one text per column

    @property
    def score(self) -> int:
        return len(self.positions)

    def mapping(self) -> list[dict[str, Any]]:
        """[{header, column, position}] in the order of the sheet's columns (for the dry-run page)."""
        by_position = sorted((position, key) for key, position in self.positions.items())
        return [
            {"header": self.headers[key], "column": key, "position": position}
            for position, key in by_position
        ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_cells(rows: Sequence[Sequence[Any]], index: int) -> list[str]:
    """Row `index` as header texts: an empty cell takes the text of the nearest cell above it, at most
    `MERGED_HEADER_ROWS` up (a header merged over several rows keeps its text in the top cell only)."""
    width = max((len(row) for row in rows), default=0)
    cells = []
    for position in range(width):
        text = ""
        for above in range(index, max(-1, index - MERGED_HEADER_ROWS - 1), -1):
            text = _text(rows[above][position]) if position < len(rows[above]) else ""
            if text:
                break
        cells.append(text)
    return cells


def layout_of_row(sheet: str, rows: Sequence[Sequence[Any]], index: int, matcher: HeaderMatcher) -> Layout:
    layout = Layout(sheet=sheet, header_row=index + 1, cells=_header_cells(rows, index))
    for position, text in enumerate(layout.cells):
        key = matcher.column(text)
        if key is not None and key not in layout.positions:
            layout.positions[key] = position
            layout.headers[key] = text
        elif text:
            layout.ignored.append(text)  # names none of our columns, or one named to its left already
    return layout


def find_layout(sheet: str, rows: Sequence[Sequence[Any]], matcher: HeaderMatcher) -> Layout | None:
    """The header row among `rows` (the sheet's first rows) naming the most columns; the upper one of two
    alike. None when no row names any."""
    best: Layout | None = None
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        layout = layout_of_row(sheet, rows, index, matcher)
        if layout.score and (best is None or layout.score > best.score):
            best = layout
    return best


def choose_layout(
    sheets: Iterable[tuple[str, Sequence[Sequence[Any]]]], matcher: HeaderMatcher
) -> Layout | None:
    """The best table of a workbook's sheets ((name, first rows) each): instructions only as a last resort,
    the first of two sheets alike."""
    found = [(is_instruction_sheet(name), find_layout(name, rows, matcher)) for name, rows in sheets]
    for instructions in (False, True):
        candidates = [layout for is_help, layout in found if is_help == instructions and layout]
        if candidates:
            return max(candidates, key=lambda layout: layout.score)  # max keeps the first of equals
    return None
