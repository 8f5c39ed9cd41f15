"""Owner archive API: the same scoping and masking as the pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.org.permissions import can_anywhere
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners import selectors
from estatedesk.owners.models import Resident
from estatedesk.owners.privacy import ResidentContacts, full_phone_policy


class OccupancyOutput(serializers.Serializer):
    project = serializers.CharField(source="unit.project.code")
    unit = serializers.CharField(source="unit.label")
    relation = serializers.CharField()
    moved_in_on = serializers.DateField(source="started_on", allow_null=True)


class PastOccupancyOutput(OccupancyOutput):
    moved_out_on = serializers.DateField(source="ended_on")


class ResidentOutput(serializers.Serializer):
    """A resident as the signed-in user may see them: the units of the user's scope only; a resident who
    left the user's projects shows `moved_out_on` and only what those projects recorded (issue 16)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    phones = serializers.SerializerMethodField()
    phones_masked = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    id_type = serializers.CharField()
    id_number = serializers.SerializerMethodField(
        help_text="Always masked; the full number is shown only on the page, audited."
    )
    preferred_language = serializers.CharField()
    contact_preference = serializers.CharField()
    units = OccupancyOutput(source="current_occupancies", many=True)
    past_units = serializers.SerializerMethodField()
    moved_out_on = serializers.SerializerMethodField(
        help_text="Set when none of the units you see is occupied by the resident now"
    )

    def _contacts(self, resident: Resident) -> ResidentContacts:
        cached: ResidentContacts | None = getattr(resident, "_api_contacts", None)
        if cached is None:
            cached = selectors.resident_contacts(
                user=self.context["user"], resident=resident, full_phone=self.context["full_phone"]
            )
            resident._api_contacts = cached  # type: ignore[attr-defined]
        return cached

    def get_phones(self, resident: Resident) -> list[str]:
        return self._contacts(resident).phones

    def get_phones_masked(self, resident: Resident) -> bool:
        return self._contacts(resident).phones_masked

    def get_email(self, resident: Resident) -> str:
        return self._contacts(resident).email

    def get_id_number(self, resident: Resident) -> str:
        return self._contacts(resident).id_number

    @extend_schema_field(PastOccupancyOutput(many=True))
    def get_past_units(self, resident: Resident) -> Any:
        return PastOccupancyOutput(getattr(resident, "past_occupancies", []), many=True).data

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_moved_out_on(self, resident: Resident) -> str | None:
        moved_out_on = self._contacts(resident).moved_out_on
        return moved_out_on.isoformat() if moved_out_on else None


class ArchiveApiMixin:
    request: Any

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if not can_anywhere(request.user, "owners.view"):
            raise PermissionDenied

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["full_phone"] = full_phone_policy(self.request.user)
        context["user"] = self.request.user
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
        context = {"full_phone": full_phone_policy(request.user), "user": request.user}
        return Response(ResidentOutput(residents, many=True, context=context).data)


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
