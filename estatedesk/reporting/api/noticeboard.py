"""Documents API (R-IR-6): the same selectors and services as the pages (reporting/noticeboard.py). A
recipient sees the documents forwarded to them, HQ's document administrator every document; anyone else
gets 404. Reading a document here records the recipient's first reading, as the page does. Errors answer
{code, message, fields}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import URLPattern, path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.feedback.api import PersonOutput
from estatedesk.org.permissions import can_anywhere
from estatedesk.reporting import noticeboard
from estatedesk.reporting.choices import DocumentDirection
from estatedesk.reporting.models import Document

DOCUMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The document's id")


class DocumentOutput(serializers.Serializer):
    """A row of the list."""

    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=DocumentDirection.choices)
    title = serializers.CharField()
    sender = serializers.CharField()
    received_at = serializers.DateTimeField()
    file_url = serializers.SerializerMethodField(help_text="The file (a download), or null when it has none")
    forwarded_to_me_at = serializers.DateTimeField(
        source="my_forwarded_at", allow_null=True, help_text="When it was forwarded to the caller"
    )
    read_by_me_at = serializers.DateTimeField(
        source="my_read_at", allow_null=True, help_text="When the caller first opened it"
    )
    recipients = serializers.SerializerMethodField(help_text="People it was forwarded to (its keepers only)")
    readers = serializers.SerializerMethodField(help_text="Recipients who opened it (its keepers only)")

    def get_file_url(self, document: Document) -> str | None:
        return reverse("reporting:document_file", args=[document.pk]) if document.file else None

    def get_recipients(self, document: Document) -> int | None:
        return getattr(document, "recipients", None) if self.context.get("keeps") else None

    def get_readers(self, document: Document) -> int | None:
        return getattr(document, "readers", None) if self.context.get("keeps") else None


class DeliveryOutput(serializers.Serializer):
    user = PersonOutput()
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    forwarded_by = PersonOutput(allow_null=True)
    forwarded_at = serializers.DateTimeField()
    note = serializers.CharField()
    read_at = serializers.DateTimeField(allow_null=True)
    reminders = serializers.IntegerField(help_text="Reminders sent while it was not read")


class DocumentDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=DocumentDirection.choices)
    title = serializers.CharField()
    summary = serializers.CharField()
    sender = serializers.CharField()
    from_branch = serializers.CharField(source="from_branch.code", allow_null=True, default=None)
    from_project = serializers.CharField(source="from_project.code", allow_null=True, default=None)
    received_at = serializers.DateTimeField()
    registered_by = PersonOutput(allow_null=True)
    file_url = serializers.SerializerMethodField(help_text="The file (a download), or null when it has none")
    my_delivery = serializers.SerializerMethodField(
        help_text="The caller's forwarding, when it was forwarded"
    )
    deliveries = serializers.SerializerMethodField(
        help_text="Every recipient with the forwarding and the first reading (its keepers only; else [])"
    )

    def get_file_url(self, document: Document) -> str | None:
        return reverse("reporting:document_file", args=[document.pk]) if document.file else None

    @extend_schema_field(DeliveryOutput(allow_null=True))
    def get_my_delivery(self, document: Document) -> Any:
        delivery = noticeboard.document_delivery_for(user=self.context["user"], document=document)
        return DeliveryOutput(delivery).data if delivery is not None else None

    @extend_schema_field(DeliveryOutput(many=True))
    def get_deliveries(self, document: Document) -> Any:
        if not self.context.get("keeps"):
            return []
        rows = noticeboard.document_deliveries(document=document)
        return DeliveryOutput([row.delivery for row in rows], many=True).data


class DocumentFilterInput(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only what was forwarded to the caller and not read yet"
    )


@extend_schema(
    parameters=[DocumentFilterInput],
    responses={200: DocumentOutput(many=True), 400: ErrorOutput},
    summary="Documents forwarded to the caller (every document for HQ's document administrator) (R-IR-6)",
)
class DocumentListApi(generics.ListAPIView):
    serializer_class = DocumentOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[Document]:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        if not can_anywhere(self.request.user, "reporting.view"):
            raise PermissionDenied
        filters = DocumentFilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return noticeboard.document_list_for_api(
            user=self.request.user, unread_only=filters.validated_data["unread"]
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "keeps": noticeboard.keeps_documents(self.request.user)}


class DocumentDetailApi(APIView):
    @extend_schema(
        parameters=[DOCUMENT_ID],
        responses={200: DocumentDetailOutput, 404: ErrorOutput},
        summary="One document; a recipient's first reading is recorded (read receipt)",
    )
    def get(self, request: Request, pk: int) -> Response:
        document = noticeboard.document_get_for_user(user=request.user, pk=pk)
        noticeboard.document_open(user=request.user, document=document)
        context = {"user": request.user, "keeps": noticeboard.keeps_documents(request.user)}
        return Response(DocumentDetailOutput(document, context=context).data)


urlpatterns: list[URLPattern] = [
    path("documents/", DocumentListApi.as_view(), name="api-reporting-documents"),
    path("documents/<int:pk>/", DocumentDetailApi.as_view(), name="api-reporting-document"),
]
