"""Rate limits in fixed windows, counted in the shared cache (Redis when REDIS_URL is set, so every web
process counts together; per process otherwise).

Each `Limit` names what is counted (`name`), whose count it is (`key`: an address, an identifier, or ""
for everybody), how many hits a window allows and how long a window lasts. `limits_hit` counts one hit
against several limits in order and stops at the first one that is used up, so a hit refused by one limit
does not use up the later ones (a single client address cannot spend a company-wide allowance beyond its
own). Counting is an atomic `add` then `incr`: parallel requests cannot exceed a limit together.

Keys are hashed: no email address or phone number is written to the cache.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str  # what is counted, e.g. "owners.code.ip"
    key: str  # whose count: an address, an identifier; "" counts everybody together
    limit: int  # hits allowed per window; 0 or less refuses every hit
    window_seconds: int


@dataclass(frozen=True)
class Refusal:
    """A hit refused: which limit was used up and how long until its window ends."""

    name: str
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def _cache_key(limit: Limit, window: int) -> str:
    digest = hashlib.sha256(limit.key.encode()).hexdigest()[:32]
    return f"ratelimit:{limit.name}:{digest}:{limit.window_seconds}:{window}"


def limit_hit(limit: Limit, *, now: float | None = None) -> Refusal | None:
    """Count one hit; a Refusal when the window's allowance was already used up, otherwise None."""
    moment = now if now is not None else time.time()
    window = int(moment // limit.window_seconds)
    key = _cache_key(limit, window)
    cache.add(key, 0, timeout=limit.window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=limit.window_seconds)
        count = 1
    if count <= limit.limit:
        return None
    window_ends_at = (window + 1) * limit.window_seconds
    return Refusal(name=limit.name, retry_after_seconds=max(1, math.ceil(window_ends_at - moment)))


def limits_hit(limits: list[Limit], *, now: float | None = None) -> Refusal | None:
    """Count one hit against each limit in order; stop at (and return) the first refusal."""
    moment = now if now is not None else time.time()
    for limit in limits:
        refusal = limit_hit(limit, now=moment)
        if refusal is not None:
            return refusal
    return None
