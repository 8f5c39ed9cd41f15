"""Forms of the staff feedback pages. They check input shape only; the rules are the services'."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from estatedesk.common.forms import OneTimeTokenField
from estatedesk.common.months import parse_month
from estatedesk.common.widgets import FastSelect, WrittenChoices
from estatedesk.feedback.choices import Category, Channel, Kind, Priority, Status, TalkKind
from estatedesk.feedback.selectors import ItemFilters, bilingual
from estatedesk.feedback.workflow import Step
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Building, Project
from estatedesk.org.selectors import PickedProject
from estatedesk.owners.contacts import normalize_phone

STAFF_CHANNELS = [Channel.HOTLINE, Channel.WALK_IN, Channel.PATROL, Channel.CLIENT_VISIT]
ANY = [("", _("Any"))]


def _choices(values: list[Any]) -> list[tuple[str, Any]]:
    return [(str(value), value.label) for value in values]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


# --- rendering -------------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    """As the widget templates print a value: `{{ value|stringformat:'s' }}`, escaped unless safe."""
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {_esc(name)}" if value is True else f' {_esc(name)}="{_esc(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_esc(widget["value"])}"'
    start = f'<input type="{_esc(widget["type"])}" name="{_esc(widget["name"])}"'
    return f"{start}{value}{_attrs(widget['attrs'])}>"


def _input_option(widget: dict[str, Any]) -> str:
    """radio_option.html / checkbox_option.html, with the line ends their included templates leave."""
    shown = _input(widget) + "\n"
    if widget.get("wrap_label"):
        target = widget["attrs"].get("id")
        label_for = f' for="{_esc(target)}"' if target else ""
        shown = f"<label{label_for}>{shown} {_esc(widget['label'])}</label>"
    return shown + "\n\n"


def _select_option(widget: dict[str, Any]) -> str:
    start = f'<option value="{_esc(widget["value"])}"{_attrs(widget["attrs"])}>'
    return f"{start}{_esc(widget['label'])}</option>\n"


def _option(option: dict[str, Any]) -> str:
    return _FAST_OPTIONS[option["template_name"]](option)


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{_esc(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_esc(group_name)}">')
        parts.extend(f"\n  {_option(option)}" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple_input(widget: dict[str, Any]) -> str:
    attrs = widget["attrs"]
    parts = ["<div"]
    if attrs.get("id"):
        parts.append(f' id="{_esc(attrs["id"])}"')
    if attrs.get("class"):
        parts.append(f' class="{_esc(attrs["class"])}"')
    parts.append(">")
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f"\n  <div><label>{_esc(group_name)}</label>")
        parts.extend(f"<div>\n    {_option(option)}</div>" for option in options)
        if group_name:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = _esc(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_esc(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


_WIDGETS = "django/forms/widgets/"
_FAST_OPTIONS = {
    _WIDGETS + "select_option.html": _select_option,
    _WIDGETS + "radio_option.html": _input_option,
    _WIDGETS + "checkbox_option.html": _input_option,
}
_INPUTS = ("input", "text", "hidden", "checkbox", "email", "number", "tel", "url", "search", "date", "time")
_FAST_WIDGETS = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUTS},
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "select.html": _select,
    _WIDGETS + "radio.html": _multiple_input,
    _WIDGETS + "checkbox_select.html": _multiple_input,
}
_ERROR_LISTS = {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}


class FastWidgets(DjangoTemplates):
    """Django's form renderer, with the standard widgets written in Python (the same HTML as their
    templates, which cost a template render per widget and per option) and an empty error list as
    nothing. Anything else (a custom template, a list of errors) is rendered by its template."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = _FAST_WIDGETS.get(template_name)
        if fast is not None and all(
            option["template_name"] in _FAST_OPTIONS
            for _group, options, _index in context["widget"].get("optgroups", ())
            for option in options
        ):
            return fast(context["widget"])
        if template_name in _ERROR_LISTS and not context.get("errors"):
            return ""
        return super().render(template_name, context, request)


FAST_WIDGETS = FastWidgets()


def field_html(field: forms.BoundField) -> SafeString:
    """A field as templates/includes/field.html prints it (label, widget, help text, errors), written in
    Python for the forms shown on every call (the hotline's): ten includes of that template cost more
    than the rest of the form. test_form_rendering holds the two to the same HTML."""
    widget = str(field)
    if field.is_hidden:
        return mark_safe(f"\n{widget}\n")  # noqa: S308 - the widget is rendered and escaped
    errors = field.errors
    classes = f"field field--{_esc(field.widget_type)}"
    classes += " field--invalid" if errors else ""
    classes += " field--required" if field.field.required else ""
    label, target = _esc(field.label), _esc(field.id_for_label)
    if field.use_fieldset:
        described = f' aria-describedby="{_esc(field.aria_describedby)}"' if field.aria_describedby else ""
        body = (
            f'\n    <fieldset class="field__fieldset"{described}>\n      <legend class="field__label">{label}'
            f"</legend>\n      {widget}\n    </fieldset>\n  "
        )
    elif field.widget_type == "checkbox":
        body = (
            f'\n    <div class="field__check">\n      {widget}\n      <label for="{target}">{label}</label>'
            "\n    </div>\n  "
        )
    else:
        body = f'\n    <label class="field__label" for="{target}">{label}</label>\n    {widget}\n  '
    help_text = (
        f'<div class="field__help helptext" id="{_esc(field.auto_id)}_helptext">{field.help_text}</div>'
        if field.help_text
        else ""
    )
    return mark_safe(  # noqa: S308 - every value above is escaped, the help text is ours (|safe in the template)
        f'\n\n<div class="{classes}" data-testid="field-{_esc(field.html_name)}">\n  {body}\n  {help_text}'
        f"\n  {errors}\n</div>\n\n"
    )


class _FieldsAsHtml:
    """`form.shown.<name>` in a template: the field as includes/field.html prints it (field_html)."""

    def __init__(self, form: forms.Form) -> None:
        self.form = form

    def __getitem__(self, name: str) -> SafeString:
        return field_html(self.form[name])


# --- the list's filters -----------------------------------------------------------------------------------


# the fields of the list's "Filters" panel, in order (ItemFilterForm.fields_html)
_FILTER_FIELDS = ("status", "kind", "category", "channel", "month", "project")
# {(language, values, choices): (the panel's HTML, the project choices it was written for)}: the choices
# object is kept with it, so the id in the key cannot be reused by another while the entry lives
_FILTER_HTML: dict[Any, tuple[SafeString, Any]] = {}


@functools.lru_cache(maxsize=128)
def _project_choices(language: str, projects: tuple[tuple[str, str], ...]) -> WrittenChoices:
    """The filter's project choices, written once per language and list of (code, name): a scope's
    projects are the same on every page it opens (ADR 0020)."""
    return WrittenChoices([*ANY, *((code, f"{code} · {name}") for code, name in projects)])


class ItemFilterForm(forms.Form):
    default_renderer = FAST_WIDGETS  # its widgets in Python; the list prints its fields by `as_field`

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
        projects: Sequence[Project | PickedProject],
        buildings: list[Building],
        assignees: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "project").choices = _project_choices(
            get_language(), tuple((p.code, p.name) for p in projects)
        )
        _choice_field(self, "building").choices = ANY + [
            (b.pk, f"{b.project.code} · {b.name}" if len(projects) > 1 else b.name) for b in buildings
        ]
        _choice_field(self, "assignee").choices = ANY + [(u.pk, str(u)) for u in assignees]
        self.fields["q"].widget.attrs.update(
            placeholder=_("Reference, phone or words"), type="search", autocomplete="off"
        )

    def fields_html(self) -> SafeString:
        """The filters' fields as the list prints them in its "Filters" panel (field_html each; the building
        and assignee pickers only when they offer a choice), written once per language, filter values and
        choices: the panel is the same on most views of the list, and ten fields cost a tenth of the page.
        A form with errors is written afresh (it shows them)."""
        shown = [*_FILTER_FIELDS]
        pickers = {name: list(cast(Any, self.fields[name]).choices) for name in ("building", "assignee")}
        shown += [name for name, choices in pickers.items() if len(choices) > 1]
        if self.errors:
            return self._write_fields(shown)
        data = self.data
        values = tuple(
            (name, tuple(data.getlist(name)) if hasattr(data, "getlist") else repr(data.get(name)))
            for name in self.fields
        )
        key = (
            get_language(),
            values,
            id(_choice_field(self, "project").choices),
            tuple(pickers["building"]),
            tuple(pickers["assignee"]),
        )
        project_choices = _choice_field(self, "project").choices
        entry = _FILTER_HTML.get(key)
        if entry is None:
            entry = (self._write_fields(shown), project_choices)
            if len(_FILTER_HTML) >= 256:
                _FILTER_HTML.clear()
            _FILTER_HTML[key] = entry
        return entry[0]

    def _write_fields(self, shown: list[str]) -> SafeString:
        checks = "".join(field_html(self[name]) for name in ("overdue", "open_only"))
        fields = "".join(field_html(self[name]) for name in shown)
        return mark_safe(f"{fields}<div>{checks}</div>")  # noqa: S308 - field_html escapes

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
    default_renderer = FAST_WIDGETS

    form_token = OneTimeTokenField()
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

    def __init__(
        self, *args: Any, callers: list[tuple[Any, Any]], autofocus: bool = True, **kwargs: Any
    ) -> None:
        """`callers`: (resident, unit) pairs the user may register for; `autofocus`: the description takes
        the cursor (not while the agent is still typing in the search box)."""
        super().__init__(*args, **kwargs)
        self.callers = {f"{resident.pk}:{unit.pk}": (resident, unit) for resident, unit in callers}
        _choice_field(self, "caller_unit").choices = [
            (key, f"{resident.name} · {unit.project.name} {unit.label}")
            for key, (resident, unit) in self.callers.items()
        ]
        if self.callers:
            self.fields["caller_unit"].initial = next(iter(self.callers))
        description = self.fields["description"]
        description.widget.attrs.update({"rows": 3, "data-enter-submits": ""})
        description.help_text = _("Enter registers; Shift+Enter starts a new line.")
        if autofocus:
            description.widget.attrs["autofocus"] = True

    @property
    def shown(self) -> _FieldsAsHtml:
        """The fields as the page prints them: `{{ form.shown.description }}` (forms.field_html)."""
        return _FieldsAsHtml(self)

    def caller(self) -> tuple[Any, Any]:
        return self.callers[self.cleaned_data["caller_unit"]]

    def chosen(self) -> tuple[int | None, str]:
        """The unit (id) and category as the form stands (typed, or the defaults), before it is valid: what
        the likely-duplicate warning looks at; None and "" for what is not usable."""
        pair = self.callers.get(str(self["caller_unit"].value() or ""))
        category = str(self["category"].value() or "")
        return (pair[1].pk if pair else None), (category if category in Category.values else "")


# --- the item page ----------------------------------------------------------------------------------------


class StepForm(forms.Form):
    """One workflow step as the table describes it (workflow.Step): its note, how the customer was told,
    its assignee. Posts the step's name and the version of the item the user saw."""

    step = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, step: Step, people: list[tuple[int, str]], **kwargs: Any) -> None:
        """`people`: whom the step may assign (selectors.step_assignee_choices)."""
        kwargs.setdefault("auto_id", f"id_{step.name}_%s")
        super().__init__(*args, **kwargs)
        self.workflow_step = step
        if step.note is not None:
            self.fields["note"] = forms.CharField(
                label=str(step.note.label),
                required=step.note.required,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if step.asks_informed_by:
            self.fields["how"] = forms.ChoiceField(
                label=_("How the customer was told"),
                choices=[("", "—"), *step.informed_by_choices],
                error_messages={"required": _("Choose how the customer was told.")},
            )
        if step.assignee is not None:
            self.fields[step.assignee.field] = forms.TypedChoiceField(
                label=str(step.assignee.label),
                choices=[("", "—"), *people],
                coerce=int,
                required=step.assignee.required,
                empty_value=None,
            )

    @property
    def label(self) -> str:
        return str(self.workflow_step.label)

    def typed(self) -> dict[str, Any]:
        """What the user filled in besides the step and the version (kept on screen after a conflict)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("step", "version") and value not in (None, "")
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        assignee = self.workflow_step.assignee
        values: dict[str, Any] = {}
        if assignee is not None and data.get(assignee.field):
            values[assignee.data_key] = data[assignee.field]
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


class ExecutionRecordForm(forms.Form):
    """附表二 (R-FB-8): the fields the user's role may write now (selectors.execution_record_writable),
    starting from what is stored. Customer acceptance is never typed: it comes from the customer."""

    qa_opinion = forms.CharField(
        label=bilingual("qa_opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    office_record = forms.CharField(
        label=bilingual("office_record"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    qa_acceptance = forms.CharField(
        label=bilingual("qa_acceptance"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    executor_name = forms.CharField(label=bilingual("executor_name"), max_length=60, required=False)
    executed_at = forms.DateTimeField(
        label=bilingual("executed_at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, writable: list[str], record: Any = None, **kwargs: Any) -> None:
        if record is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", {name: getattr(record, name) for name in writable})
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in writable:
                del self.fields[name]


# --- reclassification ---------------------------------------------------------------------------------


class ReclassifyForm(forms.Form):
    """Kind, category, place, responsible department, priority and flags of a registered item."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    building = forms.TypedChoiceField(
        label=_("Building or area"), coerce=int, required=False, empty_value=None
    )
    unit_label = forms.CharField(
        label=_("Unit"), max_length=30, required=False, help_text=_("Building-entrance-number, e.g. 3-2-501")
    )
    location_note = forms.CharField(label=_("Location"), max_length=200, required=False)
    department = forms.TypedChoiceField(
        label=_("Responsible department"), coerce=int, required=False, empty_value=None
    )
    is_quality_problem = forms.BooleanField(
        label=_("Concrete quality problem (act within minutes)"), required=False
    )
    is_major = forms.BooleanField(label=_("Major incident (alerts the general manager)"), required=False)
    is_hot = forms.BooleanField(label=_("Hot complaint"), required=False)
    is_paid_service = forms.BooleanField(label=_("Paid service"), required=False)
    reason = forms.CharField(
        label=_("Why the classification changes"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, buildings: list[Any], departments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "building").choices = [("", "—"), *((b.pk, b.name) for b in buildings)]
        _choice_field(self, "department").choices = [("", "—"), *((d.pk, str(d)) for d in departments)]

    @classmethod
    def initial_for(cls, item: Any) -> dict[str, Any]:
        """The form's starting values: the item as it is stored."""
        names = ("kind", "category", "priority", "location_note", "is_quality_problem", "is_major", "is_hot")
        return {
            **{name: getattr(item, name) for name in names},
            "is_paid_service": item.is_paid_service,
            "version": item.version,
            "building": item.building_id,
            "unit_label": item.unit.label if item.unit_id else "",
            "department": item.department_id,
        }

    def values(self) -> dict[str, Any]:
        """What the reclassification service reads (`reclassification_from`)."""
        return {name: value for name, value in self.cleaned_data.items() if name not in ("version", "reason")}


# --- field work (issue 11): the appointment agreed with the customer, handing the job over --------------


class AppointmentForm(forms.Form):
    """The visit time agreed with the customer, in local time (Asia/Shanghai)."""

    at = forms.DateTimeField(
        label=_("Appointment with the customer"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Give a date and time."), "invalid": _("Give a date and time.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_appointment_%s")
        super().__init__(*args, **kwargs)


class HandOverForm(forms.Form):
    """Hand the job to another colleague of the project, saying why."""

    executor = forms.TypedChoiceField(label=_("Hand over to"), coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the job is handed over.")},
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_handover_%s")
        super().__init__(*args, **kwargs)
        _choice_field(self, "executor").choices = [("", "—"), *people]
