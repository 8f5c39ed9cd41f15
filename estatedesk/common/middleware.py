"""Request-level helpers."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import translation


class ActorLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's; an explicit switch stores it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user and user.is_authenticated else ""
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language and not cookie:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """Whatever answers a signed-in user (pages, exports, API answers) may hold personal data: no browser
    or proxy cache keeps it (`Cache-Control: private, no-store`, issue 16 item 4b). A view that sets its
    own Cache-Control keeps it. Anonymous answers (the sign-in pages, the public QR form) are left alone,
    and static files never get here (whitenoise answers them first).

    API requests signed in with a token count too: DRF sets the user on the request when it authenticates.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"  # what patch_cache_control writes
        return response


# Integers the database can hold (64-bit); a longer run of digits is nobody's id, page or year.
_INTEGER = re.compile(r"\s*[-+]?\d{19,}\s*")
_LARGEST = 2**63 - 1
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _malformed(value: str) -> bool:
    """A NUL character (PostgreSQL refuses it in text) or a number beyond 64 bits (no column holds it)."""
    if "\x00" in value:
        return True
    if len(value) < 19 or not _INTEGER.fullmatch(value):  # fewer characters than 19 digits: fits
        return False
    digits = value.strip().lstrip("+-").lstrip("0")
    # compare by length first: int() of a 10,000-digit string raises ValueError (Python's digit limit)
    return len(digits) > len(str(_LARGEST)) or (len(digits) == len(str(_LARGEST)) and int(digits) > _LARGEST)


def _fields_malformed(data: QueryDict) -> bool:
    return any(_malformed(key) or any(_malformed(v) for v in values) for key, values in data.lists())


class RejectMalformedInputMiddleware:
    """Crafted input answers 400 before any view sees it, never a 500 (issue 16, item 4h): a NUL in the
    path, a query parameter or a form field, or a number too large for any column. Lone surrogates cannot
    arrive this way (Django decodes paths, query strings and forms with replacement characters); JSON
    bodies are checked by the API's parser (estatedesk.api.parsers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _fields_malformed(request.GET):
            raise BadRequest("malformed path or query string")
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in _FORM_TYPES and _fields_malformed(request.POST):
            raise BadRequest("malformed form field")
        return self.get_response(request)
