"""Reading HQ reporting: every query starts from `visible_to(user)` (one scoping helper)."""

from __future__ import annotations

from typing import Any

from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.reporting.models import ReportingRules, ReportSubmission


def submission_get_for_user(*, user: Any, reference: str) -> ReportSubmission:
    """A report by reference, or 404 when missing or outside the user's scope (a branch sees its own and
    its projects' reports, HQ every report)."""
    return get_for_user_or_404(
        ReportSubmission.objects.select_related("information_type", "branch", "project", "template"),
        user=user,
        reference=reference,
    )


def rules_for_company(company_id: int) -> ReportingRules:
    """The company's reporting rules (created with the defaults on first use)."""
    rules, created = ReportingRules.objects.get_or_create(company_id=company_id)
    if created and not rules.reminder_days:
        rules.reminder_days = [3, 1]
        rules.save(update_fields=["reminder_days"])
    return rules
