"""API URLs of client visits (R-CS-1), included by visits/api_urls.py."""

from django.urls import path

from estatedesk.visits import client_api

urlpatterns: list = [
    path("clients/", client_api.ClientVisitListApi.as_view(), name="api-visits-client-list"),
    path("clients/plan/", client_api.ClientVisitPlanApi.as_view(), name="api-visits-client-plan"),
    path("clients/<int:pk>/", client_api.ClientVisitDetailApi.as_view(), name="api-visits-client-detail"),
    path(
        "clients/<int:pk>/record/", client_api.ClientVisitRecordApi.as_view(), name="api-visits-client-record"
    ),
    path(
        "clients/<int:pk>/follow-up-done/",
        client_api.ClientVisitFollowUpDoneApi.as_view(),
        name="api-visits-client-follow-up-done",
    ),
    path(
        "clients/<int:pk>/cancel/", client_api.ClientVisitCancelApi.as_view(), name="api-visits-client-cancel"
    ),
    path(
        "clients/<int:pk>/raise-item/",
        client_api.ClientVisitRaiseItemApi.as_view(),
        name="api-visits-client-raise-item",
    ),
]
