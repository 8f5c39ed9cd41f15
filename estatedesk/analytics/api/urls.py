"""The analytics API (/api/analytics/): figures, drill-down, packs and alerts; each module keeps its own
routes."""

from __future__ import annotations

from estatedesk.analytics.api import alerts, dashboard, packs

urlpatterns = [*dashboard.urlpatterns, *packs.urlpatterns, *alerts.urlpatterns]
