from django.urls import path

from estatedesk.owners import api

urlpatterns = [
    path("lookup/", api.ResidentLookupApi.as_view(), name="api-resident-lookup"),
    path("residents/<int:pk>/", api.ResidentDetailApi.as_view(), name="api-resident-detail"),
    path("projects/<str:code>/residents/", api.ProjectResidentListApi.as_view(), name="api-resident-list"),
    path("projects/<str:code>/completeness/", api.ProjectCompletenessApi.as_view(), name="api-completeness"),
]
