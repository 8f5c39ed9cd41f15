from django.urls import path

from estatedesk.org import api

urlpatterns = [
    path("branches/", api.BranchListApi.as_view(), name="api-branch-list"),
    path("projects/", api.ProjectListApi.as_view(), name="api-project-list"),
    path("projects/<str:code>/", api.ProjectDetailApi.as_view(), name="api-project-detail"),
    path("projects/<str:code>/buildings/", api.BuildingListApi.as_view(), name="api-building-list"),
    path("units/", api.UnitListApi.as_view(), name="api-unit-list"),
    path("departments/", api.DepartmentListApi.as_view(), name="api-department-list"),
    path("calendars/", api.CalendarListApi.as_view(), name="api-calendar-list"),
    path("holidays/", api.HolidayListApi.as_view(), name="api-holiday-list"),
]
