"""Writes to survey campaigns (R-SV-1, R-SV-2): make a campaign from a questionnaire, open it, make and hand
out the numbered forms per area, accept an area's low return rate with a reason, close it behind the
return-rate gate (then the R-RV-1 checks), cancel it; and the repeating schedules that open each period's
campaign once, however many schedulers run.

Each service checks the capability at the campaign's project, the rule, saves and writes the audit row.
Pages, the API and the periodic task all come through here.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, When
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.org.choices import BuildingKind
from estatedesk.org.models import Building, Department, Project
from estatedesk.org.permissions import require
from estatedesk.surveys import checks, figures, rates
from estatedesk.surveys.choices import CampaignStatus, Frequency, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignItem,
    Questionnaire,
    SurveyForm,
    SurveySchedule,
)

logger = logging.getLogger(__name__)

# the areas of a campaign in the order people walk them: the buildings by code, then the common areas
AREA_ORDER = (Case(When(kind=BuildingKind.BUILDING, then=0), default=1), "code")

MAX_FORMS_PER_CALL = 2000
REFERENCE_ATTEMPTS = 50
AUDITED = ["status", "opened_at", "closed_at", "closed_by_id", "cancelled_reason"]
WAIVER_FIELDS = ["waiver_reason", "waiver_by_id", "waiver_at"]
SCHEDULE_FIELDS = [
    "project_id",
    "runner",
    "department_id",
    "questionnaire_id",
    "frequency",
    "next_period_start",
    "one_answer_per_unit",
    "double_entry_percent",
    "is_active",
]


# --- helpers ----------------------------------------------------------------------------------------------


def _invalid(problems: dict[str, str], message: str | None = None) -> DomainError:
    return DomainError(
        "surveys.invalid",
        message or _("Some fields are not valid."),
        fields={name: [text] for name, text in problems.items()},
    )


def _wrong_status() -> DomainError:
    return DomainError("surveys.status", _("This is not possible at the campaign's status."), status=409)


def _locked(campaign: Campaign, *statuses: str) -> Campaign:
    """The campaign's row, locked for the change, refused unless at one of `statuses`."""
    current = (
        Campaign.objects.select_for_update(of=("self",)).select_related("project__branch").get(pk=campaign.pk)
    )
    if statuses and current.status not in statuses:
        raise _wrong_status()
    return current


def _save(campaign: Campaign, *, actor: Any, before: dict[str, Any], fields: list[str]) -> Campaign:
    campaign.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=campaign,
        before=before,
        after=model_changes(campaign, AUDITED),
        project_id=campaign.project_id,
    )
    return campaign


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_after(start: date, frequency: str) -> date:
    """The first day of the period after the one starting on `start` (monthly or quarterly)."""
    return add_months(start, 3 if frequency == Frequency.QUARTERLY else 1)


def period_label(start: date, frequency: str) -> str:
    if frequency == Frequency.QUARTERLY:
        return f"{start:%Y}Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def department_fits(department: Department, project: Project) -> bool:
    """A campaign's department is the project's, its branch's or the company's."""
    if department.company_id != project.branch.company_id:
        return False
    if department.project_id is not None:
        return department.project_id == project.pk
    return department.branch_id in (None, project.branch_id)


# --- making a campaign --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignData:
    """What a campaign is made of (R-SV-1). No areas: every building and common area of the project."""

    project: Project
    runner: str
    questionnaire: Questionnaire
    period_start: date
    period_end: date
    frequency: str = Frequency.AD_HOC
    department: Department | None = None
    title: str = ""
    areas: Sequence[Building] = field(default_factory=tuple)
    one_answer_per_unit: bool = False
    double_entry_percent: int = 0


def _check(data: CampaignData) -> None:
    problems: dict[str, str] = {}
    project = data.project
    if data.runner not in Runner.values:
        problems["runner"] = _("Choose the running department.")
    if data.frequency not in Frequency.values:
        problems["frequency"] = _("Choose how often.")
    if data.period_end < data.period_start:
        problems["period_end"] = _("The period cannot end before it starts.")
    if any(area.project_id != project.pk for area in data.areas):
        problems["areas"] = _("Choose areas of the campaign's project.")
    questionnaire = data.questionnaire
    if questionnaire.company_id != project.branch.company_id:
        problems["questionnaire"] = _("Choose a questionnaire of the company.")
    elif not questionnaire.is_active:
        problems["questionnaire"] = _("This questionnaire is no longer used.")
    elif not questionnaire.entries.filter(item__is_active=True).exists():
        problems["questionnaire"] = _("This questionnaire has no items.")
    if data.department is not None and not department_fits(data.department, project):
        problems["department"] = _("Choose a department of the project, its branch or the company.")
    if not 0 <= data.double_entry_percent <= 100:
        problems["double_entry_percent"] = _("Give a percentage from 0 to 100.")
    if len(data.title) > 120:
        problems["title"] = _("At most 120 characters.")
    if problems:
        raise _invalid(problems)


def _insert(fields: dict[str, Any], *, schedule: SurveySchedule | None) -> Campaign:
    """Insert the campaign under the next free reference SV-<PROJECT>-<YYYYMM>-<NN>. Two made at once both
    find the same number: the loser's INSERT fails on the unique reference inside its savepoint and it
    takes the next. A schedule's second campaign of one period fails on (schedule, period_start): that
    IntegrityError is the caller's."""
    project: Project = fields["project"]
    prefix = f"SV-{project.code}-{fields['period_start']:%Y%m}-"
    for _attempt in range(REFERENCE_ATTEMPTS):
        taken = Campaign.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)
        numbers = [int(tail) for ref in taken if (tail := ref[len(prefix) :]).isdigit()]
        reference = f"{prefix}{max(numbers, default=0) + 1:02d}"
        try:
            with transaction.atomic():
                return Campaign.objects.create(reference=reference, schedule=schedule, **fields)
        except IntegrityError:
            if (
                schedule is not None
                and Campaign.objects.filter(schedule=schedule, period_start=fields["period_start"]).exists()
            ):
                raise
    raise DomainError("surveys.busy", _("Too many campaigns are being made at once; try again."), status=409)


def _make(*, actor: Any, data: CampaignData, schedule: SurveySchedule | None = None) -> Campaign:
    """The campaign with its items (labels frozen from the catalogue) and its areas, as a draft."""
    _check(data)
    questionnaire = data.questionnaire
    label = period_label(data.period_start, data.frequency)
    campaign = _insert(
        {
            "project": data.project,
            "runner": data.runner,
            "department": data.department,
            "questionnaire": questionnaire,
            "kind": questionnaire.kind,
            "title": data.title.strip() or f"{questionnaire.name} {label}"[:120],
            "greeting": questionnaire.greeting,
            "greeting_en": questionnaire.greeting_en,
            "frequency": data.frequency,
            "period_start": data.period_start,
            "period_end": data.period_end,
            "one_answer_per_unit": data.one_answer_per_unit,
            "double_entry_percent": data.double_entry_percent,
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
        schedule=schedule,
    )
    entries = (
        questionnaire.entries.filter(item__is_active=True).select_related("item").order_by("position", "id")
    )
    CampaignItem.objects.bulk_create(
        [
            CampaignItem(
                campaign=campaign,
                item=entry.item,
                position=position,
                label=entry.item.name,
                label_en=entry.item.name_en,
                department_kind=entry.item.department_kind,
            )
            for position, entry in enumerate(entries, start=1)
        ]
    )
    areas = list(data.areas) or list(Building.objects.filter(project=data.project).order_by(*AREA_ORDER))
    CampaignArea.objects.bulk_create(
        [
            CampaignArea(campaign=campaign, area=area, position=position)
            for position, area in enumerate(areas, 1)
        ]
    )
    audit_record(
        actor=actor,
        action="create",
        obj=campaign,
        after={
            **model_changes(
                campaign, ["reference", "runner", "questionnaire_id", "period_start", "period_end"]
            ),
            "what": [area.name for area in areas],
        },
        project_id=campaign.project_id,
    )
    return campaign


@transaction.atomic
def campaign_create(*, actor: Any, data: CampaignData) -> Campaign:
    """Make a campaign (a draft) of the project's areas from a questionnaire (`surveys.run` there)."""
    require(actor, "surveys.run", project=data.project)
    return _make(actor=actor, data=data)


def _open(*, actor: Any, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign, CampaignStatus.DRAFT)
    before = model_changes(campaign, AUDITED)
    campaign.status = CampaignStatus.RUNNING
    campaign.opened_at = timezone.now()
    return _save(campaign, actor=actor, before=before, fields=["status", "opened_at"])


@transaction.atomic
def campaign_open(*, actor: Any, campaign: Campaign) -> Campaign:
    """Draft → running: forms can be handed out and answered."""
    require(actor, "surveys.run", project=campaign.project)
    return _open(actor=actor, campaign=campaign)


# --- the forms -------------------------------------------------------------------------------------------


def _area_of(campaign: Campaign, area: CampaignArea) -> CampaignArea:
    if area.campaign_id != campaign.pk:
        raise _invalid({"area": _("This area is not surveyed by the campaign.")})
    return area


def _make_forms(*, campaign: Campaign, area: CampaignArea, count: int) -> list[SurveyForm]:
    """`count` new forms of the area with the next serial numbers. The conditional UPDATE that takes the
    numbers holds the campaign row's lock until the transaction commits, so two printers never share one."""
    Campaign.objects.filter(pk=campaign.pk).update(last_serial=F("last_serial") + count)
    last = Campaign.objects.filter(pk=campaign.pk).values_list("last_serial", flat=True).get()
    first = last - count + 1
    SurveyForm.objects.bulk_create(
        [
            SurveyForm(campaign=campaign, area=area, serial=serial, token=secrets.token_urlsafe(16))
            for serial in range(first, last + 1)
        ]
    )
    campaign.last_serial = last
    return list(SurveyForm.objects.filter(campaign=campaign, serial__range=(first, last)).order_by("serial"))


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_FORMS_PER_CALL:
        raise _invalid(
            {"count": _("Give a number from 1 to %(most)s.") % {"most": f"{MAX_FORMS_PER_CALL:,}"}}
        )


@transaction.atomic
def forms_make(*, actor: Any, campaign: Campaign, area: CampaignArea, count: int) -> list[SurveyForm]:
    """Make `count` numbered forms (serial and QR token) for an area, to print (at most 2,000 a call)."""
    require(actor, "surveys.run", project=campaign.project)
    _area_of(campaign, area)
    _check_count(count)
    campaign = _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.RUNNING)
    before = {"last_serial": campaign.last_serial}
    forms = _make_forms(campaign=campaign, area=area, count=count)
    audit_record(
        actor=actor,
        action="update",
        obj=campaign,
        before=before,
        after={"last_serial": campaign.last_serial, "what": area.area.name},
        project_id=campaign.project_id,
    )
    return forms


@transaction.atomic
def forms_hand_out(*, actor: Any, campaign: Campaign, area: CampaignArea, count: int) -> int:
    """Record `count` more forms of the area handed out (R-SV-2), the lowest serials not yet handed out
    first; forms are made when the area has too few. Returns the number recorded."""
    require(actor, "surveys.run", project=campaign.project)
    _area_of(campaign, area)
    _check_count(count)
    campaign = _locked(campaign, CampaignStatus.RUNNING)  # one hand-out of the campaign at a time
    spare = list(
        SurveyForm.objects.filter(area=area, handed_out_at__isnull=True, returned_at__isnull=True)
        .order_by("serial")
        .values_list("pk", flat=True)[:count]
    )
    if len(spare) < count:
        spare += [form.pk for form in _make_forms(campaign=campaign, area=area, count=count - len(spare))]
    before = SurveyForm.objects.filter(area=area, handed_out_at__isnull=False).count()
    marked = SurveyForm.objects.filter(pk__in=spare, handed_out_at__isnull=True).update(
        handed_out_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="update",
        obj=area,
        before={"rows": before},
        after={"what": area.area.name, "rows": before + marked},
        project_id=campaign.project_id,
    )
    return marked


@transaction.atomic
def area_waive(*, actor: Any, area: CampaignArea, reason: str) -> CampaignArea:
    """Accept an area's return rate below the threshold, with a reason (R-SV-2, `surveys.waive`); who and
    when are recorded. The campaign can then be closed and reported."""
    campaign = area.campaign
    require(actor, "surveys.waive", project=campaign.project)
    reason = " ".join(reason.split())
    if not reason:
        raise _invalid({"reason": _("Give the reason for accepting the low return rate.")})
    if len(reason) > 500:
        raise _invalid({"reason": _("At most 500 characters.")})
    _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.RUNNING)
    area = CampaignArea.objects.select_for_update(of=("self",)).select_related("area").get(pk=area.pk)
    before = model_changes(area, WAIVER_FIELDS)
    area.waiver_reason = reason
    area.waiver_by = actor
    area.waiver_at = timezone.now()
    area.save(update_fields=["waiver_reason", "waiver_by", "waiver_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=area,
        before=before,
        after=model_changes(area, WAIVER_FIELDS),
        project_id=campaign.project_id,
    )
    return area


@transaction.atomic
def area_waiver_withdraw(*, actor: Any, area: CampaignArea) -> CampaignArea:
    """Withdraw an area's waiver while the campaign is open (`surveys.waive`)."""
    campaign = area.campaign
    require(actor, "surveys.waive", project=campaign.project)
    _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.RUNNING)
    area = CampaignArea.objects.select_for_update(of=("self",)).select_related("area").get(pk=area.pk)
    if not area.has_waiver:
        raise DomainError("surveys.no_waiver", _("This area has no waiver."), status=409)
    before = model_changes(area, WAIVER_FIELDS)
    area.waiver_reason = ""
    area.waiver_by = None
    area.waiver_at = None
    area.save(update_fields=["waiver_reason", "waiver_by", "waiver_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=area,
        before=before,
        after=model_changes(area, WAIVER_FIELDS),
        project_id=campaign.project_id,
    )
    return area


# --- closing and cancelling ---------------------------------------------------------------------------------


def below_return_rate(blocking: list[figures.AreaReturn]) -> DomainError:
    names = [
        _("%(area)s: %(rate)s (%(returned)s of %(handed_out)s)")
        % {
            "area": row.name,
            "rate": rates.percent_text(row.rate),
            "returned": row.returned,
            "handed_out": row.handed_out,
        }
        for row in blocking
    ]
    return DomainError(
        "surveys.below_return_rate",
        _(
            "These areas are below the minimum return rate and have no waiver: %(areas)s. Collect more "
            "forms, or record a waiver with a reason."
        )
        % {"areas": "; ".join(names)},
        fields={"areas": names},
        status=409,
    )


def _refuse_unsettled(campaign: Campaign) -> None:
    """Forms whose two keyings still differ hold answers nobody has confirmed: the figures of a closed
    campaign must not count them, so they are settled first (the mismatches page)."""
    serials = list(
        SurveyForm.objects.filter(campaign=campaign)
        .exclude(mismatch_items=[])
        .order_by("serial")
        .values_list("serial", flat=True)[:20]
    )
    if serials:
        raise DomainError(
            "surveys.unsettled_mismatches",
            _("The two keyings of some forms still differ; settle them before closing: %(serials)s.")
            % {"serials": ", ".join(f"{serial:04d}" for serial in serials)},
            status=409,
        )


@transaction.atomic
def campaign_close(*, actor: Any, campaign: Campaign) -> Campaign:
    """Running → closed, only when every area reaches the return rate or has a waiver (R-SV-2); then a
    sample of the returned forms goes to the return visits that check them (R-RV-1)."""
    require(actor, "surveys.run", project=campaign.project)
    campaign = _locked(campaign, CampaignStatus.RUNNING)
    blocking = figures.blocking_areas(campaign)
    if blocking:
        raise below_return_rate(blocking)
    _refuse_unsettled(campaign)
    before = model_changes(campaign, AUDITED)
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.closed_by = actor
    _save(campaign, actor=actor, before=before, fields=["status", "closed_at", "closed_by"])
    checks.survey_checks_arrange(actor=actor, campaign=campaign)
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: Any, campaign: Campaign, reason: str) -> Campaign:
    """Cancel a campaign that is not closed, with a reason."""
    require(actor, "surveys.run", project=campaign.project)
    reason = " ".join(reason.split())
    if not reason:
        raise _invalid({"reason": _("Give the reason for cancelling.")})
    if len(reason) > 300:
        raise _invalid({"reason": _("At most 300 characters.")})
    campaign = _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.RUNNING)
    before = model_changes(campaign, AUDITED)
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_reason = reason
    return _save(campaign, actor=actor, before=before, fields=["status", "cancelled_reason"])


# --- repeating schedules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleData:
    project: Project
    runner: str
    questionnaire: Questionnaire
    frequency: str
    next_period_start: date
    department: Department | None = None
    areas: Sequence[Building] = field(default_factory=tuple)
    one_answer_per_unit: bool = False
    double_entry_percent: int = 0


@transaction.atomic
def schedule_create(*, actor: Any, data: ScheduleData) -> SurveySchedule:
    """A repeating survey (R-SV-1, monthly or quarterly): the periodic job opens each period's campaign."""
    require(actor, "surveys.run", project=data.project)
    if data.frequency not in (Frequency.MONTHLY, Frequency.QUARTERLY):
        raise _invalid({"frequency": _("Choose monthly or quarterly.")})
    start = data.next_period_start
    _check(
        CampaignData(
            project=data.project,
            runner=data.runner,
            questionnaire=data.questionnaire,
            period_start=start,
            period_end=period_after(start, data.frequency) - timedelta(days=1),
            frequency=data.frequency,
            department=data.department,
            areas=data.areas,
            double_entry_percent=data.double_entry_percent,
        )
    )
    schedule = SurveySchedule.objects.create(
        project=data.project,
        runner=data.runner,
        department=data.department,
        questionnaire=data.questionnaire,
        frequency=data.frequency,
        next_period_start=start,
        one_answer_per_unit=data.one_answer_per_unit,
        double_entry_percent=data.double_entry_percent,
        created_by=actor,
    )
    schedule.areas.set(list(data.areas))
    audit_record(
        actor=actor,
        action="create",
        obj=schedule,
        after={**model_changes(schedule, SCHEDULE_FIELDS), "what": [area.name for area in data.areas]},
        project_id=schedule.project_id,
    )
    return schedule


@transaction.atomic
def schedule_set_active(*, actor: Any, schedule: SurveySchedule, is_active: bool) -> SurveySchedule:
    """Stop a schedule (no more campaigns) or start it again."""
    require(actor, "surveys.run", project=schedule.project)
    schedule = SurveySchedule.objects.select_for_update(of=("self",)).get(pk=schedule.pk)
    before = model_changes(schedule, ["is_active"])
    schedule.is_active = is_active
    schedule.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=schedule,
        before=before,
        after=model_changes(schedule, ["is_active"]),
        project_id=schedule.project_id,
    )
    return schedule


def _open_due(schedule_id: int, today: date) -> bool:
    """The schedule's campaign of the period that holds `today`, made and opened; the schedule moved on to
    the next period. False when another run made it already (or the schedule is not due any more)."""
    with transaction.atomic():
        schedule = (
            SurveySchedule.objects.select_for_update(of=("self",))
            .select_related("project__branch", "questionnaire", "department")
            .get(pk=schedule_id)
        )
        if not schedule.is_active or schedule.next_period_start > today:
            return False
        start = schedule.next_period_start
        while period_after(start, schedule.frequency) <= today:  # periods missed while nothing ran
            start = period_after(start, schedule.frequency)
        following = period_after(start, schedule.frequency)
        made = False
        try:
            with transaction.atomic():
                campaign = _make(
                    actor=None,
                    data=CampaignData(
                        project=schedule.project,
                        runner=schedule.runner,
                        questionnaire=schedule.questionnaire,
                        period_start=start,
                        period_end=following - timedelta(days=1),
                        frequency=schedule.frequency,
                        department=schedule.department,
                        areas=list(schedule.areas.order_by(*AREA_ORDER)),
                        one_answer_per_unit=schedule.one_answer_per_unit,
                        double_entry_percent=schedule.double_entry_percent,
                    ),
                    schedule=schedule,
                )
                _open(actor=None, campaign=campaign)
            made = True
        except IntegrityError:  # another scheduler opened this period's campaign first
            made = False
        except DomainError as error:  # e.g. the questionnaire lost its items: try again next time
            logger.warning("survey schedule %s: no campaign for %s: %s", schedule.pk, start, error)
            return False
        schedule.next_period_start = following
        schedule.save(update_fields=["next_period_start", "updated_at"])
        return made


def schedules_open_due(*, today: date | None = None) -> int:
    """Open the campaign of the current period for every active schedule whose next period has started
    (R-SV-1); the number of campaigns made. Once per period however many run at once: the unique
    constraint on (schedule, period_start) lets one of them in."""
    today = today or timezone.localdate()
    due = SurveySchedule.objects.filter(is_active=True, next_period_start__lte=today).order_by("pk")
    return sum(_open_due(pk, today) for pk in due.values_list("pk", flat=True))
