"""Answers coming in, from every path, once each (issue 13, item 3; R-SV-2, R-SV-4).

- **Paper forms keyed in** (`form_key_in`): the serial of a form of this running campaign, a rating for every
  item (the digit keyed in is the value: 1 很满意 … 4 不满意, 0 未表态). A form already returned, by any path,
  is refused with "surveys.already_entered" (409). The form is claimed with a conditional UPDATE
  (`returned_at IS NULL`), so two keyers racing on one serial save it once.
- **Double entry** of a share of paper forms: `double_entry_chosen` picks a deterministic pseudo-random
  share (sha256 of campaign id and serial, mod 100, below `Campaign.double_entry_percent`); such a form is
  keyed a second time by someone else (`form_second_entry`), blind, and the items that differ are listed
  (`mismatch_items`) until a supervisor picks the right value (`mismatch_resolve`, audited).
- **Online answers** (`form_answer_online`): from the QR code of a form (/s/<token>/, no sign-in) or the
  owner portal (`portal_answer`, a form taken or made for the owner's unit). One answer per serial; where the
  campaign says so, one per unit: `unit_lock` and the unique constraint (campaign, unit_lock) decide a race.

A closed or cancelled campaign takes no answers. Statistics are not computed here: `figures.py` counts the
returned forms' answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.text import multi_line, one_line
from estatedesk.org.models import Unit
from estatedesk.org.permissions import require
from estatedesk.surveys.choices import CampaignStatus, Channel, Rating
from estatedesk.surveys.models import Campaign, CampaignArea, CampaignItem, SurveyAnswer, SurveyForm

RATING_VALUES = frozenset(int(value) for value in Rating.values)
# the scale's words as pages show them (the glossary's 很满意 … 未表态); "No answer" here is no rating given,
# not a call nobody picked up, hence the context
RATING_LABELS: dict[int, Any] = {
    Rating.VERY_SATISFIED: pgettext_lazy("survey rating", "Very satisfied"),
    Rating.SATISFIED: pgettext_lazy("survey rating", "Satisfied"),
    Rating.FAIRLY_SATISFIED: pgettext_lazy("survey rating", "Fairly satisfied"),
    Rating.UNSATISFIED: pgettext_lazy("survey rating", "Unsatisfied"),
    Rating.UNRATED: pgettext_lazy("survey rating", "No answer"),
}
MAX_NAME = 60
MAX_COMMENT = 2000
AUDITED = [
    "returned_at",
    "handed_out_at",
    "channel",
    "respondent_name",
    "answered_on",
    "comment",
    "entered_by_id",
    "respondent_id",
    "unit_id",
    "needs_second_entry",
]
# a form's serial as typed or scanned: digits (full-width too, NFKC), "No. 12", "#12", "编号12", or a code
# ending in "-0012"; a scanned QR code types the form's address, /s/<token>/
_TOKEN_IN_URL = re.compile(r"/s/([A-Za-z0-9_-]{8,64})/?(?:[?#].*)?$")
_SERIAL = re.compile(r"(?:no\.?|#|编号|序号)?\s*0*(\d{1,9})", re.IGNORECASE)
_SERIAL_AT_END = re.compile(r"[A-Za-z0-9-]*-0*(\d{1,9})")


def serial_text(serial: int) -> str:
    """A serial as forms print it and pages show it: four digits at least ("0012")."""
    return f"{serial:04d}"


# --- reading what was typed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedSerial:
    """What the serial field held: a serial number, or the token of a scanned form's QR address."""

    serial: int | None = None
    token: str = ""


def serial_read(text: str) -> TypedSerial | None:
    """The serial or QR token in what was typed or scanned; None when it is neither. Pure."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None
    found = _TOKEN_IN_URL.search(value)
    if found:
        return TypedSerial(token=found.group(1))
    match = _SERIAL.fullmatch(value) or _SERIAL_AT_END.fullmatch(value)
    if match is None:
        return None
    return TypedSerial(serial=int(match.group(1)))


def serial_resolve(*, campaign: Campaign, text: str) -> int:
    """The serial of this campaign's form that the typed or scanned text names. A QR address of a form of
    another campaign, or text that names no form, is a DomainError on the field "serial"."""
    typed = serial_read(text)
    if typed is None:
        raise _serial_error(
            "surveys.serial_invalid", _("Type the serial number printed on the form, or scan its QR code.")
        )
    if typed.serial is not None:
        return typed.serial
    row = SurveyForm.objects.filter(token=typed.token).values_list("campaign_id", "serial").first()
    if row is None:
        raise _serial_error("surveys.unknown_form", _("This QR code is not one of our survey forms."))
    if row[0] != campaign.pk:
        raise _serial_error(
            "surveys.other_campaign",
            _("Form %(serial)s belongs to another survey, not to this one.")
            % {"serial": serial_text(row[1])},
        )
    return row[1]


def _serial_error(code: str, message: str, status: int = 400) -> DomainError:
    return DomainError(code, message, fields={"serial": [message]}, status=status)


def double_entry_chosen(*, campaign_id: int, serial: int, percent: int) -> bool:
    """Is this form among the share keyed in twice? Deterministic (the same form always is or is not),
    spread evenly: sha256 of "campaign id:serial" mod 100 below the percent."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_id}:{serial}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


# --- checks shared by every path ----------------------------------------------------------------------------


def campaign_items(campaign: Campaign) -> list[CampaignItem]:
    return list(CampaignItem.objects.filter(campaign=campaign).order_by("position", "id"))


def ratings_check(
    *, items: list[CampaignItem], ratings: Mapping[int, int], fill_unrated: bool = False
) -> dict[int, int]:
    """{campaign item id: rating} for every item of the campaign, each 0–4. With `fill_unrated` an item left
    out is 未表态 (an online answer may skip items); otherwise every item must be rated (a keyed-in paper
    form: 0 is typed for 未表态). Errors are per field "item_<id>"."""
    known = {item.pk for item in items}
    fields: dict[str, list[Any]] = {}
    unknown = [key for key in ratings if key not in known]
    if unknown:
        fields["ratings"] = [_("These are not items of this survey: %(ids)s.") % {"ids": unknown}]
    result: dict[int, int] = {}
    for item in items:
        value = ratings.get(item.pk)
        if value is None and fill_unrated:
            value = int(Rating.UNRATED)
        if value is None:
            fields[f"item_{item.pk}"] = [_("Rate this item: 1 to 4, or 0 for no answer.")]
        elif value not in RATING_VALUES:
            fields[f"item_{item.pk}"] = [
                _("%(value)s is not a rating: 1 to 4, or 0 for no answer.") % {"value": value}
            ]
        else:
            result[item.pk] = int(value)
    if fields:
        raise DomainError(
            "surveys.ratings_invalid", _("Rate every item: 1 to 4, or 0 for no answer."), fields=fields
        )
    return result


def campaign_require_running(campaign: Campaign) -> None:
    """Answers come in only while the campaign runs; a clear word for a campaign not open yet, closed or
    cancelled."""
    if campaign.status == CampaignStatus.RUNNING:
        return
    if campaign.status == CampaignStatus.DRAFT:
        raise DomainError(
            "surveys.campaign_not_started",
            _("This survey has not started yet; answers are taken once it runs."),
            status=409,
        )
    raise DomainError(
        "surveys.campaign_closed",
        _("This survey is %(status)s and takes no more answers.")
        % {"status": campaign.get_status_display().lower()},
        status=409,
    )


def _already(form: SurveyForm, *, online: bool) -> DomainError:
    serial = serial_text(form.serial)
    if online:
        return DomainError(
            "surveys.already_answered",
            _("Form %(serial)s was already answered; thank you. Nothing was changed.") % {"serial": serial},
            status=409,
        )
    return _serial_error(
        "surveys.already_entered",
        _("Form %(serial)s was already entered; a form is entered once.") % {"serial": serial},
        status=409,
    )


def _unit_taken() -> DomainError:
    return DomainError(
        "surveys.unit_already_answered",
        _("This survey takes one answer per unit, and your unit has already answered; thank you."),
        status=409,
    )


@dataclass(frozen=True)
class Answer:
    """What a returned form carries, whatever the path."""

    channel: str
    ratings: dict[int, int]
    respondent_name: str = ""
    answered_on: dt.date | None = None
    comment: str = ""
    entered_by: Any = None
    respondent: Any = None
    unit: Unit | None = None
    needs_second_entry: bool = False


def _clean_texts(respondent_name: str, comment: str) -> tuple[str, str]:
    name = one_line(respondent_name)
    text = multi_line(comment).strip()
    fields: dict[str, list[Any]] = {}
    if len(name) > MAX_NAME:
        fields["respondent_name"] = [_("At most %(count)d characters.") % {"count": MAX_NAME}]
    if len(text) > MAX_COMMENT:
        fields["comment"] = [_("At most %(count)d characters.") % {"count": MAX_COMMENT}]
    if fields:
        raise DomainError("surveys.invalid", _("Some fields are not valid."), fields=fields)
    return name, text


def _return(form: SurveyForm, answer: Answer, *, online: bool) -> SurveyForm:
    """Mark the form returned with its answers, once: a conditional UPDATE claims it (a form returned
    meanwhile by another path is refused), the unit lock holds one answer per unit. Call inside a
    transaction."""
    campaign = form.campaign
    now = timezone.now()
    unit = answer.unit or form.unit
    updates: dict[str, Any] = {
        "returned_at": now,
        "handed_out_at": Coalesce(F("handed_out_at"), Value(now, output_field=DateTimeField())),
        "channel": answer.channel,
        "respondent_name": answer.respondent_name,
        "answered_on": answer.answered_on,
        "comment": answer.comment,
        "entered_by": answer.entered_by,
        "respondent": answer.respondent,
        "needs_second_entry": answer.needs_second_entry,
    }
    if unit is not None:
        updates["unit"] = unit
        if campaign.one_answer_per_unit:
            updates["unit_lock"] = unit
    before = model_changes(form, AUDITED)
    try:
        with transaction.atomic():
            claimed = SurveyForm.objects.filter(pk=form.pk, returned_at__isnull=True).update(**updates)
            if not claimed:
                raise _already(form, online=online)
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(form_id=form.pk, item_id=item_id, rating=rating)
                for item_id, rating in answer.ratings.items()
            )
    except IntegrityError as error:  # the unit lock: another form of this unit was answered meanwhile
        if campaign.one_answer_per_unit and unit is not None:
            raise _unit_taken() from error
        raise _already(form, online=online) from error
    form.refresh_from_db()
    audit_record(
        actor=answer.entered_by or answer.respondent,
        action="update",
        obj=form,
        before=before,
        after=model_changes(form, AUDITED),
        project_id=campaign.project_id,
    )
    return form


# --- paper forms --------------------------------------------------------------------------------------------


def form_key_in(
    *,
    actor: Any,
    campaign: Campaign,
    serial: int,
    ratings: Mapping[int, int],
    respondent_name: str = "",
    answered_on: dt.date | None = None,
    comment: str = "",
) -> SurveyForm:
    """Key in a returned paper form (channel paper): a form of this running campaign not yet returned, a
    rating for every item. A share of forms is flagged for a second keying (`needs_second_entry`)."""
    require(actor, "surveys.enter", project=campaign.project)
    campaign_require_running(campaign)
    checked = ratings_check(items=campaign_items(campaign), ratings=ratings)
    name, text = _clean_texts(respondent_name, comment)
    with transaction.atomic():
        form = (
            SurveyForm.objects.select_related("campaign", "unit")
            .filter(campaign=campaign, serial=serial)
            .first()
        )
        if form is None:
            raise _serial_error(
                "surveys.unknown_serial",
                _("There is no form %(serial)s in this survey.") % {"serial": serial_text(serial)},
            )
        if form.returned_at is not None:
            raise _already(form, online=False)
        return _return(
            form,
            Answer(
                channel=Channel.PAPER,
                ratings=checked,
                respondent_name=name,
                answered_on=answered_on,
                comment=text,
                entered_by=actor,
                needs_second_entry=double_entry_chosen(
                    campaign_id=campaign.pk, serial=serial, percent=campaign.double_entry_percent
                ),
            ),
            online=False,
        )


def form_second_entry(*, actor: Any, form: SurveyForm, ratings: Mapping[int, int]) -> SurveyForm:
    """The second, blind keying of a form drawn for double entry, by someone other than the first keyer;
    the items whose ratings differ are listed in `mismatch_items` for a supervisor to settle."""
    campaign = form.campaign
    require(actor, "surveys.enter", project=campaign.project)
    campaign_require_running(campaign)
    checked = ratings_check(items=campaign_items(campaign), ratings=ratings)
    serial = serial_text(form.serial)
    if not form.needs_second_entry or form.returned_at is None:
        raise _serial_error(
            "surveys.no_second_entry",
            _("Form %(serial)s is not waiting for a second entry.") % {"serial": serial},
            status=409,
        )
    if form.entered_by_id == actor.pk:
        raise _serial_error(
            "surveys.second_entry_same_user",
            _("You keyed in form %(serial)s the first time; someone else keys it in again.")
            % {"serial": serial},
            status=409,
        )
    with transaction.atomic():
        first = dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating"))
        mismatches = sorted(item_id for item_id, rating in checked.items() if first.get(item_id) != rating)
        claimed = SurveyForm.objects.filter(pk=form.pk, second_entry_at__isnull=True).update(
            second_ratings={str(item_id): rating for item_id, rating in checked.items()},
            second_entry_by=actor,
            second_entry_at=timezone.now(),
            mismatch_items=mismatches,
        )
        if not claimed:
            raise _serial_error(
                "surveys.second_entry_done",
                _("Form %(serial)s was already keyed in a second time.") % {"serial": serial},
                status=409,
            )
        form.refresh_from_db()
        audit_record(
            actor=actor,
            action="update",
            obj=form,
            after={"second_entry_by": actor.pk, "mismatch_items": mismatches},
            project_id=campaign.project_id,
        )
    return form


def mismatch_resolve(*, actor: Any, form: SurveyForm, choices: Mapping[int, int]) -> SurveyForm:
    """A supervisor settles items the two keyings disagree on: {campaign item id: the right rating}. The
    form's answer is corrected (audited with the value before) and the item leaves `mismatch_items`."""
    campaign = form.campaign
    require(actor, "surveys.run", project=campaign.project)
    with transaction.atomic():
        current = SurveyForm.objects.select_for_update(of=("self",)).get(pk=form.pk)
        open_items = [int(item_id) for item_id in current.mismatch_items]
        fields: dict[str, list[Any]] = {}
        for item_id, rating in choices.items():
            if item_id not in open_items:
                fields[f"item_{item_id}"] = [_("This item is not waiting to be settled.")]
            elif rating not in RATING_VALUES:
                fields[f"item_{item_id}"] = [
                    _("%(value)s is not a rating: 1 to 4, or 0 for no answer.") % {"value": rating}
                ]
        if fields or not choices:
            raise DomainError(
                "surveys.mismatch_invalid", _("Choose the right rating of each item."), fields=fields
            )
        answers = {a.item_id: a for a in SurveyAnswer.objects.filter(form=current, item_id__in=list(choices))}
        before = {f"item_{item_id}": answers[item_id].rating for item_id in choices}
        for item_id, rating in choices.items():
            answers[item_id].rating = rating
        SurveyAnswer.objects.bulk_update(list(answers.values()), ["rating"])
        current.mismatch_items = [item_id for item_id in open_items if item_id not in choices]
        current.save(update_fields=["mismatch_items"])
        audit_record(
            actor=actor,
            action="update",
            obj=current,
            before=before,
            after={f"item_{item_id}": rating for item_id, rating in choices.items()},
            project_id=campaign.project_id,
        )
    return current


# --- online answers -----------------------------------------------------------------------------------------


def form_answer_online(
    *,
    form: SurveyForm,
    ratings: Mapping[int, int],
    comment: str = "",
    respondent: Any = None,
    channel: str,
    respondent_name: str = "",
    unit: Unit | None = None,
) -> SurveyForm:
    """An answer from the form's QR code (channel qr, anyone holding the form) or the owner portal (channel
    online, the signed-in owner as `respondent`, their `unit`). Items left out are 未表态. One answer per
    serial; one per unit when the campaign says so."""
    if channel not in (Channel.QR, Channel.ONLINE):
        raise DomainError("surveys.invalid", _("Online answers come by QR code or the owner portal."))
    campaign = form.campaign
    campaign_require_running(campaign)
    if form.returned_at is not None:
        raise _already(form, online=True)
    checked = ratings_check(items=campaign_items(campaign), ratings=ratings, fill_unrated=True)
    name, text = _clean_texts(respondent_name, comment)
    if not text and all(rating == Rating.UNRATED for rating in checked.values()):
        raise DomainError(
            "surveys.nothing_answered", _("Rate at least one item, or write a comment."), status=400
        )
    with transaction.atomic():
        return _return(
            form,
            Answer(
                channel=channel,
                ratings=checked,
                respondent_name=name,
                answered_on=timezone.localdate(),
                comment=text,
                respondent=respondent if getattr(respondent, "pk", None) else None,
                unit=unit,
            ),
            online=True,
        )


# --- the owner portal ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalSurvey:
    """A running campaign an owner may answer for one of their units, and whether it is answered."""

    campaign: Campaign
    area: CampaignArea
    unit: Unit
    is_answered: bool


def portal_surveys(*, user: Any) -> list[PortalSurvey]:
    """The running campaigns of the areas where the signed-in owner lives now, one row per (campaign, unit);
    answered when the owner answered it for that unit (or, where the campaign takes one answer per unit,
    when anyone did). A bounded number of queries."""
    from estatedesk.owners.selectors_portal import portal_occupancies

    units = {occupancy.unit.pk: occupancy.unit for occupancy in portal_occupancies(user=user)}
    if not units:
        return []
    by_building: dict[int, list[Unit]] = {}
    for unit in units.values():
        by_building.setdefault(unit.building_id, []).append(unit)
    areas = list(
        CampaignArea.objects.filter(
            campaign__status=CampaignStatus.RUNNING,
            campaign__project_id__in={unit.project_id for unit in units.values()},
            area_id__in=list(by_building),
        )
        .select_related("campaign__project", "area")
        .order_by("-campaign__period_start", "campaign__reference", "position", "id")
    )
    if not areas:
        return []
    answered = set(
        SurveyForm.objects.filter(
            campaign_id__in={area.campaign_id for area in areas}, returned_at__isnull=False
        )
        .filter(Q(unit_id__in=list(units), respondent_id=user.pk) | Q(unit_lock_id__in=list(units)))
        .values_list("campaign_id", "unit_id", "unit_lock_id", "respondent_id")
    )
    done: set[tuple[int, int]] = set()
    for campaign_id, unit_id, lock_id, respondent_id in answered:
        if respondent_id == user.pk and unit_id is not None:
            done.add((campaign_id, unit_id))
        if lock_id is not None:
            done.add((campaign_id, lock_id))
    return [
        PortalSurvey(
            campaign=area.campaign,
            area=area,
            unit=unit,
            is_answered=(area.campaign_id, unit.pk) in done,
        )
        for area in areas
        for unit in sorted(by_building[area.area_id], key=lambda unit: unit.label)
        if unit.project_id == area.campaign.project_id
    ]


def portal_survey_get(*, user: Any, reference: str, unit_id: int) -> PortalSurvey | None:
    """One of the owner's `portal_surveys`, or None (not theirs, not running, not their unit)."""
    return next(
        (
            row
            for row in portal_surveys(user=user)
            if row.campaign.reference == reference and row.unit.pk == unit_id
        ),
        None,
    )


def _form_make_for_unit(*, campaign: Campaign, area: CampaignArea, unit: Unit) -> SurveyForm:
    """A new form handed out now to the owner's unit: the next serial from the campaign's counter (a
    conditional UPDATE, as printing does), a fresh QR token."""
    Campaign.objects.filter(pk=campaign.pk).update(last_serial=F("last_serial") + 1)
    serial = Campaign.objects.values_list("last_serial", flat=True).get(pk=campaign.pk)
    return SurveyForm.objects.create(
        campaign=campaign,
        area=area,
        serial=serial,
        token=secrets.token_urlsafe(16),
        unit=unit,
        handed_out_at=timezone.now(),
    )


def portal_answer(
    *, user: Any, survey: PortalSurvey, ratings: Mapping[int, int], comment: str = ""
) -> SurveyForm:
    """The signed-in owner answers a campaign for their unit in the portal: the unit's form not yet
    returned is taken, or a form is made for it (handed out now); then `form_answer_online`."""
    campaign = survey.campaign
    campaign_require_running(campaign)
    if survey.is_answered:
        if campaign.one_answer_per_unit:
            raise _unit_taken()
        raise DomainError(
            "surveys.already_answered", _("You have already answered this survey; thank you."), status=409
        )
    ratings_check(items=campaign_items(campaign), ratings=ratings, fill_unrated=True)
    with transaction.atomic():
        form = (
            SurveyForm.objects.select_related("campaign", "unit")
            .filter(campaign=campaign, unit=survey.unit, returned_at__isnull=True)
            .filter(Q(respondent__isnull=True) | Q(respondent_id=user.pk))
            .order_by("serial")
            .first()
        )
        if form is None:
            form = _form_make_for_unit(campaign=campaign, area=survey.area, unit=survey.unit)
            form.campaign = campaign
        return form_answer_online(
            form=form,
            ratings=ratings,
            comment=comment,
            respondent=user,
            channel=Channel.ONLINE,
            respondent_name=str(getattr(user, "display_name", "") or ""),
            unit=survey.unit,
        )
