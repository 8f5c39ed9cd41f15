"""Form widgets that render in Python rather than through a template per option.

Django renders every <option> of a select through its own template; a filter form with a few hundred
projects spends most of a list page's time there. FastSelect writes the same HTML directly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe


class WrittenChoices(BaseChoiceIterator):
    """Flat choices whose <option> elements are written and escaped once, for a list that is the same on
    many requests (a scope's projects: HQ's 200 were 200 labels, a normalisation of the list and 400
    escapes on every list page). Django takes a BaseChoiceIterator as it is; FastSelect prints the options
    from `written`, marking the selected one. Make one per language: a label may be a lazy translation."""

    def __init__(self, choices: Sequence[tuple[Any, Any]]) -> None:
        self.choices = [("" if key is None else key, label) for key, label in choices]
        self.written = [
            (str(key), f'<option value="{escape(str(key))}"', f">{escape(str(label))}</option>")
            for key, label in self.choices
        ]

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def __getitem__(self, index: Any) -> Any:
        return self.choices[index]


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        if isinstance(self.choices, WrittenChoices):
            options = [
                f"{head} selected{tail}" if text in selected else f"{head}{tail}"
                for text, head, tail in self.choices.written
            ]
            return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")  # noqa: S308 - written escaped
        # the standard library's escape, as Django's does it, without its check of every argument for a lazy
        # string (a picker of 200 projects called it 400 times a page)
        options = []
        for key, label in self._flat_choices():
            text = str(key)
            mark = " selected" if text in selected else ""
            options.append(f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
        return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")  # noqa: S308 - escaped above

    def _flat_choices(self) -> list[tuple[Any, Any]]:
        flat: list[tuple[Any, Any]] = []
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                flat.extend(label)
            else:
                flat.append(("" if key is None else key, label))
        return flat
