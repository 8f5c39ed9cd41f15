"""The short address printed in each form's QR code: /s/<token>/ (answer online, no sign-in needed)."""

from __future__ import annotations

from estatedesk.surveys.views.portal import public_urlpatterns

app_name = "surveys_public"

urlpatterns = [*public_urlpatterns]
