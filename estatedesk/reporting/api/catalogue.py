"""API of the catalogue (R-IR-3, R-IR-5), the non-reporters of a period (R-IR-1) and the rule proposals
(R-IR-2): the same services and selectors as the pages; errors answer {code, message, fields}.

- GET /api/reporting/types/, GET /api/reporting/types/<code>/ (every staff member of the company);
- GET /api/reporting/missing/?period=YYYY-MM (HQ);
- GET/POST /api/reporting/proposals/ (a branch sees and makes its own; HQ sees all);
- POST /api/reporting/proposals/<id>/decide/ (HQ).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.models import Branch
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import catalogue, proposals
from estatedesk.reporting.choices import (
    DeadlineRule,
    InfoClass,
    ProposalStatus,
    ReportingScope,
    Special,
    SubmissionStatus,
)
from estatedesk.reporting.expected import may_see_missing, missing_for_period, parse_period, previous_month
from estatedesk.reporting.models import InformationType, ReportTemplate, RuleProposal
from estatedesk.reporting.selectors import rules_for_company

ERRORS: dict[int, Any] = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}
CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description="The type's code, e.g. monthly_business"
)


def _require_view(request: Request) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _types(request: Request) -> QuerySet[InformationType]:
    rows = InformationType.objects.visible_to(request.user)
    if not can(request.user, "reporting.catalogue"):
        rows = rows.filter(is_active=True)
    return rows.order_by("company_id", "position", "id")


# --- types --------------------------------------------------------------------------------------------------


class TemplateFieldOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    label_en = serializers.CharField()
    type = serializers.ChoiceField(choices=catalogue.FieldKind.choices)
    required = serializers.BooleanField()  # type: ignore[assignment] # a field named "required"
    unit = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class TemplateOutput(serializers.Serializer):
    version = serializers.IntegerField()
    fields = TemplateFieldOutput(many=True)  # type: ignore[assignment] # a field named "fields"
    attachments_required = serializers.IntegerField()
    attachment_note = serializers.CharField()
    created_at = serializers.DateTimeField()


class TypeOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    info_class = serializers.ChoiceField(choices=InfoClass.choices)
    content = serializers.CharField(help_text="内容描述")
    scope = serializers.ChoiceField(
        choices=ReportingScope.choices, help_text="Who reports: each branch or project"
    )
    scope_note = serializers.CharField(help_text="范围, as the procedure says")
    deadline_rule = serializers.ChoiceField(choices=DeadlineRule.choices)
    deadline_day = serializers.IntegerField(allow_null=True)
    deadline_month = serializers.IntegerField(allow_null=True)
    deadline_hours = serializers.IntegerField(allow_null=True, help_text='Empty: "at once" by the rules')
    every_days = serializers.IntegerField(allow_null=True)
    deadline = serializers.SerializerMethodField(help_text="The deadline in words")
    special = serializers.ChoiceField(choices=Special.choices, allow_blank=True)
    is_expected = serializers.BooleanField()
    is_active = serializers.BooleanField()
    position = serializers.IntegerField()

    def get_deadline(self, itype: InformationType) -> str:
        rules = self.context["rules"][itype.company_id]
        return catalogue.deadline_words(itype, rules)


class TypeDetailOutput(TypeOutput):
    templates = serializers.SerializerMethodField(help_text="Every version, newest first")

    @extend_schema_field(TemplateOutput(many=True))
    def get_templates(self, itype: InformationType) -> list[dict[str, Any]]:
        rows = ReportTemplate.objects.filter(information_type=itype).order_by("-version")
        return TemplateOutput(rows, many=True).data  # type: ignore[return-value]


def _rules_context(types: list[InformationType]) -> dict[str, Any]:
    return {
        "rules": {company_id: rules_for_company(company_id) for company_id in {t.company_id for t in types}}
    }


class TypeListApi(APIView):
    @extend_schema(
        responses={200: TypeOutput(many=True), 403: ErrorOutput}, summary="The catalogue of information types"
    )
    def get(self, request: Request) -> Response:
        _require_view(request)
        types = list(_types(request))
        return Response(TypeOutput(types, many=True, context=_rules_context(types)).data)


class TypeDetailApi(APIView):
    @extend_schema(
        parameters=[CODE],
        responses={200: TypeDetailOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="One information type with its template versions",
    )
    def get(self, request: Request, code: str) -> Response:
        _require_view(request)
        itype = _types(request).filter(code=code).first()
        if itype is None:
            from django.http import Http404

            raise Http404
        return Response(TypeDetailOutput(itype, context=_rules_context([itype])).data)


# --- missing reports ----------------------------------------------------------------------------------------


class MissingInput(serializers.Serializer):
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", required=False, help_text="YYYY-MM; default the last month"
    )


class MissingRowOutput(serializers.Serializer):
    reference = serializers.CharField(source="submission.reference")
    information_type = serializers.CharField(source="submission.information_type.code")
    type_name = serializers.CharField(source="submission.information_type.name")
    unit = serializers.CharField()
    branch = serializers.CharField(source="submission.branch.code")
    project = serializers.CharField(source="submission.project.code", allow_null=True, default=None)
    due_at = serializers.DateTimeField(source="submission.due_at")
    days_late = serializers.IntegerField()
    status = serializers.ChoiceField(source="submission.status", choices=SubmissionStatus.choices)
    escalated = serializers.SerializerMethodField()

    def get_escalated(self, row: Any) -> bool:
        return row.submission.escalated_at is not None


class MissingOutput(serializers.Serializer):
    period = serializers.CharField()
    expected = serializers.IntegerField()
    received = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Not received, deadline not passed")
    rows = MissingRowOutput(many=True)


class MissingApi(APIView):
    @extend_schema(
        parameters=[MissingInput],
        responses={200: MissingOutput, **ERRORS},
        summary="HQ: the reports of a period missing after their deadline, by type and unit",
    )
    def get(self, request: Request) -> Response:
        _require_view(request)
        if not may_see_missing(request.user):
            raise PermissionDenied
        payload = MissingInput(data=request.query_params)
        payload.is_valid(raise_exception=True)
        raw = payload.validated_data.get("period")
        month = parse_period(raw) if raw else previous_month(timezone.localdate())
        if month is None:
            raise ValidationError({"period": ["YYYY-MM"]})
        found = missing_for_period(user=request.user, month=month)
        return Response(
            MissingOutput(
                {
                    "period": f"{month:%Y-%m}",
                    "expected": found.expected,
                    "received": found.received,
                    "pending": found.pending,
                    "rows": found.rows,
                }
            ).data
        )


# --- proposals ----------------------------------------------------------------------------------------------


class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.CharField(source="branch.code")
    information_type = serializers.CharField(source="information_type.code", allow_null=True, default=None)
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    proposed_by = serializers.CharField(source="proposed_by.__str__", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.__str__", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


class ProposalInput(serializers.Serializer):
    branch = serializers.CharField(max_length=20, help_text="The branch's code")
    information_type = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A type's code; empty: the rules in general",
    )
    text = serializers.CharField(max_length=5000)


class ProposalFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProposalStatus.choices, required=False)


@extend_schema(
    parameters=[ProposalFilterInput],
    responses={200: ProposalOutput(many=True), 403: ErrorOutput},
    summary="Rule proposals in scope (a branch its own, HQ all), newest first",
)
class ProposalListApi(generics.ListAPIView):
    serializer_class = ProposalOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[RuleProposal]:
        if getattr(self, "swagger_fake_view", False):
            return RuleProposal.objects.none()
        _require_view(self.request)
        data = ProposalFilterInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        return proposals.proposal_list(user=self.request.user, status=data.validated_data.get("status", ""))

    @extend_schema(
        request=ProposalInput,
        responses={201: ProposalOutput, **ERRORS},
        summary="A branch proposes a change to the reporting rules (HQ is told)",
    )
    def post(self, request: Request) -> Response:
        _require_view(request)
        payload = ProposalInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        branch = get_for_user_or_404(Branch.objects.all(), user=request.user, code=data["branch"])
        itype = None
        if data.get("information_type"):
            itype = (
                InformationType.objects.visible_to(request.user)
                .filter(company_id=branch.company_id, code=data["information_type"], is_active=True)
                .first()
            )
            if itype is None:
                raise ValidationError({"information_type": ["Not a type of the catalogue."]})
        proposal = proposals.proposal_make(
            actor=request.user, branch=branch, information_type=itype, text=data["text"]
        )
        return Response(ProposalOutput(proposal).data, status=status.HTTP_201_CREATED)


class DecideInput(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(max_length=5000, help_text="HQ's answer to the branch")


class ProposalDecideApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        request=DecideInput,
        responses={200: ProposalOutput, **ERRORS},
        summary="HQ accepts or declines a proposal, with an answer (once)",
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_view(request)
        proposal = proposals.proposal_get_for_user(user=request.user, pk=pk)
        payload = DecideInput(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = proposals.proposal_decide(
            actor=request.user,
            proposal=proposal,
            accept=payload.validated_data["accept"],
            note=payload.validated_data["note"],
        )
        return Response(ProposalOutput(decided).data)


urlpatterns = [
    path("types/", TypeListApi.as_view(), name="api-reporting-types"),
    path("types/<slug:code>/", TypeDetailApi.as_view(), name="api-reporting-type"),
    path("missing/", MissingApi.as_view(), name="api-reporting-missing"),
    path("proposals/", ProposalListApi.as_view(), name="api-reporting-proposals"),
    path("proposals/<int:pk>/decide/", ProposalDecideApi.as_view(), name="api-reporting-proposal-decide"),
]
