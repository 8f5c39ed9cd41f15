"""Survey campaign API (R-SV-1, R-SV-2): list and create, the campaign with its areas' returns, open, make and
hand out forms, waive, close behind the return-rate gate; errors as {code, message, fields}; the outsider,
an owner and `nobody` see and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from estatedesk.org.models import Building
from estatedesk.surveys import campaigns, checks
from estatedesk.surveys.choices import CampaignStatus, Runner
from estatedesk.surveys.models import Campaign, CampaignArea, SurveyForm
from estatedesk.surveys.tests.test_campaigns import area_named, make_campaign, questionnaire_of, set_returns


@pytest.fixture(autouse=True)
def _no_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "survey_checks_arrange", lambda *, actor, campaign: [])


def api(user: Any) -> APIClient:
    client = APIClient(headers={"Accept-Language": "en"})
    client.force_authenticate(user)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def _create_body(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "project": "QD-A",
        "runner": "customer_service",
        "questionnaire": questionnaire_of(world.company).pk,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "frequency": "monthly",
        **extra,
    }


# --- list and create --------------------------------------------------------------------------------------


def test_campaign_list_in_scope_with_returns(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=10, returned=9)
    body = api(world.agent_a).get(_url("api-surveys-campaign-list")).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["reference"], row["project"], row["status"]) == (campaign.reference, "QD-A", "running")
    assert (row["handed_out"], row["returned"]) == (10, 9)
    filtered = api(world.agent_a).get(_url("api-surveys-campaign-list"), {"status": "closed"}).json()
    assert filtered["count"] == 0


def test_campaign_list_of_the_outsider_is_empty(world: Any) -> None:
    make_campaign(world)
    body = api(world.outsider).get(_url("api-surveys-campaign-list")).json()
    assert (body["count"], body["results"]) == (0, [])


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_campaign_list_refuses_who_is_not_staff(world: Any, persona: str) -> None:
    make_campaign(world)
    response = api(world.users[persona]).get(_url("api-surveys-campaign-list"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_campaign_list_needs_authentication(world: Any) -> None:
    assert APIClient().get(_url("api-surveys-campaign-list")).status_code == 401


def test_campaign_list_queries_are_bounded(world: Any, django_assert_max_num_queries: Any) -> None:
    for _n in range(6):
        make_campaign(world, open_it=True)
    client = api(world.supervisor_a)
    with django_assert_max_num_queries(8):
        assert client.get(_url("api-surveys-campaign-list")).json()["count"] == 6


def test_sv_1_create_a_campaign_and_open_it(world: Any) -> None:
    garden = Building.objects.get(project=world.project_a, name="中心花园")
    response = api(world.supervisor_a).post(
        _url("api-surveys-campaign-list"), _create_body(world, areas=[garden.pk], open=True), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["reference"], body["status"]) == ("SV-QD-A-202611-01", "running")
    assert [item["name"] for item in body["items"]][:2] == ["客户服务", "工程维修"]
    assert [area["name"] for area in body["areas"]] == ["中心花园"]
    assert body["areas"][0]["rate"] is None
    assert body["return_rate_threshold"] == "90.00"


def test_create_refusals_answer_code_message_fields(world: Any) -> None:
    client = api(world.supervisor_a)
    response = client.post(
        _url("api-surveys-campaign-list"), _create_body(world, period_end="2026-10-01"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "surveys.invalid",
        "message": "Some fields are not valid.",
        "fields": {"period_end": ["The period cannot end before it starts."]},
    }
    elsewhere = Building.objects.get(project=world.project_b)
    response = client.post(
        _url("api-surveys-campaign-list"), _create_body(world, areas=[elsewhere.pk]), format="json"
    )
    assert (response.status_code, list(response.json()["fields"])) == (400, ["areas"])
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("agent_a", 403), ("outsider", 404), ("owner_a", 403), ("nobody", 403)]
)
def test_create_is_for_who_runs_surveys_at_the_project(world: Any, persona: str, status: int) -> None:
    response = api(world.users[persona]).post(
        _url("api-surveys-campaign-list"), _create_body(world), format="json"
    )
    assert response.status_code == status
    assert not Campaign.objects.exists()


# --- one campaign and its steps ---------------------------------------------------------------------------


def test_sv_2_detail_gives_each_areas_exact_rate_and_flag(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=999, returned=899)
    set_returns(area_named(campaign, "中心花园"), handed_out=10, returned=9)
    body = api(world.agent_a).get(_url("api-surveys-campaign-detail", campaign.reference)).json()
    areas = {area["name"]: area for area in body["areas"]}
    assert {k: areas["1号楼"][k] for k in ("handed_out", "returned", "rate", "passes", "blocks")} == {
        "handed_out": 999,
        "returned": 899,
        "rate": "89.99",
        "passes": False,
        "blocks": True,
    }
    assert (areas["中心花园"]["rate"], areas["中心花园"]["passes"]) == ("90.00", True)


def test_sv_2_steps_open_make_hand_out_waive_close(world: Any) -> None:
    campaign = make_campaign(world)
    supervisor, manager = api(world.supervisor_a), api(world.pm_a)
    ref = campaign.reference
    building, garden = area_named(campaign, "1号楼"), area_named(campaign, "中心花园")
    assert supervisor.post(_url("api-surveys-campaign-open", ref)).json()["status"] == "running"
    made = supervisor.post(_url("api-surveys-area-forms", ref, building.pk), {"count": 2}, format="json")
    assert made.status_code == 201
    rows = made.json()
    assert [row["serial"] for row in rows] == [1, 2]
    assert rows[0]["url"].startswith("http://testserver/s/")
    handed = supervisor.post(
        _url("api-surveys-area-hand-out", ref, building.pk), {"count": 10}, format="json"
    )
    assert handed.json()["handed_out"] == 10
    assert (handed.json()["area"]["handed_out"], handed.json()["area"]["rate"]) == (10, "0.00")
    SurveyForm.objects.filter(area=building, serial__lte=8).update(returned_at=campaign.created_at)
    set_returns(garden, handed_out=5, returned=5)
    # 8 of 10: the close is refused with the areas listed
    refused = supervisor.post(_url("api-surveys-campaign-close", ref))
    assert refused.status_code == 409
    assert refused.json()["code"] == "surveys.below_return_rate"
    assert refused.json()["fields"] == {"areas": ["1号楼: 80.00% (8 of 10)"]}
    # the CS supervisor may not waive; the manager may, with a reason
    waive = _url("api-surveys-area-waive", ref, building.pk)
    assert supervisor.post(waive, {"reason": "x"}, format="json").status_code == 403
    assert manager.post(waive, {"reason": ""}, format="json").status_code == 400
    waived = manager.post(waive, {"reason": "楼内装修"}, format="json").json()
    assert (waived["waiver_reason"], waived["waiver_by"], waived["blocks"]) == ("楼内装修", "pm_a", False)
    closed = supervisor.post(_url("api-surveys-campaign-close", ref))
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")


def test_waiver_withdrawn_with_delete(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    area = campaigns.area_waive(actor=world.pm_a, area=area_named(campaign, "1号楼"), reason="维修")
    response = api(world.pm_a).delete(_url("api-surveys-area-waive", campaign.reference, area.pk))
    assert (response.status_code, response.json()["waiver_reason"], response.json()["waiver_at"]) == (
        200,
        "",
        None,
    )


def test_cancel_with_a_reason(world: Any) -> None:
    campaign = make_campaign(world)
    client = api(world.supervisor_a)
    assert (
        client.post(_url("api-surveys-campaign-cancel", campaign.reference), {}, format="json").status_code
        == 400
    )
    body = client.post(
        _url("api-surveys-campaign-cancel", campaign.reference), {"reason": "重复"}, format="json"
    ).json()
    assert (body["status"], body["cancelled_reason"]) == ("cancelled", "重复")


def test_area_of_another_campaign_is_not_found(world: Any) -> None:
    campaign, other = make_campaign(world, open_it=True), make_campaign(world, runner=Runner.QUALITY)
    response = api(world.supervisor_a).post(
        _url("api-surveys-area-forms", campaign.reference, area_named(other, "1号楼").pk),
        {"count": 1},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_second_open_is_a_conflict(world: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    response = api(world.supervisor_a).post(_url("api-surveys-campaign-open", campaign.reference))
    assert (response.status_code, response.json()["code"]) == (409, "surveys.status")


# --- outsiders ---------------------------------------------------------------------------------------------


def _endpoints(campaign: Campaign) -> list[tuple[str, str, dict[str, Any]]]:
    area = CampaignArea.objects.filter(campaign=campaign).first()
    assert area is not None
    ref = campaign.reference
    return [
        ("get", _url("api-surveys-campaign-detail", ref), {}),
        ("post", _url("api-surveys-campaign-open", ref), {}),
        ("post", _url("api-surveys-campaign-close", ref), {}),
        ("post", _url("api-surveys-campaign-cancel", ref), {"reason": "x"}),
        ("post", _url("api-surveys-area-forms", ref, area.pk), {"count": 1}),
        ("post", _url("api-surveys-area-hand-out", ref, area.pk), {"count": 1}),
        ("post", _url("api-surveys-area-waive", ref, area.pk), {"reason": "x"}),
        ("delete", _url("api-surveys-area-waive", ref, area.pk), {}),
    ]


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("owner_a", 403), ("nobody", 403)])
def test_outsiders_see_and_change_nothing_through_the_api(world: Any, persona: str, status: int) -> None:
    campaign = make_campaign(world)
    client = api(world.users[persona])
    for method, url, data in _endpoints(campaign):
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == status, url
        assert set(response.json()) == {"code", "message", "fields"}
        assert campaign.title not in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.status, campaign.last_serial, campaign.cancelled_reason) == (CampaignStatus.DRAFT, 0, "")
    assert not SurveyForm.objects.exists()


def test_the_agent_reads_but_cannot_run(world: Any) -> None:
    campaign = make_campaign(world)
    client = api(world.agent_a)
    assert client.get(_url("api-surveys-campaign-detail", campaign.reference)).status_code == 200
    for method, url, data in _endpoints(campaign)[1:]:
        assert getattr(client, method)(url, data, format="json").status_code == 403, url
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_the_schema_describes_the_campaign_endpoints(world: Any) -> None:
    schema = api(world.supervisor_a).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/surveys/campaigns/",
        "/api/surveys/campaigns/{reference}/",
        "/api/surveys/campaigns/{reference}/close/",
        "/api/surveys/campaigns/{reference}/areas/{id}/hand-out/",
        "/api/surveys/campaigns/{reference}/areas/{id}/waive/",
    ):
        assert path in paths, path
    assert "409" in paths["/api/surveys/campaigns/{reference}/close/"]["post"]["responses"]
