from django.urls import path

from estatedesk.org import views

app_name = "org"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/<str:code>/", views.project_detail, name="project_detail"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
    path("holidays/", views.holiday_add, name="holiday_add"),
    path("holidays/<int:pk>/remove/", views.holiday_remove, name="holiday_remove"),
    path("audit/", views.audit_trail, name="audit_trail"),
]
