"""Placeholder: filled in by the entry work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
