"""Expected reports and what follows their deadlines (R-IR-1): one report per unit and period while the
unit is open, its deadline stored; reminders 3 and 1 days before, each once; the non-reporters for HQ
the day after; the branch manager told once; HQ's page and API of the missing reports, and who may see
them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from estatedesk.feedback.tests.helpers import api_for
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.reporting import catalogue
from estatedesk.reporting.choices import ReportingScope, SubmissionStatus
from estatedesk.reporting.expected import deadline_sweep, expected_reports_make
from estatedesk.reporting.models import InformationType, ReportReminder, ReportSubmission

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS_2026 = [date(2026, month, 1) for month in range(1, 13)]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc, arg-type]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def seeded(world):
    return catalogue.catalogue_ensure(company=world.company)


def _member(world, django_user_model, username, role, *, branch=None, project=None):
    user = django_user_model.objects.create_user(username=username, password="x", display_name=username)
    level = ScopeLevel.PROJECT if project else ScopeLevel.BRANCH if branch else ScopeLevel.COMPANY
    Membership.objects.create(
        user=user, role=role, level=level, company=world.company, branch=branch, project=project
    )
    return user


@pytest.fixture
def people(world, django_user_model):
    """branch A's document administrator; branch B's manager (it has no document administrator)."""
    return {
        "doc_a": _member(world, django_user_model, "doc_a", Role.DOC_ADMIN, branch=world.branch_a),
        "manager_b": _member(
            world, django_user_model, "manager_b", Role.BRANCH_MANAGER, branch=world.branch_b
        ),
    }


def _periods(world, code, unit_key):
    return list(
        ReportSubmission.objects.filter(information_type__code=code, unit_key=unit_key)
        .order_by("period_start")
        .values_list("period_start", flat=True)
    )


def _type(world, code):
    return InformationType.objects.get(company=world.company, code=code)


# --- expected reports -------------------------------------------------------------------------------------


def test_ir_1_a_branch_opened_on_15_june_is_expected_to_report_june_to_december_only(world, seeded):
    # given branch A opened on 2026-06-15 (branch B has always been open)
    world.branch_a.opened_on = date(2026, 6, 15)
    world.branch_a.save()
    # when the expected reports of 2026 are made on 15 December
    expected_reports_make(today=date(2026, 12, 15), since=date(2026, 1, 1))
    # then branch A owes the monthly reports of June to December, branch B every month
    branch_a, branch_b = f"B{world.branch_a.pk}", f"B{world.branch_b.pk}"
    assert _periods(world, "monthly_business", branch_a) == MONTHS_2026[5:]
    assert _periods(world, "monthly_finance", branch_a) == MONTHS_2026[5:]
    assert _periods(world, "monthly_business", branch_b) == MONTHS_2026
    # and not the 2026 annual plan, due on 15 January before it opened; branch B does
    assert _periods(world, "annual_plan", branch_a) == []
    assert _periods(world, "annual_plan", branch_b) == [date(2026, 1, 1)]
    # each with its deadline stored: the 10th of the next month at 23:59:59 company time
    june = ReportSubmission.objects.get(
        information_type__code="monthly_business", unit_key=branch_a, period_start=date(2026, 6, 1)
    )
    assert june.reference == "RP-QD-202606-MONTHLY-BUSINESS"
    assert (june.status, june.period_end, june.due_at) == (
        SubmissionStatus.EXPECTED,
        date(2026, 6, 30),
        at(2026, 7, 10, 23, 59, 59),
    )
    assert (june.branch, june.project) == (world.branch_a, None)
    december = ReportSubmission.objects.get(
        information_type__code="monthly_business", unit_key=branch_a, period_start=date(2026, 12, 1)
    )
    assert december.due_at == at(2027, 1, 10, 23, 59, 59)


def test_ir_1_a_project_closed_on_30_september_is_expected_to_report_up_to_september(world, seeded):
    # given a type reported by each project, and project A closed on 2026-09-30
    catalogue.information_type_update(
        actor=world.hq, information_type=_type(world, "monthly_finance"), scope=ReportingScope.PROJECT
    )
    world.project_a.closed_on = date(2026, 9, 30)
    world.project_a.save()
    # when the expected reports of 2026 are made
    expected_reports_make(today=date(2026, 12, 15), since=date(2026, 1, 1))
    # then project A owes January to September, project A2 every month, each under its branch
    assert _periods(world, "monthly_finance", f"P{world.project_a.pk}") == MONTHS_2026[:9]
    assert _periods(world, "monthly_finance", f"P{world.project_a2.pk}") == MONTHS_2026
    row = ReportSubmission.objects.get(
        information_type__code="monthly_finance",
        unit_key=f"P{world.project_a.pk}",
        period_start=date(2026, 9, 1),
    )
    assert (row.branch, row.project, row.reference) == (
        world.branch_a,
        world.project_a,
        "RP-QD-A-202609-MONTHLY-FINANCE",
    )


def test_ir_1_making_the_expected_reports_twice_makes_nothing_new(world, seeded):
    first = expected_reports_make(today=date(2026, 12, 15), since=date(2026, 1, 1))
    count = ReportSubmission.objects.count()
    second = expected_reports_make(today=date(2026, 12, 15), since=date(2026, 1, 1))
    # 2 branches x (12 months x 2 monthly types + the 2026 plan and training outline)
    assert first == 2 * (12 * 2 + 2)
    assert second == 0
    assert ReportSubmission.objects.count() == count


def test_ir_1_only_periods_that_have_begun_are_expected(world, seeded):
    expected_reports_make(today=date(2026, 11, 30), since=date(2026, 11, 1))
    assert _periods(world, "monthly_business", f"B{world.branch_a.pk}") == [date(2026, 11, 1)]
    expected_reports_make(today=date(2026, 12, 1), since=date(2026, 11, 1))
    assert _periods(world, "monthly_business", f"B{world.branch_a.pk}") == [
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]


def test_ir_1_yearly_reports_are_expected_in_january_with_their_deadlines(world, seeded):
    expected_reports_make(today=date(2027, 1, 2), since=date(2026, 12, 1))
    plan = ReportSubmission.objects.get(
        information_type__code="annual_plan", unit_key=f"B{world.branch_a.pk}"
    )
    training = ReportSubmission.objects.get(
        information_type__code="annual_training", unit_key=f"B{world.branch_a.pk}"
    )
    assert (plan.period_start, plan.due_at, plan.reference) == (
        date(2027, 1, 1),
        at(2027, 1, 15, 23, 59, 59),
        "RP-QD-2027-ANNUAL-PLAN",
    )
    assert (training.period_start, training.due_at) == (date(2027, 1, 1), at(2027, 1, 31, 23, 59, 59))


def test_ir_1_the_daily_run_makes_each_periods_reports_as_it_begins(world, seeded):
    # given the catalogue seeded on 20 June 2026
    InformationType.objects.filter(company=world.company).update(created_at=at(2026, 6, 20, 10, 0))
    # when the daily run comes on 20 June, 1 July and (after an outage) 15 August
    for today in (date(2026, 6, 20), date(2026, 7, 1), date(2026, 8, 15)):
        expected_reports_make(today=today)
    # then June, July and August are owed, each made while it could still be reported on time (July's
    # deadline, 10 August, had passed by 15 August, but July was made on 1 July); no 2026 annual plan
    assert _periods(world, "monthly_business", f"B{world.branch_a.pk}") == MONTHS_2026[5:8]
    assert not ReportSubmission.objects.filter(information_type__code="annual_plan").exists()
    assert all(row.due_at > at(2026, 6, 20) for row in ReportSubmission.objects.all())


def test_ir_1_a_branch_added_late_owes_nothing_already_overdue(world, seeded):
    # given the catalogue in use since January
    InformationType.objects.filter(company=world.company).update(created_at=at(2026, 1, 1, 9, 0))
    from estatedesk.org.models import Branch

    # when a branch (no opening date) is added on 5 December and the daily run comes
    Branch.objects.create(company=world.company, code="YT", name="烟台分公司")
    expected_reports_make(today=date(2026, 12, 5))
    # then it owes November's report (due 10 December) and December's, not the months before
    unit = f"B{Branch.objects.get(code='YT').pk}"
    assert _periods(world, "monthly_business", unit) == [date(2026, 11, 1), date(2026, 12, 1)]


def test_ir_1_a_closing_recorded_late_withdraws_the_untouched_expected_reports_only(world, seeded):
    catalogue.information_type_update(
        actor=world.hq, information_type=_type(world, "monthly_finance"), scope=ReportingScope.PROJECT
    )
    expected_reports_make(today=date(2026, 12, 15), since=date(2026, 9, 1))
    unit = f"P{world.project_a.pk}"
    # given project A's November report started as a draft, then its closing on 30 September recorded
    ReportSubmission.objects.filter(unit_key=unit, period_start=date(2026, 11, 1)).update(
        status=SubmissionStatus.DRAFT
    )
    world.project_a.closed_on = date(2026, 9, 30)
    world.project_a.save()
    # when the expected reports are made again
    expected_reports_make(today=date(2026, 12, 15), since=date(2026, 9, 1))
    # then October and December, never touched, are withdrawn; the draft stays
    assert _periods(world, "monthly_finance", unit) == [date(2026, 9, 1), date(2026, 11, 1)]


def test_ir_1_inactive_and_unexpected_types_make_no_reports(world, seeded):
    catalogue.information_type_update(
        actor=world.hq, information_type=_type(world, "monthly_finance"), is_active=False
    )
    expected_reports_make(today=date(2026, 11, 15), since=date(2026, 11, 1))
    assert set(ReportSubmission.objects.values_list("information_type__code", flat=True)) == {
        "monthly_business"
    }


# --- the deadline sweep -------------------------------------------------------------------------------------


@pytest.fixture
def november(world, seeded, people):
    """November 2026's monthly reports of branches A and B, due 10 December 23:59:59."""
    expected_reports_make(today=date(2026, 11, 1), since=date(2026, 11, 1))
    assert ReportSubmission.objects.count() == 4
    return list(ReportSubmission.objects.select_related("information_type").order_by("id"))


def _notes(user):
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def test_ir_1_reminders_3_and_1_days_before_each_once_even_when_the_sweep_runs_twice(world, people, november):
    # four days before: nothing yet
    assert deadline_sweep(now=at(2026, 12, 6, 9, 0))["reminded"] == 0
    # three days before: each report once, to its unit's reporters
    assert deadline_sweep(now=at(2026, 12, 7, 9, 0))["reminded"] == 4
    assert deadline_sweep(now=at(2026, 12, 7, 9, 15))["reminded"] == 0
    assert deadline_sweep(now=at(2026, 12, 8, 9, 0))["reminded"] == 0
    # one day before: again once
    assert deadline_sweep(now=at(2026, 12, 9, 9, 0))["reminded"] == 4
    assert deadline_sweep(now=at(2026, 12, 9, 9, 15))["reminded"] == 0
    assert deadline_sweep(now=at(2026, 12, 10, 23, 0))["reminded"] == 0
    kinds = sorted(ReportReminder.objects.values_list("submission__information_type__code", "kind"))
    assert kinds == sorted(
        [
            (code, kind)
            for code in ("monthly_business", "monthly_finance")
            for kind in ("before_1", "before_3")
        ]
        * 2
    )
    # branch A's document administrator is told (not its manager); branch B, without one, its manager
    assert len(_notes(people["doc_a"])) == 4
    assert _notes(world.branch_manager) == []
    assert len(_notes(people["manager_b"])) == 4
    assert all("2026-11" in title and "2026-12-10 23:59" in title for title in _notes(people["doc_a"]))


def test_ir_1_a_late_sweep_sends_only_the_most_urgent_reminder_and_none_for_a_submitted_report(
    world, people, november
):
    submitted = november[0]
    submitted.first_submitted_at = at(2026, 12, 1, 10, 0)
    submitted.status = SubmissionStatus.SUBMITTED
    submitted.save()
    assert deadline_sweep(now=at(2026, 12, 9, 18, 0))["reminded"] == 3
    assert set(ReportReminder.objects.values_list("kind", flat=True)) == {"before_1"}
    assert not ReportReminder.objects.filter(submission=submitted).exists()


def test_ir_1_the_non_reporters_are_listed_for_hq_the_day_after_and_the_branch_manager_told_once(
    world, people, november, english
):
    # given branch A submitted its business report on time
    on_time = next(
        r for r in november if r.branch == world.branch_a and r.information_type.code == "monthly_business"
    )
    on_time.first_submitted_at = at(2026, 12, 10, 23, 59, 59)
    on_time.status = SubmissionStatus.SUBMITTED
    on_time.save()
    # at the deadline's last second nothing is missing yet
    assert deadline_sweep(now=at(2026, 12, 10, 23, 59, 59)) == {"reminded": 0, "listed": 0, "escalated": 0}
    # at midnight the three missing reports are listed for HQ, in one notification
    result = deadline_sweep(now=at(2026, 12, 11, 0, 0, 0))
    assert result == {"reminded": 0, "listed": 3, "escalated": 3}
    hq_notes = list(Notification.objects.filter(user=world.hq))
    assert len(hq_notes) == 1
    assert hq_notes[0].title == "3 reports of 2026-11 are missing"
    assert hq_notes[0].body.count("\n") == 2
    assert hq_notes[0].url == "/reporting/missing/?period=2026-11"
    assert "青岛分公司 · 物业财务信息月报" in hq_notes[0].body
    # each branch manager told once, of the branch's own missing reports
    assert _notes(world.branch_manager) == ["青岛分公司: 1 reports to HQ are missing after their deadline"]
    assert _notes(people["manager_b"]) == ["济南分公司: 2 reports to HQ are missing after their deadline"]
    # and never again, however often the sweep runs
    assert deadline_sweep(now=at(2026, 12, 11, 0, 15)) == {"reminded": 0, "listed": 0, "escalated": 0}
    assert deadline_sweep(now=at(2026, 12, 20, 9, 0)) == {"reminded": 0, "listed": 0, "escalated": 0}
    assert Notification.objects.filter(user=world.hq).count() == 1
    assert len(_notes(world.branch_manager)) == 1
    missing = ReportSubmission.objects.exclude(pk=on_time.pk)
    assert all(row.listed_missing_at == at(2026, 12, 11) for row in missing)
    assert all(row.escalated_at == at(2026, 12, 11) for row in missing)
    on_time.refresh_from_db()
    assert (on_time.listed_missing_at, on_time.escalated_at) == (None, None)


def test_ir_1_the_branch_manager_is_told_after_the_days_the_rules_say(world, people, november):
    catalogue.reporting_rules_update(
        actor=world.hq, company=world.company, at_once_hours=24, reminder_days=[3, 1], escalate_after_days=3
    )
    assert deadline_sweep(now=at(2026, 12, 11, 0, 0))["escalated"] == 0
    assert deadline_sweep(now=at(2026, 12, 12, 23, 59))["escalated"] == 0
    assert deadline_sweep(now=at(2026, 12, 13, 0, 0))["escalated"] == 4
    assert len(_notes(world.branch_manager)) == 1


def test_ir_1_a_report_submitted_late_is_not_missing(world, people, november):
    late = november[0]
    late.first_submitted_at = at(2026, 12, 11, 8, 0)
    late.status = SubmissionStatus.RETURNED  # returned for correction after a late first submission
    late.save()
    assert deadline_sweep(now=at(2026, 12, 11, 9, 0))["listed"] == 3


# --- HQ's page and API of the missing reports ---------------------------------------------------------------


def test_ir_1_hq_sees_the_non_reporters_of_a_period_with_the_days_late(world, people, november, login):
    submitted = november[0]
    submitted.first_submitted_at = at(2026, 12, 5, 9, 0)
    submitted.save()
    with time_machine.travel(at(2026, 12, 13, 10, 0), tick=False):
        page = login(world.hq).get(reverse("reporting:missing"), {"period": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="missing-row"') == 3
    assert submitted.reference not in html
    assert html.count('data-testid="days-late">3<') == 3
    assert "table--stack" in html
    found = page.context["found"]
    assert (found.expected, found.received, found.pending, len(found.rows)) == (4, 1, 0, 3)


def test_ir_1_before_the_deadline_nothing_is_missing(world, people, november, login):
    with time_machine.travel(at(2026, 12, 10, 23, 59, 59), tick=False):
        page = login(world.hq).get(reverse("reporting:missing"), {"period": "2026-11"})
    found = page.context["found"]
    assert (found.expected, found.pending, found.rows) == (4, 4, [])


def test_ir_1_a_company_wide_leader_sees_the_missing_reports_a_branch_manager_does_not(
    world, people, november, login, django_user_model
):
    leader = _member(world, django_user_model, "leader", Role.LEADER)
    with time_machine.travel(at(2026, 12, 13, 10, 0), tick=False):
        assert login(leader).get(reverse("reporting:missing"), {"period": "2026-11"}).status_code == 200
        assert login(world.branch_manager).get(reverse("reporting:missing")).status_code == 403


def test_ir_1_the_missing_page_refuses_the_outsider_nobody_an_owner_and_anonymous(
    world, november, login, client
):
    url = reverse("reporting:missing") + "?period=2026-11"
    for user in (world.outsider, world.nobody, world.owner_a):
        response = login(user).get(url)
        assert response.status_code == 403, user
        assert "RP-" not in response.content.decode()
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_ir_1_api_lists_the_missing_reports_for_hq(world, people, november):
    with time_machine.travel(at(2026, 12, 12, 10, 0), tick=False):
        deadline_sweep(now=at(2026, 12, 11, 0, 0))
        body = api_for(world.hq).get("/api/reporting/missing/", {"period": "2026-11"}).json()
        bad = api_for(world.hq).get("/api/reporting/missing/", {"period": "2026-13"})
    assert (body["period"], body["expected"], body["received"], body["pending"]) == ("2026-11", 4, 0, 0)
    first = body["rows"][0]
    assert (first["information_type"], first["branch"], first["project"], first["days_late"]) == (
        "monthly_business",
        "JN",
        None,
        2,
    )
    assert first["escalated"] is True
    assert first["due_at"] == "2026-12-10T23:59:59+08:00"
    assert [row["reference"] for row in body["rows"]] == [
        "RP-JN-202611-MONTHLY-BUSINESS",
        "RP-QD-202611-MONTHLY-BUSINESS",
        "RP-JN-202611-MONTHLY-FINANCE",
        "RP-QD-202611-MONTHLY-FINANCE",
    ]
    assert bad.status_code == 400


def test_ir_1_api_refuses_the_missing_reports_to_the_outsider_nobody_an_owner_and_anonymous(
    world, november, client
):
    for user in (world.outsider, world.nobody, world.owner_a, world.branch_manager):
        response = api_for(user).get("/api/reporting/missing/", {"period": "2026-11"})
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"
    assert client.get("/api/reporting/missing/").status_code == 401


def test_ir_1_the_missing_reports_page_and_api_make_as_many_queries_with_many_rows(
    world, people, november, login
):
    from estatedesk.common.testing import assert_queries_do_not_grow
    from estatedesk.org.models import Branch

    def add_rows():
        for number in range(1, 6):
            Branch.objects.create(company=world.company, code=f"X{number}", name=f"新分公司{number}")
        expected_reports_make(today=date(2026, 11, 1), since=date(2026, 11, 1))
        return [f"RP-X{number}-202611-MONTHLY-BUSINESS" for number in range(1, 6)]

    with time_machine.travel(at(2026, 12, 13, 10, 0), tick=False):
        client = login(world.hq)
        assert_queries_do_not_grow(
            client, reverse("reporting:missing") + "?period=2026-11", add_rows, ceiling=15
        )
        ReportSubmission.objects.filter(branch__code__startswith="X").delete()
        Branch.objects.filter(code__startswith="X").delete()
        assert_queries_do_not_grow(client, "/api/reporting/missing/?period=2026-11", add_rows, ceiling=15)
