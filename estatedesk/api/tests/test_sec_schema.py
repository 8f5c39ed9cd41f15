"""Issue 16, item 4g: the API schema and its docs page only for signed-in staff, or for everybody with
API_SCHEMA_PUBLIC."""

from __future__ import annotations

from django.test import Client
from rest_framework.authtoken.models import Token


def test_sec_schema_for_signed_in_staff(world, login):
    for user in (world.agent_a, world.hq, world.sysadmin):
        client = login(user)
        assert client.get("/api/schema/").status_code == 200
        docs = client.get("/api/docs/")
        assert docs.status_code == 200
        assert "<style>" not in docs.content.decode()
        script = client.get("/api/docs/?script=")
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")


def test_sec_schema_for_a_staff_token(world):
    token = Token.objects.create(user=world.agent_a)
    assert Client().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_sec_schema_not_for_anonymous_visitors_owners_or_users_without_a_role(world, login):
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code == 401
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/accounts/login/?next=/api/docs/"
    for user in (world.owner_a, world.nobody):
        client = login(user)
        assert client.get("/api/schema/").status_code == 403
        assert client.get("/api/docs/").status_code == 403
        assert client.get("/api/docs/?script=").status_code == 403


def test_sec_schema_public_with_the_setting(world, settings):
    settings.API_SCHEMA_PUBLIC = True
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200
