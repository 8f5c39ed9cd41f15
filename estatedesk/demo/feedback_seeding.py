"""Demo feedback: a few hundred items over the last 60 days across the three demo projects, registered
and walked along the R-FB path through the feedback services, as the demo accounts would have done.

- Every item is registered with `services.feedback_item_register`, on the channel it came in on, by the
  account that would have taken it (or by nobody, for QR codes and the complaint mailbox).
- Every item is walked along with `services.feedback_item_step` by its project's team; older items are
  further along. 海景花园 (QD-HJ) is worked by the demo accounts; 绿溪苑 and 泉城公馆 by a team of their own
  that nobody signs in as (unusable passwords; 泉城公馆's CS supervisor is the `outsider` account).
- A well-run company with some trouble: most items are handled within their deadlines, a few percent are
  overdue (a late contact, a job waiting for its executor), a few escalated.
- Ratings match what the customer wrote: an A comes with thanks, a C with a complaint.
- The services stamp each step with the current time; the demo history is then moved back to when the
  steps would have happened (a demo-only rewrite of timestamps, in bulk).
- One SLA sweep at the end escalates what is overdue.

Idempotent: nothing is done when the demo projects already have items. Deterministic apart from "now".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.demo import notification_seeding
from estatedesk.feedback import clocks, escalation, services
from estatedesk.feedback.choices import (
    PATROL_CATEGORIES,
    Category,
    Channel,
    EventKind,
    Kind,
    Priority,
    TalkKind,
)
from estatedesk.feedback.intake import registration
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, StaffTalk, TimelineEvent
from estatedesk.feedback.workflow import STEPS
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Building, Department, Membership, Project
from estatedesk.owners.models import Occupancy, Resident

DAYS = 60
ITEMS_PER_PROJECT = {"QD-HJ": 130, "QD-LX": 45, "JN-QC": 45}
TEAM_PROJECT = "QD-HJ"  # the project of the demo accounts (and of owner_a)

# Who works each project: role in the walk -> username. QD-HJ's are the demo accounts; the others are a
# stand-in team, made here with unusable passwords (display name, Role, department kind).
TEAMS: dict[str, dict[str, str]] = {
    "QD-HJ": {
        "agent": "agent_a",
        "supervisor": "supervisor_a",
        "pm": "pm_a",
        "engineer": "engineer_a",
        "executor": "executor_a",
    },
    "QD-LX": {
        "agent": "lx_agent",
        "supervisor": "lx_supervisor",
        "pm": "lx_pm",
        "engineer": "lx_engineer",
        "executor": "lx_executor",
    },
    "JN-QC": {
        "agent": "qc_agent",
        "supervisor": "outsider",
        "pm": "qc_pm",
        "engineer": "qc_engineer",
        "executor": "qc_executor",
    },
}
STAND_INS: dict[str, tuple[str, str, str]] = {
    "lx_agent": ("杨客服专员", Role.CS_AGENT, DepartmentKind.CUSTOMER_SERVICE),
    "lx_supervisor": ("黄客服主管", Role.CS_SUPERVISOR, DepartmentKind.CUSTOMER_SERVICE),
    "lx_pm": ("林项目经理", Role.PROJECT_MANAGER, ""),
    "lx_engineer": ("郭工程主管", Role.DEPT_SUPERVISOR, DepartmentKind.ENGINEERING),
    "lx_executor": ("何维修工", Role.EXECUTOR, DepartmentKind.ENGINEERING),
    "qc_agent": ("罗客服专员", Role.CS_AGENT, DepartmentKind.CUSTOMER_SERVICE),
    "qc_pm": ("梁项目经理", Role.PROJECT_MANAGER, ""),
    "qc_engineer": ("谢工程主管", Role.DEPT_SUPERVISOR, DepartmentKind.ENGINEERING),
    "qc_executor": ("宋维修工", Role.EXECUTOR, DepartmentKind.ENGINEERING),
}

# What a customer writes with each rating (A satisfied, B fairly satisfied, C dissatisfied); "" writes
# nothing. A praising comment never comes with a C, nor a complaint with an A.
RATING_COMMENTS: dict[str, list[str]] = {
    "A": ["", "处理及时，谢谢。", "师傅很专业，问题一次解决，非常满意。", "客服回复很快，态度也好。"],
    "B": ["", "问题解决了，就是等的时间有点长。", "基本满意，希望以后更快一些。"],
    "C": ["等了好几天才有人来，很不满意。", "问题没有彻底解决，还要再修。", "维修人员态度不好，很不满意。"],
}

# (kind, category, title, description): what residents of a Chinese estate raise
TEMPLATES: list[tuple[str, str, str, str]] = [
    (Kind.REPAIR, Category.ENGINEERING, "楼道灯不亮", "单元楼道三层到五层的声控灯不亮，晚上上下楼很不方便。"),
    (
        Kind.REPAIR,
        Category.ENGINEERING,
        "卫生间漏水",
        "卫生间天花板渗水，怀疑楼上防水层损坏，请尽快派人查看。",
    ),
    (Kind.REPAIR, Category.ENGINEERING, "电梯异响", "电梯运行时有明显异响，停靠时晃动，担心安全。"),
    (Kind.REPAIR, Category.ENGINEERING, "单元门禁坏了", "单元门禁刷卡没有反应，门一直关不上。"),
    (Kind.REPAIR, Category.ENGINEERING, "水压太低", "最近一周早晚用水高峰水压很低，热水器无法启动。"),
    (Kind.REPAIR, Category.ENGINEERING, "地库排水沟堵塞", "地下车库排水沟堵塞，下雨后积水严重。"),
    (Kind.REPAIR, Category.GREENING, "树枝遮挡窗户", "楼前的树枝已经长到窗边，遮挡采光，请修剪。"),
    (Kind.COMPLAINT, Category.ORDER, "夜间噪音扰民", "楼下商铺夜里十一点后仍在装修，噪音很大。"),
    (Kind.COMPLAINT, Category.ORDER, "车辆乱停占用消防通道", "小区南门消防通道经常被外来车辆占用。"),
    (Kind.COMPLAINT, Category.ORDER, "外来人员随意进出", "门岗对外来人员不登记，小区安全没有保障。"),
    (Kind.COMPLAINT, Category.CLEANING, "垃圾清运不及时", "垃圾桶已经满了两天没有清运，气味很大。"),
    (Kind.COMPLAINT, Category.CLEANING, "楼道卫生差", "楼道地面很久没有拖过，扶手上都是灰。"),
    (Kind.COMPLAINT, Category.GREENING, "绿化带杂草丛生", "中心花园绿化带杂草很高，蚊虫很多。"),
    (Kind.COMPLAINT, Category.STAFF_ATTITUDE, "保安态度恶劣", "晚上回家时门岗保安说话很不客气，还不让进门。"),
    (Kind.COMPLAINT, Category.STAFF_ATTITUDE, "客服电话态度差", "打客服电话反映问题，接电话的人很不耐烦。"),
    (Kind.COMPLAINT, Category.FEES, "物业费账单有误", "本季度物业费账单金额和往年不一致，请核对。"),
    (Kind.COMPLAINT, Category.ENGINEERING, "维修迟迟不上门", "上周报修的水管问题到现在还没有人来处理。"),
    (Kind.COMPLAINT, Category.CUSTOMER_SERVICE, "投诉没有回复", "上次反映的问题一直没有人回复处理结果。"),
    (Kind.SUGGESTION, Category.GREENING, "建议增加休息座椅", "中心花园老人较多，建议增加几组休息座椅。"),
    (Kind.SUGGESTION, Category.ORDER, "建议增设快递柜", "快递经常堆在门岗，建议在南门增设快递柜。"),
    (Kind.SUGGESTION, Category.OTHER, "建议增加充电桩", "电动车越来越多，建议在地库增加充电桩。"),
    (Kind.INQUIRY, Category.FEES, "物业费缴费方式", "请问物业费可以在网上缴纳吗？有没有优惠？"),
    (
        Kind.INQUIRY,
        Category.CUSTOMER_SERVICE,
        "装修需要办理什么手续",
        "准备装修，请问需要在物业办理哪些手续？",
    ),
    (Kind.INQUIRY, Category.OTHER, "停水通知", "听说下周要停水，请问具体是哪天几点？"),
    (
        Kind.PRAISE,
        Category.CUSTOMER_SERVICE,
        "感谢客服热心帮助",
        "客服小陈帮忙联系了维修，非常及时，特此表扬。",
    ),
    (Kind.PRAISE, Category.CLEANING, "保洁阿姨认真负责", "我们单元的保洁阿姨每天都打扫得很干净，谢谢。"),
]
MAJOR = [
    ("电梯困人", "2 号楼电梯突然停运，两名住户被困约二十分钟。", True, False),
    ("地库大面积进水", "暴雨后地下车库大面积进水，多辆车被淹。", True, False),
    ("多户业主联名投诉停车收费", "二十多户业主联名投诉停车费上涨，准备集体到物业办公室反映。", False, True),
    ("业主在业主群集中反映供暖不热", "多名业主在业主群反映供暖温度不达标，情绪较大。", False, True),
    ("外墙瓷砖脱落", "5 号楼外墙瓷砖脱落砸坏楼下车辆，所幸无人受伤。", True, True),
]
CHANNELS = [
    (Channel.HOTLINE, 35),
    (Channel.WALK_IN, 14),
    (Channel.QR, 14),
    (Channel.EMAIL, 10),
    (Channel.PATROL, 10),
    (Channel.CLIENT_VISIT, 5),
]
PRIORITIES = [(Priority.NORMAL, 80), (Priority.HIGH, 10), (Priority.URGENT, 5), (Priority.LOW, 5)]
HOW = ["phone", "phone", "phone", "sms", "in_person", "email"]

# minutes after the step before (a few contacts are late, so the SLA figures are not all green)
STEP_DELAYS = {
    "contact_supervisor": (10, 55),
    "record_opinion": (30, 240),
    "arrange": (5, 35),  # "at once" after the opinion: 30 minutes by default, most made in time
    "start": (10, 60),
    "complete": (60, 1440),
    "inform_cs": (5, 60),
    "inform_customer": (10, 240),
    "close": (60, 2880),
    "answer": (5, 50),
    "cancel": (30, 120),
}
FULL_PATH = [
    "contact_supervisor",
    "record_opinion",
    "arrange",
    "start",
    "complete",
    "inform_cs",
    "inform_customer",
    "close",
]


@dataclass
class Plan:
    project: Project
    registered_at: datetime
    actor: Any
    values: dict[str, Any]
    owner_item: bool = False


@dataclass
class Walked:
    item: FeedbackItem
    times: list[datetime] = field(default_factory=list)  # one per event written after registration
    stamps: dict[str, datetime | None] = field(default_factory=dict)  # item fields to move back
    talk_at: datetime | None = None
    rated_at: datetime | None = None


PATROL_TEMPLATES = [template for template in TEMPLATES if template[1] in PATROL_CATEGORIES]


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def _registered_at(rng: random.Random, now: datetime) -> datetime:
    """A moment in the last 60 days, mostly in the service centre's hours."""
    day = timezone.localtime(now).date() - timedelta(days=rng.randrange(DAYS))
    hour = rng.choice([7, 8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 18, 19, 20, 21, 22])
    moment = datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=timezone.get_current_timezone()
    )
    return min(moment, now - timedelta(minutes=rng.randrange(5, 90)))


def _stand_in_teams(projects: dict[str, Project]) -> None:
    """The staff of the projects without demo accounts: members of their project who cannot sign in."""
    User = get_user_model()
    for code, team in TEAMS.items():
        project = projects[code]
        for username in team.values():
            if username not in STAND_INS:
                continue
            display_name, role, department_kind = STAND_INS[username]
            user, created = User.objects.get_or_create(
                username=username, defaults={"display_name": display_name}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            department = (
                Department.objects.filter(project=project, kind=department_kind).first()
                if department_kind
                else None
            )
            Membership.objects.get_or_create(
                user=user,
                role=role,
                level=ScopeLevel.PROJECT,
                company=project.branch.company,
                branch=None,
                project=project,
                defaults={"department": department},
            )


def _users() -> dict[str, Any]:
    """The accounts that take part, by username (each fetched once, so its scope is computed once)."""
    names = {name for team in TEAMS.values() for name in team.values()} | {"owner_a", "qastaff", "qamgr"}
    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}


def _plans(
    rng: random.Random, projects: dict[str, Project], users: dict[str, Any], now: datetime
) -> list[Plan]:
    owner = Resident.objects.filter(user=users["owner_a"]).first() if "owner_a" in users else None
    owner_unit = (
        Occupancy.objects.filter(resident=owner, ended_on__isnull=True)
        .select_related("unit__building")
        .first()
        if owner
        else None
    )
    # who registers a call or a visit at each project: its CS agent; a patrol finding: its engineering
    # supervisor (R-CS-5)
    desk = {code: users.get(team["agent"]) for code, team in TEAMS.items()}
    patrol = {code: users.get(team["engineer"]) for code, team in TEAMS.items()}
    plans: list[Plan] = []
    for code, count in ITEMS_PER_PROJECT.items():
        project = projects[code]
        occupants = list(
            Occupancy.objects.filter(unit__project=project, ended_on__isnull=True)
            .exclude(resident__user__isnull=False)
            .select_related("resident", "unit__building")
            .order_by("id")
        )
        buildings = list(Building.objects.filter(project=project).order_by("code"))
        for number in range(count):
            kind, category, title, description = rng.choice(TEMPLATES)
            channel = _weighted(rng, CHANNELS)
            values: dict[str, Any] = {
                "channel": channel,
                "kind": kind,
                "category": category,
                "title": title,
                "description": description,
                "priority": _weighted(rng, PRIORITIES),
                "is_quality_problem": kind in (Kind.REPAIR, Kind.COMPLAINT)
                and category != Category.STAFF_ATTITUDE
                and rng.random() < 0.15,
                "is_paid_service": kind == Kind.REPAIR and rng.random() < 0.1,
            }
            actor = desk[code]
            if number < len(MAJOR) and code != "JN-QC":
                title, description, is_major, is_hot = MAJOR[number]
                values.update(
                    title=title,
                    description=description,
                    is_major=is_major,
                    is_hot=is_hot,
                    kind=Kind.COMPLAINT,
                    category=Category.ENGINEERING if is_major else Category.FEES,
                    channel=Channel.HOTLINE,
                    priority=Priority.URGENT if is_major else Priority.HIGH,
                )
                channel = Channel.HOTLINE
            if channel in (Channel.HOTLINE, Channel.WALK_IN, Channel.CLIENT_VISIT) and occupants:
                occupant = rng.choice(occupants)
                values.update(resident=occupant.resident, unit=occupant.unit)
            elif channel in (Channel.QR, Channel.EMAIL):
                actor = None  # nobody signs in to scan a QR code or to write to the mailbox
                values.update(
                    building=rng.choice(buildings) if buildings else None,
                    contact_name=rng.choice("王李张刘陈杨黄赵吴周") + "先生",
                    contact_phone="139" + "".join(str(rng.randrange(10)) for _ in range(8)),
                )
                if channel == Channel.EMAIL:
                    values["contact_email"] = f"resident{rng.randrange(1000, 9999)}@example.invalid"
            else:  # a patrol finding, or a call about a common area
                actor = patrol[code]
                values.update(building=rng.choice(buildings) if buildings else None, location_note="巡查发现")
                if channel == Channel.PATROL and values["category"] not in PATROL_CATEGORIES:
                    # R-CS-5: what a patrol finds goes to order, greening, cleaning, engineering or service
                    kind, category, title, description = rng.choice(PATROL_TEMPLATES)
                    values.update(kind=kind, category=category, title=title, description=description)
            if actor is None and channel not in (Channel.QR, Channel.EMAIL):
                continue
            plans.append(Plan(project, _registered_at(rng, now), actor, values))
        if code == TEAM_PROJECT and owner is not None and owner_unit is not None:
            for kind, category, title, description in rng.sample(TEMPLATES[:18], 14):
                values = {
                    "channel": Channel.PORTAL,
                    "kind": kind,
                    "category": category,
                    "title": title,
                    "description": description,
                    "resident": owner,
                    "unit": owner_unit.unit,
                }
                plans.append(
                    Plan(project, _registered_at(rng, now), users["owner_a"], values, owner_item=True)
                )
    plans.sort(key=lambda plan: plan.registered_at)
    return plans


def _walk(
    rng: random.Random,
    item: FeedbackItem,
    team: dict[str, Any],
    owner: Any,
    now: datetime,
    owner_item: bool,
) -> Walked:
    """Take the item as far along the path as its age allows, as its project's team would have: nearly
    every older item is done; a few are stuck (a job waiting for its executor: some trouble)."""
    walked = Walked(item)
    age_days = (now - item.registered_at).days
    draw = rng.random()
    if draw < 0.04:
        path = ["cancel"]
    elif item.kind in (Kind.INQUIRY, Kind.PRAISE) and draw < 0.8:
        path = ["answer", "close"] if age_days > 2 and rng.random() < 0.7 else ["answer"]
    elif age_days > 10:
        path = FULL_PATH[: rng.choice([8] * 15 + [7, 7, 7, 4])]
    elif age_days > 2:
        path = FULL_PATH[: rng.choice([8, 8, 8, 8, 8, 7, 7, 7, 7, 4])]
    else:  # the last two days: as far as the time since registration allows
        path = FULL_PATH[: rng.choice([8, 8, 7, 7, 6, 5, 3])]
    engineering = item.category in (Category.ENGINEERING, Category.GREENING)
    supervisor = team["engineer"] if engineering else team["supervisor"]
    at = item.registered_at
    for step in path:
        low, high = STEP_DELAYS[step]
        if step == "contact_supervisor" and rng.random() < 0.08:
            low, high = 65, 300  # contacted late
        elif step in ("arrange", "start") and item.is_quality_problem:
            # R-FB-4: a concrete quality problem is acted on within 30 minutes of the opinion; most are
            low, high = (3, 14) if rng.random() < 0.9 else (20, 60)
        at += timedelta(minutes=rng.randint(low, high))
        if at >= now:
            break
        if step == "close" and item.category == Category.STAFF_ATTITUDE:
            services.staff_talk_record(
                actor=team["pm"],
                item=item,
                employee_name=rng.choice(["刘保安", "孙客服", "高保安"]),
                kind=rng.choice([TalkKind.TALK, TalkKind.CRITICISM]),
                notes="已与当事员工谈话，要求其改进服务态度，并在班前会上通报。",
            )
            walked.talk_at = at - timedelta(minutes=30)
            walked.times.append(walked.talk_at)
        actor, note, data = _step_input(rng, step, team, supervisor)
        before = {column: getattr(item, column) for column in STEP_COLUMNS}
        item = services.feedback_item_step(
            actor=actor, item=item, step=step, version=item.version, note=note, data=data
        )
        walked.times.append(at)
        walked.stamps.update(_moved(item, before, at))
        if step in ("inform_customer", "answer") and owner_item and owner is not None and rng.random() < 0.9:
            rating = rng.choice(["A", "A", "A", "A", "B", "B", "C"])
            item = services.feedback_item_rate(
                actor=owner, item=item, rating=rating, comment=rng.choice(RATING_COMMENTS[rating])
            )
            walked.rated_at = min(at + timedelta(minutes=rng.randint(30, 600)), now - timedelta(minutes=1))
            walked.times.append(walked.rated_at)
    walked.item = item
    return walked


# the item's columns the steps set (workflow.STEPS: their timestamps, the clocks they start and stop)
DUE_COLUMNS = {due: clock for clock, (due, _done) in clocks.CLOCK_COLUMNS.items()}
STEP_COLUMNS = tuple(
    sorted(
        {column for pair in clocks.CLOCK_COLUMNS.values() for column in pair}
        | {column for step in STEPS.values() for column in step.stamps}
    )
)


def _moved(item: FeedbackItem, before: dict[str, Any], at: datetime) -> dict[str, datetime | None]:
    """The columns a step just set, as they would have been had it been taken `at`: its time, or a clock
    it started counted from then."""
    moved = {}
    for column, value in before.items():
        if value is None and getattr(item, column) is not None:
            clock = DUE_COLUMNS.get(column)
            moved[column] = clocks.due_for(item, clock, at) if clock else at
    return moved


def _step_input(
    rng: random.Random, step: str, team: dict[str, Any], supervisor: Any
) -> tuple[Any, str, dict[str, Any]]:
    if step == "contact_supervisor":
        return team["agent"], "", {"supervisor_id": supervisor.pk}
    if step == "record_opinion":
        return supervisor, "已到现场核实情况，安排相关部门处理。", {}
    if step == "arrange":
        return team["pm"], "", {"executor_id": team["executor"].pk}
    if step in ("start", "inform_cs"):
        return team["executor"], "", {}
    if step == "complete":
        return team["executor"], "已处理完毕，现场已恢复。", {}
    if step == "inform_customer":
        return team["agent"], "已告知业主处理结果。", {"how": rng.choice(HOW)}
    if step == "answer":
        return team["agent"], "已电话答复业主。", {"how": "phone"}
    if step == "cancel":
        return team["supervisor"], "重复登记，与之前的记录为同一问题。", {}
    return team["agent"], "", {}  # close


def _backdate(walked: list[Walked]) -> None:
    """Move the history of the walked items back to when it would have happened: four bulk updates."""
    events: list[TimelineEvent] = []
    items: list[FeedbackItem] = []
    talks: list[StaffTalk] = []
    by_item = {w.item.pk: w for w in walked if w.times}
    rows = (
        TimelineEvent.objects.filter(item_id__in=list(by_item))
        .exclude(kind__in=[EventKind.REGISTERED, EventKind.MAJOR_ALERT])
        .order_by("item_id", "id")
    )
    position: dict[int, int] = {}
    for event in rows:
        index = position.get(event.item_id, 0)
        times = by_item[event.item_id].times
        if index < len(times):
            event.at = times[index]
            events.append(event)
        position[event.item_id] = index + 1
    for each in by_item.values():
        for name, at in each.stamps.items():
            setattr(each.item, name, at)
        each.item.escalation_due_at = clocks.first_escalation_check(each.item) if each.item.is_open else None
        each.item.updated_at = max(each.times)
        items.append(each.item)
    records = list(ExecutionRecord.objects.filter(item_id__in=list(by_item)))
    for record in records:  # filled in by the steps and the rating: when they would have been
        each = by_item[record.item_id]
        record.executed_at = each.stamps.get("handled_at", record.executed_at)
        record.customer_acceptance_at = each.rated_at or record.customer_acceptance_at
    for talk in StaffTalk.objects.filter(item_id__in=list(by_item)):
        talk_at = by_item[talk.item_id].talk_at
        if talk_at is not None:
            talk.recorded_at = talk_at
            talks.append(talk)
    TimelineEvent.objects.bulk_update(events, ["at"], batch_size=500)
    FeedbackItem.objects.bulk_update(
        items, [*STEP_COLUMNS, "escalation_due_at", "updated_at"], batch_size=500
    )
    ExecutionRecord.objects.bulk_update(records, ["executed_at", "customer_acceptance_at"], batch_size=500)
    StaffTalk.objects.bulk_update(talks, ["recorded_at"], batch_size=500)


def seed_feedback() -> dict[str, int]:
    projects = {
        p.code: p
        for p in Project.objects.filter(code__in=list(ITEMS_PER_PROJECT)).select_related(
            "branch__company", "service_calendar", "hotline_calendar"
        )
    }
    if (
        len(projects) < len(ITEMS_PER_PROJECT)
        or FeedbackItem.objects.filter(project__in=projects.values()).exists()
    ):
        return {"feedback_items": 0, "escalations": 0}
    services.seed_sla_policies(company=projects[TEAM_PROJECT].branch.company)
    rng = random.Random("feedback-demo")  # noqa: S311 - demo data, not security
    now = timezone.now()
    _stand_in_teams(projects)
    users = _users()
    teams = {
        code: {role: users[name] for role, name in team.items()}
        for code, team in TEAMS.items()
        if all(name in users for name in team.values())
    }
    walked = []
    for plan in _plans(rng, projects, users, now):
        item = registration.feedback_item_register(
            actor=plan.actor,
            data=registration.ItemInput(project=plan.project, **plan.values),
            registered_at=plan.registered_at,
        )
        if plan.project.code in teams:
            walked.append(
                _walk(rng, item, teams[plan.project.code], users.get("owner_a"), now, plan.owner_item)
            )
    _backdate(walked)
    _mailbox(projects[TEAM_PROJECT])
    escalations = escalation.sla_sweep(now=now)
    notification_seeding.settle_notifications(now=now)  # issue 11: not hundreds unread
    return {"feedback_items": FeedbackItem.objects.count(), "escalations": escalations}


def _mailbox(project: Project) -> None:
    """The demo project's complaint mailbox with a few messages already fetched: complaints in UTF-8, GBK
    and Big5, an owner's reply threaded onto their item, and an auto-reply that was ignored. The mailbox
    is inactive (no IMAP server runs in the demo); the tests poll a real Dovecot server."""
    from email.message import EmailMessage

    from estatedesk.feedback.intake.mailbox import inbound_message_process
    from estatedesk.feedback.models import Mailbox

    mailbox, _ = Mailbox.objects.get_or_create(
        project=project,
        defaults={
            "host": "127.0.0.1",
            "port": 143,
            "use_ssl": False,
            "username": project.complaint_email or "demo",
            "password": "demo",
            "is_active": False,
        },
    )

    def message(number: int, sender: str, subject: str, body: str, charset: str, **headers: str) -> bytes:
        mail = EmailMessage()
        mail["From"] = sender
        mail["To"] = project.complaint_email or "complaints@estatedesk.invalid"
        mail["Subject"] = subject
        mail["Message-ID"] = f"<demo-{number}@estatedesk.invalid>"
        for name, value in headers.items():
            mail[name.replace("_", "-")] = value
        mail.set_content(body, charset=charset)
        return bytes(mail)

    complaints = [
        (
            1,
            "王先生 <wang.demo@example.invalid>",
            "3号楼电梯经常停运",
            "3号楼2单元电梯这周停了三次，老人上下楼很困难，请尽快维修。",
            "utf-8",
        ),
        (
            2,
            "李女士 <li.demo@example.invalid>",
            "地下车库积水",
            "昨晚下雨后地下车库B区积水很深，车辆无法进出。",
            "gbk",
        ),
        (
            3,
            "陳先生 <chen.demo@example.invalid>",
            "園區綠化修剪",
            "中心花園的樹木太茂密，擋住了一樓的采光，請安排修剪。",
            "big5",
        ),
    ]
    for number, sender, subject, body, charset in complaints:
        inbound_message_process(
            mailbox=mailbox, raw=message(number, sender, subject, body, charset), uid=f"demo:{number}"
        )
    inbound_message_process(
        mailbox=mailbox,
        raw=message(
            4,
            "王先生 <wang.demo@example.invalid>",
            "Re: 3号楼电梯经常停运",
            "今天又停了一次，请尽快处理。",
            "utf-8",
            In_Reply_To="<demo-1@estatedesk.invalid>",
        ),
        uid="demo:4",
    )
    inbound_message_process(
        mailbox=mailbox,
        raw=message(
            5,
            "李女士 <li.demo@example.invalid>",
            "自动回复：地下车库积水",
            "我正在休假，回来后回复您。",
            "utf-8",
            Auto_Submitted="auto-replied",
        ),
        uid="demo:5",
    )
