"""Fixed-window rate limits in the shared cache (common.ratelimit)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from estatedesk.common.ratelimit import Limit, limit_hit, limits_hit

HOUR = 3600
T0 = 1_800_000_000.0  # a window boundary for hour-long windows (divisible by 3600)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_allows_the_limit_then_refuses_until_the_window_ends():
    limit = Limit(name="test.hits", key="10.0.0.1", limit=3, window_seconds=HOUR)
    assert [limit_hit(limit, now=T0 + n) for n in range(3)] == [None, None, None]

    refusal = limit_hit(limit, now=T0 + 600)

    assert refusal is not None
    assert (refusal.name, refusal.retry_after_seconds, refusal.retry_after_minutes) == ("test.hits", 3000, 50)
    assert limit_hit(limit, now=T0 + HOUR - 1) is not None  # the last second of the window
    assert limit_hit(limit, now=T0 + HOUR) is None  # a new window


def test_keys_are_counted_apart():
    first = Limit(name="test.hits", key="a@example.invalid", limit=1, window_seconds=HOUR)
    second = Limit(name="test.hits", key="b@example.invalid", limit=1, window_seconds=HOUR)
    assert limit_hit(first, now=T0) is None
    assert limit_hit(second, now=T0) is None
    assert limit_hit(first, now=T0) is not None


def test_retry_after_is_at_least_one_minute():
    limit = Limit(name="test.hits", key="", limit=0, window_seconds=HOUR)
    refusal = limit_hit(limit, now=T0 + HOUR - 5)
    assert (refusal.retry_after_seconds, refusal.retry_after_minutes) == (5, 1)


def test_several_limits_stop_at_the_first_refusal_without_counting_the_rest():
    per_address = Limit(name="test.address", key="10.0.0.1", limit=1, window_seconds=HOUR)
    overall = Limit(name="test.overall", key="", limit=2, window_seconds=HOUR)
    assert limits_hit([per_address, overall], now=T0) is None

    refusal = limits_hit([per_address, overall], now=T0 + 1)

    assert refusal.name == "test.address"
    # the refused hit did not use up the overall allowance: another address still gets its one
    other_address = Limit(name="test.address", key="10.0.0.2", limit=1, window_seconds=HOUR)
    assert limits_hit([other_address, overall], now=T0 + 2) is None
    third_address = Limit(name="test.address", key="10.0.0.3", limit=1, window_seconds=HOUR)
    assert limits_hit([third_address, overall], now=T0 + 3).name == "test.overall"


def test_no_address_or_identifier_is_written_to_the_cache():
    limit = Limit(name="test.hits", key="shen@example.invalid", limit=5, window_seconds=HOUR)
    limit_hit(limit, now=T0)
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys
    assert all("shen@example.invalid" not in key for key in keys)
