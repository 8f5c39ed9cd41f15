"""Demo satisfaction surveys (issue 13) for the demo project 海景花园 (QD-HJ), walked through the survey
services by the demo accounts: last month's campaign of the customer-service department, closed (one area
below 90% with the project manager's waiver, its report reviewed by the project manager and distributed,
check visits arranged), and this month's, running (forms handed out, some keyed in, some answered online).
Idempotent: a second run adds nothing (it looks for the campaigns of these periods)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from estatedesk.org.choices import BuildingKind, DepartmentKind
from estatedesk.org.models import Building, Department, Project
from estatedesk.surveys import campaigns, catalogue, entry, reports
from estatedesk.surveys.choices import Channel, Frequency, Runner
from estatedesk.surveys.models import Campaign, CampaignArea, Questionnaire, SurveyForm

PROJECT = "QD-HJ"
AREAS = ("1", "2", "3", "5", "G1")  # four buildings and the central garden
HANDED_OUT = 30
# returned forms per area last month: building 3 stays below 90% (24 of 30 = 80%) and gets a waiver
RETURNED_CLOSED = {"1": 28, "2": 29, "3": 24, "5": 27, "G1": 30}
RETURNED_RUNNING = {"1": 22, "2": 27, "3": 12, "5": 18, "G1": 26}
# the share of 不满意 per item code (the Pareto chart's long bars: repairs and cleaning)
UNSATISFIED = {"engineering": 0.16, "cleaning": 0.11, "order": 0.05, "fees": 0.06}


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(start: date) -> date:
    return _month_start(start, -1) - timedelta(days=1)


def _ratings(campaign: Campaign, rng: random.Random) -> dict[int, int]:
    ratings = {}
    for item in campaign.items.select_related("item"):
        code = item.item.code
        roll = rng.random()
        unsatisfied = UNSATISFIED.get(code, 0.02)
        if roll < unsatisfied:
            ratings[item.pk] = 4
        elif roll < unsatisfied + 0.04:
            ratings[item.pk] = 0  # 未表态
        elif roll < unsatisfied + 0.18:
            ratings[item.pk] = 3
        elif roll < 0.62:
            ratings[item.pk] = 2
        else:
            ratings[item.pk] = 1
    return ratings


COMMENTS = (
    "电梯维修响应太慢，希望加快。",
    "楼道保洁很干净，谢谢保洁阿姨。",
    "地下车库照明不足。",
    "秩序维护人员态度很好。",
    "",
    "",
    "",
)


def _campaign(*, project: Project, start: date, frequency: str, title: str) -> Campaign:
    supervisor = _user("supervisor_a")
    questionnaire = Questionnaire.objects.filter(company=project.branch.company, is_active=True).order_by(
        "id"
    )[0]
    department = Department.objects.filter(project=project, kind=DepartmentKind.CUSTOMER_SERVICE).first()
    areas = list(Building.objects.filter(project=project, code__in=AREAS).order_by("-kind", "code"))
    return campaigns.campaign_create(
        actor=supervisor,
        data=campaigns.CampaignData(
            project=project,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=questionnaire,
            period_start=start,
            period_end=_month_end(start),
            frequency=frequency,
            department=department,
            title=title,
            areas=areas,
            double_entry_percent=10,
        ),
    )


def _fill(campaign: Campaign, returned: dict[str, int], rng: random.Random, *, online_every: int) -> Campaign:
    """Print and hand out the forms of every area, then key in (or answer online) the returned ones."""
    supervisor, agent = _user("supervisor_a"), _user("agent_a")
    campaign = campaigns.campaign_open(actor=supervisor, campaign=campaign)
    for area in CampaignArea.objects.filter(campaign=campaign).select_related("area"):
        campaigns.forms_make(actor=supervisor, campaign=campaign, area=area, count=HANDED_OUT)
        campaigns.forms_hand_out(actor=supervisor, campaign=campaign, area=area, count=HANDED_OUT)
        units = list(area.area.units.order_by("label")) if area.area.kind == BuildingKind.BUILDING else []
        forms = list(SurveyForm.objects.filter(area=area).order_by("serial")[: returned[area.area.code]])
        for index, form in enumerate(forms):
            ratings = _ratings(campaign, rng)
            comment = rng.choice(COMMENTS)
            if online_every and index % online_every == online_every - 1:
                entry.form_answer_online(
                    form=form,
                    ratings=ratings,
                    comment=comment,
                    channel=Channel.QR,
                    unit=units[index % len(units)] if units else None,
                )
            else:
                entry.form_key_in(
                    actor=agent,
                    campaign=campaign,
                    serial=form.serial,
                    ratings=ratings,
                    respondent_name="",
                    comment=comment,
                )
            if units:  # the form came from a flat: the check visits (R-RV-1) call its owner
                SurveyForm.objects.filter(pk=form.pk, unit__isnull=True).update(
                    unit=units[index % len(units)]
                )
    return campaign


def _backdate(campaign: Campaign, when: datetime) -> None:
    """Make the walked-through campaign look as if it ran in its month."""
    shift = timezone.now() - when
    SurveyForm.objects.filter(campaign=campaign, handed_out_at__isnull=False).update(
        handed_out_at=F("handed_out_at") - shift, printed_at=F("printed_at") - shift
    )
    SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=False).update(
        returned_at=F("returned_at") - shift
    )
    Campaign.objects.filter(pk=campaign.pk).update(opened_at=F("opened_at") - shift)


def seed_surveys(*, today: date | None = None) -> dict[str, int]:
    project = Project.objects.select_related("branch__company").get(code=PROJECT)
    catalogue.catalogue_ensure(company=project.branch.company)
    today = today or timezone.localdate()
    last_month, this_month = _month_start(today, 1), _month_start(today, 0)
    made = {"campaigns": 0}
    rng = random.Random("surveys-demo")  # noqa: S311 - demo data, not security
    if not Campaign.objects.filter(project=project, period_start=last_month).exists():
        closed = _campaign(
            project=project,
            start=last_month,
            frequency=Frequency.MONTHLY,
            title=f"{last_month:%Y年%m月}客户满意度征询",
        )
        closed = _fill(closed, RETURNED_CLOSED, rng, online_every=6)
        pm = _user("pm_a")
        low = CampaignArea.objects.get(campaign=closed, area__code="3")
        campaigns.area_waive(
            actor=pm, area=low, reason="3号楼本月有 6 户长期外出、联系不上，征询表无法收回；下月补发。"
        )
        supervisor = _user("supervisor_a")
        campaigns.campaign_close(actor=supervisor, campaign=closed)
        report = reports.report_draft(
            actor=supervisor,
            campaign=closed,
            summary=(
                "本月共发放征询表 150 份，收回 138 份。工程维修与保洁卫生的不满意项占全部不满意项的七成以上，"
                "主要是电梯维修响应慢与地下车库保洁不到位。整改措施：工程部电梯报修 2 小时内到场，"
                "保洁部增加地下车库清扫频次，由品质部跟踪验证。"
            ),
        )
        reports.report_submit(actor=supervisor, report=report)
        reports.report_review(actor=pm, report=report, approve=True, note="同意，按整改措施执行。")
        reports.report_distribute(actor=supervisor, report=report)
        _backdate(
            closed,
            timezone.make_aware(datetime.combine(last_month + timedelta(days=20), datetime.min.time())),
        )
        made["campaigns"] += 1
    if not Campaign.objects.filter(project=project, period_start=this_month).exists():
        running = _campaign(
            project=project,
            start=this_month,
            frequency=Frequency.MONTHLY,
            title=f"{this_month:%Y年%m月}客户满意度征询",
        )
        _fill(running, RETURNED_RUNNING, rng, online_every=5)
        made["campaigns"] += 1
    return made
