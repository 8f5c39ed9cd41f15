"""The form of the statistics page (R-FB-7): input shape only."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from estatedesk.feedback.forms import FAST_WIDGETS, field_html
from estatedesk.org.models import Project


class StatisticsFilterForm(forms.Form):
    """The month and project of the statistics page. Only rendered (with the month and project shown as
    its initial values): the view reads the query itself, since an invalid month falls back to the current
    one and a project out of scope is a 404, not a form error."""

    month = forms.CharField(
        label=_("Month"),
        required=False,  # empty: the current month
        widget=forms.TextInput(
            attrs={"type": "month", "pattern": r"[0-9]{4}-[0-9]{2}", "placeholder": "YYYY-MM"}
        ),
    )
    project = forms.ChoiceField(label=_("Project"), required=False)

    # the project picker lists every project the user covers (hundreds at HQ): Django's widget templates
    # cost a template render per option, more than the month's query (bench/ANALYSIS.md)
    default_renderer = FAST_WIDGETS

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["project"]).choices = [("", _("All my projects"))] + [
            (p.code, f"{p.code} · {p.name}") for p in projects
        ]

    @property
    def shown(self) -> dict[str, SafeString]:
        """The two fields as templates/includes/field.html prints them (`feedback.forms.field_html`)."""
        return {name: field_html(self[name]) for name in ("month", "project")}
