"""A return visit from the monthly list to a closed nonconformity, in the browser at phone width (issue 12:
R-FB-6, R-RV-3, R-RV-4, R-RV-5), on the demo organisation and accounts.

Set up through the services (what the month and the scheduler did): owner_a's leak at 海景花园 registered
and handled last month, the customer told; the 1st's monthly list made, its visit given to visitor_a (who
handled none of it). Then everything else is done by people in a 390 × 844 browser, with no service call
as a fallback: visitor_a opens the visit from their list, records an attempt nobody answered, then grades
C with what the customer said, and sees the separate visit on serious dissatisfaction; the project manager
opens the nonconformity the C opened from the item page's slot, records the cause, plans an action for the
engineering supervisor with a deadline and starts the work; the engineering supervisor marks the action
done from their home queue; QA staff (who owns no action) sends it to verification, verifies it with
evidence and the record shows it closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from estatedesk.demo.seeding import DEMO_PASSWORD
from estatedesk.feedback.choices import Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.services import feedback_item_step
from estatedesk.org.models import Project
from estatedesk.owners.models import Resident
from estatedesk.quality.choices import Stage
from estatedesk.quality.models import Nonconformity
from estatedesk.visits.choices import Grade, Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.services import monthly_list_make, return_visit_assign
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMER_SAID = "楼道还在漏水，维修工没有试水就走了 Still leaking; nobody tested it."


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def handled_last_month() -> FeedbackItem:
    """owner_a's leak, registered on the 10th of last month and walked by the demo people until the
    customer was told (as they would have done then)."""
    month = last_month()
    with time_machine.travel(datetime(month.year, month.month, 10, 9, 30, tzinfo=SHANGHAI), tick=True):
        resident = Resident.objects.get(user__username="owner_a")
        unit = resident.occupancies.filter(ended_on__isnull=True).first().unit
        item = feedback_item_register(
            actor=user("agent_a"),
            data=ItemInput(
                project=Project.objects.get(code="QD-HJ"),
                channel=Channel.HOTLINE,
                kind=Kind.COMPLAINT,
                category="engineering",
                title="楼道顶棚漏水 Stairwell ceiling leaking",
                description="1单元楼道顶棚滴水 Water drips from the ceiling of entrance 1.",
                resident=resident,
                unit=unit,
                contact_phone="13800001234",
            ),
        )
        for step, who, note, data in (
            ("contact_supervisor", "agent_a", "", {"supervisor_id": user("engineer_a").pk}),
            ("record_opinion", "engineer_a", "更换立管阀门 Replace the riser valve.", {}),
            ("arrange", "pm_a", "", {"executor_id": user("executor_a").pk}),
            ("start", "executor_a", "", {}),
            ("complete", "executor_a", "阀门已更换 Valve replaced.", {}),
            ("inform_cs", "executor_a", "", {}),
            ("inform_customer", "agent_a", "已电话告知业主 Phoned the owner.", {"how": "phone"}),
        ):
            item = feedback_item_step(
                actor=user(who), item=item, step=step, version=item.version, note=note, data=data
            )
    return item


def monthly_visit_for_visitor_a(item: FeedbackItem) -> ReturnVisit:
    """The 1st's list of last month's customers (the scheduler's job calls the same service), its visit of
    owner_a given to visitor_a if the turn gave it to someone else."""
    monthly_list_make(project=item.project, month=last_month())
    visit = ReturnVisit.objects.get(item=item, purpose=Purpose.MONTHLY)
    if visit.visitor != user("visitor_a"):
        visit = return_visit_assign(actor=user("supervisor_a"), visit=visit, visitor=user("visitor_a"))
    return visit


@pytest.fixture
def phone(browser: Any, site: str) -> Iterator[Any]:
    """phone(username) -> a page at 390 × 844 of a fresh browser context signed in as that demo user
    through the sign-in form; CSP violations and script errors of every page are collected in `problems`."""
    contexts: list[Any] = []
    problems: list[str] = []

    def _phone(username: str) -> Any:
        context = browser.new_context(base_url=site, viewport=PHONE, locale="zh-CN", is_mobile=True)
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

    _phone.problems = problems  # type: ignore[attr-defined]
    yield _phone
    for context in contexts:
        context.close()


def fits_the_phone(page: Any) -> None:
    """Nothing spills sideways, and every button and field of the page's forms is reachable at 390 px."""
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    outside = page.evaluate(
        """() => [...document.querySelectorAll(
                 'main button, main input:not([type=hidden]), main select, main textarea, main a.button')]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el, el.getBoundingClientRect()])
             .filter(([el, box]) => box.left < 0 || box.right > window.innerWidth + 0.5)
             .map(([el, box]) => `${el.tagName} ${el.name || el.textContent.trim()} ${box.right}`)"""
    )
    assert outside == [], f"{page.url}: {outside}"
    csp = page.evaluate("window.__cspViolations || []")
    assert csp == [], csp


def screenshot(page: Any, name: str) -> None:
    """build/screenshots/<name>-phone.png, the whole page at 390 px (for a look by a person)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)


def submit(page: Any, form: Any, label: str) -> None:
    with page.expect_navigation():
        form.get_by_role("button", name=label).click()


@pytest.mark.long
def test_r_rv_4_browser_walk_from_the_monthly_list_to_a_closed_nonconformity_at_phone_width(phone):
    # given owner_a's leak handled last month and the 1st's monthly list, its visit given to visitor_a
    item = handled_last_month()
    visit = monthly_visit_for_visitor_a(item)

    # 1. visitor_a opens their list from the home page's "visits due" and opens the visit
    page = phone("visitor_a")
    queue = page.locator("[data-queue='visits_due']")
    with page.expect_navigation():
        queue.get_by_test_id("queue-link").click()
    fits_the_phone(page)
    row = page.locator(f"[data-testid='visit-row'][data-visit='{visit.pk}']")
    assert row.count() == 1
    with page.expect_navigation():
        row.get_by_test_id("visit-link").click()
    assert page.url.endswith(f"/visits/{visit.pk}/")
    fits_the_phone(page)

    # 2. nobody answers: an attempt, never a grade
    attempt = page.get_by_test_id("attempt-form")
    attempt.get_by_label("无人接听").check()
    attempt.get_by_label("备注").fill("打了两次 Called twice")
    submit(page, attempt, "记录联系")
    assert page.get_by_test_id("attempt-count").inner_text() == "1"
    assert page.get_by_test_id("attempt").first.get_attribute("data-outcome") == "no_answer"
    assert page.get_by_test_id("status").get_attribute("data-status") == VisitStatus.DUE

    # 3. the customer answers the second call: C, with what they said
    grade = page.get_by_test_id("grade-form")
    grade.locator("input[name='grade'][value='C']").check()
    grade.locator("textarea[name='customer_said']").fill(CUSTOMER_SAID)
    submit(page, grade, "记录回访结果")
    fits_the_phone(page)
    assert page.get_by_test_id("grade").get_attribute("data-grade") == Grade.C
    assert CUSTOMER_SAID in page.get_by_test_id("result-said").inner_text()
    # and the page shows the separate visit on serious dissatisfaction (R-RV-3)
    follow_up = page.get_by_test_id("follow-up-link")
    assert follow_up.count() == 1
    serious = ReturnVisit.objects.get(parent=visit, purpose=Purpose.SERIOUS)
    assert follow_up.get_attribute("href") == f"/visits/{serious.pk}/"
    screenshot(page, "return-visit-graded-c")

    # 4. the C opened one nonconformity; the project manager opens it from the item page's slot
    nonconformity = Nonconformity.objects.get(item=item)
    assert nonconformity.stage == Stage.DRAFT
    page = phone("pm_a")
    page.goto(f"/feedback/{item.reference}/")
    slot = page.get_by_test_id("item-nonconformities")
    link = slot.locator(
        f"[data-reference='{nonconformity.reference}'] [data-testid='item-nonconformity-link']"
    )
    link.wait_for()
    # the visits' slot loads on its own (htmx after the page): wait for it, then count
    expect(page.get_by_test_id("item-visits").get_by_test_id("item-visit")).to_have_count(
        2
    )  # monthly + separate
    fits_the_phone(page)
    screenshot(page, "item-visits-and-nonconformities")
    with page.expect_navigation():
        link.click()
    assert page.get_by_test_id("stage").get_attribute("data-stage") == Stage.DRAFT
    fits_the_phone(page)

    # 5. the cause, then an action for the engineering supervisor with a deadline, then the work starts
    analyse = page.get_by_test_id("analyse-form")
    analyse.locator("select[name='cause_category']").select_option("process")
    analyse.locator("select[name='severity']").select_option("major")
    analyse.locator("textarea[name='cause']").fill("维修后未试水 No water test after the repair.")
    submit(page, analyse, "记录原因")
    assert page.get_by_test_id("stage").get_attribute("data-stage") == Stage.ACTION_PLAN
    action = page.get_by_test_id("action-form")
    action.locator("select[name='kind']").select_option("corrective")
    action.locator("textarea[name='description']").fill("重新维修并试水24小时 Repair again, test 24 h.")
    action.locator("select[name='owner']").select_option(str(user("engineer_a").pk))
    action.locator("input[name='due_on']").fill(f"{timezone.localdate() + timedelta(days=7):%Y-%m-%d}")
    submit(page, action, "添加")
    assert page.get_by_test_id("action").count() == 1
    fits_the_phone(page)
    screenshot(page, "nonconformity-action-plan")
    submit(page, page.get_by_test_id("start-form"), "开始实施措施")
    assert page.get_by_test_id("stage").get_attribute("data-stage") == Stage.IN_PROGRESS

    # 6. the action's owner opens it from "my actions" on their home page and marks it done
    page = phone("engineer_a")
    mine = page.locator("[data-queue='quality_my_actions']")
    with page.expect_navigation():
        mine.locator(f"[data-reference='{nonconformity.reference}'] a").click()
    fits_the_phone(page)
    done = page.locator("form[data-testid^='done-form-']")
    done.locator("textarea").fill("已重新维修，试水24小时无渗漏 Repaired, no leak after 24 h.")
    submit(page, done, "记录完成")
    assert "无渗漏" in page.get_by_test_id("action").inner_text()

    # 7. QA staff, who owns no action, sends it to verification and verifies it with evidence
    page = phone("qastaff")
    page.goto("/quality/")
    fits_the_phone(page)
    with page.expect_navigation():
        page.locator(f"a[href='/quality/{nonconformity.reference}/']").first.click()
    submit(page, page.get_by_test_id("to-verification-form"), "提交验证")
    assert page.get_by_test_id("stage").get_attribute("data-stage") == Stage.VERIFICATION
    verify = page.get_by_test_id("verify-form")
    verify.locator("textarea[name='evidence']").fill("现场复查无渗漏，照片存档 Checked on site: dry.")
    verify.locator("input[name='result'][value='effective']").check()
    fits_the_phone(page)
    submit(page, verify, "记录验证")

    # then the record shows it closed, verified effective by QA staff
    fits_the_phone(page)
    assert page.get_by_test_id("stage").get_attribute("data-stage") == Stage.CLOSED
    assert "Checked on site: dry." in page.get_by_test_id("evidence").inner_text()
    assert "吴品质专员" in page.get_by_test_id("verification-result").inner_text()
    screenshot(page, "nonconformity-closed")
    nonconformity.refresh_from_db()
    assert (nonconformity.stage, nonconformity.verifier) == (Stage.CLOSED, user("qastaff"))
    assert phone.problems == []
