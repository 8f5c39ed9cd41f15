"""Demo reporting to HQ (issue 14: R-IR-1…8, R-CS-3, R-CS-4), walked through the reporting services by the
demo accounts, then moved back in time (as survey_seeding and quality_seeding do) so the scorecard has a
year to show:

- the catalogue of the procedure's table (catalogue_ensure); 济南分公司 (JN) opened half a year ago, so its
  expected reports start then; 青岛分公司 (QD) reports all year;
- a year of monthly reports (the last 12 months, this month's not due yet; expected_reports_make with
  `since`): each past month the branch's document administrator (`docadmin` for QD, a stand-in who
  cannot sign in for JN) drafts and submits the monthly business report and the monthly financial report
  (with its statement attached), and the yearly plan and training outline in January; most on time, a few
  late, QD's business report of one month returned by HQ and resubmitted, one never submitted (listed
  for HQ by the deadline sweep, the branch manager told); HQ (`hq`) accepts them with the rubric's
  levels; JN's last month awaits HQ's review and QD's report of this month is a draft;
- at 海景花园: a class-1 fire with its first report, a follow-up and the final report (accepted); a class-1
  theft reported within the hours and still open; a class-2 attempted theft (told in last month's
  business report);
- the hand-off of the latest major or hot complaint of 海景花园's feedback to HQ (R-IR-8);
- QD's proposal on the monthly report, accepted by HQ, who adds the field as the template's next version
  (the reports filed before keep the version they were filled in);
- one published issue of the newsletter 天泰物语 of accepted reports and a feedback item;
- pages of HQ's departments on the noticeboard; a formal document registered by HQ's document
  administrator (`hqdocadmin`) and forwarded to the general manager (read) and the leader (not read yet),
  and one sent to 海景花园's project manager;
- two community activities at 海景花园: one held (attendance, follow-up), one planned.

Idempotent: each part looks for what it made (the reports' statuses, the events' titles, the proposal,
the issue, the pages' and documents' titles); a second run adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from estatedesk.feedback import followups
from estatedesk.feedback.choices import EventKind, Kind, Status
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.services import feedback_item_report_to_hq
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Branch, Company, Department, Membership, Project, Unit
from estatedesk.reporting import activities, catalogue, expected, newsletter, noticeboard, proposals
from estatedesk.reporting import submissions as services
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus, UpdateKind
from estatedesk.reporting.emergencies import Facts
from estatedesk.reporting.models import (
    CommunityActivity,
    Document,
    DocumentDelivery,
    InformationType,
    NewsletterIssue,
    NoticePage,
    QualityLevel,
    ReportSubmission,
    ReportUpdate,
    RuleProposal,
)

WINDOW_MONTHS = 12  # a year of monthly reports: the 11 past months and this one
PROJECT = "QD-HJ"
OPEN_ALL_YEAR = "QD"
OPENED_MID_YEAR = "JN"
OPENED_MONTHS_AGO = 5  # JN opened on the 1st of the month five months before this one
REPORTERS = {"QD": "docadmin", "JN": "jn_docadmin"}
# JN has no demo login at branch level (every branch account of the demo is QD's): its document
# administrator is a stand-in who cannot sign in, as feedback_seeding's teams of the other projects
JN_DOC_ADMIN = ("jn_docadmin", "邓文件管理员")

# the business reports' story, by month index in the window (0 = the oldest month, 10 = last month)
QD_MISSING = 3
QD_LATE = (1, 6)
QD_RETURNED = 8
JN_LATE = (7,)
LAST_MONTH = WINDOW_MONTHS - 2
QD_LEVELS = ("优", "良", "良", "优", "中", "良", "优", "良", "中", "优", "良")
RETURN_REASON = "“客户投诉数”与“已处理投诉数”不一致，且未说明未处理投诉的原因；请核对后补充说明再报。"

FIRE_TITLE = "地下车库电动车充电起火"
THEFT_TITLE = "3号楼住户家中被盗"
ATTEMPT_TITLE = "地下车库储藏室门锁被撬（未遂）"
PROPOSAL_TEXT = (
    "建议在物业公司月报中增加“本月客户满意度”一栏（选填），与各项目的满意度征询结果对应，"
    "便于总部对照客户投诉数分析服务质量。"
)
SATISFACTION_FIELD = {
    "key": "satisfaction",
    "label": "本月客户满意度",
    "label_en": "Customer satisfaction this month",
    "type": "number",
    "required": False,
    "unit": "%",
    "choices": [],
}
DOCUMENT_IN = "关于开展住宅小区消防安全专项检查的通知"
DOCUMENT_OUT = "关于做好元旦、春节期间安全生产工作的通知"
NOTICES: tuple[tuple[str, str, str, str, int], ...] = (
    # author, department kind, title, text, days ago
    (
        "hq",
        DepartmentKind.HQ_PROPERTY,
        "物业服务信息报送要求（本年度）",
        "各分公司、各项目：\n物业公司月报、财务信息月报于每月10日前报送上月情况；一类突发事件于事发后24小时内报送，"
        "并按事态进展续报、终报；重大、热点投诉即时报送。二类突发事件在月报中说明。\n"
        "总部按及时性、完整性和质量对各单位信息报送情况按月考核，结果在信息网页公布。",
        40,
    ),
    (
        "hq",
        DepartmentKind.HQ_PROPERTY,
        "冬季供暖期客户服务提示",
        "进入供暖期，请各项目提前检查管网与阀门，公布供暖报修电话；对业主反映的温度不达标问题，"
        "客服部当日登记、工程部24小时内上门测温并回复业主。",
        12,
    ),
    (
        "admindept",
        DepartmentKind.ADMIN,
        "元旦放假安排",
        "元旦放假1天。放假期间各项目客服中心照常值班，24小时服务热线不停；各单位值班表请于放假前报行政部。",
        5,
    ),
    (
        "gm",
        DepartmentKind.GENERAL_MANAGEMENT,
        "总经理办公会纪要（摘要）",
        "会议听取了各分公司本年度经营情况汇报，要求：一、信息报送及时、准确；二、做好冬季安全生产；"
        "三、年度工作总结和下年度计划于1月15日前报物业管理部。",
        20,
    ),
)
HANDED_AFTER = timedelta(minutes=45)  # a major or hot complaint goes to HQ soon after it is registered
HELD_ACTIVITY = "邻里节游园活动"
PLANNED_ACTIVITY = "冬季消防安全知识讲座"
FINANCE_STATEMENT = "项目,营业收入,营业支出\n{rows}\n"


@dataclass(frozen=True)
class People:
    hq: Any
    docadmin: dict[str, Any]  # branch code -> the branch's document administrator
    pm: Any
    supervisor: Any
    hqdocs: Any
    gm: Any
    leader: Any


def _users(*names: str) -> dict[str, Any]:
    return {user.username: user for user in get_user_model().objects.filter(username__in=names)}


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware moment of the company's day."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def _jn_doc_admin(company: Company) -> Any:
    username, display_name = JN_DOC_ADMIN
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"display_name": display_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    branch = Branch.objects.get(code=OPENED_MID_YEAR)
    Membership.objects.get_or_create(
        user=user,
        role=Role.DOC_ADMIN,
        level=ScopeLevel.BRANCH,
        company=company,
        branch=branch,
        project=None,
        defaults={"department": Department.objects.filter(branch=branch, kind=DepartmentKind.ADMIN).first()},
    )
    return user


def _people(company: Company) -> People:
    _jn_doc_admin(company)
    users = _users("hq", "docadmin", JN_DOC_ADMIN[0], "pm_a", "supervisor_a", "hqdocadmin", "gm", "leader")
    return People(
        hq=users["hq"],
        docadmin={"QD": users["docadmin"], "JN": users[JN_DOC_ADMIN[0]]},
        pm=users["pm_a"],
        supervisor=users["supervisor_a"],
        hqdocs=users["hqdocadmin"],
        gm=users["gm"],
        leader=users["leader"],
    )


# --- moving what the services stamped "now" back to when it happened ---------------------------------------


def _stamp(submission: ReportSubmission, kind: str, at: datetime, **fields: Any) -> None:
    """The report's `fields` and its history row(s) of `kind` at `at`."""
    if fields:
        ReportSubmission.objects.filter(pk=submission.pk).update(**fields)
    ReportUpdate.objects.filter(submission=submission, kind=kind).update(at=at)


def _submit(submission: ReportSubmission, actor: Any, at: datetime) -> None:
    services.submission_submit(actor=actor, submission=submission)
    _stamp(submission, UpdateKind.SUBMITTED, at, first_submitted_at=at, submitted_at=at)


def _accept(submission: ReportSubmission, hq: Any, level: QualityLevel, at: datetime) -> None:
    services.submission_accept(actor=hq, submission=submission, quality_level=level)
    _stamp(submission, UpdateKind.ACCEPTED, at, accepted_at=at)


# --- the periodic reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    start: date
    index: int  # in the window: 0 the oldest, WINDOW_MONTHS - 1 this month


def _complaints(branch: Branch, start: date, end: date, rng: random.Random) -> tuple[int, int]:
    """The branch's complaints registered in the month and those closed (the feedback demo's, where it
    reaches back; otherwise a plausible number)."""
    zone = timezone.get_default_timezone()
    rows = FeedbackItem.objects.filter(
        project__branch=branch,
        kind=Kind.COMPLAINT,
        registered_at__gte=datetime.combine(start, time(), zone),
        registered_at__lt=datetime.combine(end + timedelta(days=1), time(), zone),
    )
    received = rows.count()
    if received:
        return received, rows.filter(status=Status.CLOSED).count()
    received = rng.randrange(6, 19)
    return received, received - rng.randrange(0, 3)


def _class_2_events(branch: Branch, start: date, end: date) -> list[ReportSubmission]:
    zone = timezone.get_default_timezone()
    return list(
        ReportSubmission.objects.filter(
            branch=branch,
            information_type__special="emergency",
            confirmed_class=EmergencyClass.CLASS_2,
            occurred_at__gte=datetime.combine(start, time(), zone),
            occurred_at__lt=datetime.combine(end + timedelta(days=1), time(), zone),
        ).order_by("occurred_at")
    )


def _business(submission: ReportSubmission, rng: random.Random, area: Decimal) -> tuple[dict[str, Any], str]:
    branch = submission.branch
    assert submission.period_start is not None  # noqa: S101 - a periodic report has a period
    assert submission.period_end is not None  # noqa: S101
    start, end = submission.period_start, submission.period_end
    received, handled = _complaints(branch, start, end, rng)
    events = _class_2_events(branch, start, end)
    projects = Project.objects.filter(branch=branch, is_active=True).count()
    values = {
        "managed_area": str(area),
        "projects_in_service": str(projects),
        "operations": (
            f"本月在管项目 {projects} 个，运行平稳。完成设备设施月度保养计划，"
            f"开展消防巡查 {rng.randrange(8, 15)} 次、安全培训 {rng.randrange(1, 4)} 场；"
            f"物业费当月收缴率 {rng.randrange(88, 97)}%。"
        ),
        "complaints_received": str(received),
        "complaints_handled": str(handled),
        "class2_events": str(len(events)),
        "class2_events_note": "；".join(f"{e.title}（{e.reference}）" for e in events),
        "next_month_focus": rng.choice(
            [
                "做好供暖设施检修与报修响应。",
                "雨季前完成地下车库排水设施检查。",
                "推进业主满意度征询问题的整改。",
                "完成电梯年检与消防设施维保。",
            ]
        ),
    }
    return values, f"{branch.name}{start:%Y年%m月}业务动态：客户投诉 {received} 件，已处理 {handled} 件。"


def _finance(submission: ReportSubmission, rng: random.Random) -> tuple[dict[str, Any], str, bytes]:
    revenue = Decimal(rng.randrange(1_800_000, 2_600_000)) / 10
    expenses = (revenue * Decimal(rng.randrange(78, 92)) / 100).quantize(Decimal("0.01"))
    rate = rng.randrange(880, 975) / 10
    values = {
        "revenue": str(revenue),
        "expenses": str(expenses),
        "fee_collection_rate": str(rate),
        "receivables": str((revenue * Decimal("0.12")).quantize(Decimal("0.01"))),
    }
    projects = Project.objects.filter(branch=submission.branch).order_by("code")
    rows = "\n".join(f"{p.name},{revenue / max(projects.count(), 1):.2f},-" for p in projects)
    statement = FINANCE_STATEMENT.format(rows=rows).encode("utf-8")
    assert submission.period_start is not None  # noqa: S101 - a periodic report has a period
    return (
        values,
        f"{submission.period_start:%Y年%m月}财务状况：收入 {revenue} 元，支出 {expenses} 元。",
        statement,
    )


def _yearly(submission: ReportSubmission) -> tuple[dict[str, Any], str]:
    assert submission.period_start is not None  # noqa: S101 - a periodic report has a period
    year = submission.period_start.year
    if submission.information_type.code == "annual_plan":
        return {
            "summary": f"{year - 1}年度各项目运行平稳，客户满意度稳步提升，完成年度经营目标。",
            "plan": f"{year}年度：提升服务标准化水平，推进智慧社区建设，控制经营成本。",
            "long_term": "三年内在管面积增长三成，形成区域品牌。",
        }, f"{year}年度工作计划和上年度总结"
    return {
        "outline": "新员工入职培训、客服礼仪、设备设施操作、消防安全与应急处置。",
        "plan": "每季度一次集中培训，每月项目内部培训，年底考核。",
    }, f"{year}年度培训纲要及计划"


def _submitted_on_time(due: datetime, rng: random.Random, now: datetime, *, earlier: int = 0) -> datetime:
    """A moment a few days before the deadline, in office hours; never later than an hour ago."""
    day = timezone.localdate(due) - timedelta(days=rng.randrange(1, 6) + earlier)
    return min(_at(day, rng.randrange(9, 17), rng.randrange(60)), now - timedelta(hours=1))


def _accepted_after(submitted: datetime, rng: random.Random, now: datetime) -> datetime:
    planned = submitted + timedelta(days=rng.randrange(1, 4), hours=rng.randrange(0, 5))
    return max(submitted + timedelta(minutes=10), min(planned, now - timedelta(minutes=30)))


def _file(
    submission: ReportSubmission,
    actor: Any,
    values: dict[str, Any],
    body: str,
    files: list[tuple[str, bytes]],
) -> None:
    services.submission_draft(
        actor=actor, submission=submission, values=values, title=submission.title, body=body
    )
    for name, content in files:
        services.attachment_add(
            actor=actor,
            submission=submission,
            file=SimpleUploadedFile(name, content, content_type="text/csv"),
        )


def _walk_periodic(
    submission: ReportSubmission,
    month: Month,
    people: People,
    levels: dict[str, QualityLevel],
    now: datetime,
    area: Decimal,
) -> int:
    """One past period's report: filled in, submitted (on time, late, or returned and resubmitted),
    accepted. 0 when it stays missing (or is left for HQ to review), 1 when filed."""
    code = submission.branch.code
    type_code = submission.information_type.code
    business = type_code == "monthly_business"
    rng = random.Random(submission.reference)  # noqa: S311 - demo data, not security
    if business and code == OPEN_ALL_YEAR and month.index == QD_MISSING:
        return 0
    actor = people.docadmin[code]
    files: list[tuple[str, bytes]] = []
    if business:
        values, body = _business(submission, rng, area)
    elif type_code == "monthly_finance":
        values, body, statement = _finance(submission, rng)
        files = [(f"财务报表-{code}-{month.start:%Y%m}.csv", statement)]
    else:
        values, body = _yearly(submission)
    _file(submission, actor, values, body, files)
    late = business and month.index in (QD_LATE if code == OPEN_ALL_YEAR else JN_LATE)
    if late:
        submitted = _at(timezone.localdate(submission.due_at) + timedelta(days=rng.randrange(2, 7)), 15, 20)
    else:
        submitted = _submitted_on_time(submission.due_at, rng, now, earlier=0 if business else 1)
    _submit(submission, actor, submitted)
    label = (
        QD_LEVELS[month.index % len(QD_LEVELS)] if code == OPEN_ALL_YEAR else rng.choice(["优", "良", "良"])
    )
    if business and code == OPEN_ALL_YEAR and month.index == QD_RETURNED:
        returned = submitted + timedelta(days=1, hours=2)
        services.submission_return(actor=people.hq, submission=submission, reason=RETURN_REASON)
        _stamp(submission, UpdateKind.RETURNED, returned)
        services.submission_draft(
            actor=actor,
            submission=submission,
            values={
                "complaints_handled": values["complaints_received"],
                "operations": f"{values['operations']}（更正：本月投诉已全部处理完毕，经回访客户认可。）",
            },
            title=submission.title,
            body=body,
        )
        resubmitted = _at(timezone.localdate(submission.due_at) + timedelta(days=3), 10, 30)  # late
        services.submission_submit(actor=actor, submission=submission)
        _stamp(submission, UpdateKind.RESUBMITTED, resubmitted, submitted_at=resubmitted)
        submitted, label = resubmitted, "中"
    if business and code == OPENED_MID_YEAR and month.index == LAST_MONTH:
        return 1  # awaits HQ's review
    _accept(submission, people.hq, levels[label], _accepted_after(submitted, rng, now))
    return 1


def _months(today: date) -> list[Month]:
    return [Month(_month_start(today, WINDOW_MONTHS - 1 - index), index) for index in range(WINDOW_MONTHS)]


def _managed_area(branch: Branch) -> Decimal:
    total = Unit.objects.filter(project__branch=branch).aggregate(area=Sum("floor_area"))["area"]
    return Decimal(total or 0).quantize(Decimal("1"))


def _periodic(company: Company, people: People, today: date, now: datetime) -> int:
    """Every report of the window still to be walked whose time has come: the past months', and the
    yearly ones once their deadline is near. Those of this month wait (QD's business report is a draft
    further on)."""
    months = {month.start: month for month in _months(today)}
    levels = {level.label: level for level in QualityLevel.objects.filter(company=company)}
    branches = {branch.code: branch for branch in Branch.objects.filter(code__in=REPORTERS)}
    areas = {code: _managed_area(branch) for code, branch in branches.items()}
    rows = (
        ReportSubmission.objects.filter(
            branch__in=list(branches.values()),
            project__isnull=True,
            period_start__gte=min(months),
            status__in=[SubmissionStatus.EXPECTED, SubmissionStatus.DRAFT],
            first_submitted_at__isnull=True,
            information_type__company=company,
        )
        .select_related("information_type", "branch")
        .order_by("period_start", "information_type__position", "branch__code")
    )
    filed = 0
    for submission in rows:
        assert submission.period_start is not None  # noqa: S101 - a periodic report has a period
        monthly = submission.information_type.deadline_rule == "monthly_by_day"
        if monthly and (submission.period_end is None or submission.period_end >= today):
            continue  # this month's
        if not monthly and submission.due_at - timedelta(days=10) > now:
            continue  # a yearly report not due soon
        month = months.get(submission.period_start.replace(day=1), Month(submission.period_start, 0))
        filed += _walk_periodic(submission, month, people, levels, now, areas[submission.branch.code])
    return filed


def _this_month_draft(company: Company, people: People, today: date) -> None:
    """QD's business report of this month, begun: a draft in the document administrator's queue."""
    draft = ReportSubmission.objects.filter(
        branch__code=OPEN_ALL_YEAR,
        project__isnull=True,
        information_type__company=company,
        information_type__code="monthly_business",
        period_start=today.replace(day=1),
        status=SubmissionStatus.EXPECTED,
    ).first()
    if draft is None:
        return
    services.submission_draft(
        actor=people.docadmin[OPEN_ALL_YEAR],
        submission=draft,
        values={
            "managed_area": str(_managed_area(draft.branch)),
            "projects_in_service": str(Project.objects.filter(branch=draft.branch, is_active=True).count()),
        },
        title=draft.title,
        body="",
    )


# --- events at 海景花园 (R-IR-4, R-CS-4) -------------------------------------------------------------------


def _event(actor: Any, report: services.EventReport, *, reported_after: timedelta) -> ReportSubmission:
    """The event's first report, filed `reported_after` the event."""
    submission = services.instant_report_make(actor=actor, report=report)
    reported = report.occurred_at + reported_after
    _stamp(submission, UpdateKind.FIRST, reported, first_submitted_at=reported, submitted_at=reported)
    ReportUpdate.objects.filter(submission=submission, kind=UpdateKind.CLASS_SET).update(at=reported)
    return submission


def _follow_up(submission: ReportSubmission, actor: Any, kind: str, text: str, at: datetime) -> None:
    update = services.follow_up_add(actor=actor, submission=submission, kind=kind, text=text)
    ReportUpdate.objects.filter(pk=update.pk).update(at=at)
    if kind == UpdateKind.FINAL:
        ReportSubmission.objects.filter(pk=submission.pk).update(final_at=at)


def _emergencies(project: Project, people: People, today: date, now: datetime) -> int:
    existing = set(
        ReportSubmission.objects.filter(
            project=project, title__in=[FIRE_TITLE, THEFT_TITLE, ATTEMPT_TITLE]
        ).values_list("title", flat=True)
    )
    made = 0
    levels = {level.label: level for level in QualityLevel.objects.filter(company=project.branch.company)}
    emergency = InformationType.objects.get(company=project.branch.company, code="emergency_class1")
    if FIRE_TITLE not in existing:
        occurred = _at(today - timedelta(days=38), 21, 40)
        fire = _event(
            people.pm,
            services.EventReport(
                information_type=emergency,
                project=project,
                occurred_at=occurred,
                title=FIRE_TITLE,
                place=f"{project.name} 地下车库B区充电桩",
                facts=Facts(fire_or_explosion=True, loss_yuan=Decimal(12000)),
                values={
                    "what_happened": "21时40分，地下车库B区一辆电动自行车充电时起火，"
                    "秩序维护员发现后用灭火器扑灭，并报119，消防车到场确认明火已灭。",
                    "casualties": "无人员伤亡",
                    "loss_yuan": "12000",
                    "measures": "切断B区充电桩电源，疏散车库人员，现场警戒，配合消防部门勘查。",
                },
                body="地下车库B区电动自行车充电起火，已扑灭，无人员伤亡，烧毁电动车两辆、损坏充电桩一处。",
                class_choice=services.ClassChoice(EmergencyClass.CLASS_1),
            ),
            reported_after=timedelta(hours=3, minutes=25),
        )
        _follow_up(
            fire,
            people.pm,
            UpdateKind.FOLLOW_UP,
            "消防部门勘查认定为电池老化短路引起；已通知车主及保险公司，充电桩停用待检。",
            occurred + timedelta(days=1, hours=14),
        )
        _follow_up(
            fire,
            people.pm,
            UpdateKind.FINAL,
            "充电桩已更换并经检测合格恢复使用；车库增设烟感报警两处，张贴安全充电提示；"
            "损失由车主保险理赔，事件处理完毕。",
            occurred + timedelta(days=6, hours=10),
        )
        _accept(fire, people.hq, levels["良"], min(occurred + timedelta(days=7), now - timedelta(hours=1)))
        made += 1
    if THEFT_TITLE not in existing:
        occurred = _at(today - timedelta(days=9), 3, 15)
        theft = _event(
            people.supervisor,
            services.EventReport(
                information_type=emergency,
                project=project,
                occurred_at=occurred,
                title=THEFT_TITLE,
                place=f"{project.name} 3号楼2单元",
                facts=Facts(theft=True, criminal_case=True, loss_yuan=Decimal(8600)),
                values={
                    "what_happened": "凌晨3时许，3号楼2单元一户住户家中被盗，"
                    "业主早晨发现后报警并通知客服中心。",
                    "loss_yuan": "8600",
                    "measures": "调取监控录像交公安机关，加强夜间巡逻，单元门禁排查。",
                },
                body="3号楼2单元住户家中被盗，损失现金及首饰约8600元，已报警，公安机关已出警。",
            ),  # the CS supervisor reports; the project manager confirms the class
            reported_after=timedelta(hours=5, minutes=10),
        )
        services.class_confirm(actor=people.pm, submission=theft, chosen=EmergencyClass.CLASS_1)
        ReportUpdate.objects.filter(submission=theft, kind=UpdateKind.CLASS_SET).update(
            at=occurred + timedelta(hours=6)
        )
        _follow_up(
            theft,
            people.supervisor,
            UpdateKind.FOLLOW_UP,
            "公安机关已立案侦查；物业已加派夜间巡逻，检修3号楼单元门禁。",
            min(occurred + timedelta(days=1, hours=8), now - timedelta(hours=2)),
        )
        made += 1
    if ATTEMPT_TITLE not in existing:
        last_month = _month_start(today, 1)
        occurred = _at(last_month + timedelta(days=17), 22, 30)
        attempt = _event(
            people.supervisor,
            services.EventReport(
                information_type=emergency,
                project=project,
                occurred_at=occurred,
                title=ATTEMPT_TITLE,
                place=f"{project.name} 地下车库储藏室",
                facts=Facts(theft=True, theft_attempted_only=True, prevented=True),
                values={
                    "what_happened": "夜间巡逻时发现一名外来人员撬储藏室门锁，"
                    "秩序维护员当场制止，移交派出所。",
                    "measures": "更换门锁，储藏室通道加装照明，夜间巡逻增加车库频次。",
                },
                body="有人试图撬储藏室门锁，被巡逻秩序维护员及时发现制止，无财产损失。",
            ),
            reported_after=timedelta(hours=1),
        )
        services.class_confirm(actor=people.pm, submission=attempt, chosen=EmergencyClass.CLASS_2)
        ReportUpdate.objects.filter(submission=attempt, kind=UpdateKind.CLASS_SET).update(
            at=occurred + timedelta(hours=2)
        )
        made += 1
    return made


# --- the hand-off of a major or hot complaint (R-IR-8) -----------------------------------------------------


def _progress_words(progress: list[dict[str, Any]]) -> str:
    """The progress handed over, one line a step (as the hand-off writes it)."""
    lines = []
    for step in progress:
        when = timezone.localtime(datetime.fromisoformat(str(step["at"])))
        note = f" · {step['note']}" if step.get("note") else ""
        lines.append(f"{when:%Y-%m-%d %H:%M} · {step.get('what', '')}{note}")
    return "\n".join(lines)


def _handoff(project: Project, people: People, now: datetime) -> int:
    """The latest major or hot complaint of the project handed to HQ by the CS supervisor (R-IR-8), moved
    back to soon after it was registered: the report holds the progress until then, and what the item's
    timeline recorded since reaches it as follow-ups (feedback's progress channel), never a second report."""
    if ReportSubmission.objects.filter(feedback_item__project=project).exists():
        return 0
    candidates = list(
        FeedbackItem.objects.filter(
            project=project, reported_to_hq_at__isnull=True, registered_at__lte=now - timedelta(days=1)
        )
        .filter(Q(is_major=True) | Q(is_hot=True))
        .order_by("-registered_at", "-id")
    )
    if not candidates:
        return 0
    # the latest one whose handling went on after the hand-off (so the report has follow-ups)
    item = next(
        (
            candidate
            for candidate in candidates
            if candidate.events.filter(at__gt=candidate.registered_at + HANDED_AFTER).exists()
        ),
        candidates[0],
    )
    feedback_item_report_to_hq(actor=people.supervisor, item=item)
    handed = item.registered_at + HANDED_AFTER
    report = ReportSubmission.objects.get(feedback_item=item)
    first = ReportUpdate.objects.get(submission=report, kind=UpdateKind.FIRST)
    progress = [
        step for step in first.values.get("progress", []) if datetime.fromisoformat(str(step["at"])) <= handed
    ]
    ReportUpdate.objects.filter(pk=first.pk).update(at=handed, values={**first.values, "progress": progress})
    ReportSubmission.objects.filter(pk=report.pk).update(
        first_submitted_at=handed,
        submitted_at=handed,
        values={**report.values, "progress": _progress_words(progress)},
    )
    FeedbackItem.objects.filter(pk=item.pk).update(reported_to_hq_at=handed)
    TimelineEvent.objects.filter(item=item, kind=EventKind.HQ_REPORT).update(at=handed)
    item.refresh_from_db()
    later = TimelineEvent.objects.filter(item=item, at__gt=handed).exclude(kind=EventKind.HQ_REPORT)
    for event in later.select_related("actor").order_by("at", "id"):
        followups.reported_item_progressed(item, event)
    return 1


# --- the rule proposal (R-IR-2) ----------------------------------------------------------------------------


def _proposal(company: Company, people: People) -> int:
    branch = Branch.objects.get(code=OPEN_ALL_YEAR)
    if RuleProposal.objects.filter(branch=branch).exists():
        return 0
    monthly = InformationType.objects.get(company=company, code="monthly_business")
    proposal = proposals.proposal_make(
        actor=people.docadmin[OPEN_ALL_YEAR], branch=branch, information_type=monthly, text=PROPOSAL_TEXT
    )
    proposals.proposal_decide(
        actor=people.hq,
        proposal=proposal,
        accept=True,
        note="采纳。月报模板已增加“本月客户满意度”（选填）；此前已填报的月报仍按原模板。",
    )
    template = catalogue.current_template(monthly)
    fields = list(template.fields) if template is not None else []
    if not any(field.get("key") == SATISFACTION_FIELD["key"] for field in fields):
        catalogue.template_new_version(
            actor=people.hq,
            information_type=monthly,
            fields=[*fields, SATISFACTION_FIELD],
            attachments_required=template.attachments_required if template is not None else 0,
            attachment_note=template.attachment_note if template is not None else "",
        )
    return 1


# --- the newsletter (R-IR-7) -------------------------------------------------------------------------------


def _newsletter(company: Company, project: Project, people: People, today: date) -> int:
    if NewsletterIssue.objects.filter(company=company).exists():
        return 0
    last_month = _month_start(today, 1)
    issue = newsletter.issue_create(
        actor=people.hq,
        company=company,
        title=f"{last_month:%Y年%m月}刊 · 服务与安全",
        introduction="本期选登各分公司月度业务动态、海景花园车库火情的处置与整改，以及业主的表扬。",
    )
    accepted = (
        ReportSubmission.objects.filter(
            information_type__company=company,
            status=SubmissionStatus.ACCEPTED,
            project__isnull=True,
            information_type__code="monthly_business",
        )
        .select_related("information_type", "branch", "project", "template")
        .order_by("-period_start", "branch__code")
    )
    for report in accepted[:2]:
        newsletter.article_add_from_submission(actor=people.hq, issue=issue, submission=report)
    fire = (
        ReportSubmission.objects.filter(project=project, title=FIRE_TITLE, status=SubmissionStatus.ACCEPTED)
        .select_related("information_type", "branch", "project", "template")
        .first()
    )
    if fire is not None:
        article = newsletter.article_add_from_submission(actor=people.hq, issue=issue, submission=fire)
        newsletter.article_edit(
            actor=people.hq,
            article=article,
            title="一次车库火情的处置与整改",
            body=(
                "海景花园地下车库一辆电动自行车充电时起火。秩序维护员发现后两分钟内用灭火器扑灭，"
                "疏散车库人员并报警，无人员伤亡。项目部当晚即按一类突发事件向总部首报，次日续报，"
                "一周内完成整改并终报：更换充电桩、增设烟感报警、张贴安全充电提示。\n"
                "各项目请对照检查车库充电设施，把隐患消除在萌芽状态。"
            ),
        )
    praise = (
        FeedbackItem.objects.filter(project=project, kind=Kind.PRAISE)
        .order_by("-registered_at", "-id")
        .first()
    )
    if praise is not None:
        newsletter.article_add_from_item(actor=people.hq, issue=issue, item=praise)
    newsletter.issue_publish(actor=people.hq, issue=issue)
    return 1


# --- the noticeboard and documents (R-IR-6) ----------------------------------------------------------------


def _noticeboard(company: Company, now: datetime) -> int:
    departments = {
        d.kind: d
        for d in Department.objects.filter(company=company, branch__isnull=True, project__isnull=True)
    }
    authors = _users(*{author for author, *_rest in NOTICES})
    made = 0
    for author, kind, title, body, days_ago in NOTICES:
        department = departments.get(kind)
        if department is None or NoticePage.objects.filter(department=department, title=title).exists():
            continue
        page = noticeboard.notice_page_create(
            actor=authors[author],
            department=department,
            data=noticeboard.NoticeInput(title=title, body=body, is_published=True),
        )
        NoticePage.objects.filter(pk=page.pk).update(published_at=now - timedelta(days=days_ago))
        made += 1
    return made


def _documents(company: Company, project: Project, people: People, now: datetime) -> int:
    made = 0
    if not Document.objects.filter(company=company, title=DOCUMENT_IN).exists():
        received = now - timedelta(days=2, hours=3)
        document = noticeboard.document_register(
            actor=people.hqdocs,
            company=company,
            data=noticeboard.DocumentInput(
                title=DOCUMENT_IN,
                summary="市住建局部署开展住宅小区消防安全专项检查，要求物业服务企业于本月底前完成自查并上报整改台账。",
                sender="青岛市住房和城乡建设局",
                received_at=received,
            ),
            recipients=noticeboard.Recipients(users=[people.gm, people.leader], note="请领导阅示。"),
        )
        forwarded = received + timedelta(hours=1, minutes=20)
        DocumentDelivery.objects.filter(document=document).update(forwarded_at=forwarded)
        noticeboard.document_open(user=people.gm, document=document)  # the leader has not opened it yet
        DocumentDelivery.objects.filter(document=document, user=people.gm).update(
            read_at=forwarded + timedelta(hours=4, minutes=5)
        )
        made += 1
    if not Document.objects.filter(company=company, title=DOCUMENT_OUT).exists():
        noticeboard.document_send_to_projects(
            actor=people.hqdocs,
            company=company,
            data=noticeboard.DocumentInput(
                title=DOCUMENT_OUT,
                summary="请各项目开展节前安全检查，落实值班制度，做好消防、燃气、电梯等重点部位的巡查。",
                sender="物业管理部",
            ),
            projects=[project],
            note="请项目经理组织落实。",
        )
        made += 1
    return made


# --- community activities (R-CS-3) -------------------------------------------------------------------------


def _activities(project: Project, people: People, today: date) -> int:
    existing = set(
        CommunityActivity.objects.filter(
            project=project, title__in=[HELD_ACTIVITY, PLANNED_ACTIVITY]
        ).values_list("title", flat=True)
    )
    made = 0
    if HELD_ACTIVITY not in existing:
        held_on = today - timedelta(days=25)
        held = activities.activity_plan(
            actor=people.supervisor,
            plan=activities.ActivityPlan(
                project=project,
                title=HELD_ACTIVITY,
                planned_on=held_on,
                plan="中心花园设游戏、义诊、旧物交换摊位；客服部组织，秩序维护部维持秩序，工程部现场咨询。",
                place=f"{project.name} 中心花园",
                expected_attendance=80,
            ),
        )
        activities.activity_record(
            actor=people.supervisor,
            activity=held,
            record=activities.ActivityRecord(
                held_on=held_on,
                attendance=86,
                follow_up=(
                    "现场收集居民建议 12 条（增设休息座椅、快递柜等），已登记为客户信息由客服部跟进回复。"
                ),
            ),
        )
        made += 1
    if PLANNED_ACTIVITY not in existing:
        activities.activity_plan(
            actor=people.supervisor,
            plan=activities.ActivityPlan(
                project=project,
                title=PLANNED_ACTIVITY,
                planned_on=today + timedelta(days=12),
                plan="邀请消防中队讲解家庭防火与电动车安全充电，现场演示灭火器使用。",
                place=f"{project.name} 会所多功能厅",
                expected_attendance=40,
            ),
        )
        made += 1
    return made


# --- all of it ---------------------------------------------------------------------------------------------


@transaction.atomic
def seed_reporting(*, today: date | None = None) -> dict[str, int]:
    """The demo's reporting to HQ (see the module's docstring); what was made this time."""
    project = Project.objects.select_related("branch__company").get(code=PROJECT)
    company = project.branch.company
    catalogue.catalogue_ensure(company=company)
    today = today or timezone.localdate()
    now = min(timezone.now(), _at(today, 23, 59))
    Branch.objects.filter(code=OPENED_MID_YEAR, opened_on__isnull=True).update(
        opened_on=_month_start(today, OPENED_MONTHS_AGO)
    )
    people = _people(company)
    made = {
        "expected": expected.expected_reports_make(today=today, since=_month_start(today, WINDOW_MONTHS - 1))
    }
    made["events"] = _emergencies(project, people, today, now)  # first: the class-2 event goes into a report
    made["filed"] = _periodic(company, people, today, now)
    made["proposals"] = _proposal(company, people)
    _this_month_draft(company, people, today)
    made["handed_over"] = _handoff(project, people, now)
    made["newsletters"] = _newsletter(company, project, people, today)
    made["notices"] = _noticeboard(company, now)
    made["documents"] = _documents(company, project, people, now)
    made["activities"] = _activities(project, people, today)
    # the day after a deadline: the missing report listed for HQ, the branch manager told (once)
    sweep = expected.deadline_sweep(now=timezone.now())
    made["listed_missing"] = sweep["listed"]
    return made
