"""Nonconformity API (R-RV-4): the same selectors and services as the pages, one view per operation, each
with its own input and output serializers; errors answer {code, message, fields} (api/errors.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Building, Project
from estatedesk.org.permissions import can_anywhere
from estatedesk.quality import events, figures, selectors, services
from estatedesk.quality.choices import (
    ActionKind,
    CauseCategory,
    Origin,
    Severity,
    Stage,
    VerificationResult,
)
from estatedesk.quality.models import Nonconformity, NonconformityAction
from estatedesk.visits.models import ReturnVisit

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The reference, e.g. NC-QD-HJ-202611-001"
)
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


def _get(request: Request, reference: str) -> Nonconformity:
    if not can_anywhere(request.user, "quality.view"):
        from rest_framework.exceptions import PermissionDenied

        raise PermissionDenied
    return selectors.nonconformity_get_for_user(user=request.user, reference=reference)


# --- output ---------------------------------------------------------------------------------------------


class NonconformityPersonOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class ActionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    description = serializers.CharField()
    owner = NonconformityPersonOutput()
    due_on = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField()


class NonconformityEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    who = serializers.CharField()
    what = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class NonconformityOutput(serializers.Serializer):
    reference = serializers.CharField()
    project = serializers.CharField(source="project.code")
    title = serializers.CharField()
    origin = serializers.ChoiceField(choices=Origin.choices)
    stage = serializers.ChoiceField(choices=Stage.choices)
    item = serializers.CharField(source="item.reference", allow_null=True, default=None)
    raised_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    reopen_count = serializers.IntegerField()


class NonconformityDetailOutput(NonconformityOutput):
    description = serializers.CharField()
    visit = serializers.IntegerField(source="visit_id", allow_null=True)
    survey_reference = serializers.CharField()
    area = serializers.CharField(source="area.name", allow_null=True, default=None)
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    cause_category = serializers.CharField(help_text="One of CauseCategory; empty before the analysis")
    cause = serializers.CharField()
    severity = serializers.CharField()
    raised_by = NonconformityPersonOutput(allow_null=True)
    verifier = NonconformityPersonOutput(allow_null=True)
    verification_evidence = serializers.CharField()
    verification_result = serializers.CharField()
    verified_at = serializers.DateTimeField(allow_null=True)
    verification_visit = serializers.IntegerField(source="verification_visit_id", allow_null=True)
    cancelled_reason = serializers.CharField()
    actions = ActionOutput(many=True, source="actions.all")
    history = serializers.SerializerMethodField()

    @extend_schema_field(NonconformityEventOutput(many=True))
    def get_history(self, nonconformity: Nonconformity) -> list[dict[str, Any]]:
        rows = selectors.nonconformity_events(nonconformity=nonconformity)
        return NonconformityEventOutput([events.describe(row) for row in rows], many=True).data  # type: ignore[return-value]


def _detail(request: Request, nonconformity: Nonconformity, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.nonconformity_get_for_user(user=request.user, reference=nonconformity.reference)
    return Response(NonconformityDetailOutput(fresh).data, status=code)


# --- list, detail, create ---------------------------------------------------------------------------------


class FilterInput(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    origin = serializers.ChoiceField(choices=Origin.choices, required=False)
    open = serializers.BooleanField(required=False, help_text="Only nonconformities not closed or cancelled")


@extend_schema(
    parameters=[FilterInput],
    responses={200: NonconformityOutput(many=True), 400: ErrorOutput},
    summary="Nonconformities in scope, newest first",
)
class NonconformityListApi(generics.ListAPIView):
    serializer_class = NonconformityOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[Nonconformity]:
        if getattr(self, "swagger_fake_view", False):
            return Nonconformity.objects.none()
        data = FilterInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return selectors.nonconformity_list(
            user=self.request.user,
            filters=selectors.NonconformityFilters(
                stage=values.get("stage", ""),
                project=values.get("project", ""),
                origin=values.get("origin", ""),
                open_only=values.get("open", False),
            ),
        )


class NonconformityDetailApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: NonconformityDetailOutput, 404: ErrorOutput},
        summary="One nonconformity with its actions and its record",
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(NonconformityDetailOutput(_get(request, reference)).data)


# the origins a person raises a nonconformity from (a C opens its own); named for the schema's enum
HAND_ORIGINS = ("item", "patrol", "survey", "manual")
HAND_ORIGIN_CHOICES = [(value, label) for value, label in Origin.choices if value in HAND_ORIGINS]


class CreateInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, required=False, help_text="Project code (or give `item`)")
    origin = serializers.ChoiceField(choices=HAND_ORIGIN_CHOICES)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=10000)
    item = serializers.CharField(required=False, max_length=32, help_text="A feedback item's reference")
    visit = serializers.IntegerField(required=False, min_value=1, help_text="A return visit's id")
    survey_reference = serializers.CharField(required=False, allow_blank=True, max_length=120)
    area = serializers.IntegerField(required=False, min_value=1, help_text="A building or area id")


class NonconformityCreateApi(APIView):
    @extend_schema(
        request=CreateInput,
        responses={201: NonconformityDetailOutput, **ERRORS},
        summary="Raise a nonconformity from an item, a patrol finding, a survey result or by hand",
    )
    def post(self, request: Request) -> Response:
        payload = CreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = request.user
        item = (
            get_for_user_or_404(FeedbackItem.objects.all(), user=user, reference=data["item"])
            if data.get("item")
            else None
        )
        if item is not None:
            project = item.project
        elif data.get("project"):
            project = get_for_user_or_404(Project.objects.all(), user=user, code=data["project"])
        else:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"project": ["Give the project or the item."]})
        visit = (
            get_for_user_or_404(ReturnVisit.objects.all(), user=user, pk=data["visit"])
            if data.get("visit")
            else None
        )
        area = Building.objects.filter(pk=data["area"]).first() if data.get("area") else None
        nonconformity = services.nonconformity_create(
            actor=user,
            data=services.NonconformityInput(
                project=project,
                origin=data["origin"],
                title=data["title"],
                description=data["description"],
                item=item,
                visit=visit,
                survey_reference=data.get("survey_reference", ""),
                area=area,
                department=item.department if item is not None else None,
            ),
        )
        return _detail(request, nonconformity, status.HTTP_201_CREATED)


# --- the stages ---------------------------------------------------------------------------------------------


class EmptyInput(serializers.Serializer):
    pass


def _stage_view(
    summary: str, act: Any, input_class: type[serializers.Serializer] = EmptyInput
) -> type[APIView]:
    """One APIView per stage operation: POST the input, the service, the nonconformity back."""

    class StageApi(APIView):
        parser_classes = [JSONParser, MultiPartParser, FormParser]

        @extend_schema(
            parameters=[REFERENCE],
            request=input_class,
            responses={200: NonconformityDetailOutput, **ERRORS},
            summary=summary,
        )
        def post(self, request: Request, reference: str) -> Response:
            nonconformity = _get(request, reference)
            payload = input_class(data=request.data)
            payload.is_valid(raise_exception=True)
            act(request.user, nonconformity, payload.validated_data)
            return _detail(request, nonconformity)

    return StageApi


class AnalyseInput(serializers.Serializer):
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    cause = serializers.CharField(max_length=10000)


class VerifyInput(serializers.Serializer):
    evidence = serializers.CharField(max_length=10000, allow_blank=True, default="")
    result = serializers.ChoiceField(choices=VerificationResult.choices, default=VerificationResult.EFFECTIVE)
    evidence_file = serializers.FileField(required=False, help_text="multipart")


class VisitInput(serializers.Serializer):
    evidence = serializers.CharField(max_length=10000, allow_blank=True, default="")
    visitor = serializers.IntegerField(required=False, min_value=1, help_text="The visitor's user id")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


def _user(pk: Any) -> Any:
    return get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None


NonconformityTakeUpApi = _stage_view(
    "Draft → analysis", lambda user, nc, data: services.nonconformity_take_up(actor=user, nonconformity=nc)
)
NonconformityAnalyseApi = _stage_view(
    "Record the cause and severity (→ action plan)",
    lambda user, nc, data: services.nonconformity_analyse(actor=user, nonconformity=nc, **data),
    AnalyseInput,
)
NonconformityStartApi = _stage_view(
    "Action plan → in progress (needs an action with owner, deadline and type)",
    lambda user, nc, data: services.nonconformity_start(actor=user, nonconformity=nc),
)
NonconformityToVerificationApi = _stage_view(
    "In progress → verification (every action done)",
    lambda user, nc, data: services.nonconformity_to_verification(actor=user, nonconformity=nc),
)
NonconformityVerifyApi = _stage_view(
    "Verify (by someone who owns no action, with evidence): effective → closed, not → in progress",
    lambda user, nc, data: services.nonconformity_verify(
        actor=user,
        nonconformity=nc,
        verification=services.Verification(
            evidence=data["evidence"], result=data["result"], evidence_file=data.get("evidence_file")
        ),
    ),
    VerifyInput,
)
NonconformityVerificationVisitApi = _stage_view(
    "Verify by a return visit: closes when it comes back A or B, a C sends it back",
    lambda user, nc, data: services.nonconformity_verification_visit_arrange(
        actor=user, nonconformity=nc, evidence=data["evidence"], visitor=_user(data.get("visitor"))
    ),
    VisitInput,
)
NonconformityCancelApi = _stage_view(
    "Cancel with a reason",
    lambda user, nc, data: services.nonconformity_cancel(actor=user, nonconformity=nc, reason=data["reason"]),
    ReasonInput,
)
NonconformityReopenApi = _stage_view(
    "Reopen (clears the close date, counts the reopening)",
    lambda user, nc, data: services.nonconformity_reopen(actor=user, nonconformity=nc, reason=data["reason"]),
    ReasonInput,
)


# --- actions ----------------------------------------------------------------------------------------------


class ActionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    description = serializers.CharField(max_length=10000)
    owner = serializers.IntegerField(min_value=1, help_text="The owner's user id (staff of the project)")
    due_on = serializers.DateField()


class NonconformityActionAddApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=ActionInput,
        responses={201: ActionOutput, **ERRORS},
        summary="Add an action to the plan (its owner is told)",
    )
    def post(self, request: Request, reference: str) -> Response:
        nonconformity = _get(request, reference)
        payload = ActionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        action = services.nonconformity_action_add(
            actor=request.user,
            nonconformity=nonconformity,
            kind=data["kind"],
            description=data["description"],
            owner=_user(data["owner"]),
            due_on=data["due_on"],
        )
        return Response(ActionOutput(action).data, status=status.HTTP_201_CREATED)


class ResultInput(serializers.Serializer):
    result = serializers.CharField(max_length=10000, allow_blank=True)


class NonconformityActionDoneApi(APIView):
    @extend_schema(
        parameters=[REFERENCE, OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        request=ResultInput,
        responses={200: ActionOutput, **ERRORS},
        summary="Record an action done with its result (its owner, or who manages)",
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        nonconformity = _get(request, reference)
        action: NonconformityAction = selectors.action_get(nonconformity=nonconformity, pk=pk)
        payload = ResultInput(data=request.data)
        payload.is_valid(raise_exception=True)
        done = services.nonconformity_action_done(
            actor=request.user, action=action, result=payload.validated_data["result"]
        )
        return Response(ActionOutput(done).data)


# --- figures ----------------------------------------------------------------------------------------------


class FiguresInput(serializers.Serializer):
    project = serializers.CharField(required=False, max_length=32)
    start = serializers.DateField(required=False, help_text="First day of the period (Asia/Shanghai)")
    end = serializers.DateField(required=False, help_text="Last day of the period, included")


class RecurrenceOutput(serializers.Serializer):
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices)
    area = serializers.CharField()
    count = serializers.IntegerField()


class FiguresOutput(serializers.Serializer):
    open_by_stage = serializers.DictField(child=serializers.IntegerField())
    open_total = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()
    open_actions = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="Closed in the period: the count behind the days to close")
    days_to_close_median = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    days_to_close_p90 = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    reopened = serializers.IntegerField()
    ever_closed = serializers.IntegerField()
    reopen_rate = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, help_text="Percent"
    )
    raised = serializers.IntegerField()
    recurrences = serializers.IntegerField()
    recurrence_groups = RecurrenceOutput(many=True)


class NonconformityFiguresApi(APIView):
    @extend_schema(
        parameters=[FiguresInput],
        responses={200: FiguresOutput, **ERRORS},
        summary="Nonconformity figures with the counts behind them (quality/figures.py)",
    )
    def get(self, request: Request) -> Response:
        from datetime import datetime, time, timedelta

        from django.utils import timezone

        if not can_anywhere(request.user, "quality.view"):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied
        payload = FiguresInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        project = (
            get_for_user_or_404(Project.objects.all(), user=request.user, code=data["project"])
            if data.get("project")
            else None
        )
        zone = timezone.get_default_timezone()
        start = datetime.combine(data["start"], time(0), tzinfo=zone) if data.get("start") else None
        end = (
            datetime.combine(data["end"] + timedelta(days=1), time(0), tzinfo=zone)
            if data.get("end")
            else None
        )
        numbers = figures.nonconformity_figures(user=request.user, start=start, end=end, project=project)
        return Response(FiguresOutput(numbers).data)
