"""R-SV-5: the campaign's report (placeholder: filled in by the reports work)."""

from __future__ import annotations


def report_reminders_send() -> int:
    return 0
