"""Placeholder: filled in by the activities work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
