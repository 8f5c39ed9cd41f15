"""Placeholder: filled in by the analysis work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
