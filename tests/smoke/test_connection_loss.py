"""Issue 16, fault test: every database connection is terminated while owners' requests are being registered,
and the site, the worker and the scheduler carry on. The real processes (gunicorn, worker and scheduler
under `runall`) run against a scratch PostgreSQL database on 127.0.0.1; a client registers items through
the API with an Idempotency-Key each and retries what did not answer 201/200, as a phone app would.

What must hold: no request answers 500; every registration ends as exactly one item; after the cut the
worker and the scheduler are back (their heartbeats fresh on /health/) and the acknowledgement emails of the
items registered after the cut are sent."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.request import Request

import psycopg
import pytest

from tests.smoke.test_serve import LOCAL_SETTINGS, Server, _estatedesk, _fetch, running_server

pytestmark = pytest.mark.smoke

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "estatedesk_smoke_faults"
REGISTRATIONS = 24
STORM = range(8, 16)  # while these registrations are sent, every connection is terminated again and again


def _admin(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _terminate_every_connection() -> int:
    rows = _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        DATABASE,
    )
    return len(rows)


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        _admin("SELECT 1")
    except psycopg.OperationalError as error:  # pragma: no cover - CI starts PostgreSQL before the tests
        pytest.fail(f"PostgreSQL is not answering on 127.0.0.1:5432: {error}")
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DATABASE}"')
    tmp_path = tmp_path_factory.mktemp("faults")
    env = {key: value for key, value in os.environ.items() if key not in LOCAL_SETTINGS}
    env.update(
        ESTATEDESK_DATA_DIR=str(tmp_path / "data"),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    )
    _estatedesk("migrate", "--noinput", env=env)
    _estatedesk("seed_demo", "--organisation-only", env=env)  # the test registers the items it counts
    _estatedesk("collectstatic", "--noinput", env=env)
    try:
        with running_server(env=env, log=tmp_path / "runall.log") as running:
            yield running
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _register(server: Server, token: str, number: int) -> tuple[int, dict[str, Any]]:
    body = {
        "project": "QD-HJ",
        "channel": "hotline",
        "kind": "repair",
        "category": "engineering",
        "description": f"断网测试 {number}: 楼道灯不亮",
        "contact_email": f"caller{number}@example.invalid",
    }
    request = Request(
        server.url + "api/feedback/items/create/",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"fault-{number}",
        },
    )
    try:
        status, _, text = _fetch(urllib.request.build_opener(), request)
    except OSError:  # the connection itself dropped: retried like any other failure
        return 0, {}
    return status, (json.loads(text) if text.startswith("{") else {})


def _count(server: Server, code: str) -> int:
    output = _estatedesk("shell", "-v", "0", "-c", code, env=server.env, timeout=120)
    return int(output.strip().splitlines()[-1])


def test_sec_every_connection_cut_during_intake_loses_nothing_and_everything_carries_on(pg_server):
    server = pg_server
    token = _estatedesk("api_token", "create", "agent_a", env=server.env).strip().splitlines()[-1]
    statuses: list[int] = []
    references: dict[int, str] = {}
    cuts: list[int] = []
    storm_over = threading.Event()

    def storm() -> None:
        while not storm_over.is_set():
            cuts.append(_terminate_every_connection())
            storm_over.wait(0.2)

    cutter = threading.Thread(target=storm)
    # when items are registered, and during the middle third every connection to the database is
    # terminated five times a second (requests are cut in the middle, the worker and scheduler too)
    for number in range(REGISTRATIONS):
        if number == STORM.start:
            cutter.start()
        if number == STORM.stop:
            storm_over.set()
            cutter.join()
        deadline = time.monotonic() + 60
        while True:
            status, body = _register(server, token, number)
            statuses.append(status)
            if status in (200, 201):
                references[number] = body["reference"]
                break
            assert status in (0, 503), f"registration {number} answered {status} {body}:\n{server.log_tail()}"
            assert time.monotonic() < deadline, f"registration {number} never succeeded:\n{server.log_tail()}"
            time.sleep(0.5)
    # then the cut reached the server's connections, no request answered 500, and each registration is
    # exactly one item
    assert sum(cuts) >= 1
    print(f"connections terminated: {sum(cuts)}; answers: {sorted(set(statuses))}, {len(statuses)} requests")  # noqa: T201 - shown with -s
    assert 500 not in statuses
    assert len(set(references.values())) == REGISTRATIONS
    stored = _count(
        server,
        "from estatedesk.feedback.models import FeedbackItem; "
        "print(FeedbackItem.objects.filter(description__startswith='断网测试').count())",
    )
    assert stored == REGISTRATIONS
    # and the worker and the scheduler came back: fresh heartbeats, and the acknowledgements of the items
    # registered after the cut sent
    deadline = time.monotonic() + 120
    while True:
        status, _, text = _fetch(urllib.request.build_opener(), server.url + "health/")
        beats = json.loads(text)["heartbeats"]
        sent = _count(
            server,
            "from estatedesk.notifications.models import OutboundEmail; "
            "print(OutboundEmail.objects.filter(to__startswith='caller', status='sent')"
            ".values('to').distinct().count())",
        )
        if beats["worker"]["status"] == beats["scheduler"]["status"] == "ok" and sent == REGISTRATIONS:
            break
        assert time.monotonic() < deadline, f"health {beats}, {sent} sent:\n{server.log_tail()}"
        time.sleep(2)
