"""Staff pages for answers coming in (issue 13, item 3): the keyboard screen for paper forms (first and
second keying), the mismatches of double entry, and the workbook import (template, dry run, commit).

The keyboard screen is a plain form (a select per item) that works on any device without JavaScript;
static/surveys/entry.js makes it keyboard-only: the serial (typed or scanned), one keystroke per item, Enter
saves through the same endpoint answering JSON, and the cursor is back in the serial field. Thin views:
validated input → `surveys.entry` / `surveys.importing` → page, fragment or JSON."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.text import filename_safe
from estatedesk.org.permissions import can
from estatedesk.surveys import entry, figures, importing, rates
from estatedesk.surveys.choices import CampaignStatus, Channel, ImportStatus, Rating
from estatedesk.surveys.models import Campaign, CampaignItem, SurveyAnswer, SurveyForm, SurveyImport
from estatedesk.surveys.selectors import campaign_get_for_user

RECENT_FORMS = 10
RECENT_IMPORTS = 10
MAX_PROBLEMS_ON_SCREEN = 500
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
# the order of the keys on the screen and in the selects: the four grades, then no answer
RATING_ORDER = (
    Rating.VERY_SATISFIED,
    Rating.SATISFIED,
    Rating.FAIRLY_SATISFIED,
    Rating.UNSATISFIED,
    Rating.UNRATED,
)


def rating_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [
        (str(int(rating)), f"{int(rating)} · {entry.RATING_LABELS[rating]}") for rating in RATING_ORDER
    ]


def url_or_empty(name: str, *args: Any) -> str:
    """A page of another part of surveys, or "" while it is not wired yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def campaign_for(request: HttpRequest, reference: str, capability: str) -> Campaign:
    """The campaign in the user's scope (404 otherwise) where they hold `capability` (403 otherwise)."""
    campaign = campaign_get_for_user(user=request.user, reference=reference)
    if not can(request.user, capability, project=campaign.project):
        raise PermissionDenied
    return campaign


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- forms -------------------------------------------------------------------------------------------------


class EntryForm(forms.Form):
    """A paper form as keyed in: the serial (or a scanned QR address), a rating per item, and for the first
    keying the optional name, date and comments."""

    serial = forms.CharField(label=gettext_lazy("Serial number"), max_length=200)
    respondent_name = forms.CharField(
        label=gettext_lazy("Customer name"), max_length=entry.MAX_NAME, required=False
    )
    answered_on = forms.DateField(
        label=gettext_lazy("Date on the form"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    comment = forms.CharField(label=gettext_lazy("Comments"), max_length=entry.MAX_COMMENT, required=False)

    def __init__(self, *args: Any, items: list[CampaignItem], second: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        if second:  # the second keying compares the ratings only
            for name in ("respondent_name", "answered_on", "comment"):
                del self.fields[name]
        serial = self.fields["serial"].widget.attrs
        serial.update(
            {
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "text",
                "data-entry-serial": "",
                "placeholder": _("Type or scan"),
            }
        )
        for index, item in enumerate(items, start=1):
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.label, choices=rating_choices(), required=True
            )
            self.fields[f"item_{item.pk}"].widget.attrs.update(
                {"data-entry-item": str(index), "class": "entry-rating"}
            )
        for name in ("respondent_name", "answered_on", "comment"):
            if name in self.fields:
                self.fields[name].widget.attrs["data-entry-extra"] = ""

    def item_fields(self) -> list[tuple[CampaignItem, Any]]:
        return [(item, self[f"item_{item.pk}"]) for item in self.items]

    def extra_fields(self) -> list[Any]:
        return [self[name] for name in ("respondent_name", "answered_on", "comment") if name in self.fields]

    def ratings(self) -> dict[int, int]:
        return {item.pk: int(self.cleaned_data[f"item_{item.pk}"]) for item in self.items}


# --- the keyboard screen ------------------------------------------------------------------------------------


def progress(campaign: Campaign) -> dict[str, Any]:
    """Returned ÷ handed out, per area and for the campaign (figures.area_returns: one query)."""
    areas = figures.area_returns(campaign)
    handed_out = sum(area.handed_out for area in areas)
    returned = sum(area.returned for area in areas)
    return {
        "handed_out": handed_out,
        "returned": returned,
        "rate": rates.percent_text(rates.return_rate(returned, handed_out)),
        "areas": [
            {
                "id": area.campaign_area_id,
                "name": area.name,
                "handed_out": area.handed_out,
                "returned": area.returned,
                "rate": rates.percent_text(area.rate),
                "passes": area.passes,
            }
            for area in areas
        ],
    }


def _recent(campaign: Campaign, user: Any) -> list[SurveyForm]:
    return list(
        SurveyForm.objects.filter(campaign=campaign, channel=Channel.PAPER, entered_by=user)
        .select_related("area__area")
        .order_by("-returned_at", "-id")[:RECENT_FORMS]
    )


def _saved(form: SurveyForm) -> dict[str, Any]:
    return {
        "serial": entry.serial_text(form.serial),
        "area": form.area.area.name,
        "needs_second_entry": form.needs_second_entry,
    }


def _screen(
    request: HttpRequest, campaign: Campaign, form: EntryForm, *, second: bool = False, status: int = 200
) -> HttpResponse:
    user = request.user
    waiting = []
    if second:
        waiting = list(
            SurveyForm.objects.filter(
                campaign=campaign,
                needs_second_entry=True,
                returned_at__isnull=False,
                second_entry_at__isnull=True,
            )
            .exclude(entered_by_id=user.pk)
            .select_related("area__area")
            .order_by("serial")[:200]
        )
    context = {
        "campaign": campaign,
        "form": form,
        "second": second,
        "is_running": campaign.status == CampaignStatus.RUNNING,
        "progress": progress(campaign),
        "recent": [] if second else [_saved(f) for f in _recent(campaign, user)],
        "waiting": [entry.serial_text(f.serial) for f in waiting],
        "keys": [(int(rating), entry.RATING_LABELS[rating]) for rating in RATING_ORDER],
        "action": reverse(
            "surveys:second_entry" if second else "surveys:entry_save", args=[campaign.reference]
        ),
        "campaign_url": url_or_empty("surveys:campaign_detail", campaign.reference),
        "can_run": can(user, "surveys.run", project=campaign.project),
        "mismatch_count": SurveyForm.objects.filter(campaign=campaign).exclude(mismatch_items=[]).count(),
    }
    return render(request, "surveys/entry_screen.html", context, status=status)


@login_required
@require_GET
def entry_screen(request: HttpRequest, reference: str) -> HttpResponse:
    campaign = campaign_for(request, reference, "surveys.enter")
    return _screen(request, campaign, EntryForm(items=entry.campaign_items(campaign)))


def _refused(
    request: HttpRequest, campaign: Campaign, form: EntryForm, error: DomainError, second: bool
) -> HttpResponse:
    if _wants_json(request):
        fields = {key: [str(message) for message in messages_] for key, messages_ in error.fields.items()}
        return JsonResponse(
            {"code": error.code, "message": str(error.message), "fields": fields}, status=error.status
        )
    add_domain_error(form, error)
    return _screen(
        request, campaign, form, second=second, status=error.status if error.status != 403 else 400
    )


def _invalid(request: HttpRequest, campaign: Campaign, form: EntryForm, second: bool) -> HttpResponse:
    if _wants_json(request):
        fields = {key: [str(message) for message in errors] for key, errors in form.errors.items()}
        return JsonResponse(
            {"code": "invalid", "message": _("Some fields are not valid."), "fields": fields}, status=400
        )
    return _screen(request, campaign, form, second=second, status=400)


def _done(
    request: HttpRequest, campaign: Campaign, form: SurveyForm, message: str, second: bool
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({**_saved(form), "message": message, "progress": progress(campaign)}, status=201)
    messages.success(request, message)
    return redirect("surveys:second_entry" if second else "surveys:entry", campaign.reference)


@login_required
@require_POST
def entry_save(request: HttpRequest, reference: str) -> HttpResponse:
    """Save one keyed-in paper form; JSON for the keyboard script, or the page again (PRG) without it."""
    campaign = campaign_for(request, reference, "surveys.enter")
    form = EntryForm(request.POST, items=entry.campaign_items(campaign))
    if not form.is_valid():
        return _invalid(request, campaign, form, False)
    data = form.cleaned_data
    try:
        saved = entry.form_key_in(
            actor=request.user,
            campaign=campaign,
            serial=entry.serial_resolve(campaign=campaign, text=data["serial"]),
            ratings=form.ratings(),
            respondent_name=data["respondent_name"],
            answered_on=data["answered_on"],
            comment=data["comment"],
        )
    except DomainError as error:
        return _refused(request, campaign, form, error, False)
    serial = entry.serial_text(saved.serial)
    if saved.needs_second_entry:
        message = _("Form %(serial)s saved; it is drawn to be keyed in a second time by someone else.") % {
            "serial": serial
        }
    else:
        message = _("Form %(serial)s saved.") % {"serial": serial}
    return _done(request, campaign, saved, message, False)


@login_required
@require_http_methods(["GET", "POST"])
def second_entry(request: HttpRequest, reference: str) -> HttpResponse:
    """The blind second keying of the forms drawn for double entry, by someone other than the first keyer."""
    campaign = campaign_for(request, reference, "surveys.enter")
    items = entry.campaign_items(campaign)
    if request.method != "POST":
        return _screen(request, campaign, EntryForm(items=items, second=True), second=True)
    form = EntryForm(request.POST, items=items, second=True)
    if not form.is_valid():
        return _invalid(request, campaign, form, True)
    try:
        serial = entry.serial_resolve(campaign=campaign, text=form.cleaned_data["serial"])
        target = (
            SurveyForm.objects.select_related("campaign__project", "area__area")
            .filter(campaign=campaign, serial=serial)
            .first()
        )
        if target is None:
            raise DomainError(
                "surveys.unknown_serial",
                _("There is no form %(serial)s in this survey.") % {"serial": entry.serial_text(serial)},
                fields={
                    "serial": [
                        _("There is no form %(serial)s in this survey.")
                        % {"serial": entry.serial_text(serial)}
                    ]
                },
            )
        saved = entry.form_second_entry(actor=request.user, form=target, ratings=form.ratings())
    except DomainError as error:
        return _refused(request, campaign, form, error, True)
    shown = entry.serial_text(saved.serial)
    if saved.mismatch_items:
        message = _(
            "Form %(serial)s keyed in again: %(count)d items differ from the first keying; "
            "a supervisor settles them."
        ) % {
            "serial": shown,
            "count": len(saved.mismatch_items),
        }
    else:
        message = _("Form %(serial)s keyed in again: both keyings agree.") % {"serial": shown}
    return _done(request, campaign, saved, message, True)


# --- mismatches of double entry -----------------------------------------------------------------------------


def _mismatch_rows(campaign: Campaign) -> list[dict[str, Any]]:
    forms_ = list(
        SurveyForm.objects.filter(campaign=campaign)
        .exclude(mismatch_items=[])
        .select_related("area__area", "entered_by", "second_entry_by")
        .order_by("serial")
    )
    items = {item.pk: item for item in entry.campaign_items(campaign)}
    firsts: dict[tuple[int, int], int] = {
        (form_id, item_id): rating
        for form_id, item_id, rating in SurveyAnswer.objects.filter(form__in=forms_).values_list(
            "form_id", "item_id", "rating"
        )
    }
    labels = {int(rating): str(label) for rating, label in entry.RATING_LABELS.items()}
    rows = []
    for form in forms_:
        second = form.second_ratings or {}
        lines = []
        for item_id in form.mismatch_items:
            item = items.get(int(item_id))
            if item is None:
                continue
            first_value = firsts.get((form.pk, item.pk))
            second_value = second.get(str(item.pk))
            lines.append(
                {
                    "item": item,
                    "first": first_value,
                    "first_label": labels.get(first_value, "—") if first_value is not None else "—",
                    "second": second_value,
                    "second_label": labels.get(second_value, "—") if second_value is not None else "—",
                }
            )
        rows.append({"form": form, "serial": entry.serial_text(form.serial), "lines": lines})
    return rows


@login_required
@require_GET
def mismatches(request: HttpRequest, reference: str) -> HttpResponse:
    campaign = campaign_get_for_user(user=request.user, reference=reference)
    can_run = can(request.user, "surveys.run", project=campaign.project)
    if not can_run and not can(request.user, "surveys.enter", project=campaign.project):
        raise PermissionDenied
    return render(
        request,
        "surveys/entry_mismatches.html",
        {
            "campaign": campaign,
            "rows": _mismatch_rows(campaign),
            "can_run": can_run,
            "campaign_url": url_or_empty("surveys:campaign_detail", campaign.reference),
        },
    )


@login_required
@require_POST
def mismatch_resolve(request: HttpRequest, reference: str, serial: int) -> HttpResponse:
    """A supervisor picks the right rating of each item the two keyings disagree on."""
    campaign = campaign_for(request, reference, "surveys.run")
    form = (
        SurveyForm.objects.select_related("campaign__project")
        .filter(campaign=campaign, serial=serial)
        .first()
    )
    if form is None:
        raise Http404
    choices: dict[int, int] = {}
    for item_id in form.mismatch_items:
        value = request.POST.get(f"item_{item_id}", "")
        if value.isdigit():
            choices[int(item_id)] = int(value)
    try:
        entry.mismatch_resolve(actor=request.user, form=form, choices=choices)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Form %(serial)s settled.") % {"serial": entry.serial_text(serial)})
    return redirect("surveys:mismatches", campaign.reference)


# --- the workbook import ------------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(size)d MB and %(rows)s forms.") % {
            "size": importing.MAX_FILE_BYTES // 2**20,
            "rows": f"{importing.MAX_ROWS:,}",
        }
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > importing.MAX_FILE_BYTES:
            raise forms.ValidationError(importing.too_large_message())
        upload.seek(0)
        head = upload.read(4)
        upload.seek(0)
        if head != ZIP_MAGIC:
            raise forms.ValidationError(
                _("This is not an Excel workbook (.xlsx). Save the file as .xlsx and upload it again.")
            )
        return upload


def _import_page(
    request: HttpRequest, campaign: Campaign, form: ImportUploadForm, status: int = 200
) -> HttpResponse:
    imports = list(
        SurveyImport.objects.filter(campaign=campaign)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:RECENT_IMPORTS]
    )
    return render(
        request,
        "surveys/import_upload.html",
        {
            "campaign": campaign,
            "form": form,
            "imports": imports,
            "is_running": campaign.status == CampaignStatus.RUNNING,
            "campaign_url": url_or_empty("surveys:campaign_detail", campaign.reference),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, reference: str) -> HttpResponse:
    campaign = campaign_for(request, reference, "surveys.enter")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _import_page(request, campaign, form)
    if not form.is_valid():
        return _import_page(request, campaign, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        survey_import = importing.survey_import_check(
            actor=request.user, campaign=campaign, upload=upload, filename=upload.name or ""
        )
    except DomainError as error:
        add_domain_error(form, error)
        return _import_page(request, campaign, form, status=error.status)
    return redirect("surveys:import_detail", campaign.reference, survey_import.pk)


def _survey_import(request: HttpRequest, reference: str, pk: int) -> tuple[Campaign, SurveyImport]:
    campaign = campaign_for(request, reference, "surveys.enter")
    survey_import = SurveyImport.objects.select_related("created_by").filter(campaign=campaign, pk=pk).first()
    if survey_import is None:
        raise Http404
    survey_import.campaign = campaign
    return campaign, survey_import


@login_required
@require_GET
def import_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    campaign, survey_import = _survey_import(request, reference, pk)
    problems = survey_import.problems[:MAX_PROBLEMS_ON_SCREEN]
    return render(
        request,
        "surveys/import_detail.html",
        {
            "campaign": campaign,
            "survey_import": survey_import,
            "problems": problems,
            "more_problems": max(len(survey_import.problems) - len(problems), 0),
            "is_checked": survey_import.status == ImportStatus.CHECKED,
            "is_committed": survey_import.status == ImportStatus.COMMITTED,
            "is_running": campaign.status == CampaignStatus.RUNNING,
            "campaign_url": url_or_empty("surveys:campaign_detail", campaign.reference),
        },
    )


@login_required
@require_POST
def import_commit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    campaign, survey_import = _survey_import(request, reference, pk)
    try:
        done = importing.survey_import_commit(actor=request.user, survey_import=survey_import)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Imported %(rows)d forms.") % {"rows": done.rows_ok})
    return redirect("surveys:import_detail", campaign.reference, survey_import.pk)


@login_required
@require_GET
def import_template(request: HttpRequest, reference: str) -> FileResponse:
    campaign = campaign_for(request, reference, "surveys.enter")
    name = filename_safe(f"{campaign.reference}-answers.xlsx", fallback="answers.xlsx")
    return FileResponse(
        BytesIO(importing.template_workbook(campaign=campaign)), as_attachment=True, filename=name
    )


urlpatterns = [
    path("<str:reference>/entry/", entry_screen, name="entry"),
    path("<str:reference>/entry/save/", entry_save, name="entry_save"),
    path("<str:reference>/entry/second/", second_entry, name="second_entry"),
    path("<str:reference>/mismatches/", mismatches, name="mismatches"),
    path("<str:reference>/mismatches/<int:serial>/", mismatch_resolve, name="mismatch_resolve"),
    path("<str:reference>/import/", import_upload, name="import"),
    path("<str:reference>/import/template.xlsx", import_template, name="import_template"),
    path("<str:reference>/import/<int:pk>/", import_detail, name="import_detail"),
    path("<str:reference>/import/<int:pk>/commit/", import_commit, name="import_commit"),
]
