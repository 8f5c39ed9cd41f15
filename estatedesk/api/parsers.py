"""The API's JSON parser: DRF's, refusing with 400 (never a 500, issue 16 item 4h) what no endpoint takes
and what would fail deep in the database or the JSON decoder:

- nesting deeper than MAX_DEPTH (Python's decoder gives up near 1,000 levels with a RecursionError);
- strings or keys with a NUL character (PostgreSQL refuses it) or a lone surrogate such as "\\ud800" (no
  database can store it as UTF-8);
- integers beyond 64 bits (no column holds them; an `id__in` query with one fails) and non-finite numbers.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
LARGEST_INTEGER = 2**63 - 1


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def _bad_scalar(value: Any) -> bool:
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > LARGEST_INTEGER
    if isinstance(value, float):
        return not math.isfinite(value)
    return False


def check_json(data: Any) -> str | None:
    """What is wrong with a decoded JSON document, for people; None when nothing is."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
            if isinstance(value, dict):
                if any(_bad_text(key) for key in value):
                    return _("The JSON holds a character that is not allowed (NUL or a lone surrogate).")
                children = list(value.values())
            else:
                children = value
            stack.extend((child, depth + 1) for child in children)
        elif _bad_scalar(value):
            return _(
                "The JSON holds a character that is not allowed (NUL or a lone surrogate) or a number "
                "out of range."
            )
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(
                _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
            ) from error
        problem = check_json(data)
        if problem is not None:
            raise ParseError(problem)
        return data
