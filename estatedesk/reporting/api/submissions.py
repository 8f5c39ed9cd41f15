"""The reports API (issue 14, deliverables 3–5): the same selectors and services as the pages, one view per
operation with its own input and output serializers; errors answer {code, message, fields}."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Branch, Project
from estatedesk.org.permissions import can_anywhere
from estatedesk.reporting import emergencies, handoff, submissions
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus, UpdateKind
from estatedesk.reporting.forms import parse_month
from estatedesk.reporting.models import InformationType, QualityLevel, ReportSubmission
from estatedesk.reporting.selectors import submission_get_for_user

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The report's reference, e.g. RP-QD-202611-MONTHLY"
)
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


def _require_view(request: Request) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _get(request: Request, reference: str) -> ReportSubmission:
    _require_view(request)
    return submission_get_for_user(user=request.user, reference=reference)


# --- output ---------------------------------------------------------------------------------------------


class SubmissionPersonOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class SubmissionOutput(serializers.Serializer):
    reference = serializers.CharField()
    type = serializers.CharField(source="information_type.code")
    type_name = serializers.CharField(source="information_type.name")
    branch = serializers.CharField(source="branch.code")
    project = serializers.CharField(source="project.code", allow_null=True, default=None)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    occurred_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=SubmissionStatus.choices)
    title = serializers.CharField()
    first_submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    resubmissions = serializers.IntegerField()
    is_complete = serializers.BooleanField(allow_null=True)
    on_time = serializers.SerializerMethodField(
        help_text="First submitted by the deadline; null while still open"
    )
    proposed_class = serializers.CharField(help_text="class_1, class_2 or empty (not an emergency)")
    confirmed_class = serializers.CharField(help_text="class_1, class_2 or empty (not confirmed yet)")
    accepted_at = serializers.DateTimeField(allow_null=True)
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)

    def get_on_time(self, submission: ReportSubmission) -> bool | None:
        return submissions.is_on_time(submission)


class ReportUpdateOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=UpdateKind.choices)
    actor = SubmissionPersonOutput(allow_null=True)
    text = serializers.CharField()
    source_event_id = serializers.IntegerField(
        allow_null=True, help_text="The feedback item's event (R-IR-8)"
    )


class ReportAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class SubmissionDetailOutput(SubmissionOutput):
    body = serializers.CharField()
    values = serializers.DictField(help_text="The template's fields: {key: value}")
    template_version = serializers.IntegerField(source="template.version", allow_null=True, default=None)
    missing = serializers.SerializerMethodField(help_text="What is missing before it may be submitted")
    returned_reason = serializers.CharField()
    quality_level = serializers.CharField(source="quality_level.label", allow_null=True, default=None)
    place = serializers.CharField()
    facts = serializers.DictField()
    class_reason = serializers.CharField()
    final_at = serializers.DateTimeField(allow_null=True)
    feedback_item = serializers.CharField(source="feedback_item.reference", allow_null=True, default=None)
    attachments = ReportAttachmentOutput(many=True, source="attachments.all")
    history = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing(self, submission: ReportSubmission) -> list[str]:
        return submissions.completeness(submission) if submission.status in submissions.EDITABLE else []

    @extend_schema_field(ReportUpdateOutput(many=True))
    def get_history(self, submission: ReportSubmission) -> list[dict[str, Any]]:
        return ReportUpdateOutput(submissions.history(submission), many=True).data  # type: ignore[return-value]


def _detail(request: Request, submission: ReportSubmission, code: int = status.HTTP_200_OK) -> Response:
    fresh = submission_get_for_user(user=request.user, reference=submission.reference)
    return Response(SubmissionDetailOutput(fresh).data, status=code)


# --- list and detail -------------------------------------------------------------------------------------


class ReportFilterInput(serializers.Serializer):
    period = serializers.CharField(required=False, max_length=7, help_text="YYYY-MM")
    type = serializers.CharField(required=False, max_length=40, help_text="An information type's code")
    status = serializers.ChoiceField(choices=SubmissionStatus.choices, required=False)
    unit = serializers.CharField(required=False, max_length=20, help_text="B<branch id> or P<project id>")

    def validate_period(self, value: str) -> Any:
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError("Enter a month as YYYY-MM, e.g. 2026-11.")
        return month


@extend_schema(
    parameters=[ReportFilterInput],
    responses={200: SubmissionOutput(many=True), 400: ErrorOutput, 403: ErrorOutput},
    summary="Reports to HQ in scope (a branch its own and its projects', HQ all), latest deadline first",
)
class SubmissionListApi(generics.ListAPIView):
    serializer_class = SubmissionOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[ReportSubmission]:
        if getattr(self, "swagger_fake_view", False):
            return ReportSubmission.objects.none()
        _require_view(self.request)
        data = ReportFilterInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return submissions.submission_list(
            user=self.request.user,
            filters=submissions.SubmissionFilters(
                period=values.get("period"),
                type_code=values.get("type", ""),
                status=values.get("status", ""),
                unit_key=values.get("unit", ""),
            ),
        )


class ReportDraftInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    values = serializers.DictField(
        required=False, help_text="Template fields to set: {key: value}; blank empties"
    )


class SubmissionDetailApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: SubmissionDetailOutput, 404: ErrorOutput},
        summary="One report with its values, files and history",
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(SubmissionDetailOutput(_get(request, reference)).data)

    @extend_schema(
        parameters=[REFERENCE],
        request=ReportDraftInput,
        responses={200: SubmissionDetailOutput, **ERRORS},
        summary="Save the draft: title, text and template fields (its template version fixed on first save)",
    )
    def patch(self, request: Request, reference: str) -> Response:
        submission = _get(request, reference)
        payload = ReportDraftInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        submissions.submission_draft(
            actor=request.user,
            submission=submission,
            values=data.get("values", {}),
            title=data.get("title", submission.title),
            body=data.get("body", submission.body),
        )
        return _detail(request, submission)


# --- operations ------------------------------------------------------------------------------------------


class ReportEmptyInput(serializers.Serializer):
    pass


class ReportReturnInput(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True, default="")


class ReportAcceptInput(serializers.Serializer):
    quality_level = serializers.IntegerField(
        min_value=1, help_text="A quality level's id (the company's rubric)"
    )


class ReportFollowUpInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            (UpdateKind.FOLLOW_UP.value, UpdateKind.FOLLOW_UP.label),
            (UpdateKind.FINAL.value, UpdateKind.FINAL.label),
        ],
        default=UpdateKind.FOLLOW_UP.value,
    )
    text = serializers.CharField(max_length=10000, allow_blank=True)


class ReportClassInput(serializers.Serializer):
    emergency_class = serializers.ChoiceField(choices=EmergencyClass.choices)
    reason = serializers.CharField(
        max_length=300, allow_blank=True, default="", help_text="Required to override"
    )


class ReportAttachmentInput(serializers.Serializer):
    file = serializers.FileField(help_text="multipart")


def _quality_level(submission: ReportSubmission, pk: int) -> QualityLevel:
    level = QualityLevel.objects.filter(pk=pk, company_id=submission.branch.company_id).first()
    if level is None:
        raise serializers.ValidationError(
            {"quality_level": ["Choose a quality level of the company's rubric."]}
        )
    return level


def _operation(
    summary: str,
    act: Any,
    input_class: type[serializers.Serializer] = ReportEmptyInput,
    *,
    created: bool = False,
) -> type[APIView]:
    """One APIView per operation: POST the input, the service, the report back."""

    class OperationApi(APIView):
        parser_classes = [JSONParser, MultiPartParser, FormParser]

        @extend_schema(
            parameters=[REFERENCE],
            request=input_class,
            responses={201 if created else 200: SubmissionDetailOutput, **ERRORS},
            summary=summary,
        )
        def post(self, request: Request, reference: str) -> Response:
            submission = _get(request, reference)
            payload = input_class(data=request.data)
            payload.is_valid(raise_exception=True)
            act(request.user, submission, payload.validated_data)
            return _detail(request, submission, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    return OperationApi


SubmissionSubmitApi = _operation(
    "Submit to HQ (refused while a required field or file is missing)",
    lambda user, s, data: submissions.submission_submit(actor=user, submission=s),
)
SubmissionReturnApi = _operation(
    "HQ returns it for correction, with the reason",
    lambda user, s, data: submissions.submission_return(actor=user, submission=s, reason=data["reason"]),
    ReportReturnInput,
)
SubmissionAcceptApi = _operation(
    "HQ accepts it with a quality level (the report is then locked)",
    lambda user, s, data: submissions.submission_accept(
        actor=user, submission=s, quality_level=_quality_level(s, data["quality_level"])
    ),
    ReportAcceptInput,
)
SubmissionFollowUpApi = _operation(
    "A follow-up (续报) or the final report (终报) on the same report",
    lambda user, s, data: submissions.follow_up_add(
        actor=user, submission=s, kind=data["kind"], text=data["text"]
    ),
    ReportFollowUpInput,
    created=True,
)
SubmissionClassApi = _operation(
    "Confirm the proposed class of an emergency, or override it with a reason (R-IR-4)",
    lambda user, s, data: submissions.class_confirm(
        actor=user, submission=s, chosen=data["emergency_class"], reason=data["reason"]
    ),
    ReportClassInput,
)
SubmissionAttachmentApi = _operation(
    "Add a file (multipart `file`)",
    lambda user, s, data: submissions.attachment_add(actor=user, submission=s, file=data["file"]),
    ReportAttachmentInput,
    created=True,
)


# --- an event's report, and the hand-off from a feedback item ---------------------------------------------


class EmergencyFactsInput(serializers.Serializer):
    accident_or_disaster = serializers.BooleanField(default=False)
    fire_or_explosion = serializers.BooleanField(default=False)
    public_security = serializers.BooleanField(default=False)
    criminal_case = serializers.BooleanField(default=False)
    theft = serializers.BooleanField(default=False)
    theft_attempted_only = serializers.BooleanField(default=False)
    abnormal_injury_or_death = serializers.BooleanField(default=False)
    loss_yuan = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    negative_media = serializers.BooleanField(default=False)
    prevented = serializers.BooleanField(default=False)


class EventReportInput(serializers.Serializer):
    type = serializers.CharField(max_length=40, help_text="An event type's code, e.g. emergency_class1")
    project = serializers.CharField(
        max_length=32, required=False, help_text="Project code (or give `branch`)"
    )
    branch = serializers.CharField(
        max_length=32, required=False, help_text="Branch code, for a branch's event"
    )
    occurred_at = serializers.DateTimeField()
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    facts = EmergencyFactsInput(
        required=False, help_text="An emergency's facts: the class is proposed from them"
    )
    values = serializers.DictField(required=False, help_text="The type's template fields: {key: value}")
    emergency_class = serializers.ChoiceField(
        choices=EmergencyClass.choices, required=False, help_text="Confirm or override"
    )
    class_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InstantCreateApi(APIView):
    @extend_schema(
        request=EventReportInput,
        responses={201: SubmissionDetailOutput, **ERRORS},
        summary="Report an event (emergency, litigation, …) filed at once; the class proposed from its facts",
    )
    def post(self, request: Request) -> Response:
        _require_view(request)
        payload = EventReportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = request.user
        companies = sorted(scope_for(user).company_ids)
        information_type = InformationType.objects.filter(
            company_id__in=companies, code=data["type"], is_active=True
        ).first()
        if information_type is None:
            raise serializers.ValidationError({"type": ["Not an information type of the catalogue."]})
        project = (
            get_for_user_or_404(Project.objects.all(), user=user, code=data["project"])
            if data.get("project")
            else None
        )
        branch = (
            get_for_user_or_404(Branch.objects.all(), user=user, code=data["branch"])
            if data.get("branch") and project is None
            else None
        )
        chosen = data.get("emergency_class", "")
        submission = submissions.instant_report_make(
            actor=user,
            report=submissions.EventReport(
                information_type=information_type,
                project=project,
                branch=branch,
                occurred_at=data["occurred_at"],
                title=data["title"],
                body=data["body"],
                place=data["place"],
                facts=emergencies.Facts.from_json(data["facts"]) if data.get("facts") is not None else None,
                values=data.get("values", {}),
                class_choice=submissions.ClassChoice(chosen=chosen, reason=data["class_reason"])
                if chosen
                else None,
            ),
        )
        return _detail(request, submission, status.HTTP_201_CREATED)


class FromItemApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reference", str, OpenApiParameter.PATH, description="The feedback item's reference"
            )
        ],
        request=None,
        responses={200: SubmissionDetailOutput, 201: SubmissionDetailOutput, **ERRORS},
        summary="Hand a major or hot complaint to HQ (R-IR-8): 201 a new report, 200 the one made before",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = get_for_user_or_404(
            FeedbackItem.objects.select_related("project__branch"), user=request.user, reference=reference
        )
        submission, created = handoff.submission_from_item(actor=request.user, item=item)
        return _detail(request, submission, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


urlpatterns: list[URLPattern] = [
    path("submissions/", SubmissionListApi.as_view(), name="api-reporting-submissions"),
    path("submissions/<str:reference>/", SubmissionDetailApi.as_view(), name="api-reporting-submission"),
    path("submissions/<str:reference>/submit/", SubmissionSubmitApi.as_view(), name="api-reporting-submit"),
    path("submissions/<str:reference>/return/", SubmissionReturnApi.as_view(), name="api-reporting-return"),
    path("submissions/<str:reference>/accept/", SubmissionAcceptApi.as_view(), name="api-reporting-accept"),
    path(
        "submissions/<str:reference>/follow-ups/",
        SubmissionFollowUpApi.as_view(),
        name="api-reporting-follow-up",
    ),
    path(
        "submissions/<str:reference>/attachments/",
        SubmissionAttachmentApi.as_view(),
        name="api-reporting-attachment",
    ),
    path("submissions/<str:reference>/class/", SubmissionClassApi.as_view(), name="api-reporting-class"),
    path("instant/", InstantCreateApi.as_view(), name="api-reporting-instant"),
    path("from-item/<str:reference>/", FromItemApi.as_view(), name="api-reporting-from-item"),
]
