"""The item page prints its forms' fields with `as_field` (forms.field_html) and their widgets in Python
(forms.FastWidgets) instead of an include of templates/includes/field.html per field: every form of the page,
each workflow step's among them, prints what the include prints with Django's widget templates, empty and
posted with errors."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.template.loader import render_to_string

from estatedesk.feedback.forms import (
    FAST_WIDGETS,
    AppointmentForm,
    CommentForm,
    ExecutionRecordForm,
    HandOverForm,
    StaffTalkForm,
    StepForm,
)
from estatedesk.feedback.workflow import STEPS

TEMPLATES = DjangoTemplates()
PEOPLE = [(3, "张 <主管>"), (4, 'Li "Na" & co')]
WRITABLE = ["qa_opinion", "office_record", "qa_acceptance", "executor_name", "executed_at"]


def page_forms() -> list[forms.Form]:
    """The page's forms, unbound and posted with errors (bad or missing values)."""
    shown: list[forms.Form] = []
    for step in STEPS.values():
        shown.append(StepForm(initial={"step": step.name, "version": 3}, step=step, people=PEOPLE))
        posted = StepForm({"step": step.name, "version": "x", "note": "<b>"}, step=step, people=PEOPLE)
        posted.is_valid()
        shown.append(posted)
    shown += [CommentForm(), StaffTalkForm(), AppointmentForm(), HandOverForm(people=PEOPLE)]
    shown.append(ExecutionRecordForm(writable=WRITABLE))
    for bad in (
        CommentForm({"message": ""}),
        StaffTalkForm({"kind": "x", "notes": "<i>"}),
        AppointmentForm({"at": "soon"}),
        HandOverForm({"executor": "99"}, people=PEOPLE),
        ExecutionRecordForm({"executed_at": "never", "qa_opinion": "a & b"}, writable=WRITABLE),
    ):
        bad.is_valid()
        shown.append(bad)
    return shown


def test_fb_item_page_form_fields_print_what_the_field_include_prints():
    # given every form the item page shows, unbound and posted with errors
    as_field = Template("{% load feedback_fields %}{{ field|as_field }}")
    invalid = 0
    for form in page_forms():
        for name in form.fields:
            # when the field is printed by the include with the widget templates, and by as_field with the
            # widgets written in Python (as the page does)
            form.renderer = TEMPLATES
            included = render_to_string("includes/field.html", {"field": form[name]})
            form.renderer = FAST_WIDGETS
            fast = as_field.render(Context({"field": form[name]}))
            # then both print the same, character for character
            assert fast == included, (type(form).__name__, name)
            invalid += "field--invalid" in fast
    assert invalid >= 5  # the posted forms' errors were printed too
