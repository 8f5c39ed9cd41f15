"""Issue 16, item 4h: crafted input answers 400 or 404, never a 500.

Every route of the site (from `get_resolver()`, the admin aside) gets, as a signed-in staff user (and, on
the owners' routes, as an owner): ids of 0, -1 and 2**70 and NUL bytes in the path; the same and lone
surrogates, impossible months and words in every usual query parameter; every field of its forms (read
from the page) or of its API input (read from the OpenAPI schema) filled with them; and JSON nested
10,000 levels deep. Each answer must be below 500; the failures are listed together, with the last line
of their traceback."""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

HUGE = 2**70
PATH_VALUES = ["0", "-1", str(HUGE), "%00", "%ED%A0%80", "QD-A%00"]
# query values, already percent-encoded: a lone surrogate can only be sent as its (invalid) UTF-8 bytes
QUERY_VALUES = ["0", "-1", str(HUGE), "%00", "%ED%A0%80", "2026-99", "abc", "%2Fetc%2Fpasswd"]
QUERY_NAMES = [
    "page", "page_size", "q", "search", "phone", "project", "project_id", "building", "unit", "resident",
    "status", "kind", "category", "channel", "month", "year", "from", "to", "date", "day", "id", "pk",
    "ordering", "sort", "limit", "offset", "reference", "user", "code", "next", "clock", "level", "days",
    "assignee", "department", "overdue", "mine", "format", "lang", "script",
]  # fmt: skip
# form values, percent-encoded as a browser (or an attacker) sends them: %ED%A0%80 is a lone surrogate
FORM_VALUES = ["0", "-1", str(HUGE), "%00", "a%00b", "%ED%A0%80", "2026-99-99"]
JSON_VALUES: list[Any] = [0, -1, HUGE, -HUGE, "\x00", "\ud800", "a\ud800b", [HUGE], {"id": HUGE}, 1e308 * 10]
GENERIC_FIELDS = ["id", "pk", "project", "building", "unit", "resident", "user", "kind", "status", "page"]
# logout would sign the client out half-way; /health/ answers 503 on purpose while no worker runs
SKIPPED = {"accounts:logout", "health"}
OWNER_PREFIXES = ("portal/", "f/")
CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")
FIELD_NAME = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # "org/projects/<str:code>/"
    callback: Any

    def url(self, value_for: dict[str, str]) -> str:
        """The route with each parameter replaced by `value_for[its name]` (or `value_for["*"]`)."""
        return "/" + CONVERTER.sub(lambda m: value_for.get(m["name"], value_for.get("*", "x")), self.pattern)

    @property
    def has_parameters(self) -> bool:
        return bool(CONVERTER.search(self.pattern))

    @property
    def methods(self) -> list[str]:
        view = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        if view is None:
            return ["get", "post"]
        return [m for m in ("get", "post", "put", "patch") if hasattr(view, m)]


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            if isinstance(entry.pattern, RegexPattern):  # the API's catch-all for unknown paths
                yield Route(
                    f"{namespace}:unknown-api-path".strip(":"), prefix + "<str:path>/", entry.callback
                )
                continue
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else prefix
            yield Route(name, prefix + str(entry.pattern), entry.callback)


ROUTES = [
    route
    for route in _routes(get_resolver().url_patterns)
    if not route.pattern.startswith("admin/") and route.name not in SKIPPED
]


@pytest.fixture(scope="module")
def api_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return dict(SchemaGenerator().get_schema(request=None, public=True))


def _body_fields(schema: dict[str, Any], path: str, method: str) -> list[str]:
    operation = schema.get("paths", {}).get(path, {}).get(method, {})
    content = operation.get("requestBody", {}).get("content", {})
    body = next(iter(content.values()), {}).get("schema", {})
    reference = body.get("$ref", "")
    if reference:
        body = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    return list(body.get("properties", {}))


class Prober:
    """Sends requests; remembers every answer of 500 or more, and every exception, with what was sent."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []

    def send(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        try:
            response = getattr(self.client, method)(url, **kwargs)
        except Exception as error:  # noqa: BLE001 - every crash is a finding
            last = traceback.format_exception_only(type(error), error)[-1].strip()
            frame = traceback.extract_tb(error.__traceback__)[-1]
            self.failures.append(
                f"{method.upper()} {url} [{what}]: {last} (at {frame.filename}:{frame.lineno})"
            )
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url} [{what}]: status {response.status_code}")
        return response


def _baseline(world: Any) -> dict[str, str]:
    """Parameter values that name real things, so the crafted query and body reach the views' code: project
    A, building 1, a resident of A and a feedback item registered by API."""
    staff = Client()
    staff.force_login(world.agent_a)  # agents register feedback; HQ reads it
    item = {
        "project": "QD-A",
        "channel": "hotline",
        "kind": "complaint",
        "category": "order",
        "description": "x",
    }
    created = staff.post("/api/feedback/items/create/", item, content_type="application/json")
    assert created.status_code == 201, created.content
    resident = world.unit_a.occupancies.first().resident_id
    return {
        "code": "QD-A",
        "project": "QD-A",
        "building": "1",
        "reference": created.json()["reference"],
        "pk": str(resident),
        "token": "no-such-token",
        "path": "nothing-here",
    }


def _probe_path(prober: Prober, route: Route, methods: list[str]) -> None:
    if not route.has_parameters:
        return
    for value in PATH_VALUES:
        url = route.url({"*": value})
        for method in methods:
            prober.send(method, url, f"path value {value}")


def _probe_query(prober: Prober, url: str) -> None:
    for value in QUERY_VALUES:
        query = "&".join(f"{name}={value}" for name in QUERY_NAMES)
        prober.send("get", f"{url}?{query}", f"every query parameter = {value}")


def _probe_form(prober: Prober, url: str, page: Any) -> None:
    fields = set(GENERIC_FIELDS)
    if page is not None and "html" in page.get("Content-Type", ""):
        fields |= set(FIELD_NAME.findall(page.content.decode(errors="replace")))
    fields.discard("csrfmiddlewaretoken")
    for value in FORM_VALUES:
        body = "&".join(f"{name}={value}" for name in sorted(fields))
        form = "application/x-www-form-urlencoded"
        prober.send("post", url, f"every form field = {value}", data=body, content_type=form)


def _probe_json(prober: Prober, url: str, method: str, fields: list[str]) -> None:
    names = sorted({*fields, *GENERIC_FIELDS})
    for value in JSON_VALUES:
        body = json.dumps(dict.fromkeys(names, value))
        prober.send(method, url, f"every JSON field = {value!r}", data=body, content_type="application/json")
    deep = "[" * 10_000 + "]" * 10_000
    prober.send(method, url, "JSON nested 10,000 deep", data=deep, content_type="application/json")
    nested = (
        json.dumps(dict.fromkeys(names, "x"))[:-1] + ', "deep": ' + "{" + '"a": {' * 5_000 + "}" * 5_001 + "}"
    )
    prober.send(method, url, "JSON object nested 5,000 deep", data=nested, content_type="application/json")
    prober.send(method, url, "JSON with a raw NUL", data='{"a": "\x00"}', content_type="application/json")


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_sec_crafted_input_never_answers_500(route, world, api_schema):
    # given a signed-in staff user (an owner on the owners' own pages) and empty rate limits
    cache.clear()
    user = world.owner_a if route.pattern.startswith(OWNER_PREFIXES) else world.hq
    client = Client()
    client.force_login(user)
    prober = Prober(client)
    methods = route.methods
    # when crafted values go into the path, the query string, the forms and the JSON bodies
    _probe_path(prober, route, methods)
    url = route.url(_baseline(world))
    page = prober.send("get", url, "baseline") if "get" in methods else None
    if "get" in methods:
        _probe_query(prober, url)
    is_api = route.pattern.startswith("api/")
    for method in methods:
        if method == "get":
            continue
        if is_api:
            _probe_json(prober, url, method, _body_fields(api_schema, "/" + route.pattern, method))
        elif method == "post":
            _probe_form(prober, url, page)
    # then nothing answered 500 or failed
    if prober.failures:
        pytest.fail("\n".join(prober.failures), pytrace=False)


def test_sec_crafted_input_reaches_every_api_route():
    names = {route.name for route in ROUTES}
    assert {"api-feedback-item-create", "api-resident-detail", "api-project-list", "api-me"} <= names
    assert {"owners:project_archive", "feedback:item_list", "feedback_portal:qr_form", "home"} <= names
    assert len(ROUTES) > 80


def test_sec_crafted_input_nul_and_huge_numbers_answer_400(world, login):
    client = login(world.hq)
    # a NUL in the path or the query, or a number no column holds: 400, with the API's error body under /api/
    assert client.get("/archive/QD-A%00/").status_code == 400
    assert client.get("/feedback/?q=%00").status_code == 400
    assert client.get(f"/feedback/?page={HUGE}").status_code == 400
    api = client.get(f"/api/org/units/?project={-HUGE}")
    assert api.status_code == 400
    assert api.json()["code"] == "invalid"
    # a number of ten thousand digits (past Python's own limit for int()) in a query or a form field
    assert client.get("/feedback/?page=" + "9" * 10_001).status_code == 400
    long_form = client.post(
        "/accounts/language/", "language=" + "1" * 10_001, content_type="application/x-www-form-urlencoded"
    )
    assert long_form.status_code == 400
    # a NUL in a form field
    form = client.post(
        "/accounts/language/", "language=en%00&next=/", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 400


def test_sec_crafted_input_ordinary_long_numbers_pass(world, login):
    # an 18-digit ID number and a 19-digit number that still fits 64 bits are ordinary input
    client = login(world.hq)
    assert client.get("/archive/lookup/?phone=110101199003077777").status_code == 200
    assert client.get(f"/feedback/?q={2**63 - 1}").status_code == 200


def test_sec_crafted_input_json_is_refused_with_a_message(world, login):
    client = login(world.agent_a)
    create = "/api/feedback/items/create/"
    cases = {
        "[" * 10_000 + "]" * 10_000: "The JSON is nested more than 32 levels deep.",
        "[" * 33 + "]" * 33: "The JSON is nested more than 32 levels deep.",
        '{"description": "\\ud800"}': "lone surrogate",
        '{"description": "a\\u0000b"}': "NUL",
        '{"\\u0000": 1}': "NUL",
        f'{{"unit": {HUGE}}}': "out of range",
        '{"unit": 1e999}': "out of range",
    }
    for body, message in cases.items():
        response = client.post(create, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, body[:40]
        assert response.json()["code"] == "invalid"
        assert message in response.json()["message"], body[:40]
