"""Issue 16, item 4a in chromium: the main pages run under the Content-Security-Policy (no inline script,
no inline style, no eval) without a single violation, and what their scripts do still works: Alpine's
menu toggle and message dismissal (its CSP build), the language switch and the archive's trend chart.

Violations are caught twice: chromium's console message ("Refused to …") and the page's
`securitypolicyviolation` events, recorded by a script Playwright adds (the policy does not apply to it).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def violations(page: Any) -> Any:
    """violations() lists the CSP violations of the page open now and of those before it."""
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(f"console: {message.text}")
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))

    def _violations() -> list[str]:
        recorded = page.evaluate("window.__cspViolations || []")
        return [*seen, *(f"event: {entry}" for entry in recorded)]

    return _violations


def _visit(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    assert "'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")


def test_sec_csp_staff_home_and_archive_without_violations(page, log_in, violations, broken_assets):
    # given a CS supervisor of 海景花园
    log_in("supervisor_a")
    # when the home page and the project's owner archive (with its trend chart) are opened
    _visit(page, "/")
    _visit(page, "/archive/QD-HJ/")
    # then the chart is drawn from its own script file
    assert page.locator("[data-testid='trend-chart'] canvas").count() == 1
    # and the search still updates the list through htmx
    page.locator("#archive-search").fill("1-1-101")
    expect(page.locator("#resident-rows")).to_contain_text("1-1-101")
    expect(page.locator("#resident-rows")).not_to_contain_text("8-2-102")
    # and nothing was refused, nothing failed to load
    assert violations() == []
    assert broken_assets == []


def test_sec_csp_alpine_menu_and_messages_work_under_the_policy(page, log_in, violations):
    # given a phone-sized window, where the menu is folded away
    page.set_viewport_size(PHONE)
    log_in("agent_a")
    sidebar = page.get_by_test_id("nav")
    toggle = page.get_by_test_id("nav-toggle")
    assert not sidebar.is_visible()
    # when the menu button is pressed, the menu opens; pressed again, it closes
    toggle.click()
    assert sidebar.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert not sidebar.is_visible()
    assert violations() == []


def test_sec_csp_owner_portal_without_violations(page, log_in, violations, broken_assets):
    # given the owner of 1-1-101
    log_in("owner_a")
    # when the portal and the profile page are opened
    _visit(page, "/portal/")
    _visit(page, "/portal/profile/")
    # then nothing was refused
    assert violations() == []
    assert broken_assets == []


def test_sec_csp_sign_in_pages_without_violations(page, violations):
    _visit(page, "/accounts/login/")
    _visit(page, "/portal/login/code/")
    assert violations() == []


def test_sec_csp_feedback_pages_without_violations_and_the_charts_draw(
    page, log_in, violations, broken_assets
):
    # given a CS supervisor who registers a walk-in through the page
    log_in("supervisor_a")
    page.goto("/feedback/new/?channel=walk_in")
    form = page.get_by_test_id("register-form")
    form.locator("[name=description]").fill("楼道灯不亮 The stairwell light is out.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    reference = page.get_by_test_id("reference").inner_text()
    # when the feedback pages are opened
    for path in (
        f"/feedback/{reference}/",
        f"/feedback/{reference}/reclassify/",
        "/feedback/",
        "/feedback/hotline/?phone=13800001234",
        "/f/sheet/QD-HJ/",
        "/feedback/statistics/",
    ):
        _visit(page, path)
    # then the month's charts are drawn from their own script file
    assert page.locator(".stats-chart canvas").count() >= 1
    # and nothing was refused, nothing failed to load
    assert violations() == []
    assert broken_assets == []
