"""The monthly packs' API (issue 15, deliverables 3, 5 and 6): stored packs as they were made, never
recomputed, and a regeneration through the same service as the page (`packs.pack_regenerate`).

- GET packs/?scope=&month=: the packs the user may open (`analytics.pack` at the pack's scope, over
  `MonthlyPack.objects.visible_to`), newest month first, versions together;
- GET packs/<id>/: its stored figures, lists, corrections, change note, versions and download URLs (the
  recipient's first reading is recorded, as on the page);
- GET packs/<id>/pdf/, packs/<id>/workbook/: the stored files (404 for a pack out of reach);
- POST packs/regenerate/ {scope, month, note}: the next version (`analytics.pack.regenerate`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.analytics.api.serializers import (
    PackDetailOutput,
    PackFilterInput,
    PackOutput,
    PackRegenerateInput,
)
from estatedesk.analytics.choices import PeriodKind
from estatedesk.analytics.models import MonthlyPack
from estatedesk.analytics.packs import pack_delivery_open, pack_regenerate
from estatedesk.analytics.periods import parse_period
from estatedesk.analytics.scopes import scope_for_user
from estatedesk.analytics.selectors import ARCHIVE_LIMIT, may_open, pack_get_for_user
from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import StandardPagination
from estatedesk.common.errors import DomainError
from estatedesk.org.permissions import can_anywhere

PACK = "analytics.pack"
PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The pack's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_pack(request: Request) -> None:
    if not can_anywhere(request.user, PACK):
        raise PermissionDenied


def _month(text: str, field: str = "month") -> Any:
    period = parse_period(text)
    if period is None or period.kind != PeriodKind.MONTH:
        raise DomainError(
            "analytics.month_invalid",
            _("Write a month as YYYY-MM, e.g. 2026-11."),
            fields={field: [_("Not a month.")]},
        )
    return period.start


def _detail(request: Request, pack: MonthlyPack, code: int = status.HTTP_200_OK) -> Response:
    versions = list(
        MonthlyPack.objects.visible_to(request.user)
        .filter(company_id=pack.company_id, scope_key=pack.scope_key, month=pack.month)
        .order_by("-version")
        .only("id", "version", "generated_at", "trigger")
    )
    context = {"request": request, "versions": versions}
    return Response(PackDetailOutput(pack, context=context).data, status=code)


class PackListApi(APIView):
    @extend_schema(
        parameters=[PackFilterInput],
        responses={200: PackOutput(many=True), **ERRORS},
        summary="The monthly packs you may open, newest month first (at most 500)",
    )
    def get(self, request: Request) -> Response:
        _require_pack(request)
        payload = PackFilterInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        packs = MonthlyPack.objects.visible_to(request.user).select_related("generated_by")
        if data.get("scope", "").strip():
            scope = scope_for_user(user=request.user, key=data["scope"].strip())  # 404 when out of reach
            packs = packs.filter(company_id=scope.company_id, scope_key=scope.key)
        if data.get("month", "").strip():
            packs = packs.filter(month=_month(data["month"].strip()))
        ordered = packs.order_by("-month", "scope_kind", "scope_key", "-version")[:ARCHIVE_LIMIT]
        rows = [pack for pack in ordered if may_open(request.user, pack)]
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []  # type: ignore[arg-type]
        return paginator.get_paginated_response(
            PackOutput(page, many=True, context={"request": request}).data
        )


class PackDetailApi(APIView):
    @extend_schema(
        parameters=[PK],
        responses={200: PackDetailOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="A pack as it was made: figures, lists, corrections, change note, versions, downloads",
    )
    def get(self, request: Request, pk: int) -> Response:
        _require_pack(request)
        pack = pack_get_for_user(user=request.user, pk=pk)
        pack_delivery_open(pack=pack, user=request.user)
        return _detail(request, pack)


def _download(stored: FieldFile, filename: str, content_type: str) -> FileResponse:
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except (OSError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _filename(pack: MonthlyPack, suffix: str) -> str:
    return f"月度报告-{pack.month:%Y-%m}-{pack.scope_label}-v{pack.version}.{suffix}".replace("/", "-")


class PackPdfApi(APIView):
    @extend_schema(
        parameters=[PK],
        responses={
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The stored PDF"),
            403: ErrorOutput,
            404: ErrorOutput,
        },
        summary="The pack's PDF, as stored when it was made",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        _require_pack(request)
        pack = pack_get_for_user(user=request.user, pk=pk)
        return _download(pack.pdf, _filename(pack, "pdf"), PDF)


class PackWorkbookApi(APIView):
    @extend_schema(
        parameters=[PK],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The stored workbook"),
            403: ErrorOutput,
            404: ErrorOutput,
        },
        summary="The pack's workbook (a sheet per table), as stored when it was made",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        _require_pack(request)
        pack = pack_get_for_user(user=request.user, pk=pk)
        return _download(pack.workbook, _filename(pack, "xlsx"), XLSX)


class PackRegenerateApi(APIView):
    @extend_schema(
        request=PackRegenerateInput,
        responses={201: PackDetailOutput, **ERRORS, 409: ErrorOutput},
        summary="Make a scope's month again: the next version, with a note of why (sent to its recipients)",
    )
    def post(self, request: Request) -> Response:
        _require_pack(request)
        payload = PackRegenerateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        scope = scope_for_user(user=request.user, key=data["scope"].strip())  # 404 when out of reach
        month = _month(data["month"].strip())
        pack = pack_regenerate(scope=scope, month=month, actor=request.user, note=data["note"])
        return _detail(request, pack, status.HTTP_201_CREATED)


urlpatterns = [
    path("packs/", PackListApi.as_view(), name="api-analytics-packs"),
    path("packs/regenerate/", PackRegenerateApi.as_view(), name="api-analytics-pack-regenerate"),
    path("packs/<int:pk>/", PackDetailApi.as_view(), name="api-analytics-pack"),
    path("packs/<int:pk>/pdf/", PackPdfApi.as_view(), name="api-analytics-pack-pdf"),
    path("packs/<int:pk>/workbook/", PackWorkbookApi.as_view(), name="api-analytics-pack-workbook"),
]
