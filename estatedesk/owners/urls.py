from django.urls import path

from estatedesk.owners import views

app_name = "owners"
urlpatterns = [path("", views.portal, name="portal")]
