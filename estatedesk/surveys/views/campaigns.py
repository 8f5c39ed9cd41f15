"""Placeholder: filled in by the campaigns work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
