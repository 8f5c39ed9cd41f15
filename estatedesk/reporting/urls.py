"""Pages of HQ reporting (/reporting/): each module keeps its own routes; this joins them under one
namespace."""

from __future__ import annotations

from estatedesk.reporting.views import activities, catalogue, newsletter, noticeboard, scoring, submissions

app_name = "reporting"

urlpatterns = [
    *submissions.urlpatterns,
    *catalogue.urlpatterns,
    *scoring.urlpatterns,
    *newsletter.urlpatterns,
    *noticeboard.urlpatterns,
    *activities.urlpatterns,
]
