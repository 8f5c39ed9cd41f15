"""Forms of the report pages (submissions): the list's filters, the template's form (R-IR-5), review,
follow-ups, the class of an emergency and the event report with its facts (R-IR-4). They only parse
input: the rules are in submissions.py."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from estatedesk.reporting import submissions
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus, UpdateKind
from estatedesk.reporting.emergencies import Facts
from estatedesk.reporting.models import QualityLevel, ReportTemplate

LOCAL_TIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
FIELD_PREFIX = "f_"  # the template's fields in the form, beside title and body


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(each, initial) for each in files]


def parse_month(text: str) -> date | None:
    """ "2026-11" → 1 November 2026; None when it is not a month."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


class FilterForm(forms.Form):
    period = forms.CharField(
        label=_("Month"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    type = forms.ChoiceField(label=_("Information type"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *SubmissionStatus.choices]
    )
    unit = forms.ChoiceField(label=_("Branch company or project"), required=False)

    def __init__(
        self, *args: Any, types: list[tuple[str, str]], units: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [("", "—"), *types]
        cast(forms.ChoiceField, self.fields["unit"]).choices = [("", "—"), *units]

    def clean_period(self) -> date | None:
        text = self.cleaned_data.get("period", "")
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month


def template_form_fields(template: ReportTemplate | None) -> dict[str, forms.Field]:
    """A form field per template field (R-IR-5), named f_<key>; none is required here: a draft may be
    partial, and submitting checks what is required (submissions.completeness)."""
    built: dict[str, forms.Field] = {}
    for spec in template.fields if template is not None else []:
        key = spec.get("key")
        if not key:
            continue
        label = submissions.field_label(spec)
        kind = spec.get("type", "text")
        help_text = _("Required before submitting.") if spec.get("required") else ""
        unit = str(spec.get("unit") or "")
        if unit:
            help_text = f"{unit} · {help_text}" if help_text else unit
        common: dict[str, Any] = {"label": label, "required": False, "help_text": help_text}
        field: forms.Field
        if kind in ("number", "money"):
            field = forms.DecimalField(decimal_places=2 if kind == "money" else None, **common)
        elif kind == "date":
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif kind == "choice":
            field = forms.ChoiceField(choices=[("", "—"), *submissions.choice_values(spec)], **common)
        elif kind == "yes_no":
            field = forms.NullBooleanField(
                widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
                **common,
            )
        else:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, **common)
        if spec.get("required"):
            field.widget.attrs["data-required"] = "1"
        built[f"{FIELD_PREFIX}{key}"] = field
    return built


def template_values(form: forms.Form) -> dict[str, Any]:
    """{key: value} of the template's fields that were posted (left out: not posted)."""
    return {
        name[len(FIELD_PREFIX) :]: value
        for name, value in form.cleaned_data.items()
        if name.startswith(FIELD_PREFIX) and name in form.data
    }


class SubmissionForm(forms.Form):
    """The report's draft: title, text and the template's fields."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, template: ReportTemplate | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(template_form_fields(template))


def submission_initial(submission: Any) -> dict[str, Any]:
    values = submission.values or {}
    return {
        "title": submission.title,
        "body": submission.body,
        **{f"{FIELD_PREFIX}{key}": value for key, value in values.items()},
    }


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What is to be corrected"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class AcceptForm(forms.Form):
    quality_level = forms.ModelChoiceField(
        label=_("Quality"), queryset=QualityLevel.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["quality_level"])  # type: ignore[type-arg]
        field.queryset = QualityLevel.objects.filter(company_id=company_id).order_by("position", "-score")


FOLLOW_UP_KINDS = [
    (UpdateKind.FOLLOW_UP.value, UpdateKind.FOLLOW_UP.label),
    (UpdateKind.FINAL.value, UpdateKind.FINAL.label),
]


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FOLLOW_UP_KINDS, initial=UpdateKind.FOLLOW_UP)
    text = forms.CharField(
        label=_("What happened since"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )


class ClassForm(forms.Form):
    chosen = forms.ChoiceField(label=_("Class"), choices=EmergencyClass.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason for another class than proposed"), required=False, max_length=300
    )


FACT_LABELS: dict[str, Any] = {
    "accident_or_disaster": _("Accident or disaster"),
    "fire_or_explosion": _("Fire or explosion"),
    "public_security": _("Public-security case"),
    "criminal_case": _("Criminal case"),
    "theft": _("Theft"),
    "theft_attempted_only": _("The theft was only attempted"),
    "abnormal_injury_or_death": _("Abnormal injury or death"),
    "negative_media": _("Negative report in public media"),
    "prevented": _("Prevented in time"),
}


class FactsForm(forms.Form):
    """An emergency's facts (R-IR-4), read by the live proposal too."""

    accident_or_disaster = forms.BooleanField(label=FACT_LABELS["accident_or_disaster"], required=False)
    fire_or_explosion = forms.BooleanField(label=FACT_LABELS["fire_or_explosion"], required=False)
    public_security = forms.BooleanField(label=FACT_LABELS["public_security"], required=False)
    criminal_case = forms.BooleanField(label=FACT_LABELS["criminal_case"], required=False)
    theft = forms.BooleanField(label=FACT_LABELS["theft"], required=False)
    theft_attempted_only = forms.BooleanField(label=FACT_LABELS["theft_attempted_only"], required=False)
    abnormal_injury_or_death = forms.BooleanField(
        label=FACT_LABELS["abnormal_injury_or_death"], required=False
    )
    loss_yuan = forms.DecimalField(
        label=_("Property loss (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    negative_media = forms.BooleanField(label=FACT_LABELS["negative_media"], required=False)
    prevented = forms.BooleanField(label=FACT_LABELS["prevented"], required=False)

    def facts(self) -> Facts:
        data = self.cleaned_data if self.is_valid() else {}
        return Facts.from_json({key: value for key, value in data.items() if value is not None})


class InstantForm(forms.Form):
    """An event's report: where and when, what, the template's fields; an emergency's facts and class are
    separate forms on the same page."""

    unit = forms.ChoiceField(label=_("Project or branch company"))
    occurred_at = forms.DateTimeField(label=_("Happened at"), widget=LOCAL_TIME)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    attachments = MultipleFileField(label=_("Files"))

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], template: ReportTemplate | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = units
        if len(units) == 1:
            self.fields["unit"].initial = units[0][0]
        self.fields.update(template_form_fields(template))


class InstantClassForm(forms.Form):
    """The class given while reporting (for who may classify): blank leaves it for the project manager."""

    chosen = forms.ChoiceField(
        label=_("Class"),
        required=False,
        choices=[("", _("Leave it to the project manager")), *EmergencyClass.choices],
    )
    class_reason = forms.CharField(
        label=_("Reason for another class than proposed"), required=False, max_length=300
    )
