"""The registration forms' widgets written in Python (forms.FastWidgets) print exactly what Django's widget
templates print: every field of the hotline form and the staff registration form, empty, filled in (with
text that must be escaped) and with errors; radio buttons, option groups, checkboxes, a textarea. The
hotline form's fields as a whole (forms.field_html) print what templates/includes/field.html prints."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string

from estatedesk.feedback.forms import FAST_WIDGETS, HotlineRegisterForm, ItemRegisterForm, field_html
from estatedesk.org.models import Building, Project, Unit
from estatedesk.owners.models import Resident

TEMPLATES = DjangoTemplates()


def callers() -> list[tuple[Resident, Unit]]:
    project = Project(pk=1, code="A", name="海景 <花园> & 1")
    return [
        (Resident(pk=7, name='王 "伟"'), Unit(pk=3, project=project, label="1-1-101")),
        (Resident(pk=8, name="李娜"), Unit(pk=4, project=project, label="1-1-102")),
    ]


def places() -> dict[str, list]:
    a, b = Project(pk=1, code="A", name="One"), Project(pk=2, code="B", name="Two & <b>")
    buildings = [
        Building(pk=11, project=a, name="1号楼"),
        Building(pk=12, project=b, name="<G1>"),
        Building(pk=13, project=b, name="G2"),
    ]
    return {"projects": [a, b], "buildings": buildings}


FILLED = {
    "description": '楼道灯不亮 <script>"x"</script> & more',
    "kind": "complaint",
    "category": "cleaning",
    "priority": "high",
    "title": "灯 & <b>",
    "is_major": "on",
    "form_token": "a<b",
}


def both(form: forms.Form) -> list[tuple[str, str]]:
    """Each field as the templates print it and as FastWidgets does, with its errors."""
    shown = []
    for name in form.fields:
        bound = form[name]
        fast = str(bound.as_widget()) + str(bound.errors)
        form.renderer = TEMPLATES
        slow = str(bound.as_widget()) + str(bound.errors)
        form.renderer = FAST_WIDGETS
        shown.append((slow, fast))
    return shown


def test_hotline_form_renders_as_the_templates_do_empty_filled_and_with_errors():
    # given the hotline form for two callers, unbound, filled in, and posted with a required field missing
    empty = HotlineRegisterForm(callers=callers())
    filled = HotlineRegisterForm({**FILLED, "caller_unit": "8:4"}, callers=callers())
    invalid = HotlineRegisterForm({"caller_unit": "9:9", "description": ""}, callers=callers())
    invalid.is_valid()
    # when each field is printed both ways
    # then the HTML is the same, character for character
    for form in (empty, filled, invalid):
        assert form.renderer is FAST_WIDGETS
        for slow, fast in both(form):
            assert fast == slow


def test_staff_register_form_renders_as_the_templates_do_with_option_groups():
    # given the staff registration form over two projects (buildings grouped by project), empty and posted
    empty = ItemRegisterForm(**places())
    posted = ItemRegisterForm(
        {**FILLED, "project": "2", "building": "12", "channel": "walk_in", "contact_email": "bad"}, **places()
    )
    posted.is_valid()
    # when each field is printed both ways
    # then the HTML is the same
    for form in (empty, posted):
        for slow, fast in both(form):
            assert fast == slow
    assert "<optgroup" in str(empty["building"])


def test_hotline_form_fields_print_what_the_field_include_prints():
    # given the hotline form unbound, filled in, and posted with errors (a field with its help text, radio
    # buttons in a fieldset, checkboxes, the hidden one-time token)
    forms_shown = [
        HotlineRegisterForm(callers=callers()),
        HotlineRegisterForm({**FILLED, "caller_unit": "8:4"}, callers=callers(), autofocus=False),
        HotlineRegisterForm({"caller_unit": "9:9", "description": "", "kind": "x"}, callers=callers()),
    ]
    forms_shown[2].is_valid()
    for form in forms_shown:
        for name in form.fields:
            # when the field is printed by the include and by field_html (as the page asks: form.shown)
            included = render_to_string("includes/field.html", {"field": form[name]})
            # then both print the same
            assert form.shown[name] == included == field_html(form[name])
    assert "field--invalid" in forms_shown[2].shown["description"]
