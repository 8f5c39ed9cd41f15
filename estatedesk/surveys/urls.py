"""Staff pages of surveys (/surveys/) and the owners' pages (/surveys/mine/): each module keeps its own
routes; this joins them under the one namespace."""

from __future__ import annotations

from estatedesk.surveys.views import analysis, campaigns, entry, portal, reports

app_name = "surveys"

urlpatterns = [
    *campaigns.urlpatterns,
    *entry.urlpatterns,
    *analysis.urlpatterns,
    *reports.urlpatterns,
    *portal.urlpatterns,
]
