"""Branches propose improvements to the reporting rules; HQ accepts or declines them with an answer
(R-IR-2: 各地物业公司 … 对信息管理制度提出合理化建议).

A branch's manager or document administrator proposes (`reporting.propose` at the branch), optionally
about one information type; HQ's property management department is told. HQ (`reporting.catalogue` or
`reporting.review`, company-wide) decides once, always with an answer; the proposer is told. A branch
sees only its own proposals (`RuleProposal.visible_to`), HQ all.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.common.scoping import ScopedQuerySet, get_for_user_or_404
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch, Membership
from estatedesk.org.permissions import can, require
from estatedesk.reporting.choices import ProposalStatus
from estatedesk.reporting.models import InformationType, RuleProposal

MAX_TEXT = 5000


def may_decide(user: Any) -> bool:
    """HQ decides proposals: the catalogue's keepers or its reviewers, company-wide."""
    return can(user, "reporting.catalogue") or can(user, "reporting.review")


def proposal_url(proposal: RuleProposal) -> str:
    return f"{reverse('reporting:proposal_list')}#proposal-{proposal.pk}"


def _hq_people(company_id: int) -> list[Any]:
    rows = Membership.objects.filter(
        company_id=company_id,
        level=ScopeLevel.COMPANY,
        role=Role.HQ_PROPERTY,
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    return [row.user for row in rows]


@transaction.atomic
def proposal_make(
    *, actor: Any, branch: Branch, information_type: InformationType | None = None, text: str
) -> RuleProposal:
    """A branch proposes a change to the reporting rules (of one type, or in general)."""
    require(actor, "reporting.propose", branch=branch)
    text = (text or "").strip()
    if not text:
        raise DomainError(
            "reporting.proposal_empty", _("Write the proposal."), fields={"text": [_("Write the proposal.")]}
        )
    if len(text) > MAX_TEXT:
        raise DomainError(
            "reporting.proposal_too_long",
            _("The proposal is too long."),
            fields={"text": [_("At most %(max)s characters.") % {"max": MAX_TEXT}]},
        )
    if information_type is not None and information_type.company_id != branch.company_id:
        raise DomainError(
            "reporting.proposal_type",
            _("Choose a type of the catalogue."),
            fields={"information_type": [_("Choose a type of the catalogue.")]},
        )
    proposal = RuleProposal.objects.create(
        branch=branch, information_type=information_type, text=text, proposed_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=proposal,
        after={"what": information_type.name if information_type else "", "note": text[:300]},
    )
    notify(
        users=_hq_people(branch.company_id),
        title=_("%(branch)s proposes a change to the reporting rules") % {"branch": branch.name},
        body=text[:500],
        url=proposal_url(proposal),
    )
    return proposal


@transaction.atomic
def proposal_decide(*, actor: Any, proposal: RuleProposal, accept: bool, note: str) -> RuleProposal:
    """HQ accepts or declines a proposal, once, with an answer to the branch."""
    if not may_decide(actor):
        raise PermissionDenied("reporting.catalogue")
    note = (note or "").strip()
    if not note:
        raise DomainError(
            "reporting.proposal_answer",
            _("Give the branch an answer."),
            fields={"note": [_("Give the branch an answer.")]},
        )
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    now = timezone.now()
    decided = RuleProposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PROPOSED).update(
        status=status, decided_by=actor, decided_at=now, decision_note=note[:MAX_TEXT], updated_at=now
    )
    if not decided:
        raise DomainError(
            "reporting.proposal_decided", _("This proposal has already been decided."), status=409
        )
    proposal.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=proposal,
        before={"status": ProposalStatus.PROPOSED.value},
        after={"status": status.value, "note": note[:300]},
    )
    notify(
        users=[proposal.proposed_by],
        title=(
            _("HQ accepted your proposal on the reporting rules")
            if accept
            else _("HQ declined your proposal on the reporting rules")
        ),
        body=note[:500],
        url=proposal_url(proposal),
    )
    return proposal


# --- reading ---------------------------------------------------------------------------------------------


def proposal_list(*, user: Any, status: str = "") -> ScopedQuerySet[RuleProposal]:
    rows = RuleProposal.objects.visible_to(user).select_related(
        "branch", "information_type", "proposed_by", "decided_by"
    )
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def proposal_get_for_user(*, user: Any, pk: int) -> RuleProposal:
    return get_for_user_or_404(
        RuleProposal.objects.select_related("branch", "information_type", "proposed_by", "decided_by"),
        user=user,
        pk=pk,
    )


def proposing_branches(user: Any) -> list[Branch]:
    """The branches where the user may propose."""
    return [
        branch
        for branch in Branch.objects.visible_to(user).order_by("code")
        if can(user, "reporting.propose", branch=branch)
    ]
