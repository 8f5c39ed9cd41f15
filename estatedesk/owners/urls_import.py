"""The owner-archive Excel import, under /archive/ in the `owners` namespace (views in views_import.py)."""

from django.urls import path

from estatedesk.owners import views_import

urlpatterns = [
    path("template.xlsx", views_import.import_template, name="import_template"),
    path("<str:code>/import/", views_import.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views_import.import_progress, name="import_progress"),
    path("imports/<int:pk>/problems.xlsx", views_import.import_problems, name="import_problems"),
    path("imports/<int:pk>/commit/", views_import.import_commit, name="import_commit"),
]
