"""What an analysis finds (R-SV-3): an item, over every area or in one area, that customers rated 不满意.
Such a finding can become a feedback item (registered through feedback's one registration service) or open
a nonconformity (the quality raise form, prefilled from the query string this module writes; quality is a
later layer, so the link itself is written by the template).

The feedback item is registered on the patrol channel, feedback's channel for what staff find rather than
what one customer reports: a survey finding has no single customer to call back (patrol items stay off the
monthly return-visit list), and it goes to the department that answers for the item (工程维修 → 工程,
秩序维护 → 秩序, 保洁卫生 → 保洁, 绿化养护 → 绿化; everything else to customer service, which answers for
the other categories and is one of the categories a staff finding may take, R-CS-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import CATEGORY_DEPARTMENTS, ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Building
from estatedesk.org.permissions import require
from estatedesk.surveys import rates
from estatedesk.surveys.figures import CampaignFigures
from estatedesk.surveys.models import Campaign, CampaignArea, CampaignItem, SurveyAnswer
from estatedesk.surveys.rates import Counts

# a finding is a complaint (the usual) or a suggestion
FINDING_KINDS = (Kind.COMPLAINT, Kind.SUGGESTION)
# the feedback category of a survey item, from the department that answers for it (the inverse of
# feedback's category → department table); customer service for the rest
DEPARTMENT_CATEGORIES: dict[str, str] = {
    department: category for category, department in CATEGORY_DEPARTMENTS.items()
}
SURVEY_REFERENCE_LENGTH = 120  # quality's Nonconformity.survey_reference
NONCONFORMITY_ORIGIN = "survey"  # quality's Origin.SURVEY


@dataclass(frozen=True)
class Finding:
    """An item of a campaign with unsatisfied answers, over every area (`campaign_area_id` None) or in one."""

    campaign_item_id: int
    campaign_area_id: int | None
    item_label: str
    area_name: str  # "" over every area
    building_id: int | None  # the area's Building row (a building or a common area)
    department_kind: str
    counts: Counts

    @property
    def key(self) -> str:
        return f"{self.campaign_item_id}-{self.campaign_area_id or 'all'}"


def findings_list(figures: CampaignFigures) -> list[Finding]:
    """Every item with unsatisfied answers, each followed by the areas where they were given (no query)."""
    result = []
    for row in figures.items:
        if row.total.unsatisfied == 0:
            continue
        result.append(
            Finding(row.campaign_item_id, None, row.label, "", None, row.department_kind, row.total.counts)
        )
        for area, cell in zip(figures.areas, row.cells, strict=True):
            if cell.unsatisfied:
                result.append(
                    Finding(
                        row.campaign_item_id,
                        area.campaign_area_id,
                        row.label,
                        area.name,
                        area.area_id,
                        row.department_kind,
                        cell.counts,
                    )
                )
    return result


def _area_words(finding: Finding) -> str:
    return finding.area_name or _("all areas")


def survey_reference(*, campaign: Campaign, finding: Finding) -> str:
    """The survey result a nonconformity names, e.g. "SV-QD-A-202611-01·工程维修·1号楼 不满意 5/40" (in the
    company's language, as it is stored)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(reference)s·%(item)s·%(area)s unsatisfied %(unsatisfied)s/%(rated)s") % {
            "reference": campaign.reference,
            "item": finding.item_label,
            "area": _area_words(finding),
            "unsatisfied": finding.counts.unsatisfied,
            "rated": finding.counts.rated,
        }
    return text[:SURVEY_REFERENCE_LENGTH]


def _title(finding: Finding) -> str:
    return _("Survey: customers unsatisfied with %(item)s (%(area)s)") % {
        "item": finding.item_label,
        "area": _area_words(finding),
    }


def _description(*, campaign: Campaign, finding: Finding) -> str:
    counts = finding.counts
    return _(
        "Satisfaction survey %(reference)s “%(title)s” (%(start)s to %(end)s): %(item)s, %(area)s: "
        "%(unsatisfied)s of the %(rated)s customers who rated it were unsatisfied (%(unrated)s gave no "
        "answer); satisfaction rate %(rate)s."
    ) % {
        "reference": campaign.reference,
        "title": campaign.title,
        "start": campaign.period_start.isoformat(),
        "end": campaign.period_end.isoformat(),
        "item": finding.item_label,
        "area": _area_words(finding),
        "unsatisfied": counts.unsatisfied,
        "rated": counts.rated,
        "unrated": counts.unrated,
        "rate": rates.percent_text(rates.satisfaction_rate(counts)),
    }


def nonconformity_prefill(*, campaign: Campaign, finding: Finding) -> dict[str, str]:
    """What the quality raise form is opened with for this finding (its query string's fields)."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _title(finding)
        description = _description(campaign=campaign, finding=finding)
    values = {
        "project": campaign.project.code,
        "origin": NONCONFORMITY_ORIGIN,
        "survey_reference": survey_reference(campaign=campaign, finding=finding),
        "title": title,
        "description": description,
    }
    if finding.building_id is not None:
        values["area"] = str(finding.building_id)
    return values


def nonconformity_query(*, campaign: Campaign, finding: Finding) -> str:
    """The query string of the link to the quality raise form ("project=…&origin=survey&…")."""
    return urlencode(nonconformity_prefill(campaign=campaign, finding=finding))


def _finding_get(
    *, campaign: Campaign, campaign_item_id: int, campaign_area_id: int | None
) -> tuple[Finding, Building | None]:
    """The finding as it stands now (its counts read again) and its area, or DomainError when it is not
    one of the campaign's."""
    item = CampaignItem.objects.filter(campaign=campaign, pk=campaign_item_id).first()
    area = None
    if campaign_area_id is not None:
        area = (
            CampaignArea.objects.filter(campaign=campaign, pk=campaign_area_id).select_related("area").first()
        )
    if item is None or (campaign_area_id is not None and area is None):
        raise DomainError(
            "surveys.finding_unknown", _("This item or area is not part of the campaign."), status=404
        )
    answers = SurveyAnswer.objects.filter(item=item, form__returned_at__isnull=False)
    if area is not None:
        answers = answers.filter(form__area=area)
    by_rating = dict(answers.values_list("rating").annotate(n=Count("id")).order_by())
    building = area.area if area is not None else None
    finding = Finding(
        item.pk,
        area.pk if area is not None else None,
        item.label,
        building.name if building is not None else "",
        building.pk if building is not None else None,
        item.department_kind,
        Counts.of_ratings(by_rating),
    )
    return finding, building


def finding_category(finding: Finding) -> str:
    return DEPARTMENT_CATEGORIES.get(finding.department_kind, Category.CUSTOMER_SERVICE)


def finding_to_feedback_item(
    *,
    actor: Any,
    campaign: Campaign,
    campaign_item_id: int,
    campaign_area_id: int | None = None,
    kind: str = Kind.COMPLAINT,
) -> FeedbackItem:
    """R-SV-3: register an unsatisfied item (over every area, or in one area) as a feedback item through
    feedback's registration service: the project, the area, the category of the department that answers for
    the item, a complaint or a suggestion, and a description naming the campaign, the item, the area and
    the counts. Repeated by the same person (a double click, a resubmitted form) it returns the first item."""
    require(actor, "feedback.register", project=campaign.project)
    if kind not in FINDING_KINDS:
        raise DomainError(
            "surveys.finding_kind",
            _("A finding is a complaint or a suggestion."),
            fields={"kind": [_("Unknown value.")]},
        )
    finding, building = _finding_get(
        campaign=campaign, campaign_item_id=campaign_item_id, campaign_area_id=campaign_area_id
    )
    if finding.counts.unsatisfied == 0:
        raise DomainError("surveys.finding_none", _("No customer was unsatisfied with this item here."))
    with translation.override(settings.LANGUAGE_CODE):  # stored in the company's language
        title = _title(finding)
        description = _description(campaign=campaign, finding=finding)
    item = feedback_item_register(
        actor=actor,
        data=ItemInput(
            project=campaign.project,
            channel=Channel.PATROL,
            kind=kind,
            category=finding_category(finding),
            description=description,
            title=title,
            building=building,
        ),
        idempotency_key=f"survey-finding:{campaign.reference}:{finding.key}:{kind}",
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="update",
            obj=campaign,
            after={
                "finding": survey_reference(campaign=campaign, finding=finding),
                "feedback_item": item.reference,
            },
            project_id=campaign.project_id,
        )
    return item
