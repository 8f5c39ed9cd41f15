"""Answers coming in, by API (issue 13, item 3): key in a paper form, list a campaign's forms, the second
keying and the settling of mismatches, and the workbook import (check, commit, template). The same services
as the pages (`surveys.entry`, `surveys.importing`), one view per operation; the campaign is read through the
user's scope (404 outside it) and the capability is checked at its project (403); errors answer
{code, message, fields} (api/errors.py)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.text import filename_safe
from estatedesk.org.permissions import can
from estatedesk.surveys import entry, importing
from estatedesk.surveys.choices import Channel
from estatedesk.surveys.models import Campaign, SurveyAnswer, SurveyForm, SurveyImport
from estatedesk.surveys.selectors import campaign_get_for_user

REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The campaign's reference, e.g. SV-QD-A-202611-01"
)
SERIAL = OpenApiParameter("serial", int, OpenApiParameter.PATH, description="The form's serial number")
IMPORT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The import's id")
ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}
RATINGS_HELP = (
    "{campaign item id: rating}; rating 1 very satisfied (很满意), 2 satisfied (满意), 3 fairly satisfied "
    "(较满意), 4 unsatisfied (不满意), 0 no answer (未表态)"
)


def _campaign(request: Request, reference: str, capability: str) -> Campaign:
    campaign = campaign_get_for_user(user=request.user, reference=reference)
    if not can(request.user, capability, project=campaign.project):
        raise PermissionDenied
    return campaign


def _form(campaign: Campaign, serial: int) -> SurveyForm:
    form = (
        SurveyForm.objects.select_related("campaign__project", "area__area")
        .filter(campaign=campaign, serial=serial)
        .first()
    )
    if form is None:
        raise Http404
    form.campaign = campaign
    return form


def _ratings(raw: dict[str, int]) -> dict[int, int]:
    result: dict[int, int] = {}
    for key, value in raw.items():
        if not str(key).isdigit():
            raise serializers.ValidationError({"ratings": [f"{key!r} is not a campaign item id."]})
        result[int(key)] = value
    return result


# --- output -------------------------------------------------------------------------------------------------


class SurveyFormOutput(serializers.Serializer):
    serial = serializers.IntegerField()
    serial_text = serializers.SerializerMethodField(help_text='As printed, e.g. "0012"')
    area = serializers.CharField(source="area.area.name")
    campaign_area = serializers.IntegerField(source="area_id", help_text="The campaign area's id")
    handed_out_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField(help_text="paper, online, qr or import; empty until returned")
    respondent_name = serializers.CharField()
    answered_on = serializers.DateField(allow_null=True)
    comment = serializers.CharField()
    needs_second_entry = serializers.BooleanField()
    second_entry_at = serializers.DateTimeField(allow_null=True)
    mismatch_items = serializers.ListField(child=serializers.IntegerField(), help_text="Items to settle")

    def get_serial_text(self, form: SurveyForm) -> str:
        return entry.serial_text(form.serial)


class SurveyFormDetailOutput(SurveyFormOutput):
    ratings = serializers.SerializerMethodField(help_text=RATINGS_HELP)

    def get_ratings(self, form: SurveyForm) -> dict[str, int]:
        rows = SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating")
        return {str(item_id): rating for item_id, rating in rows}


def _detail(form: SurveyForm, code: int = status.HTTP_200_OK) -> Response:
    fresh = SurveyForm.objects.select_related("area__area").get(pk=form.pk)
    return Response(SurveyFormDetailOutput(fresh).data, status=code)


# --- forms: list and key in ---------------------------------------------------------------------------------


class FormFilterInput(serializers.Serializer):
    returned = serializers.BooleanField(required=False, allow_null=True, default=None)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    campaign_area = serializers.IntegerField(required=False, min_value=1)
    second_entry = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only forms waiting for a second keying"
    )


class KeyInInput(serializers.Serializer):
    serial = serializers.CharField(
        max_length=200, help_text="The serial printed on the form (12 or 0012), or its QR address /s/<token>/"
    )
    ratings = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=4), help_text=RATINGS_HELP + "; every item"
    )
    respondent_name = serializers.CharField(
        max_length=entry.MAX_NAME, required=False, allow_blank=True, default=""
    )
    answered_on = serializers.DateField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(
        max_length=entry.MAX_COMMENT, required=False, allow_blank=True, default=""
    )


class CampaignFormsApi(generics.ListAPIView):
    serializer_class = SurveyFormOutput
    pagination_class = CappedPagination
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        parameters=[REFERENCE, FormFilterInput],
        responses={200: SurveyFormOutput(many=True), **ERRORS},
        summary="The campaign's forms by serial (surveys.view)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[SurveyForm]:
        if getattr(self, "swagger_fake_view", False):
            return SurveyForm.objects.none()
        campaign = _campaign(self.request, self.kwargs["reference"], "surveys.view")
        data = FormFilterInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rows = SurveyForm.objects.filter(campaign=campaign).select_related("area__area").order_by("serial")
        if values.get("returned") is not None:
            rows = rows.filter(returned_at__isnull=not values["returned"])
        if values.get("channel"):
            rows = rows.filter(channel=values["channel"])
        if values.get("campaign_area"):
            rows = rows.filter(area_id=values["campaign_area"])
        if values.get("second_entry"):
            rows = rows.filter(
                needs_second_entry=True, second_entry_at__isnull=True, returned_at__isnull=False
            )
        return rows

    @extend_schema(
        parameters=[REFERENCE],
        request=KeyInInput,
        responses={201: SurveyFormDetailOutput, **ERRORS},
        summary="Key in a returned paper form (surveys.enter); 409 surveys.already_entered when it was",
    )
    def post(self, request: Request, reference: str) -> Response:
        campaign = _campaign(request, reference, "surveys.enter")
        payload = KeyInInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        form = entry.form_key_in(
            actor=request.user,
            campaign=campaign,
            serial=entry.serial_resolve(campaign=campaign, text=data["serial"]),
            ratings=_ratings(data["ratings"]),
            respondent_name=data["respondent_name"],
            answered_on=data["answered_on"],
            comment=data["comment"],
        )
        return _detail(form, status.HTTP_201_CREATED)


class SecondEntryInput(serializers.Serializer):
    ratings = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=4), help_text=RATINGS_HELP + "; every item"
    )


class FormSecondEntryApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        parameters=[REFERENCE, SERIAL],
        request=SecondEntryInput,
        responses={200: SurveyFormDetailOutput, **ERRORS},
        summary="The blind second keying of a form drawn for double entry, by another user",
    )
    def post(self, request: Request, reference: str, serial: int) -> Response:
        campaign = _campaign(request, reference, "surveys.enter")
        form = _form(campaign, serial)
        payload = SecondEntryInput(data=request.data)
        payload.is_valid(raise_exception=True)
        entry.form_second_entry(
            actor=request.user, form=form, ratings=_ratings(payload.validated_data["ratings"])
        )
        return _detail(form)


class ResolveInput(serializers.Serializer):
    choices = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=4),
        help_text="{campaign item id: the right rating} for items of mismatch_items",
    )


class FormResolveApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[REFERENCE, SERIAL],
        request=ResolveInput,
        responses={200: SurveyFormDetailOutput, **ERRORS},
        summary="Settle items the two keyings disagree on (surveys.run); audited",
    )
    def post(self, request: Request, reference: str, serial: int) -> Response:
        campaign = _campaign(request, reference, "surveys.run")
        form = _form(campaign, serial)
        payload = ResolveInput(data=request.data)
        payload.is_valid(raise_exception=True)
        entry.mismatch_resolve(
            actor=request.user, form=form, choices=_ratings(payload.validated_data["choices"])
        )
        return _detail(form)


# --- the workbook import ------------------------------------------------------------------------------------


class ImportProblemOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="The sheet's row number; 0 for the whole file")
    column = serializers.CharField(help_text="The header as written in the file")
    message = serializers.CharField()


class SurveyImportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    status = serializers.CharField(
        help_text="checked (may be imported), rejected (has problems) or committed"
    )
    rows_total = serializers.IntegerField(help_text="Answered forms in the file")
    rows_ok = serializers.IntegerField(help_text="Rows without problems (imported, once committed)")
    problems = ImportProblemOutput(many=True)
    created_at = serializers.DateTimeField()
    committed_at = serializers.DateTimeField(allow_null=True)


class ImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="The workbook (.xlsx), multipart")


class CampaignImportsApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[REFERENCE],
        request={"multipart/form-data": ImportInput},
        responses={201: SurveyImportOutput, **ERRORS},
        summary="Check a workbook of answered forms (dry run; nothing imported): status checked or rejected",
    )
    def post(self, request: Request, reference: str) -> Response:
        campaign = _campaign(request, reference, "surveys.enter")
        payload = ImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        survey_import = importing.survey_import_check(
            actor=request.user, campaign=campaign, upload=upload, filename=upload.name or ""
        )
        return Response(SurveyImportOutput(survey_import).data, status=status.HTTP_201_CREATED)


def _import(request: Request, reference: str, pk: int) -> SurveyImport:
    campaign = _campaign(request, reference, "surveys.enter")
    survey_import = SurveyImport.objects.filter(campaign=campaign, pk=pk).first()
    if survey_import is None:
        raise Http404
    survey_import.campaign = campaign
    return survey_import


class CampaignImportApi(APIView):
    @extend_schema(
        parameters=[REFERENCE, IMPORT_ID],
        responses={200: SurveyImportOutput, **ERRORS},
        summary="One checked workbook with its problems",
    )
    def get(self, request: Request, reference: str, pk: int) -> Response:
        return Response(SurveyImportOutput(_import(request, reference, pk)).data)


class CampaignImportCommitApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        parameters=[REFERENCE, IMPORT_ID],
        request=None,
        responses={200: SurveyImportOutput, **ERRORS},
        summary="Import a checked workbook: every row, or none (409 when it has problems or was imported)",
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        survey_import = importing.survey_import_commit(
            actor=request.user, survey_import=_import(request, reference, pk)
        )
        return Response(SurveyImportOutput(survey_import).data)


class CampaignImportTemplateApi(APIView):
    @extend_schema(
        parameters=[REFERENCE],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The workbook to fill in, serials pre-filled per area"
            ),
            **ERRORS,
        },
        summary="The import template of the campaign",
    )
    def get(self, request: Request, reference: str) -> FileResponse:
        campaign = _campaign(request, reference, "surveys.enter")
        name = filename_safe(f"{campaign.reference}-answers.xlsx", fallback="answers.xlsx")
        return FileResponse(
            BytesIO(importing.template_workbook(campaign=campaign)), as_attachment=True, filename=name
        )


CAMPAIGN = "campaigns/<str:reference>/"
urlpatterns = [
    path(f"{CAMPAIGN}forms/", CampaignFormsApi.as_view(), name="api-surveys-forms"),
    path(
        f"{CAMPAIGN}forms/<int:serial>/second-entry/",
        FormSecondEntryApi.as_view(),
        name="api-surveys-form-second-entry",
    ),
    path(f"{CAMPAIGN}forms/<int:serial>/resolve/", FormResolveApi.as_view(), name="api-surveys-form-resolve"),
    path(f"{CAMPAIGN}imports/", CampaignImportsApi.as_view(), name="api-surveys-imports"),
    path(f"{CAMPAIGN}imports/<int:pk>/", CampaignImportApi.as_view(), name="api-surveys-import"),
    path(
        f"{CAMPAIGN}imports/<int:pk>/commit/",
        CampaignImportCommitApi.as_view(),
        name="api-surveys-import-commit",
    ),
    path(
        f"{CAMPAIGN}import-template/", CampaignImportTemplateApi.as_view(), name="api-surveys-import-template"
    ),
]
