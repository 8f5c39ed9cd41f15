"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live server.

Never `playwright install`: the browser is Debian's /usr/bin/chromium, installed by scripts/system-deps.sh
(run here once if it is missing). The live server serves the demo data of `seed_demo`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from estatedesk.demo.seeding import DEMO_PASSWORD, seed_demo

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(PROJECT_DIR / "scripts" / "system-deps.sh")], check=False)
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing and scripts/system-deps.sh could not install it: "
            "run `sudo apt-get install chromium` (Debian's package; never `playwright install`)",
            pytrace=False,
        )
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # The sync API keeps an event loop running in this thread, so Django's ORM (seeding, flushing the
    # database between tests) would refuse to run beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(browser: Any, live_server: Any, transactional_db: Any, settings: Any) -> str:
    """The live server's base URL, with the demo data loaded.

    Plain HTTP and static files from the source folders come from estatedesk/common/pytest_env.py.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeds 16 accounts
    _seed_demo_organisation()  # the browser tests make the feedback they look at
    return str(live_server.url)


# The rows `seed_demo(feedback=False)` leaves in each table, kept by the first browser test of a test
# process: the seed takes 3-4 s (residents with their pinyin initials, units, accounts), writing its rows
# back takes a tenth of that, and some sixty browser tests each start from it after the flush.
_seeded: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}


def _stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as SQLite stores it: Django's SQLite connection reads dates, times and decimals back as Python
    objects (its converters), and writes them as text, which its cursor leaves to the caller."""
    return tuple(
        value.isoformat(" ") if isinstance(value, datetime)
        else value.isoformat() if isinstance(value, date | time)
        else str(value) if isinstance(value, Decimal)
        else value
        for value in row
    )  # fmt: skip


def _seed_demo_organisation() -> None:
    """The demo organisation and accounts as `seed_demo(feedback=False)` makes them: seeded by the first
    test, written back as the same rows (same ids) for the next ones."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    quote = connection.ops.quote_name
    if not _seeded:
        seed_demo(feedback=False)
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names of our models
                rows = cursor.fetchall()
                if rows:
                    _seeded[table] = (
                        [column[0] for column in cursor.description],
                        [_stored(r) for r in rows],
                    )
        return
    # the flush before this test emptied every table and post_migrate made the content types and
    # permissions anew (new ids): they are replaced by the seeded ones, which the seeded rows refer to
    with connection.constraint_checks_disabled(), transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, rows) in _seeded.items():
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
            names = ", ".join(quote(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
    ContentType.objects.clear_cache()


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def broken_assets(page: Any) -> list[str]:
    """Stylesheets, scripts and images the page asked for and did not get."""
    broken: list[str] = []
    # net::ERR_ABORTED is the browser cancelling a load because the page was left (a favicon still on its
    # way when the test opens the next page): nothing was refused or missing
    page.on(
        "requestfailed",
        lambda request: (
            broken.append(f"{request.url} ({request.failure})")
            if "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            broken.append(f"{response.url} ({response.status})")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    return broken


@pytest.fixture
def log_in(page: Any) -> Any:
    """log_in(username) signs in through the real login form; returns the response of the page landed on."""

    def _log_in(username: str) -> Any:
        page.goto("/accounts/login/")
        form = page.locator("form:has(input[name='username'])")
        form.locator("input[name='username']").fill(username)
        form.locator("input[name='password']").fill(DEMO_PASSWORD)
        with page.expect_navigation() as navigation:
            form.locator("[type='submit']").click()
        response = navigation.value
        assert "/accounts/login/" not in page.url, f"{username} could not sign in: {page.inner_text('main')}"
        return response

    return _log_in


@pytest.fixture
def screenshots(page: Any) -> Any:
    """screenshots(name) saves build/screenshots/<name>-phone.png and <name>-desktop.png of the page."""

    def _screenshots(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{size_name}.png"), full_page=True)

    return _screenshots


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Every test here drives the browser: marked so, whether or not its module says it (one did not, and
    ran on PostgreSQL in `make test-pg` among the tests that keep the database)."""
    for item in items:
        if item.nodeid.startswith("tests/browser/") and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
