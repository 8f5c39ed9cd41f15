"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live server.

Never `playwright install`: the browser is Debian's /usr/bin/chromium, installed by scripts/system-deps.sh
(run here once if it is missing). The live server serves the demo data of `seed_demo`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
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
    seed_demo(feedback=False)  # the browser tests make the feedback they look at
    return str(live_server.url)


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
