"""Demo client visits (R-CS-1): per demo project, the CS supervisor's regular visits to the developer (one
made two months ago with its follow-up done, one last month whose next visit is planned, and at 海景花园
one whose follow-up is overdue), an ad-hoc visit to the owners' committee or an institution that raised a
feedback item, an ad-hoc visit planned for next week, and at 海景花园 a cancelled one.

Made through the client-visit services as the project's CS supervisor and project manager would have; the
dates they stamp (creation, follow-up done) are then moved back to when it would have happened (demo only).
Run it after `seed_feedback` (the stand-in teams of 绿溪苑 and 泉城公馆 are made there; the feedback items
raised here come after the demo's feedback history).

Idempotent: a project that already has client visits gets none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.demo.feedback_seeding import TEAMS
from estatedesk.feedback.choices import Category, Kind
from estatedesk.org.models import Project
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientKind, ClientVisitKind
from estatedesk.visits.models import ClientVisit

# per project: (client kind, name, contact person) of the developer and of the other client
CLIENTS: dict[str, list[tuple[str, str, str]]] = {
    "QD-HJ": [
        (ClientKind.DEVELOPER, "青岛海景置业有限公司", "王经理"),
        (ClientKind.OWNERS_COMMITTEE, "海景花园业主委员会", "赵主任"),
    ],
    "QD-LX": [
        (ClientKind.DEVELOPER, "绿溪房地产开发有限公司", "孙经理"),
        (ClientKind.OWNERS_COMMITTEE, "绿溪苑业主委员会", "周主任"),
    ],
    "JN-QC": [
        (ClientKind.DEVELOPER, "泉城置业集团", "吴总"),
        (ClientKind.INSTITUTION, "历下区实验小学", "郑校长"),
    ],
}


@dataclass(frozen=True)
class DemoVisit:
    client: int  # index into CLIENTS[project]
    kind: str
    planned_days_ago: int  # negative: in the future
    visited_days_ago: int | None = None  # None: not visited
    attendees: str = ""
    raised: str = ""
    follow_up: str = ""
    follow_up_days: int = 0  # due this many days after the visit
    follow_up_done: bool = False
    plan_next: bool = False  # a regular visit that plans the next one
    raise_item: tuple[str, str, str] | None = None  # (kind, category, description)
    cancelled: str = ""
    only_at: tuple[str, ...] = field(default_factory=tuple)  # project codes; empty: every project


VISITS: list[DemoVisit] = [
    DemoVisit(
        0,
        ClientVisitKind.REGULAR,
        planned_days_ago=62,
        visited_days_ago=61,
        attendees="开发商工程部、物业项目经理、客服主管",
        raised="交付遗留问题：3 号楼外墙渗水尚未维修；希望物业汇总业主报修的房屋质量问题。",
        follow_up="汇总近三个月业主报修的房屋质量问题，发给开发商工程部。",
        follow_up_days=10,
        follow_up_done=True,
    ),
    DemoVisit(
        0,
        ClientVisitKind.REGULAR,
        planned_days_ago=31,
        visited_days_ago=30,
        attendees="开发商客服部、客服主管",
        raised="开发商关注近期业主满意度；询问地下车库照明改造进度。",
        follow_up="提供本月满意度统计，并答复车库照明改造进度。",
        follow_up_days=7,
        follow_up_done=True,
        plan_next=True,
        only_at=("QD-LX", "JN-QC"),
    ),
    DemoVisit(
        0,
        ClientVisitKind.REGULAR,
        planned_days_ago=31,
        visited_days_ago=29,
        attendees="开发商客服部、物业项目经理、客服主管",
        raised="开发商关注近期业主满意度；询问地下车库照明改造进度；希望物业协助组织交房一周年活动。",
        follow_up="提供本月满意度统计，答复车库照明改造进度，提交周年活动方案。",
        follow_up_days=10,
        plan_next=True,
        only_at=("QD-HJ",),
    ),
    DemoVisit(
        1,
        ClientVisitKind.AD_HOC,
        planned_days_ago=9,
        visited_days_ago=8,
        attendees="客服主管、客服专员",
        raised="反映中心花园儿童游乐设施有松动，担心孩子安全；希望增加夜间巡逻。",
        follow_up="安排工程部检查游乐设施，十天内书面答复。",
        follow_up_days=10,
        raise_item=(
            Kind.COMPLAINT,
            Category.ENGINEERING,
            "中心花园儿童游乐设施松动，存在安全隐患，请尽快检修。",
        ),
    ),
    DemoVisit(1, ClientVisitKind.AD_HOC, planned_days_ago=-6),
    DemoVisit(
        1,
        ClientVisitKind.AD_HOC,
        planned_days_ago=20,
        cancelled="对方临时有会议，改期另约。",
        only_at=("QD-HJ",),
    ),
]


def _teams() -> dict[str, tuple[Any, Any]]:
    """(CS supervisor, project manager) of each demo project, when both accounts exist."""
    names = {code: (team["supervisor"], team["pm"]) for code, team in TEAMS.items()}
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=[n for pair in names.values() for n in pair])
    }
    return {
        code: (users[supervisor], users[pm])
        for code, (supervisor, pm) in names.items()
        if supervisor in users and pm in users
    }


def _local(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _make(*, project: Project, spec: DemoVisit, people: tuple[Any, Any], today: date) -> ClientVisit:
    supervisor, pm = people
    client_kind, name, contact = CLIENTS[project.code][spec.client]
    visit = clients.client_visit_plan(
        actor=pm if spec.kind == ClientVisitKind.REGULAR else supervisor,
        plan=clients.ClientVisitPlan(
            project=project,
            kind=spec.kind,
            client_kind=client_kind,
            client_name=name,
            contact_person=contact,
            planned_on=today - timedelta(days=spec.planned_days_ago),
            visitor=supervisor,
        ),
    )
    created = today - timedelta(days=max(spec.planned_days_ago, 0) + 5)
    ClientVisit.objects.filter(pk=visit.pk).update(
        created_at=_local(created, 9), updated_at=_local(created, 9)
    )
    if spec.cancelled:
        return clients.client_visit_cancel(actor=supervisor, visit=visit, reason=spec.cancelled)
    if spec.visited_days_ago is None:
        return visit
    visited_on = today - timedelta(days=spec.visited_days_ago)
    clients.client_visit_record(
        actor=supervisor,
        visit=visit,
        record=clients.ClientVisitRecord(
            visited_on=visited_on,
            attendees=spec.attendees,
            raised=spec.raised,
            follow_up=spec.follow_up,
            follow_up_due_on=visited_on + timedelta(days=spec.follow_up_days) if spec.follow_up else None,
            next_planned_on=clients.next_regular_on(visited_on) if spec.plan_next else None,
        ),
    )
    if spec.follow_up_done:
        clients.client_visit_follow_up_done(actor=supervisor, visit=visit)
        done_at = _local(visited_on + timedelta(days=max(spec.follow_up_days - 2, 1)), 16)
        ClientVisit.objects.filter(pk=visit.pk).update(follow_up_done_at=done_at, updated_at=done_at)
    if spec.raise_item is not None:
        kind, category, description = spec.raise_item
        clients.client_visit_raise_item(
            actor=supervisor,
            visit=visit,
            raised=clients.RaisedItem(kind=kind, category=category, description=description),
            idempotency_key=f"demo-client-visit-{visit.pk}",
        )
    return visit


def seed_client_visits(*, now: datetime | None = None) -> dict[str, int]:
    """A few done and planned client visits per demo project (see the module's docstring)."""
    today = timezone.localdate(now) if now is not None else clients.today()
    teams = _teams()
    projects = Project.objects.filter(code__in=list(CLIENTS)).select_related("branch__company")
    before = ClientVisit.objects.count()
    for project in projects:
        if project.code not in teams or ClientVisit.objects.filter(project=project).exists():
            continue
        for spec in VISITS:
            if spec.only_at and project.code not in spec.only_at:
                continue
            _make(project=project, spec=spec, people=teams[project.code], today=today)
    return {"client_visits": ClientVisit.objects.count() - before}  # with the next regular visits planned
