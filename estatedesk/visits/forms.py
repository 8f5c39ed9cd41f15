"""Forms of the return-visit pages (R-FB-6, R-RV, 附表三). Input shape only; the rules (who may visit,
when a visit may be graded) are the services'."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estatedesk.common.months import parse_month
from estatedesk.common.widgets import FastSelect
from estatedesk.org.models import Project
from estatedesk.visits.choices import AttemptOutcome, Grade, Purpose, VisitChannel, VisitStatus

ANY = [("", _("Any"))]
MONTH_WIDGET = forms.TextInput(
    attrs={"type": "month", "pattern": r"[0-9]{4}-[0-9]{2}", "placeholder": "YYYY-MM"}
)
LOCAL_TIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# "mine": the visits assigned to me that are still due (the visitor's default view)
MINE = "mine"


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _month(text: str) -> date | None:
    if text and parse_month(text) is None:
        raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
    return parse_month(text) if text else None


class VisitFilterForm(forms.Form):
    """The list's filters. `visitor` = "mine" is the signed-in user's own due visits."""

    month = forms.CharField(label=_("Month"), required=False, widget=MONTH_WIDGET)
    status = forms.ChoiceField(
        label=_("Status"), choices=ANY + VisitStatus.choices, required=False, widget=FastSelect
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=ANY + Purpose.choices, required=False, widget=FastSelect
    )
    project = forms.ChoiceField(label=_("Project"), required=False, widget=FastSelect)
    visitor = forms.ChoiceField(label=_("Visitor"), required=False, widget=FastSelect)

    def __init__(self, *args: Any, projects: list[Project], visitors: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = ANY + [(p.code, f"{p.code} · {p.name}") for p in projects]
        _choice_field(self, "visitor").choices = (
            ANY + [(MINE, _("Me"))] + [(str(user.pk), str(user)) for user in visitors]
        )

    def clean_month(self) -> date | None:
        return _month(self.cleaned_data.get("month") or "")

    def values(self) -> dict[str, Any]:
        """The valid filters (one invalid from an edited address is dropped rather than refused)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors and value}


class AttemptForm(forms.Form):
    """A call or knock that reached no grade: counted as an attempt, never as a grade."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=AttemptOutcome.choices,
        widget=forms.RadioSelect,
        initial=AttemptOutcome.NO_ANSWER,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    rescheduled_to = forms.DateTimeField(
        label=_("Rescheduled to"),
        required=False,
        widget=LOCAL_TIME,
        help_text=_("For “Rescheduled”: the time agreed with the customer (Beijing time)."),
        error_messages={"invalid": _("Give a date and time.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_attempt_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == AttemptOutcome.RESCHEDULED and not data.get("rescheduled_to"):
            self.add_error("rescheduled_to", _("Give the time the customer agreed to."))
        return data


class GradeForm(forms.Form):
    """附表三: the customer's satisfaction and what was said, by the visitor; the recorder may differ."""

    grade = forms.ChoiceField(label=_("Satisfaction"), choices=Grade.choices, widget=forms.RadioSelect)
    customer_said = forms.CharField(
        label=_("What the customer said"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    handling_result = forms.CharField(
        label=_("Handling result"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    channel = forms.ChoiceField(
        label=_("How"), choices=VisitChannel.choices, initial=VisitChannel.PHONE, widget=forms.RadioSelect
    )
    visited_on = forms.DateField(
        label=_("Visit date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give a date."), "required": _("Give a date.")},
    )
    recorder = forms.TypedChoiceField(label=_("Recorder"), coerce=int, required=False, empty_value=None)
    quality_met = forms.TypedChoiceField(
        label=_("Did the work meet quality requirements?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, recorders: list[Any], asks_quality: bool, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_grade_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("visited_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        _choice_field(self, "recorder").choices = [("", _("Me"))] + [(u.pk, str(u)) for u in recorders]
        self.asks_quality = asks_quality
        if asks_quality:
            self.fields["quality_met"].required = True
        else:
            del self.fields["quality_met"]

    def result_values(self) -> dict[str, Any]:
        """The VisitResult's fields (the view adds the recorder user)."""
        data = self.cleaned_data
        return {
            "grade": data["grade"],
            "customer_said": data["customer_said"],
            "handling_result": data.get("handling_result", ""),
            "channel": data["channel"],
            "visited_on": data["visited_on"],
            "quality_met": data.get("quality_met") if self.asks_quality else None,
        }


class AssignForm(forms.Form):
    visitor = forms.TypedChoiceField(label=_("Visitor"), coerce=int, empty_value=None)

    def __init__(self, *args: Any, visitors: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_assign_%s")
        super().__init__(*args, **kwargs)
        _choice_field(self, "visitor").choices = [("", "—")] + [(u.pk, str(u)) for u in visitors]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the visit cancelled?"),
        max_length=200,
        error_messages={"required": _("Say why the visit is cancelled.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_cancel_%s")
        super().__init__(*args, **kwargs)


class MonthlyListForm(forms.Form):
    """Make (or export) a project's monthly list: the project and the month whose customers it holds."""

    project = forms.ChoiceField(label=_("Project"), widget=FastSelect)
    month = forms.CharField(label=_("Month of the feedback"), widget=MONTH_WIDGET)

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_monthly_%s")
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = [(p.code, f"{p.code} · {p.name}") for p in projects]

    def clean_month(self) -> date | None:
        return _month(self.cleaned_data.get("month") or "")


class OwnerCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Your comment on the visit"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your comment.")},
    )


class FiguresFilterForm(forms.Form):
    """The figures page's month and project; only rendered (the view reads the query itself, as feedback's
    statistics page does: an invalid month falls back to the current one)."""

    month = forms.CharField(label=_("Visits due in"), required=False, widget=MONTH_WIDGET)
    project = forms.ChoiceField(label=_("Project"), required=False, widget=FastSelect)

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = [("", _("All my projects"))] + [
            (p.code, f"{p.code} · {p.name}") for p in projects
        ]
