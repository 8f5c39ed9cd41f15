"""The analysis page (R-SV-3, R-SV-4): the survey table with the counts beside every rate, "—" where nobody
rated, the pooled overall rate, the returns, the Pareto chart's data and table, the comparison, the finding
actions for who may use them, the quality raise form opened prefilled, the query bound, and outsiders."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.org.models import Building
from estatedesk.quality.models import Nonconformity
from estatedesk.surveys.tests.test_figures import (
    _previous,
    add_area,
    add_forms,
    hand_computed,
    hand_out,
    make_campaign,
    ratings,
)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    @property
    def text(self) -> str:
        parts = [child if isinstance(child, str) else child.text for child in self.children]
        return " ".join(" ".join(parts).split())

    def all(self, testid: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("data-testid") == testid:
                    found.append(child)
                found += child.all(testid)
        return found

    def one(self, testid: str) -> Node:
        found = self.all(testid)
        assert len(found) == 1, f"{len(found)} elements with data-testid={testid}"
        return found[0]

    def tags(self, tag: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found += child.tags(tag)
        return found


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def page(response: Any) -> Node:
    tree = _Tree()
    tree.feed(response.content.decode())
    return tree.root


def rate_of(node: Node) -> tuple[str, str, str]:
    """(rate, rated, unrated) of a cell that shows one rate; unrated "" when none."""
    unrated = node.all("unrated")
    digits = lambda text: "".join(ch for ch in text if ch.isdigit())  # noqa: E731
    return node.one("rate").text, digits(node.one("rated").text), digits(unrated[0].text) if unrated else ""


def first_rate(node: Node) -> str:
    """The rate a comparison cell shows, or its text ("not asked") when it shows none."""
    found = node.all("rate")
    return found[0].text if found else node.text


def url(built: Any) -> str:
    return reverse("surveys:analysis", args=[built.campaign.reference])


# --- R-SV-4 on the page -------------------------------------------------------------------------------------


def test_sv_4_page_shows_every_rate_with_its_counts(world, login):
    built = hand_computed(world)
    service, engineering, order, _cleaning = built.items
    building, garden = built.areas
    response = login(world.pm_a).get(url(built))
    assert response.status_code == 200
    html = page(response)
    assert rate_of(html.one(f"cell-{service.pk}-{building.pk}")) == ("90.00%", "10", "")
    assert rate_of(html.one(f"cell-{service.pk}-{garden.pk}")) == ("50.00%", "2", "")
    assert rate_of(html.one(f"cell-{order.pk}-{building.pk}")) == ("100.00%", "8", "2")
    assert rate_of(html.one(f"item-total-{engineering.pk}")) == ("41.67%", "12", "")
    assert rate_of(html.one(f"area-total-{building.pk}")) == ("78.57%", "28", "12")
    assert rate_of(html.one(f"area-total-{garden.pk}")) == ("25.00%", "4", "4")


def test_sv_4_undefined_rate_is_shown_as_a_dash_on_the_page(world, login):
    built = hand_computed(world)
    cleaning = built.items[3]
    html = page(login(world.pm_a).get(url(built)))
    # nobody rated 保洁卫生: "—" with its counts (0 rated, 12 未表态), never 0% or 100%
    assert rate_of(html.one(f"item-total-{cleaning.pk}")) == ("—", "0", "12")
    assert rate_of(html.one(f"cell-{cleaning.pk}-{built.areas[1].pk}")) == ("—", "0", "2")
    # 秩序维护 in 中心花园: only 未表态
    assert rate_of(html.one(f"cell-{built.items[2].pk}-{built.areas[1].pk}")) == ("—", "0", "2")


def test_sv_4_page_overall_pools_the_counts_not_the_rates(world, login):
    built = hand_computed(world)
    html = page(login(world.pm_a).get(url(built)))
    # 23 of 32 rated answers qualified: 71.88, not a mean of the item rates (75.00) or area rates (51.79)
    assert rate_of(html.one("overall")) == ("71.88%", "32", "16")
    assert html.one("overall-rate").text == "71.88%"


def test_sv_4_caution_beside_a_rate_from_few_answers(world, login):
    built = hand_computed(world)
    html = page(login(world.pm_a).get(url(built)))
    assert html.one(f"item-total-{built.items[0].pk}").all("caution")  # 12 rated < 30
    assert not html.one("overall").all("caution")  # 32 rated
    assert not html.one(f"item-total-{built.items[3].pk}").all("caution")  # nobody rated: no rate, no caution


def test_sv_4_empty_campaign_shows_dashes(world, login):
    built = make_campaign(world)
    html = page(login(world.pm_a).get(url(built)))
    assert html.one("overall-rate").text == "—"
    assert html.one("overall-return-rate").text == "—"
    assert html.all("pareto-empty")
    assert not html.all("findings")


def test_sv_2_page_shows_the_returns_and_flags_the_area_below(world, login):
    built = hand_computed(world)
    html = page(login(world.pm_a).get(url(built)))
    first, second = html.all("return-row")
    assert first.one("return-rate").text == "100.00%"
    assert not first.all("below")
    assert second.one("return-rate").text == "50.00%"
    assert second.all("below")
    assert html.one("return-counts").text == "(12 / 14)"


# --- R-SV-3: the Pareto chart's data and its table ----------------------------------------------------------


def _chart_data(response: Any) -> dict[str, Any]:
    script = next(node for node in page(response).tags("script") if node.attrs.get("id") == "pareto-data")
    return json.loads(script.text)


def test_sv_3_chart_data_is_the_pareto_in_order_with_cumulative_shares(world, login):
    built = make_campaign(world)
    building, garden = built.areas
    # unsatisfied answers: 客户服务 2, 工程维修 10, 秩序维护 5, 保洁卫生 5 (tie: item order), in two areas
    add_forms(
        built,
        building,
        {0: ratings(unsatisfied=2, satisfied=3), 1: ratings(unsatisfied=6), 2: ratings(unsatisfied=5)},
    )
    add_forms(built, garden, {1: ratings(unsatisfied=4, very=1), 3: ratings(unsatisfied=5, unrated=1)})
    response = login(world.pm_a).get(url(built))
    data = _chart_data(response)
    assert data["labels"] == ["工程维修", "秩序维护", "保洁卫生", "客户服务"]
    assert data["counts"] == [10, 5, 5, 2]
    # of 22: 45.45, 68.18, 90.91, 100
    assert data["cumulative"] == [45.45, 68.18, 90.91, 100.0]
    assert data["cutoff"] == 80.0
    rows = page(response).all("pareto-row")
    assert [
        (r.one("label").text, r.one("count").text, r.one("share").text, r.one("cumulative").text)
        for r in rows
    ] == [
        ("工程维修", "10", "45.45%", "45.45%"),
        ("秩序维护", "5", "22.73%", "68.18%"),
        ("保洁卫生", "5", "22.73%", "90.91%"),
        ("客户服务", "2", "9.09%", "100.00%"),
    ]
    assert [bool(r.all("vital")) for r in rows] == [True, True, True, False]
    assert b"surveys/analysis.js" in response.content
    assert b"echarts-5.6.0.min.js" in response.content


def test_sv_3_no_unsatisfied_answer_no_chart(world, login):
    built = make_campaign(world)
    add_forms(built, built.areas[0], {0: ratings(very=3)})
    response = login(world.pm_a).get(url(built))
    assert b"pareto-data" not in response.content
    assert b"surveys/analysis.js" not in response.content
    assert page(response).all("pareto-empty")


# --- the comparison -----------------------------------------------------------------------------------------


def test_sv_3_page_compares_with_the_previous_campaign(world, login):
    before = _previous(world)
    add_forms(
        before, before.areas[0], {0: ratings(satisfied=3, unsatisfied=1), 1: ratings(very=1, unsatisfied=1)}
    )
    built = hand_computed(world)
    html = page(login(world.pm_a).get(url(built)))
    section = html.one("comparison")
    assert "SV-QD-A-202610-01" in section.text
    assert section.one("previous-link").attrs["href"] == reverse(
        "surveys:analysis", args=["SV-QD-A-202610-01"]
    )
    rows = section.all("comparison-row")
    assert [
        (first_rate(row.one("then")), first_rate(row.one("now")), row.one("change").text) for row in rows[:2]
    ] == [
        ("75.00%", "83.33%", "+8.33"),
        ("50.00%", "41.67%", "-8.33"),
    ]
    assert rows[2].one("change").text == "—"  # 秩序维护: nobody rated it then
    overall = section.one("comparison-overall")
    assert (
        overall.one("then").one("rate").text,
        overall.one("now").one("rate").text,
        overall.one("change").text,
    ) == (
        "66.67%",
        "71.88%",
        "+5.21",
    )


def test_sv_3_page_without_a_previous_campaign(world, login):
    html = page(login(world.pm_a).get(url(hand_computed(world))))
    assert html.one("comparison").all("no-previous")


# --- the findings: who sees which action, and the prefilled nonconformity ----------------------------------


def test_sv_3_findings_offer_both_actions_to_who_may_use_them(world, login):
    built = hand_computed(world)
    service, engineering = built.items[:2]
    building, garden = built.areas
    expected = {
        f"finding-{service.pk}-all",
        f"finding-{service.pk}-{building.pk}",
        f"finding-{service.pk}-{garden.pk}",
        f"finding-{engineering.pk}-all",
        f"finding-{engineering.pk}-{building.pk}",
        f"finding-{engineering.pk}-{garden.pk}",
    }
    # the project manager registers feedback and raises nonconformities
    html = page(login(world.pm_a).get(url(built)))
    for testid in expected:
        finding = html.one(testid)
        assert finding.all("finding-form"), testid
        assert finding.all("nc-link"), testid
    assert not html.all(f"finding-{built.items[2].pk}-all")  # 秩序维护: nobody unsatisfied
    # a CS agent registers feedback but raises no nonconformity
    html = page(login(world.agent_a).get(url(built)))
    assert html.one(f"finding-{service.pk}-all").all("finding-form")
    assert not html.all("nc-link")
    # the branch manager does neither
    html = page(login(world.branch_manager).get(url(built)))
    assert html.one(f"finding-{service.pk}-all")
    assert not html.all("finding-form")
    assert not html.all("nc-link")


def _nc_link(world: Any, built: Any, testid: str) -> str:
    html = page(login_client(world.pm_a).get(url(built)))
    return html.one(testid).one("nc-link").attrs["href"]


def login_client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_sv_3_nonconformity_link_opens_the_raise_form_prefilled(world, login):
    built = hand_computed(world)
    engineering = built.items[1]
    building = built.areas[0]
    href = _nc_link(world, built, f"finding-{engineering.pk}-{building.pk}")
    parts = urlsplit(href)
    assert parts.path == reverse("quality:create")
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["project"] == "QD-A"
    assert query["origin"] == "survey"
    assert query["survey_reference"] == "SV-QD-A-202611-01·工程维修·1号楼 不满意 5/10"
    assert query["area"] == str(Building.objects.get(project=world.project_a, name="1号楼").pk)
    # when the project manager follows it
    client = login(world.pm_a)
    form_page = client.get(href)
    assert form_page.status_code == 200
    html = page(form_page)
    inputs = {node.attrs.get("name"): node for node in html.tags("input")}
    assert inputs["survey_reference"].attrs["value"] == "SV-QD-A-202611-01·工程维修·1号楼 不满意 5/10"
    assert "工程维修" in inputs["title"].attrs["value"]
    selects = {node.attrs.get("name"): node for node in html.tags("select")}
    chosen = {
        name: [o.attrs["value"] for o in select.tags("option") if "selected" in o.attrs]
        for name, select in selects.items()
    }
    assert chosen["origin"] == ["survey"]
    assert chosen["area"] == [query["area"]]
    assert "SV-QD-A-202611-01" in html.one("create-form").tags("textarea")[0].text
    # and raises it
    response = client.post(
        href,
        {
            "origin": "survey",
            "title": inputs["title"].attrs["value"],
            "description": html.one("create-form").tags("textarea")[0].text,
            "survey_reference": query["survey_reference"],
            "area": query["area"],
        },
    )
    assert response.status_code == 302
    nonconformity = Nonconformity.objects.get()
    assert (nonconformity.origin, nonconformity.survey_reference, nonconformity.area.name) == (
        "survey",
        "SV-QD-A-202611-01·工程维修·1号楼 不满意 5/10",
        "1号楼",
    )


def test_sv_3_whole_item_link_names_all_areas_and_no_area(world):
    built = hand_computed(world)
    href = _nc_link(world, built, f"finding-{built.items[1].pk}-all")
    query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
    assert query["survey_reference"] == "SV-QD-A-202611-01·工程维修·全部区域 不满意 7/12"
    assert "area" not in query


def test_quality_raise_form_ignores_a_foreign_area_and_an_unknown_origin(world, login):
    foreign = Building.objects.get(project=world.project_b, name="1号楼")
    response = login(world.pm_a).get(
        reverse("quality:create") + f"?project=QD-A&origin=return_visit_c&area={foreign.pk}&title=T"
    )
    html = page(response)
    selects = {node.attrs.get("name"): node for node in html.tags("select")}
    chosen = lambda name: [o.attrs["value"] for o in selects[name].tags("option") if "selected" in o.attrs]  # noqa: E731
    assert chosen("origin") == ["manual"]
    assert chosen("area") == [""]  # "—": the other project's building is neither offered nor chosen


# --- bounded queries ----------------------------------------------------------------------------------------


def test_analysis_page_queries_do_not_grow_with_areas_and_forms(world, login):
    _previous(world)
    built = hand_computed(world)
    client = login(world.pm_a)

    def add_rows() -> list[str]:
        names = []
        for n in range(4):
            area = add_area(built, code=f"X{n}", name=f"新区{n}号楼")
            add_forms(
                built,
                area,
                {0: ratings(satisfied=2, unsatisfied=1), 1: ratings(unsatisfied=2), 2: ratings(unrated=3)},
            )
            hand_out(built, area, 2)
            names.append(f"新区{n}号楼")
        return names

    assert_queries_do_not_grow(client, url(built), add_rows, ceiling=30)


# --- outsiders ----------------------------------------------------------------------------------------------


def test_outsiders_see_nothing_of_the_analysis_page(world, login, client):
    built = hand_computed(world)
    target = url(built)
    assert login(world.outsider).get(target).status_code == 404
    assert login(world.nobody).get(target).status_code == 403
    assert login(world.owner_a).get(target).status_code == 403
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"] or "login" in anonymous["Location"]
    assert login(world.pm_a).get(reverse("surveys:analysis", args=["SV-NONE-1"])).status_code == 404


def test_outsiders_cannot_see_another_projects_campaign(world, login):
    built = hand_computed(world)
    # the CS supervisor of project A sees it; of project B does not, nor does project B's campaign leak
    other = make_campaign(world, reference="SV-JN-C-202611-01", project=world.project_b, area_names=["1号楼"])
    assert login(world.supervisor_a).get(url(built)).status_code == 200
    assert login(world.supervisor_a).get(url(other)).status_code == 404
    assert login(world.outsider).get(url(other)).status_code == 200
