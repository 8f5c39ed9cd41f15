"""The analysis workbook (surveys:analysis_xlsx): it opens, has a sheet per table, holds the numbers the API
answers (R-SV-3, R-SV-4), writes formula-like text as text, is audited, and outsiders get none of it."""

from __future__ import annotations

import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from estatedesk.common.models import AuditEntry
from estatedesk.surveys.models import CampaignArea
from estatedesk.surveys.tests.test_figures import _previous, add_forms, hand_computed, make_campaign, ratings

SHEETS = ["汇总 Summary", "调查表 Survey table", "排列图 Pareto", "回收率 Returns", "对比 Comparison"]


def xlsx_url(built) -> str:
    return reverse("surveys:analysis_xlsx", args=[built.campaign.reference])


def workbook(client, built):
    response = client.get(xlsx_url(built))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"{built.campaign.reference}-analysis.xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def shown(value) -> str | None:
    """A rate cell as the API writes it: "93.33", or None for "—"."""
    if value == "—":
        return None
    return f"{Decimal(str(value)):.2f}"


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_after(rows, header: str, label: str):
    start = next(i for i, row in enumerate(rows) if row[0] == header)
    return next(row for row in rows[start + 1 :] if row[0] == label)


def test_sv_4_workbook_opens_and_holds_the_numbers_of_the_api(world, login):
    built = hand_computed(world)
    client = login(world.pm_a)
    book = workbook(client, built)
    api = client.get(f"/api/surveys/campaigns/{built.campaign.reference}/figures/").json()
    assert book.sheetnames == SHEETS
    # 汇总: overall, per item, per area, each with its counts
    summary = rows_of(book["汇总 Summary"])
    overall = next(row for row in summary if row[0] == "总体 Overall")
    assert shown(overall[1]) == api["overall"]["rate"] == "71.88"
    assert overall[2:8] == [32, 16, 4, 18, 1, 9]
    for item in api["items"]:
        row = row_after(summary, "按项目 By item", item["label"])
        assert shown(row[1]) == item["rate"], item["label"]
        assert (row[2], row[3]) == (item["counts"]["rated"], item["counts"]["unrated"])
        assert row[8] == ("是 yes" if item["caution"] else None)
    for area in api["areas"]:
        row = row_after(summary, "按区域 By area", area["name"])
        assert shown(row[1]) == area["rate"]
        assert (row[2], row[3]) == (area["counts"]["rated"], area["counts"]["unrated"])
    # an undefined rate is "—", never 0
    cleaning = row_after(summary, "按项目 By item", "保洁卫生")
    assert cleaning[1] == "—"


def test_sv_4_survey_table_sheet_is_items_by_areas_with_totals(world, login):
    built = hand_computed(world)
    client = login(world.pm_a)
    book = workbook(client, built)
    api = client.get(f"/api/surveys/campaigns/{built.campaign.reference}/figures/").json()
    rows = rows_of(book["调查表 Survey table"])
    header = rows[0]
    assert header[0] == "项目 Item"
    assert header[1:4] == ["1号楼 满意率 (%)", "1号楼 已表态", "1号楼 未表态"]
    assert header[4] == "中心花园 满意率 (%)"
    assert header[7] == "合计 Total 满意率 (%)"
    cells = {(cell["item"], cell["area"]): cell for cell in api["cells"]}
    for index, item in enumerate(api["items"]):
        row = rows[1 + index]
        assert row[0] == item["label"]
        for column, area in enumerate(api["areas"]):
            cell = cells[(item["id"], area["id"])]
            values = row[1 + 3 * column : 4 + 3 * column]
            assert [shown(values[0]), values[1], values[2]] == [
                cell["rate"],
                cell["counts"]["rated"],
                cell["counts"]["unrated"],
            ]
        assert shown(row[7]) == item["rate"]
    totals = rows[1 + len(api["items"])]
    assert totals[0] == "合计 Total"
    assert [shown(totals[1]), shown(totals[4]), shown(totals[7])] == ["78.57", "25.00", "71.88"]


def test_sv_3_pareto_sheet_holds_the_rows_and_a_chart(world, login):
    built = make_campaign(world)
    add_forms(
        built,
        built.areas[0],
        {0: ratings(unsatisfied=1), 1: ratings(unsatisfied=6), 3: ratings(unsatisfied=3)},
    )
    client = login(world.pm_a)
    book = workbook(client, built)
    api = client.get(f"/api/surveys/campaigns/{built.campaign.reference}/figures/").json()
    sheet = book["排列图 Pareto"]
    rows = rows_of(sheet)
    body = [row for row in rows[1:] if row[0] != "合计 Total" and row[0] is not None]
    assert [(row[0], row[1], shown(row[2]), shown(row[3]), row[5] == "是 yes") for row in body] == [
        (p["label"], p["count"], p["share"], p["cumulative"], p["vital"]) for p in api["pareto"]
    ]
    assert [row[0] for row in body] == ["工程维修", "保洁卫生", "客户服务"]
    assert [shown(row[3]) for row in body] == ["60.00", "90.00", "100.00"]
    assert next(row for row in rows if row[0] == "合计 Total")[1] == 10
    assert len(sheet._charts) == 1


def test_sv_2_returns_sheet_per_area_with_the_waiver(world, login):
    built = hand_computed(world)
    CampaignArea.objects.filter(pk=built.areas[1].pk).update(
        waiver_reason="=1+1 住户外出", waiver_at="2026-11-30T10:00Z"
    )
    client = login(world.pm_a)
    book = workbook(client, built)
    sheet = book["回收率 Returns"]
    rows = rows_of(sheet)
    assert rows[0][0] == "回收率下限 Minimum return rate: 90.00%"
    building = next(row for row in rows if row[0] == "1号楼")
    garden = next(row for row in rows if row[0] == "中心花园")
    assert [building[1], building[2], shown(building[3]), building[4]] == [10, 10, "100.00", "是 yes"]
    assert [garden[1], garden[2], shown(garden[3]), garden[4]] == [4, 2, "50.00", "否 no"]
    # a waiver that looks like a formula is written as text
    assert garden[5] == "'=1+1 住户外出"
    cell = next(c for c in sheet["F"] if c.value == "'=1+1 住户外出")
    assert cell.data_type == "s"
    total = next(row for row in rows if row[0] == "合计 Total")
    assert [total[1], total[2], shown(total[3])] == [14, 12, "85.71"]


def test_sv_3_comparison_sheet(world, login):
    before = _previous(world)
    add_forms(
        before, before.areas[0], {0: ratings(satisfied=3, unsatisfied=1), 1: ratings(very=1, unsatisfied=1)}
    )
    built = hand_computed(world)
    rows = rows_of(workbook(login(world.pm_a), built)["对比 Comparison"])
    assert "SV-QD-A-202610-01" in rows[0][0]
    service = next(row for row in rows if row[0] == "客户服务")
    assert [shown(service[1]), service[2], shown(service[3]), service[4], shown(service[5])] == [
        "75.00",
        4,
        "83.33",
        12,
        "8.33",
    ]
    overall = next(row for row in rows if row[0] == "总体 Overall")
    assert [shown(overall[1]), shown(overall[3]), shown(overall[5])] == ["66.67", "71.88", "5.21"]


def test_workbook_writes_formula_like_labels_as_text(world, login):
    built = make_campaign(world, items=[("evil", '=HYPERLINK("http://x")', "@evil", "engineering")])
    add_forms(built, built.areas[0], {0: ratings(unsatisfied=2)})
    book = workbook(login(world.pm_a), built)
    for title in ("汇总 Summary", "调查表 Survey table", "排列图 Pareto"):
        values = [
            cell
            for row in book[title].iter_rows()
            for cell in row
            if cell.value and "HYPERLINK" in str(cell.value)
        ]
        assert values, title
        assert all(cell.value.startswith("'=") and cell.data_type == "s" for cell in values), title


def test_export_is_audited(world, login):
    built = hand_computed(world)
    workbook(login(world.supervisor_a), built)
    entry = AuditEntry.objects.get(action="export", object_type="surveys.campaign")
    assert entry.actor == world.supervisor_a
    assert entry.project_id == world.project_a.pk


def test_outsiders_get_no_workbook(world, login, client):
    built = hand_computed(world)
    target = xlsx_url(built)
    assert login(world.outsider).get(target).status_code == 404
    assert login(world.nobody).get(target).status_code == 403
    assert login(world.owner_a).get(target).status_code == 403
    assert client.get(target).status_code == 302
    # staff of the project without surveys.export see the page, not the workbook
    assert login(world.agent_a).get(target).status_code == 403
    assert AuditEntry.objects.filter(action="export").count() == 0
