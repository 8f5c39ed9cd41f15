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


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [
        {
            "key": item.key,
            "label": item.label,
            "url": reverse(item.url_name),
            "icon": item.icon,
            "active": current == item.url_name
            or any(
                current == name or (name.endswith(":") and current.startswith(name))
                for name in item.active_for
            ),
        }
        for item in nav_items_for(user)
    ]
    return {"nav_items": items}
