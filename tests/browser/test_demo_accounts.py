"""Every demo account signs in through the real login form in chromium and lands on its home page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from estatedesk.demo.seeding import ACCOUNTS, DemoAccount

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("account", ACCOUNTS, ids=[account.username for account in ACCOUNTS])
def test_demo_account_signs_in_and_lands_on_home(
    page: Any, log_in: Any, screenshots: Any, broken_assets: list[str], account: DemoAccount
) -> None:
    # when
    response = log_in(account.username)

    # then: owners land on the owner portal, everyone else on the home page
    expected_path = "/portal/" if account.role == "owner" else "/"
    assert urlsplit(page.url).path == expected_path
    assert response.status == 200
    assert page.locator("[data-testid='error-page']").count() == 0
    assert account.display_name in page.inner_text("body")
    assert broken_assets == []
    screenshots(account.username)


def test_outsider_sees_nothing_of_project_a(page: Any, log_in: Any) -> None:
    # when the CS supervisor of 泉城公馆, in another branch, signs in
    log_in("outsider")

    # then: the home page shows their own project and nothing of 海景花园 (project A)
    assert "泉城公馆" in page.inner_text("body")
    assert "海景花园" not in page.content()
    response = page.goto("/org/projects/QD-HJ/")
    assert response.status == 404
    assert "海景花园" not in page.content()


def test_language_switch_to_english(page: Any, log_in: Any) -> None:
    # given
    log_in("agent_a")
    assert page.get_attribute("html", "lang") == "zh-hans"

    # when
    with page.expect_navigation():
        page.locator("select[name='language']").select_option("en")

    # then: this page and the next are in English
    assert page.get_attribute("html", "lang") == "en"
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"
