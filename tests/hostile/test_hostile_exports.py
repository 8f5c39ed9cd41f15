"""Hostile text in what we export (issue 10, item 4): Excel workbooks (R-OA-2: the archive export; an
import's problems) and the execution record's PDF (R-FB-8).

A workbook cell holds the text as typed, minus control characters (openpyxl refuses them: the export used
to answer 500 for a name with one), formula-like text as text after an apostrophe, in a string cell; file
names carry no bidirectional override. The PDF shows the text, escaped, without control characters or
bidirectional controls, and WeasyPrint fetches nothing while rendering it."""

from __future__ import annotations

import http.server
import io
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from collections import Counter
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from PIL import Image

from estatedesk.common.excel import cell_text, write_workbook
from estatedesk.common.text import BIDI_CONTROLS, multi_line
from estatedesk.feedback import pdf
from estatedesk.feedback.pdf import NoFetching, html_to_pdf
from estatedesk.feedback.services import execution_record_update
from estatedesk.feedback.tests.helpers import add_member, register
from estatedesk.org.choices import Role
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.importing import import_check
from estatedesk.owners.models import ImportBatch, Resident
from estatedesk.owners.spreadsheet import COLUMNS
from tests.hostile.conftest import corpus_for_database
from tests.hostile.corpus import CONTROL, CORPUS, FORMULA_START, NAMES, has_bidi_control, visible

COLUMN = {column.key: index for index, column in enumerate(COLUMNS)}
XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")


def expected_cell(value: str) -> str:
    """What a cell must hold for `value`: the text without control characters (tab and line feed kept),
    an apostrophe first when it would start a formula, at most 32,767 characters."""
    text = multi_line(value)
    if text and text[0] in FORMULA_START:
        text = "'" + text
    return text[:32_767]


def assert_cell_is_text(cell: Any, where: str) -> None:
    """A string cell, never a formula; formula-like text after an apostrophe, or marked as text the way
    Excel marks what is typed after an apostrophe (`quotePrefix`)."""
    assert cell.data_type != "f", f"{where}: a formula {cell.value!r}"
    if isinstance(cell.value, str):
        assert not CONTROL.search(cell.value), f"{where}: a control character in {cell.value[:40]!r}"
        if cell.value.startswith(FORMULA_START):
            assert cell.quotePrefix, f"{where}: formula-like {cell.value[:40]!r}"


def read_rows(path: str) -> list[list[Any]]:
    workbook = load_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows():
            for cell in row:
                assert_cell_is_text(cell, cell.coordinate)
        return [[cell.value for cell in row] for row in sheet.iter_rows()]
    finally:
        workbook.close()


def content_disposition_name(response: Any) -> str:
    header = response["Content-Disposition"]
    if "filename*=" in header:
        return unquote(header.split("filename*=", 1)[1].split("''", 1)[1])
    return header.split('filename="', 1)[1].rstrip('"')


def assert_header_safe(response: Any) -> None:
    name = content_disposition_name(response)
    assert not any(ch in BIDI_CONTROLS for ch in name), f"a bidirectional control in {name!r}"
    assert not any(unicodedata.category(ch)[0] == "C" for ch in name), f"a control character in {name!r}"
    assert "/" not in name
    assert "\\" not in name


# --- the cell writer, string by string ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_oa_2_every_string_is_written_as_the_text_typed_never_a_formula(name):
    # given
    value = CORPUS[name]
    # when
    path = write_workbook(title=value, headers=[value], rows=[[value, f"x{value}"]])
    try:
        rows = read_rows(path)
    finally:
        os.unlink(path)
    # then: the cell holds the text, minus control characters, formula-like text after an apostrophe
    assert rows[1] == [expected_cell(value) or None, expected_cell(f"x{value}")]
    assert rows[0][:1] == [expected_cell(value) or None]


def test_oa_2_cells_keep_within_excels_limit_and_times_lose_their_zone():
    from datetime import UTC, datetime

    # when
    path = write_workbook(
        title="t", headers=["h"], rows=[["=" + "a" * 40_000, datetime(2026, 11, 26, 6, 30, tzinfo=UTC)]]
    )
    try:
        rows = read_rows(path)
    finally:
        os.unlink(path)
    # then: 32,767 characters at most; an aware time in Shanghai's local time (Excel has no time zones)
    assert rows[1][0] == cell_text("=" + "a" * 40_000)
    assert len(rows[1][0]) == 32_767
    assert rows[1][1] == datetime(2026, 11, 26, 14, 30)  # noqa: DTZ001 - Excel's times are naive


# --- the archive export ------------------------------------------------------------------------------------


def test_oa_2_archive_export_keeps_hostile_names_and_notes_as_text(hostile, login):
    # given: a CS supervisor (who may export) and the corpus in the archive as names and notes
    client = login(hostile.world.supervisor_a)
    # when
    response = client.get(reverse("owners:project_export", args=["QD-A"]))
    # then
    assert response.status_code == 200
    assert_header_safe(response)
    path = _save(response)
    try:
        rows = read_rows(path)
    finally:
        os.unlink(path)
    exported = Counter((row[COLUMN["name"]], row[COLUMN["notes"]]) for row in rows[1:])
    expected = Counter(
        (expected_cell(resident.name) or None, expected_cell(resident.notes) or None)
        for resident in hostile.residents.values()
    )
    assert expected - exported == Counter()


def _save(response: Any) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    with handle:
        handle.write(b"".join(response.streaming_content))
    return handle.name


def _hostile_import(
    world: Any, tmp_path: Any, *, filename: str, values: list[str] | None = None
) -> ImportBatch:
    """An import checked from a file whose names and notes are the corpus (as formulas where they look like
    one: openpyxl stores "=…" as a formula) and whose phones are wrong, so that every row has a problem.
    Left out: what openpyxl cannot write (control characters) or writes as XML it cannot read back
    (U+FFFE, U+FFFF)."""
    book = Workbook()
    sheet = book.active
    sheet.append([column.zh for column in COLUMNS])
    writable = values or [
        value
        for value in CORPUS.values()
        if not ILLEGAL_CHARACTERS_RE.search(value) and not XML_NONCHARACTERS.search(value)
    ]
    for number, value in enumerate(writable, start=501):
        row = {"building": "1", "entrance": "2", "number": str(number), "name": value[:60], "phones": "1234"}
        sheet.append([row.get(column.key, value if column.key == "notes" else None) for column in COLUMNS])
    book.save(tmp_path / "hostile.xlsx")
    return import_check(
        actor=world.supervisor_a,
        project=world.project_a,
        path_or_file=tmp_path / "hostile.xlsx",
        filename=filename,
    )


def test_oa_2_import_problems_workbook_keeps_hostile_cells_as_text(world, login, settings, tmp_path):
    # given: an import whose every row has a problem, its names and notes from the corpus
    settings.MEDIA_ROOT = tmp_path
    batch = _hostile_import(world, tmp_path, filename="owners.xlsx")
    assert batch.problem_count > 0
    # when
    response = login(world.supervisor_a).get(reverse("owners:import_problems", args=[batch.pk]))
    # then: no cell is a formula, formula-like text is marked as text
    assert response.status_code == 200
    assert_header_safe(response)
    path = _save(response)
    try:
        rows = read_rows(path)
    finally:
        os.unlink(path)
    names = {row[COLUMN["name"]] for row in rows[1:]}
    assert {CORPUS["dde_formula"], CORPUS["plus_formula"], CORPUS["script"]} <= names  # as typed, as text


def test_oa_2_import_problems_file_name_has_no_bidirectional_override(world, login, settings, tmp_path):
    # given: an import of a file named to pose as another kind of file
    settings.MEDIA_ROOT = tmp_path
    batch = _hostile_import(world, tmp_path, filename="owners\u202efdp.xlsx")
    # when
    response = login(world.supervisor_a).get(reverse("owners:import_problems", args=[batch.pk]))
    # then
    assert response.status_code == 200
    assert_header_safe(response)


def test_oa_2_an_import_of_a_workbook_with_unreadable_xml_is_a_problem_not_a_crash(world, settings, tmp_path):
    # given: a workbook openpyxl wrote with U+FFFF in a name (XML 1.0 does not allow it)
    settings.MEDIA_ROOT = tmp_path
    # when
    batch = _hostile_import(world, tmp_path, filename="owners.xlsx", values=[CORPUS["noncharacters"]])
    # then: refused as a file, with a problem to show
    assert batch.status == ImportStatus.INVALID


# --- the execution record's PDF -----------------------------------------------------------------------------


def pdf_text(data: bytes, tmp_path: Any) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (scripts/system-deps.sh)"
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_fb_8_execution_record_pdf_shows_hostile_text_inert(world, login, tmp_path, monkeypatch):
    # given: one item with the whole corpus in its feedback and in every written part of its record
    # (right-to-left letters are left out: pdftotext marks their runs with U+202B itself; pages show them)
    values = {
        name: value
        for name, value in corpus_for_database().items()
        if name not in ("long", "right_to_left_script")
    }
    text = "\n".join(values.values())
    owner = Resident.objects.get(user=world.owner_a)
    item = register(world, title=CORPUS["rlo_file_name"], description=text, resident=owner, unit=world.unit_a)
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    execution_record_update(actor=qa, item=item, qa_opinion=text)
    execution_record_update(
        actor=world.pm_a, item=item, office_record=text, executor_name=CORPUS["rlo_file_name"]
    )
    execution_record_update(actor=qa, item=item, qa_acceptance=CORPUS["long"])
    rendered: list[str] = []
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: rendered.append(html) or html_to_pdf(html))
    # when: the PDF, as staff download it
    response = login(world.pm_a).get(reverse("feedback:execution_record_pdf", args=[item.reference]))
    # then: the document WeasyPrint set holds no control character and no bidirectional control
    assert response.status_code == 200
    assert_header_safe(response)
    (html,) = rendered
    assert not has_bidi_control(html)
    assert not CONTROL.search(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    # and the PDF shows the text as typed, without them
    extracted = pdf_text(response.content, tmp_path)
    bidi = [extracted[max(0, i - 30) : i + 10] for i, ch in enumerate(extracted) if ch in BIDI_CONTROLS]
    assert bidi == []
    assert not CONTROL.search(extracted.replace("\x0c", "")), "a control character in the PDF's text"
    squeezed = "".join(extracted.split())
    for name in ("script", "attribute_breakout", "template_expression", "template_tag", "dde_formula", "sql"):
        # (pdftotext joins a line that ends with "-" to the next one, dropping the "-")
        assert visible(CORPUS[name]).rstrip("-") in squeezed, f"{name} is not shown as typed"
    assert "invoicegpj.exe" in squeezed  # the override is gone: the name reads as what it is
    # the long acceptance, whole, over the pages it needs (page footers may fall inside a "长文本")
    assert [squeezed.count(ch) for ch in "长文本"] == [3000, 3000, 3000]


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_fb_8_pdf_rendering_fetches_nothing(tmp_path):
    # given: a local web server that counts requests, and markup that asks for it, the disk and data
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-ON-DISK", encoding="utf-8")
    html = (
        f'<link rel="stylesheet" href="{base}/style.css"><style>@import url("{base}/import.css");'
        f'body {{ background: url("{base}/background.png"); }}</style>'
        f'<img src="{base}/image.png"><img src="file://{secret}"><iframe src="file://{secret}"></iframe>'
        f'<object data="file://{secret}"></object><embed src="file://{secret}">'
        f'<img src="data:image/png;base64,iVBORw0KGgo="><p>body text</p>'
    )
    try:
        # when
        data = html_to_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
    # then: a PDF, and not one request, not one file read
    assert data.startswith(b"%PDF-")
    assert _CountingHandler.hits == []
    assert "SECRET-ON-DISK" not in pdf_text(data, tmp_path)
    for url in (f"{base}/x.png", f"file://{secret}", "data:text/plain,hello", "ftp://127.0.0.1/x"):
        with pytest.raises(ValueError, match="nothing is fetched"):
            NoFetching().fetch(url)


# --- an attachment's file name, uploaded with the page ------------------------------------------------------


def test_sec_hostile_an_uploaded_photo_is_downloaded_under_a_name_without_override(
    world, login, settings, tmp_path
):
    # given: a photo uploaded with a name that poses as another kind of file
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    owner = Resident.objects.get(user=world.owner_a)
    item = register(world, description="Leak", resident=owner, unit=world.unit_a)
    client = login(world.agent_a)
    upload = SimpleUploadedFile("exe\u202egnp.\x07png", buffer.getvalue(), content_type="image/png")
    # when
    posted = client.post(reverse("feedback:item_photos", args=[item.reference]), {"photos": [upload]})
    attachment = item.attachments.get()
    response = client.get(reverse("feedback:attachment_download", args=[item.reference, attachment.pk]))
    # then: Django's upload parser keeps only printable characters of the name
    assert posted.status_code == 302
    assert response.status_code == 200
    assert attachment.name == "exegnp.png"
    assert_header_safe(response)
