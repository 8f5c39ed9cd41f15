"""Forms of the client-visit pages (R-CS-1). They check the input's shape only; the rules are the services'
(visits/clients.py)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from estatedesk.common.forms import OneTimeTokenField
from estatedesk.common.widgets import FastSelect
from estatedesk.feedback.choices import Category, Kind, Priority
from estatedesk.org.models import Building, Project
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientKind, ClientVisitKind, ClientVisitStatus

ANY = [("", _("Any"))]
DATE = {"type": "date"}


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class ClientVisitFilterForm(forms.Form):
    q = forms.CharField(label=_("Client or contact"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=ANY + ClientVisitStatus.choices, required=False, widget=FastSelect
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ANY + ClientVisitKind.choices, required=False, widget=FastSelect
    )
    client_kind = forms.ChoiceField(
        label=_("Client"), choices=ANY + ClientKind.choices, required=False, widget=FastSelect
    )
    project = forms.ChoiceField(label=_("Project"), required=False, widget=FastSelect)
    follow_up_overdue = forms.BooleanField(label=_("Follow-up overdue only"), required=False)

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = ANY + [(p.code, f"{p.code} · {p.name}") for p in projects]
        self.fields["q"].widget.attrs.update(type="search", autocomplete="off")

    def filters(self) -> clients.ClientVisitFilters:
        """The valid filters (an invalid one, from an edited address, is dropped rather than refused)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return clients.ClientVisitFilters(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            client_kind=data.get("client_kind") or "",
            project=data.get("project") or "",
            follow_up_overdue=bool(data.get("follow_up_overdue")),
            search=(data.get("q") or "").strip(),
        )


class ClientVisitPlanForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int, widget=FastSelect)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ClientVisitKind.choices, initial=ClientVisitKind.REGULAR, widget=FastSelect
    )
    client_kind = forms.ChoiceField(
        label=_("Client"), choices=ClientKind.choices, initial=ClientKind.DEVELOPER, widget=FastSelect
    )
    client_name = forms.CharField(
        label=_("Client's name"),
        max_length=100,
        help_text=_(
            "The contracting client of the property service, e.g. the developer or the owners' committee."
        ),
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    planned_on = forms.DateField(label=_("Planned for"), widget=forms.DateInput(attrs=DATE))
    visitor = forms.TypedChoiceField(
        label=_("Visitor"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )

    def __init__(
        self, *args: Any, projects: list[Project], visitors: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.projects = {p.pk: p for p in projects}
        _choice_field(self, "project").choices = [(p.pk, f"{p.code} · {p.name}") for p in projects]
        if len(projects) == 1:
            self.fields["project"].initial = projects[0].pk
        me: list[tuple[Any, Any]] = [("", _("Me"))]
        _choice_field(self, "visitor").choices = me + visitors
        self.fields["planned_on"].initial = clients.today()

    def clean_project(self) -> Project:
        project = self.projects.get(self.cleaned_data["project"])
        if project is None:
            raise forms.ValidationError(_("Choose one of the projects listed."))
        return project


class ClientVisitRecordForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=forms.DateInput(attrs=DATE))
    attendees = forms.CharField(label=_("Attendees"), max_length=300, required=False)
    raised = forms.CharField(
        label=_("What the client raised"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    follow_up = forms.CharField(
        label=_("Follow-up"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up_due_on = forms.DateField(
        label=_("Follow up by"), required=False, widget=forms.DateInput(attrs=DATE)
    )
    next_planned_on = forms.DateField(
        label=_("Next regular visit"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("Plans the next visit to this client; leave empty to plan none."),
    )

    def __init__(self, *args: Any, is_regular: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        day = clients.today()
        self.fields["visited_on"].initial = day
        if is_regular:
            self.fields["next_planned_on"].initial = clients.next_regular_on(day)
        else:
            del self.fields["next_planned_on"]

    def record(self) -> clients.ClientVisitRecord:
        data = self.cleaned_data
        return clients.ClientVisitRecord(
            visited_on=data["visited_on"],
            attendees=data["attendees"],
            raised=data["raised"],
            follow_up=data["follow_up"],
            follow_up_due_on=data["follow_up_due_on"],
            next_planned_on=data.get("next_planned_on"),
        )


class ClientVisitCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class ClientVisitRaiseItemForm(forms.Form):
    form_token = OneTimeTokenField()
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.SUGGESTION)
    category = forms.ChoiceField(
        label=_("Category"), choices=Category.choices, initial=Category.CUSTOMER_SERVICE
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(
        label=_("What the client raised"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the first line of the description."),
    )
    building = forms.TypedChoiceField(
        label=_("Building or area"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    location_note = forms.CharField(label=_("Location"), max_length=200, required=False)
    is_major = forms.BooleanField(label=_("Major incident (alerts the general manager)"), required=False)

    def __init__(self, *args: Any, buildings: list[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buildings = {b.pk: b for b in buildings}
        _choice_field(self, "building").choices = [("", "—")] + [(b.pk, b.name) for b in buildings]

    def raised(self) -> clients.RaisedItem:
        data = self.cleaned_data
        return clients.RaisedItem(
            kind=data["kind"],
            category=data["category"],
            priority=data["priority"],
            description=data["description"],
            title=data["title"],
            building=self.buildings.get(data["building"]) if data["building"] else None,
            location_note=data["location_note"],
            is_major=data["is_major"],
        )
