"""Shared API endpoints: who am I, the API's docs page, and JSON answers for unknown API paths."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import error_body
from estatedesk.api.permissions import may_read_schema
from estatedesk.common.scoping import scope_for


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    language = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_global = serializers.BooleanField()
    project_ids = serializers.ListField(child=serializers.IntegerField())
    is_owner = serializers.BooleanField()


class MeApi(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in user and the scope of their roles")
    def get(self, request: Request) -> Response:
        scope = scope_for(request.user)
        user: Any = request.user
        return Response(
            MeOutput(
                {
                    "id": user.pk,
                    "username": user.username,
                    "display_name": str(user),
                    "language": user.preferred_language or "zh-hans",
                    "roles": sorted(scope.all_roles),
                    "is_global": scope.is_global,
                    "project_ids": sorted(scope.project_ids),
                    "is_owner": scope.is_owner,
                }
            ).data
        )


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI without inline script or style (the page's script is a second request to this view, with
    `?script`); a visitor who is not signed in is sent to the sign-in page first."""

    template_name = "api/swagger_ui.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_read_schema(request.user) and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)
