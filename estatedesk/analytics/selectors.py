"""Reads of packs that pages and the API share: who may open or make again a pack, and a pack by id for a
user (404 whether missing or out of reach)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from estatedesk.analytics.choices import ScopeKind
from estatedesk.analytics.models import MonthlyPack
from estatedesk.org.models import Branch, Project
from estatedesk.org.permissions import can

ARCHIVE_LIMIT = 500  # packs listed at most (about ten years of a company with 3 branches, versions too)
PACK = "analytics.pack"
REGENERATE = "analytics.pack.regenerate"


def _node(pack: MonthlyPack) -> dict[str, Any]:
    """The pack's scope as `can` takes it (no query: ids only)."""
    if pack.scope_kind == ScopeKind.PROJECT:
        return {"project": Project(pk=pack.project_id, branch_id=pack.branch_id or 0)}
    if pack.scope_kind == ScopeKind.BRANCH:
        return {"branch": Branch(pk=pack.branch_id, company_id=pack.company_id)}
    return {}


def may_open(user: Any, pack: MonthlyPack) -> bool:
    return can(user, PACK, **_node(pack))


def may_regenerate(user: Any, pack: MonthlyPack) -> bool:
    return can(user, REGENERATE, **_node(pack))


def pack_get_for_user(*, user: Any, pk: int) -> MonthlyPack:
    """The pack if the user may open it; 404 otherwise, whether missing or out of reach."""
    pack = MonthlyPack.objects.visible_to(user).filter(pk=pk).first()
    if pack is None or not may_open(user, pack):
        raise Http404
    return pack
