"""Issue 16, item 4e and 4f: API tokens are made and revoked by command and die with a password change;
old-password checks are limited per user and per client address."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from estatedesk.common.models import AuditEntry
from estatedesk.conftest import PASSWORD

NEW_PASSWORD = "Hai-jing-2027!"


def _api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/me/").status_code


def _change_password(client: Client, old: str, **extra: str):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        **extra,
    )


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    from django.core.cache import cache

    cache.clear()


def test_sec_token_command_creates_a_working_token_and_revokes_it(world):
    # when an administrator creates a token for agent_a
    out = StringIO()
    call_command("api_token", "create", "agent_a", stdout=out)
    key = out.getvalue().strip()
    # then it signs agent_a in to the API, and the audit trail says so without the key
    assert _api_status(key) == 200
    entry = AuditEntry.objects.get(object_type="accounts.user", object_id=str(world.agent_a.pk))
    assert entry.changes == {"api_token": ["", "***"]}
    assert key not in str(entry.changes)
    # when it is revoked
    out = StringIO()
    call_command("api_token", "revoke", "agent_a", stdout=out)
    # then it no longer works
    assert out.getvalue().strip() == "revoked 1 token(s) of agent_a"
    assert _api_status(key) == 401
    assert not Token.objects.filter(user=world.agent_a).exists()


def test_sec_token_command_refuses_a_second_token_and_unknown_users(world):
    call_command("api_token", "create", "agent_a", stdout=StringIO())
    with pytest.raises(CommandError, match="agent_a 已有 API 令牌，请先撤销。"):
        call_command("api_token", "create", "agent_a", stdout=StringIO())
    with pytest.raises(CommandError, match="no user 'nobody-at-all'"):
        call_command("api_token", "revoke", "nobody-at-all", stdout=StringIO())


def test_sec_token_revoked_when_the_user_changes_the_password(world, login):
    # given agent_a and pm_a have API tokens
    mine = Token.objects.create(user=world.agent_a)
    other = Token.objects.create(user=world.pm_a)
    # when agent_a changes the password
    response = _change_password(login(world.agent_a), PASSWORD)
    # then agent_a's token is gone, pm_a's still works
    assert response.status_code == 302
    assert _api_status(mine.key) == 401
    assert _api_status(other.key) == 200


def test_sec_token_kept_when_the_password_change_fails(world, login):
    mine = Token.objects.create(user=world.agent_a)
    response = _change_password(login(world.agent_a), "not-the-password")
    assert response.status_code == 200
    assert _api_status(mine.key) == 200


def test_sec_token_revoked_when_an_administrator_sets_the_password(world, login):
    # given agent_a has a token
    mine = Token.objects.create(user=world.agent_a)
    admin = login(world.sysadmin)
    url = reverse("admin:auth_user_password_change", args=[world.agent_a.pk])
    # when the system administrator sets a new password in the admin
    response = admin.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"}
    )
    # then the token is gone
    assert response.status_code == 302
    world.agent_a.refresh_from_db()
    assert world.agent_a.check_password(NEW_PASSWORD)
    assert _api_status(mine.key) == 401


def test_sec_token_admin_password_page_with_a_malformed_id_is_not_found(world, login):
    response = login(world.sysadmin).get("/admin/accounts/user/abc/password/")
    assert response.status_code == 404


def test_sec_password_checks_are_limited_per_user(world, login, settings):
    # given five checks a window per user
    settings.PASSWORD_CHECKS_PER_USER = 5
    client = login(world.agent_a)
    for _ in range(5):
        assert _change_password(client, "wrong").status_code == 200
    # when the sixth comes, even with the right password
    refused = _change_password(client, PASSWORD)
    # then it is refused with a message, and the password is unchanged
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "密码尝试次数过多" in refused.content.decode()
    world.agent_a.refresh_from_db()
    assert world.agent_a.check_password(PASSWORD)
    # and another user is not affected
    assert _change_password(login(world.pm_a), PASSWORD).status_code == 302


def test_sec_password_checks_are_limited_per_client_address(world, login, settings):
    settings.PASSWORD_CHECKS_PER_IP = 3
    for user in (world.agent_a, world.pm_a, world.supervisor_a):
        _change_password(login(user), "wrong", REMOTE_ADDR="10.7.7.7")
    refused = _change_password(login(world.hq), PASSWORD, REMOTE_ADDR="10.7.7.7")
    elsewhere = _change_password(login(world.hq), PASSWORD, REMOTE_ADDR="10.7.7.8")
    assert refused.status_code == 429
    assert elsewhere.status_code == 302


def test_sec_password_limit_message_is_chinese_and_english(world, settings):
    # given no checks allowed, at the start of a 15-minute window
    settings.PASSWORD_CHECKS_PER_USER = 0
    messages = {
        "en": "Too many password attempts. Try again in 15 minutes.",
        "zh-hans": "密码尝试次数过多，请 15 分钟后再试。",
    }
    with time_machine.travel(datetime(2026, 11, 26, tzinfo=UTC), tick=False):
        for language, message in messages.items():
            client = Client(HTTP_ACCEPT_LANGUAGE=language)
            client.force_login(world.agent_a)
            # then the answer says how long to wait, in the visitor's language
            assert message in _change_password(client, PASSWORD).content.decode()
