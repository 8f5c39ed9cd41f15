"""Placeholder: filled in by the newsletter work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
