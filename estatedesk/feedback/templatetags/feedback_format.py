"""Times as the item page prints them, without Django's `date` filter reading its format string letter by
letter on every call (a page prints twenty of them): `{{ at|minute }}` is `{{ at|date:"Y-m-d H:i" }}` and
`{{ at|iso }}` is `{{ at|date:"c" }}`, in the active time zone like `date` (test_item_page_forms holds them
to it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def minute(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, date) and hasattr(value, "hour") else ""


@register.filter(expects_localtime=True)
def iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) and hasattr(value, "hour") else ""
