"""From a dashboard number to the items behind it, in the browser (issue 15, R-FB-7), on the demo
organisation and accounts.

Set up through the service (what the hotline agent did): three items registered this month in project
QD-HJ by `agent_a`. Then people do the rest in chromium, with no service call as a fallback: 青岛分公司's
branch manager (`branchmgr`) signs in through the form, opens 仪表盘 from the menu, sees their branch broken
down by project with QD-HJ's items of the month, clicks that number, lands on the drill-down listing exactly
those items (and the count the dashboard showed), and clicks one to reach its own page. The charts are drawn
(ECharts from static files, no CSP violation) and the page fits a phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from estatedesk.analytics.periods import Period, current_month
from estatedesk.demo.seeding import DEMO_PASSWORD
from estatedesk.feedback.choices import Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser
TITLES = [
    "三号楼电梯异响 Lift noise in building 3",
    "小区东门路灯不亮 East gate lamp out",
    "地下车库积水 Water in the garage",
]


def registered_this_month() -> list[str]:
    """The agent registers three items in QD-HJ (the hotline's service); their references."""
    agent = get_user_model().objects.get(username="agent_a")
    project = Project.objects.get(code="QD-HJ")
    return [
        feedback_item_register(
            actor=agent,
            data=ItemInput(
                project=project,
                channel=Channel.HOTLINE,
                kind=Kind.COMPLAINT if number else Kind.REPAIR,
                category="engineering",
                title=title,
                description=title,
                contact_name="业主",
                contact_phone="13800001234",
            ),
        ).reference
        for number, title in enumerate(TITLES)
    ]


@pytest.fixture
def signed_in(browser: Any, site: str) -> Iterator[Any]:
    """signed_in(username) -> a desktop page signed in through the form; page errors and CSP violations
    are collected in `problems`."""
    contexts: list[Any] = []
    problems: list[str] = []

    def _signed_in(username: str) -> Any:
        context = browser.new_context(base_url=site, viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto("/accounts/login/")
        form = page.locator("form:has(input[name='username'])")
        form.locator("input[name='username']").fill(username)
        form.locator("input[name='password']").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            form.locator("[type='submit']").click()
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        return page

    _signed_in.problems = problems  # type: ignore[attr-defined]
    yield _signed_in
    for context in contexts:
        context.close()


def test_fb_7_branch_manager_drills_from_a_number_to_the_items(signed_in: Any) -> None:
    # given three items registered this month in QD-HJ (and whatever else the demo holds there)
    references = registered_this_month()
    month = Period.month(current_month())
    start, end = month.bounds()
    expected = set(
        FeedbackItem.objects.filter(
            project__code="QD-HJ", registered_at__gte=start, registered_at__lt=end
        ).values_list("reference", flat=True)
    )
    assert set(references) <= expected

    # when the branch manager opens the dashboards from the menu
    page = signed_in("branchmgr")
    page.locator("[data-testid='nav-dashboard']").click()
    page.wait_for_url("**/analytics/**")
    expect(page.locator("h1")).to_contain_text("仪表盘")
    expect(page.locator("[data-testid='printed-scope']")).to_contain_text("青岛分公司")
    expect(page.locator("[data-testid='printed-period']")).to_contain_text(f"{month.start:%Y-%m-%d}")

    # then their branch is broken down by project, QD-HJ's items of the month among them, charts drawn
    cell = page.locator("[data-testid='unit-row'][data-code='QD-HJ'] td[data-figure='feedback.total'] a")
    expect(cell).to_have_text(str(len(expected)))
    expect(page.locator("[data-chart='units'] canvas")).to_have_count(1)
    expect(page.locator("[data-chart='trend'] canvas")).to_have_count(1)
    # the unit chart follows the figure chosen
    page.locator("[data-testid='unit-figure-select']").select_option(index=1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-branch-desktop.png"), full_page=True)

    # when they click the number
    cell.click()
    page.wait_for_url("**/analytics/items/**")

    # then the drill-down lists exactly those items, with the dashboard's count
    expect(page.locator("[data-testid='drill-count']")).to_have_text(str(len(expected)))
    links = page.locator("[data-testid='drill-link']")
    expect(links).to_have_count(len(expected))
    assert set(links.all_inner_texts()) == expected
    expect(page.locator("[data-testid='printed-scope']")).to_contain_text("青岛分公司")

    # and one of them opens the item's own page
    page.locator("[data-testid='drill-link']", has_text=references[0]).click()
    page.wait_for_url(f"**/feedback/{references[0]}/")
    expect(page.locator("main")).to_contain_text(TITLES[0])

    # back on the dashboard at a phone's width: nothing spills sideways
    page.go_back()
    page.go_back()
    page.set_viewport_size(PHONE)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    page.screenshot(path=str(SCREENSHOTS / "dashboard-branch-phone.png"), full_page=True)
    assert page.evaluate("window.__cspViolations || []") == []
    assert signed_in.problems == []
    assert timezone.localdate() >= month.start
