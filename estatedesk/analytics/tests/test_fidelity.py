"""One figure, one value, on every surface (issue 15, R-FB-7): for the same scope and month, the figures
stored in the monthly pack (its JSON), shown on the dashboard page (HTML), in the dashboard's workbook, in
the pack's workbook and given by the API are identical, figure key by figure key (the printed text, or the
number in a workbook cell), for the month, the month before and the same month a year earlier.

Over `month_world` (conftest.py), November 2026, at NOW, as HQ (who may look at every scope)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from openpyxl import load_workbook

from estatedesk.analytics.choices import PackTrigger
from estatedesk.analytics.metrics import FIGURES, UNIT_FIGURES
from estatedesk.analytics.pack_lists import figure_catalogue
from estatedesk.analytics.packs import pack_generate
from estatedesk.analytics.scopes import scope_from_key
from estatedesk.analytics.tests.conftest import NOVEMBER

PERIOD = "2026-11"
PARTS = ("current", "previous", "year_earlier")
SCOPES = ("company", "branch:QD", "project:QD-A")
UNDEFINED = "—"


@pytest.fixture
def surfaces(month_world, month_now, login, settings, tmp_path):
    """The five surfaces of one scope's November, as a function of the scope key."""
    settings.MEDIA_ROOT = tmp_path

    def of(key: str) -> dict[str, Any]:
        scope = scope_from_key(key, company=month_world.company)
        assert scope is not None
        pack = pack_generate(scope=scope, month=NOVEMBER, trigger=PackTrigger.COMMAND, send_email=False)
        client = login(month_world.hq)
        query = {"scope": key, "period": PERIOD}
        page = client.get("/analytics/", query)
        workbook = client.get("/analytics/workbook/", query)
        api = client.get("/api/analytics/metrics/", query)
        assert (page.status_code, workbook.status_code, api.status_code) == (200, 200, 200)
        with pack.workbook.open("rb") as handle:
            pack_book = load_workbook(io.BytesIO(handle.read()))
        return {
            "pack": pack.figures,
            "page": page.content.decode(),
            "workbook": load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))
            if getattr(workbook, "streaming", False)
            else load_workbook(io.BytesIO(workbook.content)),
            "api": api.json(),
            "pack_workbook": pack_book,
        }

    return of


def texts(report: dict[str, Any], part: str) -> dict[str, str]:
    """{key: text} of one part (current, previous, year_earlier) of a MetricsReport's JSON."""
    return {key: figure["text"] for key, figure in report[part]["figures"].items()}


def cell_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def number_of(text: str) -> Decimal | None:
    """The number a figure's text prints (1,234 / 93.33% / 12.5 / —)."""
    if text == UNDEFINED:
        return None
    return Decimal(text.replace(",", "").removesuffix("%"))


@pytest.mark.parametrize("key", SCOPES)
def test_fb_7_the_api_gives_the_figures_the_pack_stored(surfaces, key):
    shown = surfaces(key)

    for part in PARTS:
        assert texts(shown["api"], part) == texts(shown["pack"], part), part
        assert set(texts(shown["pack"], part)) == set(FIGURES), part
        for figure_key, stored in shown["pack"][part]["figures"].items():
            given = shown["api"][part]["figures"][figure_key]
            assert (given["value"], given["numerator"], given["denominator"]) == (
                stored["value"],
                stored["numerator"],
                stored["denominator"],
            ), (part, figure_key)
    assert [
        (unit["key"], {k: unit["figures"][k]["text"] for k in UNIT_FIGURES})
        for unit in shown["api"]["current"]["units"]
    ] == [
        (unit["key"], {k: unit["figures"][k]["text"] for k in UNIT_FIGURES})
        for unit in shown["pack"]["current"]["units"]
    ]


@pytest.mark.parametrize("key", SCOPES)
def test_fb_7_the_dashboard_page_shows_the_figures_the_pack_stored(surfaces, key):
    shown = surfaces(key)
    html, stored = shown["page"], shown["pack"]

    cards = re.findall(r'data-testid="kpi" data-key="([^"]+)">(.*?)</li>', html, re.S)
    assert len(cards) >= 5
    for figure_key, card in cards:
        for testid, part in (
            ("kpi-value", "current"),
            ("kpi-previous", "previous"),
            ("kpi-year-earlier", "year_earlier"),
        ):
            value = re.search(rf'data-testid="{testid}">(.*?)</(?:a|span)>', card, re.S)
            assert value, (figure_key, testid)
            assert cell_text(value[1]) == stored[part]["figures"][figure_key]["text"], (figure_key, part)
    rows = re.findall(r'<tr data-testid="unit-row" data-unit="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)
    units = {unit["key"]: unit["figures"] for unit in stored["current"]["units"]}
    assert [unit for unit, _row in rows] == list(units)
    for unit, row in rows:
        cells = dict(re.findall(r'<td class="num" data-figure="([^"]+)">(.*?)</td>', row, re.S))
        assert cells, unit
        for figure_key, cell in cells.items():
            assert cell_text(cell) == units[unit][figure_key]["text"], (unit, figure_key)
    clocks = re.search(r'data-testid="table-clocks">(.*?)</table>', html, re.S)
    assert clocks
    for clock, row in re.findall(r'<tr data-value="([^"]+)">(.*?)</tr>', clocks[1], re.S):
        cells = [cell_text(c) for c in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]
        expected = [
            stored["current"]["figures"][f"feedback.{clock}.{p}"]["text"]
            for p in ("on_time", "met", "breached")
        ]
        assert cells == expected, clock


@pytest.mark.parametrize("key", SCOPES)
def test_fb_7_the_dashboard_workbook_holds_the_numbers_the_pack_stored(surfaces, key):
    shown = surfaces(key)
    stored = shown["pack"]
    sheet = shown["workbook"].worksheets[1]  # Filters, then Figures

    seen = set()
    for row in sheet.iter_rows(min_row=2, values_only=True):
        figure_key = row[1]
        if figure_key not in FIGURES:
            continue
        seen.add(figure_key)
        for column, part in zip((2, 3, 4), PARTS, strict=True):
            expected = number_of(stored[part]["figures"][figure_key]["text"])
            cell = row[column]
            if expected is None:
                assert cell == UNDEFINED, (figure_key, part)
            else:
                places = -expected.as_tuple().exponent  # type: ignore[operator]
                assert round(Decimal(str(cell)), places) == expected, (figure_key, part, cell)
    assert seen == set(stored["current"]["figures"])


@pytest.mark.parametrize("key", SCOPES)
def test_fb_7_the_pack_workbook_prints_the_texts_the_pack_stored(surfaces, key):
    shown = surfaces(key)
    stored = shown["pack"]
    sheet = shown["pack_workbook"].worksheets[1]  # the cover, then the key figures
    catalogue = figure_catalogue(stored)

    rows = [list(row) for row in sheet.iter_rows(min_row=2, max_row=len(catalogue) + 1, values_only=True)]

    assert [row[0] for row in rows] == [label for _key, label, _unit in catalogue]
    for (figure_key, _label, _unit), row in zip(catalogue, rows, strict=True):
        expected = [stored[part]["figures"][figure_key]["text"] for part in PARTS]
        assert [str(value) for value in row[1:4]] == expected, figure_key
