from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from estatedesk.common.health import health
from estatedesk.common.views import favicon, nav_badge_fragment
from estatedesk.org import views as org_views

admin.site.site_header = _("EstateDesk administration")
admin.site.site_title = _("EstateDesk")
admin.site.index_title = _("System administration")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),  # browsers ask for it by themselves
    path("nav/badge/<str:key>/", nav_badge_fragment, name="nav_badge"),  # a menu item's number, once loaded
    path("health/", health, name="health"),  # the database and the background processes' heartbeats
    path("accounts/", include("estatedesk.accounts.urls")),
    path("org/", include("estatedesk.org.urls")),
    path("", include("estatedesk.owners.urls")),
    path("feedback/", include("estatedesk.feedback.urls")),
    path("visits/", include("estatedesk.visits.urls")),
    path("surveys/", include("estatedesk.surveys.urls")),
    path("s/", include("estatedesk.surveys.public_urls")),  # the QR code on each survey form
    path("quality/", include("estatedesk.quality.urls")),
    path("reporting/", include("estatedesk.reporting.urls")),
    path("analytics/", include("estatedesk.analytics.urls")),
    path("notifications/", include("estatedesk.notifications.urls")),
    path("f/", include("estatedesk.feedback.portal.urls")),
    path("api/", include("estatedesk.api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "estatedesk.common.views.bad_request"
handler403 = "estatedesk.common.views.permission_denied"
handler404 = "estatedesk.common.views.page_not_found"
handler500 = "estatedesk.common.views.server_error"
