"""Form helpers shared by every app's views."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms

from estatedesk.common.errors import DomainError


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's DomainError on the form: field messages next to their fields, the rest on top."""
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)


class OneTimeTokenField(forms.CharField):
    """A hidden random token drawn when the form is shown: posting the same form twice (a double click, a
    resubmitted page) registers one item, the token being the registration's idempotency key."""

    def __init__(self) -> None:
        super().__init__(widget=forms.HiddenInput, required=False, max_length=64)

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> Any:
        if not form.is_bound and field_name not in form.initial:
            form.initial[field_name] = secrets.token_urlsafe(24)
        return super().get_bound_field(form, field_name)
