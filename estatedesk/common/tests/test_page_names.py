"""One name per page (issue 11): each page's <title>, its heading (h1) and, for a page of the menu, the
menu entry shown as the current one carry the same name, for every persona and every page of its menu, in
Chinese and in English."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from estatedesk.common.navigation import nav_items_for
from estatedesk.owners.models import Resident

PERSONAS = ["agent_a", "supervisor_a", "pm_a", "branch_manager", "hq", "owner_a"]
# the menu's own pages that are not EstateDesk pages (the Django admin, the API documentation)
NOT_OURS = {"admin", "api"}


def _text(fragment: str) -> str:
    """The words of an HTML fragment; a badge beside a heading (a project's code) is not part of its name."""
    text = re.sub(r'<span class="badge[^"]*"[^>]*>.*?</span>', "", fragment, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text).replace("\u2068", "").replace("\u2069", "")
    return re.sub(r"\s+", " ", text).strip()


def page_names(body: str) -> dict[str, Any]:
    """The page's names: its <title> without the site's name, its h1, the current menu entry's label."""
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    current = re.search(r'aria-current="page"[^>]*>.*?<span class="nav-link__label">(.*?)</span>', body, re.S)
    return {
        "title": _text(title.group(1)).removesuffix("· EstateDesk").strip() if title else None,
        "h1": _text(heading.group(1)) if heading else None,
        "menu": _text(current.group(1)) if current else None,
    }


def test_page_names_reads_title_heading_and_current_menu_entry():
    body = (
        "<title>\u2068Owner archive\u2069 · EstateDesk</title>"
        '<a aria-current="page" data-testid="nav-x"><span class="nav-link__label">Owner archive</span></a>'
        '<h1 class="page-title">Owner <em>archive</em> <span class="badge">QD-A</span></h1>'
    )
    assert page_names(body) == {"title": "Owner archive", "h1": "Owner archive", "menu": "Owner archive"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_menu_page_has_one_name(world, login, persona, language):
    # given a persona and the pages of its menu
    user = world.users[persona]
    client = login(user)
    client.cookies["django_language"] = language
    with translation.override(language):
        items = [item for item in nav_items_for(user) if item.key not in NOT_OURS]
    assert items
    mismatches = []
    for item in items:
        # when the persona opens the page
        response = client.get(reverse(item.url_name), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, item.url_name
        names = page_names(response.content.decode())

        # then the title, the heading and the current menu entry say the same
        with translation.override(language):
            label = str(item.label)
        # (a page of one period or one thing may add it after its name: "Feedback statistics · December")
        if not (
            names["title"] == names["h1"]
            and names["menu"] == label
            and (names["title"] == label or (names["title"] or "").startswith(f"{label} · "))
        ):
            mismatches.append((item.url_name, label, names))
    assert mismatches == [], "\n".join(map(str, mismatches))


def test_pages_of_one_thing_have_one_name(world, login):
    # given pages that are not in the menu themselves: a project, its owner archive, a resident
    resident = Resident.objects.get(name="沈业主")
    client = login(world.supervisor_a)
    pages = {
        reverse("org:project_detail", args=["QD-A"]): "海景花园",
        reverse("owners:project_archive", args=["QD-A"]): "业户档案 · 海景花园",
        reverse("owners:resident_detail", args=[resident.pk]): "沈业主",
    }
    for url, name in pages.items():
        # when the supervisor opens it, then its title and its heading are the same name
        names = page_names(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
        assert (names["title"], names["h1"]) == (name, name), url


def test_the_menu_marks_the_current_page_and_asks_for_numbers_once_loaded(world, login):
    """The menu is written in Python (common.navigation.nav_html): one current entry, marked for screen
    readers; "Home" asks for its number after the page has loaded (htmx), the list's entry does not."""
    body = login(world.agent_a).get(reverse("feedback:item_list")).content.decode()
    start = body.index('<ul class="nav-list">')
    menu = body[start : body.index("</ul>", start)]
    assert menu.count('aria-current="page"') == 1
    assert re.search(r'class="nav-link is-active" aria-current="page" data-testid="nav-feedback"', menu)
    badge = reverse("nav_badge", args=["home"])
    asked = f'<span hx-get="{badge}" hx-trigger="load" hx-swap="outerHTML" data-testid="nav-badge-home">'
    assert asked in menu
    feedback_entry = menu[menu.index('data-testid="nav-feedback"') :].split("</li>", 1)[0]
    assert "hx-get" not in feedback_entry
