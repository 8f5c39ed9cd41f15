"""The analysis API (R-SV-3, R-SV-4): a campaign's figures, the same dict an approved report freezes
(figures.figures_snapshot). Errors answer {code, message, fields} (api/errors.py)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.org.permissions import can_anywhere
from estatedesk.surveys import selectors
from estatedesk.surveys.figures import campaign_figures, figures_snapshot

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The campaign's reference, e.g. SV-QD-A-202611-01"
)


def _rate(rate: str | None, rated: int, unrated: int, unsatisfied: int, caution: bool) -> dict[str, Any]:
    return {
        "rate": rate,
        "counts": {
            "very_satisfied": 0,
            "satisfied": rated - unsatisfied,
            "fairly_satisfied": 0,
            "unsatisfied": unsatisfied,
            "unrated": unrated,
            "rated": rated,
        },
        "caution": caution,
    }


EXAMPLE: dict[str, Any] = {
    "campaign": {
        "reference": "SV-QD-A-202611-01",
        "title": "2026年11月满意度调查",
        "project": "QD-A",
        "runner": "customer_service",
        "status": "closed",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
    },
    "rules": {"return_rate_threshold": "90.00", "small_sample_below": 30},
    "overall": _rate("83.33", 12, 3, 2, True),
    "items": [
        {"id": 11, "label": "工程维修", "label_en": "Engineering repairs", "department_kind": "engineering"}
        | _rate("83.33", 12, 1, 2, True),
        {"id": 12, "label": "保洁卫生", "label_en": "Cleaning", "department_kind": "cleaning"}
        | _rate(None, 0, 2, 0, False),
    ],
    "areas": [
        {"id": 21, "area_id": 5, "name": "1号楼"}
        | _rate("90.00", 10, 2, 1, True)
        | {
            "handed_out": 12,
            "returned": 11,
            "return_rate": "91.67",
            "passes": True,
            "has_waiver": False,
            "waiver_reason": "",
        },
    ],
    "cells": [{"item": 11, "area": 21} | _rate("90.00", 10, 1, 1, True)],
    "returns": {"handed_out": 12, "returned": 11, "rate": "91.67"},
    "pareto": [
        {
            "item": 11,
            "label": "工程维修",
            "count": 2,
            "share": "100.00",
            "cumulative": "100.00",
            "vital": True,
        }
    ],
    "comparison": {
        "previous": {
            "reference": "SV-QD-A-202610-01",
            "title": "2026年10月满意度调查",
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
        },
        "items": [
            {
                "item": 11,
                "label": "工程维修",
                "then": _rate("75.00", 8, 0, 2, True),
                "now": _rate("83.33", 12, 1, 2, True),
                "change_points": "8.33",
            }
        ],
        "overall": {
            "then": _rate("75.00", 8, 0, 2, True),
            "now": _rate("83.33", 12, 3, 2, True),
            "change_points": "8.33",
        },
    },
}

DESCRIPTION = (
    "Every rate is a string with two decimals, rounded half-up from the exact fraction, or null when nobody "
    "rated (shown “—”); `counts` beside it (rated, unrated = 未表态, each rating); `caution` when fewer "
    "answers than rules.small_sample_below were rated. Satisfaction rate = (very satisfied + satisfied + "
    "fairly satisfied) ÷ (those + unsatisfied) × 100; overall and per-area figures pool the counts. "
    "`pareto`: the unsatisfied answers by item, descending. `comparison`: the previous closed campaign of "
    "the same project and running department (null when none); change in percentage points."
)


class CampaignFiguresApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=DESCRIPTION,
                examples=[OpenApiExample("A campaign's figures", value=EXAMPLE, response_only=True)],
            ),
            403: ErrorOutput,
            404: ErrorOutput,
        },
        summary="A campaign's figures: survey table, returns, Pareto rows, comparison (R-SV-3, R-SV-4)",
    )
    def get(self, request: Request, reference: str) -> Response:
        if not can_anywhere(request.user, "surveys.view"):
            raise PermissionDenied
        campaign = selectors.campaign_get_for_user(user=request.user, reference=reference)
        return Response(figures_snapshot(campaign_figures(campaign)))


urlpatterns: list[URLPattern] = [
    path("campaigns/<str:reference>/figures/", CampaignFiguresApi.as_view(), name="api-surveys-figures"),
]
