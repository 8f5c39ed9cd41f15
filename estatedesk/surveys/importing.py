"""Importing a workbook of answered forms (issue 13, item 3): one row per form — area, serial, one column per
item matched by the item's name, ratings as words — checked first (a dry run that stores the file and lists
every row's problems), then imported all at once, or nothing (as the owner import, R-OA-2).

- Headers are matched as the owner import matches them (`owners.headers`: case, spaces, full-width forms
  and bracketed remarks ignored, so "客户服务（Customer service）" is 客户服务), through the items' Chinese
  and English labels and a few aliases for the other columns (区域 / area, 编号 / serial, 姓名 / name …).
- Ratings: 很满意 / 满意 / 较满意 / 不满意 / 未表态, the English words, the digits 1–4 and 0 (full-width too);
  a blank cell is 未表态. A row with a serial but nothing answered is a form not returned: left out.
- Problems of a row: an unknown serial, a serial of another area than the row names, a form already
  returned, a serial twice in the file, a word that is no rating, a date that is no date. Problems of the
  file: not a workbook, empty, no header row naming the serial and the items, more than `MAX_ROWS` rows.
- Bulk reads and writes only: the campaign's forms and areas are read once; the import is one conditional
  UPDATE (per chunk of ids), a bulk update of names, dates and comments, and a bulk insert of the answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.excel import cell_text as excel_cell
from estatedesk.common.text import filename_safe, multi_line, one_line
from estatedesk.org.permissions import require
from estatedesk.owners.headers import HEADER_SEARCH_ROWS, HeaderMatcher, Layout, choose_layout, header_key
from estatedesk.owners.spreadsheet import cell_text, date_of, is_blank, quoted
from estatedesk.surveys.choices import Channel, ImportStatus, Rating
from estatedesk.surveys.entry import (
    MAX_COMMENT,
    MAX_NAME,
    campaign_items,
    campaign_require_running,
    serial_read,
    serial_text,
)
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignItem,
    SurveyAnswer,
    SurveyForm,
    SurveyImport,
)

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_STORED_PROBLEMS = 1000
CHUNK = 900  # ids per IN (…) of one statement (SQLite's old limit is 999 variables)
ANSWER_BATCH = 1000

AREA, SERIAL, NAME, DATE, COMMENT = "area", "serial", "name", "date", "comment"
OWN_HEADERS = {  # our template's headers (Chinese, English), always understood
    AREA: ("区域", "Area"),
    SERIAL: ("编号", "Serial"),
    NAME: ("客户姓名", "Customer name"),
    DATE: ("日期", "Date"),
    COMMENT: ("意见", "Comments"),
}
ALIASES: dict[str, tuple[str, ...]] = {
    AREA: ("调查区域", "区域名称", "楼栋", "楼号", "楼宇", "楼栋区域", "building", "block", "survey area"),
    SERIAL: (
        "表号",
        "序号",
        "流水号",
        "表单编号",
        "征询表编号",
        "调查表编号",
        "问卷编号",
        "serial no",
        "serial number",
        "form no",
        "form number",
        "no",
    ),
    NAME: ("姓名", "客户", "业主姓名", "业主", "name", "customer", "respondent"),
    DATE: ("填表日期", "填写日期", "日期时间", "answered on", "date answered"),
    COMMENT: (
        "意见建议",
        "意见和建议",
        "建议",
        "备注",
        "留言",
        "其他意见",
        "comment",
        "remarks",
        "feedback",
        "suggestions",
    ),
}
RATING_WORDS: dict[str, int] = {
    "很满意": 1,
    "非常满意": 1,
    "满意": 2,
    "较满意": 3,
    "比较满意": 3,
    "不满意": 4,
    "未表态": 0,
    "不表态": 0,
    "未填": 0,
    "verysatisfied": 1,
    "satisfied": 2,
    "fairlysatisfied": 3,
    "quitesatisfied": 3,
    "unsatisfied": 4,
    "dissatisfied": 4,
    "notsatisfied": 4,
    "noanswer": 0,
    "unrated": 0,
    "na": 0,
    **{str(int(value)): int(value) for value in Rating.values},
}
RATING_HELP = "很满意 / 满意 / 较满意 / 不满意 / 未表态 (1 / 2 / 3 / 4 / 0)"


def item_key(item: CampaignItem) -> str:
    return f"item:{item.pk}"


def item_header(item: CampaignItem) -> str:
    """An item's header in the template: "客户服务 (Customer service)" (read as 客户服务, or its English)."""
    return f"{item.label} ({item.label_en})" if item.label_en else item.label


def rating_of(value: Any) -> int | None:
    """A rating cell → its value: the words (Chinese or English), the digits 0–4 (full-width too); blank is
    未表态 (0). None when it is none of these. Pure."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return int(Rating.UNRATED)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() and int(value) in RATING_WORDS.values() else None
    return RATING_WORDS.get(header_key(value)) if header_key(value) else int(Rating.UNRATED)


def _serial_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    typed = serial_read(cell_text(value))
    return typed.serial if typed is not None else None


# --- the plan ---------------------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    form_id: int
    serial: int
    ratings: dict[int, int]
    respondent_name: str = ""
    answered_on: dt.date | None = None
    comment: str = ""


@dataclass
class Plan:
    """What a workbook would import: its rows, every problem ({row, column, message}; row 0 for the whole
    file), and the rows left out on purpose (a serial with nothing answered)."""

    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    rows_total: int = 0
    unanswered: int = 0

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append({"row": row, "column": column, "message": message})

    @property
    def is_clean(self) -> bool:
        return not self.problems and bool(self.rows)


def _matcher(items: list[CampaignItem]) -> HeaderMatcher:
    aliases = [(alias, key) for key, names in ALIASES.items() for alias in names]
    own = [(name, key) for key, names in OWN_HEADERS.items() for name in (*names, key)]
    for item in items:
        own.extend((name, item_key(item)) for name in (item.label, item.label_en, item_header(item)) if name)
    return HeaderMatcher.build(aliases=aliases, own=own)


class _Campaign:
    """The campaign's items, areas and forms, read once (three queries, whatever the file's size)."""

    def __init__(self, campaign: Campaign) -> None:
        self.items = campaign_items(campaign)
        self.areas: dict[str, CampaignArea] = {}
        self.area_names: dict[int, str] = {}
        for area in CampaignArea.objects.filter(campaign=campaign).select_related("area"):
            self.area_names[area.pk] = area.area.name
            for name in (area.area.name, area.area.code):
                self.areas.setdefault(header_key(name), area)
        self.forms: dict[int, tuple[int, int, bool]] = {
            serial: (pk, area_id, returned_at is not None)
            for serial, pk, area_id, returned_at in SurveyForm.objects.filter(campaign=campaign).values_list(
                "serial", "id", "area_id", "returned_at"
            )
        }


def plan_workbook(*, campaign: Campaign, source: IO[bytes]) -> Plan:
    """Read and check a workbook against the campaign; nothing is written."""
    from openpyxl import load_workbook

    plan = Plan()
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)  # a formula is taken as its text
    except Exception:  # noqa: BLE001 - any file openpyxl cannot read is "not a workbook"
        plan.problem(
            0, "", _("This is not an Excel workbook (.xlsx). Save the file as .xlsx and upload it again.")
        )
        return plan
    try:
        known = _Campaign(campaign)
        layout = _find_table(workbook, known.items, plan)
        if layout is not None:
            _read_rows(workbook[layout.sheet], layout, known, plan)
    except (ParseError, zipfile.BadZipFile, KeyError, EOFError) as error:
        logger.warning("unreadable sheet in an uploaded survey workbook: %r", error)
        plan.rows = []
        plan.problems = []
        plan.problem(
            0, "", _("This is not an Excel workbook (.xlsx). Save the file as .xlsx and upload it again.")
        )
    finally:
        workbook.close()
    return plan


def _find_table(workbook: Any, items: list[CampaignItem], plan: Plan) -> Layout | None:
    firsts = [
        (sheet.title, list(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)))
        for sheet in workbook.worksheets
    ]
    if not any(any(cell_text(value) for value in row) for _title, rows in firsts for row in rows):
        plan.problem(0, "", _("The workbook is empty."))
        return None
    layout = choose_layout(firsts, _matcher(items))
    if layout is None or SERIAL not in layout.positions:
        plan.problem(
            0,
            "",
            _(
                "No table of answered forms found: none of the first %(rows)d rows of any sheet has the "
                "column 编号 (Serial) and the items' columns. Use the template of this survey."
            )
            % {"rows": HEADER_SEARCH_ROWS},
        )
        return None
    missing = [item.label for item in items if item_key(item) not in layout.positions]
    if missing:
        plan.problem(
            layout.header_row,
            "",
            _("Columns of these items are missing: %(items)s.") % {"items": "、".join(missing)},
        )
        return None
    return layout


def _read_rows(worksheet: Any, layout: Layout, known: _Campaign, plan: Plan) -> None:
    first = layout.header_row + 1
    seen: dict[int, int] = {}  # serial → the row it was first in
    for number, values in enumerate(worksheet.iter_rows(min_row=first, values_only=True), start=first):
        if values is None or all(is_blank(value) for value in values):
            continue
        if plan.rows_total + plan.unanswered >= MAX_ROWS:
            plan.rows, plan.problems = [], []
            plan.problem(
                0,
                "",
                _("More than %(rows)s rows; split the file into several files.") % {"rows": f"{MAX_ROWS:,}"},
            )
            return
        raw = {key: values[index] if index < len(values) else None for key, index in layout.positions.items()}
        _read_row(number, raw, layout, known, plan, seen)
    if not plan.rows and not plan.problems:
        plan.problem(0, "", _("The workbook has no answered forms: every row below the headers is empty."))
    plan.problems.sort(key=lambda problem: problem["row"])


def _read_row(
    number: int, raw: dict[str, Any], layout: Layout, known: _Campaign, plan: Plan, seen: dict[int, int]
) -> None:
    headers = layout.headers
    before = len(plan.problems)

    def problem(key: str, message: str) -> None:
        plan.problem(number, headers.get(key, ""), message)

    answer_keys = [item_key(item) for item in known.items] + [NAME, DATE, COMMENT]
    if all(is_blank(raw.get(key)) for key in answer_keys):
        plan.unanswered += 1  # the template's row of a form that did not come back
        return
    plan.rows_total += 1
    form = _row_form(raw, known, problem, seen, number)
    ratings: dict[int, int] = {}
    for item in known.items:
        value = raw.get(item_key(item))
        rating = rating_of(value)
        if rating is None:
            problem(
                item_key(item),
                _("%(cell)s is not a rating; write %(allowed)s, or leave it blank for 未表态.")
                % {"cell": quoted(cell_text(value)), "allowed": RATING_HELP},
            )
        else:
            ratings[item.pk] = rating
    name = one_line(cell_text(raw.get(NAME)))
    if len(name) > MAX_NAME:
        problem(NAME, _("At most %(count)d characters.") % {"count": MAX_NAME})
    comment = multi_line(cell_text(raw.get(COMMENT))).strip()
    if len(comment) > MAX_COMMENT:
        problem(COMMENT, _("At most %(count)d characters.") % {"count": MAX_COMMENT})
    answered_on = None
    if not is_blank(raw.get(DATE)):
        try:
            answered_on = date_of(raw[DATE])
        except ValueError:
            problem(
                DATE,
                _("%(cell)s is not a date; write it as 2026-11-05.") % {"cell": quoted(cell_text(raw[DATE]))},
            )
    if form is not None and len(plan.problems) == before:
        plan.rows.append(
            PlannedRow(
                row=number,
                form_id=form[0],
                serial=form[1],
                ratings=ratings,
                respondent_name=name,
                answered_on=answered_on,
                comment=comment,
            )
        )


def _row_form(
    raw: dict[str, Any], known: _Campaign, problem: Any, seen: dict[int, int], number: int
) -> tuple[int, int] | None:
    """(form id, serial) of the row's form, or None with the problem told."""
    value = raw.get(SERIAL)
    if is_blank(value):
        problem(SERIAL, _("Required; this cell is empty."))
        return None
    serial = _serial_of(value)
    if serial is None:
        problem(SERIAL, _("%(cell)s is not a serial number.") % {"cell": quoted(cell_text(value))})
        return None
    shown = serial_text(serial)
    found = known.forms.get(serial)
    if found is None:
        problem(SERIAL, _("There is no form %(serial)s in this survey.") % {"serial": shown})
        return None
    if serial in seen:
        problem(SERIAL, _("Form %(serial)s is also in row %(row)d.") % {"serial": shown, "row": seen[serial]})
        return None
    seen[serial] = number
    form_id, area_id, is_returned = found
    if is_returned:
        problem(SERIAL, _("Form %(serial)s was already entered; a form is entered once.") % {"serial": shown})
        return None
    area_cell = raw.get(AREA)
    if not is_blank(area_cell):
        area = known.areas.get(header_key(area_cell))
        if area is None:
            problem(
                AREA, _("%(cell)s is not an area of this survey.") % {"cell": quoted(cell_text(area_cell))}
            )
            return None
        if area.pk != area_id:
            problem(
                AREA,
                _("Form %(serial)s belongs to %(area)s, not to %(cell)s.")
                % {
                    "serial": shown,
                    "area": known.area_names.get(area_id, ""),
                    "cell": quoted(cell_text(area_cell)),
                },
            )
            return None
    return form_id, serial


# --- check and commit ---------------------------------------------------------------------------------------


def _read_upload(upload: IO[bytes]) -> bytes | None:
    """The upload's bytes, or None when it is larger than MAX_FILE_BYTES."""
    upload.seek(0)
    data = upload.read(MAX_FILE_BYTES + 1)
    return None if len(data) > MAX_FILE_BYTES else data


def too_large_message() -> str:
    return _("The file is larger than %(size)d MB; split it into several files.") % {
        "size": MAX_FILE_BYTES // 2**20
    }


def _stored_problems(plan: Plan) -> list[dict[str, Any]]:
    return plan.problems[:MAX_STORED_PROBLEMS]


def survey_import_check(*, actor: Any, campaign: Campaign, upload: IO[bytes], filename: str) -> SurveyImport:
    """The dry run: store the file (default storage), read and check it; nothing is imported. The result's
    status is "checked" (clean: it may be imported) or "rejected" (its problems listed)."""
    require(actor, "surveys.enter", project=campaign.project)
    campaign_require_running(campaign)
    name = filename_safe(filename, fallback="answers.xlsx")[:200]
    survey_import = SurveyImport(
        campaign=campaign, filename=name, status=ImportStatus.REJECTED, created_by=actor
    )
    data = _read_upload(upload)
    if data is None:
        survey_import.problems = [{"row": 0, "column": "", "message": too_large_message()}]
        survey_import.save()
        return survey_import
    survey_import.file.save(name, ContentFile(data), save=False)
    plan = plan_workbook(campaign=campaign, source=BytesIO(data))
    _record(survey_import, plan)
    survey_import.save()
    return survey_import


def _record(survey_import: SurveyImport, plan: Plan) -> None:
    survey_import.rows_total = plan.rows_total
    survey_import.rows_ok = len(plan.rows)
    survey_import.problems = _stored_problems(plan)
    survey_import.status = ImportStatus.CHECKED if plan.is_clean else ImportStatus.REJECTED


def _stored_bytes(survey_import: SurveyImport) -> bytes:
    with survey_import.file.open("rb") as handle:
        return bytes(handle.read())


def survey_import_commit(*, actor: Any, survey_import: SurveyImport) -> SurveyImport:
    """Import a checked file, all its rows or none (one transaction). The file is checked again first: a
    form entered meanwhile by another path makes it refused, with the new problems listed."""
    campaign = survey_import.campaign
    require(actor, "surveys.enter", project=campaign.project)
    campaign_require_running(campaign)
    if survey_import.status == ImportStatus.COMMITTED:
        raise DomainError("surveys.import_done", _("This file has already been imported."), status=409)
    if survey_import.status != ImportStatus.CHECKED:
        raise DomainError(
            "surveys.import_has_problems",
            _("This file has problems; nothing is imported from it. Correct the file and upload it again."),
            status=409,
        )
    plan = plan_workbook(campaign=campaign, source=BytesIO(_stored_bytes(survey_import)))
    if not plan.is_clean:
        _record(survey_import, plan)
        survey_import.save(update_fields=["rows_total", "rows_ok", "problems", "status", "updated_at"])
        raise _changed()
    with transaction.atomic():
        claimed = SurveyImport.objects.filter(pk=survey_import.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.COMMITTED, committed_at=timezone.now(), rows_ok=len(plan.rows)
        )
        if not claimed:
            raise DomainError("surveys.import_done", _("This file has already been imported."), status=409)
        _write(actor=actor, campaign=campaign, rows=plan.rows)
        survey_import.refresh_from_db()
        audit_record(
            actor=actor,
            action="import",
            obj=survey_import,
            after={"rows": len(plan.rows), "status": survey_import.status},
            project_id=campaign.project_id,
        )
    return survey_import


def _changed() -> DomainError:
    return DomainError(
        "surveys.import_changed",
        _("Some forms of the file were entered since the check; nothing was imported. See the problems."),
        status=409,
    )


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _write(*, actor: Any, campaign: Campaign, rows: list[PlannedRow]) -> None:
    now = timezone.now()
    updates: dict[str, Any] = {
        "returned_at": now,
        "handed_out_at": Coalesce(F("handed_out_at"), Value(now, output_field=DateTimeField())),
        "channel": Channel.IMPORT,
        "entered_by": actor,
    }
    if campaign.one_answer_per_unit:
        updates["unit_lock"] = F("unit")
    ids = [row.form_id for row in rows]
    try:
        with transaction.atomic():
            claimed = sum(
                SurveyForm.objects.filter(pk__in=chunk, returned_at__isnull=True).update(**updates)
                for chunk in _chunks(ids)
            )
            if claimed != len(ids):
                raise _changed()
            details = [
                SurveyForm(
                    pk=row.form_id,
                    respondent_name=row.respondent_name,
                    answered_on=row.answered_on,
                    comment=row.comment,
                )
                for row in rows
                if row.respondent_name or row.answered_on or row.comment
            ]
            SurveyForm.objects.bulk_update(
                details, ["respondent_name", "answered_on", "comment"], batch_size=500
            )
            SurveyAnswer.objects.bulk_create(
                (
                    SurveyAnswer(form_id=row.form_id, item_id=item_id, rating=rating)
                    for row in rows
                    for item_id, rating in row.ratings.items()
                ),
                batch_size=ANSWER_BATCH,
            )
    except IntegrityError as error:
        raise DomainError(
            "surveys.unit_already_answered",
            _("Some forms are of units that have already answered this survey; nothing was imported."),
            status=409,
        ) from error


# --- the template -------------------------------------------------------------------------------------------


def template_workbook(*, campaign: Campaign) -> bytes:
    """The workbook to fill in: the area, the serial, a column per item (its Chinese and English name), the
    customer's name, the date and the comments; a row per form not yet returned, area and serial filled in;
    the rating cells offer the five words. A second sheet explains the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    items = campaign_items(campaign)
    forms = (
        SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=True)
        .select_related("area__area")
        .order_by("area__position", "area_id", "serial")
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "征询表 Answers"
    headers = [
        "区域 (Area)",
        "编号 (Serial)",
        *(excel_cell(item_header(item)) for item in items),
        "客户姓名 (Customer name)",
        "日期 (Date)",
        "意见 (Comments)",
    ]
    sheet.append(headers)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    count = 0
    for form in forms.iterator(chunk_size=2000):
        sheet.append([excel_cell(form.area.area.name), form.serial])
        count += 1
    last_row = max(count + 1, 1000)
    if items:
        words = DataValidation(type="list", formula1='"很满意,满意,较满意,不满意,未表态"', allow_blank=True)
        words.error = "很满意 / 满意 / 较满意 / 不满意 / 未表态"
        words.showErrorMessage = False  # the digits and English words are understood too
        sheet.add_data_validation(words)
        words.add(f"C2:{get_column_letter(2 + len(items))}{last_row}")
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(len(header) + 4, 30))
    date_column = get_column_letter(len(headers) - 1)
    for row in range(2, last_row + 1):
        sheet[f"{date_column}{row}"].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "C2"

    notes = workbook.create_sheet("说明 Instructions")
    for line in (
        excel_cell(f"{campaign.reference} {campaign.title}"),
        _(
            "One row per form that came back. The area and serial are filled in; leave the rows of forms "
            "that did not come back empty: they are not imported."
        ),
        _(
            "Ratings: 很满意, 满意, 较满意, 不满意 or 未表态 (or 1, 2, 3, 4 and 0; English words too). "
            "An empty rating cell is 未表态 (no answer)."
        ),
        _("Dates as 2026-11-05 (or a date cell). Name, date and comments may be left empty."),
        _(
            "At most %(rows)s rows per file. The file is checked first; nothing is imported until you "
            "confirm, and then every row is imported, or none."
        )
        % {"rows": f"{MAX_ROWS:,}"},
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
