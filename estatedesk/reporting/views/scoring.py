"""Placeholder: filled in by the scoring work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
