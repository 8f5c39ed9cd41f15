from django import forms
from django.utils.translation import gettext_lazy as _

from estatedesk.org.choices import DayKind
from estatedesk.org.models import Project, WorkingCalendar

WEEKDAY_CHOICES = [
    ("1", _("Mon")),
    ("2", _("Tue")),
    ("3", _("Wed")),
    ("4", _("Thu")),
    ("5", _("Fri")),
    ("6", _("Sat")),
    ("7", _("Sun")),
]


class WorkingCalendarForm(forms.ModelForm):
    working_weekdays = forms.MultipleChoiceField(
        label=_("Working weekdays"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WorkingCalendar
        fields = [
            "name",
            "is_24_hours",
            "opens_at",
            "closes_at",
            "working_weekdays",
            "observes_public_holidays",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["working_weekdays"] = list(self.instance.working_weekdays)

    def clean_working_weekdays(self) -> str:
        return "".join(sorted(self.cleaned_data["working_weekdays"]))


class HolidayForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Name"), max_length=50)


class ProjectContactsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["hotline_1", "hotline_2", "complaint_email"]
