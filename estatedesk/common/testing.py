"""Helpers for the test suites (imported by tests only, never by the application).

`assert_queries_do_not_grow` is the query guard of every list page and list API (issue 5, item 7): a list
makes the same number of queries whatever its number of rows, so a query per row (N+1) fails the test.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def response_text(response: Any) -> str:
    """The body of a page or a JSON answer as text (streamed bodies are read whole)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return str(response.content.decode())


def _shape(sql: str) -> str:
    """A query without its values, so that the same query with other ids or times compares equal."""
    sql = re.sub(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|%s", "?", sql)
    return re.sub(r"\((?:\?, )*\?\)", "(?)", sql)


def count_queries(client: Any, url: str, *, status: int = 200) -> tuple[int, Any, list[str]]:
    """GET `url` and return (number of queries, response, their SQL); fails on another status code."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != status:
        raise AssertionError(f"GET {url} answered {response.status_code}, not {status}")
    return len(captured), response, [query["sql"] for query in captured.captured_queries]


def assert_queries_do_not_grow(
    client: Any,
    url: str,
    add_rows: Callable[[], Iterable[str]],
    *,
    ceiling: int,
    status: int = 200,
    read: Callable[[Any], str] = response_text,
) -> int:
    """Fail unless the list at `url` makes as many queries with many rows as with a few.

    GETs `url` once to warm up (session, caches), then counts the queries of a GET with the rows there are
    now (a few), calls `add_rows()`, and counts the queries of a GET again. `add_rows` adds many rows, with
    varied related objects (other buildings, residents, assignees, events), and returns texts that only
    the added rows put in the response: each must be missing before and present after, so the test cannot
    pass on an empty or capped list. The two counts must be equal, and at most `ceiling`.

    The rows already there should have each kind of related object the list shows: a prefetch makes no
    query while the list it fills is empty, so a bare baseline would differ by one for a good reason.
    Returns the number of queries.
    """
    count_queries(client, url, status=status)
    few, before, few_sql = count_queries(client, url, status=status)
    markers = list(add_rows())
    if not markers:
        raise AssertionError("add_rows() must return texts that only the added rows show")
    many, after, many_sql = count_queries(client, url, status=status)
    before_text, after_text = read(before), read(after)
    already = [marker for marker in markers if marker in before_text]
    if already:
        raise AssertionError(f"{url}: shown before the rows were added, so they prove nothing: {already}")
    missing = [marker for marker in markers if marker not in after_text]
    if missing:
        raise AssertionError(f"{url}: the added rows are not shown: {missing}")
    if many != few:
        extra = Counter(map(_shape, many_sql)) - Counter(map(_shape, few_sql))
        added = [sql for sql in many_sql if extra[_shape(sql)]][:5]
        raise AssertionError(
            f"{url}: {few} queries with a few rows, {many} with many (a query per row?). "
            "The first queries that the many rows added:\n" + "\n".join(added)
        )
    if many > ceiling:
        raise AssertionError(f"{url}: {many} queries, more than the ceiling of {ceiling}")
    return many
