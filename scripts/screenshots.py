"""`make screenshots`: every demo role's home page at phone (390 px) and desktop (1366 px) width.

Seeds a throw-away SQLite database with the demo data (`seed_demo`, feedback included), serves it with
Django's development server on a free port of 127.0.0.1, signs in as each demo account through the login
form in Debian's chromium (Playwright; never `playwright install`) and saves full-page screenshots as
build/screenshots/<login>-390.png and <login>-1366.png. The database and the server go when it ends.

    .venv/bin/python scripts/screenshots.py [--only agent_a,hq] [--out build/screenshots]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PASSWORD = "demo-2026"  # noqa: S105 - the demo accounts' published password (demo.seeding.DEMO_PASSWORD)
# every demo account of the README's table, one role each
ACCOUNTS = [
    "agent_a",
    "supervisor_a",
    "pm_a",
    "engineer_a",
    "executor_a",
    "qamgr",
    "qastaff",
    "branchmgr",
    "hq",
    "gm",
    "leader",
    "admindept",
    "docadmin",
    "sysadmin",
    "owner_a",
    "outsider",
]
WIDTHS = {390: 844, 1366: 900}
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 60


def say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(*args: str, env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True)  # noqa: S603 - our own manage.py


def wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(f"{url}/accounts/login/", timeout=5)  # noqa: S310 - our own 127.0.0.1
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url} within {STARTUP_SECONDS} s")


def shoot(url: str, accounts: list[str], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for username in accounts:
            context = browser.new_context(
                base_url=url, locale="zh-CN", viewport={"width": 390, "height": 844}
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto("/accounts/login/")
            form = page.locator("form:has(input[name='username'])")
            form.locator("input[name='username']").fill(username)
            form.locator("input[name='password']").fill(PASSWORD)
            with page.expect_navigation():
                form.locator("[type='submit']").click()
            if "/accounts/login/" in page.url:
                raise SystemExit(f"{username} could not sign in")
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto("/")
                page.wait_for_load_state("networkidle")  # the menu's number arrives after the page (htmx)
                path = out / f"{username}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
                say(f"  {path.relative_to(PROJECT_DIR) if path.is_relative_to(PROJECT_DIR) else path}")
            context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated logins (default: every demo account)")
    parser.add_argument("--out", default=str(PROJECT_DIR / "build" / "screenshots"))
    args = parser.parse_args()
    accounts = [name for name in args.only.split(",") if name] or ACCOUNTS
    if not CHROMIUM.exists():
        say(f"{CHROMIUM} is missing: run scripts/system-deps.sh (Debian's chromium)", error=True)
        return 1
    with tempfile.TemporaryDirectory(prefix="estatedesk-screenshots-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3",
            "DEBUG": "1",  # the development server serves the static files
            "ESTATEDESK_DATA_DIR": scratch,  # uploads and anything else the site writes
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        say("seeding a throw-away database with the demo data…")
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("seed_demo", env=env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(scratch) / "server.log"
        with log.open("wb") as output:
            command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
            server = subprocess.Popen(  # noqa: S603 - our own manage.py
                command,
                cwd=PROJECT_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for(url, server)
                say(f"serving at {url}; screenshots of {len(accounts)} homes:")
                saved = shoot(url, accounts, Path(args.out))
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
    say(f"{len(saved)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
