"""Forms of the nonconformity pages: each stage's form, the action, the filters. The rules are the
services'; a form only shapes the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from estatedesk.quality.choices import ActionKind, CauseCategory, Origin, Severity, Stage, VerificationResult


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - the form's own declaration
    return field


HAND_ORIGINS = [
    (value, label)
    for value, label in Origin.choices
    if value in (Origin.ITEM, Origin.PATROL, Origin.SURVEY, Origin.MANUAL)
]


class FilterForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Any stage")), *Stage.choices]
    )
    project = forms.ChoiceField(label=_("Project"), required=False)

    def __init__(self, *args: Any, projects: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = [
            ("", _("Any project")),
            *((p.code, p.name) for p in projects),
        ]


class CreateForm(forms.Form):
    origin = forms.ChoiceField(label=_("Origin"), choices=HAND_ORIGINS)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Nature of the nonconformity"), widget=forms.Textarea(attrs={"rows": 4})
    )
    survey_reference = forms.CharField(label=_("Survey result"), max_length=120, required=False)
    area = forms.ChoiceField(label=_("Building or area"), required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "area").choices = [("", "—"), *((a.pk, a.name) for a in areas)]


# the origins a link may open the form with (a survey finding's link, or by hand); the others need an item
PREFILL_ORIGINS = (Origin.SURVEY, Origin.MANUAL)
PREFILL_TEXTS = {"title": 120, "description": 10000, "survey_reference": 120}


def create_initial(query: Any, *, areas: list[Any]) -> dict[str, Any]:
    """The raise form's initial values from a link's query string (a survey finding opens it with
    `origin=survey&survey_reference=…&area=<id>&title=…&description=…`): only known origins, the project's
    own areas, texts cut to their fields' lengths; anything else is left to the form's defaults."""
    initial: dict[str, Any] = {}
    origin = query.get("origin", "")
    if origin in PREFILL_ORIGINS:
        initial["origin"] = origin
    for name, length in PREFILL_TEXTS.items():
        text = query.get(name, "").strip()
        if text:
            initial[name] = text[:length]
    area = query.get("area", "")
    if area and any(str(a.pk) == area for a in areas):
        initial["area"] = area
    return initial


class AnalyseForm(forms.Form):
    cause_category = forms.ChoiceField(label=_("Cause category"), choices=CauseCategory.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ActionKind.choices)
    description = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_on = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "owner").choices = [("", "—"), *people]


class ActionDoneForm(forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    evidence = forms.CharField(
        label=_("Verification evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("What shows the actions worked. No close without evidence."),
    )
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)
    result = forms.ChoiceField(
        label=_("Verification result"), choices=VerificationResult.choices, widget=forms.RadioSelect
    )


class VisitForm(forms.Form):
    evidence = forms.CharField(
        label=_("Verification evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The nonconformity closes when the customer's visit comes back A or B."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
