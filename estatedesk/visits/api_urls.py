from django.urls import path  # noqa: F401

from estatedesk.visits.client_api_urls import urlpatterns as client_urlpatterns

urlpatterns: list = [
    # return visits' API (visits-ui) goes here
]
urlpatterns += client_urlpatterns  # client visits, R-CS-1
