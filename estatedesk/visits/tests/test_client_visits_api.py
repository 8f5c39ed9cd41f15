"""Client visits' API (R-CS-1): list, detail, plan, record, follow-up done, cancel and raise an item; the
error body; the agent without visits.client (403), the outsider (404) and the anonymous caller (401)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.tests.helpers import api_for, assert_error
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientVisitStatus
from estatedesk.visits.models import ClientVisit
from estatedesk.visits.tests.test_client_visits import plan, record

BASE = "/api/visits/clients/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def url(visit=None, tail: str = "") -> str:
    return f"{BASE}{visit.pk}/{tail}" if visit is not None else BASE


def test_r_cs_1_api_plans_records_and_raises_an_item(world):
    api = api_for(world.supervisor_a)
    # plan
    planned = api.post(
        f"{BASE}plan/",
        {
            "project": world.project_a.code,
            "kind": "regular",
            "client_kind": "owners_committee",
            "client_name": "海景花园业主委员会",
            "contact_person": "赵主任",
            "planned_on": clients.today().isoformat(),
        },
        format="json",
    )
    assert planned.status_code == 201, planned.content
    body = planned.json()
    assert (body["status"], body["client_kind"], body["visitor"]["id"]) == (
        "planned",
        "owners_committee",
        world.supervisor_a.pk,
    )
    visit = ClientVisit.objects.get(pk=body["id"])
    # record with a follow-up and the next regular visit
    next_on = clients.next_regular_on(clients.today())
    recorded = api.post(
        url(visit, "record/"),
        {
            "visited_on": clients.today().isoformat(),
            "attendees": "赵主任",
            "raised": "电梯维保记录希望公示",
            "follow_up": "下周公示维保记录",
            "follow_up_due_on": (clients.today() + timedelta(days=7)).isoformat(),
            "next_planned_on": next_on.isoformat(),
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["status"] == "done"
    assert recorded.json()["raised"] == "电梯维保记录希望公示"
    following = ClientVisit.objects.get(status=ClientVisitStatus.PLANNED)
    assert recorded.json()["next_visit_id"] == following.pk
    assert following.planned_on == next_on
    # raise an item, twice with one Idempotency-Key
    raised = api.post(
        url(visit, "raise-item/"),
        {"kind": "suggestion", "category": "engineering", "description": "电梯维保记录希望公示"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert raised.status_code == 201, raised.content
    again = api.post(
        url(visit, "raise-item/"),
        {"kind": "suggestion", "category": "engineering", "description": "电梯维保记录希望公示"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert again.status_code == 200
    item = FeedbackItem.objects.get()
    assert raised.json()["reference"] == item.reference == again.json()["reference"]
    assert raised.json()["channel"] == Channel.CLIENT_VISIT
    detail = api.get(url(visit)).json()
    assert [row["reference"] for row in detail["items"]] == [item.reference]
    # follow-up done
    done = api.post(url(visit, "follow-up-done/"))
    assert done.status_code == 200
    assert done.json()["follow_up_done_at"] is not None
    assert_error(api.post(url(visit, "follow-up-done/")), 409, "visits.client_follow_up_done")


def test_r_cs_1_api_lists_with_filters_and_overdue_follow_ups(world):
    plan(world, client_name="甲方")
    late = plan(world, days=-10, client_name="乙方")
    record(world, late, visited_on=clients.today() - timedelta(days=10))
    ClientVisit.objects.filter(pk=late.pk).update(follow_up_due_on=clients.today() - timedelta(days=1))
    api = api_for(world.agent_a)
    rows = api.get(BASE).json()["results"]
    assert {row["client_name"] for row in rows} == {"甲方", "乙方"}
    overdue = api.get(BASE, {"follow_up_overdue": "true"}).json()["results"]
    assert [(row["client_name"], row["is_follow_up_overdue"]) for row in overdue] == [("乙方", True)]
    assert [row["client_name"] for row in api.get(BASE, {"status": "planned"}).json()["results"]] == ["甲方"]
    assert_error(api.get(BASE, {"status": "nonsense"}), 400, "invalid", {"status"})


def test_r_cs_1_api_list_queries_do_not_grow(world, django_assert_max_num_queries):
    for number in range(3):
        plan(world, client_name=f"甲方{number}")
    api = api_for(world.pm_a)
    with django_assert_max_num_queries(6):
        assert api.get(BASE).status_code == 200
    for number in range(20):
        visit = plan(world, days=-5, client_name=f"乙方{number}", actor=world.pm_a)
        record(world, visit, visited_on=clients.today() - timedelta(days=5))
    with django_assert_max_num_queries(6):
        assert len(api.get(BASE).json()["results"]) == 23


def test_r_cs_1_api_refuses_what_the_rules_refuse_with_the_error_body(world):
    api = api_for(world.supervisor_a)
    visit = plan(world)
    body = assert_error(
        api.post(
            url(visit, "record/"),
            {"visited_on": clients.today().isoformat(), "follow_up": "核查"},
            format="json",
        ),
        400,
        "visits.client_invalid",
        {"follow_up_due_on"},
    )
    assert body["fields"]["follow_up_due_on"] == ["Say by when the follow-up is due."]
    assert_error(api.post(url(visit, "cancel/"), {}, format="json"), 400, "invalid", {"reason"})
    assert_error(
        api.post(url(visit, "raise-item/"), {"description": "x"}, format="json"),
        409,
        "visits.client_not_visited",
    )
    assert_error(
        api.post(
            f"{BASE}plan/",
            {
                "project": world.project_a.code,
                "kind": "regular",
                "client_kind": "developer",
                "client_name": "x",
                "planned_on": clients.today().isoformat(),
                "visitor": world.agent_a.pk,
            },
            format="json",
        ),
        400,
        "visits.client_invalid",
        {"visitor"},
    )
    cancelled = api.post(url(visit, "cancel/"), {"reason": "改期"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_reason"] == "改期"
    assert_error(
        api.post(url(visit, "record/"), {"visited_on": clients.today().isoformat()}, format="json"),
        409,
        "visits.client_not_planned",
    )


WRITES = ["record/", "follow-up-done/", "cancel/", "raise-item/"]


@pytest.mark.parametrize("tail", WRITES)
def test_r_cs_1_api_agent_without_visits_client_gets_403(world, tail):
    visit = plan(world, days=0)
    assert_error(api_for(world.agent_a).post(url(visit, tail), {}, format="json"), 403, "permission_denied")
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED


def test_r_cs_1_api_agent_may_not_plan(world):
    response = api_for(world.agent_a).post(
        f"{BASE}plan/",
        {
            "project": world.project_a.code,
            "kind": "regular",
            "client_kind": "developer",
            "client_name": "x",
            "planned_on": clients.today().isoformat(),
        },
        format="json",
    )
    assert_error(response, 403, "permission_denied")
    assert ClientVisit.objects.count() == 0


@pytest.mark.parametrize("tail", ["", *WRITES])
def test_r_cs_1_api_outsider_gets_404(world, tail):
    visit = plan(world, days=0)
    api = api_for(world.outsider)
    response = api.get(url(visit)) if not tail else api.post(url(visit, tail), {}, format="json")
    assert_error(response, 404, "not_found")


def test_r_cs_1_api_outsider_lists_nothing_and_cannot_plan_at_project_a(world):
    plan(world)
    api = api_for(world.outsider)
    assert api.get(BASE).json()["results"] == []
    response = api.post(
        f"{BASE}plan/",
        {
            "project": world.project_a.code,
            "kind": "regular",
            "client_kind": "developer",
            "client_name": "x",
            "planned_on": clients.today().isoformat(),
        },
        format="json",
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "tail"),
    [("get", ""), ("get", "detail"), ("post", "plan/"), *(("post", tail) for tail in WRITES)],
)
def test_r_cs_1_api_anonymous_gets_401(world, method, tail):
    visit = plan(world, days=0)
    path = (
        BASE
        if tail == ""
        else f"{BASE}plan/"
        if tail == "plan/"
        else url(visit, "" if tail == "detail" else tail)
    )
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert_error(response, 401, "not_authenticated")


def test_r_cs_1_api_is_in_the_schema(world, client):
    client.force_login(world.agent_a)
    text = client.get("/api/schema/").content.decode()
    for path in (
        "/api/visits/clients/",
        "/api/visits/clients/plan/",
        "/api/visits/clients/{id}/",
        "/api/visits/clients/{id}/record/",
        "/api/visits/clients/{id}/follow-up-done/",
        "/api/visits/clients/{id}/cancel/",
        "/api/visits/clients/{id}/raise-item/",
    ):
        assert path in text
