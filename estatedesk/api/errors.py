"""Every API error answers one body: {"code": ..., "message": ..., "fields": {...}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from estatedesk.common.errors import DomainError

CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


class ErrorOutput(serializers.Serializer):
    """The body of every 4xx, for the schema."""

    code = serializers.CharField(help_text="Stable: `invalid`, `not_found`, or `<app>.<rule>`")
    message = serializers.CharField(help_text="For people, in the request's language")
    fields = serializers.DictField(  # type: ignore[assignment] # a field named "fields"
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field, when the error belongs to particular fields",
    )


def error_body(code: str, message: Any, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "fields": fields or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, _flatten(exc.fields)), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _flatten(detail) if isinstance(detail, dict) else {"non_field_errors": _flatten(detail)}
        response.data = error_body("invalid", _("Some fields are not valid."), fields)
    elif isinstance(exc, exceptions.APIException):
        message = exc.detail if not isinstance(exc.detail, (list, dict)) else _("The request failed.")
        wait = getattr(exc, "wait", None)  # set by Throttled (the stubs do not declare it)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            message = _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": int(wait) + 1}
        response.data = error_body(code, message)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response
