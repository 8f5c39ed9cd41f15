"""Owner archive API: the same scoping and masking as the pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.org.permissions import can_anywhere
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners import selectors
from estatedesk.owners.models import Resident
from estatedesk.owners.privacy import full_phone_policy, id_number_for_display, phones_for_display


class OccupancyOutput(serializers.Serializer):
    project = serializers.CharField(source="unit.project.code")
    unit = serializers.CharField(source="unit.label")
    relation = serializers.CharField()
    moved_in_on = serializers.DateField(source="started_on", allow_null=True)


class ResidentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phones = serializers.SerializerMethodField()
    phones_masked = serializers.SerializerMethodField()
    email = serializers.CharField()
    id_type = serializers.CharField()
    id_number = serializers.SerializerMethodField(
        help_text="Always masked; the full number is shown only on the page, audited."
    )
    preferred_language = serializers.CharField()
    contact_preference = serializers.CharField()
    units = OccupancyOutput(source="current_occupancies", many=True)

    def _full(self, resident: Resident) -> bool:
        return self.context["full_phone"](resident)

    def get_phones(self, resident: Resident) -> list[str]:
        return phones_for_display(resident, full=self._full(resident))

    def get_phones_masked(self, resident: Resident) -> bool:
        return not self._full(resident)

    def get_id_number(self, resident: Resident) -> str:
        return id_number_for_display(resident)


class ArchiveApiMixin:
    request: Any

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if not can_anywhere(request.user, "owners.view"):
            raise PermissionDenied

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["full_phone"] = full_phone_policy(self.request.user)
        return context


@extend_schema(
    parameters=[OpenApiParameter("q", str, description="phone, last 4 digits, name, initials or unit")]
)
class ProjectResidentListApi(ArchiveApiMixin, generics.ListAPIView):
    """The residents of a project; phones masked for roles that do not call owners."""

    serializer_class = ResidentOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Resident.objects.none()
        project = project_get_for_user(user=self.request.user, code=self.kwargs["code"])
        return selectors.resident_list(
            user=self.request.user, project=project, search=self.request.query_params.get("q", "")[:50]
        )


class ResidentDetailApi(ArchiveApiMixin, generics.RetrieveAPIView):
    serializer_class = ResidentOutput

    def get_object(self) -> Resident:
        return selectors.resident_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class ResidentLookupApi(ArchiveApiMixin, APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description="phone, last 4 digits, name, initials or unit"
            )
        ],
        responses=ResidentOutput(many=True),
        summary="Caller lookup across the projects in scope (at most 20 results)",
    )
    def get(self, request: Request) -> Response:
        residents = selectors.resident_lookup(user=request.user, query=request.query_params.get("q", "")[:50])
        return Response(
            ResidentOutput(residents, many=True, context={"full_phone": full_phone_policy(request.user)}).data
        )


class CompletenessOutput(serializers.Serializer):
    project = serializers.CharField()
    occupied_units = serializers.IntegerField()
    complete_units = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    trend = serializers.ListField(child=serializers.DictField())


class ProjectCompletenessApi(ArchiveApiMixin, APIView):
    @extend_schema(responses=CompletenessOutput, summary="Owner archive completeness of a project (R-OA-1)")
    def get(self, request: Request, code: str) -> Response:
        project = project_get_for_user(user=request.user, code=code)
        figure = selectors.completeness_by_project(project_ids=[project.pk])[project.pk]
        trend = [
            {"day": s.day.isoformat(), "rate": s.rate} for s in selectors.completeness_trend(project=project)
        ]
        return Response(
            CompletenessOutput(
                {
                    "project": project.code,
                    "occupied_units": figure.occupied_units,
                    "complete_units": figure.complete_units,
                    "rate": figure.rate,
                    "trend": trend,
                }
            ).data
        )
