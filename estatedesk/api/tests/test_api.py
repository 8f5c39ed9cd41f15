"""The JSON API: authentication, one error body for every 4xx, scoping, schema."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ORG_LISTS = [
    "/api/org/branches/",
    "/api/org/projects/",
    "/api/org/units/",
    "/api/org/departments/",
    "/api/org/calendars/",
    "/api/org/holidays/?year=2026",
]


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error_body(response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]


def test_every_endpoint_needs_authentication_with_the_error_body(world):
    client = APIClient()
    for url in [*ORG_LISTS, "/api/org/projects/QD-A/", "/api/me/"]:
        assert_error_body(client.get(url), 401, "not_authenticated")


def test_token_authentication(world):
    token = Token.objects.create(user=world.agent_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/org/projects/")
    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == ["QD-A"]
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert_error_body(client.get("/api/org/projects/"), 401, "not_authenticated")


def test_session_authentication_needs_csrf_for_writes(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.agent_a)
    assert client.get("/api/me/").status_code == 200
    assert_error_body(client.post("/api/me/", {}), 403, "permission_denied")


def test_error_body_for_404_405_and_unknown_paths(world):
    client = api_for(world.agent_a)
    assert_error_body(client.get("/api/org/projects/NOPE/"), 404, "not_found")
    assert_error_body(client.delete("/api/org/projects/QD-A/"), 405, "method_not_allowed")
    assert_error_body(client.get("/api/no/such/thing/"), 404, "not_found")


def test_outsider_sees_nothing_of_project_a_through_the_api(world):
    client = api_for(world.outsider)
    assert [p["code"] for p in client.get("/api/org/projects/").json()["results"]] == ["JN-C"]
    assert [b["code"] for b in client.get("/api/org/branches/").json()["results"]] == ["JN"]
    assert_error_body(client.get("/api/org/projects/QD-A/"), 404, "not_found")
    assert_error_body(client.get("/api/org/projects/QD-A/buildings/"), 404, "not_found")
    units = client.get("/api/org/units/").json()["results"]
    assert {u["project"] for u in units} == {"JN-C"}
    departments = client.get("/api/org/departments/").json()["results"]
    assert world.project_a.pk not in {d["project_id"] for d in departments}
    for url in ORG_LISTS:
        body = client.get(url).content.decode()
        assert "QD-A" not in body, url
        assert "海景花园" not in body, url


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("agent_a", ["QD-A"]),
        ("branch_manager", ["QD-A", "QD-B"]),
        ("hq", ["JN-C", "QD-A", "QD-B"]),
        ("owner_a", ["QD-A"]),
    ],
)
def test_project_list_is_scoped(world, persona, codes):
    response = api_for(world.users[persona]).get("/api/org/projects/")
    assert sorted(p["code"] for p in response.json()["results"]) == codes


def test_ch_3_project_detail_carries_hotlines_and_mailbox(world):
    body = api_for(world.owner_a).get("/api/org/projects/QD-A/").json()
    assert (body["hotline_1"], body["hotline_2"], body["complaint_email"]) == (
        "0532-A000-0001",
        "0532-A000-0002",
        "qd-a@complaints.invalid",
    )


def test_owner_sees_only_own_units_and_no_staff_lists(world):
    client = api_for(world.owner_a)
    assert [u["label"] for u in client.get("/api/org/units/").json()["results"]] == ["1-1-101"]
    for url in ("/api/org/branches/", "/api/org/departments/", "/api/org/calendars/"):
        assert_error_body(client.get(url), 403, "permission_denied")


def test_user_without_roles_gets_empty_lists(world):
    client = api_for(world.nobody)
    assert client.get("/api/org/projects/").json()["results"] == []
    assert client.get("/api/org/units/").json()["results"] == []


def test_filters_and_me(world):
    client = api_for(world.hq)
    assert [p["code"] for p in client.get("/api/org/projects/?branch=JN").json()["results"]] == ["JN-C"]
    me = client.get("/api/me/").json()
    assert me["roles"] == ["hq_property"]
    assert me["is_global"] is True


def test_list_endpoints_use_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    client = api_for(world.hq)
    for url in ORG_LISTS:
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200, url


def test_openapi_schema_and_docs_page(world, client):
    client.force_login(world.agent_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/org/projects/" in text
    assert "openapi" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()  # served from our own static files


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/org/units/" in (tmp_path / "schema.yaml").read_text()
