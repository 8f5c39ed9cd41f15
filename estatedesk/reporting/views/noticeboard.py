"""Placeholder: filled in by the noticeboard work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
