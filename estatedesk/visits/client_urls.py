"""URLs of client visits (R-CS-1), part of the visits namespace (included by visits/urls.py)."""

from django.urls import path

from estatedesk.visits import client_views

urlpatterns: list = [
    path("clients/", client_views.client_visit_list, name="client_visit_list"),
    path("clients/plan/", client_views.client_visit_plan, name="client_visit_plan"),
    path("clients/<int:pk>/", client_views.client_visit_detail, name="client_visit_detail"),
    path("clients/<int:pk>/record/", client_views.client_visit_record, name="client_visit_record"),
    path(
        "clients/<int:pk>/follow-up-done/",
        client_views.client_visit_follow_up_done,
        name="client_visit_follow_up_done",
    ),
    path("clients/<int:pk>/cancel/", client_views.client_visit_cancel, name="client_visit_cancel"),
    path(
        "clients/<int:pk>/raise-item/", client_views.client_visit_raise_item, name="client_visit_raise_item"
    ),
]
