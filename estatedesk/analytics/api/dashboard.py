"""Placeholder: written by its owner (issue 15)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
