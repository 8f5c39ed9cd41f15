"""GET /api/surveys/campaigns/<reference>/figures/ (R-SV-3, R-SV-4): the figures' snapshot, null for an
undefined rate, the Pareto rows in order, the schema documented, outsiders refused."""

from __future__ import annotations

from estatedesk.surveys.figures import campaign_figures, figures_snapshot
from estatedesk.surveys.tests.test_figures import _previous, add_forms, hand_computed, make_campaign, ratings


def api_url(built) -> str:
    return f"/api/surveys/campaigns/{built.campaign.reference}/figures/"


def test_sv_4_api_answers_the_snapshot_with_null_for_undefined_rates(world, login):
    built = hand_computed(world)
    response = login(world.pm_a).get(api_url(built))
    assert response.status_code == 200
    body = response.json()
    assert body == figures_snapshot(campaign_figures(built.campaign))
    by_label = {row["label"]: row for row in body["items"]}
    assert by_label["保洁卫生"]["rate"] is None  # nobody rated: null, never 0 or 100
    assert by_label["保洁卫生"]["counts"]["rated"] == 0
    assert by_label["保洁卫生"]["counts"]["unrated"] == 12
    assert by_label["秩序维护"]["rate"] == "100.00"
    assert by_label["秩序维护"]["counts"]["unrated"] == 4  # left out of the rate, shown beside it


def test_sv_4_api_overall_pools_the_counts(world, login):
    built = hand_computed(world)
    body = login(world.pm_a).get(api_url(built)).json()
    assert body["overall"]["rate"] == "71.88"  # 23/32, not a mean of rates
    assert body["overall"]["counts"]["rated"] == 32
    assert by_name(body["areas"], "中心花园")["rate"] == "25.00"
    assert by_name(body["areas"], "1号楼")["rate"] == "78.57"
    service = next(row for row in body["items"] if row["label"] == "客户服务")
    assert service["rate"] == "83.33"  # 10/12, not (90 + 50) / 2


def by_name(rows, name):
    return next(row for row in rows if row["name"] == name)


def test_sv_3_api_pareto_rows_in_order_with_cumulative_shares(world, login):
    built = make_campaign(world)
    add_forms(
        built,
        built.areas[0],
        {0: ratings(unsatisfied=1), 1: ratings(unsatisfied=3), 2: ratings(unsatisfied=1)},
    )
    add_forms(built, built.areas[1], {1: ratings(unsatisfied=3), 3: ratings(unsatisfied=2, satisfied=1)})
    body = login(world.pm_a).get(api_url(built)).json()
    # 工程维修 6, 保洁卫生 2, 客户服务 1, 秩序维护 1 (tie: item order) of 10
    assert [
        (row["label"], row["count"], row["share"], row["cumulative"], row["vital"]) for row in body["pareto"]
    ] == [
        ("工程维修", 6, "60.00", "60.00", True),
        ("保洁卫生", 2, "20.00", "80.00", True),
        ("客户服务", 1, "10.00", "90.00", False),
        ("秩序维护", 1, "10.00", "100.00", False),
    ]


def test_sv_3_api_comparison(world, login):
    before = _previous(world)
    add_forms(before, before.areas[0], {0: ratings(satisfied=3, unsatisfied=1)})
    built = hand_computed(world)
    body = login(world.pm_a).get(api_url(built)).json()["comparison"]
    assert body["previous"]["reference"] == "SV-QD-A-202610-01"
    service = body["items"][0]
    assert (service["then"]["rate"], service["now"]["rate"], service["change_points"]) == (
        "75.00",
        "83.33",
        "8.33",
    )
    assert body["items"][1]["then"]["rate"] is None  # 工程维修: asked then, nobody rated it
    assert body["items"][1]["change_points"] is None


def test_api_figures_are_in_the_schema(capsys):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/surveys/campaigns/{reference}/figures/"]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["schema"]["type"] == "object"
    example = next(iter(content["examples"].values()))["value"]
    assert example["overall"]["rate"] == "83.33"
    assert example["comparison"]["items"][0]["change_points"] == "8.33"
    assert set(operation["responses"]) >= {"200", "403", "404"}
    assert "surveys/api/analysis.py" not in capsys.readouterr().err  # no schema warning of ours


def test_outsiders_get_nothing_from_the_figures_api(world, login, client):
    built = hand_computed(world)
    target = api_url(built)
    outsider = login(world.outsider).get(target)
    assert outsider.status_code == 404
    assert outsider.json()["code"] == "not_found"
    assert login(world.nobody).get(target).status_code == 403
    assert login(world.owner_a).get(target).status_code == 403
    assert client.get(target).status_code == 401
    assert login(world.pm_a).get("/api/surveys/campaigns/SV-NONE/figures/").status_code == 404


def test_api_figures_queries_are_bounded(world, login, django_assert_max_num_queries):
    _previous(world)
    built = hand_computed(world)
    client = login(world.pm_a)
    client.get(api_url(built))  # warm up: session, the company's survey rules
    with django_assert_max_num_queries(12):
        assert client.get(api_url(built)).status_code == 200
