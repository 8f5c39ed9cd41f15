"""Client visits' pages (R-CS-1): the list with planned visits and overdue follow-ups, planning, the visit
with its record form, the follow-up done, cancelling and raising a feedback item; the agent without
visits.client, the outsider and the anonymous visitor on every page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.models import FeedbackItem
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientKind, ClientVisitKind, ClientVisitStatus
from estatedesk.visits.models import ClientVisit
from estatedesk.visits.tests.test_client_visits import plan, record


@pytest.fixture
def staff(login):
    """staff(user) -> a signed-in client reading the pages in English."""

    def _staff(user):
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff


def page(name: str, visit=None) -> str:
    return reverse(f"visits:{name}", args=[visit.pk] if visit is not None else [])


# --- the list ---------------------------------------------------------------------------------------------


def test_r_cs_1_the_list_shows_planned_visits_and_overdue_follow_ups(world, staff):
    # given a planned visit and a recorded one whose follow-up was due yesterday
    planned = plan(world, client_name="海景置业有限公司")
    done = plan(world, days=-10, client_name="海景花园业主委员会", client_kind=ClientKind.OWNERS_COMMITTEE)
    record(world, done, visited_on=clients.today() - timedelta(days=10))
    ClientVisit.objects.filter(pk=done.pk).update(follow_up_due_on=clients.today() - timedelta(days=1))
    # when the agent of project A opens the list
    response = staff(world.agent_a).get(page("client_visit_list"))
    # then both are there: the planned one under "Planned", the other under "Follow-ups overdue"
    assert response.status_code == 200
    text = response.content.decode()
    assert f'data-testid="planned-row" data-visit="{planned.pk}"' in text
    assert f'data-testid="overdue-row" data-visit="{done.pk}"' in text
    assert text.count('data-testid="client-visit-row"') == 2
    # and the agent, who may not plan, has no plan button
    assert 'data-testid="plan-link"' not in text
    assert (
        'data-testid="plan-link"' in staff(world.supervisor_a).get(page("client_visit_list")).content.decode()
    )


def test_r_cs_1_the_list_filters_by_status_and_overdue_follow_up(world, staff):
    plan(world, client_name="甲方")
    done = plan(world, days=0, client_name="乙方")
    record(world, done)
    text = staff(world.pm_a).get(page("client_visit_list") + "?status=done").content.decode()
    assert text.count('data-testid="client-visit-row"') == 1
    assert "乙方" in text
    assert 'data-testid="planned-visits"' not in text  # the sections are for the unfiltered page


def test_r_cs_1_the_list_makes_the_same_queries_for_many_visits(world, staff):
    plan(world, client_name="首个甲方")
    done = plan(world, days=0, client_name="首个乙方")
    record(world, done)

    def add_rows():
        names = []
        for number in range(12):
            name = f"甲方{number:02d}"
            visit = plan(world, days=number - 6, client_name=name, actor=world.pm_a)
            if number % 2:
                record(world, visit, visited_on=clients.today() - timedelta(days=20))
            names.append(name)
        return names

    assert_queries_do_not_grow(staff(world.supervisor_a), page("client_visit_list"), add_rows, ceiling=16)


# --- planning ---------------------------------------------------------------------------------------------


def test_r_cs_1_the_supervisor_plans_a_visit_on_the_page(world, staff):
    client = staff(world.supervisor_a)
    assert client.get(page("client_visit_plan")).status_code == 200
    day = clients.today() + timedelta(days=7)
    response = client.post(
        page("client_visit_plan"),
        {
            "project": world.project_a.pk,
            "kind": ClientVisitKind.REGULAR,
            "client_kind": ClientKind.INSTITUTION,
            "client_name": "市第二中学",
            "contact_person": "李主任",
            "planned_on": day.isoformat(),
            "visitor": world.pm_a.pk,
        },
    )
    visit = ClientVisit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("client_visit_detail", visit)
    assert (visit.client_name, visit.planned_on, visit.visitor) == ("市第二中学", day, world.pm_a)


def test_r_cs_1_the_plan_page_shows_what_is_missing(world, staff):
    response = staff(world.supervisor_a).post(
        page("client_visit_plan"),
        {"project": world.project_a.pk, "kind": "regular", "client_kind": "developer"},
    )
    assert response.status_code == 400
    assert 'data-testid="field-client_name"' in response.content.decode()
    assert ClientVisit.objects.count() == 0


def test_r_cs_1_an_agent_may_not_open_the_plan_page(world, staff):
    assert staff(world.agent_a).get(page("client_visit_plan")).status_code == 403
    response = staff(world.agent_a).post(
        page("client_visit_plan"),
        {
            "project": world.project_a.pk,
            "kind": "regular",
            "client_kind": "developer",
            "client_name": "x",
            "planned_on": clients.today().isoformat(),
        },
    )
    assert response.status_code == 403
    assert ClientVisit.objects.count() == 0


def test_r_cs_1_the_outsider_cannot_plan_at_project_a(world, staff):
    # the outsider's plan page offers their own project only; posting project A's id is refused
    response = staff(world.outsider).post(
        page("client_visit_plan"),
        {
            "project": world.project_a.pk,
            "kind": "regular",
            "client_kind": "developer",
            "client_name": "x",
            "planned_on": clients.today().isoformat(),
        },
    )
    assert response.status_code == 400
    assert ClientVisit.objects.count() == 0


# --- the visit, recording, follow-up, cancel, raise -------------------------------------------------------


def test_r_cs_1_the_visit_is_recorded_on_its_page_and_plans_the_next_regular_visit(world, staff):
    visit = plan(world, days=0)
    client = staff(world.supervisor_a)
    shown = client.get(page("client_visit_detail", visit)).content.decode()
    assert 'data-testid="record-form"' in shown
    proposed = clients.next_regular_on(clients.today()).isoformat()
    assert f'name="next_planned_on" value="{proposed}"' in shown  # the form proposes the next date
    response = client.post(
        page("client_visit_record", visit),
        {
            "visited_on": clients.today().isoformat(),
            "attendees": "王经理",
            "raised": "车库照明不足",
            "follow_up": "工程部核查",
            "follow_up_due_on": (clients.today() + timedelta(days=5)).isoformat(),
            "next_planned_on": proposed,
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.DONE
    after = client.get(page("client_visit_detail", visit)).content.decode()
    assert 'data-testid="next-visit"' in after
    assert 'data-testid="follow-up-done-submit"' in after
    assert ClientVisit.objects.filter(status=ClientVisitStatus.PLANNED, planned_on=proposed).count() == 1


def test_r_cs_1_the_record_form_shows_what_is_wrong(world, staff):
    visit = plan(world, days=0)
    response = staff(world.supervisor_a).post(
        page("client_visit_record", visit),
        {"visited_on": clients.today().isoformat(), "follow_up": "工程部核查"},
    )
    assert response.status_code == 400
    assert "Say by when the follow-up is due." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED


def test_r_cs_1_the_follow_up_is_marked_done_on_the_page(world, staff):
    visit = plan(world, days=0)
    record(world, visit)
    response = staff(world.pm_a).post(page("client_visit_follow_up_done", visit))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.follow_up_done_at is not None


def test_r_cs_1_a_visit_is_cancelled_on_its_page(world, staff):
    visit = plan(world)
    client = staff(world.supervisor_a)
    assert client.get(page("client_visit_cancel", visit)).status_code == 200
    assert client.post(page("client_visit_cancel", visit), {"reason": ""}).status_code == 400
    assert client.post(page("client_visit_cancel", visit), {"reason": "改期"}).status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.cancelled_reason) == (ClientVisitStatus.CANCELLED, "改期")


def test_r_cs_1_a_feedback_item_is_raised_on_the_page(world, staff):
    visit = plan(world, days=0)
    record(world, visit)
    client = staff(world.supervisor_a)
    form = client.get(page("client_visit_raise_item", visit))
    assert form.status_code == 200
    token = form.context["form"]["form_token"].value()
    values = {
        "form_token": token,
        "kind": Kind.COMPLAINT,
        "category": Category.ENGINEERING,
        "priority": "normal",
        "description": "地下车库照明不足",
    }
    assert client.post(page("client_visit_raise_item", visit), values).status_code == 302
    assert client.post(page("client_visit_raise_item", visit), values).status_code == 302  # a double click
    item = FeedbackItem.objects.get()
    assert item.channel == Channel.CLIENT_VISIT
    assert list(visit.items.all()) == [item]
    shown = client.get(page("client_visit_detail", visit)).content.decode()
    assert item.reference in shown


# --- who may open what ------------------------------------------------------------------------------------

PAGES = [
    ("client_visit_detail", "get"),
    ("client_visit_record", "post"),
    ("client_visit_follow_up_done", "post"),
    ("client_visit_cancel", "get"),
    ("client_visit_cancel", "post"),
    ("client_visit_raise_item", "get"),
    ("client_visit_raise_item", "post"),
]


@pytest.mark.parametrize(("name", "method"), PAGES)
def test_r_cs_1_the_outsider_gets_404_on_every_visit_page(world, staff, name, method):
    visit = plan(world, days=0)
    response = getattr(staff(world.outsider), method)(page(name, visit))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method"), PAGES[1:])
def test_r_cs_1_the_agent_gets_403_on_every_writing_page(world, staff, name, method):
    visit = plan(world, days=0)
    response = getattr(staff(world.agent_a), method)(page(name, visit))
    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.status == ClientVisitStatus.PLANNED


@pytest.mark.parametrize(
    ("name", "method"), [*PAGES, ("client_visit_list", "get"), ("client_visit_plan", "get")]
)
def test_r_cs_1_the_anonymous_visitor_is_sent_to_sign_in(world, client, name, method):
    visit = plan(world, days=0)
    url = page(name, visit) if name not in ("client_visit_list", "client_visit_plan") else page(name)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_r_cs_1_the_outsiders_list_holds_none_of_project_a(world, staff):
    plan(world, client_name="海景置业有限公司")
    text = staff(world.outsider).get(page("client_visit_list")).content.decode()
    assert "海景置业有限公司" not in text
    assert 'data-testid="client-visit-row"' not in text


def test_r_cs_1_an_owner_and_a_user_without_a_role_may_not_open_the_list(world, staff):
    assert staff(world.owner_a).get(page("client_visit_list")).status_code == 403
    assert staff(world.nobody).get(page("client_visit_list")).status_code == 403


def test_r_cs_1_the_pages_speak_chinese_by_default(world, login):
    visit = plan(world, days=0)
    client = login(world.supervisor_a)
    assert "客户拜访" in client.get(page("client_visit_list")).content.decode()
    shown = client.get(page("client_visit_detail", visit)).content.decode()
    assert "记录拜访" in shown
    assert "定期拜访" in shown
