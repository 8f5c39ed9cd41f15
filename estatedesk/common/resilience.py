"""Answers for an overloaded or oversized request (issue 16, item 8): never a 500 and never a worker held.

- `DatabaseBusyMiddleware`: a view that meets a locked SQLite database (after the 20 s busy timeout), a
  PostgreSQL serialization failure, deadlock, lock or statement timeout, or a lost connection answers
  503 with `Retry-After` (the API's error body with code `unavailable` under /api/), not a 500.
- `RequestBodyLimitMiddleware`: a request body larger than its route's limit answers 413 before a byte of
  it is read. The limits are one table in settings (`ESTATEDESK_REQUEST_BODY_LIMITS`): rows name a URL
  (`namespace:name`) or a path prefix (`/api/`), the first match wins and `*` is the rest. A body sent
  without Content-Length (chunked) is counted as it is read and refused at the same limit.

docs/deployment.md, "Request size limits", says what the proxy in front does about slow uploads.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# SQLite result codes (the low byte of the extended code): SQLITE_BUSY, SQLITE_LOCKED
SQLITE_BUSY_CODES = frozenset({5, 6})
# PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock, lock timeout (lock_not_available),
# statement timeout (query_canceled), server shutting down or starting, too many connections; and class 08,
# the connection exceptions.
POSTGRES_RETRY_STATES = frozenset({"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300"})
# the same, in the words of drivers that give no code
BUSY_PHRASES = (
    "database is locked",
    "database table is locked",
    "database schema is locked",
    "server closed the connection",
    "connection already closed",
    "terminating connection",
    "could not connect",
)


def database_unavailable(error: BaseException) -> bool:
    """Whether a database error means "busy or away for a moment" (worth a retry), not a bug."""
    if isinstance(error, InterfaceError):
        return True  # the connection was closed under us
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return sqlite_code & 0xFF in SQLITE_BUSY_CODES
    state = getattr(cause, "sqlstate", None)
    if isinstance(state, str) and state:
        return state in POSTGRES_RETRY_STATES or state.startswith("08")
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        return True  # psycopg gives no SQLSTATE when the connection itself failed
    message = str(error).lower()
    return any(phrase in message for phrase in BUSY_PHRASES)


# --- the answers --------------------------------------------------------------------------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(
    request: HttpRequest, *, status: int, code: str, title: str, message: str, with_context: bool = True
) -> HttpResponse:
    """The site's error page (templates/error.html) or, under /api/, the API's error body.

    `with_context=False` renders without the request's context processors, which read the database: the
    answer to a database that is away must not need it."""
    if _is_api(request):
        return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)
    context = {"status": status, "title": title, "message": message}
    body: str
    try:
        body = loader.render_to_string("error.html", context, request if with_context else None)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        body = f"<h1>{status}</h1><p>{escape(message)}</p>"
    return HttpResponse(body, status=status)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    seconds = int(settings.ESTATEDESK_RETRY_AFTER_SECONDS)
    response = error_response(
        request,
        status=503,
        code="unavailable",
        title=_("Busy, please try again"),
        message=_("The system is busy at the moment. Please try again in %(seconds)d seconds.")
        % {"seconds": seconds},
        with_context=False,
    )
    response["Retry-After"] = str(seconds)
    return response


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    response = error_response(
        request,
        status=413,
        code="too_large",
        title=_("Too much to send at once"),
        message=_("The request is too large: at most %(size)s can be sent here at once.")
        % {"size": size_for_people(limit)},
    )
    response["Connection"] = "close"  # the rest of the body is never read
    return response


def size_for_people(size: int) -> str:
    """10485760 → "10 MB"; 1536 → "1.5 KB"."""
    for unit, factor in (("MB", 2**20), ("KB", 2**10)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} B"


# --- the 503 ------------------------------------------------------------------------------------------------


class DatabaseBusyMiddleware:
    """A view's busy or lost database → 503 with Retry-After (see `database_unavailable`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        logger.warning(
            "database unavailable, answered 503: %s %s: %s", request.method, request.path, exception
        )
        return unavailable_response(request)


# --- the 413 ------------------------------------------------------------------------------------------------


class RequestBodyTooLarge(RequestDataTooBig):
    """A body without Content-Length went past its route's limit while being read. A RequestDataTooBig, so
    that where it is not turned into a 413 Django still answers 400, never 500."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class CappedReader(io.IOBase):
    """A file-like reader of at most `limit` bytes from `stream`; reading past it raises
    RequestBodyTooLarge (one byte more is asked for, so a body of exactly `limit` bytes passes). Not
    seekable, like the WSGI input it wraps."""

    def __init__(self, stream: Any, limit: int) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self.count = 0
        self.exceeded = False

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limit:
            self.exceeded = True
            raise RequestBodyTooLarge(self.limit)
        return data

    def _allowance(self, size: int | None) -> int:
        left = self.limit + 1 - self.count
        return left if size is None or size < 0 else min(size, left)

    def read(self, size: int | None = -1, /) -> bytes:
        return self._counted(self.stream.read(self._allowance(size)))

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1, /) -> bytes:
        return self._counted(self.stream.readline(self._allowance(size)))


def _route_matches(rule: str, path: str, view_name: str) -> bool:
    if rule == "*":
        return True
    if rule.startswith("/"):
        return path.startswith(rule)
    return rule == view_name


def request_body_limit(path: str, limits: Sequence[tuple[str, int]] | None = None) -> int:
    """The body limit of the first row of `limits` (the settings' table by default) matching `path`."""
    rows = settings.ESTATEDESK_REQUEST_BODY_LIMITS if limits is None else limits
    view_name = ""
    if any(not rule.startswith("/") and rule != "*" for rule, _limit in rows):
        try:
            view_name = resolve(path).view_name
        except Resolver404:
            view_name = ""
    for rule, limit in rows:
        if _route_matches(rule, path, view_name):
            return int(limit)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def smallest_body_limit() -> int:
    """The lowest limit of the settings' table: a body no larger passes whatever its route (most requests,
    every GET without a body, are answered without resolving the URL twice)."""
    rows = settings.ESTATEDESK_REQUEST_BODY_LIMITS
    return min([int(limit) for _rule, limit in rows] or [int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)])


def _content_length(meta: dict[str, Any]) -> int | None:
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class RequestBodyLimitMiddleware:
    """413 before the body is read when Content-Length says it is larger than the route's limit; a body
    without Content-Length is read through a CappedReader. Stands before every middleware that reads
    the body (CSRF reads form posts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request.META)
        if length is None and "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            length = 0  # HTTP/1.1: a request with neither Content-Length nor chunked encoding has no body
        if length is not None and length <= smallest_body_limit():
            return self.get_response(request)  # within every route's limit: no need to find the route
        limit = request_body_limit(request.path_info)
        if length is not None and length > limit:
            logger.info("request body of %s bytes refused (limit %s): %s", length, limit, request.path)
            return too_large_response(request, limit)
        if length is not None or "wsgi.input" not in request.META:
            return self.get_response(request)
        # chunked: Django's own stream reads nothing without a length; ours counts up to the limit
        reader = CappedReader(request.META["wsgi.input"], limit)
        request.META["wsgi.input"] = reader
        request._stream = reader  # type: ignore[attr-defined,assignment] # WSGIRequest reads its body from here
        response = self.get_response(request)
        # went past the limit wherever it was read (CSRF reads form posts before the view: Django's 400)
        return too_large_response(request, limit) if reader.exceeded else response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return too_large_response(request, exception.limit)
        return None
