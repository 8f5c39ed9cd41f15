"""Every role's home is its work queue (issue 11): at phone width (390 px), each demo role opens `/` and
does its top task from there, with clicks and typing only (the items are set up beforehand through the
services, as the earlier steps of other people). Demo accounts of project A (海景花园, QD-HJ)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from estatedesk.feedback.choices import Category, Channel, Kind, Status
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.services import feedback_item_step
from estatedesk.org.models import Project
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

# The R-FB path up to a step, as the demo people take it: (step, who, note, data with user names)
PATH: list[tuple[str, str, str, dict[str, Any]]] = [
    ("contact_supervisor", "agent_a", "", {"supervisor_id": "engineer_a"}),
    ("record_opinion", "engineer_a", "更换立管阀门。", {}),
    ("arrange", "pm_a", "", {"executor_id": "executor_a"}),
    ("start", "executor_a", "", {}),
    ("complete", "executor_a", "阀门已更换。", {}),
    ("inform_cs", "executor_a", "", {}),
]


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def item_at(step: str | None, *, title: str = "楼道漏水", **values: Any) -> FeedbackItem:
    """A hotline complaint of project A, walked through the path up to and including `step`."""
    item = feedback_item_register(
        actor=user("agent_a"),
        data=ItemInput(
            project=Project.objects.get(code="QD-HJ"),
            channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT,
            category=Category.ENGINEERING,
            title=title,
            description=f"{title}，请尽快处理。",
            contact_name="沈先生",
            contact_phone="13800001234",
            **values,
        ),
    )
    for name, persona, note, data in PATH:
        if step is None:
            break
        resolved = {key: user(value).pk if key.endswith("_id") else value for key, value in data.items()}
        item = feedback_item_step(
            actor=user(persona), item=item, step=name, version=item.version, note=note, data=resolved
        )
        if name == step:
            break
    return item


def open_home(page: Any, log_in: Any, username: str) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    log_in(username)
    page.goto("/")


def row(page: Any, queue: str, item: FeedbackItem) -> Any:
    return page.locator(f"[data-testid=queue][data-queue={queue}] [data-reference='{item.reference}']")


def status(item: FeedbackItem) -> str:
    return FeedbackItem.objects.get(pk=item.pk).status


def test_cs_supervisor_dispatches_an_item_from_the_queue(page, log_in):
    item = item_at(None, title="电梯困人")
    open_home(page, log_in, "supervisor_a")

    entry = row(page, "to_dispatch", item)
    assert entry.get_by_test_id("queue-row-call").get_attribute("href") == "tel:13800001234"
    with page.expect_navigation():
        entry.locator("[data-testid=queue-step-page][data-step=contact_supervisor]").click()
    form = page.get_by_test_id("step-contact_supervisor")
    form.locator("[name=supervisor]").select_option(str(user("engineer_a").pk))
    with page.expect_navigation():
        form.get_by_test_id("step-submit-contact_supervisor").click()

    assert status(item) == Status.SUPERVISOR_CONTACTED
    page.goto("/")
    assert row(page, "to_dispatch", item).count() == 0
    assert row(page, "awaiting_opinion", item).count() == 1


def test_department_supervisor_records_the_handling_opinion_from_home(page, log_in, site):
    item = item_at("contact_supervisor")
    open_home(page, log_in, "engineer_a")

    entry = row(page, "my_opinions", item)
    entry.locator("[data-testid=queue-step-open][data-step=record_opinion]").click()
    form = entry.locator("[data-testid=queue-step-form][data-step=record_opinion]")
    form.locator("[name=note]").fill("更换三楼立管阀门。")
    with page.expect_navigation():
        form.get_by_test_id("queue-step-submit").click()

    assert page.url == f"{site}/"  # back on the home page
    assert status(item) == Status.OPINION_RECORDED
    assert row(page, "my_opinions", item).count() == 0


def test_project_manager_arranges_from_home(page, log_in):
    item = item_at("record_opinion")
    open_home(page, log_in, "pm_a")

    with page.expect_navigation():
        row(page, "to_arrange", item).locator("[data-step=arrange]").click()
    form = page.get_by_test_id("step-arrange")
    form.locator("[name=executor]").select_option(str(user("executor_a").pk))
    with page.expect_navigation():
        form.get_by_test_id("step-submit-arrange").click()

    assert status(item) == Status.ARRANGED
    assert FeedbackItem.objects.get(pk=item.pk).executor == user("executor_a")


def test_executor_starts_and_finishes_a_job_from_my_jobs(page, log_in):
    item = item_at("arrange", title="水龙头漏水")
    open_home(page, log_in, "executor_a")

    entry = row(page, "my_jobs", item)
    assert "海景花园" in entry.get_by_test_id("queue-row-place").inner_text()
    assert entry.get_by_test_id("queue-row-call").get_attribute("href") == "tel:13800001234"
    with page.expect_navigation():
        entry.locator("[data-testid=queue-step][data-step=start]").click()
    assert status(item) == Status.IN_PROGRESS

    entry = row(page, "my_jobs", item)
    entry.locator("[data-testid=queue-step-open][data-step=complete]").click()
    form = entry.locator("[data-testid=queue-step-form][data-step=complete]")
    form.locator("[name=note]").fill("已更换阀芯，不再漏水。")
    with page.expect_navigation():
        form.get_by_test_id("queue-step-submit").click()

    assert status(item) == Status.HANDLED
    # still in "my jobs": telling customer service is the last thing the executor does
    with page.expect_navigation():
        row(page, "my_jobs", item).locator("[data-testid=queue-step][data-step=inform_cs]").click()
    assert status(item) == Status.CS_INFORMED
    assert row(page, "my_jobs", item).count() == 0


def test_agent_informs_the_customer_from_home(page, log_in):
    item = item_at("inform_cs")
    open_home(page, log_in, "agent_a")

    entry = row(page, "to_inform", item)
    entry.locator("[data-testid=queue-step-open][data-step=inform_customer]").click()
    form = entry.locator("[data-testid=queue-step-form][data-step=inform_customer]")
    form.locator("[name=note]").fill("已电话告知业主维修完成。")
    form.locator("[name=how]").select_option("phone")
    with page.expect_navigation():
        form.get_by_test_id("queue-step-submit").click()

    assert status(item) == Status.CUSTOMER_INFORMED
    assert row(page, "to_inform", item).count() == 0


def test_qa_reaches_the_item_awaiting_its_opinion(page, log_in):
    item = item_at(None, title="外墙渗水", is_quality_problem=True)
    open_home(page, log_in, "qastaff")

    with page.expect_navigation():
        row(page, "qa_opinion", item).get_by_test_id("queue-row-link").click()

    assert page.get_by_test_id("reference").inner_text() == item.reference


@pytest.mark.parametrize("username", ["hq", "branchmgr", "gm"])
def test_overseeing_roles_follow_a_figure_to_the_list(page, log_in, username):
    major = item_at(None, title="地下车库积水", is_major=True)
    item_at(None, title="绿化带杂草")
    open_home(page, log_in, username)

    figure = page.locator("[data-testid=figure][data-queue=major_hot]")
    assert figure.locator(".figure__value").inner_text() == "1"
    with page.expect_navigation():
        figure.click()

    assert "queue=major_hot" in page.url
    assert (
        page.locator("[data-testid=queue-tab][data-queue=major_hot]").get_attribute("aria-current") == "page"
    )
    assert page.locator(f"[data-reference='{major.reference}']").count() >= 1
    assert "绿化带杂草" not in page.inner_text("main")


def test_the_menu_shows_the_number_of_waiting_items_once_the_page_has_loaded(page, log_in):
    # given two new items waiting for the CS supervisor to dispatch them
    item_at(None, title="电梯困人")
    item_at(None, title="楼道漏水")
    # when the supervisor opens any page (the number is asked for after the page, htmx)
    page.context.clear_cookies()
    log_in("supervisor_a")
    page.goto("/feedback/statistics/")
    # then the menu's "Home" shows 2
    assert page.get_by_test_id("nav-count-home").inner_text() == "2"
