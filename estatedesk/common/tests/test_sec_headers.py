"""Issue 16, item 4a–4d: the Content-Security-Policy, no caching of what a signed-in user sees, the language
cookie, and no start with the public development key when DEBUG is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[3]
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def test_sec_csp_header_on_pages_allows_no_inline_script(world, login, client):
    for response in (client.get(reverse("accounts:login")), login(world.agent_a).get(reverse("home"))):
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == EXPECTED_CSP


def test_sec_csp_base_template_has_no_inline_script_or_handler(world, login):
    body = login(world.agent_a).get(reverse("home")).content.decode()
    assert "<script>" not in body
    assert "onchange=" not in body
    assert "onclick=" not in body
    assert "<style>" not in body
    assert "alpine-csp-3.17.4.min.js" in body


def test_sec_cache_signed_in_pages_and_api_answers_are_not_stored(world, login):
    client = login(world.agent_a)
    for url in (reverse("home"), reverse("accounts:profile"), "/api/me/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


def test_sec_cache_token_signed_api_answers_are_not_stored(world):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.agent_a)
    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_sec_cache_a_view_that_sets_cache_control_keeps_it(world, login):
    # the sign-in page sets its own (never_cache), also when it sends a signed-in user on
    response = login(world.agent_a).get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_sec_cache_anonymous_pages_are_left_alone(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_sec_language_cookie_secure_and_lax_under_https(world, login, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # what SERVE_HTTPS sets
    response = login(world.agent_a).post(reverse("accounts:language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["httponly"]


def _settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import estatedesk.config.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sec_settings_refuse_the_development_key_with_debug_off():
    for env in ({}, {"SECRET_KEY": "short-key"}, {"DEBUG": "0", "SECRET_KEY": "x" * 60}):
        result = _settings_import(**env)
        assert result.returncode == 1, env
        assert "ImproperlyConfigured: SECRET_KEY must be set to 50 or more random characters" in result.stderr
        assert "secrets.token_urlsafe(64)" in result.stderr


def test_sec_settings_accept_a_real_key_or_debug():
    assert _settings_import(SECRET_KEY="k3y-" + "abcdefghij" * 6).returncode == 0
    assert _settings_import(DEBUG="1").returncode == 0


def test_sec_settings_and_production_check_with_the_proxy_settings():
    result = _settings_import(DEBUG="1", BEHIND_PROXY="1", TRUSTED_PROXIES="10.0.0.5/24")
    assert result.returncode == 1
    assert "TRUSTED_PROXIES must list IP addresses or networks" in result.stderr
