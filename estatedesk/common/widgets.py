"""Form widgets that render in Python rather than through a template per option.

Django renders every <option> of a select through its own template; a filter form with a few hundred
projects spends most of a list page's time there. FastSelect writes the same HTML directly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) in selected else "", label)
                for key, label in self._flat_choices()
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)

    def _flat_choices(self) -> list[tuple[Any, Any]]:
        flat: list[tuple[Any, Any]] = []
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                flat.extend(label)
            else:
                flat.append(("" if key is None else key, label))
        return flat
