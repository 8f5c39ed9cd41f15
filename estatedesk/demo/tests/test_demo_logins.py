"""The demo logins are printed again once `make demo`'s site is up (issue 11): the start-up lines of the
server, worker and scheduler no longer push them out of sight."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import OutputWrapper

from estatedesk.common.management.commands.runall import Command as RunAll
from estatedesk.demo.seeding import ACCOUNTS, DEMO_PASSWORD


def test_demo_logins_prints_the_password_and_every_account():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for account in ACCOUNTS:
        assert re.search(rf"^  {re.escape(account.username)} +", text, re.M), account.username


def test_runall_runs_its_then_command_and_survives_one_that_fails():
    # given runall, as make demo starts it, once its site answers
    command = RunAll()
    out, err = io.StringIO(), io.StringIO()
    command.stdout, command.stderr = OutputWrapper(out), OutputWrapper(err)

    # when it runs the demo's logins, then a command that does not exist
    command._then("demo_logins")
    command._then("no_such_command")

    # then the logins are printed, and the failure is one line on stderr, not an exception
    assert "owner_a" in out.getvalue()
    assert err.getvalue().count("\n") == 1
    assert "no_such_command" in err.getvalue()


def test_make_demo_prints_the_logins_after_start_up():
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    assert "runall --host $(HOST) --port $(PORT) --then-command demo_logins" in makefile
