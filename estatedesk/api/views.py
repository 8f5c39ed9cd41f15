"""Shared API endpoints: who am I, and JSON answers for unknown API paths."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import error_body
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


def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)
