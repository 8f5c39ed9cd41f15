"""Forms of the catalogue pages, the missing reports and the rule proposals (R-IR-1, R-IR-2, R-IR-3,
R-IR-5). They check input shapes only; the rules are the services' (catalogue.py, proposals.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estatedesk.reporting.catalogue import FieldKind
from estatedesk.reporting.choices import DeadlineRule, InfoClass, ReportingScope
from estatedesk.reporting.models import InformationType, ReportTemplate


class InformationTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    info_class = forms.ChoiceField(label=_("Class"), choices=InfoClass.choices)
    content = forms.CharField(
        label=_("Content description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    scope = forms.ChoiceField(label=_("Who reports"), choices=ReportingScope.choices)
    scope_note = forms.CharField(label=_("Scope (as the procedure says)"), max_length=200, required=False)
    deadline_rule = forms.ChoiceField(label=_("Deadline"), choices=DeadlineRule.choices)
    deadline_day = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=31, required=False)
    deadline_month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)
    deadline_hours = forms.IntegerField(
        label=_("Within hours"),
        min_value=1,
        max_value=720,
        required=False,
        help_text=_('Empty: "at once" as the reporting rules say.'),
    )
    every_days = forms.IntegerField(
        label=_("Every this many days"), min_value=1, max_value=366, required=False
    )
    is_expected = forms.BooleanField(label=_("Expected from every reporting unit"), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    @classmethod
    def for_type(cls, information_type: InformationType) -> InformationTypeForm:
        return cls(initial={name: getattr(information_type, name) for name in cls.base_fields})


class TemplateFieldForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40)
    label = forms.CharField(label=_("Label"), max_length=80)
    label_en = forms.CharField(label=_("Label (English)"), max_length=120, required=False)
    type = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices, initial=FieldKind.TEXT)
    required = forms.BooleanField(label=_("Required"), required=False)
    unit = forms.CharField(label=pgettext_lazy("measure", "Unit"), max_length=20, required=False)
    choices = forms.CharField(
        label=_("Choices"),
        max_length=500,
        required=False,
        help_text=_("For a choice: the options, separated by commas."),
    )

    def as_field(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "key": data["key"],
            "label": data["label"],
            "label_en": data["label_en"],
            "type": data["type"],
            "required": data["required"],
            "unit": data["unit"],
            "choices": [c.strip() for c in data["choices"].replace("，", ",").split(",") if c.strip()],
        }


TemplateFieldFormSet = forms.formset_factory(
    TemplateFieldForm, extra=2, can_delete=True, max_num=40, absolute_max=60
)


def formset_fields(formset: forms.BaseFormSet) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """The template's fields from a valid formset: the filled forms not marked for deletion, in order."""
    kept = []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        assert isinstance(form, TemplateFieldForm)  # noqa: S101 - the formset's forms
        kept.append(form.as_field())
    return kept


def template_initial(template: ReportTemplate | None) -> list[dict[str, Any]]:
    if template is None:
        return []
    return [{**field, "choices": ", ".join(field.get("choices") or [])} for field in template.fields]


class TemplateForm(forms.Form):
    attachments_required = forms.IntegerField(
        label=_("Attachments required"), min_value=0, max_value=10, initial=0
    )
    attachment_note = forms.CharField(label=_("What to attach"), max_length=200, required=False)


class RulesForm(forms.Form):
    at_once_hours = forms.IntegerField(
        label=_('"At once" means within this many hours'), min_value=1, max_value=720
    )
    reminder_days = forms.CharField(
        label=_("Remind this many days before a deadline"),
        max_length=40,
        required=False,
        help_text=_("Numbers separated by commas, e.g. 3, 1"),
    )
    escalate_after_days = forms.IntegerField(
        label=_("Tell the branch manager of a missing report this many days after the deadline"),
        min_value=0,
        max_value=60,
    )

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data["reminder_days"].replace("，", ",")
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError as error:
            raise forms.ValidationError(_("Numbers separated by commas, e.g. 3, 1")) from error


class ProposalForm(forms.Form):
    branch = forms.ChoiceField(label=_("Branch company"))
    information_type = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(label=_("Proposal"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args: Any, branches: list[Any], types: list[InformationType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch_field: Any = self.fields["branch"]
        branch_field.choices = [(str(b.pk), b.name) for b in branches]
        type_field: Any = self.fields["information_type"]
        type_field.choices = [
            ("", _("The reporting rules in general")),
            *((str(t.pk), t.name) for t in types),
        ]
        if len(branches) == 1:
            self.initial.setdefault("branch", str(branches[0].pk))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Answer to the branch"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
