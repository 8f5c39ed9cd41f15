"""Role-aware navigation: each app registers its menu items in AppConfig.ready; the context processor
shows a user the items whose `visible(user)` is true."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse


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


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


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
            "url": reverse(item.url_name),
            "icon": item.icon,
            "active": _is_current(item, current, exact_elsewhere=exact),
        }
        for item in visible
    ]
    return {"nav_items": items}
