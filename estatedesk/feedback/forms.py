"""Forms of the staff feedback pages. They check input shape only; the rules are the services'."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from estatedesk.common.months import parse_month
from estatedesk.common.widgets import FastSelect
from estatedesk.feedback.choices import Category, Channel, Kind, Priority, Status, TalkKind
from estatedesk.feedback.selectors import ItemFilters
from estatedesk.feedback.workflow import Step
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Building, Project
from estatedesk.owners.contacts import normalize_phone

STAFF_CHANNELS = [Channel.HOTLINE, Channel.WALK_IN, Channel.PATROL, Channel.CLIENT_VISIT]
# R-CS-5: a deficiency found on patrol goes to order, greening, cleaning, engineering or customer service
PATROL_CATEGORIES = [
    Category.ORDER,
    Category.GREENING,
    Category.CLEANING,
    Category.ENGINEERING,
    Category.CUSTOMER_SERVICE,
]
HOW_CHOICES = [
    ("phone", _("Phone call")),
    ("sms", _("Text message")),
    ("email", _("Email")),
    ("in_person", _("In person")),
    ("portal", _("Owner portal")),
]
NOTE_STEPS = {"record_opinion", "complete", "inform_customer", "answer", "reopen", "cancel"}
HOW_STEPS = {"inform_customer", "answer"}
NOTE_LABELS = {
    "record_opinion": _("Handling opinion"),
    "complete": _("What was done"),
    "inform_customer": _("What the customer was told"),
    "answer": _("What the customer was told"),
    "reopen": _("Why it is reopened"),
    "cancel": _("Why it is cancelled"),
}
ANY = [("", _("Any"))]


def _choices(values: list[Any]) -> list[tuple[str, Any]]:
    return [(str(value), value.label) for value in values]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


# --- the list's filters -----------------------------------------------------------------------------------


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=ANY + Status.choices, required=False, widget=FastSelect
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ANY + Kind.choices, required=False, widget=FastSelect)
    category = forms.ChoiceField(
        label=_("Category"), choices=ANY + Category.choices, required=False, widget=FastSelect
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=ANY + Channel.choices, required=False, widget=FastSelect
    )
    project = forms.ChoiceField(label=_("Project"), required=False, widget=FastSelect)
    building = forms.TypedChoiceField(
        label=_("Building or area"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    month = forms.CharField(
        label=_("Registered in"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "month", "pattern": r"[0-9]{4}-[0-9]{2}", "placeholder": "YYYY-MM"}
        ),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    open_only = forms.BooleanField(label=_("Open only"), required=False)

    def __init__(
        self,
        *args: Any,
        projects: list[Project],
        buildings: list[Building],
        assignees: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = ANY + [(p.code, f"{p.code} · {p.name}") for p in projects]
        _choice_field(self, "building").choices = ANY + [
            (b.pk, f"{b.project.code} · {b.name}" if len(projects) > 1 else b.name) for b in buildings
        ]
        _choice_field(self, "assignee").choices = ANY + [(u.pk, str(u)) for u in assignees]
        self.fields["q"].widget.attrs.update(
            placeholder=_("Reference, phone or words"), type="search", autocomplete="off"
        )

    def clean_month(self) -> Any:
        text = self.cleaned_data.get("month") or ""
        if text and parse_month(text) is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return parse_month(text) if text else None

    def filters(self) -> ItemFilters:
        """The valid filters (an invalid one, from an edited address, is dropped rather than refused)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return ItemFilters(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            category=data.get("category") or "",
            channel=data.get("channel") or "",
            project=data.get("project") or "",
            building=data.get("building"),
            assignee=data.get("assignee"),
            overdue=bool(data.get("overdue")),
            open_only=bool(data.get("open_only")),
            search=(data.get("q") or "").strip(),
            month=data.get("month"),
        )


# --- registration -----------------------------------------------------------------------------------------


class _ItemFields(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.REPAIR)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.ENGINEERING)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(
        label=_("What the customer says"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the first line of the description."),
    )
    is_quality_problem = forms.BooleanField(
        label=_("Concrete quality problem (act within minutes)"), required=False
    )
    is_major = forms.BooleanField(label=_("Major incident (alerts the general manager)"), required=False)
    is_hot = forms.BooleanField(label=_("Hot complaint"), required=False)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "category": data["category"],
            "priority": data["priority"],
            "title": data["title"],
            "description": data["description"],
            "is_quality_problem": data["is_quality_problem"],
            "is_major": data["is_major"],
            "is_hot": data["is_hot"],
        }


class ItemRegisterForm(_ItemFields):
    """Registration by staff: walk-in, patrol finding, client visit or a hotline call (R-FB-1, R-CS-5)."""

    project = forms.TypedChoiceField(label=_("Project"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=_choices(STAFF_CHANNELS), initial=Channel.WALK_IN)
    building = forms.TypedChoiceField(
        label=_("Building or area"), coerce=int, required=False, empty_value=None
    )
    unit_label = forms.CharField(
        label=_("Unit"), max_length=30, required=False, help_text=_("Building-entrance-number, e.g. 3-2-501")
    )
    location_note = forms.CharField(label=_("Location"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=24, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    is_paid_service = forms.BooleanField(label=_("Paid service"), required=False)

    field_order = [
        "project",
        "channel",
        "kind",
        "category",
        "priority",
        "description",
        "title",
        "building",
        "unit_label",
        "location_note",
        "contact_name",
        "contact_phone",
        "contact_email",
        "is_quality_problem",
        "is_major",
        "is_hot",
        "is_paid_service",
    ]

    def __init__(self, *args: Any, projects: list[Project], buildings: list[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.projects = {p.pk: p for p in projects}
        self.buildings = {b.pk: b for b in buildings}
        _choice_field(self, "project").choices = [(p.pk, f"{p.code} · {p.name}") for p in projects]
        if len(projects) == 1:
            self.fields["project"].initial = projects[0].pk
        groups: dict[str, list[tuple[int, str]]] = {}
        for building in buildings:
            groups.setdefault(str(building.project), []).append((building.pk, building.name))
        choices: list[Any] = [("", "—")]
        choices += list(groups.items()) if len(groups) > 1 else next(iter(groups.values()), [])
        _choice_field(self, "building").choices = choices
        self.fields["description"].label = _("Description")
        self.fields["category"].help_text = _(
            "A patrol finding goes to order, greening, cleaning, engineering or customer service."
        )

    def clean_contact_phone(self) -> str:
        return normalize_phone(self.cleaned_data["contact_phone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        project = self.projects.get(data.get("project") or 0)
        data["project_obj"] = project
        if project is None:
            return data
        building_id = data.get("building")
        data["building_obj"] = self.buildings.get(building_id) if building_id else None
        if data["building_obj"] is not None and data["building_obj"].project_id != project.pk:
            self.add_error("building", _("This building belongs to another project."))
        data["unit"] = None
        if data.get("unit_label"):
            data["unit"] = org_selectors.unit_by_label(project=project, label=data["unit_label"])
            if data["unit"] is None:
                self.add_error("unit_label", _("No such unit in this project."))
        if data.get("channel") == Channel.PATROL and data.get("category") not in PATROL_CATEGORIES:
            self.add_error(
                "category",
                _("A patrol finding goes to order, greening, cleaning, engineering or customer service."),
            )
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().service_values(),
            "project": data["project_obj"],
            "channel": data["channel"],
            "building": data["building_obj"],
            "unit": data["unit"],
            "location_note": data["location_note"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "contact_email": data["contact_email"],
            "is_paid_service": data["is_paid_service"],
        }


class HotlineRegisterForm(_ItemFields):
    """The hotline's short form: the caller and unit are prefilled; describe the problem and register."""

    caller_unit = forms.ChoiceField(label=_("Caller and unit"), widget=forms.RadioSelect)

    field_order = ["caller_unit", "description", "kind", "category", "priority", "title"]

    def __init__(self, *args: Any, callers: list[tuple[Any, Any]], **kwargs: Any) -> None:
        """`callers`: (resident, unit) pairs the user may register for."""
        super().__init__(*args, **kwargs)
        self.callers = {f"{resident.pk}:{unit.pk}": (resident, unit) for resident, unit in callers}
        _choice_field(self, "caller_unit").choices = [
            (key, f"{resident.name} · {unit.project.name} {unit.label}")
            for key, (resident, unit) in self.callers.items()
        ]
        if self.callers:
            self.fields["caller_unit"].initial = next(iter(self.callers))
        self.fields["description"].widget.attrs.update(autofocus=True)

    def caller(self) -> tuple[Any, Any]:
        return self.callers[self.cleaned_data["caller_unit"]]


# --- the item page ----------------------------------------------------------------------------------------


class StepForm(forms.Form):
    """One workflow step: posts the step's name and the version of the item the user saw."""

    step = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    how = forms.ChoiceField(
        label=_("How the customer was told"),
        choices=[("", "—"), *HOW_CHOICES],
        error_messages={"required": _("Choose how the customer was told.")},
    )
    supervisor = forms.TypedChoiceField(label=_("Supervisor"), coerce=int, required=False, empty_value=None)
    executor = forms.TypedChoiceField(label=_("Executor"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, step: Step, people: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{step.name}_%s")
        super().__init__(*args, **kwargs)
        self.workflow_step = step
        if step.name in NOTE_STEPS:
            self.fields["note"].label = NOTE_LABELS[step.name]
        else:
            del self.fields["note"]
        if step.name not in HOW_STEPS:
            del self.fields["how"]
        if step.name == "contact_supervisor":
            _choice_field(self, "supervisor").choices = [("", "—"), *people]
        else:
            del self.fields["supervisor"]
        if step.name == "arrange":
            _choice_field(self, "executor").choices = [("", "—"), *people]
        else:
            del self.fields["executor"]

    @property
    def label(self) -> str:
        return str(self.workflow_step.label)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {}
        if data.get("supervisor"):
            values["supervisor_id"] = data["supervisor"]
        if data.get("executor"):
            values["executor_id"] = data["executor"]
        if data.get("how"):
            values["how"] = data["how"]
        return values


class CommentForm(forms.Form):
    message = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    is_public = forms.BooleanField(label=_("Show to the customer"), required=False)


class StaffTalkForm(forms.Form):
    """R-FB-4: the talk with, or criticism of, the employee whose attitude was the problem."""

    employee_name = forms.CharField(label=_("Employee"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=TalkKind.choices, initial=TalkKind.TALK)
    notes = forms.CharField(label=_("Notes"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


# 附表二 物业质量反馈意见执行调查表 (R-FB-8). The printed form is bilingual, so its labels are fixed
# text in both languages, not translated: the same on screen whatever the interface language.
EXECUTION_TITLE = (
    "附表二 物业质量反馈意见执行调查表",
    "Appendix 2 · Property quality feedback execution record",
)
EXECUTION_LABELS = {
    "customer": ("客户", "Customer"),
    "feedback": ("反馈意见", "Feedback"),
    "qa_opinion": ("品质部意见", "QA department's opinion"),
    "office_record": ("管理处执行记录", "Management office's execution record"),
    "qa_acceptance": ("品质部验收", "QA acceptance"),
    "customer_acceptance": ("客户验收", "Customer acceptance"),
    "executor_name": ("执行人", "Executor"),
    "executed_at": ("执行时间", "Execution time"),
}


def bilingual(name: str) -> str:
    chinese, english = EXECUTION_LABELS[name]
    return f"{chinese} {english}"


class ExecutionRecordForm(forms.Form):
    qa_opinion = forms.CharField(
        label=bilingual("qa_opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    office_record = forms.CharField(
        label=bilingual("office_record"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    qa_acceptance = forms.CharField(
        label=bilingual("qa_acceptance"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    customer_acceptance = forms.CharField(
        label=bilingual("customer_acceptance"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    executor_name = forms.CharField(label=bilingual("executor_name"), max_length=60, required=False)
    executed_at = forms.DateTimeField(
        label=bilingual("executed_at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
