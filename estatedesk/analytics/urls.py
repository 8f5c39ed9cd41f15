"""Staff pages of dashboards, monthly packs and alerts (/analytics/): each module keeps its own routes;
this joins them under the one namespace."""

from __future__ import annotations

from estatedesk.analytics.views import alerts, dashboard, packs

app_name = "analytics"

urlpatterns = [*dashboard.urlpatterns, *packs.urlpatterns, *alerts.urlpatterns]
