"""Session set-up shared by every test folder: the Chinese catalogue is compiled when it is stale."""

from __future__ import annotations

from pathlib import Path

import pytest

LOCALE = Path(__file__).parent / "estatedesk" / "locale"


def _stale_catalogues() -> list[Path]:
    stale = []
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    is_xdist_worker = hasattr(session.config, "workerinput")
    if not is_xdist_worker and _stale_catalogues():
        from django.core.management import call_command

        call_command("compilemessages", locale=["zh_Hans"], verbosity=0)
        from django.utils.translation import trans_real

        trans_real._translations = {}  # catalogues loaded before the compile are reloaded
        trans_real._default = None


# --- the demo's data tests on one worker ------------------------------------------------------------------
# estatedesk/demo/tests/ seeds the whole demo once for the package (half a minute); sent to one worker, it
# is seeded once per run instead of once per worker and module. pytest-xdist's own `xdist_group` marker
# does not group under pytest 9 (it renames `item._nodeid`, which pytest 9 no longer reads), so the group
# is made here from the path: `--dist loadgroup` (the Makefile) sends every test under the folder as one
# unit of work, and every other test on its own, as `--dist load` does.
SEEDED_DEMO = "estatedesk/demo/tests/"


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SeededDemoTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "seeded-demo" if nodeid.startswith(SEEDED_DEMO) else super()._split_scope(nodeid)

    return SeededDemoTogether(config, log)  # type: ignore[arg-type]
