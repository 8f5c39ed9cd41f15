"""The statistics page's filter form prints with Python widgets (feedback.forms.FastWidgets, field_html)
exactly what Django's widget templates and templates/includes/field.html print: HQ picks among hundreds
of projects there, and a template render per option cost more than the month's query."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string

from estatedesk.feedback.forms import FAST_WIDGETS
from estatedesk.feedback.statistics.forms import StatisticsFilterForm
from estatedesk.org.models import Project


def projects() -> list[Project]:
    return [Project(pk=1, code="QD-HJ", name="海景 <花园> & 1"), Project(pk=2, code='B"2', name="Two")]


def test_statistics_filter_form_prints_what_the_templates_print():
    # given the filter form with no project chosen and with one chosen (names that must be escaped)
    for initial in ({"month": "2026-11", "project": ""}, {"month": "2026-10", "project": 'B"2'}):
        form = StatisticsFilterForm(initial=initial, projects=projects())
        assert form.renderer is FAST_WIDGETS
        for name in ("month", "project"):
            # when the field is printed as the page prints it and by the templates
            fast = form.shown[name]
            form.renderer = DjangoTemplates()
            slow = render_to_string("includes/field.html", {"field": form[name]})
            form.renderer = FAST_WIDGETS
            # then both print the same, character for character
            assert fast == slow
    assert (
        'value="B&quot;2" selected'
        in StatisticsFilterForm(initial={"project": 'B"2'}, projects=projects()).shown["project"]
    )
