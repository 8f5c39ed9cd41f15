"""Return-visit API (R-FB-6, R-RV-1 to R-RV-5, 附表三): the same selectors and services as the pages, one
view per operation, each with its own input and output serializers.

Staff of a visit's project see it; anyone else gets 404 (the owner reads a visit's result on the portal).
The rules and the permissions are the services': an ineligible visitor is refused with 403 and the
project's error body {code, message, fields} (eligibility.visitor_refusal says why), a visit recorded or
cancelled already with 409. Phones are masked for whoever does not call owners (owners.phone.full).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common import months
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, can_anywhere, projects_with
from estatedesk.owners.contacts import mask_phone
from estatedesk.visits import eligibility, selectors, services
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.figures import visit_figures
from estatedesk.visits.models import ReturnVisit

VISIT_ID = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The visit's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOutput}
ARRANGEABLE = [Purpose.AD_HOC, Purpose.SERIOUS, Purpose.PAID_SERVICE, Purpose.SURVEY_CHECK]
ARRANGEABLE_CHOICES = [(p.value, p.label) for p in ARRANGEABLE]  # named for the schema's enum


def _require_view(request: Request) -> None:
    if not can_anywhere(request.user, "visits.view"):
        raise PermissionDenied


def _visit(request: Request, pk: int) -> ReturnVisit:
    """The visit for staff of its project, else 404 (out of scope, missing, or an owner)."""
    _require_view(request)
    visit = selectors.return_visit_get_for_user(user=request.user, pk=pk)
    if not can(request.user, "visits.view", project=visit.project):
        raise NotFound
    return visit


def _project(request: Request, code: str) -> Project:
    project = Project.objects.visible_to(request.user).filter(code=code).select_related("branch").first()
    if project is None:
        raise NotFound(_("No such project."))
    return project


def _person(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _context(request: Request) -> dict[str, Any]:
    return {"full_phone": projects_with(request.user, "owners.phone.full")}


# --- output ---------------------------------------------------------------------------------------------


class VisitPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VisitOutput(serializers.Serializer):
    """A visit (a row of the list)."""

    id = serializers.IntegerField(source="pk")
    project = serializers.CharField(source="project.code")
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    status = serializers.ChoiceField(choices=VisitStatus.choices)
    month = serializers.DateField(allow_null=True, help_text="A monthly list's month (its 1st)")
    item = serializers.CharField(source="item.reference", allow_null=True, default=None)
    parent_visit = serializers.IntegerField(
        source="parent_id", allow_null=True, help_text="The visit it follows"
    )
    customer_name = serializers.CharField()
    customer_phone = serializers.SerializerMethodField(help_text="Masked unless you call owners there")
    visitor = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(allow_null=True)
    grade = serializers.CharField(help_text="A, B or C once graded; empty before")

    def get_customer_phone(self, visit: ReturnVisit) -> str:
        full = self.context.get("full_phone")
        return (
            visit.customer_phone
            if full is None or visit.project_id in full
            else mask_phone(visit.customer_phone)
        )

    @extend_schema_field(VisitPersonOutput(allow_null=True))
    def get_visitor(self, visit: ReturnVisit) -> dict[str, Any] | None:
        return _person(visit.visitor)


class VisitAttemptOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    note = serializers.CharField()
    rescheduled_to = serializers.DateTimeField(allow_null=True)
    by = serializers.SerializerMethodField()

    @extend_schema_field(VisitPersonOutput(allow_null=True))
    def get_by(self, attempt: Any) -> dict[str, Any] | None:
        return _person(attempt.by)


class VisitDetailOutput(VisitOutput):
    """One visit with its result (附表三), its attempts, its items and what the user may do."""

    items = serializers.SerializerMethodField(help_text="References of the items the visit covers")
    customer_said = serializers.CharField()
    handling_result = serializers.CharField()
    channel = serializers.CharField(help_text="phone, on_site or portal once graded; empty before")
    quality_met = serializers.BooleanField(allow_null=True, help_text="Paid-service visits (R-RV-2)")
    visited_on = serializers.DateField(allow_null=True)
    graded_by = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField(allow_null=True)
    handler = serializers.SerializerMethodField(help_text="The item's handler frozen at the grade")
    cancelled_reason = serializers.CharField()
    owner_comment = serializers.CharField()
    follow_ups = serializers.SerializerMethodField(help_text="Ids of the separate visits that follow it")
    attempts = serializers.SerializerMethodField()
    grade_refusal = serializers.SerializerMethodField(
        help_text="Why you may not record this visit's result; null when you may"
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_items(self, visit: ReturnVisit) -> list[str]:
        refs = list(visit.covered_items.order_by("id").values_list("reference", flat=True))
        if visit.item is not None and visit.item.reference not in refs:
            refs.insert(0, visit.item.reference)
        return refs

    @extend_schema_field(VisitPersonOutput(allow_null=True))
    def get_graded_by(self, visit: ReturnVisit) -> dict[str, Any] | None:
        return _person(visit.graded_by)

    @extend_schema_field(VisitPersonOutput(allow_null=True))
    def get_recorded_by(self, visit: ReturnVisit) -> dict[str, Any] | None:
        return _person(visit.recorded_by)

    @extend_schema_field(VisitPersonOutput(allow_null=True))
    def get_handler(self, visit: ReturnVisit) -> dict[str, Any] | None:
        return _person(visit.handler)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_follow_ups(self, visit: ReturnVisit) -> list[int]:
        return list(visit.follow_ups.order_by("id").values_list("pk", flat=True))

    @extend_schema_field(VisitAttemptOutput(many=True))
    def get_attempts(self, visit: ReturnVisit) -> Any:
        return VisitAttemptOutput(visit.attempts.select_related("by"), many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_grade_refusal(self, visit: ReturnVisit) -> str | None:
        if visit.status != VisitStatus.DUE:
            return _("This visit is already recorded or cancelled.")
        return eligibility.visitor_refusal(visit=visit, user=self.context["user"])


def _detail(request: Request, visit: ReturnVisit, *, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.return_visit_get_for_user(user=request.user, pk=visit.pk)
    context = {**_context(request), "user": request.user}
    return Response(VisitDetailOutput(fresh, context=context).data, status=code)


# --- list and detail ------------------------------------------------------------------------------------


class VisitFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False)
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    visitor = serializers.CharField(required=False, max_length=12, help_text="A user id, or `me`")
    month = serializers.CharField(required=False, max_length=7, help_text="A monthly list's month, YYYY-MM")

    def validate_month(self, value: str) -> Any:
        month = months.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month

    def validate_visitor(self, value: str) -> str:
        if value != "me" and not value.isdigit():
            raise serializers.ValidationError(_("Give a user id, or “me”."))
        return value


@extend_schema(
    parameters=[VisitFilterInput],
    responses={200: VisitOutput(many=True), 400: ErrorOutput, 403: ErrorOutput},
    summary="Return visits in scope, by due time (filters: status, purpose, project, visitor, month)",
)
class VisitListApi(generics.ListAPIView):
    serializer_class = VisitOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[ReturnVisit]:
        if getattr(self, "swagger_fake_view", False):
            return ReturnVisit.objects.none()
        _require_view(self.request)
        query = VisitFilterInput(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        visitor: Any = None
        if data.get("visitor") == "me":
            visitor = self.request.user
        elif data.get("visitor"):
            visitor = get_user_model().objects.filter(pk=int(data["visitor"])).first() or -1
        return selectors.return_visit_list(
            user=self.request.user,
            status=data.get("status"),
            purpose=data.get("purpose"),
            project=_project(self.request, data["project"]) if data.get("project") else None,
            visitor=visitor,
            month=data.get("month"),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_context(self.request)}


class VisitDetailApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        responses={200: VisitDetailOutput, 404: ErrorOutput},
        summary="One visit with its result, attempts, items, follow-ups and whether you may record it",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, _visit(request, pk))


# --- writes ---------------------------------------------------------------------------------------------


class VisitAttemptInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    rescheduled_to = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Required for `rescheduled` (改约)"
    )


class VisitAttemptCreateApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=VisitAttemptInput,
        responses={201: VisitAttemptOutput, **CONFLICT},
        summary="Record an attempt that reached no result (counted as an attempt, never as a grade)",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = _visit(request, pk)
        payload = VisitAttemptInput(data=request.data)
        payload.is_valid(raise_exception=True)
        attempt = services.return_visit_record_attempt(
            actor=request.user, visit=visit, **payload.validated_data
        )
        return Response(VisitAttemptOutput(attempt).data, status=status.HTTP_201_CREATED)


class VisitGradeInput(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    customer_said = serializers.CharField(max_length=4000, allow_blank=True, default="")
    handling_result = serializers.CharField(max_length=4000, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=VisitChannel.choices)
    visited_on = serializers.DateField()
    quality_met = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Required for a paid-service visit (R-RV-2)"
    )
    recorder = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: you"
    )


class VisitGradeApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=VisitGradeInput,
        responses={200: VisitDetailOutput, **CONFLICT},
        summary="Record the visit's one result (附表三) as its visitor; 403 for who acted on the item",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = _visit(request, pk)
        payload = VisitGradeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        recorder_id = data.pop("recorder")
        recorder = (
            get_user_model().objects.filter(pk=recorder_id, is_active=True).first() if recorder_id else None
        )
        if recorder_id and recorder is None:
            raise serializers.ValidationError({"recorder": [_("No such colleague.")]})
        result = services.VisitResult(**data, visitor=request.user, recorder=recorder)
        return _detail(request, services.return_visit_grade(actor=request.user, visit=visit, result=result))


class VisitAssignInput(serializers.Serializer):
    visitor = serializers.IntegerField(help_text="The colleague's user id (see eligibility in the docs)")


class VisitAssignApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=VisitAssignInput,
        responses={200: VisitDetailOutput, **CONFLICT},
        summary="Give the visit to a colleague who may make it (visits.plan); 403 for an ineligible one",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = _visit(request, pk)
        payload = VisitAssignInput(data=request.data)
        payload.is_valid(raise_exception=True)
        visitor = get_user_model().objects.filter(pk=payload.validated_data["visitor"]).first()
        if visitor is None:
            raise serializers.ValidationError({"visitor": [_("No such colleague.")]})
        return _detail(
            request, services.return_visit_assign(actor=request.user, visit=visit, visitor=visitor)
        )


class VisitCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class VisitCancelApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=VisitCancelInput,
        responses={200: VisitDetailOutput, **CONFLICT},
        summary="Cancel a visit that is still due, with the reason (visits.plan)",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = _visit(request, pk)
        payload = VisitCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reason = payload.validated_data["reason"]
        return _detail(request, services.return_visit_cancel(actor=request.user, visit=visit, reason=reason))


class VisitArrangeInput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ARRANGEABLE_CHOICES, default=Purpose.AD_HOC)
    project = serializers.CharField(max_length=32, help_text="Project code")
    item = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="Item reference"
    )
    visitor = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    customer_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")


class VisitArrangeApi(APIView):
    @extend_schema(
        request=VisitArrangeInput,
        responses={201: VisitDetailOutput, **CONFLICT},
        summary="Arrange a visit by hand (ad hoc by default; visits.plan at the project)",
    )
    def post(self, request: Request) -> Response:
        _require_view(request)
        payload = VisitArrangeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        project = _project(request, data["project"])
        item = None
        if data["item"]:
            item = (
                FeedbackItem.objects.visible_to(request.user)
                .filter(reference=data["item"], project=project)
                .first()
            )
            if item is None:
                raise serializers.ValidationError({"item": [_("No such item at this project.")]})
        visitor = get_user_model().objects.filter(pk=data["visitor"]).first() if data["visitor"] else None
        if data["visitor"] and visitor is None:
            raise serializers.ValidationError({"visitor": [_("No such colleague.")]})
        visit = services.return_visit_arrange(
            actor=request.user,
            purpose=data["purpose"],
            project=project,
            item=item,
            visitor=visitor,
            due_at=data["due_at"],
            customer_name=data["customer_name"],
            customer_phone=data["customer_phone"],
        )
        return _detail(request, visit, code=status.HTTP_201_CREATED)


class VisitMonthlyListInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, help_text="Project code")
    month = serializers.CharField(max_length=7, help_text="The month of the feedback, YYYY-MM")

    def validate_month(self, value: str) -> Any:
        month = months.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month


class VisitMonthlyListOutput(serializers.Serializer):
    made = serializers.IntegerField(help_text="Visits added by this call (none when run again)")
    visits = VisitOutput(many=True, help_text="The project's monthly visits of that month")


class MonthlyListMakeApi(APIView):
    @extend_schema(
        request=VisitMonthlyListInput,
        responses={200: VisitMonthlyListOutput, **ERRORS},
        summary="Make a project's monthly list of a month's customers now (R-FB-6; planners; idempotent)",
    )
    def post(self, request: Request) -> Response:
        _require_view(request)
        payload = VisitMonthlyListInput(data=request.data)
        payload.is_valid(raise_exception=True)
        project = _project(request, payload.validated_data["project"])
        if not can(request.user, "visits.plan", project=project):
            raise PermissionDenied
        month = payload.validated_data["month"]
        made = services.monthly_list_make(project=project, month=month)
        visits = selectors.return_visit_list(
            user=request.user, purpose=Purpose.MONTHLY, project=project, month=month
        )
        output = VisitMonthlyListOutput({"made": len(made), "visits": visits}, context=_context(request))
        return Response(output.data)


# --- figures --------------------------------------------------------------------------------------------


class VisitGradeCountsOutput(serializers.Serializer):
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    c = serializers.IntegerField()
    graded = serializers.IntegerField()
    satisfaction = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="回访满意率 (A+B)÷(A+B+C) in %; null if none",
    )


class VisitGradeRowOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk", allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    counts = VisitGradeCountsOutput()


class VisitFiguresOutput(serializers.Serializer):
    due = serializers.IntegerField()
    graded = serializers.IntegerField()
    coverage = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="graded ÷ due, %"
    )
    tries = serializers.IntegerField()
    reached = serializers.IntegerField()
    contact_success = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="reached ÷ tries, %"
    )
    totals = VisitGradeCountsOutput()
    by_project = VisitGradeRowOutput(many=True)
    by_department = VisitGradeRowOutput(many=True)
    by_handler = VisitGradeRowOutput(many=True)


class VisitFiguresInput(serializers.Serializer):
    month = serializers.CharField(required=False, max_length=7, help_text="Visits due in this month, YYYY-MM")
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")

    def validate_month(self, value: str) -> Any:
        month = months.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month


class VisitFiguresApi(APIView):
    @extend_schema(
        parameters=[VisitFiguresInput],
        responses={200: VisitFiguresOutput, **ERRORS},
        summary="Coverage, contact success, A/B/C per project, department and handler, 回访满意率",
    )
    def get(self, request: Request) -> Response:
        _require_view(request)
        query = VisitFiguresInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        project = _project(request, data["project"]) if data.get("project") else None
        start, end = months.month_bounds(data.get("month") or months.current_month())
        return Response(
            VisitFiguresOutput(visit_figures(user=request.user, start=start, end=end, project=project)).data
        )
