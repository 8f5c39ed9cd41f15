"""Reading surveys: every query starts from `visible_to(user)` (one scoping helper)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.surveys.models import Campaign, CampaignReport, SurveyForm


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


def campaign_form_counts(campaigns: Iterable[Campaign]) -> None:
    """Sets `handed_out` and `returned` (forms) on each campaign of a page, in one grouped query over their
    forms: counted for the whole list before paging, they read every form of the scope (5.4 s for HQ at
    200 projects with a 2,000-form campaign each, bench/analytics.py)."""
    campaigns = list(campaigns)
    counts: dict[int, dict[str, Any]] = {
        row["campaign"]: dict(row)
        for row in SurveyForm.objects.filter(campaign__in=[c.pk for c in campaigns])
        .order_by()
        .values("campaign")
        .annotate(
            handed_out=Count("pk", filter=Q(handed_out_at__isnull=False)),
            returned=Count("pk", filter=Q(returned_at__isnull=False)),
        )
    }
    for campaign in campaigns:
        row = counts.get(campaign.pk, {})
        campaign.handed_out = row.get("handed_out", 0)  # type: ignore[attr-defined]
        campaign.returned = row.get("returned", 0)  # type: ignore[attr-defined]
