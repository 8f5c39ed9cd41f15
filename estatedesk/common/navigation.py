"""Role-aware navigation: each app registers its menu items in AppConfig.ready; the context processor
shows a user the items whose `visible(user)` is true."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int
    visible: Callable[[Any], bool]
    icon: str = "•"
    # view names (or "namespace:" prefixes) under which the item is shown as the current one
    active_for: tuple[str, ...] = ()


_items: dict[str, NavItem] = {}
# a number shown beside a menu item (e.g. the work waiting on "Home"), given by an app that may not be the
# item's own: badge(user) -> int, or None for no number
_badges: dict[str, Callable[[Any], int | None]] = {}


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


def register_nav_badge(key: str, badge: Callable[[Any], int | None]) -> None:
    _badges[key] = badge


def nav_badge(key: str, user: Any) -> int | None:
    """The number beside menu item `key` for `user` (None: none). The page shows it by asking for it once
    loaded (`common.views.nav_badge_fragment`): counting the work of a whole company must not hold up
    every page."""
    badge = _badges.get(key)
    if badge is None or not getattr(user, "is_authenticated", False):
        return None
    return badge(user)


def nav_items_for(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted((item for item in _items.values() if item.visible(user)), key=lambda item: item.order)


def _is_current(item: NavItem, current: str, *, exact_elsewhere: bool) -> bool:
    """The item of the current page; a "namespace:" prefix yields to an item that is the page itself
    ("feedback:" covers the feedback pages, but not the statistics page that has an item of its own)."""
    if current == item.url_name or current in item.active_for:
        return True
    return not exact_elsewhere and any(
        name.endswith(":") and current.startswith(name) for name in item.active_for
    )


# (url name, the URL configuration, the script prefix) -> its URL: every page's menu reverses a dozen names,
# and the answer changes only with the URL configuration or the prefix the site is mounted under
_urls: dict[tuple[str, Any, str], str] = {}


def _url(name: str, *args: str) -> str:
    key = (f"{name}/{'/'.join(args)}", get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(name, args=list(args))
    return url


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    visible = nav_items_for(user)
    exact = any(current == item.url_name or current in item.active_for for item in visible)
    items = [
        {
            "key": item.key,
            "label": item.label,
            "url": _url(item.url_name),
            "icon": item.icon,
            "active": _is_current(item, current, exact_elsewhere=exact),
            "badge_url": _url("nav_badge", item.key) if item.key in _badges else "",
        }
        for item in visible
    ]
    return {"nav_items": items, "nav_html": nav_html(items)}


def nav_html(items: list[dict[str, Any]]) -> SafeString:
    """The menu's <li> elements, as base.html printed them through a template per item (more than half of
    the base template's time, on every page); every value escaped."""
    html = []
    for item in items:
        key = escape(item["key"])
        active = item["active"]
        badge = (
            f'<span hx-get="{escape(item["badge_url"])}" hx-trigger="load" hx-swap="outerHTML"'
            f' data-testid="nav-badge-{key}"></span>'
            if item["badge_url"]
            else ""
        )
        html.append(
            f'<li><a href="{escape(item["url"])}" class="nav-link{" is-active" if active else ""}"'
            f'{' aria-current="page"' if active else ""} data-testid="nav-{key}">'
            f'<span class="nav-link__icon" aria-hidden="true">{escape(item["icon"])}</span>'
            f'<span class="nav-link__label">{escape(str(item["label"]))}</span>{badge}</a></li>'
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value above is escaped


# --- the home page's sections -------------------------------------------------------------------------
# The home page (org) shows what other apps put on it (the feedback work queues), without importing them:
# an app registers a builder that returns the section for a request, or None for nothing.


@dataclass(frozen=True)
class HomeSection:
    template: str
    context: dict[str, Any]


_home_sections: dict[str, tuple[int, Callable[[HttpRequest], HomeSection | None]]] = {}


def register_home_section(key: str, order: int, build: Callable[[HttpRequest], HomeSection | None]) -> None:
    _home_sections[key] = (order, build)


def home_sections_for(request: HttpRequest) -> list[HomeSection]:
    sections = []
    for _order, build in sorted(_home_sections.values(), key=lambda entry: entry[0]):
        section = build(request)
        if section is not None:
            sections.append(section)
    return sections
