"""Who may read the API's description (issue 16, item 4g): the schema (/api/schema/) and its docs page
(/api/docs/) list every endpoint and field, so only signed-in staff (or Django admin users) read them,
unless the setting API_SCHEMA_PUBLIC opens them to everybody. Owners and anonymous visitors do not."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from estatedesk.common.scoping import scope_for


def may_read_schema(user: Any) -> bool:
    if getattr(settings, "API_SCHEMA_PUBLIC", False):
        return True
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff or scope_for(user).is_staff_member)


class SchemaReader(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return may_read_schema(request.user)
