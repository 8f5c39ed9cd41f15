"""Survey report API (R-SV-5): the same services and reads as the report's page, one view per operation, each
with its own input and output serializers; errors answer {code, message, fields} (api/errors.py).

GET campaigns/<reference>/report/ (a recipient's first reading is recorded), POST
campaigns/<reference>/report/ (draft, or edit the draft), POST …/report/submit/, …/report/review/,
…/report/distribute/, and GET reports/ (the user's reports to review, to read and returned for changes).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.common.scoping import scope_for
from estatedesk.org.permissions import can
from estatedesk.surveys import reports
from estatedesk.surveys.choices import Audience, ReportStatus
from estatedesk.surveys.models import CampaignReport, ReportRecipient
from estatedesk.surveys.report_pdf import FINAL, report_figures

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The campaign's reference, e.g. SV-QD-A-202611-01"
)
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


def _staff(request: Request, reference: str) -> reports.ReportAccess:
    """For the writing steps: project staff only (a recipient from elsewhere gets 404)."""
    access = reports.report_access(user=request.user, reference=reference)
    if access.recipient_only:
        raise Http404
    return access


def _report(request: Request, reference: str) -> tuple[reports.ReportAccess, CampaignReport]:
    access = _staff(request, reference)
    if access.report is None:
        raise Http404
    return access, access.report


# --- output ------------------------------------------------------------------------------------------------


class ReportPersonOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class RecipientOutput(serializers.Serializer):
    user = ReportPersonOutput()
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    sent_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    reminders = serializers.IntegerField()


class ReportOutput(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.reference")
    title = serializers.CharField(source="campaign.title")
    project = serializers.CharField(source="campaign.project.code")
    runner = serializers.CharField(source="campaign.runner")
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    author = ReportPersonOutput()
    summary = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewer = ReportPersonOutput(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_note = serializers.CharField()
    audience = serializers.CharField(help_text="departments or leaders; empty before distribution")
    distributed_at = serializers.DateTimeField(allow_null=True)
    figures_frozen = serializers.SerializerMethodField(
        help_text="True once approved: the figures are those frozen at approval"
    )
    figures = serializers.SerializerMethodField(
        help_text="The campaign's figures (as GET …/figures/ answers): frozen once approved, live before"
    )
    pdf = serializers.SerializerMethodField(help_text="The report's PDF (a draft's is marked as such)")
    recipients = serializers.SerializerMethodField(help_text="Empty for a recipient from outside the project")

    @extend_schema_field(serializers.BooleanField())
    def get_figures_frozen(self, report: CampaignReport) -> bool:
        return report.status in FINAL and bool(report.figures)

    @extend_schema_field(serializers.JSONField())
    def get_figures(self, report: CampaignReport) -> dict[str, Any]:
        return report_figures(campaign=report.campaign, report=report)

    @extend_schema_field(serializers.CharField())
    def get_pdf(self, report: CampaignReport) -> str:
        request = self.context.get("request")
        url = reverse("surveys:report_pdf", args=[report.campaign.reference])
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(RecipientOutput(many=True))
    def get_recipients(self, report: CampaignReport) -> list[dict[str, Any]]:
        if self.context.get("recipient_only"):
            return []
        rows = report.recipients.select_related("user", "department").order_by("sent_at", "id")
        return RecipientOutput(rows, many=True).data  # type: ignore[return-value]


def _detail(request: Request, reference: str, code: int = status.HTTP_200_OK) -> Response:
    access = reports.report_access(user=request.user, reference=reference)
    if access.report is None:
        raise Http404
    context = {"request": request, "recipient_only": access.recipient_only}
    return Response(ReportOutput(access.report, context=context).data, status=code)


# --- the report --------------------------------------------------------------------------------------------


class DraftInput(serializers.Serializer):
    summary = serializers.CharField(
        max_length=reports.SUMMARY_MAX,
        allow_blank=True,
        help_text="Findings and measures (分析结论与改进措施)",
    )


class CampaignReportApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: ReportOutput, 404: ErrorOutput},
        summary="A campaign's report with its figures; a recipient's first reading is recorded",
    )
    def get(self, request: Request, reference: str) -> Response:
        access = reports.report_access(user=request.user, reference=reference)
        if access.report is not None and access.report.status == ReportStatus.DISTRIBUTED:
            reports.report_mark_read(user=request.user, report=access.report)
        return _detail(request, reference)

    @extend_schema(
        parameters=[REFERENCE],
        request=DraftInput,
        responses={200: ReportOutput, 201: ReportOutput, **ERRORS},
        summary="Draft the report (201), or edit the draft or the returned report as its author (200)",
    )
    def post(self, request: Request, reference: str) -> Response:
        access = _staff(request, reference)
        if not can(request.user, "surveys.run", project=access.campaign.project):
            raise PermissionDenied
        payload = DraftInput(data=request.data)
        payload.is_valid(raise_exception=True)
        created = access.report is None
        reports.report_draft(
            actor=request.user, campaign=access.campaign, summary=payload.validated_data["summary"]
        )
        return _detail(request, reference, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReportSubmitApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=None,
        responses={200: ReportOutput, **ERRORS},
        summary="The author sends the report for review",
    )
    def post(self, request: Request, reference: str) -> Response:
        _access, report = _report(request, reference)
        reports.report_submit(actor=request.user, report=report)
        return _detail(request, reference)


class ReviewInput(serializers.Serializer):
    approve = serializers.BooleanField(
        help_text="True approves (figures frozen, PDF stored); false returns it"
    )
    note = serializers.CharField(
        max_length=reports.SUMMARY_MAX,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required when the report is returned",
    )


class ReportReviewApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=ReviewInput,
        responses={200: ReportOutput, **ERRORS},
        summary="Approve the report or return it with a note (a reviewer of the route, never the author)",
    )
    def post(self, request: Request, reference: str) -> Response:
        _access, report = _report(request, reference)
        payload = ReviewInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        reports.report_review(actor=request.user, report=report, approve=data["approve"], note=data["note"])
        return _detail(request, reference)


class DistributeInput(serializers.Serializer):
    departments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=200,
        help_text="Department ids (departments audience); left out: the departments of the campaign's items",
    )


class ReportDistributeApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=DistributeInput,
        responses={200: ReportOutput, **ERRORS},
        summary="Distribute the approved report to the route's audience (by its author or reviewer)",
    )
    def post(self, request: Request, reference: str) -> Response:
        access, report = _report(request, reference)
        payload = DistributeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = payload.validated_data.get("departments")
        departments = None
        route = reports.route_for(access.campaign)
        if ids is not None and route is not None and route.audience == Audience.DEPARTMENTS:
            allowed = {row.pk: row for row in reports.distribution_departments(access.campaign)}
            unknown = sorted(set(ids) - set(allowed))
            if unknown:
                message = _("Choose departments of the campaign's project, its branch or the company.")
                raise ValidationError({"departments": [message]})
            departments = [allowed[pk] for pk in dict.fromkeys(ids)]
        reports.report_distribute(actor=request.user, report=report, departments=departments)
        return _detail(request, reference)


# --- the inbox ---------------------------------------------------------------------------------------------


class InboxReportOutput(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.reference")
    title = serializers.CharField(source="campaign.title")
    project = serializers.CharField(source="campaign.project.name")
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    author = ReportPersonOutput()
    submitted_at = serializers.DateTimeField(allow_null=True)
    review_note = serializers.CharField()


class InboxReadOutput(serializers.Serializer):
    campaign = serializers.CharField(source="report.campaign.reference")
    title = serializers.CharField(source="report.campaign.title")
    project = serializers.CharField(source="report.campaign.project.name")
    sent_at = serializers.DateTimeField()


class InboxOutput(serializers.Serializer):
    to_review = InboxReportOutput(many=True)
    to_read = InboxReadOutput(many=True)
    returned = InboxReportOutput(many=True)


class ReportInboxApi(APIView):
    @extend_schema(
        responses={200: InboxOutput, 403: ErrorOutput},
        summary="My survey reports: to review, to read (not opened yet), returned to me for changes",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not scope_for(user).is_staff_member:
            raise PermissionDenied
        to_read: list[ReportRecipient] = list(reports.reports_to_read(user=user)[: reports.INBOX_ROWS])
        data = {
            "to_review": reports.reports_to_review(user=user),
            "to_read": to_read,
            "returned": list(
                reports.reports_returned(user=user).select_related("author")[: reports.INBOX_ROWS]
            ),
        }
        return Response(InboxOutput(data).data)


urlpatterns: list[URLPattern] = [
    path("reports/", ReportInboxApi.as_view(), name="api-surveys-report-inbox"),
    path("campaigns/<str:reference>/report/", CampaignReportApi.as_view(), name="api-surveys-report"),
    path(
        "campaigns/<str:reference>/report/submit/",
        ReportSubmitApi.as_view(),
        name="api-surveys-report-submit",
    ),
    path(
        "campaigns/<str:reference>/report/review/",
        ReportReviewApi.as_view(),
        name="api-surveys-report-review",
    ),
    path(
        "campaigns/<str:reference>/report/distribute/",
        ReportDistributeApi.as_view(),
        name="api-surveys-report-distribute",
    ),
]
