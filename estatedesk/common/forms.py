"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms

from estatedesk.common.errors import DomainError


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's DomainError on the form: field messages next to their fields, the rest on top."""
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)
