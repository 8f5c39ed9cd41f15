"""Heartbeats and /health/ (issue 16, item 5): 200 when the database answers and the worker, the scheduler
and the mailbox poll have each beaten recently; 503 when any is stale or the database is down. One query,
no host names or personal data. Time frozen at boundary instants."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError, connection
from django.urls import reverse

from estatedesk.common.health import (
    MAILBOX,
    SCHEDULER,
    WORKER,
    health_report,
    heartbeat_beat,
    heartbeat_prune,
    stale_after,
)
from estatedesk.common.models import Heartbeat

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def beat_all(at: datetime) -> None:
    for name in (WORKER, SCHEDULER, MAILBOX):
        heartbeat_beat(name, now=at)


def test_a_process_keeps_one_heartbeat_row_per_name():
    heartbeat_beat(WORKER, now=NOW - timedelta(seconds=30))

    heartbeat_beat(WORKER, now=NOW)

    assert list(Heartbeat.objects.values_list("name", "host", "pid", "at")) == [
        (WORKER, socket.gethostname()[:100], os.getpid(), NOW)
    ]


def test_stale_limits_follow_the_scheduler_tick(settings):
    settings.ESTATEDESK_SCHEDULER_TICK_SECONDS = 30

    assert stale_after() == {
        WORKER: timedelta(minutes=5),
        SCHEDULER: timedelta(minutes=2),
        MAILBOX: timedelta(minutes=10),
    }


def test_health_answers_200_when_every_process_beat_recently(client, django_assert_num_queries):
    # given every watched process beat 10 seconds ago
    beat_all(NOW - timedelta(seconds=10))

    # when a monitor asks, anonymously
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        response = client.get(reverse("health"))

    # then everything is fresh, in one query
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    fresh = {"status": "ok", "last_beat_at": "2026-11-26T07:59:50+00:00", "age_seconds": 10}
    assert response.json() == {
        "status": "ok",
        "checked_at": "2026-11-26T08:00:00+00:00",
        "database": "ok",
        "heartbeats": {
            WORKER: fresh | {"stale_after_seconds": 300},
            SCHEDULER: fresh | {"stale_after_seconds": 60},
            MAILBOX: fresh | {"stale_after_seconds": 600},
        },
    }
    assert socket.gethostname() not in response.content.decode()


def test_the_newest_beat_of_any_process_counts():
    # given two workers on two hosts, one of them gone for an hour
    Heartbeat.objects.create(name=WORKER, host="old-host", pid=1, at=NOW - timedelta(hours=1))
    Heartbeat.objects.create(name=WORKER, host="new-host", pid=2, at=NOW - timedelta(seconds=5))

    report = health_report(now=NOW)

    assert next(beat for beat in report.beats if beat.name == WORKER).age == timedelta(seconds=5)


def test_a_beat_exactly_at_its_limit_is_fresh_and_one_second_later_stale():
    beat_all(NOW - timedelta(seconds=60))  # the scheduler's limit

    assert health_report(now=NOW).ok is True
    late = health_report(now=NOW + timedelta(seconds=1))
    assert late.ok is False
    assert {beat.name: beat.ok for beat in late.beats} == {WORKER: True, SCHEDULER: False, MAILBOX: True}


def test_health_answers_503_when_the_scheduler_is_stale(client):
    beat_all(NOW - timedelta(seconds=10))
    Heartbeat.objects.filter(name=SCHEDULER).update(at=NOW - timedelta(minutes=5))

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("failing", "ok")
    assert body["heartbeats"][SCHEDULER] == {
        "status": "stale",
        "last_beat_at": "2026-11-26T07:55:00+00:00",
        "age_seconds": 300,
        "stale_after_seconds": 60,
    }
    assert body["heartbeats"][WORKER]["status"] == "ok"


def test_a_process_never_seen_is_stale(client):
    heartbeat_beat(WORKER, now=NOW)
    heartbeat_beat(SCHEDULER, now=NOW)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["heartbeats"][MAILBOX] == {
        "status": "stale",
        "last_beat_at": None,
        "age_seconds": None,
        "stale_after_seconds": 600,
    }


def test_health_answers_503_when_the_database_is_down(client):
    beat_all(NOW)

    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with time_machine.travel(NOW, tick=False), connection.execute_wrapper(refuse):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("failing", "down")
    assert {beat["status"] for beat in body["heartbeats"].values()} == {"stale"}


def test_health_takes_only_get(client):
    assert client.post(reverse("health")).status_code == 405


def test_heartbeats_of_processes_gone_for_a_day_are_pruned():
    Heartbeat.objects.create(name=WORKER, host="a", pid=1, at=NOW - timedelta(days=1, seconds=1))
    Heartbeat.objects.create(name=WORKER, host="a", pid=2, at=NOW - timedelta(days=1))

    assert heartbeat_prune(now=NOW) == 1
    assert list(Heartbeat.objects.values_list("pid", flat=True)) == [2]
