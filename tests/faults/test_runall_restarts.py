"""Fault tests of `estatedesk runall` (issue 16, items 5 and 10d): a child that dies is started again after
a back-off instead of the whole site stopping; one that keeps dying at start stops everything; Ctrl-C and
SIGTERM still stop all. Fake processes and a fake clock: no gunicorn, no waiting."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.management import call_command

from estatedesk.common.management.commands import runall
from estatedesk.common.supervision import MAX_QUICK_DEATHS, STABLE_SECONDS, Supervisor

COMMANDS = {"web": ["gunicorn"], "worker": ["estatedesk", "worker"], "scheduler": ["estatedesk", "scheduler"]}


class FakeProcess:
    def __init__(self, pid: int, command: Sequence[str], *, stops_on_signal: bool = True) -> None:
        self.pid = pid
        self.command = list(command)
        self.returncode: int | None = None
        self.signals: list[int] = []
        self.stops_on_signal = stops_on_signal
        self.killed = False

    def poll(self) -> int | None:
        return self.returncode

    def die(self, code: int = 1) -> None:
        self.returncode = code

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)
        if self.stops_on_signal:
            self.returncode = -signum

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.command, timeout or 0)
        return self.returncode

    def kill(self) -> None:
        self.killed = True
        self.returncode = -9


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Spawner:
    """Starts fake processes and remembers every one, newest last."""

    def __init__(self) -> None:
        self.started: list[FakeProcess] = []
        self.stubborn: set[str] = set()

    def __call__(self, command: Sequence[str]) -> FakeProcess:
        process = FakeProcess(
            100 + len(self.started), command, stops_on_signal=command[-1] not in self.stubborn
        )
        self.started.append(process)
        return process

    def of(self, name: str) -> list[FakeProcess]:
        return [process for process in self.started if process.command == COMMANDS[name]]


@pytest.fixture
def supervised() -> tuple[Supervisor, Spawner, Clock, list[str]]:
    spawn, clock, log = Spawner(), Clock(), []
    supervisor = Supervisor(COMMANDS, spawn=spawn, clock=clock, log=log.append)
    supervisor.start()
    return supervisor, spawn, clock, log


def test_a_dead_child_is_started_again_after_a_second_and_the_others_run_on(supervised):
    supervisor, spawn, clock, log = supervised
    (worker,) = spawn.of("worker")

    # when the worker dies five seconds after its start
    clock.now += 5
    worker.die(1)
    assert supervisor.check() is None

    # then nothing is started at once, nor a moment before its second is up; then it is started again
    assert log == ["runall: worker exited with code 1; starting it again in 1 s"]
    clock.now += 0.99
    supervisor.check()
    assert len(spawn.of("worker")) == 1
    clock.now += 0.01
    supervisor.check()
    assert [process.pid for process in spawn.of("worker")] == [101, 103]
    assert log[-1] == "runall: worker started again (pid 103)"
    assert [len(spawn.of(name)) for name in ("web", "scheduler")] == [1, 1]
    assert all(process.signals == [] for process in spawn.started)


def die_quickly(supervisor: Supervisor, spawn: Spawner, clock: Clock, name: str) -> float:
    """Let the newest `name` process die a second after its start; returns the restart delay chosen."""
    clock.now += 1
    spawn.of(name)[-1].die(3)
    assert supervisor.check() is None
    delay = supervisor.children[name].restart_at - clock.now
    clock.now += delay
    supervisor.check()
    return delay


def test_a_child_dying_again_and_again_waits_longer_each_time_up_to_30_seconds(supervised):
    supervisor, spawn, clock, _ = supervised

    delays = [die_quickly(supervisor, spawn, clock, "scheduler") for _ in range(7)]

    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert len(spawn.of("scheduler")) == 8


def test_a_child_that_ran_for_a_minute_is_started_again_after_a_second(supervised):
    supervisor, spawn, clock, _ = supervised
    for _ in range(4):
        die_quickly(supervisor, spawn, clock, "web")

    clock.now += STABLE_SECONDS
    spawn.of("web")[-1].die(1)
    supervisor.check()

    assert supervisor.children["web"].restart_at == clock.now + 1.0


def test_a_child_that_keeps_dying_at_start_stops_the_supervisor(supervised):
    supervisor, spawn, clock, log = supervised
    for _ in range(MAX_QUICK_DEATHS):
        die_quickly(supervisor, spawn, clock, "web")

    clock.now += 1
    spawn.of("web")[-1].die(3)

    assert supervisor.check() == "web"
    assert log[-1] == "runall: web exited with code 3, 11 times in a row"


def test_stop_forwards_the_signal_and_kills_a_child_that_does_not_stop(supervised):
    supervisor, spawn, clock, log = supervised
    spawn.stubborn.add("scheduler")
    supervisor.children["scheduler"].process = spawn(COMMANDS["scheduler"])  # one that ignores SIGINT
    spawn.of("worker")[0].die(1)
    supervisor.check()  # the worker waits for its restart

    supervisor.stop(signal.SIGINT, timeout=15)

    web, worker, _, scheduler = spawn.started
    assert (web.signals, web.returncode) == ([signal.SIGINT], -signal.SIGINT)
    assert worker.signals == []  # already dead: nothing to tell, and not started again
    assert (scheduler.signals, scheduler.killed) == ([signal.SIGINT], True)
    assert log[-1] == "runall: scheduler did not stop in 15s; killing it"


# --- the command's loop, with the supervisor inside ---------------------------------------------------------


class FakeTime:
    """runall's `time`: every quarter-second poll moves the clock on and runs the script's next step."""

    def __init__(self, steps: dict[int, Callable[[], Any]]) -> None:
        self.now = 1000.0
        self.polls = 0
        self.steps = steps

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.now += seconds
        step = self.steps.get(self.polls)
        if step is not None:
            step()


def name_of(process: FakeProcess) -> str:
    """runall's children: `python -m gunicorn …` or `python -m estatedesk worker|scheduler …`."""
    return process.command[3] if process.command[2] == "estatedesk" else "web"


@pytest.fixture
def quiet_runall(monkeypatch: pytest.MonkeyPatch) -> tuple[Spawner, dict[int, Any]]:
    """runall with no port check, no collectstatic, no HTTP probe and fake processes; its signal handlers
    are kept, so a test can call the SIGTERM handler as the kernel would."""
    spawn, handlers = Spawner(), {}
    monkeypatch.setattr(runall, "_check_port_free", lambda host, port: None)
    monkeypatch.setattr(runall, "_static_files_current", lambda: True)
    monkeypatch.setattr(runall, "_answers", lambda url: False)
    monkeypatch.setattr(runall, "_spawn", lambda command, env: spawn(command))
    monkeypatch.setattr(
        runall.signal, "signal", lambda signum, handler: handlers.__setitem__(signum, handler)
    )
    return spawn, handlers


def test_runall_restarts_a_dead_worker_and_stops_everything_on_sigterm(quiet_runall, monkeypatch, capsys):
    spawn, handlers = quiet_runall

    def worker_dies() -> None:
        next(p for p in spawn.started if "worker" in p.command).die(1)

    steps = {2: worker_dies, 12: lambda: handlers[signal.SIGTERM](signal.SIGTERM, None)}
    monkeypatch.setattr(runall, "time", FakeTime(steps))

    call_command("runall", "--port", "8123")

    # the worker died at the second poll and was started again a second later; SIGTERM stopped the three
    # running processes, and the dead worker was not told anything
    assert [(name_of(process), process.signals) for process in spawn.started] == [
        ("web", [signal.SIGTERM]),
        ("worker", []),
        ("scheduler", [signal.SIGTERM]),
        ("worker", [signal.SIGTERM]),
    ]
    err = capsys.readouterr().err
    assert "runall: worker exited with code 1; starting it again in 1 s" in err
    assert "runall: worker started again (pid 103)" in err


def test_runall_gives_up_on_a_child_that_keeps_dying_and_exits_non_zero(quiet_runall, monkeypatch, capsys):
    spawn, _ = quiet_runall

    class DyingAtOnce(FakeTime):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            for process in spawn.started:
                if name_of(process) == "scheduler" and process.returncode is None:
                    process.die(2)

    monkeypatch.setattr(runall, "time", DyingAtOnce({}))

    with pytest.raises(SystemExit) as exit_info:
        call_command("runall", "--port", "8123")

    assert exit_info.value.code == 1
    assert sum(name_of(process) == "scheduler" for process in spawn.started) == MAX_QUICK_DEATHS + 1
    err = capsys.readouterr().err
    assert "runall: scheduler keeps dying; stopping the others" in err
    web = spawn.started[0]
    assert web.signals == [signal.SIGTERM]
