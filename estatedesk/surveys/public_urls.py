"""The short address printed in each form's QR code: /s/<token>/ (answer online, no sign-in needed)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "surveys_public"

urlpatterns: list[URLPattern] = []  # filled in by the entry work (views/entry.py: public_answer)
