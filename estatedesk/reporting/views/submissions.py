"""Placeholder: filled in by the submissions work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
