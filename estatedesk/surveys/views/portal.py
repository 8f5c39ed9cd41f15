"""Answering a survey online (issue 13, item 3; R-SV-6): from the QR code printed on a form (/s/<token>/,
no sign-in: the token is the form's secret) and from the owner portal (/surveys/mine/: the running campaigns
of the areas where the signed-in owner lives, answered for their unit). The form is bilingual, as the paper
附表一. One answer per serial, one per unit where the campaign says so: a second submission gets a friendly
page and changes nothing. Thin: `surveys.entry` holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.scoping import scope_for
from estatedesk.surveys import entry
from estatedesk.surveys.choices import CampaignStatus, Channel, Rating
from estatedesk.surveys.models import Campaign, CampaignItem, SurveyForm

# the scale as the paper form prints it, in both languages (R-SV-6): the four grades, then no answer
BILINGUAL_RATINGS = [
    (Rating.VERY_SATISFIED, "很满意", "Very satisfied"),
    (Rating.SATISFIED, "满意", "Satisfied"),
    (Rating.FAIRLY_SATISFIED, "较满意", "Fairly satisfied"),
    (Rating.UNSATISFIED, "不满意", "Unsatisfied"),
    (Rating.UNRATED, "未表态", "No answer"),
]


class AnswerForm(forms.Form):
    """An online answer: a rating per item (one may be left out: 未表态) and comments."""

    comment = forms.CharField(
        label=gettext_lazy("Comments and suggestions"),
        required=False,
        max_length=entry.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, items: list[CampaignItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        choices = [(str(int(value)), f"{zh} {en}") for value, zh, en in BILINGUAL_RATINGS]
        for item in items:
            label = f"{item.label} {item.label_en}".strip()
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=label, choices=choices, required=False, widget=forms.RadioSelect
            )

    def item_fields(self) -> list[Any]:
        return [self[f"item_{item.pk}"] for item in self.items]

    def ratings(self) -> dict[int, int]:
        values = {item.pk: self.cleaned_data.get(f"item_{item.pk}") for item in self.items}
        return {pk: int(value) for pk, value in values.items() if value not in (None, "")}


def _closed_word(campaign: Campaign) -> str:
    if campaign.status == CampaignStatus.DRAFT:
        return _("This survey has not started yet; please come back when it runs.")
    return _("This survey has ended and takes no more answers. Thank you for your interest.")


# --- the QR code of a form ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind a form's QR code: anyone holding the form answers it, once."""
    form_row = (
        SurveyForm.objects.select_related("campaign__project", "area__area").filter(token=token[:32]).first()
    )
    if form_row is None:
        return render(request, "surveys/public_message.html", {"state": "unknown"}, status=404)
    campaign = form_row.campaign
    context: dict[str, Any] = {
        "campaign": campaign,
        "survey_form": form_row,
        "serial": entry.serial_text(form_row.serial),
    }
    if form_row.returned_at is not None:
        return render(request, "surveys/public_message.html", {**context, "state": "answered"})
    if campaign.status != CampaignStatus.RUNNING:
        return render(
            request,
            "surveys/public_message.html",
            {**context, "state": "closed", "word": _closed_word(campaign)},
        )
    items = entry.campaign_items(campaign)
    form = AnswerForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            # an owner signed in is recorded as who answered; staff trying the code out, or anyone else, not
            respondent = request.user if scope_for(request.user).is_owner else None
            try:
                entry.form_answer_online(
                    form=form_row,
                    ratings=form.ratings(),
                    comment=form.cleaned_data["comment"],
                    respondent=respondent,
                    channel=Channel.QR,
                )
            except DomainError as error:
                if error.code in ("surveys.already_answered", "surveys.unit_already_answered"):
                    return render(
                        request,
                        "surveys/public_message.html",
                        {**context, "state": "answered", "word": error.message},
                    )
                add_domain_error(form, error)
            else:
                return render(request, "surveys/public_message.html", {**context, "state": "thanks"})
    return render(
        request,
        "surveys/public_answer.html",
        {**context, "form": form, "action": request.path, "area": form_row.area.area},
        status=status,
    )


# --- the owner portal --------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The owner's surveys: the running campaigns of the areas of their units, answered or not."""
    rows = entry.portal_surveys(user=request.user)
    return render(request, "surveys/portal_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def mine_answer(request: HttpRequest, reference: str, unit: int) -> HttpResponse:
    """The owner answers a running campaign for one of their units; another owner's, a closed campaign or a
    unit that is not theirs is 404."""
    survey = entry.portal_survey_get(user=request.user, reference=reference, unit_id=unit)
    if survey is None:
        raise Http404
    campaign = survey.campaign
    context: dict[str, Any] = {"campaign": campaign, "survey": survey, "area": survey.area.area}
    if survey.is_answered:
        return render(request, "surveys/portal_answer.html", {**context, "is_answered": True})
    form = AnswerForm(request.POST or None, items=entry.campaign_items(campaign))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                entry.portal_answer(
                    user=request.user,
                    survey=survey,
                    ratings=form.ratings(),
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as error:
                if error.code in ("surveys.already_answered", "surveys.unit_already_answered"):
                    return render(
                        request,
                        "surveys/portal_answer.html",
                        {**context, "is_answered": True, "word": error.message},
                    )
                add_domain_error(form, error)
            else:
                messages.success(request, _("Thank you: your answers have been recorded."))
                return redirect("surveys:mine")
    return render(
        request,
        "surveys/portal_answer.html",
        {**context, "form": form, "action": request.path},
        status=status,
    )


urlpatterns = [
    path("mine/", mine, name="mine"),
    path("mine/<str:reference>/<int:unit>/", mine_answer, name="mine_answer"),
]
public_urlpatterns = [path("<str:token>/", public_answer, name="answer")]
