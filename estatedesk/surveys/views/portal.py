"""Placeholder: filled in by the portal work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
