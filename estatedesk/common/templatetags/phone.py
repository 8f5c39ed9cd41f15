"""Tap-to-call (issue 11): `{{ number|tel_link }}` shows a phone number as a `tel:` link a phone dials in one
tap, and as plain text when it cannot be dialled (masked for this viewer, empty, or not a number).

The number is shown as given (the display is the caller's business: full or masked by owners.privacy); the
link dials it in international form: a mainland mobile (1[3-9]…) or a landline with its area code (0…) as
+86…, an extension after a pause (`,`); service numbers (400…, 95…) as they are.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")
SERVICE = re.compile(r"^(?:400|800|95|96|10|11|12)\d{1,8}$")
EXTENSION = re.compile(
    r"^(?P<number>[\d\s()+-]+?)\s*(?:-|转|ext\.?|x)\s*(?P<extension>\d{1,6})$", re.IGNORECASE
)


def tel_uri(number: str) -> str:
    """The `tel:` URI of a phone number, or "" when it cannot be dialled (masked, empty, not a number)."""
    text = str(number or "").strip()
    if not text or re.search(r"[^\d\s()+\-转extEXT.]", text):
        return ""  # masked (138****1234) or not a phone number
    extension = ""
    digits = re.sub(r"\D", "", text)
    match = EXTENSION.match(text)
    if match and not MOBILE.match(digits):
        head = re.sub(r"\D", "", match.group("number"))
        if len(head) >= 10:
            digits, extension = head, match.group("extension")
    digits = re.sub(r"^(?:0086|86)(?=1[3-9]\d{9}$)", "", digits)
    if MOBILE.match(digits):
        dial = f"+86{digits}"
    elif LANDLINE.match(digits):
        dial = f"+86{digits[1:]}"
    elif SERVICE.match(digits):
        dial = digits
    else:
        return ""
    return f"tel:{dial},{extension}" if extension else f"tel:{dial}"


@register.filter
def tel_link(number: str | None) -> SafeString:
    """A `tel:` link showing the number, or the number as (escaped) text when it cannot be dialled."""
    text = str(number or "").strip()
    uri = tel_uri(text)
    if not uri:
        return format_html("{}", text)
    return format_html('<a class="tel-link nowrap" href="{}" data-testid="tel-link">{}</a>', uri, text)


@register.filter
def is_dialable(number: str | None) -> bool:
    """Whether `tel_link` makes a link of the number (it is not masked, and is a number)."""
    return bool(tel_uri(str(number or "")))
