"""A monthly report to HQ walked in the browser from the reminder to accepted and scored (issue 14: R-IR-1,
R-IR-2, R-IR-5), on the demo organisation and accounts.

Set up through the services (what HQ and the scheduler did): the catalogue, with the monthly business
report the only type expected (so the month's figures are that report's), and the expected reports of
this month. The clock is then moved to three days before the deadline (the 10th of next month, 23:59:59)
for the rest of the test, the live server included (time_machine moves the process's clock, and the live
server is a thread of it): the deadline sweep, the scheduler's function, sends the reminder. Then people
do the rest in chromium, with no service call as a fallback: 青岛分公司's document administrator (`docadmin`)
sees the reminder, opens the report from it, fills in the required fields, saves and submits it; HQ
(`hq`) opens it from the review queue of their home page and accepts it with a quality level; the
scorecard of the month shows the branch at 100.00 timeliness, 100.00 completeness and the level's score,
and the timeliness figure opens the report behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from estatedesk.demo.seeding import DEMO_PASSWORD
from estatedesk.org.models import Company
from estatedesk.reporting import catalogue
from estatedesk.reporting.choices import SubmissionStatus
from estatedesk.reporting.expected import deadline_sweep, expected_reports_make
from estatedesk.reporting.models import InformationType, QualityLevel, ReportReminder, ReportSubmission
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser
REQUIRED = {
    "f_managed_area": "83200",
    "f_projects_in_service": "2",
    "f_operations": "本月在管项目运行平稳，完成电梯年检与消防设施维保。 Operations as usual.",
    "f_complaints_received": "12",
    "f_complaints_handled": "12",
    "f_class2_events": "0",
}


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def three_days_before_the_deadline() -> tuple[datetime, datetime]:
    """(this month's first day as a moment, the 7th of next month at 09:00): the monthly report of this
    month is due on the 10th of next month at 23:59:59, three days later."""
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(this_month, time(), zone),
        datetime.combine(next_month.replace(day=7), time(9, 0), zone),
    )


def only_the_monthly_business_report_expected() -> None:
    """The catalogue as HQ keeps it, the other periodic types not expected for this test's month."""
    hq = user("hq")
    company = Company.objects.get(code="AJ")
    catalogue.catalogue_ensure(company=company)
    for information_type in InformationType.objects.filter(company=company, is_expected=True).exclude(
        code="monthly_business"
    ):
        catalogue.information_type_update(actor=hq, information_type=information_type, is_expected=False)


@pytest.fixture
def signed_in(browser: Any, site: str) -> Iterator[Any]:
    """signed_in(username) -> a desktop page of a fresh browser context signed in through the form; page
    errors and CSP violations of every page are collected in `problems`."""
    contexts: list[Any] = []
    problems: list[str] = []

    def _signed_in(username: str) -> Any:
        context = browser.new_context(base_url=site, viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("pageerror", lambda error: problems.append(f"{username}: page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"{username}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto("/accounts/login/")
        form = page.locator("form:has(input[name='username'])")
        form.locator("input[name='username']").fill(username)
        form.locator("input[name='password']").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            form.locator("[type='submit']").click()
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        return page

    _signed_in.problems = problems  # type: ignore[attr-defined]
    yield _signed_in
    for context in contexts:
        context.close()


def no_csp_violations(page: Any) -> None:
    assert page.evaluate("window.__cspViolations || []") == [], page.url


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)


def click_and_wait(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def test_ir_1_browser_walk_of_a_monthly_report_from_the_reminder_to_accepted_and_scored(signed_in):
    # given the catalogue, the monthly business report the one type expected, and this month's reports
    only_the_monthly_business_report_expected()
    period_start, moment = three_days_before_the_deadline()
    with time_machine.travel(moment, tick=True):
        expected_reports_make(since=period_start.date())
        report = ReportSubmission.objects.get(
            branch__code="QD",
            project__isnull=True,
            information_type__code="monthly_business",
            period_start=period_start.date(),
        )
        assert (timezone.localdate(report.due_at) - timezone.localdate()).days == 3

        # when the scheduler's deadline sweep runs, three days before the deadline
        swept = deadline_sweep()

        # then the reminder goes out, once
        assert swept["reminded"] >= 1
        assert ReportReminder.objects.filter(submission=report, kind="before_3").count() == 1

        # 1. the document administrator signs in: the report waits in their home queue and the bell
        page = signed_in("docadmin")
        queue = page.locator("[data-queue='reporting_to_submit']")
        assert queue.locator(f"[data-testid='queue-row'][data-reference='{report.reference}']").count() == 1
        assert int(page.get_by_test_id("unread-count").inner_text()) >= 1
        no_csp_violations(page)
        click_and_wait(page, page.get_by_test_id("notifications-link"))
        reminder = page.get_by_test_id("notification").filter(has_text="物业公司月报")
        assert reminder.count() == 1
        click_and_wait(page, reminder.locator("button"))
        assert page.url.endswith(f"/reporting/{report.reference}/")
        assert page.get_by_test_id("status").get_attribute("data-status") == SubmissionStatus.EXPECTED

        # 2. they fill in the required fields, save the draft, and submit it
        form = page.get_by_test_id("edit-form")
        for name, value in REQUIRED.items():
            form.locator(f"[name='{name}']").fill(value)
        click_and_wait(page, form.get_by_test_id("save"))
        assert page.get_by_test_id("status").get_attribute("data-status") == SubmissionStatus.DRAFT
        assert page.get_by_test_id("missing").count() == 0
        screenshot(page, "reporting-monthly-draft")
        click_and_wait(page, page.get_by_test_id("submit"))
        assert page.get_by_test_id("status").get_attribute("data-status") == SubmissionStatus.SUBMITTED
        assert page.get_by_test_id("timeliness").get_attribute("data-on-time") == "1"
        no_csp_violations(page)

        # 3. HQ opens it from the review queue of their home page and accepts it as 良 (80)
        page = signed_in("hq")
        review = page.locator("[data-queue='reporting_to_review']")
        row = review.locator(f"[data-testid='queue-row'][data-reference='{report.reference}']")
        click_and_wait(page, row.locator("a"))
        assert page.get_by_test_id("value-complaints_received").inner_text().endswith("12")
        good = QualityLevel.objects.get(company__code="AJ", label="良")
        accept = page.get_by_test_id("accept-form")
        accept.locator("select[name='quality_level']").select_option(str(good.pk))
        click_and_wait(page, accept.get_by_test_id("accept"))
        assert page.get_by_test_id("status").get_attribute("data-status") == SubmissionStatus.ACCEPTED
        assert page.get_by_test_id("locked").count() == 1
        assert "80.00" in page.get_by_test_id("accepted").inner_text()
        screenshot(page, "reporting-monthly-accepted")

        # 4. the month's scorecard: 青岛分公司 on time, complete, scored
        page.goto(f"/reporting/scores/?month={period_start:%Y-%m}")
        qd = page.locator("[data-testid='score-row'][data-kind='branch'][data-code='QD']")
        assert qd.get_by_test_id("timeliness").inner_text().startswith("100.00%")
        assert qd.get_by_test_id("completeness").inner_text().startswith("100.00%")
        assert qd.get_by_test_id("quality").inner_text().startswith("80.00")
        assert qd.get_by_test_id("total").inner_text().strip() == "94.00"  # 40% · 100 + 30% · 100 + 30% · 80
        no_csp_violations(page)
        screenshot(page, "reporting-scorecard")

        # and the timeliness figure opens the report behind it
        click_and_wait(page, qd.get_by_test_id("timeliness").locator("a").first)
        rows = page.get_by_test_id("report-row")
        assert rows.count() == 1
        assert rows.first.get_attribute("data-reference") == report.reference

    report.refresh_from_db()
    assert (report.status, report.submitted_by, report.accepted_by) == (
        SubmissionStatus.ACCEPTED,
        user("docadmin"),
        user("hq"),
    )
    assert signed_in.problems == []
