"""The noticeboard and documents (placeholder: filled in by the noticeboard work)."""

from __future__ import annotations


def delivery_reminders_send() -> int:
    return 0
