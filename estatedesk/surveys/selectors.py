"""Reading surveys: every query starts from `visible_to(user)` (one scoping helper)."""

from __future__ import annotations

from typing import Any

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.surveys.models import Campaign, CampaignReport


def campaign_get_for_user(*, user: Any, reference: str) -> Campaign:
    """The campaign by reference, or 404 when missing or out of the user's scope."""
    return get_for_user_or_404(
        Campaign.objects.select_related("project__branch", "department", "questionnaire"),
        user=user,
        reference=reference,
    )


def report_get_for_user(*, user: Any, reference: str) -> CampaignReport:
    """A campaign's report by the campaign's reference: staff of the project and its recipients."""
    return get_for_user_or_404(
        CampaignReport.objects.select_related("campaign__project__branch", "author", "reviewer"),
        user=user,
        campaign__reference=reference,
    )
