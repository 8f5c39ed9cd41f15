"""The newsletter API (天泰物语, R-IR-7), read-only: the archive and an issue with its articles, as the pages
show them (`reporting.newsletter`): published issues for every staff member, drafts for HQ."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from estatedesk.api.errors import ErrorOutput
from estatedesk.api.pagination import CappedPagination
from estatedesk.org.permissions import can_anywhere
from estatedesk.reporting import newsletter
from estatedesk.reporting.choices import IssueStatus
from estatedesk.reporting.models import NewsletterArticle, NewsletterIssue

NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="The issue's number")


def _require_view(request: Request) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


class IssueOutput(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    introduction = serializers.CharField()
    status = serializers.ChoiceField(choices=IssueStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    articles = serializers.IntegerField(source="article_count")
    pdf_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_pdf_url(self, issue: NewsletterIssue) -> str:
        return reverse("reporting:newsletter_pdf", args=[issue.number])


class ArticleOutput(serializers.Serializer):
    position = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    report = serializers.CharField(source="submission.reference", allow_null=True, default=None)
    feedback_item = serializers.CharField(source="feedback_item.reference", allow_null=True, default=None)


class IssueDetailOutput(IssueOutput):
    article_list = serializers.SerializerMethodField()

    @extend_schema_field(ArticleOutput(many=True))
    def get_article_list(self, issue: NewsletterIssue) -> list[NewsletterArticle]:
        rows = newsletter.issue_articles(issue=issue)
        return ArticleOutput(rows, many=True).data  # type: ignore[return-value]


@extend_schema(
    responses={200: IssueOutput(many=True), 403: ErrorOutput},
    summary="Newsletter issues, newest first (drafts for HQ only)",
)
class NewsletterListApi(generics.ListAPIView):
    serializer_class = IssueOutput
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[NewsletterIssue]:
        if getattr(self, "swagger_fake_view", False):
            return NewsletterIssue.objects.none()
        _require_view(self.request)
        return newsletter.issue_list(user=self.request.user)


class NewsletterDetailApi(APIView):
    @extend_schema(
        parameters=[NUMBER],
        responses={200: IssueDetailOutput, 403: ErrorOutput, 404: ErrorOutput},
        summary="A newsletter issue with its articles in order",
    )
    def get(self, request: Request, number: int) -> Response:
        _require_view(request)
        issue = newsletter.issue_get_for_user(user=request.user, number=number)
        return Response(IssueDetailOutput(issue).data)


urlpatterns = [
    path("newsletter/", NewsletterListApi.as_view(), name="api-reporting-newsletter-list"),
    path("newsletter/<int:number>/", NewsletterDetailApi.as_view(), name="api-reporting-newsletter-detail"),
]
