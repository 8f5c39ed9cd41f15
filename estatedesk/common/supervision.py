"""The small supervisor of `estatedesk runall` (issue 16, item 5): a child that dies is started again
after a back-off, instead of the whole site stopping.

    delay after the n-th quick death in a row: 1 s, 2 s, 4 s, … at most 30 s
    a child that ran for STABLE_SECONDS (60 s) before dying starts again after 1 s (its count restarts)
    after MAX_QUICK_DEATHS (10) quick deaths in a row it is hopeless (a port taken, a broken setting):
    `check` names it and runall stops everything and exits non-zero, like systemd's StartLimitBurst

`Supervisor.check()` never sleeps and reads the time from the injected `clock`, so tests drive it with fake
processes and a fake clock; runall calls it every quarter second. SIGINT/SIGTERM are runall's business:
it stops calling `check` and calls `stop`, so nothing is restarted while stopping.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from estatedesk.common.reconnect import backoff_delay

STABLE_SECONDS = 60.0
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
MAX_QUICK_DEATHS = 10


class Process(Protocol):
    """What the supervisor needs of a child process (subprocess.Popen, or a fake in tests)."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def send_signal(self, signum: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


@dataclass
class Child:
    name: str
    command: Sequence[str]
    process: Process | None = None
    started_at: float = 0.0
    quick_deaths: int = 0  # deaths in a row, each within STABLE_SECONDS of its start
    restart_at: float | None = None  # set while the child is dead and waits for its restart


def restart_delay(quick_deaths: int) -> float:
    return backoff_delay(quick_deaths, first=FIRST_RESTART_DELAY, cap=MAX_RESTART_DELAY)


def note_death(child: Child, *, now: float) -> float:
    """The child was found dead at `now`: count the death and plan the restart; returns the delay."""
    quick = now - child.started_at < STABLE_SECONDS
    child.quick_deaths = child.quick_deaths + 1 if quick else 1
    delay = restart_delay(child.quick_deaths)
    child.restart_at = now + delay
    return delay


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        spawn: Callable[[Sequence[str]], Process],
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = print,
    ) -> None:
        self.children = {name: Child(name=name, command=command) for name, command in commands.items()}
        self.spawn = spawn
        self.clock = clock
        self.log = log

    def start(self) -> None:
        for child in self.children.values():
            self._start(child)

    def _start(self, child: Child) -> int:
        child.process = self.spawn(child.command)
        child.started_at = self.clock()
        child.restart_at = None
        return child.process.pid

    def check(self) -> str | None:
        """One look at every child, without waiting: a child found dead gets its restart planned, a child
        whose delay is over is started again. Returns the name of a child that keeps dying (give up)."""
        now = self.clock()
        for child in self.children.values():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    pid = self._start(child)
                    self.log(f"runall: {child.name} started again (pid {pid})")
                continue
            code = child.process.poll() if child.process is not None else None
            if child.process is None or code is None:
                continue
            delay = note_death(child, now=now)
            if child.quick_deaths > MAX_QUICK_DEATHS:
                self.log(f"runall: {child.name} exited with code {code}, {child.quick_deaths} times in a row")
                return child.name
            self.log(f"runall: {child.name} exited with code {code}; starting it again in {delay:.0f} s")
        return None

    def stop(self, signum: int, *, timeout: float) -> None:
        """Forward `signum` to every running child, wait up to `timeout` seconds in all, kill the rest."""
        running = [
            (child.name, child.process)
            for child in self.children.values()
            if child.process is not None and child.process.poll() is None
        ]
        for _, process in running:
            process.send_signal(signum)
        deadline = self.clock() + timeout
        for name, process in running:
            try:
                process.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                self.log(f"runall: {name} did not stop in {timeout:.0f}s; killing it")
                process.kill()
                process.wait()
