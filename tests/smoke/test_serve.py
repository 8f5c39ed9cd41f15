"""Smoke test: the real processes that `make demo` starts (gunicorn, worker, scheduler under `runall`)
answer over HTTP with DEBUG off, on a fresh SQLite database in a temporary data directory."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import Request

import pytest

from estatedesk.demo.seeding import DEMO_PASSWORD

pytestmark = pytest.mark.smoke

PROJECT_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
# Set for the other tests (estatedesk/common/pytest_env.py) or by a developer; the demo's defaults apply
# instead: SQLite, DEBUG off, hashed static files.
LOCAL_SETTINGS = {"DATABASE_URL", "DEBUG", "SERVE_HTTPS", "PLAIN_STATIC"}


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _estatedesk(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "estatedesk", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"estatedesk {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# the keys the Makefile makes once per checkout and exports to every process it starts
MAKE_KEYS = {"SECRET_KEY": ".secret-key", "FIELD_ENCRYPTION_KEY": ".field-key"}


def _make_seed(*, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "seed"],
        cwd=PROJECT_DIR,
        env={key: value for key, value in env.items() if not key.startswith("MAKE")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"make seed failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _fetch(opener: urllib.request.OpenerDirector, request: str | Request) -> tuple[int, str, str]:
    """(status, final URL, body), redirects followed; an HTTP error status is returned, not raised."""
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status), str(response.url), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, str(error.url), error.read().decode(errors="replace")


def _status(url: str) -> int | None:
    try:
        return _fetch(urllib.request.build_opener(), url)[0]
    except OSError:  # not listening yet
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # given a fresh data directory, migrated and seeded, as `make demo` prepares ./data; static files are
    # collected up front (runall would do it, ~30 s) so that the wait below is for the servers alone
    tmp_path = tmp_path_factory.mktemp("smoke")
    env = {key: value for key, value in os.environ.items() if key not in LOCAL_SETTINGS}
    env.update(ESTATEDESK_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    # migrated and seeded by `make seed`, as `make demo` does, with only the keys the Makefile gives (a
    # demo that could not encrypt its mailbox password once failed here on a fresh clone)
    _make_seed(env={key: value for key, value in env.items() if key not in MAKE_KEYS})
    env.update({key: (PROJECT_DIR / "data" / name).read_text().strip() for key, name in MAKE_KEYS.items()})
    _estatedesk("collectstatic", "--noinput", env=env)
    with running_server(env=env, log=tmp_path / "runall.log") as running:
        yield running


@contextmanager
def running_server(*, env: dict[str, str], log: Path) -> Iterator[Server]:
    """`estatedesk runall` on a free port of 127.0.0.1 with `env`, until /healthz answers; stopped after."""
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "estatedesk", "runall", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = Server(url=f"http://127.0.0.1:{port}/", env=env, log=log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while _status(running.url + "healthz") != 200:
            assert process.poll() is None, f"runall exited with {process.returncode}:\n{running.log_tail()}"
            assert time.monotonic() < deadline, f"/healthz silent {STARTUP_SECONDS}s:\n{running.log_tail()}"
            time.sleep(0.5)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # its children get SIGTERM when it dies (runall sets PR_SET_PDEATHSIG)
            process.wait()


def test_demo_server_serves_login_and_home_over_plain_http(server: Server) -> None:
    # when an anonymous visitor opens the login page
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, _, login_page = _fetch(browser, server.url + "accounts/login/")

    # then it is served, with the login form and its stylesheets
    assert status == 200, server.log_tail()
    assert 'name="username"' in login_page
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', login_page):
        assert _status(urllib.parse.urljoin(server.url, href)) == 200, f"{href} is not served"

    # when agent_a signs in with the CSRF token of that form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token, "no CSRF token in the login page"
    form = {"csrfmiddlewaretoken": token.group(1), "username": "agent_a", "password": DEMO_PASSWORD}
    request = Request(
        server.url + "accounts/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": server.url + "accounts/login/"},
    )
    status, landed_on, home = _fetch(browser, request)

    # then the home page shows project A
    assert (status, landed_on) == (200, server.url), server.log_tail()
    assert "海景花园" in home


def test_scheduler_enqueues_and_worker_runs_periodic_jobs(server: Server) -> None:
    # given the scheduler enqueues every periodic job for its current period when it starts
    count_finished = (
        "from django_tasks_db.models import DBTaskResult; "
        "print('successful:', DBTaskResult.objects.filter(status='SUCCESSFUL').count())"
    )

    # then the worker runs them
    deadline = time.monotonic() + 30
    while True:
        output = _estatedesk("shell", "-v", "0", "-c", count_finished, env=server.env, timeout=60)
        counted = re.search(r"successful: (\d+)", output)
        assert counted, output
        if int(counted.group(1)) > 0:
            break
        assert time.monotonic() < deadline, f"no task finished in 30s:\n{server.log_tail()}"
        time.sleep(1)


def _health(server: Server) -> tuple[int, dict[str, Any]]:
    status, _, body = _fetch(urllib.request.build_opener(), server.url + "health/")
    return status, json.loads(body)


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:  # gone meanwhile
        return ""


def test_health_reports_the_worker_and_the_scheduler_alive(server: Server) -> None:
    # given runall started the worker and the scheduler, which beat within seconds
    deadline = time.monotonic() + 30
    while True:
        status, body = _health(server)
        beats = body["heartbeats"]
        if beats["worker"]["status"] == beats["scheduler"]["status"] == "ok":
            break
        assert time.monotonic() < deadline, f"/health/ answered {status} {body}:\n{server.log_tail()}"
        time.sleep(1)

    # then /health/ says so; the mailbox poll beats once feedback's poll task calls heartbeat_beat, so the
    # overall answer is 200 only when it too is fresh
    assert body["database"] == "ok"
    assert status == (200 if beats["mailbox"]["status"] == "ok" else 503)


def test_runall_starts_a_killed_worker_again(server: Server) -> None:
    # given the worker that runall started
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    runall_pid = next(
        pid
        for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
        if "runall" in _command_line(pid) and f"--port {port}" in _command_line(pid)
    )
    (worker,) = [pid for pid in _children(runall_pid) if " worker " in _command_line(pid)]

    # when it is killed outright (as the OOM killer would)
    os.kill(worker, signal.SIGKILL)

    # then runall starts another within seconds and the site keeps serving
    deadline = time.monotonic() + 20
    while True:
        restarted = [
            pid for pid in _children(runall_pid) if " worker " in _command_line(pid) and pid != worker
        ]
        if restarted:
            break
        assert time.monotonic() < deadline, f"no new worker in 20 s:\n{server.log_tail()}"
        time.sleep(0.5)
    assert _status(server.url + "healthz") == 200
    assert "runall: worker exited with code -9; starting it again in 1 s" in server.log.read_text()
