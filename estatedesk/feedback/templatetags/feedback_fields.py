"""`{{ field|as_field }}`: a form field as templates/includes/field.html prints it (forms.field_html, written
in Python), for the forms of pages opened all day (the item page's steps, comment, record, talk, on-site
forms): an include per field cost more than the rest of those forms."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

from estatedesk.feedback.forms import field_html

register = template.Library()


@register.filter
def as_field(field: forms.BoundField) -> SafeString:
    return field_html(field)
