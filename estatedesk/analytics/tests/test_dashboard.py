"""The dashboards per role, their drill-down and workbook (issue 15; R-FB-7, the monthly summary for the
general manager's 月结例会, with the figures of R-FB-2/R-FB-4 (SLA), R-RV-5 (回访满意率), R-RV-4
(nonconformities), R-SV-4 (surveys) and R-IR-1 (reporting)), on the hand-counted November 2026 of
`month_world` (analytics/tests/conftest.py), seen at NOW (2 December 2026)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from estatedesk.analytics.metrics import FIGURES, UNIT_FIGURES
from estatedesk.analytics.tests.conftest import _item, local
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.common.tests.test_page_names import page_names
from estatedesk.conftest import _project
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.org.models import Project

DASHBOARD = reverse("analytics:dashboard")
DRILL = reverse("analytics:drilldown")
WORKBOOK = reverse("analytics:dashboard_workbook")
NOVEMBER = "2026-11"


def dashboard(client: Any, **query: str) -> Any:
    response = client.get(DASHBOARD, {"period": NOVEMBER, **query})
    assert response.status_code == 200, response.status_code
    return response


def unit_codes(response: Any) -> list[str]:
    return [row["unit"].code for row in response.context["units"]]


def unit_cell(response: Any, code: str, figure: str) -> dict[str, Any]:
    row = next(row for row in response.context["units"] if row["unit"].code == code)
    return next(cell for cell in row["cells"] if cell["key"] == figure)


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# --- who sees which scope, broken down by what ------------------------------------------------------------


@pytest.mark.usefixtures("month_now")
def test_fb_7_hq_sees_the_company_by_branch(month_world, login):
    # given HQ (company-wide), when they open the dashboard without a scope
    response = dashboard(login(month_world.hq))

    # then it is the company's November, broken down by branch, with the hand-counted figures
    assert response.context["scope"].key == "company"
    assert response.context["period"].text == NOVEMBER
    assert unit_codes(response) == ["JN", "QD"]
    metrics = response.context["metrics"]
    assert metrics.figures["feedback.total"].value == 11
    assert metrics.figures["feedback.contact.on_time"].text == "60.00%"
    assert metrics.figures["visits.satisfaction"].text == "71.43%"
    assert unit_cell(response, "QD", "feedback.total")["figure"].value == 8
    assert unit_cell(response, "JN", "feedback.total")["figure"].value == 3
    body = response.content.decode()
    assert 'data-testid="printed-scope">安居物业<' in body


@pytest.mark.usefixtures("month_now")
def test_fb_7_branch_manager_sees_their_branch_by_project(month_world, login):
    # given QD's branch manager, when they open the dashboard without a scope
    response = dashboard(login(month_world.branch_manager))

    # then it is branch QD broken down by its projects, and the scope picker offers QD and its projects only
    assert response.context["scope"].key == "branch:QD"
    assert unit_codes(response) == ["QD-A", "QD-B"]
    assert unit_cell(response, "QD-A", "feedback.total")["figure"].value == 6
    assert unit_cell(response, "QD-B", "feedback.total")["figure"].value == 2
    assert unit_cell(response, "QD-A", "visits.satisfaction")["figure"].text == "75.00%"
    assert [scope.key for scope in response.context["filters"].scopes] == [
        "branch:QD",
        "project:QD-A",
        "project:QD-B",
    ]


@pytest.mark.parametrize("persona", ["pm_a", "supervisor_a"])
@pytest.mark.usefixtures("month_now")
def test_fb_7_project_manager_and_supervisor_see_their_project_by_department(month_world, login, persona):
    # given project A's manager or CS supervisor, when they open the dashboard
    response = dashboard(login(month_world.users[persona]))

    # then it is project QD-A broken down by department: its customer service department, and the rows
    # of no department (the month's items name none)
    assert response.context["scope"].key == "project:QD-A"
    assert [row["key"] for row in response.context["units"]] == [
        f"department:{month_world.project_a.departments.get().pk}",
        "department:none",
    ]
    assert response.context["units"][0]["unit"].name == "海景花园客服部"
    assert response.context["metrics"].figures["feedback.total"].value == 6


@pytest.mark.usefixtures("month_now")
def test_fb_7_a_scope_out_of_reach_is_404(month_world, login):
    # given the outsider (CS supervisor of JN-C)
    client = login(month_world.outsider)

    # when they ask for branch QD or project QD-A, or a scope that does not exist, then: 404
    for key in ("branch:QD", "project:QD-A", "company", "project:NOPE"):
        assert client.get(DASHBOARD, {"scope": key}).status_code == 404, key
        assert client.get(DRILL, {"scope": key, "figure": "feedback.total"}).status_code == 404, key
        assert client.get(WORKBOOK, {"scope": key}).status_code == 404, key
    # and their own project is theirs
    assert dashboard(client).context["scope"].key == "project:JN-C"


@pytest.mark.parametrize("persona", ["nobody", "owner_a", "agent_a"])
def test_fb_7_people_without_figures_get_nothing(world, login, persona):
    # given a user with no role, an owner and an agent (no analytics.view), then every page is 403
    client = login(world.users[persona])
    for url in (DASHBOARD, DRILL, WORKBOOK):
        assert client.get(url).status_code == 403, url


def test_fb_7_signed_out_is_sent_to_sign_in(client, world):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- filters ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("month_now")
def test_fb_7_filters_are_printed_with_the_compared_periods(month_world, login):
    # when HQ opens the fourth quarter of 2026
    response = dashboard(login(month_world.hq), period="2026-Q4")

    # then the page prints the scope, the period with its dates and the periods it is compared with
    assert response.context["period"].text == "2026-Q4"
    assert response.context["previous_period"].text == "2026-Q3"
    assert response.context["year_earlier_period"].text == "2025-Q4"
    body = response.content.decode()
    assert "2026-10-01 – 2026-12-31" in body
    assert "2026-07-01 – 2026-09-30" in body
    assert "2025-10-01 – 2025-12-31" in body
    assert 'data-testid="printed-computed-at">2026-12-02 10:00<' in body


@pytest.mark.usefixtures("month_now")
def test_fb_7_an_invalid_period_is_said_and_the_month_shown(month_world, login):
    # given HQ, when they type a period that is none
    client = login(month_world.hq)
    with translation.override("en"):
        response = client.get(DASHBOARD, {"period": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en")

    # then the page says so and shows the current month (December 2026 at NOW), no traceback
    assert response.status_code == 200
    assert response.context["period"].text == "2026-12"
    assert response.context["invalid_period"] == "2026-13"
    body = response.content.decode()
    assert "“2026-13” is not a period" in body
    # and in Chinese too
    chinese = client.get(DASHBOARD, {"period": "十一月"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="invalid-period"' in chinese
    assert "“十一月”" in chinese


@pytest.mark.usefixtures("month_now")
def test_fb_7_custom_dates_and_quick_links(month_world, login):
    response = dashboard(login(month_world.branch_manager), period="2026-11-01..2026-11-15")
    # A1 (3 Nov), B1 (5 Nov), A2 (10 Nov), A3 (12 Nov), A6 (15 Nov) were registered in the first half
    assert response.context["metrics"].figures["feedback.total"].value == 5
    assert response.context["previous_period"].text == "2026-10-17..2026-10-31"
    assert [quick["period"].text for quick in response.context["quick_periods"]] == [
        "2026-12",
        "2026-11",
        "2026-Q4",
        "2026",
    ]


# --- every number opens what it counts --------------------------------------------------------------------


DRILLED = [
    # (persona, figure, unit code or "", the hand-counted number of rows behind it)
    ("hq", "feedback.total", "", 11),
    ("hq", "feedback.open", "", 4),
    ("hq", "feedback.major", "", 2),
    ("hq", "feedback.total", "QD", 8),
    ("branch_manager", "feedback.total", "QD-A", 6),
    ("branch_manager", "visits.c", "", 1),
    ("hq", "visits.c", "", 2),
    ("hq", "quality.open", "", 2),
    ("hq", "feedback.contact.breached", "", 4),
]


@pytest.mark.parametrize(("persona", "figure", "unit", "expected"), DRILLED)
@pytest.mark.usefixtures("month_now")
def test_fb_7_the_drill_down_lists_as_many_rows_as_the_number(
    month_world, login, persona, figure, unit, expected
):
    # given the dashboard's number and its link
    client = login(month_world.users[persona])
    page = dashboard(client)
    if unit:
        cell = unit_cell(page, unit, figure)
        shown, url = cell["figure"], cell["url"]
    else:
        shown = page.context["metrics"].figures[figure]
        url = next(row["url"] for row in page.context["figures"] if row["key"] == figure)
    assert shown.value == expected
    assert f'href="{url.replace("&", "&amp;")}"' in page.content.decode()

    # when the number is followed
    response = client.get(url)

    # then the drill-down shows the same value and lists that many rows, each linking to its own page
    assert response.status_code == 200
    assert query_of(url)["figure"] == figure
    assert response.context["drill"].count == expected
    assert response.context["figure"].text == shown.text
    rows = response.context["rows"]
    assert len(rows) == expected
    assert all(row["url"] for row in rows)
    body = response.content.decode()
    assert f'data-testid="drill-count">{expected}<' in body


@pytest.mark.usefixtures("month_now")
def test_fb_7_drill_down_rows_are_the_items_and_open_their_pages(month_world, login):
    # given QD's branch manager following project QD-A's items
    client = login(month_world.branch_manager)
    url = unit_cell(dashboard(client), "QD-A", "feedback.total")["url"]

    # when they open the drill-down, then it lists exactly QD-A's November items, each linking to its page
    rows = client.get(url).context["rows"]
    assert sorted(row["reference"] for row in rows) == [f"MW-QD-A-A{n}" for n in range(1, 7)]
    first = rows[0]
    assert first["url"] == reverse("feedback:item_detail", args=[first["reference"]])
    assert client.get(first["url"]).status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"figure": "feedback.nope"}, "feedback.nope"),
        ({"figure": ""}, ""),
        ({"figure": "feedback.total", "unit": "NOPE"}, "NOPE"),
    ],
)
@pytest.mark.usefixtures("month_now")
def test_fb_7_an_unknown_figure_or_unit_is_a_clear_400(month_world, login, query, message):
    response = login(month_world.hq).get(DRILL, {"period": NOVEMBER, **query})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="drilldown-error-message"' in body
    assert message in body


@pytest.mark.usefixtures("month_now")
def test_fb_7_drill_down_pages_long_lists(month_world, login):
    # given 60 more items in QD-A in November (the page holds 50)
    for number in range(60):
        _item(
            month_world.project_a, f"X{number}", registered=local(2026, 11, 21, 9), channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT, category=Category.ENGINEERING,
        )  # fmt: skip
    client = login(month_world.branch_manager)
    query = {"scope": "project:QD-A", "period": NOVEMBER, "figure": "feedback.total"}

    # then page 1 holds 50 rows, page 2 the other 16, and the count is all 66
    first = client.get(DRILL, query)
    second = client.get(DRILL, {**query, "page": "2"})
    assert first.context["drill"].count == 66
    assert (len(first.context["rows"]), len(second.context["rows"])) == (50, 16)
    assert 'data-testid="next-page"' in first.content.decode()


# --- the workbook -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("month_now")
def test_fb_7_workbook_holds_the_pages_values(month_world, login):
    # given the branch manager's dashboard of November
    client = login(month_world.branch_manager)
    page = dashboard(client)
    metrics = page.context["metrics"]

    # when they download its workbook
    response = client.get(WORKBOOK, {"period": NOVEMBER})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-branch-QD-2026-11.xlsx"'
    book = openpyxl.load_workbook(BytesIO(response.content))

    # then it has a sheet per table, with the page's values (a rate as its percentage, formatted as one)
    assert book.sheetnames == [
        "筛选",
        "数据概览",
        "按渠道统计的事项",
        "按类型统计的事项",
        "按类别统计的事项",
        "按状态统计的事项",
        "按满意度统计的回访",
        "按阶段统计的未关闭不合格项",
        "时限节点",
        "单位对比",
    ]
    figures = {row[1].value: row for row in book.worksheets[1].iter_rows(min_row=2)}
    assert set(figures) == {key for key in FIGURES if key in metrics.figures}
    for key, row in figures.items():
        figure = metrics.figures[key]
        expected = "—" if figure.value is None else float(figure.value)
        assert row[2].value == expected, key
    assert figures["feedback.total"][2].value == 8
    assert figures["feedback.total"][2].number_format == "#,##0"
    assert figures["feedback.contact.on_time"][2].value == pytest.approx(57.14)
    assert figures["feedback.contact.on_time"][2].number_format == '0.00"%"'
    assert figures["feedback.total"][3].value == page.context["cards"][0]["previous"].value
    units = {row[0].value: [cell.value for cell in row] for row in book.worksheets[-1].iter_rows(min_row=2)}
    assert sorted(units) == ["QD-A", "QD-B"]
    total_column = 2 + UNIT_FIGURES.index("feedback.total")
    assert (units["QD-A"][total_column], units["QD-B"][total_column]) == (6, 2)


@pytest.mark.usefixtures("month_now")
def test_fb_7_workbook_breakdowns_match_the_page(month_world, login):
    client = login(month_world.hq)
    metrics = dashboard(client).context["metrics"]
    book = openpyxl.load_workbook(BytesIO(client.get(WORKBOOK, {"period": NOVEMBER}).content))
    by_channel = book.worksheets[2]
    rows = [(row[0].value, row[1].value) for row in by_channel.iter_rows(min_row=2)]
    assert rows == [(share.label, share.count) for share in metrics.breakdowns["feedback.by_channel"]]
    assert sum(count for _label, count in rows) == 11


# --- the page itself --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("month_now")
def test_fb_7_title_heading_and_menu_name_are_one(month_world, login):
    client = login(month_world.branch_manager)
    body = client.get(DASHBOARD, {"period": NOVEMBER}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    names = page_names(body)
    assert names["menu"] == "仪表盘"
    assert names["title"] == names["h1"] == "仪表盘 · QD · 青岛分公司 · 2026年11月"


@pytest.mark.usefixtures("month_now")
def test_fb_7_charts_load_from_static_files_with_their_data(month_world, login):
    body = dashboard(login(month_world.hq)).content.decode()
    assert "vendor/echarts-5.6.0.min.js" in body
    assert "analytics/dashboard.js" in body
    assert '<script id="dashboard-data" type="application/json">' in body
    assert "<script>" not in body  # nothing inline (Content-Security-Policy)


@pytest.mark.usefixtures("month_now")
def test_fb_7_statistics_page_links_to_the_dashboard(month_world, login):
    body = login(month_world.branch_manager).get(reverse("feedback:statistics")).content.decode()
    assert 'data-testid="dashboard-link"' in body
    assert f'href="{DASHBOARD}?period=2026-12"' in body


@pytest.mark.usefixtures("month_now")
def test_fb_7_dashboard_queries_do_not_grow_with_the_rows(month_world, login):
    # given the branch manager's dashboard of QD, then a new project of QD with 40 items of November
    client = login(month_world.branch_manager)
    url = f"{DASHBOARD}?scope=branch:QD&period={NOVEMBER}"

    def add_rows() -> list[str]:
        project = _project(
            month_world.branch_a,
            "QD-Z",
            "新建的项目",
            {c.code: c for c in month_world.company.calendars.all()},
        )
        for number in range(40):
            _item(
                project, f"Z{number}", registered=local(2026, 11, 2 + number % 25, 9),
                channel=[Channel.HOTLINE, Channel.QR, Channel.EMAIL][number % 3],
                kind=[Kind.COMPLAINT, Kind.REPAIR][number % 2], category=Category.ENGINEERING,
            )  # fmt: skip
        assert Project.objects.filter(branch=month_world.branch_a).count() == 3
        return ["新建的项目"]

    # then the page makes as many queries with them as without, and a bounded number
    queries = assert_queries_do_not_grow(client, url, add_rows, ceiling=60)
    assert queries > 0


def test_fb_7_change_is_in_points_for_rates():
    from estatedesk.analytics.metrics import Figure
    from estatedesk.analytics.views.dashboard import change_text

    assert change_text(Figure("feedback.total", 11), Figure("feedback.total", 1)) == "+10"
    assert change_text(Figure("feedback.total", 1), Figure("feedback.total", 1)) == "±0"
    with translation.override("en"):
        assert (
            change_text(
                Figure("feedback.contact.on_time", Decimal("60.00"), 6, 10),
                Figure("feedback.contact.on_time", Decimal("62.50"), 5, 8),
            )
            == "−2.50 pp"
        )
    assert change_text(Figure("feedback.contact.on_time", None, 0, 0), Figure("feedback.total", 1)) == ""


@pytest.mark.usefixtures("month_now")
def test_fb_7_trend_shows_twelve_months_as_the_metrics_count_them(month_world, login):
    # given HQ's November dashboard
    response = dashboard(login(month_world.hq))
    trend = response.context["trend"]

    # then the trend runs December 2025 … November 2026, one query for all twelve months
    assert [month["period"].text for month in trend] == [
        "2025-12",
        *[f"2026-{number:02d}" for number in range(1, 12)],
    ]
    # November as the metrics count it (11 items, contact 6/10), October's one item (P1), the others none
    november, october = trend[-1], trend[-2]
    metrics = response.context["metrics"]
    assert november["items"] == metrics.figures["feedback.total"]
    assert november["rate"] == metrics.figures["feedback.contact.on_time"]
    assert november["rate"].text == "60.00%"
    assert october["items"].value == 1
    assert [month["items"].value for month in trend[:10]] == [0] * 10
    assert trend[0]["rate"].text == "—"
    assert query_of(november["items_url"])["period"] == "2026-11"


@pytest.mark.usefixtures("month_now")
def test_fb_7_trend_of_a_branch_matches_each_months_metrics(month_world, login):
    from estatedesk.analytics.metrics import metrics_compute
    from estatedesk.analytics.periods import Period
    from estatedesk.analytics.scopes import branch_scope
    from estatedesk.analytics.views.dashboard import trend_months

    scope = branch_scope(month_world.branch_a)
    trend = trend_months(scope=scope, period=Period.year(2026), now=month_world.now)
    assert [month.period.text for month in trend][-1] == "2026-12"
    for month in trend[-3:-1]:  # October and November
        computed = metrics_compute(scope=scope, period=month.period, now=month_world.now)
        assert month.items == computed.figures["feedback.total"], month.period
        assert month.contact == computed.figures["feedback.contact.on_time"], month.period


@pytest.mark.usefixtures("month_now")
def test_fb_7_drill_down_queries_do_not_grow_with_the_rows(month_world, login):
    # given the drill-down of QD-A's November items, then 30 more items of QD-A in November
    client = login(month_world.branch_manager)
    url = f"{DRILL}?scope=project:QD-A&period={NOVEMBER}&figure=feedback.total"

    def add_rows() -> list[str]:
        for number in range(30):
            _item(
                month_world.project_a, f"N{number}", registered=local(2026, 11, 2 + number % 25, 9),
                channel=Channel.HOTLINE, kind=Kind.COMPLAINT, category=Category.ENGINEERING,
            )  # fmt: skip
        return [f"MW-QD-A-N{number}" for number in (0, 15, 29)]

    assert assert_queries_do_not_grow(client, url, add_rows, ceiling=40) > 0
