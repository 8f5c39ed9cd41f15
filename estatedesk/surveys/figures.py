"""The survey's figures from the database (R-SV-2, R-SV-3, R-SV-4): SQL counts, then `rates.py`.

One module computes them; the campaign page, the analysis page, the report's PDF and workbook and the API
all read it. A bounded number of queries per campaign, whatever its size: one for the areas' returns, one
for the answers by (item, area, rating).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q

from estatedesk.surveys import rates
from estatedesk.surveys.models import Campaign, CampaignArea, SurveyAnswer, SurveyRules
from estatedesk.surveys.rates import Counts


def rules_for_company(company_id: int) -> SurveyRules:
    """The company's survey rules (created with the defaults on first use)."""
    rules, _created = SurveyRules.objects.get_or_create(company_id=company_id)
    return rules


def rules_for(campaign: Campaign) -> SurveyRules:
    return rules_for_company(campaign.project.branch.company_id)


@dataclass(frozen=True)
class AreaReturn:
    """R-SV-2: one area's forms handed out and returned, the exact rate, and whether it passes."""

    campaign_area_id: int
    area_id: int
    name: str
    handed_out: int
    returned: int
    rate: Fraction | None
    passes: bool  # rate ≥ threshold
    waiver_reason: str
    has_waiver: bool

    @property
    def blocks(self) -> bool:
        """Below the threshold with no waiver recorded: the campaign can be neither closed nor reported."""
        return not self.passes and not self.has_waiver

    @property
    def percent(self) -> Decimal | None:
        return rates.percent(self.rate)


def area_returns(campaign: Campaign, *, threshold: Decimal | None = None) -> list[AreaReturn]:
    """Every area of the campaign in its order, with its return rate (one query)."""
    if threshold is None:
        threshold = rules_for(campaign).return_rate_threshold
    rows = (
        CampaignArea.objects.filter(campaign=campaign)
        .select_related("area")
        .annotate(
            handed_out=Count("forms", filter=Q(forms__handed_out_at__isnull=False)),
            returned=Count("forms", filter=Q(forms__returned_at__isnull=False)),
        )
        .order_by("position", "id")
    )
    result = []
    for row in rows:
        rate = rates.return_rate(row.returned, row.handed_out)  # type: ignore[attr-defined]
        result.append(
            AreaReturn(
                campaign_area_id=row.pk,
                area_id=row.area_id,
                name=row.area.name,
                handed_out=row.handed_out,  # type: ignore[attr-defined]
                returned=row.returned,  # type: ignore[attr-defined]
                rate=rate,
                passes=rates.meets_threshold(rate, threshold),
                waiver_reason=row.waiver_reason,
                has_waiver=row.has_waiver,
            )
        )
    return result


def blocking_areas(campaign: Campaign) -> list[AreaReturn]:
    """Areas below the threshold without a waiver (R-SV-2): while any is left the campaign cannot close."""
    return [row for row in area_returns(campaign) if row.blocks]


def answer_counts(campaign: Campaign) -> dict[tuple[int, int], Counts]:
    """{(campaign item id, campaign area id): Counts} over the returned forms (one query)."""
    grouped: dict[tuple[int, int], dict[int, int]] = {}
    rows = (
        SurveyAnswer.objects.filter(form__campaign=campaign, form__returned_at__isnull=False)
        .values_list("item_id", "form__area_id", "rating")
        .annotate(n=Count("id"))
        .order_by()
    )
    for item_id, area_id, rating, n in rows:
        grouped.setdefault((item_id, area_id), {})[rating] = n
    return {key: Counts.of_ratings(by_rating) for key, by_rating in grouped.items()}
