"""Forms of the campaign, schedule and catalogue pages. The rules are the services' (campaigns.py,
catalogue.py); a form only shapes the input."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from estatedesk.org.choices import DepartmentKind, Role
from estatedesk.surveys.campaigns import MAX_FORMS_PER_CALL
from estatedesk.surveys.choices import Audience, CampaignStatus, FormKind, Frequency, Runner
from estatedesk.surveys.models import SurveyItem, SurveyRules

REPEATING = [(value, label) for value, label in Frequency.choices if value != Frequency.AD_HOC]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - the form's own declaration
    return field


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


# --- the campaign list ------------------------------------------------------------------------------------


class CampaignFilterForm(forms.Form):
    project = forms.ChoiceField(label=_("Project"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *CampaignStatus.choices]
    )
    runner = forms.ChoiceField(
        label=_("Running department"), required=False, choices=[("", _("Any department")), *Runner.choices]
    )

    def __init__(self, *args: Any, projects: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = [
            ("", _("Any project")),
            *((p.code, p.name) for p in projects),
        ]


# --- making a campaign or a schedule ----------------------------------------------------------------------


class _SurveyFields(forms.Form):
    """What a campaign and a schedule share: who runs it, with which questionnaire, over which areas."""

    runner = forms.ChoiceField(label=_("Running department"), choices=Runner.choices)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False, empty_value=None)
    questionnaire = forms.TypedChoiceField(label=_("Questionnaire"), coerce=int)
    areas = forms.TypedMultipleChoiceField(
        label=_("Areas"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every building and common area of the project."),
    )
    one_answer_per_unit = forms.BooleanField(label=_("One answer per unit"), required=False)
    double_entry_percent = forms.IntegerField(
        label=_("Share of paper forms keyed in twice (%)"), min_value=0, max_value=100, initial=0
    )

    def __init__(
        self,
        *args: Any,
        departments: list[Any],
        questionnaires: list[Any],
        areas: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "department").choices = [("", "—"), *((d.pk, d.name) for d in departments)]
        _choice_field(self, "questionnaire").choices = [(q.pk, q.name) for q in questionnaires]
        _choice_field(self, "areas").choices = [(a.pk, a.name) for a in areas]


class CampaignForm(_SurveyFields):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Empty: the questionnaire's name and the period."),
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    open_now = forms.BooleanField(label=_("Open it now"), required=False, initial=True)

    field_order = [
        "runner",
        "department",
        "questionnaire",
        "title",
        "frequency",
        "period_start",
        "period_end",
        "areas",
        "one_answer_per_unit",
        "double_entry_percent",
        "open_now",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


class ScheduleForm(_SurveyFields):
    frequency = forms.ChoiceField(label=_("Frequency"), choices=REPEATING)
    next_period_start = forms.DateField(
        label=_("First period starts on"),
        widget=DateInput(),
        help_text=_("The campaign of each period is opened on its first day."),
    )

    field_order = [
        "runner",
        "department",
        "questionnaire",
        "frequency",
        "next_period_start",
        "areas",
        "one_answer_per_unit",
        "double_entry_percent",
    ]


# --- the steps of a campaign ------------------------------------------------------------------------------


class _AreaForm(forms.Form):
    area = forms.TypedChoiceField(label=_("Area"), coerce=int)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "area").choices = [(a.pk, a.area.name) for a in areas]


class CountForm(_AreaForm):
    count = forms.IntegerField(label=_("Number of forms"), min_value=1, max_value=MAX_FORMS_PER_CALL)


class WaiverForm(_AreaForm):
    reason = forms.CharField(
        label=_("Reason for accepting the low return rate"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


# --- the catalogue ------------------------------------------------------------------------------------------


class ItemForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name (Chinese)"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=80, required=False)
    department_kind = forms.ChoiceField(
        label=_("Responsible department"), required=False, choices=[("", "—"), *DepartmentKind.choices]
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_item(cls, item: SurveyItem, **kwargs: Any) -> ItemForm:
        initial = {name: getattr(item, name) for name in cls.base_fields}
        return cls(initial=initial, prefix=f"item{item.pk}", **kwargs)


class QuestionnaireForm(forms.Form):
    """The questionnaire and its items: each item's place in the order (empty: not asked)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=FormKind.choices)
    greeting = forms.CharField(label=_("Greeting (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}))
    greeting_en = forms.CharField(label=_("Greeting (English)"), widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, items: list[SurveyItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue_items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.name if item.is_active else _("%(name)s (inactive)") % {"name": item.name},
                required=False,
                min_value=1,
                max_value=99,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "num"}),
            )

    @property
    def item_fields(self) -> list[Any]:
        return [self[f"item_{item.pk}"] for item in self.catalogue_items]

    @property
    def main_fields(self) -> list[Any]:
        return [self[name] for name in ("name", "kind", "greeting", "greeting_en", "is_active")]

    def chosen_items(self) -> tuple[SurveyItem, ...]:
        """The items given a place, in that order (ties by the catalogue's order)."""
        placed = [
            (self.cleaned_data[f"item_{item.pk}"], index, item)
            for index, item in enumerate(self.catalogue_items)
            if self.cleaned_data.get(f"item_{item.pk}") is not None
        ]
        return tuple(item for _place, _index, item in sorted(placed, key=lambda row: row[:2]))


class RulesForm(forms.ModelForm[SurveyRules]):
    class Meta:
        model = SurveyRules
        fields = [
            "return_rate_threshold",
            "small_sample_below",
            "check_share_percent",
            "check_minimum_per_area",
            "report_reminder_days",
        ]


class RouteForm(forms.Form):
    reviewer_roles = forms.MultipleChoiceField(
        label=_("Roles that review"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    audience = forms.ChoiceField(label=_("Distributed to"), choices=Audience.choices)
