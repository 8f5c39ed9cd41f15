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


# --- the long tests first ---------------------------------------------------------------------------------
# A test marked `long` (a quarter of a minute or more: the 20,000-row import in the browser, the isolation
# walkers) is handed to a worker first, so that no worker is left alone with one at the end of the run
# while the other waits. The browser tests stay after all the others, as collected: each one empties the
# database (a transactional test), and tests that read rows a migration seeded (the import's column
# aliases) must run before that; their long ones go first among them.
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(
        key=lambda item: (
            item.get_closest_marker("browser") is not None or item.nodeid.startswith("tests/browser/"),
            item.get_closest_marker("long") is None,
        )
    )
