"""An owner workbook as people keep it (R-OA-2), built with openpyxl for the import tests and the browser
test: an instructions sheet first; on the second sheet a title row, a two-row header with merged cells
(房屋信息 over 楼号, 单元, 房间号; the others merged down) in other words than ours, the template's example
row left in, and below it dates and numbers written every way, full-width digits, U+3000, U+00A0 and tabs,
placeholders instead of phone numbers, a masked number and an ID number stored as a number.

Rows 5, 6, 7 and 11 are sound; rows 8, 9, 10, 12 and 13 have the problems of `MESSY_PROBLEMS`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ID_CARD = "11010519491231002X"  # a valid resident ID card number (check digit X)
FULL_WIDTH_ID_CARD = "１１０１０５１９４９１２３１００２Ｘ"
MOVED_IN = date(2024, 5, 1)
EXCEL_DATE = datetime(2024, 5, 1)  # noqa: DTZ001 - a date cell as openpyxl reads it: Excel has no time zones
SHEET = "业主信息"
HEADER = ["序号", "业主姓名", "联系电话", "身份证号", "身份", "楼号", "单元", "房间号", "入住时间"]
MAPPING = [  # header as written → our column
    ("业主姓名", "name"),
    ("联系电话", "phones"),
    ("身份证号", "id_number"),
    ("身份", "relation"),
    ("楼号", "building"),
    ("单元", "entrance"),
    ("房间号", "number"),
    ("入住时间", "moved_in_on"),
]
SOUND = {5: "张伟", 6: "李娜", 7: "王芳", 11: "周九"}  # row → the person it adds
MESSY_PROBLEMS = [  # (row, column as written, message), as the dry run reports them (English)
    (8, "联系电话", "“暂无” is not a phone number."),
    (9, "联系电话", "“—” is not a phone number."),
    (10, "联系电话", "“151****2746” is not a phone number: its digits are hidden."),
    (12, "入住时间", "“2024-13-45” is not a date; write it as 2021-06-15."),
    (
        12,
        "身份证号",
        "“110105194912310000” was stored as a number, and Excel keeps only 15 digits; format the column as "
        "text and type the number again.",
    ),
    (13, "联系电话", "“N/A” is not a phone number."),
]
EXAMPLE_NOTE = {
    "row": 4,
    "column": "业主姓名",
    "message": "The template's example row (示例) is not imported.",
}


def messy_rows(building: str = "1", entrance: str = "2") -> list[list[Any]]:
    """The data rows 4–13 (序号, name, phone, ID number, relation, building, entrance, room, move-in)."""
    b, e = building, entrance
    return [
        [None, "张伟（示例）", "13812345678", None, "业主", b, e, "501", "2021-06-15"],  # 4: the example
        [1, "张伟", "13812345678", None, "业主", b, e, "501", 45413],  # 5: an Excel serial date
        [2, "李娜", "１３９１１１１２２２２", FULL_WIDTH_ID_CARD, "业主", b, e, "502", "2024年5月1日"],  # 6
        [3, "王芳", 13733334444.0, None, "家庭成员", int(b), int(e), 503, "2024/5/1"],  # 7: numbers
        [4, "赵六\u3000", "暂无", None, "业主", b, e, "504", "2024.5.1"],  # 8: a placeholder
        [5, "钱七", "—", None, "业主", b, e, "505", "20240501"],  # 9: a dash
        [6, "孙八", "151****2746", None, "业主", b, e, "506", EXCEL_DATE],  # 10: masked; a date cell
        # 11: U+3000 inside and around the number, U+00A0 and a tab around the room
        [
            7,
            "周九",
            "\u3000１３８\u3000０００１\u3000２３４５\u00a0",
            None,
            "租户",
            b,
            e,
            "\t507\u00a0",
            "2024-05-01",
        ],
        # 12: an ID number typed into a number cell (Excel keeps 15 digits: 110105194912310000), a bad date
        [8, "吴十", "13600001111", 110105194912310020, "业主", b, e, "508", "2024-13-45"],
        [9, "郑一", "N/A", None, "业主", b, e, "509", None],  # 13
    ]


def messy_workbook(path: Path, *, building: str = "1", entrance: str = "2") -> Path:
    book = Workbook()
    notes = book.active
    notes.title = "填写说明"
    notes.append(["字段", "说明"])
    notes.append(["业主姓名", "必填"])
    notes.append(["联系电话", "手机号码，多个用 / 分隔"])
    sheet = book.create_sheet(SHEET)
    sheet.append(["海景花园业主信息登记表"])
    sheet.merge_cells("A1:I1")
    sheet.append(["序号", "业主姓名", "联系电话", "身份证号", "身份", "房屋信息", None, None, "入住时间"])
    sheet.append([None, None, None, None, None, "楼号", "单元", "房间号", None])
    for column in "ABCDEI":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("F2:H2")
    for row in messy_rows(building, entrance):
        sheet.append(row)
    book.save(path)
    return path
