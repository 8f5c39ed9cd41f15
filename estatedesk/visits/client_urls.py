"""URLs of client visits (R-CS-1), part of the visits namespace (included by visits/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
