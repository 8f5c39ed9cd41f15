"""A running campaign of project A made straight with the ORM, for the tests of answers coming in (the
campaign services are tested on their own): three items, the areas 1号楼 and 中心花园, forms handed out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from estatedesk.org.models import Building, Project, Unit
from estatedesk.surveys.choices import CampaignStatus, FormKind, Frequency, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignItem,
    Questionnaire,
    SurveyForm,
    SurveyItem,
)

ITEMS = [
    ("customer_service", "客户服务", "Customer service"),
    ("cleaning", "保洁卫生", "Cleaning"),
    ("greening", "绿化养护", "Greening"),
]


@dataclass
class SurveySetup:
    campaign: Campaign
    items: list[CampaignItem]
    areas: dict[str, CampaignArea]  # by the building's name
    forms: list[SurveyForm]

    def form(self, serial: int) -> SurveyForm:
        return SurveyForm.objects.select_related("campaign__project", "area__area").get(
            campaign=self.campaign, serial=serial
        )

    def ratings(self, *values: int) -> dict[int, int]:
        return {item.pk: value for item, value in zip(self.items, values, strict=True)}


def make_campaign(
    project: Project,
    *,
    reference: str = "SV-QD-A-202611-01",
    status: str = CampaignStatus.RUNNING,
    areas: tuple[str, ...] = ("1号楼", "中心花园"),
    forms_per_area: int = 5,
    handed_out: bool = True,
    double_entry_percent: int = 0,
    one_answer_per_unit: bool = False,
) -> SurveySetup:
    company = project.branch.company
    survey_items = []
    for position, (code, name, name_en) in enumerate(ITEMS):
        item, _created = SurveyItem.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )
        survey_items.append(item)
    questionnaire, _created = Questionnaire.objects.get_or_create(
        company=company,
        name="物业服务质量意见征询表",
        defaults={"greeting": "尊敬的业主：您好！", "greeting_en": "Dear owner,"},
    )
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        reference=reference,
        project=project,
        runner=Runner.CUSTOMER_SERVICE,
        questionnaire=questionnaire,
        kind=FormKind.FEEDBACK_FORM,
        title=f"{project.name}满意度调查",
        greeting="尊敬的业主：您好！",
        greeting_en="Dear owner,",
        frequency=Frequency.MONTHLY,
        period_start=today.replace(day=1),
        period_end=today.replace(day=1) + timedelta(days=27),
        status=status,
        double_entry_percent=double_entry_percent,
        one_answer_per_unit=one_answer_per_unit,
        opened_at=timezone.now(),
    )
    items = [
        CampaignItem.objects.create(
            campaign=campaign,
            item=item,
            position=position,
            label=item.name,
            label_en=item.name_en,
        )
        for position, item in enumerate(survey_items)
    ]
    by_name: dict[str, CampaignArea] = {}
    forms: list[SurveyForm] = []
    serial = 0
    for position, name in enumerate(areas):
        building = Building.objects.get(project=project, name=name)
        area = CampaignArea.objects.create(campaign=campaign, area=building, position=position)
        by_name[name] = area
        for _index in range(forms_per_area):
            serial += 1
            forms.append(
                SurveyForm(
                    campaign=campaign,
                    area=area,
                    serial=serial,
                    token=secrets.token_urlsafe(16),
                    printed_at=timezone.now(),
                    handed_out_at=timezone.now() if handed_out else None,
                )
            )
    SurveyForm.objects.bulk_create(forms)
    campaign.last_serial = serial
    campaign.save(update_fields=["last_serial"])
    return SurveySetup(campaign, items, by_name, list(SurveyForm.objects.filter(campaign=campaign)))


def form_for_unit(setup: SurveySetup, unit: Unit, *, area: str = "1号楼") -> SurveyForm:
    """One more form of the area printed for the unit (as a form left at the door)."""
    campaign = setup.campaign
    campaign.last_serial += 1
    campaign.save(update_fields=["last_serial"])
    return SurveyForm.objects.create(
        campaign=campaign,
        area=setup.areas[area],
        serial=campaign.last_serial,
        token=secrets.token_urlsafe(16),
        unit=unit,
        handed_out_at=timezone.now(),
    )


def owner_user(django_user_model: Any, unit: Unit, username: str) -> Any:
    """An owner with a portal account living in `unit`."""
    from estatedesk.owners.choices import Relation
    from estatedesk.owners.contacts import name_initials, name_pinyin
    from estatedesk.owners.models import Occupancy, Resident

    user = django_user_model.objects.create_user(
        username=username, password="x-pass-2026", display_name=username
    )
    resident = Resident.objects.create(
        name=username, name_initials=name_initials(username), name_pinyin=name_pinyin(username), user=user
    )
    Occupancy.objects.create(
        resident=resident, unit=unit, relation=Relation.OWNER, started_on=date(2022, 1, 1)
    )
    return user
