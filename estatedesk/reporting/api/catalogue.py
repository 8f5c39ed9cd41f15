"""Placeholder: filled in by the catalogue work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
