"""Survey campaign API (R-SV-1, R-SV-2): the same selectors and services as the pages, one view per operation,
each with its own input and output serializers; errors answer {code, message, fields} (api/errors.py).

GET/POST campaigns/, GET campaigns/<reference>/ (with the areas' returns), POST …/open/, …/close/,
…/cancel/, …/areas/<id>/forms/ (make numbered forms), …/areas/<id>/hand-out/, …/areas/<id>/waive/
(DELETE withdraws the waiver).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.models import Building, Department, Project
from estatedesk.org.permissions import can_anywhere
from estatedesk.surveys import campaigns as services
from estatedesk.surveys import figures, forms_pdf, rates, selectors
from estatedesk.surveys.choices import CampaignStatus, FormKind, Frequency, Runner
from estatedesk.surveys.models import Campaign, CampaignArea, Questionnaire

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The campaign's reference, e.g. SV-QD-A-202611-01"
)
AREA = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The campaign area's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


def _require_view(request: Request) -> None:
    if not can_anywhere(request.user, "surveys.view"):
        raise PermissionDenied


def _get(request: Request, reference: str) -> Campaign:
    _require_view(request)
    return selectors.campaign_get_for_user(user=request.user, reference=reference)


def _area(campaign: Campaign, pk: int) -> CampaignArea:
    """One area of the campaign (already read through the user's scope), or 404."""
    area = CampaignArea.objects.select_related("area").filter(campaign=campaign, pk=pk).first()
    if area is None:
        raise Http404
    area.campaign = campaign  # the campaign already read through the user's scope
    return area


# --- output ---------------------------------------------------------------------------------------------


class AreaReturnOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The campaign area's id (for the area operations)")
    area = serializers.IntegerField(help_text="The building or common area's id")
    name = serializers.CharField()
    handed_out = serializers.IntegerField()
    returned = serializers.IntegerField()
    rate = serializers.CharField(
        allow_null=True,
        help_text='Return rate in percent, half-up to two decimals ("90.00"); null: none handed out',
    )
    passes = serializers.BooleanField(help_text="At least the threshold (exactly the threshold passes)")
    blocks = serializers.BooleanField(
        help_text="Below the threshold without a waiver: the campaign cannot close"
    )
    waiver_reason = serializers.CharField()
    waiver_by = serializers.CharField(allow_null=True)
    waiver_at = serializers.DateTimeField(allow_null=True)


def area_payload(campaign: Campaign) -> list[dict[str, Any]]:
    """Every area's returns (figures.area_returns) with its waiver, two queries."""
    waivers = {
        area.pk: area
        for area in CampaignArea.objects.filter(campaign=campaign, waiver_at__isnull=False).select_related(
            "waiver_by"
        )
    }
    rows = []
    for row in figures.area_returns(campaign):
        waiver = waivers.get(row.campaign_area_id)
        shown = rates.percent(row.rate)
        rows.append(
            {
                "id": row.campaign_area_id,
                "area": row.area_id,
                "name": row.name,
                "handed_out": row.handed_out,
                "returned": row.returned,
                "rate": None if shown is None else str(shown),
                "passes": row.passes,
                "blocks": row.blocks,
                "waiver_reason": row.waiver_reason,
                "waiver_by": str(waiver.waiver_by) if waiver is not None and waiver.waiver_by else None,
                "waiver_at": waiver.waiver_at if waiver is not None else None,
            }
        )
    return rows


class CampaignOutput(serializers.Serializer):
    reference = serializers.CharField()
    project = serializers.CharField(source="project.code")
    title = serializers.CharField()
    runner = serializers.ChoiceField(choices=Runner.choices)
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=FormKind.choices)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CampaignListOutput(CampaignOutput):
    handed_out = serializers.IntegerField()
    returned = serializers.IntegerField()


class CampaignItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    name = serializers.CharField(
        source="label", help_text="The item as printed (frozen when the campaign was made)"
    )
    name_en = serializers.CharField(source="label_en")
    department_kind = serializers.CharField()


class CampaignDetailOutput(CampaignOutput):
    questionnaire = serializers.IntegerField(source="questionnaire_id")
    greeting = serializers.CharField()
    greeting_en = serializers.CharField()
    one_answer_per_unit = serializers.BooleanField()
    double_entry_percent = serializers.IntegerField()
    cancelled_reason = serializers.CharField()
    schedule = serializers.IntegerField(source="schedule_id", allow_null=True)
    forms_made = serializers.IntegerField(source="last_serial")
    items = CampaignItemOutput(many=True, source="items.all")
    return_rate_threshold = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()

    def get_return_rate_threshold(self, campaign: Campaign) -> str:
        return str(figures.rules_for(campaign).return_rate_threshold)

    @extend_schema_field(AreaReturnOutput(many=True))
    def get_areas(self, campaign: Campaign) -> list[dict[str, Any]]:
        return AreaReturnOutput(area_payload(campaign), many=True).data  # type: ignore[return-value]


def _detail(request: Request, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.campaign_get_for_user(user=request.user, reference=campaign.reference)
    return Response(CampaignDetailOutput(fresh).data, status=code)


# --- list and create --------------------------------------------------------------------------------------


class CampaignFilterInput(serializers.Serializer):
    project = serializers.CharField(required=False, max_length=32, help_text="Project code")
    status = serializers.ChoiceField(choices=CampaignStatus.choices, required=False)
    runner = serializers.ChoiceField(choices=Runner.choices, required=False)


class CampaignCreateInput(serializers.Serializer):
    project = serializers.CharField(max_length=32, help_text="Project code")
    runner = serializers.ChoiceField(choices=Runner.choices)
    questionnaire = serializers.IntegerField(min_value=1, help_text="A questionnaire's id (the company's)")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.AD_HOC)
    department = serializers.IntegerField(min_value=1, required=False, help_text="A department's id")
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    areas = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Building or common-area ids of the project; none: every one",
    )
    one_answer_per_unit = serializers.BooleanField(default=False)
    double_entry_percent = serializers.IntegerField(min_value=0, max_value=100, default=0)
    open = serializers.BooleanField(default=False, help_text="Open the campaign at once")


class CampaignListApi(generics.ListAPIView):
    serializer_class = CampaignListOutput
    pagination_class = CappedPagination

    @extend_schema(
        parameters=[CampaignFilterInput],
        responses={200: CampaignListOutput(many=True), 400: ErrorOutput, 403: ErrorOutput},
        summary="Survey campaigns in scope, newest period first, with the forms handed out and returned",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_view(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        payload = CampaignFilterInput(data=self.request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        rows = (
            Campaign.objects.visible_to(self.request.user)
            .select_related("project", "department")
            .annotate(
                handed_out=Count("forms", filter=Q(forms__handed_out_at__isnull=False)),
                returned=Count("forms", filter=Q(forms__returned_at__isnull=False)),
            )
            .order_by("-period_start", "-id")
        )
        if data.get("project"):
            rows = rows.filter(project__code=data["project"])
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        if data.get("runner"):
            rows = rows.filter(runner=data["runner"])
        return rows

    @extend_schema(
        request=CampaignCreateInput,
        responses={201: CampaignDetailOutput, **ERRORS},
        summary="Make a campaign from a questionnaire (items and areas copied), optionally opened at once",
    )
    def post(self, request: Request) -> Response:
        _require_view(request)
        payload = CampaignCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = request.user
        project = get_for_user_or_404(
            Project.objects.select_related("branch"), user=user, code=data["project"]
        )
        questionnaire = Questionnaire.objects.filter(
            pk=data["questionnaire"], company_id=project.branch.company_id
        ).first()
        if questionnaire is None:
            raise ValidationError({"questionnaire": [_("Choose a questionnaire of the company.")]})
        department = None
        if data.get("department"):
            department = Department.objects.filter(pk=data["department"]).first()
            if department is None:
                raise ValidationError(
                    {"department": [_("Choose a department of the project, its branch or the company.")]}
                )
        wanted = set(data.get("areas") or [])
        areas = list(Building.objects.filter(project=project, pk__in=wanted).order_by(*services.AREA_ORDER))
        if len(areas) != len(wanted):
            raise ValidationError({"areas": [_("Choose areas of the campaign's project.")]})
        campaign = services.campaign_create(
            actor=user,
            data=services.CampaignData(
                project=project,
                runner=data["runner"],
                questionnaire=questionnaire,
                period_start=data["period_start"],
                period_end=data["period_end"],
                frequency=data["frequency"],
                department=department,
                title=data["title"],
                areas=areas,
                one_answer_per_unit=data["one_answer_per_unit"],
                double_entry_percent=data["double_entry_percent"],
            ),
        )
        if data["open"]:
            services.campaign_open(actor=user, campaign=campaign)
        return _detail(request, campaign, status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={200: CampaignDetailOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="One campaign with its items and its areas' return rates (R-SV-2)",
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(CampaignDetailOutput(_get(request, reference)).data)


# --- the steps ------------------------------------------------------------------------------------------


class CampaignEmptyInput(serializers.Serializer):
    pass


class CampaignReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CampaignOpenApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=CampaignEmptyInput,
        responses={200: CampaignDetailOutput, **ERRORS},
        summary="Open a campaign being prepared (forms can then be handed out and answered)",
    )
    def post(self, request: Request, reference: str) -> Response:
        campaign = _get(request, reference)
        services.campaign_open(actor=request.user, campaign=campaign)
        return _detail(request, campaign)


class CampaignCloseApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=CampaignEmptyInput,
        responses={200: CampaignDetailOutput, **ERRORS},
        summary="Close a running campaign: refused (409 surveys.below_return_rate) while an area is below "
        "the return rate without a waiver; then the sample of forms for return-visit checks is arranged",
    )
    def post(self, request: Request, reference: str) -> Response:
        campaign = _get(request, reference)
        services.campaign_close(actor=request.user, campaign=campaign)
        return _detail(request, campaign)


class CampaignCancelApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        request=CampaignReasonInput,
        responses={200: CampaignDetailOutput, **ERRORS},
        summary="Cancel a campaign that is not closed, with a reason",
    )
    def post(self, request: Request, reference: str) -> Response:
        campaign = _get(request, reference)
        payload = CampaignReasonInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.campaign_cancel(
            actor=request.user, campaign=campaign, reason=payload.validated_data["reason"]
        )
        return _detail(request, campaign)


class FormCountInput(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_FORMS_PER_CALL)


class MadeFormOutput(serializers.Serializer):
    serial = serializers.IntegerField()
    url = serializers.CharField(help_text="The form's own address, printed as its QR code")


class AreaFormsMakeApi(APIView):
    @extend_schema(
        parameters=[REFERENCE, AREA],
        request=FormCountInput,
        responses={201: MadeFormOutput(many=True), **ERRORS},
        summary="Make numbered forms for an area (serial and QR address each; at most 2,000 a call)",
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        campaign = _get(request, reference)
        area = _area(campaign, pk)
        payload = FormCountInput(data=request.data)
        payload.is_valid(raise_exception=True)
        made = services.forms_make(
            actor=request.user, campaign=campaign, area=area, count=payload.validated_data["count"]
        )
        base = forms_pdf.base_url(request.build_absolute_uri("/"))
        rows = [
            {"serial": form.serial, "url": forms_pdf.answer_url(base=base, token=form.token)} for form in made
        ]
        return Response(MadeFormOutput(rows, many=True).data, status=status.HTTP_201_CREATED)


class HandOutOutput(serializers.Serializer):
    handed_out = serializers.IntegerField(help_text="Forms recorded as handed out by this call")
    area = AreaReturnOutput()


def _area_row(campaign: Campaign, area: CampaignArea) -> dict[str, Any]:
    return next(row for row in area_payload(campaign) if row["id"] == area.pk)


class AreaHandOutApi(APIView):
    @extend_schema(
        parameters=[REFERENCE, AREA],
        request=FormCountInput,
        responses={200: HandOutOutput, **ERRORS},
        summary="Record more forms of an area handed out (forms are made when it has too few)",
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        campaign = _get(request, reference)
        area = _area(campaign, pk)
        payload = FormCountInput(data=request.data)
        payload.is_valid(raise_exception=True)
        count = services.forms_hand_out(
            actor=request.user, campaign=campaign, area=area, count=payload.validated_data["count"]
        )
        return Response(HandOutOutput({"handed_out": count, "area": _area_row(campaign, area)}).data)


class AreaWaiveApi(APIView):
    @extend_schema(
        parameters=[REFERENCE, AREA],
        request=CampaignReasonInput,
        responses={200: AreaReturnOutput, **ERRORS},
        summary="Accept an area's return rate below the threshold, with a reason (surveys.waive)",
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        campaign = _get(request, reference)
        area = _area(campaign, pk)
        payload = CampaignReasonInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.area_waive(actor=request.user, area=area, reason=payload.validated_data["reason"])
        return Response(AreaReturnOutput(_area_row(campaign, area)).data)

    @extend_schema(
        parameters=[REFERENCE, AREA],
        responses={200: AreaReturnOutput, **ERRORS},
        summary="Withdraw an area's waiver while the campaign is open (surveys.waive)",
    )
    def delete(self, request: Request, reference: str, pk: int) -> Response:
        campaign = _get(request, reference)
        area = _area(campaign, pk)
        services.area_waiver_withdraw(actor=request.user, area=area)
        return Response(AreaReturnOutput(_area_row(campaign, area)).data)


urlpatterns: list[URLPattern] = [
    path("campaigns/", CampaignListApi.as_view(), name="api-surveys-campaign-list"),
    path("campaigns/<str:reference>/", CampaignDetailApi.as_view(), name="api-surveys-campaign-detail"),
    path("campaigns/<str:reference>/open/", CampaignOpenApi.as_view(), name="api-surveys-campaign-open"),
    path("campaigns/<str:reference>/close/", CampaignCloseApi.as_view(), name="api-surveys-campaign-close"),
    path(
        "campaigns/<str:reference>/cancel/", CampaignCancelApi.as_view(), name="api-surveys-campaign-cancel"
    ),
    path(
        "campaigns/<str:reference>/areas/<int:pk>/forms/",
        AreaFormsMakeApi.as_view(),
        name="api-surveys-area-forms",
    ),
    path(
        "campaigns/<str:reference>/areas/<int:pk>/hand-out/",
        AreaHandOutApi.as_view(),
        name="api-surveys-area-hand-out",
    ),
    path(
        "campaigns/<str:reference>/areas/<int:pk>/waive/",
        AreaWaiveApi.as_view(),
        name="api-surveys-area-waive",
    ),
]
