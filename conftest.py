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
