"""Customer feedback API (R-FB, R-IR-8): the same selectors and services as the pages, one view per
operation, each with its own input and output serializers.

Staff of an item's project see it whole; the customer who raised it sees the customer's view (public
timeline events only, none of the internal fields); anyone else gets 404. The rules and the permissions
are the services'; a broken rule answers the project's error body ({code, message, fields}).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, cast

from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common import months
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.scoping import scope_for
from estatedesk.feedback import appointments, events, queues, reclassification, search, selectors, services
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import (
    Category,
    Channel,
    EventKind,
    InformedBy,
    Kind,
    Priority,
    Rating,
    SlaClock,
    Status,
    TalkKind,
)
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.intake import registration
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, StaffTalk, TimelineEvent
from estatedesk.feedback.portal import services as portal_services
from estatedesk.feedback.statistics import selectors as selectors_stats
from estatedesk.feedback.text import derive_title
from estatedesk.feedback.workflow import STEPS
from estatedesk.org.models import Building, Project, Unit
from estatedesk.org.permissions import can, can_anywhere, projects_with
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners.contacts import mask_phone
from estatedesk.owners.models import Resident

logger = logging.getLogger(__name__)
REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The item's reference, e.g. QD-HJ-20261126-0007"
)
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOutput}


def _context(request: Request) -> dict[str, Any]:
    return {"now": timezone.now(), "user": request.user}


def _is_staff(context: Mapping[str, Any], item: FeedbackItem) -> bool:
    """Does the user see the item as staff of its project (else as the customer who raised it)?"""
    return selectors.item_viewer_is_staff(user=context["user"], item=item)


def _context_cache(serializer: serializers.BaseSerializer) -> dict[str, Any]:
    """The serializer's context (a dict, shared by a list's rows) as a place to keep what every row reuses."""
    return cast(dict[str, Any], serializer.context)


# --- output ---------------------------------------------------------------------------------------------


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class ItemInternalOutput(serializers.Serializer):
    """What only staff of the item's project see."""

    is_major = serializers.BooleanField()
    is_hot = serializers.BooleanField()
    is_paid_service = serializers.BooleanField()
    is_quality_problem = serializers.BooleanField()
    escalation_level = serializers.IntegerField(help_text="0 none; 1 CS supervisor, 2 PM, 3 branch manager")
    supervisor = PersonOutput(allow_null=True)
    executor = PersonOutput(allow_null=True)
    reported_to_hq_at = serializers.DateTimeField(allow_null=True)


class ItemOutput(serializers.Serializer):
    """A row of the list."""

    reference = serializers.CharField()
    project = serializers.CharField(source="project.code")
    building = serializers.CharField(source="building.name", allow_null=True, default=None)
    unit = serializers.CharField(source="unit.label", allow_null=True, default=None)
    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    title = serializers.SerializerMethodField(help_text="Customers see their own words, not staff's title")
    registered_at = serializers.DateTimeField()
    rating = serializers.CharField(help_text="A, B or C once the customer has rated it; empty before")
    version = serializers.IntegerField(help_text="Send it back with a step: one edit wins, 409 otherwise")
    is_overdue = serializers.SerializerMethodField(help_text="An SLA clock has run out and is not met")
    internal = serializers.SerializerMethodField(help_text="Staff of the item's project only; null otherwise")

    def get_title(self, item: FeedbackItem) -> str:
        return item.title if _is_staff(self.context, item) else item.customer_title

    def get_is_overdue(self, item: FeedbackItem) -> bool:
        clocks = selectors.clock_states(item=item, now=self.context["now"])
        return item.is_open and any(c["done_at"] is None and c["overdue"] for c in clocks)

    @extend_schema_field(ItemInternalOutput(allow_null=True))
    def get_internal(self, item: FeedbackItem) -> dict[str, Any] | None:
        if not _is_staff(self.context, item):
            return None
        # one serializer for the whole page: building its fields for every row cost more than the rows
        cache = _context_cache(self)
        if "internal_output" not in cache:
            cache["internal_output"] = ItemInternalOutput()
        return cache["internal_output"].to_representation(item)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """A row (selectors.api_rows: the item's columns by name) as the fields above print an
        item, written out: the list's 50 rows through DRF's fields cost more than reading them
        (test_api_rows holds the two to the same output)."""
        scope = scope_for(self.context["user"])
        staff = (
            scope.is_global or instance["project_id"] in scope.project_ids
        )  # selectors.item_viewer_is_staff
        return _item_row(instance, now=self.context["now"], staff=staff)


_DATETIME = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return _DATETIME.to_representation(value)


def _choice(value: Any) -> Any:
    return value if value in ("", None) else str(value)


def _person(row: dict[str, Any], relation: str) -> dict[str, Any] | None:
    """{id, name} of the row's supervisor or executor, the name as accounts.User.__str__ gives it."""
    pk = row[f"{relation}_id"]
    if pk is None:
        return None
    full_name = f"{row[f'{relation}__first_name']} {row[f'{relation}__last_name']}".strip()
    return {"id": pk, "name": row[f"{relation}__display_name"] or full_name or row[f"{relation}__username"]}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


FINISHED = frozenset({Status.CLOSED, Status.CANCELLED})  # FeedbackItem.is_open is false


def _item_row(row: dict[str, Any], *, now: datetime, staff: bool) -> dict[str, Any]:
    """`ItemOutput`'s row (its fields' keys, order and values), without a field object per value."""
    running = (row[due] for due, done in CLOCK_COLUMNS.values() if row[due] is not None and row[done] is None)
    return {
        "reference": str(row["reference"]),
        "project": str(row["project__code"]),
        "building": _text(row["building__name"]),
        "unit": _text(row["unit__label"]),
        "channel": _choice(row["channel"]),
        "kind": _choice(row["kind"]),
        "category": _choice(row["category"]),
        "priority": _choice(row["priority"]),
        "status": _choice(row["status"]),
        "title": row["title"] if staff else derive_title(row["description"]),
        "registered_at": _when(row["registered_at"]),
        "rating": _text(row["rating"]),
        "version": None if row["version"] is None else int(row["version"]),
        # FeedbackItem.is_open, and a running clock past its due time (clock_states' overdue, not done)
        "is_overdue": row["status"] not in FINISHED and any(now > due for due in running),
        "internal": {
            "is_major": bool(row["is_major"]),
            "is_hot": bool(row["is_hot"]),
            "is_paid_service": bool(row["is_paid_service"]),
            "is_quality_problem": bool(row["is_quality_problem"]),
            "escalation_level": None if row["escalation_level"] is None else int(row["escalation_level"]),
            "supervisor": _person(row, "supervisor"),
            "executor": _person(row, "executor"),
            "reported_to_hq_at": _when(row["reported_to_hq_at"]),
        }
        if staff
        else None,
    }


class ClockOutput(serializers.Serializer):
    clock = serializers.ChoiceField(choices=SlaClock.choices)
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    met = serializers.BooleanField()
    overdue = serializers.BooleanField()
    seconds_left = serializers.IntegerField(allow_null=True, help_text="Null once the clock is stopped")


class EventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    message = serializers.CharField()
    is_public = serializers.BooleanField()
    actor = serializers.SerializerMethodField(help_text="Null for customers and for the system")
    what = serializers.SerializerMethodField(help_text="What happened, in words (the page's wording)")
    details = serializers.SerializerMethodField(help_text="Details in words; empty for customers")
    data = serializers.SerializerMethodField(  # type: ignore[assignment] # a field named "data"
        help_text="Details of the event; empty for customers"
    )

    @extend_schema_field(PersonOutput(allow_null=True))
    def get_actor(self, event: TimelineEvent) -> dict[str, Any] | None:
        if not self.context["is_staff"] or event.actor is None:
            return None
        return PersonOutput(event.actor).data

    def get_data(self, event: TimelineEvent) -> dict[str, Any]:
        return event.data if self.context["is_staff"] else {}

    def get_what(self, event: TimelineEvent) -> str:
        return self._described(event).what

    def get_details(self, event: TimelineEvent) -> list[str]:
        return self._described(event).details

    def _described(self, event: TimelineEvent) -> events.Description:
        names = _context_cache(self).setdefault("names", {})
        return events.describe(event, for_customer=not self.context["is_staff"], names=names)


class ChoiceOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"


class StepNoteOutput(serializers.Serializer):
    label = serializers.CharField(help_text="What the note is, in the request's language")  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment] # a field named "required"


class StepAssigneeOutput(serializers.Serializer):
    key = serializers.CharField(
        help_text="Where the chosen id goes in the step's `data`: supervisor_id, executor_id"
    )
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    required = serializers.BooleanField()  # type: ignore[assignment] # a field named "required"
    choices = PersonOutput(many=True, help_text="The colleagues of the project the step may assign")


class StepChoiceOutput(serializers.Serializer):
    """A step the user may take now, with what it asks for (workflow.STEPS)."""

    step = serializers.CharField(source="step.name")
    label = serializers.CharField(source="step.label")  # type: ignore[assignment] # a field named "label"
    note = serializers.SerializerMethodField(help_text="The note it asks for (send it as `note`); null: none")
    informed_by = serializers.SerializerMethodField(
        help_text="How the customer was told, one of these values, sent as `data.how`; empty: not asked"
    )
    assignee = serializers.SerializerMethodField(help_text="Whom it may assign; null: nobody")
    is_public = serializers.BooleanField(source="step.is_public", help_text="The customer sees the step")

    @extend_schema_field(StepNoteOutput(allow_null=True))
    def get_note(self, needs: selectors.StepNeeds) -> dict[str, Any] | None:
        note = needs.step.note
        return None if note is None else {"label": str(note.label), "required": note.required}

    @extend_schema_field(ChoiceOutput(many=True))
    def get_informed_by(self, needs: selectors.StepNeeds) -> list[dict[str, str]]:
        return [{"value": value, "label": str(label)} for value, label in needs.step.informed_by_choices]

    @extend_schema_field(StepAssigneeOutput(allow_null=True))
    def get_assignee(self, needs: selectors.StepNeeds) -> dict[str, Any] | None:
        assignee = needs.step.assignee
        if assignee is None:
            return None
        return {
            "key": assignee.data_key,
            "label": str(assignee.label),
            "required": assignee.required,
            "choices": [{"id": pk, "name": name} for pk, name in needs.assignee_choices],
        }


class ItemDetailOutput(ItemOutput):
    # every field through DRF (the list's written-out rows are the list's only)
    to_representation = serializers.Serializer.to_representation  # type: ignore[assignment]

    description = serializers.CharField()
    location_note = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.SerializerMethodField(help_text="Masked for roles that do not call owners")
    contact_email = serializers.CharField()
    handling_opinion = serializers.SerializerMethodField(help_text="Empty for customers")
    result = serializers.SerializerMethodField(help_text="Empty for customers")
    rating_comment = serializers.CharField()
    informed_by = serializers.ChoiceField(
        choices=InformedBy.choices,
        allow_blank=True,
        help_text="How the customer was told (R-FB-5); empty before",
    )
    closed_at = serializers.DateTimeField(allow_null=True)
    appointment_at = serializers.DateTimeField(
        allow_null=True, help_text="The visit time agreed with the customer (issue 11); null before"
    )
    clocks = serializers.SerializerMethodField(help_text="The SLA clocks; empty for customers")
    timeline = serializers.SerializerMethodField(help_text="Customers see the public events only")
    steps = serializers.SerializerMethodField(help_text="The steps the signed-in user may take now")

    def _staff(self, item: FeedbackItem) -> bool:
        return _is_staff(self.context, item)

    def get_contact_phone(self, item: FeedbackItem) -> str:
        if not item.contact_phone or not self._staff(item):
            return item.contact_phone  # the customer's own number
        projects = projects_with(self.context["user"], "owners.phone.full")
        full = projects is None or item.project_id in projects
        return item.contact_phone if full else mask_phone(item.contact_phone)

    def get_handling_opinion(self, item: FeedbackItem) -> str:
        return item.handling_opinion if self._staff(item) else ""

    def get_result(self, item: FeedbackItem) -> str:
        return item.result if self._staff(item) else ""

    @extend_schema_field(ClockOutput(many=True))
    def get_clocks(self, item: FeedbackItem) -> Any:
        if not self._staff(item):
            return []
        return ClockOutput(selectors.clock_states(item=item, now=self.context["now"]), many=True).data

    @extend_schema_field(EventOutput(many=True))
    def get_timeline(self, item: FeedbackItem) -> Any:
        rows = list(selectors.item_timeline(user=self.context["user"], item=item))
        staff = self._staff(item)
        names = events.referenced_names(rows) if staff else {}
        return EventOutput(rows, many=True, context={"is_staff": staff, "names": names}).data

    @extend_schema_field(StepChoiceOutput(many=True))
    def get_steps(self, item: FeedbackItem) -> Any:
        return StepChoiceOutput(
            selectors.item_step_needs(user=self.context["user"], item=item), many=True
        ).data


def _detail(request: Request, item: FeedbackItem, *, code: int = status.HTTP_200_OK) -> Response:
    return Response(ItemDetailOutput(item, context=_context(request)).data, status=code)


def _registered(
    request: Request, item: FeedbackItem, code: int = status.HTTP_201_CREATED, *, fresh: bool = False
) -> Response:
    """The registered item (201, or 200 for a replayed Idempotency-Key). The item is saved whatever happens
    next: should reading it back fail (a dropped connection, a bug in an output field), the client still
    gets its reference, never a 500 that would make it register the same thing again.

    `fresh`: the item this request has just registered, answered as it is in memory (the service set every
    column it wrote; reading it back cost a third of the request). A major incident is read back: alerting
    the general manager writes to it after it was created."""
    try:
        shown = item if fresh and not item.is_major else _reloaded(request, item)
        return _detail(request, shown, code=code)
    except Exception:  # noqa: BLE001 - any failure after the registration committed
        logger.exception("feedback item %s registered; its full answer failed", item.reference)
        return Response({"reference": item.reference, "status": item.status}, status=code)


def _reloaded(request: Request, item: FeedbackItem) -> FeedbackItem:
    return selectors.item_get_for_user(user=request.user, reference=item.reference)


# --- list -----------------------------------------------------------------------------------------------


class ItemFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    building = serializers.IntegerField(required=False, min_value=1, help_text="Building or area id")
    assignee = serializers.IntegerField(required=False, min_value=1, help_text="Supervisor or executor id")
    overdue = serializers.BooleanField(required=False, help_text="Only items with an SLA clock run out")
    open = serializers.BooleanField(required=False, help_text="Only items not closed or cancelled")
    search = serializers.CharField(
        required=False, max_length=100, help_text="A reference, a phone number, or words of the text"
    )
    month = serializers.RegexField(
        r"^[0-9]{4}-[0-9]{2}$", required=False, help_text="Registered in this month, YYYY-MM (Asia/Shanghai)"
    )

    queue = serializers.ChoiceField(
        choices=queues.queue_choices(),
        required=False,
        help_text="A work queue (feedback/queues.py), in its order: " + ", ".join(queues.QUEUES),
    )

    def validate_month(self, value: str) -> Any:
        month = months.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month

    def filters(self) -> selectors.ItemFilters:
        data = self.validated_data
        return selectors.ItemFilters(
            status=data.get("status", ""),
            kind=data.get("kind", ""),
            category=data.get("category", ""),
            channel=data.get("channel", ""),
            project=data.get("project", ""),
            building=data.get("building"),
            assignee=data.get("assignee"),
            overdue=data.get("overdue", False),
            open_only=data.get("open", False),
            search=data.get("search", ""),
            month=data.get("month"),
            queue=data.get("queue", ""),
        )


class RowsPaginator(CappedPaginator):
    """Counts the items as they are (their count reads no joined table), and gives the page's items as
    rows (selectors.api_rows), which ItemOutput prints."""

    def page(self, number: Any) -> Page:
        page = super().page(number)
        page.object_list = selectors.api_rows(page.object_list)  # type: ignore[arg-type] # the items, sliced
        return page


class ItemRowsPagination(CappedPagination):
    """A searched list counts up to `search.count_cap` items (the web list does the same)."""

    cap: int | None = None

    @property
    def django_paginator_class(self) -> Any:  # type: ignore[override]
        return functools.partial(RowsPaginator, cap=self.cap)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self.cap = search.count_cap(request.query_params.get("search", ""))
        return super().paginate_queryset(queryset, request, view)


@extend_schema(
    parameters=[ItemFilterInput],
    responses={200: ItemOutput(many=True), 400: ErrorOutput},
    summary="Feedback items in scope, newest first (customers: their own)",
)
class ItemListApi(generics.ListAPIView):
    serializer_class = ItemOutput
    pagination_class = ItemRowsPagination

    def get_queryset(self) -> QuerySet[FeedbackItem]:
        if getattr(self, "swagger_fake_view", False):
            return FeedbackItem.objects.none()
        filters = ItemFilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.item_list(user=self.request.user, filters=filters.filters())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_context(self.request)}


# --- work queues (issue 11) -----------------------------------------------------------------------------


class QueueOutput(serializers.Serializer):
    name = serializers.CharField(help_text="Pass as ?queue= to the item list")
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    count = serializers.IntegerField()


class QueueListOutput(serializers.Serializer):
    to_do = serializers.IntegerField(help_text="Items in any of the user's work queues, each once")
    queues = QueueOutput(many=True)


class QueueListApi(APIView):
    @extend_schema(
        responses={200: QueueListOutput},
        summary="The user's work queues with their counts (feedback/queues.py); none for customers",
    )
    def get(self, request: Request) -> Response:
        mine = queues.queues_for(user=request.user)
        counts = queues.queue_counts(user=request.user, queues=mine)
        rows = [{"name": q.name, "label": str(q.label), "count": counts[q.name]} for q in mine]
        return Response(QueueListOutput({"to_do": counts[queues.TO_DO_KEY], "queues": rows}).data)


# --- one item -------------------------------------------------------------------------------------------


class ItemDetailApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: ItemDetailOutput, 404: ErrorOutput},
        summary="One item with its SLA clocks, its timeline and the steps open to the user",
    )
    def get(self, request: Request, reference: str) -> Response:
        return _detail(request, selectors.item_get_for_user(user=request.user, reference=reference))


class ItemCreateInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, help_text="Project code")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Required for staff; customers: portal"
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=10000)
    unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="Unit id; customers: one of their own units"
    )
    building = serializers.IntegerField(required=False, allow_null=True, help_text="Building or area id")
    location_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    # staff only: a customer's request leaves these at their defaults
    resident = serializers.IntegerField(required=False, allow_null=True, help_text="Staff only: resident id")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    is_major = serializers.BooleanField(default=False, help_text="Staff only: alerts the general manager")
    is_hot = serializers.BooleanField(default=False, help_text="Staff only")
    is_paid_service = serializers.BooleanField(default=False, help_text="Staff only")
    is_quality_problem = serializers.BooleanField(default=False, help_text="Staff only: 30-minute clock")


STAFF_ONLY_FIELDS = ("resident", "priority", "is_major", "is_hot", "is_paid_service", "is_quality_problem")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


class ItemCreateApi(APIView):
    """Staff with feedback.register at the project register on any channel; a customer registers on the
    portal for themselves, about one of their own units."""

    @extend_schema(
        request=ItemCreateInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Any unique string per registration: a retry with the same key returns the "
                "first item (200, header Idempotent-Replayed: true) instead of registering it again",
            )
        ],
        responses={201: ItemDetailOutput, 200: ItemDetailOutput, **ERRORS},
        summary="Register what a customer raised (R-FB-1)",
    )
    def post(self, request: Request) -> Response:
        # a retry with the same Idempotency-Key (after a dropped connection, a double click) gets the first
        # item back, 200 instead of 201, and registers nothing
        key = request.headers.get("Idempotency-Key", "")[:200]
        replayed = registration.item_for_idempotency_key(actor=request.user, key=key)
        if replayed is not None:
            response = _registered(request, replayed, code=status.HTTP_200_OK)
            response["Idempotent-Replayed"] = "true"
            return response
        payload = ItemCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = project_get_for_user(user=request.user, code=data.pop("project"))
        if can(request.user, "feedback.register", project=project):
            values = self._staff_values(request, project, data)
        else:
            values = self._customer_values(request, project, data)
        item = registration.feedback_item_register(
            actor=request.user,
            data=registration.ItemInput(project=project, **values),
            idempotency_key=key,
        )
        return _registered(request, item, fresh=True)

    def _staff_values(self, request: Request, project: Project, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("channel"):
            raise _invalid("channel", _("This field is required."))
        if data.get("unit"):
            data["unit"] = (
                Unit.objects.filter(project=project, pk=data["unit"]).select_related("building").first()
            )
            if data["unit"] is None:
                raise _invalid("unit", _("This unit belongs to another project."))
        if data.get("building"):
            data["building"] = Building.objects.filter(project=project, pk=data["building"]).first()
            if data["building"] is None:
                raise _invalid("building", _("This building belongs to another project."))
        if data.get("resident"):
            data["resident"] = Resident.objects.visible_to(request.user).filter(pk=data["resident"]).first()
            if data["resident"] is None:
                raise _invalid("resident", _("No such resident."))
        return data

    def _customer_values(self, request: Request, project: Project, data: dict[str, Any]) -> dict[str, Any]:
        for name in STAFF_ONLY_FIELDS:
            data.pop(name, None)
        data.pop("building", None)
        user: Any = request.user
        resident = Resident.objects.filter(user_id=user.pk).first()
        if resident is None or project.pk not in scope_for(user).owner_project_ids:
            raise PermissionDenied
        own_units = Unit.objects.filter(
            project=project, occupancies__resident=resident, occupancies__ended_on__isnull=True
        ).select_related("building")
        if data.get("unit"):
            data["unit"] = own_units.filter(pk=data["unit"]).first()
            if data["unit"] is None:
                raise _invalid("unit", _("Choose one of your own units."))
        else:
            units = list(own_units[:2])
            data["unit"] = units[0] if len(units) == 1 else None
        data["channel"] = data.get("channel") or Channel.PORTAL
        return {**data, "resident": resident}


class StepDataInput(serializers.Serializer):
    supervisor_id = serializers.IntegerField(required=False, help_text="contact_supervisor: whom")
    executor_id = serializers.IntegerField(required=False, help_text="arrange: who does the work")
    how = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The steps that ask how the customer was told (inform_customer, answer): one of "
        + ", ".join(InformedBy.values),
    )


class StepInput(serializers.Serializer):
    step = serializers.ChoiceField(choices=[(name, str(step.label)) for name, step in STEPS.items()])
    version = serializers.IntegerField(min_value=1, help_text="The item's version the user saw")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    data = StepDataInput(required=False)  # type: ignore[assignment] # a field named "data"


class ItemStepApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: StepChoiceOutput(many=True), 404: ErrorOutput},
        summary="The steps the user may take now, each with the note, choices and assignees it asks for",
    )
    def get(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        return Response(
            StepChoiceOutput(selectors.item_step_needs(user=request.user, item=item), many=True).data
        )

    @extend_schema(
        parameters=[REFERENCE],
        request=StepInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="Take one step of the R-FB path; 409 when someone changed the item since `version`",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = StepInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = services.feedback_item_step(
            actor=request.user,
            item=item,
            step=data["step"],
            version=data["version"],
            note=data["note"],
            data=dict(data.get("data") or {}),
        )
        return _detail(request, _reloaded(request, item))


class CommentInput(serializers.Serializer):
    message = serializers.CharField(max_length=10000)
    is_public = serializers.BooleanField(default=False, help_text="Shown to the customer")


class ItemCommentApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=CommentInput,
        responses={201: EventOutput, **ERRORS},
        summary="Add a comment to the timeline (staff)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = CommentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.feedback_comment_add(actor=request.user, item=item, **payload.validated_data)
        return Response(EventOutput(event, context={"is_staff": True}).data, status=status.HTTP_201_CREATED)


class InformationInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000, allow_blank=True, default="", trim_whitespace=True)
    via = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="How the customer told us; if left out, the hotline (staff) or the owner portal (customer)",
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="At most 5 photos (multipart)"
    )


class ItemInformationApi(APIView):
    """The customer's new words (and photos) on their open item, instead of a second item (issue 11): staff
    who register at the item's project record them for the caller; the customer adds to their own item."""

    @extend_schema(
        parameters=[REFERENCE],
        request=InformationInput,
        responses={201: EventOutput, **CONFLICT},
        summary="Add the customer's information to an open item (staff for the caller, or the customer)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = InformationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        is_staff = selectors.item_viewer_is_staff(user=request.user, item=item)
        event = feedback_item_add_information(
            actor=request.user,
            item=item,
            text=data["text"],
            via=data.get("via") or (Channel.HOTLINE if is_staff else Channel.PORTAL),
            photos=data["photos"],
        )
        return Response(
            EventOutput(event, context={"is_staff": is_staff}).data, status=status.HTTP_201_CREATED
        )


class StaffTalkInput(serializers.Serializer):
    employee_name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=TalkKind.choices)
    notes = serializers.CharField(max_length=10000)


class StaffTalkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    employee_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=TalkKind.choices)
    notes = serializers.CharField()
    recorded_by = PersonOutput(allow_null=True)
    recorded_at = serializers.DateTimeField()


class StaffTalkCreateApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=StaffTalkInput,
        responses={201: StaffTalkOutput, **ERRORS},
        summary="Record the talk with, or criticism of, the employee (R-FB-4)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = StaffTalkInput(data=request.data)
        payload.is_valid(raise_exception=True)
        talk: StaffTalk = services.staff_talk_record(actor=request.user, item=item, **payload.validated_data)
        return Response(StaffTalkOutput(talk).data, status=status.HTTP_201_CREATED)


class ExecutionRecordInput(serializers.Serializer):
    """Fields left out, or sent as they are stored, are not changed; each changed field must be the
    user's to write (QA: qa_opinion, qa_acceptance; the project's staff: office_record, executor_name,
    executed_at), in the record's order. customer_acceptance comes from the customer, never from here."""

    qa_opinion = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    office_record = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    qa_acceptance = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    customer_acceptance = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    executor_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    executed_at = serializers.DateTimeField(required=False, allow_null=True)


class ExecutionRecordOutput(serializers.Serializer):
    qa_opinion = serializers.CharField()
    qa_opinion_by = PersonOutput(allow_null=True)
    qa_opinion_at = serializers.DateTimeField(allow_null=True)
    office_record = serializers.CharField()
    office_record_by = PersonOutput(allow_null=True)
    office_record_at = serializers.DateTimeField(allow_null=True)
    qa_acceptance = serializers.CharField()
    qa_acceptance_by = PersonOutput(allow_null=True)
    qa_acceptance_at = serializers.DateTimeField(allow_null=True)
    customer_acceptance = serializers.CharField(help_text="From the customer's rating")
    customer_acceptance_at = serializers.DateTimeField(allow_null=True)
    executor_name = serializers.CharField()
    executed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    writable = serializers.SerializerMethodField(help_text="The fields the signed-in user may write now")

    def get_writable(self, record: ExecutionRecord) -> list[str]:
        return list(self.context.get("writable", []))


def _record_output(request: Request, item: FeedbackItem) -> Response:
    record = selectors.execution_record_for(item=item) or ExecutionRecord(item=item)
    writable = selectors.execution_record_writable(
        user=request.user, item=item, record=record if record.pk else None
    )
    return Response(ExecutionRecordOutput(record, context={"writable": writable}).data)


class ExecutionRecordApi(APIView):
    """附表二 (R-FB-8). One resource read and written, so GET and PUT share this view: each has its own
    serializers, and PUT goes through the service like every write."""

    @extend_schema(
        parameters=[REFERENCE],
        responses={200: ExecutionRecordOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="The item's execution record with its sign-offs (blank until written)",
    )
    def get(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        if not selectors.item_viewer_is_staff(user=request.user, item=item):
            raise PermissionDenied
        return _record_output(request, item)

    @extend_schema(
        parameters=[REFERENCE],
        request=ExecutionRecordInput,
        responses={200: ExecutionRecordOutput, **CONFLICT},
        summary="Write the user's part of the execution record (R-FB-8: QA opinion → office record → "
        "QA acceptance; 409 out of order or once signed off by the next part)",
    )
    def put(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = ExecutionRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.execution_record_update(actor=request.user, item=item, **payload.validated_data)
        return _record_output(request, item)


class RatingInput(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ItemRateApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=RatingInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="The customer rates the handling once told the result: their acceptance (R-FB-8)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = RatingInput(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.feedback_item_rate(actor=request.user, item=item, **payload.validated_data)
        return _detail(request, _reloaded(request, item))


class ItemChaseApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=None,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="The customer chases their item (催办) while it is handled: once per 4 hours (issue 11)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        portal_services.feedback_item_chase(actor=request.user, item=item)
        return _detail(request, _reloaded(request, item))


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ItemWithdrawApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=WithdrawInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="The customer withdraws their item before it is handled; it is cancelled (issue 11)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = WithdrawInput(data=request.data)
        payload.is_valid(raise_exception=True)
        item = portal_services.feedback_item_withdraw(actor=request.user, item=item, **payload.validated_data)
        return _detail(request, _reloaded(request, item))


class ProgressOutput(serializers.Serializer):
    at = serializers.CharField(help_text="ISO 8601")
    step = serializers.CharField()
    note = serializers.CharField()


class HqReportOutput(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment] # a field named "source"
    reference = serializers.CharField()
    project = serializers.CharField()
    type = serializers.CharField()
    title = serializers.CharField()
    facts = serializers.CharField()
    registered_at = serializers.CharField(help_text="ISO 8601")
    status = serializers.ChoiceField(choices=Status.choices)
    progress = ProgressOutput(many=True)


class ItemReportToHqApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=None,
        responses={200: HqReportOutput, **ERRORS},
        summary="Report a major or hot complaint to HQ (R-IR-8): the instant report's content",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        content = services.feedback_item_report_to_hq(actor=request.user, item=item)
        return Response(HqReportOutput(content).data)


# --- the month's statistics (R-FB-7) ------------------------------------------------------------------------


class StatisticsInput(serializers.Serializer):
    month = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=7,
        help_text="YYYY-MM, e.g. 2026-11; the current month (Asia/Shanghai) when left out or empty",
    )
    project = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Project code; every project the user covers when left out or empty",
    )

    def validate_month(self, value: str) -> date | None:
        if not value:
            return None
        month = months.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month


class ShareOutput(serializers.Serializer):
    value = serializers.CharField(help_text="The choice's stable value, as the item list's filter takes it")
    label = serializers.CharField(help_text="In the request's language")  # type: ignore[assignment]
    count = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Of the month's items, one decimal")


class ClockComplianceOutput(serializers.Serializer):
    clock = serializers.ChoiceField(choices=SlaClock.choices)
    label = serializers.CharField(help_text="In the request's language")  # type: ignore[assignment]
    decided = serializers.IntegerField(help_text="Done, or past due without being done: met + breached")
    met = serializers.IntegerField(help_text="Done by the deadline")
    breached = serializers.IntegerField(help_text="Done late, or past due and not done (open items)")
    running = serializers.IntegerField(help_text="Not done, deadline still ahead (open items)")
    rate = serializers.FloatField(
        allow_null=True, help_text="met / decided in %, one decimal; null when none"
    )


class MonthStatisticsOutput(serializers.Serializer):
    month = serializers.DateField(format="%Y-%m", help_text="YYYY-MM")
    project = serializers.CharField(source="project.code", allow_null=True, default=None, help_text="Code")
    total = serializers.IntegerField(help_text="Items registered in the month (Asia/Shanghai) in scope")
    open = serializers.IntegerField(help_text="Of those, not closed or cancelled")
    closed = serializers.IntegerField()
    average_handling_seconds = serializers.FloatField(
        allow_null=True, help_text="Registration to closing, closed items only; null when none is closed"
    )
    by_kind = ShareOutput(many=True)
    by_category = ShareOutput(many=True)
    by_channel = ShareOutput(many=True)
    by_status = ShareOutput(many=True)
    clocks = ClockComplianceOutput(many=True)


class StatisticsApi(APIView):
    """The month's feedback statistics (R-FB-7): the same figures as the statistics page."""

    @extend_schema(
        parameters=[StatisticsInput],
        responses={200: MonthStatisticsOutput, **ERRORS},
        summary="The month's feedback: counts by kind, category, channel and status; SLA compliance (R-FB-7)",
    )
    def get(self, request: Request) -> Response:
        if not can_anywhere(request.user, "feedback.view"):
            raise PermissionDenied
        query = StatisticsInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        code = data.get("project", "").strip()
        project = selectors_stats.statistics_project_get(user=request.user, code=code) if code else None
        stats = selectors_stats.month_statistics(
            user=request.user, month=data.get("month") or months.current_month(), project=project
        )
        return Response(MonthStatisticsOutput(stats).data)


# --- reclassification -------------------------------------------------------------------------------------


class ReclassifyInput(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The item's version you saw; 409 if it moved on"
    )
    reason = serializers.CharField(max_length=1000, help_text="Why the classification changes")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    building = serializers.IntegerField(required=False, allow_null=True, help_text="Building or area id")
    unit = serializers.IntegerField(required=False, allow_null=True, help_text="Unit id")
    location_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    department = serializers.IntegerField(required=False, allow_null=True, help_text="Department id")
    is_major = serializers.BooleanField(required=False, help_text="Becoming major alerts the general manager")
    is_hot = serializers.BooleanField(required=False)
    is_quality_problem = serializers.BooleanField(required=False)
    is_paid_service = serializers.BooleanField(required=False)


class ItemReclassifyApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=ReclassifyInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="Change kind, category, place, department, priority or flags after registration (audited)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = ReclassifyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        version, reason = values.pop("version"), values.pop("reason")
        item = reclassification.feedback_item_reclassify(
            actor=request.user,
            item=item,
            version=version,
            target=reclassification.reclassification_from(item=item, values=values),
            reason=reason,
        )
        return _detail(request, _reloaded(request, item))


# --- field work (issue 11) ------------------------------------------------------------------------------


class AppointmentInput(serializers.Serializer):
    at = serializers.DateTimeField(
        help_text="The visit time agreed with the customer (ISO 8601, with offset)"
    )
    note = serializers.CharField(max_length=500, allow_blank=True, default="", trim_whitespace=True)


class ItemAppointmentApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=AppointmentInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="Record (or move) the visit time agreed with the customer, while the job is arranged or in "
        "progress (its executor, department supervisor, project manager, customer service)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = AppointmentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        item = appointments.feedback_item_set_appointment(
            actor=request.user, item=item, **payload.validated_data
        )
        return _detail(request, _reloaded(request, item))


class HandOverInput(serializers.Serializer):
    executor_id = serializers.IntegerField(help_text="The colleague of the project who takes the job over")
    note = serializers.CharField(max_length=500, trim_whitespace=True, help_text="Why it is handed over")


class ItemHandOverApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=HandOverInput,
        responses={200: ItemDetailOutput, **CONFLICT},
        summary="Hand the job over to another colleague of the project, while it is arranged or in progress "
        "(its executor, a department supervisor, the project manager)",
    )
    def post(self, request: Request, reference: str) -> Response:
        item = selectors.item_get_for_user(user=request.user, reference=reference)
        payload = HandOverInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = appointments.feedback_item_hand_over(
            actor=request.user, item=item, to_id=data["executor_id"], note=data["note"]
        )
        return _detail(request, _reloaded(request, item))
