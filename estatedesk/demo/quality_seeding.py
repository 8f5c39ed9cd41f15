"""Demo nonconformities (R-RV-4): at every stage for the demo project 海景花园 (QD-HJ), walked through the
quality services by the demo accounts (pm_a manages, engineer_a and executor_a own actions, qastaff
verifies), then moved back in time so the figures page has days to close, an overdue action, a reopening
and a recurrence. The C ratings of the feedback demo have already opened their nonconformities (drafts)
through the dissatisfaction listener. Idempotent: run again, it adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Building, Project
from estatedesk.quality import services
from estatedesk.quality.choices import ActionKind, CauseCategory, Origin, Severity, Stage, VerificationResult
from estatedesk.quality.models import Nonconformity, NonconformityAction, NonconformityEvent

PROJECT = "QD-HJ"
MARK = "【演示】"  # the titles this module writes start with it: how a second run knows it ran


@dataclass(frozen=True)
class Plan:
    title: str
    description: str
    stage: str
    days_ago: int
    open_days: int = 0  # for a closed one: raised → closed
    origin: str = Origin.MANUAL
    area: str = ""  # a building or area code
    cause: tuple[str, str, str] = ("", "", "")  # category, severity, words
    actions: list[tuple[str, str, str, int]] = field(default_factory=list)  # kind, what, owner, due in days
    reopened: bool = False
    cancelled_reason: str = ""


PLANS = [
    Plan(
        "电梯轿厢照明损坏", "3号楼2单元电梯轿厢照明不亮，业主投诉夜间乘梯不安全。", Stage.DRAFT, 1, area="3"
    ),
    Plan(
        "中心花园喷灌漏水",
        "中心花园喷灌管道接头渗漏，草坪积水。",
        Stage.ANALYSIS,
        3,
        origin=Origin.PATROL,
        area="G1",
    ),
    Plan(
        "保洁未按频次清扫",
        "5号楼楼道连续两天未清扫，抽查记录缺失。",
        Stage.ACTION_PLAN,
        5,
        area="5",
        cause=(CauseCategory.PROCESS, Severity.MINOR, "排班表未覆盖周末，替班流程缺失。"),
    ),
    Plan(
        "地下车库积水",
        "暴雨后地下车库B区积水，排水泵未及时启动。",
        Stage.IN_PROGRESS,
        12,
        area="P1",
        cause=(CauseCategory.EQUIPMENT, Severity.MAJOR, "排水泵浮球开关老化失灵。"),
        actions=[
            (ActionKind.CORRECTION, "更换浮球开关并试运行。", "executor_a", -2),  # overdue
            (ActionKind.CORRECTIVE, "建立排水泵每周点检制度。", "engineer_a", 5),
        ],
    ),
    Plan(
        "维修后仍漏水",
        "1号楼1单元101厨房水管维修后再次漏水，业主不满意。",
        Stage.VERIFICATION,
        20,
        area="1",
        cause=(CauseCategory.PEOPLE, Severity.MAJOR, "维修工未按规程试水即离场。"),
        actions=[
            (ActionKind.CORRECTION, "重新更换阀门并试水24小时。", "executor_a", 3),
            (ActionKind.PREVENTIVE, "维修规程增加试水签字环节，全员培训。", "engineer_a", 7),
        ],
    ),
    Plan(
        "中心花园喷灌再次漏水",
        "中心花园喷灌另一处接头渗漏。",
        Stage.CLOSED,
        60,
        open_days=9,
        area="G1",
        cause=(CauseCategory.EQUIPMENT, Severity.MINOR, "接头材质不耐老化。"),
        actions=[(ActionKind.CORRECTIVE, "更换为不锈钢接头。", "executor_a", 4)],
    ),
    Plan(
        "中心花园喷灌接头渗漏",
        "中心花园喷灌主管接头渗漏。",
        Stage.CLOSED,
        110,
        open_days=14,
        area="G1",
        cause=(CauseCategory.EQUIPMENT, Severity.MINOR, "冬季冻裂后未更换。"),
        actions=[(ActionKind.CORRECTION, "更换接头。", "executor_a", 4)],
    ),
    Plan(
        "门岗登记不规范",
        "访客登记信息不全，未核对证件。",
        Stage.CLOSED,
        45,
        open_days=6,
        area="M1",
        cause=(CauseCategory.PEOPLE, Severity.MINOR, "新入职保安未培训。"),
        actions=[(ActionKind.CORRECTIVE, "组织门岗登记培训并抽查。", "engineer_a", 3)],
        reopened=True,
    ),
    Plan(
        "重复登记的电梯故障",
        "与已处理的电梯故障重复。",
        Stage.CANCELLED,
        8,
        area="3",
        cancelled_reason="与前一条不合格项重复登记。",
    ),
]


def _users() -> dict[str, Any]:
    names = ["pm_a", "qamgr", "qastaff", "executor_a", "engineer_a"]
    return {user.username: user for user in get_user_model().objects.filter(username__in=names)}


def _walk(plan: Plan, project: Project, users: dict[str, Any]) -> Nonconformity:
    item = None
    if plan.origin == Origin.PATROL:
        item = (
            FeedbackItem.objects.filter(project=project, channel=Channel.PATROL)
            .order_by("registered_at")
            .first()
        )
    area = Building.objects.filter(project=project, code=plan.area).first() if plan.area else None
    nc = services.nonconformity_create(
        actor=users["qamgr"],
        data=services.NonconformityInput(
            project=project,
            origin=plan.origin if item is not None or plan.origin != Origin.PATROL else Origin.MANUAL,
            title=f"{MARK}{plan.title}",
            description=plan.description,
            item=item,
            area=area or (item.building if item is not None else None),
        ),
    )
    pm = users["pm_a"]
    if plan.stage == Stage.CANCELLED:
        return services.nonconformity_cancel(actor=pm, nonconformity=nc, reason=plan.cancelled_reason)
    if plan.stage == Stage.DRAFT:
        return nc
    nc = services.nonconformity_take_up(actor=pm, nonconformity=nc)
    if plan.stage == Stage.ANALYSIS:
        return nc
    category, severity, cause = plan.cause
    nc = services.nonconformity_analyse(
        actor=pm, nonconformity=nc, cause_category=category, severity=severity, cause=cause
    )
    today = timezone.localdate()
    for kind, what, owner, _due in plan.actions:
        services.nonconformity_action_add(
            actor=pm,
            nonconformity=nc,
            kind=kind,
            description=what,
            owner=users[owner],
            due_on=today + timedelta(days=30),  # the real deadline is set when moved back in time
        )
    if plan.stage == Stage.ACTION_PLAN:
        return nc
    nc = services.nonconformity_start(actor=pm, nonconformity=nc)
    if plan.stage == Stage.IN_PROGRESS:
        return nc
    for action in nc.actions.all():
        services.nonconformity_action_done(actor=action.owner, action=action, result="已完成，现场复查合格。")
    nc = services.nonconformity_to_verification(actor=pm, nonconformity=nc)
    if plan.stage == Stage.VERIFICATION:
        return nc
    nc = services.nonconformity_verify(
        actor=users["qastaff"],
        nonconformity=nc,
        verification=services.Verification(
            evidence="现场复查三次均合格，照片存档。", result=VerificationResult.EFFECTIVE
        ),
    )
    if plan.reopened:
        nc = services.nonconformity_reopen(
            actor=users["qamgr"], nonconformity=nc, reason="同类问题再次发生。"
        )
        nc = services.nonconformity_to_verification(actor=pm, nonconformity=nc)
        nc = services.nonconformity_verify(
            actor=users["qastaff"],
            nonconformity=nc,
            verification=services.Verification(evidence="补充培训后抽查合格。"),
        )
    return nc


def _back_in_time(nc: Nonconformity, plan: Plan, now: datetime) -> None:
    """Move the record `days_ago` back (a closed one raised `open_days` before its close), and set each
    action's real deadline relative to the raise."""
    shift = timedelta(days=plan.days_ago)
    stamps = [
        "analysed_at",
        "planned_at",
        "started_at",
        "verification_at",
        "verified_at",
        "closed_at",
        "cancelled_at",
    ]
    Nonconformity.objects.filter(pk=nc.pk).update(
        raised_at=F("raised_at") - shift, **{name: F(name) - shift for name in stamps}
    )
    if plan.open_days:
        Nonconformity.objects.filter(pk=nc.pk).update(
            raised_at=F("closed_at") - timedelta(days=plan.open_days)
        )
    NonconformityEvent.objects.filter(nonconformity=nc).update(at=F("at") - shift)
    raised_on = timezone.localdate(now - shift)
    for action, (_kind, _what, _owner, due) in zip(nc.actions.order_by("id"), plan.actions, strict=True):
        due_on = (
            timezone.localdate(now) + timedelta(days=due)
            if plan.stage == Stage.IN_PROGRESS
            else raised_on + timedelta(days=due)
        )
        NonconformityAction.objects.filter(pk=action.pk).update(
            due_on=due_on, done_at=F("done_at") - shift if action.done_at else None
        )


@transaction.atomic
def seed_quality(*, now: datetime | None = None) -> dict[str, int]:
    """Nonconformities at every stage for the demo project; nothing when they exist already or the demo
    project or its accounts are missing."""
    now = now or timezone.now()
    project = Project.objects.select_related("branch").filter(code=PROJECT).first()
    users = _users()
    if project is None or len(users) < 5:
        return {"nonconformities": 0}
    if Nonconformity.objects.filter(project=project, title__startswith=MARK).exists():
        return {"nonconformities": 0}
    made = 0
    for plan in PLANS:
        nc = _walk(plan, project, users)
        _back_in_time(nc, plan, now)
        made += 1
    return {"nonconformities": made}
