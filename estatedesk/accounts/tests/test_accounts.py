"""Signing in, lockout after repeated failures, language, password change."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from estatedesk.conftest import PASSWORD


def test_login_page_is_chinese_by_default(world, client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录" in body


def test_login_page_in_english_when_the_browser_asks(world, client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.content.decode()


def test_login_and_logout(world):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_a_message_not_a_traceback(world):
    response = Client().post(reverse("accounts:login"), {"username": "agent_a", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_account_locks_after_five_failures_even_with_the_right_password(world, settings):
    client = Client(REMOTE_ADDR="10.9.8.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "agent_a", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302  # still not signed in
    # another user from the same address is not locked out
    other = Client(REMOTE_ADDR="10.9.8.7").post(
        reverse("accounts:login"), {"username": "pm_a", "password": PASSWORD}
    )
    assert other.status_code == 302


def test_language_switch_is_remembered_for_the_user(world, login):
    client = login(world.agent_a)
    response = client.post(reverse("accounts:language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    world.agent_a.refresh_from_db()
    assert world.agent_a.preferred_language == "en"
    fresh = login(world.agent_a)  # a new browser without the language cookie
    assert 'lang="en"' in fresh.get(reverse("home")).content.decode()


def test_language_switch_refuses_foreign_redirects(world, login):
    response = login(world.agent_a).post(
        reverse("accounts:language"), {"language": "en", "next": "https://evil.invalid/"}
    )
    assert "evil.invalid" not in response.get("Location", "")


def test_password_change(world, login):
    client = login(world.agent_a)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Hai-jing-2027!", "new_password2": "Hai-jing-2027!"},
    )
    assert response.status_code == 302
    world.agent_a.refresh_from_db()
    assert world.agent_a.check_password("Hai-jing-2027!")


def test_profile_lists_roles(world, login):
    response = login(world.pm_a).get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert [m.role for m in response.context["memberships"]] == ["project_manager"]


def test_navigation_follows_roles(world, login):
    def keys(user) -> set[str]:
        return {item["key"] for item in login(user).get(reverse("accounts:profile")).context["nav_items"]}

    assert {"home", "org", "calendars"} <= keys(world.agent_a)
    assert "audit" not in keys(world.agent_a)
    assert "audit" in keys(world.pm_a)
    assert "admin" in keys(world.sysadmin)
    assert keys(world.owner_a) == {"owners"}
