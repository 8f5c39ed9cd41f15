"""The scoring API (R-IR-1): the same figures as the scorecard page (`reporting.scoring.scorecard`).
GET /api/reporting/scorecard/?month=YYYY-MM | year=YYYY [&branch=CODE]. Figures are strings with two
decimals ("59.00"), null when undefined (nothing expected, nothing scored for quality)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.common.errors import DomainError
from estatedesk.org.permissions import can_anywhere
from estatedesk.reporting import scoring
from estatedesk.reporting.scoring import ScopeError

FIGURE: dict[str, Any] = {"max_digits": 7, "decimal_places": 2, "allow_null": True}


class ScoreOutput(serializers.Serializer):
    expected = serializers.IntegerField(source="counts.expected")
    on_time = serializers.IntegerField(source="counts.on_time")
    received = serializers.IntegerField(source="counts.received")
    complete = serializers.IntegerField(source="counts.complete")
    scored = serializers.IntegerField(
        source="counts.scored", help_text="Accepted reports with a quality score"
    )
    timeliness = serializers.DecimalField(help_text="On time ÷ expected, in percent", **FIGURE)
    completeness = serializers.DecimalField(help_text="Received complete ÷ expected, in percent", **FIGURE)
    quality = serializers.DecimalField(help_text="Mean quality score of the accepted reports", **FIGURE)
    total = serializers.DecimalField(help_text="Weighted total", **FIGURE)
    renormalised = serializers.BooleanField(
        help_text="No quality score: the total weighs timeliness and completeness only"
    )


class UnitScoreOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["branch", "own", "project"])
    code = serializers.CharField()
    name = serializers.CharField()
    branch = serializers.CharField(source="branch_code")
    rank = serializers.IntegerField(allow_null=True)
    score = ScoreOutput()


class TrendOutput(serializers.Serializer):
    month = serializers.DateField(format="%Y-%m")
    score = ScoreOutput()


class WeightsOutput(serializers.Serializer):
    timeliness = serializers.DecimalField(max_digits=5, decimal_places=2)
    completeness = serializers.DecimalField(max_digits=5, decimal_places=2)
    quality = serializers.DecimalField(max_digits=5, decimal_places=2)


class ScorecardOutput(serializers.Serializer):
    period = serializers.CharField(source="period.label")
    kind = serializers.ChoiceField(source="period.kind", choices=["month", "year"])
    company = serializers.CharField(source="company.code")
    weights = WeightsOutput()
    headline_label = serializers.CharField(help_text="Whose figure the headline is")
    headline = ScoreOutput()
    branches = UnitScoreOutput(many=True, help_text="Branch companies ranked (company-wide readers)")
    branch = serializers.CharField(source="branch.code", allow_null=True, default=None)
    units = UnitScoreOutput(
        many=True, help_text="The branch's own reports and its projects, or your projects"
    )
    units_ranked = serializers.BooleanField()
    trend = TrendOutput(many=True)


class ScorecardInput(serializers.Serializer):
    month = serializers.CharField(required=False, max_length=7, help_text="YYYY-MM (default: last month)")
    year = serializers.CharField(required=False, max_length=4, help_text="YYYY: the year's pooled figures")
    branch = serializers.CharField(required=False, max_length=20, help_text="Branch code: its units")


class ScorecardApi(APIView):
    @extend_schema(
        parameters=[ScorecardInput],
        responses={200: ScorecardOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="Reporting scores of a month or year (R-IR-1): the scorecard page's figures",
    )
    def get(self, request: Request) -> Response:
        if not can_anywhere(request.user, "reporting.scores"):
            raise PermissionDenied
        payload = ScorecardInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        period = scoring.parse_period(month=data.get("month", ""), year=data.get("year", ""))
        if period is None:
            raise DomainError(
                "reporting.period_invalid",
                _("Write a month as YYYY-MM or a year as YYYY."),
                fields={"year" if data.get("year") else "month": [_("Not a month or a year.")]},
            )
        try:
            card = scoring.scorecard(user=request.user, period=period, branch_code=data.get("branch", ""))
        except ScopeError as exc:
            raise NotFound from exc
        return Response(ScorecardOutput(card).data)


urlpatterns = [path("scorecard/", ScorecardApi.as_view(), name="api-reporting-scorecard")]
