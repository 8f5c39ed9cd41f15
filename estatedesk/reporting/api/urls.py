"""The HQ reporting API (/api/reporting/): each module keeps its own routes."""

from __future__ import annotations

from estatedesk.reporting.api import activities, catalogue, newsletter, noticeboard, scoring, submissions

urlpatterns = [
    *submissions.urlpatterns,
    *catalogue.urlpatterns,
    *scoring.urlpatterns,
    *newsletter.urlpatterns,
    *noticeboard.urlpatterns,
    *activities.urlpatterns,
]
