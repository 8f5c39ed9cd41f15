"""Community activities API (R-CS-3): the same selectors and services as the pages
(reporting/activities.py). Staff of an activity's project (and company-wide roles) see it; anyone else
gets 404; planning and recording need reporting.activities at the project (403). Photos are links to the
pages' photo views, which check the same scope. Errors answer {code, message, fields}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import URLPattern, path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.feedback.api import PersonOutput
from estatedesk.org.permissions import can_anywhere
from estatedesk.org.selectors import project_get_for_user
from estatedesk.reporting import activities
from estatedesk.reporting.choices import ActivityKind, ActivityStatus
from estatedesk.reporting.models import ActivityPhoto, CommunityActivity

ACTIVITY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The activity's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOutput}


class ActivityOutput(serializers.Serializer):
    """A row of the list."""

    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    title = serializers.CharField()
    with_client = serializers.BooleanField(help_text="Held with the contracting client")
    planned_on = serializers.DateField(help_text="The planned day; once held, the day it was held")
    place = serializers.CharField()
    status = serializers.ChoiceField(choices=ActivityStatus.choices)
    expected_attendance = serializers.IntegerField(allow_null=True)
    attendance = serializers.IntegerField(allow_null=True)
    photo_count = serializers.IntegerField()


class PhotoOutput(serializers.Serializer):
    id = serializers.IntegerField()
    caption = serializers.CharField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    uploaded_at = serializers.DateTimeField()

    def get_url(self, photo: ActivityPhoto) -> str:
        return reverse("reporting:activity_photo", args=[photo.activity_id, photo.pk])

    def get_thumbnail_url(self, photo: ActivityPhoto) -> str:
        return reverse("reporting:activity_photo_thumbnail", args=[photo.activity_id, photo.pk])


class ActivityDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    title = serializers.CharField()
    plan = serializers.CharField()
    with_client = serializers.BooleanField(help_text="Held with the contracting client")
    planned_on = serializers.DateField(help_text="The planned day; once held, the day it was held")
    place = serializers.CharField()
    status = serializers.ChoiceField(choices=ActivityStatus.choices)
    expected_attendance = serializers.IntegerField(allow_null=True)
    attendance = serializers.IntegerField(allow_null=True)
    follow_up = serializers.CharField()
    created_by = PersonOutput(allow_null=True)
    created_at = serializers.DateTimeField()
    photos = serializers.SerializerMethodField()

    @extend_schema_field(PhotoOutput(many=True))
    def get_photos(self, activity: CommunityActivity) -> Any:
        return PhotoOutput(activities.activity_photos(activity=activity), many=True).data


def _detail(request: Request, activity: CommunityActivity, *, code: int = status.HTTP_200_OK) -> Response:
    fresh = activities.activity_get_for_user(user=request.user, pk=activity.pk)
    return Response(ActivityDetailOutput(fresh).data, status=code)


class ActivityFilterInput(serializers.Serializer):
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    status = serializers.ChoiceField(choices=ActivityStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=ActivityKind.choices, required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    with_client = serializers.BooleanField(required=False, default=False)

    def filters(self) -> activities.ActivityFilters:
        data = self.validated_data
        return activities.ActivityFilters(
            project=data.get("project", ""),
            status=data.get("status", ""),
            kind=data.get("kind", ""),
            year=data.get("year"),
            with_client=data.get("with_client", False),
        )


class ActivityPlanInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, help_text="Project code")
    kind = serializers.ChoiceField(choices=ActivityKind.choices, default=ActivityKind.COMMUNITY)
    title = serializers.CharField(max_length=200)
    planned_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    with_client = serializers.BooleanField(default=False, help_text="Held with the contracting client")
    expected_attendance = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
    plan = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ActivityListApi(generics.ListAPIView):
    serializer_class = ActivityOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[CommunityActivity]:
        if getattr(self, "swagger_fake_view", False):
            return CommunityActivity.objects.none()
        if not can_anywhere(self.request.user, "reporting.view"):
            raise PermissionDenied
        filters = ActivityFilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return activities.activity_list(user=self.request.user, filters=filters.filters())

    @extend_schema(
        parameters=[ActivityFilterInput],
        responses={200: ActivityOutput(many=True), 400: ErrorOutput},
        summary="Community and cultural activities of the caller's projects, latest first (R-CS-3)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ActivityPlanInput,
        responses={201: ActivityDetailOutput, **ERRORS},
        summary="Plan an activity at a project (reporting.activities there)",
    )
    def post(self, request: Request) -> Response:
        payload = ActivityPlanInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = project_get_for_user(user=request.user, code=data.pop("project"))
        activity = activities.activity_plan(
            actor=request.user, plan=activities.ActivityPlan(project=project, **data)
        )
        return _detail(request, activity, code=status.HTTP_201_CREATED)


class ActivityDetailApi(APIView):
    @extend_schema(
        parameters=[ACTIVITY_ID],
        responses={200: ActivityDetailOutput, 404: ErrorOutput},
        summary="One activity with its record and photos",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, activities.activity_get_for_user(user=request.user, pk=pk))


class ActivityRecordInput(serializers.Serializer):
    held_on = serializers.DateField()
    attendance = serializers.IntegerField(min_value=0)
    place = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty keeps the planned place",
    )
    follow_up = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ActivityRecordApi(APIView):
    @extend_schema(
        parameters=[ACTIVITY_ID],
        request=ActivityRecordInput,
        responses={200: ActivityDetailOutput, **CONFLICT},
        summary="Record the activity as held (or correct the record): the day, attendance, follow-up",
    )
    def post(self, request: Request, pk: int) -> Response:
        activity = activities.activity_get_for_user(user=request.user, pk=pk, for_write=True)
        payload = ActivityRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        record = activities.ActivityRecord(**payload.validated_data)
        return _detail(
            request, activities.activity_record(actor=request.user, activity=activity, record=record)
        )


class ActivityCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ActivityCancelApi(APIView):
    @extend_schema(
        parameters=[ACTIVITY_ID],
        request=ActivityCancelInput,
        responses={200: ActivityDetailOutput, **CONFLICT},
        summary="Cancel a planned activity",
    )
    def post(self, request: Request, pk: int) -> Response:
        activity = activities.activity_get_for_user(user=request.user, pk=pk, for_write=True)
        payload = ActivityCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = activities.activity_cancel(
            actor=request.user, activity=activity, reason=payload.validated_data["reason"]
        )
        return _detail(request, activity)


urlpatterns: list[URLPattern] = [
    path("activities/", ActivityListApi.as_view(), name="api-reporting-activities"),
    path("activities/<int:pk>/", ActivityDetailApi.as_view(), name="api-reporting-activity"),
    path("activities/<int:pk>/record/", ActivityRecordApi.as_view(), name="api-reporting-activity-record"),
    path("activities/<int:pk>/cancel/", ActivityCancelApi.as_view(), name="api-reporting-activity-cancel"),
]
