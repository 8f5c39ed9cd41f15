"""The alerts' API (issue 15, deliverables 4 and 6): the same selectors and services as the pages.

- GET alerts/: the breaches the user may see (their projects'), newest first, paginated;
- GET alert-rules/, POST alert-rules/: the company's rules, a new rule (`analytics.alerts.manage`);
- PATCH alert-rules/<id>/: change a rule (the same capability).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.analytics import alerts
from estatedesk.analytics.api.serializers import AlertOutput, AlertRuleInput, AlertRuleOutput
from estatedesk.analytics.models import AlertBreach, AlertRule
from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, can_anywhere

MANAGE = "analytics.alerts.manage"
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}


def _require_manage(request: Request) -> Company:
    if not can(request.user, MANAGE):
        raise PermissionDenied
    company = Company.objects.visible_to(request.user).order_by("pk").first()
    if company is None:
        raise Http404
    return company


@extend_schema(
    responses={200: AlertOutput(many=True), 403: ErrorOutput},
    summary="Alerts of your projects (a rule's threshold crossed this week or month), newest first",
)
class AlertListApi(generics.ListAPIView):
    serializer_class = AlertOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[AlertBreach]:
        if getattr(self, "swagger_fake_view", False):
            return AlertBreach.objects.none()
        user = self.request.user
        if not (can_anywhere(user, "analytics.view") or can(user, MANAGE)):
            raise PermissionDenied
        return alerts.alert_breach_list(user=user)


class AlertRuleListApi(APIView):
    @extend_schema(
        responses={200: AlertRuleOutput(many=True), 403: ErrorOutput},
        summary="The company's alert rules (those who manage alerts)",
    )
    def get(self, request: Request) -> Response:
        company = _require_manage(request)
        rules = AlertRule.objects.visible_to(request.user).filter(company=company).order_by("metric", "id")
        return Response(AlertRuleOutput(rules, many=True).data)

    @extend_schema(
        request=AlertRuleInput,
        responses={201: AlertRuleOutput, **ERRORS},
        summary="Add an alert rule (checked from the next daily run)",
    )
    def post(self, request: Request) -> Response:
        company = _require_manage(request)
        payload = AlertRuleInput(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = alerts.alert_rule_create(actor=request.user, company=company, data=payload.validated_data)
        return Response(AlertRuleOutput(rule).data, status=status.HTTP_201_CREATED)


class AlertRuleUpdateApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The rule's id")],
        request=AlertRuleInput(partial=True),
        responses={200: AlertRuleOutput, **ERRORS},
        summary="Change an alert rule: only the fields sent",
    )
    def patch(self, request: Request, pk: int) -> Response:
        _require_manage(request)
        rule = alerts.alert_rule_get_for_user(user=request.user, pk=pk)
        payload = AlertRuleInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        rule = alerts.alert_rule_update(actor=request.user, rule=rule, data=payload.validated_data)
        return Response(AlertRuleOutput(rule).data)


urlpatterns = [
    path("alerts/", AlertListApi.as_view(), name="api-analytics-alerts"),
    path("alert-rules/", AlertRuleListApi.as_view(), name="api-analytics-alert-rules"),
    path("alert-rules/<int:pk>/", AlertRuleUpdateApi.as_view(), name="api-analytics-alert-rule"),
]
