"""Issue 16, item 3: behind a proxy the client's address comes from the proxy's X-Forwarded-For; served
directly, every forwarding header is ignored. Sign-in lockouts and rate limits count that address."""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.test import Client, RequestFactory
from django.urls import reverse

from estatedesk.common.clientip import client_ip
from estatedesk.common.management.commands.runall import _gunicorn_limits
from estatedesk.conftest import PASSWORD

PROXY = "10.0.0.2"
REAL_CLIENT = "198.51.100.7"
OTHER_CLIENT = "198.51.100.8"


def _request(remote_addr: str, **headers: str):
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = []
    return settings


def test_sec_proxy_forwarding_headers_are_ignored_when_served_directly(settings):
    # given no proxy in front
    settings.BEHIND_PROXY = False
    # when a client claims another address in every forwarding header
    request = _request(
        REAL_CLIENT,
        HTTP_X_FORWARDED_FOR="6.6.6.6",
        HTTP_X_REAL_IP="6.6.6.7",
        HTTP_FORWARDED="for=6.6.6.8",
        HTTP_CLIENT_IP="6.6.6.9",
    )
    # then the connection's address counts
    assert client_ip(request) == REAL_CLIENT
    assert get_client_ip_address(request) == REAL_CLIENT  # axes, and the QR form's limit through it


def test_sec_proxy_right_most_address_left_of_the_proxy_is_the_client(behind_proxy):
    # given one proxy that appends the address it saw to what the client sent
    request = _request(PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, 1.1.1.1, {REAL_CLIENT}")
    # then the address the proxy wrote counts, not the ones the client made up
    assert client_ip(request) == REAL_CLIENT
    assert get_client_ip_address(request) == REAL_CLIENT


def test_sec_proxy_two_proxies_are_skipped_when_the_count_is_two(behind_proxy):
    behind_proxy.TRUSTED_PROXY_COUNT = 2
    request = _request(PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {REAL_CLIENT}, 10.0.0.9")
    assert client_ip(request) == REAL_CLIENT


def test_sec_proxy_ipv6_and_ports_in_the_header(behind_proxy):
    request = _request(PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, [2001:db8::7]:51234")
    assert client_ip(request) == "2001:db8::7"


def test_sec_proxy_an_unclosed_quote_from_the_client_hides_nothing(behind_proxy):
    request = _request(PROXY, HTTP_X_FORWARDED_FOR=f'"6.6.6.6, {REAL_CLIENT}')
    assert client_ip(request) == REAL_CLIENT


def test_sec_proxy_without_forwarded_for_the_peer_counts(behind_proxy):
    assert client_ip(_request(PROXY)) == PROXY


def test_sec_proxy_a_request_around_the_trusted_proxy_counts_as_its_own_address(behind_proxy):
    # given the proxy's address is known
    behind_proxy.TRUSTED_PROXIES = [PROXY]
    # when a request reaches the application directly, claiming an address
    direct = _request(OTHER_CLIENT, HTTP_X_FORWARDED_FOR="6.6.6.6")
    through_proxy = _request(PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {REAL_CLIENT}")
    # then its claim is ignored, while the proxy's is believed
    assert client_ip(direct) == OTHER_CLIENT
    assert client_ip(through_proxy) == REAL_CLIENT


def test_sec_proxy_trusted_proxies_may_be_networks(behind_proxy):
    behind_proxy.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(_request(PROXY, HTTP_X_FORWARDED_FOR=REAL_CLIENT)) == REAL_CLIENT
    assert client_ip(_request("10.0.1.2", HTTP_X_FORWARDED_FOR=REAL_CLIENT)) == "10.0.1.2"


def _sign_in(client: Client, password: str, *, forwarded_for: str | None = None) -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    response = client.post(reverse("accounts:login"), {"username": "agent_a", "password": password}, **extra)
    return response.status_code


def test_sec_proxy_lockout_counts_the_real_client_whatever_it_claims(world, behind_proxy):
    # given every request arrives from the proxy
    attacker = Client(REMOTE_ADDR=PROXY)
    # when one client fails five times, making up a new address for each try
    for attempt in range(behind_proxy.AXES_FAILURE_LIMIT):
        _sign_in(attacker, "wrong", forwarded_for=f"6.6.6.{attempt}, {REAL_CLIENT}")
    # then it is locked out, even with the right password and yet another made-up address
    assert _sign_in(attacker, PASSWORD, forwarded_for=f"6.6.6.99, {REAL_CLIENT}") == 429
    # and another client behind the same proxy still signs in to the same account
    assert _sign_in(Client(REMOTE_ADDR=PROXY), PASSWORD, forwarded_for=OTHER_CLIENT) == 302


def test_sec_proxy_served_directly_a_spoofed_header_does_not_escape_the_lockout(world, settings):
    settings.BEHIND_PROXY = False
    attacker = Client(REMOTE_ADDR=REAL_CLIENT)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(attacker, "wrong", forwarded_for=f"6.6.6.{attempt}")
    assert _sign_in(attacker, PASSWORD, forwarded_for="6.6.6.99") == 429


def test_sec_proxy_gunicorn_believes_forwarded_proto_only_from_the_proxy(settings):
    settings.BEHIND_PROXY = False
    assert _gunicorn_limits()[-2:] == ["--forwarded-allow-ips", ""]
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = []
    assert _gunicorn_limits()[-2:] == ["--forwarded-allow-ips", "127.0.0.1,::1"]
    settings.TRUSTED_PROXIES = ["203.0.113.0/24", PROXY]
    assert _gunicorn_limits()[-2:] == ["--forwarded-allow-ips", PROXY]
