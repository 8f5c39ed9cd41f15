"""django-helpdesk mounted at the site root: /login/, /tickets/, /reports/, /api/tickets/."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
