"""The home page as a work queue per role (issue 11, feedback/home.py on org's home): cards with counts and
rows (place, tap-to-call, deadline, next steps that come back home), figures for the overseeing roles, the
count in the menu, the outsider who sees nothing, and a bounded number of queries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.choices import Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.tests.helpers import add_member, register, walk
from estatedesk.org.choices import Role
from estatedesk.owners.models import Resident

pytestmark = pytest.mark.django_db

PHONE = "13800001234"


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def card(text, queue):
    """The HTML of one queue card of the home page."""
    match = re.search(rf'<section class="card queue"[^>]*data-queue="{queue}">(.*?)</section>', text, re.S)
    assert match, f"no card {queue}"
    return match.group(1)


def test_cs_supervisor_home_lists_items_to_dispatch_with_place_call_and_deadline(world, crew, staff):
    item = register(world, title="Lift stuck", unit=world.unit_a, contact_name="沈先生", contact_phone=PHONE)

    text = home(staff(world.supervisor_a))

    to_dispatch = card(text, "to_dispatch")
    assert item.reference in to_dispatch
    assert "1-1-101" in to_dispatch
    assert f'href="tel:{PHONE}"' in to_dispatch
    assert 'data-testid="queue-row-deadline"' in to_dispatch
    # dispatching assigns a supervisor: the row leads to the item page for it
    assert 'data-testid="queue-step-page" data-step="contact_supervisor"' in to_dispatch
    assert re.search(r'data-testid="queue-count">1<', to_dispatch)


def test_a_row_without_a_contact_phone_calls_the_resident(world, crew, staff):
    # given an item of a resident on file, registered without a typed contact
    owner = Resident.objects.get(user=world.owner_a)
    item = register(world, resident=owner, unit=world.unit_a)
    FeedbackItem.objects.filter(pk=item.pk).update(contact_phone="", contact_name="")

    to_dispatch = card(home(staff(world.supervisor_a)), "to_dispatch")

    assert owner.name in to_dispatch
    assert f'href="tel:{PHONE}"' in to_dispatch


def test_executor_starts_a_job_from_the_home_page_and_comes_back(world, crew, staff):
    item = walk(world, register(world, title="Dripping tap"), until="arrange")
    client = staff(world.executor_a)
    text = card(home(client), "my_jobs")
    assert 'data-testid="queue-step" data-step="start"' in text

    response = client.post(
        reverse("feedback:item_step", args=[item.reference]),
        {"step": "start", "version": item.version, "next": "/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert FeedbackItem.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    # the job is still the executor's, now with "Handling done" asking what was done
    text = card(home(client), "my_jobs")
    assert 'data-testid="queue-step-form" data-step="complete"' in text


def test_a_step_refuses_to_go_back_to_another_site(world, crew, staff):
    item = walk(world, register(world), until="arrange")

    response = staff(world.executor_a).post(
        reverse("feedback:item_step", args=[item.reference]),
        {"step": "start", "version": item.version, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("feedback:item_detail", args=[item.reference])


def test_agent_informs_the_customer_from_the_home_page(world, crew, staff):
    item = walk(world, register(world, contact_phone=PHONE), until="inform_cs")
    client = staff(world.agent_a)
    text = card(home(client), "to_inform")
    assert 'data-step="inform_customer"' in text
    assert 'name="how"' in text

    response = client.post(
        reverse("feedback:item_step", args=[item.reference]),
        {
            "step": "inform_customer",
            "version": item.version,
            "note": "Told by phone.",
            "how": "phone",
            "next": "/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert FeedbackItem.objects.get(pk=item.pk).status == Status.CUSTOMER_INFORMED
    assert item.reference not in card(home(client), "to_inform")


def test_project_manager_home_has_items_to_arrange(world, crew, staff):
    item = walk(world, register(world), until="record_opinion")

    text = card(home(staff(world.pm_a)), "to_arrange")

    assert item.reference in text
    assert 'data-step="arrange"' in text


def test_qa_home_has_the_item_awaiting_its_opinion(world, crew, staff):
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    item = register(world, is_quality_problem=True)

    text = card(home(staff(qa)), "qa_opinion")

    assert item.reference in text


def test_hq_home_shows_figures_that_link_into_the_list(world, crew, staff):
    register(world, is_major=True)
    register(world)

    text = home(staff(world.hq))

    assert 'data-testid="figures"' in text
    figure = re.search(
        r'<a class="figure" href="([^"]+)"[^>]*data-queue="open_items">\s*<span class="figure__value">(\d+)',
        text,
    )
    assert figure
    assert figure.group(1) == "/feedback/?queue=open_items"
    assert figure.group(2) == "2"
    assert 'class="card queue"' not in text  # figures, no rows


def test_menu_shows_the_number_of_items_waiting(world, crew, staff):
    register(world)
    register(world)

    client = staff(world.supervisor_a)
    text = home(client)
    badge = client.get(reverse("nav_badge", args=["home"])).content.decode()

    # the page asks for the number once loaded (counting must not hold up every page)
    assert 'hx-get="/nav/badge/home/"' in text
    assert re.search(r'data-testid="nav-count-home"[^>]*>2<', badge)


def test_outsider_home_shows_no_item_of_another_branch(world, crew, staff):
    item = register(world, is_major=True)

    client = staff(world.outsider)
    text = home(client)

    assert item.reference not in text
    assert "nav-count-home" not in client.get(reverse("nav_badge", args=["home"])).content.decode()
    assert all(count == "0" for count in re.findall(r'data-testid="queue-count">(\d+)<', text))


def test_roles_without_queues_keep_the_plain_home(world, staff):
    admin_dept = get_user_model().objects.create_user(username="admin_dept_a")
    admin_dept.memberships.create(role=Role.ADMIN_DEPT, level="company", company=world.company)

    text = home(staff(admin_dept))

    assert 'data-testid="project-card"' in text
    assert 'class="card queue"' not in text


def test_owner_still_goes_to_the_portal(world, login):
    response = login(world.owner_a).get(reverse("home"))

    assert response.status_code == 302


def test_home_queries_do_not_grow_with_rows(world, crew, login):
    # each queue shown has a row of a resident on file already (whose phones a prefetch reads)
    owner = Resident.objects.get(user=world.owner_a)
    register(world, resident=owner, unit=world.unit_a, is_major=True)
    walk(
        world,
        register(world, unit=world.unit_a, contact_phone=PHONE, is_major=True),
        until="contact_supervisor",
    )
    register(world, unit=world.unit_a, contact_phone=PHONE, is_hot=True)

    def add_rows():
        neighbour = Resident.objects.get(name="邻居")  # another resident, with phones of their own
        items = [
            register(world, resident=neighbour, unit=world.unit_a_neighbour, is_major=True),
            register(world, title="Guard queue item", contact_phone="13900000001"),
        ]
        return [item.reference for item in items]

    # 16 for the page and the feedback queues, 2 for the survey reports to review and to read (issue 13)
    assert_queries_do_not_grow(login(world.supervisor_a), reverse("home"), add_rows, ceiling=18)
