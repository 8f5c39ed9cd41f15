from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from estatedesk.api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("org/", include("estatedesk.org.api_urls")),
    path("owners/", include("estatedesk.owners.api_urls")),
    path("feedback/", include("estatedesk.feedback.api_urls")),
    path("visits/", include("estatedesk.visits.api_urls")),
    path("surveys/", include("estatedesk.surveys.api.urls")),
    path("quality/", include("estatedesk.quality.api_urls")),
    path("reporting/", include("estatedesk.reporting.api.urls")),
    path("analytics/", include("estatedesk.analytics.api.urls")),
    re_path(r"^(?P<path>.*)$", views.api_not_found),
]
