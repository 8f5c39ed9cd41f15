"""Error pages in the user's language, never a traceback; API paths get the JSON error body."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from estatedesk.common import resilience
from estatedesk.common.navigation import nav_badge


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if _is_api(request):
        codes = {400: "invalid", 403: "permission_denied", 404: "not_found", 500: "server_error"}
        return JsonResponse({"code": codes[status], "message": message, "fields": {}}, status=status)
    body: str
    try:
        body = loader.render_to_string(
            "error.html", {"status": status, "title": title, "message": message}, request
        )
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        body = f"<h1>{status}</h1><p>{message}</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 400, _("Bad request"), _("The request could not be understood."))


logger = logging.getLogger("estatedesk.request")


def _one_line(value: object) -> str:
    """A value for the log on one line: control characters and newlines escaped, so a crafted path or
    reason cannot forge a second line."""
    return str(value).encode("unicode_escape").decode("ascii")


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """The 403 page. A refusal is routine (a user following an old link, a probe), so it is logged as one
    warning line (method, path, user id, reason), never with a traceback: Django's own log line for it,
    which carries the exception's traceback, is skipped by marking the response as logged."""
    response = _page(request, 403, _("No access"), _("You do not have access to this page."))
    user_id = getattr(getattr(request, "user", None), "pk", None)
    reason = str(exception) if exception is not None and str(exception) else "-"
    logger.warning(
        "Forbidden: %s %s user=%s reason=%s",
        _one_line(request.method),
        _one_line(request.path),
        user_id if user_id is not None else "-",
        _one_line(reason),
        extra={"status_code": 403, "request": request},
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response
    return response


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(
        request, 404, _("Not found"), _("This page does not exist, or you do not have access to it.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the error is a busy or lost database raised outside a view (the
    session saved after it, a middleware): the same answer the view-level middleware gives."""
    error = sys.exception()
    if error is not None and resilience.database_unavailable(error):
        return resilience.unavailable_response(request)
    return _page(
        request, 500, _("Something went wrong"), _("The error has been logged. Please try again later.")
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for by themselves: the static icon, so it is not a 404 in the log."""
    return HttpResponseRedirect(static("favicon.ico"))


@login_required
@require_GET
def nav_badge_fragment(request: HttpRequest, key: str) -> HttpResponse:
    """The number beside a menu item, asked for by the page once loaded (htmx): nothing when there is
    none or it is zero. Only the signed-in user's own number."""
    count = nav_badge(key, request.user)
    response = render(request, "includes/nav_badge.html", {"key": key, "count": count or 0})
    return response
