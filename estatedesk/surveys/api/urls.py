"""The surveys API (/api/surveys/): each module keeps its own routes."""

from __future__ import annotations

from estatedesk.surveys.api import analysis, campaigns, entry, reports

urlpatterns = [*campaigns.urlpatterns, *entry.urlpatterns, *analysis.urlpatterns, *reports.urlpatterns]
