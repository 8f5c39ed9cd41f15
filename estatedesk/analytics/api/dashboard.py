"""The dashboards' API (issue 15, deliverable 6): the same metrics layer as the pages, PDFs and workbooks.

- GET scopes/: the scopes the user may view, widest first (`scopes.scopes_for_user`);
- GET metrics/?scope=&period=: `metrics.metrics_report(...).to_dict()` as it is (fidelity with the page);
  404 for a scope out of reach, 400 {code: analytics.period_invalid} for a period that is none;
- GET drilldown/?scope=&period=&figure=&unit=: the rows behind a figure (`drilldown.drill_rows`), paginated.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.analytics import drilldown
from estatedesk.analytics.api.serializers import (
    AnalyticsScopeOutput,
    DrillInput,
    DrillOutput,
    DrillRowOutput,
    MetricsInput,
    MetricsReportOutput,
)
from estatedesk.analytics.metrics import metrics_report
from estatedesk.analytics.periods import Period, current_month, parse_period
from estatedesk.analytics.scopes import MetricScope, scope_for_user, scopes_for_user
from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.errors import DomainError

ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}


def scope_and_period(request: Request, data: dict[str, Any]) -> tuple[MetricScope, Period]:
    """The scope (the user's widest by default; 403 when the user may view none, 404 for one out of reach)
    and the period (this month by default; 400 analytics.period_invalid for one that is none)."""
    user = request.user
    key = data.get("scope", "").strip()
    if key:
        scope = scope_for_user(user=user, key=key)
    else:
        scopes = scopes_for_user(user)
        if not scopes:
            raise PermissionDenied
        scope = scopes[0]
    text = data.get("period", "").strip()
    period = parse_period(text) if text else Period.month(current_month())
    if period is None:
        raise DomainError(
            "analytics.period_invalid",
            _("Write a period as 2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-20."),
            fields={"period": [_("Not a period.")]},
        )
    return scope, period


def scope_dict(scope: MetricScope) -> dict[str, Any]:
    return {
        "key": scope.key,
        "kind": scope.kind,
        "code": scope.code,
        "name": scope.name,
        "label": scope.label,
        "child_kind": scope.child_kind,
    }


class ScopeListApi(APIView):
    @extend_schema(
        responses={200: AnalyticsScopeOutput(many=True), 403: ErrorOutput},
        summary="The scopes you may view: the company, branches, projects (widest first)",
    )
    def get(self, request: Request) -> Response:
        scopes = scopes_for_user(request.user)
        if not scopes:
            raise PermissionDenied
        return Response(AnalyticsScopeOutput([scope_dict(scope) for scope in scopes], many=True).data)


class MetricsReportApi(APIView):
    @extend_schema(
        parameters=[MetricsInput],
        responses={200: MetricsReportOutput, **ERRORS},
        summary="Every figure of a scope and period, with the period before and a year earlier (R-FB-7)",
    )
    def get(self, request: Request) -> Response:
        payload = MetricsInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        scope, period = scope_and_period(request, payload.validated_data)
        return Response(metrics_report(scope=scope, period=period).to_dict())


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return timezone.localdate(value)
    return value if isinstance(value, date) else None


def drill_row(obj: Any, request: Request) -> dict[str, Any]:
    row = drilldown.drill_row(obj)
    place = row["project"]
    return {
        "reference": row["reference"],
        "title": row["title"],
        "project": getattr(place, "code", None),
        "status": str(row["state"]),
        "date": _day(row["when"]),
        "url": request.build_absolute_uri(row["url"]) if row["url"] else "",
    }


class DrillRowListApi(APIView):
    @extend_schema(
        parameters=[DrillInput],
        responses={200: DrillOutput, **ERRORS},
        summary="The rows behind a figure (of one unit of the breakdown), newest first",
    )
    def get(self, request: Request) -> Response:
        payload = DrillInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        scope, period = scope_and_period(request, data)
        drill = drilldown.drill_rows(
            scope=scope, period=period, figure=data["figure"].strip(), unit_key=data.get("unit", "").strip()
        )
        paginator = CappedPagination()
        page = paginator.paginate_queryset(drill.queryset, request, view=self) or []
        response = paginator.get_paginated_response(
            DrillRowOutput([drill_row(obj, request) for obj in page], many=True).data
        )
        response.data = {
            "figure": drill.figure,
            "drill": drill.key,
            "source": drill.source,
            "label": drill.label,
            "unit": data.get("unit", "").strip(),
            "total": drill.count,
            **response.data,
        }
        return response


urlpatterns = [
    path("scopes/", ScopeListApi.as_view(), name="api-analytics-scopes"),
    path("metrics/", MetricsReportApi.as_view(), name="api-analytics-metrics"),
    path("drilldown/", DrillRowListApi.as_view(), name="api-analytics-drilldown"),
]
