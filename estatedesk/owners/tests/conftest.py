"""Every owners test starts with an empty cache: the sign-in rate limits count there (common.ratelimit)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
