"""Fault injection for the fault tests: a database connection that fails under a running loop, on SQLite
(an OperationalError raised by the cursor) and on PostgreSQL (the server ends the connection)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

Matcher = Callable[[str, Any], bool]
LOST = "server closed the connection unexpectedly"


def terminate_own_backend() -> None:
    """From a second connection, end this connection's server process (PostgreSQL), waiting up to 5 s
    until it is gone; the next statement on this connection fails as on a server restart."""
    backend_pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [backend_pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()


@contextmanager
def connection_lost(matches: Matcher, *, times: int = 1, how: str = "cursor_error") -> Iterator[list[str]]:
    """The next `times` statements that `matches(sql, params)` fail: `cursor_error` raises the
    OperationalError a lost connection raises; `pg_terminate` really ends the connection on the server
    just before the statement. Yields the SQL of the statements that failed."""
    failed: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if len(failed) < times and matches(sql, params):
            failed.append(sql)
            if how == "pg_terminate":
                terminate_own_backend()
            else:
                raise OperationalError(LOST)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


def _ways() -> list[Any]:
    return [
        pytest.param("cursor_error", id="cursor-error"),
        pytest.param("pg_terminate", id="pg-terminate-backend"),
    ]


@pytest.fixture(params=_ways())
def how(request: pytest.FixtureRequest) -> str:
    """Each fault test runs twice: with a failing cursor (any database) and, on PostgreSQL, with the
    connection ended by the server. The second needs pg_terminate_backend, a PostgreSQL server function:
    SQLite has no server to end a connection, so it is skipped there."""
    if request.param == "pg_terminate" and connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs a PostgreSQL server (DATABASE_URL=postgres://…)")
    return str(request.param)
