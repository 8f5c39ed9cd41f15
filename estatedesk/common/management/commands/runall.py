"""`estatedesk runall`: the web server, the task worker and the scheduler under one small supervisor.

For `make demo` and single-machine installs: it collects static files when they have changed, then
starts gunicorn, `worker` and `scheduler` as child processes and forwards SIGINT/SIGTERM to them. A child
that dies is started again after a back-off (1 s, 2 s, 4 s, … at most 30 s; common/supervision.py), so one
crash does not stop the site; only a child that dies within a minute of its start ten times in a row stops
everything (exiting non-zero). The site is served over plain HTTP unless SERVE_HTTPS is
already set, so the demo works on http://127.0.0.1 with DEBUG off (whitenoise serves the collected, hashed
static files).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from estatedesk.common.supervision import Process, Supervisor

STOP_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.25


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _die_with_parent() -> None:
    """Runs in each child before exec: on Linux, the child gets SIGTERM if runall itself is killed."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: children outlive a SIGKILLed runall
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _url_host(host: str) -> str:
    """The host to probe and to print: a wildcard bind is reached on loopback; IPv6 goes in brackets."""
    probe = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 - a bind address
    return f"[{probe}]" if ":" in probe else probe


def _gunicorn_limits() -> list[str]:
    """gunicorn's timeouts and request limits (docs/deployment.md, "Behind a proxy").

    A worker busy for longer than --timeout is restarted: above SQLite's 20 s busy timeout plus the longest
    request (an owner import of 20,000 rows, about 13 s), below the proxy's 60 s proxy_read_timeout. A stop
    waits --graceful-timeout for requests in flight (less than runall's STOP_TIMEOUT_SECONDS). A request
    line (path and query) may be as long as gunicorn allows. X-Forwarded-Proto is believed only from the
    proxy in front, and only with BEHIND_PROXY: the innermost of TRUSTED_PROXIES, or this host's loopback.
    """
    if settings.BEHIND_PROXY:
        trusted = settings.TRUSTED_PROXIES[-1] if settings.TRUSTED_PROXIES else "127.0.0.1,::1"
    else:
        trusted = ""  # nobody: served directly, no header says the request came over HTTPS
    return [
        "--timeout", "50", "--graceful-timeout", "10",
        "--limit-request-line", "8190", "--limit-request-field_size", "8190",
        "--forwarded-allow-ips", trusted,
    ]  # fmt: skip


def _spawn(command: Sequence[str], env: dict[str, str]) -> Process:
    # Each child gets its own process group, so a Ctrl-C in the terminal reaches it once, through us.
    return subprocess.Popen(command, env=env, process_group=0, preexec_fn=_die_with_parent)  # noqa: S603


def _check_port_free(host: str, port: int) -> None:
    """Fail at once if something else listens there (gunicorn would retry, and /healthz would answer)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def _answers(url: str) -> bool:
    """True once the web server answers HTTP at all (a 500 from /healthz means the database is not there)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def _static_files_current() -> bool:
    """True when the manifest in STATIC_ROOT is newer than every static source file.

    With the manifest storage (DEBUG off), collectstatic hashes and recompresses every file on every run,
    about 30 seconds; a restart with nothing changed skips it.
    """
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return False  # plain storage: collectstatic copies only what changed, which is quick
    try:
        collected_at = (Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name).stat().st_mtime
    except OSError:
        return False
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if Path(storage.path(path)).stat().st_mtime > collected_at:
                return False
    return True


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler together (make demo, small installs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
        parser.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default: 2)")
        parser.add_argument(
            "--then-command",
            default="",
            help="a management command run once the site answers, e.g. demo_logins (make demo)",
        )

    def handle(
        self, *args: Any, host: str, port: int, workers: int, then_command: str = "", **options: Any
    ) -> None:
        _check_port_free(host, port)
        if not _static_files_current():
            self.stdout.write("runall: collecting static files (about 30 s when they have changed)")
            self.stdout.flush()
            call_command("collectstatic", interactive=False, verbosity=0)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.setdefault("SERVE_HTTPS", "0")
        env.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        commands = {
            "web": [
                sys.executable, "-m", "gunicorn", "estatedesk.config.wsgi:application",
                "--bind", bind, "--workers", str(workers), *_gunicorn_limits(),
                "--no-control-socket",  # gunicorn's default is one socket in $HOME shared by every instance
            ],
            "worker": [sys.executable, "-m", "estatedesk", "worker", "--queue-name", "*", "--no-reload"],
            "scheduler": [sys.executable, "-m", "estatedesk", "scheduler"],
        }  # fmt: skip

        received: list[int] = []

        def on_signal(signum: int, frame: Any) -> None:
            received.append(signum)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        supervisor = Supervisor(
            commands, spawn=lambda command: _spawn(command, env), clock=time.monotonic, log=self._log
        )
        supervisor.start()
        url = f"http://{_url_host(host)}:{port}/"
        announced = False
        hopeless: str | None = None
        while not received and hopeless is None:
            hopeless = supervisor.check()
            if hopeless is None and not announced and _answers(url + "healthz"):
                self.stdout.write(f"EstateDesk is running at {url}")
                self._then(then_command)
                self.stdout.flush()
                announced = True
            time.sleep(POLL_SECONDS)

        if hopeless is None:
            supervisor.stop(received[0], timeout=STOP_TIMEOUT_SECONDS)
            return
        self.stderr.write(f"runall: {hopeless} keeps dying; stopping the others")
        supervisor.stop(signal.SIGTERM, timeout=STOP_TIMEOUT_SECONDS)
        sys.exit(1)

    def _then(self, command: str) -> None:
        """Run `command` (the demo's logins, printed again below the start-up lines); a failure is one
        line on stderr, never a reason to stop the site."""
        if not command:
            return
        try:
            call_command(command, stdout=self.stdout)
        except Exception as error:  # noqa: BLE001 - the site keeps running
            self.stderr.write(f"runall: {command} failed: {error}")

    def _log(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
