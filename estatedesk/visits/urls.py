from django.urls import path  # noqa: F401

from estatedesk.visits.client_urls import urlpatterns as client_urlpatterns

app_name = "visits"
urlpatterns: list = [
    # return visits (visits-ui) go here
]
urlpatterns += client_urlpatterns  # client visits, R-CS-1
