"""API URLs of client visits (R-CS-1), included by visits/api_urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
