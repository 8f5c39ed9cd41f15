"""Shared by the quality tests: a nonconformity walked along the procedure, stage by stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from estatedesk.feedback.services import feedback_item_rate
from estatedesk.quality import services
from estatedesk.quality.choices import ActionKind, CauseCategory, Origin, Severity, Stage
from estatedesk.quality.models import Nonconformity
from estatedesk.visits.tests.helpers import told_item

ORDER = [Stage.DRAFT, Stage.ANALYSIS, Stage.ACTION_PLAN, Stage.IN_PROGRESS, Stage.VERIFICATION, Stage.CLOSED]


def rated_c(world: Any, **values: Any) -> Any:
    """An item of project A told to its owner, then rated C by owner_a (opens the nonconformity)."""
    item = told_item(world, **values)
    return feedback_item_rate(actor=world.owner_a, item=item, rating="C", comment="还是漏水。")


def manual(world: Any, *, area: Any = None, **values: Any) -> Nonconformity:
    data = services.NonconformityInput(
        project=values.pop("project", world.project_a),
        origin=values.pop("origin", Origin.MANUAL),
        title=values.pop("title", "电梯困人"),
        description=values.pop("description", "3号楼电梯困人20分钟。"),
        area=area,
        **values,
    )
    return services.nonconformity_create(actor=world.qa_manager_a, data=data)


def walk_to(world: Any, nonconformity: Nonconformity, stage: str, *, owner: Any = None) -> Nonconformity:
    """Take the nonconformity to `stage` (pm_a manages, executor_a owns the one action)."""
    target = ORDER.index(stage)
    nc = nonconformity
    if ORDER.index(nc.stage) < 1 <= target:
        nc = services.nonconformity_take_up(actor=world.pm_a, nonconformity=nc)
    if ORDER.index(nc.stage) < 2 <= target:
        nc = services.nonconformity_analyse(
            actor=world.pm_a,
            nonconformity=nc,
            cause_category=CauseCategory.PEOPLE,
            severity=Severity.MAJOR,
            cause="维修工未按规程试水。",
        )
    if ORDER.index(nc.stage) < 3 <= target:
        services.nonconformity_action_add(
            actor=world.pm_a,
            nonconformity=nc,
            kind=ActionKind.CORRECTIVE,
            description="重新维修并试水24小时。",
            owner=owner or world.executor_a,
            due_on=timezone.localdate() + timedelta(days=7),
        )
        nc = services.nonconformity_start(actor=world.pm_a, nonconformity=nc)
    if ORDER.index(nc.stage) < 4 <= target:
        for action in nc.actions.all():
            services.nonconformity_action_done(
                actor=action.owner, action=action, result="已重新维修，试水无渗漏。"
            )
        nc = services.nonconformity_to_verification(actor=world.pm_a, nonconformity=nc)
    if ORDER.index(nc.stage) < 5 <= target:
        nc = services.nonconformity_verify(
            actor=world.qa_a,
            nonconformity=nc,
            verification=services.Verification(evidence="现场复查无渗漏，照片存档。"),
        )
    nc.refresh_from_db()
    return nc
