"""Owner archive URLs. Three parts, each with its own views module:
- the staff archive (views.py): lists, lookup, resident pages, export, completeness, change confirmations;
- the Excel import (urls_import.py / views_import.py);
- the owner portal and owner sign-in (urls_portal.py / views_portal.py), under /portal/.
"""

from django.urls import include, path

from estatedesk.owners import views, views_invitations

app_name = "owners"
urlpatterns = [
    path("portal/", include("estatedesk.owners.urls_portal")),
    path("archive/", include("estatedesk.owners.urls_import")),
    path("archive/", views.archive_home, name="archive_home"),
    path("archive/lookup/", views.lookup, name="lookup"),
    path("archive/changes/", views.change_request_list, name="change_request_list"),
    path("archive/changes/<int:pk>/", views.change_request_review, name="change_request_review"),
    path("archive/residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("archive/residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("archive/residents/<int:pk>/invite/", views_invitations.invitation_create, name="invitation_create"),
    path("archive/account-requests/", views_invitations.account_request_list, name="account_request_list"),
    path(
        "archive/account-requests/<int:pk>/",
        views_invitations.account_request_review,
        name="account_request_review",
    ),
    path("archive/residents/<int:pk>/id-number/", views.resident_id_reveal, name="resident_id_reveal"),
    path("archive/<str:code>/", views.project_archive, name="project_archive"),
    path("archive/<str:code>/export.xlsx", views.project_export, name="project_export"),
]
