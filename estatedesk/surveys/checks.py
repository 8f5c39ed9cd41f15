"""R-RV-1: a sample of returned forms is checked by a return visit (placeholder: filled in by the reports
and checks work)."""

from __future__ import annotations

from typing import Any

from estatedesk.surveys.models import Campaign, SurveyForm


def survey_checks_arrange(*, actor: Any, campaign: Campaign) -> list[SurveyForm]:
    return []
