"""A small HTTP client and timer for the benchmarks: standard library only, so that it runs in our
virtual environment and against any server (EstateDesk or the peer) alike.

    client = Client("http://127.0.0.1:8801")
    client.login_form("/accounts/login/", {"username": "hq", "password": "…"})
    response = client.get("/feedback/")
    timings = time_requests(lambda: client.get("/feedback/"), rounds=5)
"""

from __future__ import annotations

import http.cookiejar
import json as jsonlib
import re
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CSRF_INPUT = re.compile(rb'name=["\']csrfmiddlewaretoken["\'][^>]*value=["\']([^"\']+)["\']')
CSRF_INPUT_REVERSED = re.compile(rb'value=["\']([^"\']+)["\'][^>]*name=["\']csrfmiddlewaretoken["\']')


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    elapsed: float  # seconds, request sent to body read
    url: str = ""

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Client:
    base_url: str
    timeout: float = 600.0
    default_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        cookie_handler = urllib.request.HTTPCookieProcessor(self.cookies)
        self._follow = urllib.request.build_opener(cookie_handler)
        self._stay = urllib.request.build_opener(cookie_handler, _NoRedirect())

    def cookie(self, name: str) -> str:
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value or ""
        return ""

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        follow: bool = True,
    ) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        all_headers = {"Accept-Language": "zh-hans", **self.default_headers, **(headers or {})}
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET" and self.cookie("csrftoken"):
            all_headers.setdefault("X-CSRFToken", self.cookie("csrftoken"))
            all_headers.setdefault("Referer", self.base_url + "/")
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
        opener = self._follow if follow else self._stay
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                content = reply.read()
                status, reply_headers, final_url = reply.status, dict(reply.headers), reply.url
        except urllib.error.HTTPError as error:
            content = error.read()
            status, reply_headers, final_url = error.code, dict(error.headers or {}), url
        return Response(status, content, reply_headers, time.perf_counter() - started, final_url)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def form_token(self, path: str) -> str:
        """GET a page with a Django form and return its csrfmiddlewaretoken."""
        page = self.get(path)
        match = CSRF_INPUT.search(page.body) or CSRF_INPUT_REVERSED.search(page.body)
        if not match:
            raise RuntimeError(f"no CSRF token in {path} (HTTP {page.status})")
        return match.group(1).decode()

    def login_form(self, path: str, fields: dict[str, str]) -> None:
        """Log in through a Django login form; raises when the server does not redirect away from it."""
        token = self.form_token(path)
        reply = self.request(
            "POST",
            path,
            data={"csrfmiddlewaretoken": token, **fields},
            headers={"Referer": self.base_url + path},
            follow=False,
        )
        if reply.status not in (301, 302, 303):
            raise RuntimeError(f"login at {path} failed: HTTP {reply.status}")


def check(response: Response, *expected: int) -> Response:
    if response.status not in (expected or (200,)):
        raise RuntimeError(f"{response.url}: HTTP {response.status}: {response.text[:300]}")
    return response


def time_requests(call: Callable[[], Response], *, rounds: int, warmup: int = 1) -> dict[str, float]:
    """Run `call` warmup + rounds times; the median and p95 (and min/max) of the timed rounds, in ms."""
    for _ in range(warmup):
        check(call(), 200, 201, 302)
    samples = []
    for _ in range(rounds):
        response = check(call(), 200, 201, 302)
        samples.append(response.elapsed * 1000)
    return summarize(samples)


def quantile(ordered: list[float], fraction: float) -> float:
    """The `fraction` quantile of sorted values, interpolated between the two nearest (as numpy's default
    and statistics.quantiles' "inclusive" method): the quartiles of a handful of samples stay defined."""
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples_ms: list[float]) -> dict[str, float]:
    """Median, quartiles (p25/p75: the spread the report shows), p95, min and max of timings in ms."""
    ordered = sorted(samples_ms)
    p95_index = max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p25_ms": round(quantile(ordered, 0.25), 2),
        "p75_ms": round(quantile(ordered, 0.75), 2),
        "p95_ms": round(ordered[p95_index], 2),
        "min_ms": round(ordered[0], 2),
        "max_ms": round(ordered[-1], 2),
        "rounds": len(ordered),
    }


def rss_of_children(parent_pid: int) -> list[dict[str, int]]:
    """Current and peak resident memory (kB) of each child process of `parent_pid` (gunicorn workers)."""
    rows: list[dict[str, int]] = []
    try:
        children = Path(f"/proc/{parent_pid}/task/{parent_pid}/children").read_text().split()
    except OSError:
        return rows
    for pid in children:
        values = {"pid": int(pid)}
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":")
                values[key] = int(amount.split()[0])
        rows.append(
            {"pid": values["pid"], "rss_kb": values.get("VmRSS", 0), "peak_kb": values.get("VmHWM", 0)}
        )
    return rows
