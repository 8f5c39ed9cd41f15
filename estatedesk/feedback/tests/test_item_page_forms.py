"""The item page prints what Django's own templates and filters print, more cheaply: its forms' fields with
`as_field` (forms.field_html) and their widgets in Python (forms.FastWidgets) instead of an include of
templates/includes/field.html per field (every form of the page, each workflow step's among them, empty and
posted with errors), and its times with `minute` and `iso` (templatetags/feedback_format) for `date`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

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


def test_fb_item_page_times_print_what_the_date_filter_prints():
    # given times in several zones, a naive one, and no time at all
    values = [
        datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 5, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 12, 2, 8, 30),  # noqa: DTZ001 - a naive time is printed as it is
        None,
        "",
    ]
    ours = Template("{% load feedback_format %}{{ at|minute }}|{{ at|iso }}")
    django = Template("{{ at|date:'Y-m-d H:i' }}|{{ at|date:'c' }}")
    for zone in ("Asia/Shanghai", "Europe/London"):
        with timezone.override(ZoneInfo(zone)):
            for value in values:
                # when each is printed by the page's filters and by Django's date filter
                # then both print the same, in the active time zone
                assert ours.render(Context({"at": value})) == django.render(Context({"at": value}))
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert ours.render(Context({"at": values[0]})) == "2026-12-01 07:59|2026-12-01T07:59:59.123456+08:00"
