"""Fixtures shared by the analytics tests (issue 15): `month_world`, a small fixed month that can be counted
by hand, built on the `world` personas of estatedesk/conftest.py.

The rows are made directly with the ORM at explicit times (as the figures tests of feedback, visits, quality
and reporting do), so that every count below is exact whoever runs the suite and whenever: the month is
November 2026 in company time (Asia/Shanghai), "now" is `NOW` (2 December 2026, 10:00). Figures that depend
on now (open items past due, overdue actions) are as documented at NOW and at any later time, except the one
running resolution clock (item A5, due 10 December), which is running at NOW; compute with `now=NOW` or
travel to NOW (the `month_now` fixture) to count it as running.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from estatedesk.feedback.choices import Category, Channel, Kind, Rating, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.quality.choices import ActionKind, Origin, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction
from estatedesk.reporting.choices import (
    DeadlineRule,
    EmergencyClass,
    InfoClass,
    ReportingScope,
    SubmissionStatus,
)
from estatedesk.reporting.models import InformationType, ReportSubmission
from estatedesk.visits.choices import Grade, Purpose, VisitChannel, VisitStatus
from estatedesk.visits.models import ReturnVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _packs_typeset_only_where_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most pack tests are about figures, versions, runs, mail and permissions, not the PDF's pages: there
    the PDF is the pack's HTML (`pack_html`, rendered as always, so its template errors still show) in a
    small PDF wrapper, without the typesetting, which takes seconds a pack. A test marked `real_pdf` reads
    the typeset PDF (pdftotext), and the demo's packs (estatedesk/demo/tests) are typeset as in use."""
    if request.node.get_closest_marker("real_pdf"):
        return
    import hashlib

    from estatedesk.analytics import pack_pdf as module

    def html_only(*, pack: Any) -> bytes:
        digest = hashlib.sha256(module.pack_html(pack=pack).encode()).hexdigest()
        return f"%PDF-1.4\n% not typeset (tests): {digest}\n%%EOF\n".encode()

    monkeypatch.setattr(module, "pack_pdf", html_only)


NOVEMBER = date(2026, 11, 1)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class MonthWorld:
    """The `world` with the month's rows by name (see `month_world`)."""

    world: Any
    items: dict[str, FeedbackItem] = field(default_factory=dict)
    visits: dict[str, ReturnVisit] = field(default_factory=dict)
    nonconformities: dict[str, Nonconformity] = field(default_factory=dict)
    reports: dict[str, ReportSubmission] = field(default_factory=dict)
    month: date = NOVEMBER
    now: datetime = NOW

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["world"], name)


def _item(  # noqa: PLR0913 - an item's facts, keyword-only
    project: Any,
    name: str,
    *,
    registered: datetime,
    channel: str,
    kind: str,
    category: str,
    status: str = Status.REGISTERED,
    contact: tuple[datetime, datetime | None] | None = None,
    resolution: tuple[datetime, datetime | None] | None = None,
    closed: datetime | None = None,
    rating: str = "",
    **extra: Any,
) -> FeedbackItem:
    """One item; `contact`/`resolution` = (due, done or None); a closed item was informed when closed."""
    contact_due, contacted = contact or (None, None)
    resolution_due, informed = resolution or (None, None)
    return FeedbackItem.objects.create(
        reference=f"MW-{project.code}-{name}",
        project=project,
        channel=channel,
        kind=kind,
        category=category,
        title=f"{name} {project.name}",
        description=f"Month-world item {name} of {project.code}.",
        status=status,
        registered_at=registered,
        contact_due_at=contact_due,
        contacted_at=contacted,
        resolution_due_at=resolution_due,
        customer_informed_at=informed,
        closed_at=closed,
        rating=rating,
        contact_phone="13500001111",
        **extra,
    )


def _visit(
    project: Any, grade: str = "", *, due: datetime, status: str | None = None, **extra: Any
) -> ReturnVisit:
    status = status or (VisitStatus.GRADED if grade else VisitStatus.DUE)
    return ReturnVisit.objects.create(
        project=project,
        purpose=Purpose.AD_HOC,
        status=status,
        grade=grade,
        channel=VisitChannel.PHONE if grade else "",
        due_at=due,
        visited_on=due.date() if grade else None,
        customer_name="业主",
        customer_phone="13500002222",
        **extra,
    )


def _report(  # noqa: PLR0913
    info_type: InformationType,
    reference: str,
    *,
    branch: Any,
    project: Any = None,
    period_start: date | None = None,
    occurred_at: datetime | None = None,
    due: datetime,
    submitted: datetime | None = None,
    score: int | None = None,
) -> ReportSubmission:
    status = (
        SubmissionStatus.ACCEPTED
        if score is not None
        else SubmissionStatus.SUBMITTED
        if submitted
        else SubmissionStatus.EXPECTED
    )
    return ReportSubmission.objects.create(
        reference=reference,
        information_type=info_type,
        branch=branch,
        project=project,
        unit_key=f"P{project.pk}" if project is not None else f"B{branch.pk}",
        period_start=period_start,
        period_end=date(2026, 11, 30) if period_start else None,
        occurred_at=occurred_at,
        due_at=due,
        status=status,
        title=reference,
        first_submitted_at=submitted,
        submitted_at=submitted,
        is_complete=True if submitted else None,
        quality_score=Decimal(score) if score is not None else None,
        accepted_at=submitted + timedelta(days=1) if score is not None and submitted else None,
    )


@pytest.fixture
def month_now() -> Iterator[datetime]:
    """Travel to NOW (2 December 2026, 10:00 Shanghai), the clock stopped."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def month_world(world: Any) -> MonthWorld:  # noqa: PLR0915 - the whole month, in one place
    """November 2026 of the world (company AJ; branch QD: projects QD-A, QD-B; branch JN: project JN-C).

    FEEDBACK (registered in November; contact clock due 1 h after registration):
      name project channel kind       category         status        contact resolution closed(h) rating
      A1   QD-A    hotline complaint  engineering      closed        met     met        24.0      A  major
      A2   QD-A    hotline complaint  cleaning         closed        late    met        36.0      B
      A3   QD-A    portal  repair     engineering      closed        met     late       48.0      C  hot
      A4   QD-A    walk_in inquiry    fees             registered    overdue overdue    -
      A5   QD-A    qr      suggestion greening         sup.contacted met     running*   -
      A6   QD-A    hotline complaint  staff_attitude   cancelled     (stopped with the item: neither)
      B1   QD-B    email   complaint  order            closed        met     met        24.0      A
      B2   QD-B    hotline repair     engineering      in_progress   late    overdue    -            major
      C1   JN-C    hotline complaint  engineering      closed        met     met        12.0      A  hot
      C2   JN-C    qr      praise     customer_service closed        met     met         6.0      -
      C3   JN-C    hotline complaint  order            registered    overdue overdue    -
      (* A5's resolution is due 2026-12-10: running at NOW.) Arrange and action clocks never started (all
      None: on-time "—"). Outside the month: P1 (QD-A, 2026-10-20, closed after 10 h, the month before) and
      Y1 (QD-A, 2025-11-10, closed after 20 h, a year earlier), both hotline complaints, engineering.

      company: total 11, closed 6, cancelled 1, open 4 (A4 A5 B2 C3), major 2 (A1 B2), hot 2 (A3 C1);
        contact met 6, breached 4 (late A2 B2 + overdue A4 C3) → on time 6/10 = 60.00%;
        resolution met 5 (A1 A2 B1 C1 C2), breached 4 (A3 A4 B2 C3), running 1 → 5/9 = 55.56%;
        handling hours (24+36+48+24+12+6)/6 = 25.0; ratings A 3, B 1, C 1 → (3+1)/5 = 80.00%;
        overdue now (open items with a clock past due at NOW): 3 (A4 B2 C3);
        by channel hotline 6, qr 2, portal 1, walk_in 1, email 1; by kind complaint 6, repair 2, inquiry 1,
        suggestion 1, praise 1; by category engineering 4, order 2, cleaning 1, fees 1, greening 1,
        staff_attitude 1, customer_service 1; by status closed 6, registered 2, supervisor_contacted 1,
        in_progress 1, cancelled 1.
      branch QD: total 8, closed 4, open 3, contact 4/7 = 57.14%, resolution 3/6 = 50.00%, handling 33.0 h,
        ratings A 2 B 1 C 1 → 75.00%, major 2, hot 1, overdue now 2.
      branch JN: total 3, closed 2, open 1, contact 2/3 = 66.67%, resolution 2/3 = 66.67%, handling 9.0 h,
        ratings A 1 → 100.00%, hot 1, overdue now 1.
      project QD-A: total 6, closed 3, open 2, contact 3/5 = 60.00%, resolution 2/4 = 50.00%, handling 36.0 h,
        ratings A 1 B 1 C 1 → 66.67%. project QD-B: total 2, contact 1/2 = 50.00%, resolution 1/2 = 50.00%,
        handling 24.0 h, rating A 1 → 100.00%. Month before (October): company total 1; a year earlier: 1.

    RETURN VISITS (due in November; cancelled left out):
      V1 QD-A A, V2 QD-A A, V3 QD-A B, V4 QD-A C (nonconformity NC1 raised from it), V5 QD-A not yet made,
      V6 QD-A cancelled, V7 QD-B B, V8 JN-C A, V9 JN-C C.
      company: due 8, graded 7, coverage 87.50%, A 3 B 2 C 2, satisfaction 5/7 = 71.43%;
      QD: due 6, graded 5, coverage 83.33%, A 2 B 2 C 1, 4/5 = 80.00%; JN: due 2, graded 2, 100.00%, A 1 C 1,
      50.00%; QD-A: due 5, graded 4, 80.00%, A 2 B 1 C 1, 75.00%; QD-B: due 1, graded 1, B 1, 100.00%.

    NONCONFORMITIES:
      NC1 QD-A from visit V4 (origin return_visit_c), raised 2026-11-20, in progress, one corrective action
        due 2026-11-25 not done (overdue); NC2 JN-C raised 2026-11-06 by hand, closed 2026-11-16;
      NC3 QD-B raised 2026-10-15 by hand, in cause analysis (open, raised the month before).
      company: raised 2, closed 1, open now 2, overdue actions 1; QD: raised 1, closed 0, open 2, overdue 1;
      JN: raised 1, closed 1, open 0, overdue 0.

    REPORTS TO HQ (type "mw_monthly" periodic, branch scope, due the 10th of the next month; type
      "mw_emergency" instant, due 24 h after the event):
      R-ONTIME QD branch's November report, submitted 2026-12-01 09:00 (on time), complete, accepted at 90;
      R-LATE   JN-C class-1 emergency of 2026-11-08 10:00, due 11-09 10:00, submitted 11-09 15:00 (late),
               complete, awaiting review;
      R-MISSING QD-A class-1 emergency of 2026-11-20 10:00, due 11-21 10:00, never submitted.
      company: expected 3, on time 1 (33.33%), complete 2 (66.67%), quality 90.00;
      QD: expected 2, on time 1 (50.00%), complete 1 (50.00%), quality 90.00; JN: expected 1, on time 0
      (0.00%), complete 1 (100.00%), quality — ; QD-A: expected 1, on time 0, complete 0.

    SURVEYS: none (surveys.campaigns 0, rates —).
    """
    w = world
    qd_a, qd_b, jn_c = w.project_a, w.project_a2, w.project_b
    mw = MonthWorld(world=w)
    items = mw.items

    def clock(registered: datetime, done_after: timedelta | None) -> tuple[datetime, datetime | None]:
        due = registered + timedelta(hours=1)
        return due, (registered + done_after if done_after is not None else None)

    # --- feedback ----------------------------------------------------------------------------------------
    at = local(2026, 11, 3, 9)
    items["A1"] = _item(
        qd_a, "A1", registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT,
        category=Category.ENGINEERING, status=Status.CLOSED, contact=clock(at, timedelta(minutes=30)),
        resolution=(local(2026, 11, 5, 18), at + timedelta(hours=24)), closed=at + timedelta(hours=24),
        rating=Rating.A, is_major=True,
    )  # fmt: skip
    at = local(2026, 11, 10, 9)
    items["A2"] = _item(
        qd_a, "A2", registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT,
        category=Category.CLEANING, status=Status.CLOSED, contact=clock(at, timedelta(minutes=90)),
        resolution=(local(2026, 11, 12, 18), at + timedelta(hours=36)), closed=at + timedelta(hours=36),
        rating=Rating.B,
    )  # fmt: skip
    at = local(2026, 11, 12, 8)
    items["A3"] = _item(
        qd_a, "A3", registered=at, channel=Channel.PORTAL, kind=Kind.REPAIR,
        category=Category.ENGINEERING, status=Status.CLOSED, contact=clock(at, timedelta(minutes=20)),
        resolution=(local(2026, 11, 13, 8), at + timedelta(hours=48)), closed=at + timedelta(hours=48),
        rating=Rating.C, is_hot=True,
    )  # fmt: skip
    at = local(2026, 11, 20, 9)
    items["A4"] = _item(
        qd_a, "A4", registered=at, channel=Channel.WALK_IN, kind=Kind.INQUIRY, category=Category.FEES,
        contact=clock(at, None), resolution=(local(2026, 11, 25, 18), None),
    )  # fmt: skip
    at = local(2026, 11, 28, 9)
    items["A5"] = _item(
        qd_a, "A5", registered=at, channel=Channel.QR, kind=Kind.SUGGESTION, category=Category.GREENING,
        status=Status.SUPERVISOR_CONTACTED, contact=clock(at, timedelta(minutes=10)),
        resolution=(local(2026, 12, 10, 18), None),
    )  # fmt: skip
    at = local(2026, 11, 15, 9)
    items["A6"] = _item(
        qd_a, "A6", registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT,
        category=Category.STAFF_ATTITUDE, status=Status.CANCELLED, contact=clock(at, None),
        resolution=(local(2026, 11, 17, 18), None),
    )  # fmt: skip
    at = local(2026, 11, 5, 14)
    items["B1"] = _item(
        qd_b, "B1", registered=at, channel=Channel.EMAIL, kind=Kind.COMPLAINT, category=Category.ORDER,
        status=Status.CLOSED, contact=clock(at, timedelta(minutes=30)),
        resolution=(local(2026, 11, 7, 14), at + timedelta(hours=24)), closed=at + timedelta(hours=24),
        rating=Rating.A,
    )  # fmt: skip
    at = local(2026, 11, 18, 10)
    items["B2"] = _item(
        qd_b, "B2", registered=at, channel=Channel.HOTLINE, kind=Kind.REPAIR, category=Category.ENGINEERING,
        status=Status.IN_PROGRESS, contact=clock(at, timedelta(hours=2)),
        resolution=(local(2026, 11, 20, 10), None), is_major=True,
    )  # fmt: skip
    at = local(2026, 11, 8, 9)
    items["C1"] = _item(
        jn_c, "C1", registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT,
        category=Category.ENGINEERING, status=Status.CLOSED, contact=clock(at, timedelta(minutes=40)),
        resolution=(local(2026, 11, 9, 9), at + timedelta(hours=12)), closed=at + timedelta(hours=12),
        rating=Rating.A, is_hot=True,
    )  # fmt: skip
    at = local(2026, 11, 9, 10)
    items["C2"] = _item(
        jn_c, "C2", registered=at, channel=Channel.QR, kind=Kind.PRAISE, category=Category.CUSTOMER_SERVICE,
        status=Status.CLOSED, contact=clock(at, timedelta(minutes=15)),
        resolution=(local(2026, 11, 10, 10), at + timedelta(hours=6)), closed=at + timedelta(hours=6),
    )  # fmt: skip
    at = local(2026, 11, 25, 9)
    items["C3"] = _item(
        jn_c, "C3", registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT, category=Category.ORDER,
        contact=clock(at, None), resolution=(local(2026, 11, 27, 18), None),
    )  # fmt: skip
    for name, at, hours in (("P1", local(2026, 10, 20, 9), 10), ("Y1", local(2025, 11, 10, 9), 20)):
        items[name] = _item(
            qd_a, name, registered=at, channel=Channel.HOTLINE, kind=Kind.COMPLAINT,
            category=Category.ENGINEERING, status=Status.CLOSED, contact=clock(at, timedelta(minutes=30)),
            resolution=(at + timedelta(days=2), at + timedelta(hours=hours)),
            closed=at + timedelta(hours=hours), rating=Rating.A,
        )  # fmt: skip

    # --- return visits -----------------------------------------------------------------------------------
    visits = mw.visits
    for name, project, grade, day in (
        ("V1", qd_a, Grade.A, 4),
        ("V2", qd_a, Grade.A, 6),
        ("V3", qd_a, Grade.B, 9),
        ("V4", qd_a, Grade.C, 19),
        ("V5", qd_a, "", 27),
        ("V7", qd_b, Grade.B, 12),
        ("V8", jn_c, Grade.A, 10),
        ("V9", jn_c, Grade.C, 23),
    ):
        visits[name] = _visit(project, grade, due=local(2026, 11, day, 20))
    visits["V6"] = _visit(qd_a, due=local(2026, 11, 14, 20), status=VisitStatus.CANCELLED)
    visits["V4"].customer_said = "维修后仍然漏水。"
    visits["V4"].save(update_fields=["customer_said"])

    # --- nonconformities ---------------------------------------------------------------------------------
    ncs = mw.nonconformities
    ncs["NC1"] = Nonconformity.objects.create(
        project=qd_a,
        reference="MW-NC-1",
        title="回访不满意：维修后仍漏水",
        description="V4 graded C.",
        origin=Origin.RETURN_VISIT_C,
        visit=visits["V4"],
        stage=Stage.IN_PROGRESS,
        raised_by=w.pm_a,
        raised_at=local(2026, 11, 20, 10),
        analysed_at=local(2026, 11, 21, 10),
        planned_at=local(2026, 11, 21, 11),
        started_at=local(2026, 11, 21, 12),
    )
    NonconformityAction.objects.create(
        nonconformity=ncs["NC1"],
        kind=ActionKind.CORRECTIVE,
        description="重新维修并试水24小时。",
        owner=w.pm_a,
        due_on=date(2026, 11, 25),
        created_by=w.pm_a,
    )
    ncs["NC2"] = Nonconformity.objects.create(
        project=jn_c,
        reference="MW-NC-2",
        title="保洁不到位",
        description="Raised by hand.",
        origin=Origin.MANUAL,
        stage=Stage.CLOSED,
        raised_by=w.outsider,
        raised_at=local(2026, 11, 6, 10),
        closed_at=local(2026, 11, 16, 10),
    )
    ncs["NC3"] = Nonconformity.objects.create(
        project=qd_b,
        reference="MW-NC-3",
        title="门禁故障",
        description="Raised by hand.",
        origin=Origin.MANUAL,
        stage=Stage.ANALYSIS,
        raised_by=w.branch_manager,
        raised_at=local(2026, 10, 15, 10),
    )

    # --- reports to HQ -----------------------------------------------------------------------------------
    monthly = InformationType.objects.create(
        company=w.company,
        code="mw_monthly",
        name="物业公司月报",
        info_class=InfoClass.PERIODIC,
        scope=ReportingScope.BRANCH,
        deadline_rule=DeadlineRule.MONTHLY_BY_DAY,
        deadline_day=10,
        is_expected=True,
    )
    emergency = InformationType.objects.create(
        company=w.company,
        code="mw_emergency",
        name="一类突发事件",
        info_class=InfoClass.INSTANT,
        scope=ReportingScope.PROJECT,
        deadline_rule=DeadlineRule.WITHIN_HOURS,
        deadline_hours=24,
        is_expected=False,
    )
    reports = mw.reports
    reports["R-ONTIME"] = _report(
        monthly,
        "MW-R-ONTIME",
        branch=w.branch_a,
        period_start=NOVEMBER,
        due=local(2026, 12, 10, 23, 59, 59),
        submitted=local(2026, 12, 1, 9),
        score=90,
    )
    reports["R-LATE"] = _report(
        emergency,
        "MW-R-LATE",
        branch=w.branch_b,
        project=jn_c,
        occurred_at=local(2026, 11, 8, 10),
        due=local(2026, 11, 9, 10),
        submitted=local(2026, 11, 9, 15),
    )
    reports["R-MISSING"] = _report(
        emergency,
        "MW-R-MISSING",
        branch=w.branch_a,
        project=qd_a,
        occurred_at=local(2026, 11, 20, 10),
        due=local(2026, 11, 21, 10),
    )
    ReportSubmission.objects.filter(pk__in=[reports["R-LATE"].pk, reports["R-MISSING"].pk]).update(
        proposed_class=EmergencyClass.CLASS_1, confirmed_class=EmergencyClass.CLASS_1
    )
    return mw
