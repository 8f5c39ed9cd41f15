"""The helpers that keep lists fast at a million rows: capped counts, selects rendered in Python, and the
daily refresh of the planner's statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.tasks import refresh_planner_statistics
from estatedesk.common.widgets import FastSelect, WrittenChoices
from estatedesk.org.models import Project

pytestmark = pytest.mark.django_db


def test_capped_paginator_counts_exactly_up_to_the_cap(world):
    projects = Project.objects.order_by("pk")  # the world has a few projects
    total = projects.count()
    exact = CappedPaginator(projects, 1, cap=total)
    assert (exact.count, exact.is_capped, exact.num_pages) == (total, False, total)

    capped = CappedPaginator(projects, 1, cap=total - 1)
    with CaptureQueriesContext(connection) as queries:
        assert (capped.count, capped.is_capped, capped.num_pages) == (total - 1, True, total - 1)
    assert len(queries) == 1
    assert "LIMIT" in queries[0]["sql"].upper()  # counts over at most cap + 1 rows, not the table
    # and without the list's ORDER BY, which would make the database walk the date index (issue 17)
    assert "ORDER BY" not in queries[0]["sql"].upper()


def test_fast_select_renders_what_django_select_renders():
    choices = [("", "Any"), ("a", 'Apple <&> "pie"'), (1, "One")]

    class Both(forms.Form):
        slow = forms.ChoiceField(choices=choices, required=False)
        fast = forms.ChoiceField(choices=choices, required=False, widget=FastSelect)

    form = Both({"slow": "a", "fast": "a"})
    slow = str(form["slow"]).replace('name="slow" id="id_slow"', "")
    fast = str(form["fast"]).replace('name="fast" id="id_fast"', "")

    def options(html: str) -> list[str]:
        return [
            part.split(">", 1)[0] + ">" + part.split(">", 1)[1].split("<", 1)[0]
            for part in html.split("<option")[1:]
        ]

    assert options(fast) == options(slow)
    assert 'value="a" selected' in fast
    assert "Apple &lt;&amp;&gt; &quot;pie&quot;" in fast


def test_written_choices_print_what_the_choices_print_and_still_validate():
    """A picker's options written once (WrittenChoices): the same <select> as the plain list, the chosen one
    marked, every label escaped, and the field still refuses a value that is not among them."""
    choices = [("", "Any"), ("a", 'Apple <&> "pie"'), ("b", "Bee")]

    class Picker(forms.Form):
        plain = forms.ChoiceField(choices=choices, required=False, widget=FastSelect)
        written = forms.ChoiceField(required=False, widget=FastSelect)

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.fields["written"].choices = WrittenChoices(choices)  # type: ignore[attr-defined]

    for value in ("", "a", "b"):
        form = Picker({"plain": value, "written": value})
        plain = str(form["plain"]).replace("plain", "NAME")
        written = str(form["written"]).replace("written", "NAME")
        assert written == plain
        assert form.is_valid()
    assert "Apple &lt;&amp;&gt; &quot;pie&quot;" in written
    assert 'value="b" selected' in written
    assert not Picker({"written": "c"}).is_valid()


def test_planner_statistics_are_refreshed_daily():
    result = refresh_planner_statistics.call()
    if connection.vendor == "sqlite":
        assert result == "optimized"
    else:
        assert result.startswith("skipped")


def test_a_worker_compiles_every_template_of_ours_before_its_first_request():
    from estatedesk.config.wsgi import warm_up

    templates = sum(1 for _ in (Path(settings.BASE_DIR)).rglob("templates/**/*.html"))
    assert warm_up() == templates > 40
