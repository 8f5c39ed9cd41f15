"""Client visits API (R-CS-1): the same selectors and services as the pages (visits/clients.py), one view per
operation, each with its own input and output serializers. Staff of a visit's project see it; anyone else
gets 404; writing needs visits.client at the project (403). Errors answer {code, message, fields}."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.feedback.api import PersonOutput
from estatedesk.feedback.choices import Category, Kind, Priority
from estatedesk.feedback.intake.registration import item_for_idempotency_key
from estatedesk.org.models import Building
from estatedesk.org.selectors import project_get_for_user
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientKind, ClientVisitKind, ClientVisitStatus
from estatedesk.visits.models import ClientVisit

VISIT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The client visit's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOutput}


# --- output ---------------------------------------------------------------------------------------------


class ClientVisitOutput(serializers.Serializer):
    """A row of the list."""

    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    kind = serializers.ChoiceField(choices=ClientVisitKind.choices)
    client_kind = serializers.ChoiceField(choices=ClientKind.choices)
    client_name = serializers.CharField()
    contact_person = serializers.CharField()
    status = serializers.ChoiceField(choices=ClientVisitStatus.choices)
    planned_on = serializers.DateField()
    visited_on = serializers.DateField(allow_null=True)
    visitor = PersonOutput()
    follow_up_due_on = serializers.DateField(allow_null=True)
    follow_up_done_at = serializers.DateTimeField(allow_null=True)
    is_follow_up_overdue = serializers.SerializerMethodField(
        help_text="Recorded with a follow-up past its due date and not done"
    )

    def get_is_follow_up_overdue(self, visit: ClientVisit) -> bool:
        return (
            visit.status == ClientVisitStatus.DONE
            and bool(visit.follow_up)
            and visit.follow_up_done_at is None
            and visit.follow_up_due_on is not None
            and visit.follow_up_due_on < self.context["today"]
        )


class RaisedItemOutput(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class ClientVisitDetailOutput(ClientVisitOutput):
    attendees = serializers.CharField()
    raised = serializers.CharField(help_text="What the client raised")
    follow_up = serializers.CharField()
    cancelled_reason = serializers.CharField()
    created_by = PersonOutput()
    created_at = serializers.DateTimeField()
    items = serializers.SerializerMethodField(help_text="Feedback items made of what the client raised")
    next_visit_id = serializers.SerializerMethodField(
        help_text="The next planned visit to the same client (planned when a regular visit was recorded)"
    )

    def get_items(self, visit: ClientVisit) -> Any:
        return RaisedItemOutput(clients.client_visit_items(visit=visit), many=True).data

    def get_next_visit_id(self, visit: ClientVisit) -> int | None:
        following = clients.client_visit_next(visit=visit) if visit.visited_on else None
        return following.pk if following is not None else None


def _context() -> dict[str, Any]:
    return {"today": clients.today()}


def _detail(request: Request, visit: ClientVisit, *, code: int = status.HTTP_200_OK) -> Response:
    fresh = clients.client_visit_get_for_user(user=request.user, pk=visit.pk)
    return Response(ClientVisitDetailOutput(fresh, context=_context()).data, status=code)


# --- list and detail ------------------------------------------------------------------------------------


class ClientVisitFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClientVisitStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=ClientVisitKind.choices, required=False)
    client_kind = serializers.ChoiceField(choices=ClientKind.choices, required=False)
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    follow_up_overdue = serializers.BooleanField(
        required=False, help_text="Only recorded visits whose follow-up is past its due date and not done"
    )
    search = serializers.CharField(required=False, max_length=100, help_text="Words of the client or contact")

    def filters(self) -> clients.ClientVisitFilters:
        data = self.validated_data
        return clients.ClientVisitFilters(
            status=data.get("status", ""),
            kind=data.get("kind", ""),
            client_kind=data.get("client_kind", ""),
            project=data.get("project", ""),
            follow_up_overdue=data.get("follow_up_overdue", False),
            search=data.get("search", ""),
        )


@extend_schema(
    parameters=[ClientVisitFilterInput],
    responses={200: ClientVisitOutput(many=True), 400: ErrorOutput},
    summary="Client visits in scope, latest planned first (R-CS-1)",
)
class ClientVisitListApi(generics.ListAPIView):
    serializer_class = ClientVisitOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[ClientVisit]:
        if getattr(self, "swagger_fake_view", False):
            return ClientVisit.objects.none()
        filters = ClientVisitFilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return clients.client_visit_list(user=self.request.user, filters=filters.filters())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_context()}


class ClientVisitDetailApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        responses={200: ClientVisitDetailOutput, 404: ErrorOutput},
        summary="One client visit with what was raised, the follow-up and the feedback items made of it",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, clients.client_visit_get_for_user(user=request.user, pk=pk))


# --- writes ---------------------------------------------------------------------------------------------


class ClientVisitPlanInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, help_text="Project code")
    kind = serializers.ChoiceField(choices=ClientVisitKind.choices)
    client_kind = serializers.ChoiceField(choices=ClientKind.choices)
    client_name = serializers.CharField(max_length=100)
    contact_person = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    planned_on = serializers.DateField()
    visitor = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="User id of a CS supervisor or the project manager of the project; default: the caller",
    )


class ClientVisitPlanApi(APIView):
    @extend_schema(
        request=ClientVisitPlanInput,
        responses={201: ClientVisitDetailOutput, **ERRORS},
        summary="Plan a regular or ad-hoc visit to a client of the project (visits.client)",
    )
    def post(self, request: Request) -> Response:
        payload = ClientVisitPlanInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = project_get_for_user(user=request.user, code=data.pop("project"))
        visitor = None
        if data.get("visitor"):
            visitor = clients.client_visit_visitor_get(user_id=data["visitor"])
            if visitor is None:
                raise ValidationError({"visitor": [_("No such user.")]})
        data["visitor"] = visitor
        visit = clients.client_visit_plan(
            actor=request.user, plan=clients.ClientVisitPlan(project=project, **data)
        )
        return _detail(request, visit, code=status.HTTP_201_CREATED)


class ClientVisitRecordInput(serializers.Serializer):
    visited_on = serializers.DateField()
    attendees = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    raised = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    follow_up = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    follow_up_due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Required with a follow-up"
    )
    next_planned_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Regular visits: plans the next visit to the same client "
        f"(the pages propose the visit date + {clients.REGULAR_INTERVAL_DAYS} days)",
    )


class ClientVisitRecordApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=ClientVisitRecordInput,
        responses={200: ClientVisitDetailOutput, **CONFLICT},
        summary="Record a planned visit: when, who attended, what the client raised, the follow-up",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = clients.client_visit_get_for_user(user=request.user, pk=pk, for_write=True)
        payload = ClientVisitRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        record = clients.ClientVisitRecord(**payload.validated_data)
        return _detail(request, clients.client_visit_record(actor=request.user, visit=visit, record=record))


class ClientVisitFollowUpDoneApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=None,
        responses={200: ClientVisitDetailOutput, **CONFLICT},
        summary="The visit's follow-up is done",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = clients.client_visit_get_for_user(user=request.user, pk=pk, for_write=True)
        return _detail(request, clients.client_visit_follow_up_done(actor=request.user, visit=visit))


class ClientVisitCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ClientVisitCancelApi(APIView):
    @extend_schema(
        parameters=[VISIT_ID],
        request=ClientVisitCancelInput,
        responses={200: ClientVisitDetailOutput, **CONFLICT},
        summary="Cancel a planned visit, saying why",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = clients.client_visit_get_for_user(user=request.user, pk=pk, for_write=True)
        payload = ClientVisitCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        visit = clients.client_visit_cancel(
            actor=request.user, visit=visit, reason=payload.validated_data["reason"]
        )
        return _detail(request, visit)


class RaiseItemInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.SUGGESTION)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.CUSTOMER_SERVICE)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    description = serializers.CharField(max_length=4000)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    building = serializers.IntegerField(required=False, allow_null=True, help_text="Building or area id")
    location_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_major = serializers.BooleanField(default=False, help_text="Alerts the general manager")


class RaisedItemCreatedOutput(RaisedItemOutput):
    channel = serializers.CharField()
    registered_at = serializers.DateTimeField()


class ClientVisitRaiseItemApi(APIView):
    @extend_schema(
        parameters=[
            VISIT_ID,
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A retry with the same key returns the first item (200) instead of a second one",
            ),
        ],
        request=RaiseItemInput,
        responses={201: RaisedItemCreatedOutput, 200: RaisedItemCreatedOutput, **CONFLICT},
        summary="Make a feedback item (channel client_visit) of what the client raised, linked to the visit",
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = clients.client_visit_get_for_user(user=request.user, pk=pk, for_write=True)
        key = request.headers.get("Idempotency-Key", "")[:200]
        replayed = item_for_idempotency_key(actor=request.user, key=key) is not None
        payload = RaiseItemInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        building = None
        if data.get("building"):
            building = Building.objects.filter(project_id=visit.project_id, pk=data["building"]).first()
            if building is None:
                raise ValidationError({"building": [_("This building belongs to another project.")]})
        data["building"] = building
        item = clients.client_visit_raise_item(
            actor=request.user, visit=visit, raised=clients.RaisedItem(**data), idempotency_key=key
        )
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        body = RaisedItemCreatedOutput(
            {
                "reference": item.reference,
                "title": item.title,
                "status": item.status,
                "channel": item.channel,
                "registered_at": item.registered_at or timezone.now(),
            }
        ).data
        return Response(body, status=code)
