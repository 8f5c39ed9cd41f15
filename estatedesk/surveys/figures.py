"""The survey's figures from the database (R-SV-2, R-SV-3, R-SV-4): SQL counts, then `rates.py`.

One module computes them; the campaign page, the analysis page, the report's PDF and workbook and the API
all read it. A bounded number of queries per campaign, whatever its size: one for the areas' returns, one
for the answers by (item, area, rating).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q

from estatedesk.surveys import rates
from estatedesk.surveys.choices import CampaignStatus
from estatedesk.surveys.models import Campaign, CampaignArea, CampaignItem, SurveyAnswer, SurveyRules
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


# --- a campaign's figures (R-SV-3, R-SV-4): the survey table, the Pareto rows, the comparison -------------


@dataclass(frozen=True)
class RateFigure:
    """A satisfaction rate with the counts behind it (R-SV-4): n rated, n unrated (未表态), and a caution
    when the rate rests on few rated answers (fewer than SurveyRules.small_sample_below, but some)."""

    counts: Counts
    rate: Fraction | None
    is_small: bool

    @classmethod
    def of(cls, counts: Counts, *, small_below: int) -> RateFigure:
        return cls(counts, rates.satisfaction_rate(counts), rates.is_small(counts, small_below))

    @property
    def percent(self) -> Decimal | None:
        return rates.percent(self.rate)

    @property
    def text(self) -> str:
        """ "93.33%", or "—" when nobody rated."""
        return rates.percent_text(self.rate)

    @property
    def rated(self) -> int:
        return self.counts.rated

    @property
    def unrated(self) -> int:
        return self.counts.unrated

    @property
    def unsatisfied(self) -> int:
        return self.counts.unsatisfied


@dataclass(frozen=True)
class ItemFigure:
    """One row of the survey table: an item of the campaign over every area, and its cell per area."""

    campaign_item_id: int
    survey_item_id: int
    label: str
    label_en: str
    department_kind: str
    total: RateFigure  # pooled over the areas
    cells: list[RateFigure]  # in the order of CampaignFigures.areas


@dataclass(frozen=True)
class AreaFigure:
    """One column of the survey table: an area over every item, with its forms handed out and returned."""

    campaign_area_id: int
    area_id: int
    name: str
    total: RateFigure  # pooled over the items
    returns: AreaReturn


@dataclass(frozen=True)
class PreviousCampaign:
    reference: str
    title: str
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Comparison:
    """A rate in the previous comparable campaign and now; `then` is None when the item was not asked."""

    campaign_item_id: int | None  # None for the overall rate
    label: str
    then: RateFigure | None
    now: RateFigure

    @property
    def points(self) -> Decimal | None:
        """The change in percentage points: the difference of the two rates as shown (two decimals), so
        the three numbers on a page agree; None when either rate is undefined."""
        before = self.then.percent if self.then is not None else None
        after = self.now.percent
        if before is None or after is None:
            return None
        return after - before


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    threshold: Decimal  # the return rate an area needs (R-SV-2)
    small_sample_below: int
    items: list[ItemFigure]
    areas: list[AreaFigure]
    overall: RateFigure  # from the pooled counts of every item and area, never a mean of rates
    pareto: list[rates.ParetoRow]  # unsatisfied answers by item (key: campaign item id)
    handed_out: int
    returned: int
    previous: PreviousCampaign | None
    comparison: list[Comparison]  # per item, in the order of `items`
    overall_comparison: Comparison | None  # None without a previous campaign

    @property
    def return_rate(self) -> Fraction | None:
        return rates.return_rate(self.returned, self.handed_out)

    @property
    def unsatisfied(self) -> int:
        return self.overall.counts.unsatisfied

    def item(self, campaign_item_id: int) -> ItemFigure | None:
        return next((row for row in self.items if row.campaign_item_id == campaign_item_id), None)

    def area(self, campaign_area_id: int) -> AreaFigure | None:
        return next((row for row in self.areas if row.campaign_area_id == campaign_area_id), None)

    def cell(self, campaign_item_id: int, campaign_area_id: int) -> RateFigure | None:
        row = self.item(campaign_item_id)
        index = next(
            (i for i, area in enumerate(self.areas) if area.campaign_area_id == campaign_area_id), None
        )
        return None if row is None or index is None else row.cells[index]


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The previous comparable campaign: the same project and running department, closed, the latest whose
    period started before this one's."""
    return (
        Campaign.objects.filter(
            project_id=campaign.project_id,
            runner=campaign.runner,
            status=CampaignStatus.CLOSED,
            period_start__lt=campaign.period_start,
        )
        .exclude(pk=campaign.pk)
        .order_by("-period_start", "-id")
        .first()
    )


def _counts_by_survey_item(campaign: Campaign) -> dict[int, Counts]:
    """{survey item id: Counts} of every item the campaign asked (empty Counts for one nobody answered), over
    its returned forms, pooled over its areas (one query)."""
    grouped: dict[int, dict[int, int]] = {}
    rows = (
        CampaignItem.objects.filter(campaign=campaign)
        .values_list("item_id", "answers__rating")
        .annotate(n=Count("answers", filter=Q(answers__form__returned_at__isnull=False)))
        .order_by()
    )
    for survey_item_id, rating, n in rows:
        by_rating = grouped.setdefault(survey_item_id, {})
        if rating is not None and n:
            by_rating[rating] = by_rating.get(rating, 0) + n
    return {key: Counts.of_ratings(by_rating) for key, by_rating in grouped.items()}


def campaign_figures(campaign: Campaign) -> CampaignFigures:
    """Every number of a campaign's analysis (R-SV-3, R-SV-4), in a bounded number of queries whatever the
    campaign's size (the rules, the items, the areas' returns, the answers by item, area and rating, and
    two for the previous comparable campaign)."""
    rules = rules_for(campaign)
    small = rules.small_sample_below
    campaign_items = list(CampaignItem.objects.filter(campaign=campaign).order_by("position", "id"))
    returns = area_returns(campaign, threshold=rules.return_rate_threshold)
    counts = answer_counts(campaign)
    empty = Counts()

    items = []
    for entry in campaign_items:
        row = [counts.get((entry.pk, area.campaign_area_id), empty) for area in returns]
        items.append(
            ItemFigure(
                campaign_item_id=entry.pk,
                survey_item_id=entry.item_id,
                label=entry.label,
                label_en=entry.label_en,
                department_kind=entry.department_kind,
                total=RateFigure.of(rates.pooled(row), small_below=small),
                cells=[RateFigure.of(one, small_below=small) for one in row],
            )
        )
    areas = [
        AreaFigure(
            campaign_area_id=area.campaign_area_id,
            area_id=area.area_id,
            name=area.name,
            total=RateFigure.of(rates.pooled(row.cells[index].counts for row in items), small_below=small),
            returns=area,
        )
        for index, area in enumerate(returns)
    ]
    overall = RateFigure.of(rates.pooled(row.total.counts for row in items), small_below=small)
    pareto = rates.pareto([(row.campaign_item_id, row.label, row.total.unsatisfied) for row in items])

    before = previous_campaign(campaign)
    previous = None
    comparison: list[Comparison] = []
    overall_comparison = None
    if before is not None:
        previous = PreviousCampaign(before.reference, before.title, before.period_start, before.period_end)
        then = _counts_by_survey_item(before)
        comparison = [
            Comparison(
                campaign_item_id=row.campaign_item_id,
                label=row.label,
                then=RateFigure.of(then[row.survey_item_id], small_below=small)
                if row.survey_item_id in then
                else None,
                now=row.total,
            )
            for row in items
        ]
        overall_comparison = Comparison(
            campaign_item_id=None,
            label="",
            then=RateFigure.of(rates.pooled(then.values()), small_below=small),
            now=overall,
        )
    return CampaignFigures(
        campaign=campaign,
        threshold=rules.return_rate_threshold,
        small_sample_below=small,
        items=items,
        areas=areas,
        overall=overall,
        pareto=pareto,
        handed_out=sum(area.handed_out for area in returns),
        returned=sum(area.returned for area in returns),
        previous=previous,
        comparison=comparison,
        overall_comparison=overall_comparison,
    )


# --- the figures as JSON: the API's answer, and what an approved report freezes -----------------------------


def _rate_text(rate: Fraction | None) -> str | None:
    shown = rates.percent(rate)
    return None if shown is None else str(shown)


def _rate_snapshot(figure: RateFigure) -> dict[str, Any]:
    return {"rate": _rate_text(figure.rate), "counts": figure.counts.as_dict(), "caution": figure.is_small}


def _comparison_snapshot(row: Comparison) -> dict[str, Any]:
    points = row.points
    return {
        "then": _rate_snapshot(row.then) if row.then is not None else None,
        "now": _rate_snapshot(row.now),
        "change_points": None if points is None else str(points),
    }


def figures_snapshot(figures: CampaignFigures) -> dict[str, Any]:
    """The figures as plain JSON: rates as strings with two decimals ("93.33") or None when undefined, with
    their counts (n rated, n unrated) and caution beside every one. The figures API answers it and an
    approved report freezes it (CampaignReport.figures)."""
    campaign = figures.campaign
    previous = figures.previous
    return {
        "campaign": {
            "reference": campaign.reference,
            "title": campaign.title,
            "project": campaign.project.code,
            "runner": campaign.runner,
            "status": campaign.status,
            "period_start": campaign.period_start.isoformat(),
            "period_end": campaign.period_end.isoformat(),
        },
        "rules": {
            "return_rate_threshold": str(figures.threshold),
            "small_sample_below": figures.small_sample_below,
        },
        "overall": _rate_snapshot(figures.overall),
        "items": [
            {
                "id": row.campaign_item_id,
                "label": row.label,
                "label_en": row.label_en,
                "department_kind": row.department_kind,
                **_rate_snapshot(row.total),
            }
            for row in figures.items
        ],
        "areas": [
            {
                "id": area.campaign_area_id,
                "area_id": area.area_id,
                "name": area.name,
                **_rate_snapshot(area.total),
                "handed_out": area.returns.handed_out,
                "returned": area.returns.returned,
                "return_rate": _rate_text(area.returns.rate),
                "passes": area.returns.passes,
                "has_waiver": area.returns.has_waiver,
                "waiver_reason": area.returns.waiver_reason,
            }
            for area in figures.areas
        ],
        "cells": [
            {"item": row.campaign_item_id, "area": area.campaign_area_id, **_rate_snapshot(cell)}
            for row in figures.items
            for area, cell in zip(figures.areas, row.cells, strict=True)
        ],
        "returns": {
            "handed_out": figures.handed_out,
            "returned": figures.returned,
            "rate": _rate_text(figures.return_rate),
        },
        "pareto": [
            {
                "item": row.key,
                "label": row.label,
                "count": row.count,
                "share": _rate_text(row.share),
                "cumulative": _rate_text(row.cumulative),
                "vital": row.is_vital,
            }
            for row in figures.pareto
        ],
        "comparison": {
            "previous": None
            if previous is None
            else {
                "reference": previous.reference,
                "title": previous.title,
                "period_start": previous.period_start.isoformat(),
                "period_end": previous.period_end.isoformat(),
            },
            "items": [
                {"item": row.campaign_item_id, "label": row.label, **_comparison_snapshot(row)}
                for row in figures.comparison
            ],
            "overall": None
            if figures.overall_comparison is None
            else _comparison_snapshot(figures.overall_comparison),
        },
    }
