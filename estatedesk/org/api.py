"""Read endpoints of the organisation, one view per operation, scoped like the pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org import selectors, serializers
from estatedesk.org.models import Building, Project, Unit
from estatedesk.org.permissions import can_anywhere


class StaffOnlyMixin:
    request: Any

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if not can_anywhere(request.user, "org.view"):
            raise PermissionDenied


class BranchListApi(StaffOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.BranchOutput

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.branch_list(user=self.request.user).order_by("code")


class ProjectFilter(django_filters.FilterSet):
    branch = django_filters.CharFilter(field_name="branch__code")

    class Meta:
        model = Project
        fields = ["branch"]


class ProjectListApi(generics.ListAPIView):
    """Staff see the projects their roles cover; owners the projects they live in."""

    serializer_class = serializers.ProjectOutput
    filterset_class = ProjectFilter

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.project_list(user=self.request.user)


class ProjectDetailApi(generics.RetrieveAPIView):
    serializer_class = serializers.ProjectOutput
    lookup_field = "code"

    def get_object(self) -> Project:
        return get_for_user_or_404(
            selectors.project_list(user=self.request.user), user=self.request.user, code=self.kwargs["code"]
        )


class BuildingListApi(generics.ListAPIView):
    serializer_class = serializers.BuildingOutput

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return Building.objects.none()
        project = selectors.project_get_for_user(user=self.request.user, code=self.kwargs["code"])
        return selectors.building_list(user=self.request.user, project=project).select_related("project")


class UnitFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    building = django_filters.CharFilter(field_name="building__code")

    class Meta:
        model = Unit
        fields = ["project", "building"]


class UnitListApi(generics.ListAPIView):
    """Staff see the units of their projects; an owner only their own units."""

    serializer_class = serializers.UnitOutput
    filterset_class = UnitFilter

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.unit_list(user=self.request.user).order_by("project__code", "label")


class DepartmentListApi(StaffOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.DepartmentOutput

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.department_list(user=self.request.user).order_by("id")


class CalendarListApi(StaffOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.CalendarOutput

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.calendar_list(user=self.request.user)


class HolidayListApi(StaffOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.HolidayOutput

    def get_queryset(self) -> QuerySet[Any]:
        try:
            year = int(self.request.query_params.get("year", ""))
        except ValueError:
            from django.utils import timezone

            year = timezone.localdate().year
        return selectors.holiday_list(user=self.request.user, year=year)
