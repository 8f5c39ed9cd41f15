from django.urls import path

from estatedesk.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("<str:reference>/", views.item_detail, name="item_detail"),
]
