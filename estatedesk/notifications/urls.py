from django.urls import path

from estatedesk.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("outbox/failed/", views.outbox_failed, name="outbox_failed"),
    path("outbox/<int:pk>/resend/", views.outbox_resend, name="outbox_resend"),
]
