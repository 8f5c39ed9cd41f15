"""R-FB-7: the month's feedback statistics for the general manager's monthly meeting, on the page and by
API: counts by kind, category, channel and status, SLA compliance per clock, the average handling time,
the month's bounds in Asia/Shanghai, the project filter, scoping, refusals, and a bounded number of
queries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from estatedesk.common.months import parse_month
from estatedesk.feedback.choices import Category, Channel, Kind, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.statistics.selectors import month_statistics
from estatedesk.feedback.tests.helpers import api_for, assert_error, local, register, walk
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident

PAGE = "/feedback/statistics/"
API = "/api/feedback/statistics/"
NOVEMBER = date(2026, 11, 1)
TODAY = local(2026, 11, 26, 10, 0)  # a Thursday


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def elsewhere(world, project, at, **values: Any) -> FeedbackItem:
    """An item of another project, come in by QR code (no account needed, so any project will do)."""
    return register(
        world,
        actor=None,
        project=project,
        channel=Channel.QR,
        contact_phone="13500001111",
        registered_at=at,
        **values,
    )


def counts(shares) -> dict[str, int]:
    return {share["value"]: share["count"] for share in shares}


def table_row(html: str, table: str, value: str) -> list[str]:
    """The cells of a row of a statistics table, as text."""
    section = re.search(rf'data-testid="table-{table}">(.*?)</table>', html, re.S)
    assert section, table
    row = re.search(rf'<tr data-value="{value}"[^>]*>(.*?)</tr>', section[1], re.S)
    assert row, (table, value)
    return [
        unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row[1], re.S)
    ]


def stamp(item: FeedbackItem, **fields: Any) -> None:
    """Given: the item's clock columns as the steps would have left them at these times."""
    FeedbackItem.objects.filter(pk=item.pk).update(**fields)


@pytest.fixture
def november(world, crew):
    """Four items of project A registered in November (one moved on a step, one cancelled), one of October
    and one of project B."""
    contacted = register(world, registered_at=local(2026, 11, 3, 9, 0))
    walk(world, contacted, until="contact_supervisor")
    register(
        world, category=Category.CLEANING, channel=Channel.WALK_IN, registered_at=local(2026, 11, 4, 9, 0)
    )
    register(world, kind=Kind.REPAIR, channel=Channel.PATROL, registered_at=local(2026, 11, 5, 9, 0))
    cancelled = register(
        world, kind=Kind.INQUIRY, category=Category.FEES, registered_at=local(2026, 11, 6, 9, 0)
    )
    feedback_item_step(
        actor=world.supervisor_a, item=cancelled, step="cancel", version=1, note="Duplicate call"
    )
    register(world, category=Category.OTHER, registered_at=local(2026, 10, 20, 9, 0))
    elsewhere(world, world.project_b, local(2026, 11, 7, 9, 0), kind=Kind.PRAISE)
    return world


# --- the figures ------------------------------------------------------------------------------------------


def test_fb_7_counts_the_month_by_kind_category_channel_and_status(november):
    body = api_for(november.supervisor_a).get(API, {"month": "2026-11"}).json()

    assert (body["month"], body["project"], body["total"], body["open"], body["closed"]) == (
        "2026-11",
        None,
        4,
        3,
        0,
    )
    assert body["by_kind"] == [
        {"value": "complaint", "label": "Complaint", "count": 2, "percent": 50.0},
        {"value": "repair", "label": "Repair request", "count": 1, "percent": 25.0},
        {"value": "suggestion", "label": "Suggestion", "count": 0, "percent": 0.0},
        {"value": "inquiry", "label": "Inquiry", "count": 1, "percent": 25.0},
        {"value": "praise", "label": "Praise", "count": 0, "percent": 0.0},
    ]
    assert counts(body["by_category"]) == {
        "engineering": 2,
        "order": 0,
        "cleaning": 1,
        "greening": 0,
        "customer_service": 0,
        "staff_attitude": 0,
        "fees": 1,
        "other": 0,
    }
    assert counts(body["by_channel"]) == {
        "hotline": 2,
        "email": 0,
        "portal": 0,
        "qr": 0,
        "walk_in": 1,
        "patrol": 1,
        "client_visit": 0,
    }
    assert {value: n for value, n in counts(body["by_status"]).items() if n} == {
        "registered": 2,
        "supervisor_contacted": 1,
        "cancelled": 1,
    }
    assert [share["value"] for share in body["by_status"]] == list(Status.values)
    assert body["average_handling_seconds"] is None


def test_fb_7_page_shows_the_numbers_in_tables_with_links_to_the_list(november, staff):
    response = staff(november.supervisor_a).get(PAGE, {"month": "2026-11", "project": "QD-A"})

    assert response.status_code == 200
    html = response.content.decode()
    assert table_row(html, "kind", "complaint") == ["Complaint", "2", "50.0%"]
    assert table_row(html, "kind", "praise") == ["Praise", "0", "0.0%"]
    assert table_row(html, "category", "fees") == ["Fees", "1", "25.0%"]
    assert table_row(html, "channel", "walk_in") == ["Walk-in", "1", "25.0%"]
    assert table_row(html, "status", "cancelled") == ["Cancelled", "1", "25.0%"]
    assert table_row(html, "clocks", "contact")[0] == "Contact the supervisor"
    assert '<a href="/feedback/?kind=complaint&amp;project=QD-A&amp;month=2026-11">2</a>' in html
    assert '<a href="/feedback/?status=cancelled&amp;project=QD-A&amp;month=2026-11">1</a>' in html
    # a number opens the list of exactly the items it counts (the month filter included)
    listed = staff(november.supervisor_a).get("/feedback/?kind=complaint&project=QD-A&month=2026-11")
    assert len(listed.context["rows"]) == 2
    assert 'data-testid="total">4</a>' in html
    assert 'data-testid="open">3</a>' in html
    # the charts draw the same numbers, passed as JSON, not built into the script
    assert '<script id="stats-data" type="application/json">' in html
    chart_data = response.context["chart_data"]
    assert chart_data["kind"]["values"] == [2, 1, 0, 1, 0]
    assert chart_data["kind"]["labels"][0] == "Complaint"


def test_fb_7_sla_compliance_per_clock_counts_met_late_overdue_and_running(world):
    # given six complaints of November 2nd whose contact clocks ended in each possible way by now
    due = local(2026, 11, 2, 10, 0)
    items = [register(world, registered_at=local(2026, 11, 2, 9, 0)) for _ in range(6)]
    met, late, _overdue, running, cancelled, closed_undone = items  # _overdue: not contacted, due long ago
    for item in items:
        stamp(item, contact_due_at=due, resolution_due_at=TODAY + timedelta(days=1), action_due_at=None)
    stamp(met, contacted_at=due - timedelta(minutes=20), status=Status.SUPERVISOR_CONTACTED)
    stamp(late, contacted_at=due + timedelta(minutes=5), status=Status.SUPERVISOR_CONTACTED)
    stamp(running, contact_due_at=TODAY + timedelta(minutes=30))
    stamp(cancelled, status=Status.CANCELLED)  # a clock stopped undone with its item counts neither way
    stamp(closed_undone, status=Status.CLOSED, closed_at=TODAY, contact_due_at=TODAY - timedelta(hours=1))
    # and an action clock met, one breached; resolution: one done late, the open rest still running
    stamp(met, is_quality_problem=True, action_due_at=due, acted_at=due - timedelta(minutes=1))
    stamp(late, is_quality_problem=True, action_due_at=due, acted_at=None)
    stamp(met, resolution_due_at=due, customer_informed_at=due + timedelta(hours=1))

    body = api_for(world.agent_a).get(API, {"month": "2026-11"}).json()

    assert body["clocks"] == [
        {
            "clock": "contact",
            "label": "Contact the supervisor",
            "decided": 3,
            "met": 1,
            "breached": 2,
            "running": 1,
            "rate": 33.3,
        },
        {  # none of them reached a handling opinion: the arrange clock never started
            "clock": "arrange",
            "label": "Arrange handling",
            "decided": 0,
            "met": 0,
            "breached": 0,
            "running": 0,
            "rate": None,
        },
        {
            "clock": "action",
            "label": "Act on the quality problem",
            "decided": 2,
            "met": 1,
            "breached": 1,
            "running": 0,
            "rate": 50.0,
        },
        {
            "clock": "resolution",
            "label": "Resolve",
            "decided": 1,
            "met": 0,
            "breached": 1,
            "running": 3,
            "rate": 0.0,
        },
    ]


def test_fb_7_the_same_question_asked_later_counts_a_clock_that_ran_out_since_as_breached(world):
    # given a complaint whose contact clock runs out at 10:00 (the query is compiled once and reused)
    item = register(world, registered_at=local(2026, 11, 2, 9, 0))
    stamp(item, contact_due_at=local(2026, 11, 2, 10, 0))

    def contact_at(now):
        stats = month_statistics(user=world.agent_a, month=NOVEMBER, now=now)
        clock = next(clock for clock in stats.clocks if clock.clock == "contact")
        return clock.running, clock.breached

    # when asked at 09:30 and again at 10:30, then again for October
    assert contact_at(local(2026, 11, 2, 9, 30)) == (1, 0)
    assert contact_at(local(2026, 11, 2, 10, 30)) == (0, 1)
    assert month_statistics(user=world.agent_a, month=date(2026, 10, 1), now=TODAY).total == 0


def test_fb_7_page_shows_clock_compliance(world, staff):
    item = register(world, registered_at=local(2026, 11, 2, 9, 0))
    stamp(item, contact_due_at=local(2026, 11, 2, 10, 0), contacted_at=local(2026, 11, 2, 9, 30))
    register(world, registered_at=local(2026, 11, 2, 9, 0))  # its contact clock ran out long ago

    html = staff(world.agent_a).get(PAGE).content.decode()

    assert table_row(html, "clocks", "contact") == ["Contact the supervisor", "50.0%", "1", "1", "0"]
    assert table_row(html, "clocks", "action") == ["Act on the quality problem", "—", "0", "0", "0"]


def test_fb_7_average_handling_time_of_closed_items(world, crew, staff):
    # given two items closed after 2 and 4 hours, and one still open
    for registered, closing in (
        (local(2026, 11, 2, 10, 0), local(2026, 11, 2, 12, 0)),
        (local(2026, 11, 3, 9, 0), local(2026, 11, 3, 13, 0)),
    ):
        with time_machine.travel(registered, tick=False):
            item = register(world)
        with time_machine.travel(closing, tick=False):
            walk(world, item, until="close")
    register(world, registered_at=local(2026, 11, 4, 9, 0))

    stats = month_statistics(user=world.agent_a, month=NOVEMBER)
    body = api_for(world.agent_a).get(API).json()
    page = staff(world.agent_a).get(PAGE)

    assert (stats.total, stats.closed, stats.open) == (3, 2, 1)
    assert stats.average_handling_seconds == pytest.approx(3 * 3600, abs=1)
    assert body["average_handling_seconds"] == pytest.approx(3 * 3600, abs=1)
    assert page.context["average_handling"] == "3 h 0 min"
    assert 'data-testid="average-handling">3 h 0 min</span>' in page.content.decode()


# --- the month ----------------------------------------------------------------------------------------------


def test_fb_7_month_bounds_are_those_of_asia_shanghai(world):
    register(world, registered_at=local(2026, 10, 31, 23, 30))  # 15:30 UTC, 31 Oct
    register(world, registered_at=local(2026, 11, 1, 0, 0))  # 16:00 UTC, 31 Oct: November in Shanghai
    register(world, registered_at=local(2026, 11, 30, 23, 59))
    register(world, registered_at=local(2026, 12, 1, 0, 0))
    client = api_for(world.agent_a)

    assert [
        client.get(API, {"month": month}).json()["total"] for month in ("2026-10", "2026-11", "2026-12")
    ] == [
        1,
        2,
        1,
    ]
    assert month_statistics(user=world.agent_a, month=date(2026, 10, 31)).total == 1


def test_fb_7_month_defaults_to_the_current_local_month(world, staff):
    register(world, registered_at=local(2026, 11, 26, 9, 0))
    register(world, registered_at=local(2026, 10, 26, 9, 0))
    with time_machine.travel(local(2026, 12, 1, 0, 30), tick=False):  # still 30 November in UTC
        assert api_for(world.agent_a).get(API).json()["month"] == "2026-12"
    page = staff(world.agent_a).get(PAGE)
    assert (page.context["month"], page.context["stats"].total) == (NOVEMBER, 1)
    assert api_for(world.agent_a).get(API).json()["total"] == 1
    empty = (
        api_for(world.agent_a).get(API, {"month": "", "project": ""}).json()
    )  # as the page's form sends it
    assert (empty["month"], empty["project"], empty["total"]) == ("2026-11", None, 1)
    assert staff(world.agent_a).get(PAGE, {"month": "", "project": ""}).context["stats"].total == 1


@pytest.mark.parametrize("value", ["2026-13", "2026-1", "november", "2026-11-05", "9999-12", "٢٠٢٦-١١"])
def test_fb_7_invalid_month_shows_a_message_on_the_page_and_the_current_month(world, staff, value):
    register(world, registered_at=local(2026, 11, 20, 9, 0))
    response = staff(world.agent_a).get(PAGE, {"month": value})

    assert response.status_code == 200
    assert response.context["month"] == NOVEMBER
    assert response.context["stats"].total == 1
    html = unescape(response.content.decode())
    assert (
        f"“{value}” is not a month (write it as YYYY-MM, e.g. 2026-11). Showing November 2026 instead."
        in html
    )


def test_fb_7_invalid_month_is_a_400_with_the_error_body_in_the_api(world):
    client = api_for(world.agent_a)
    body = assert_error(client.get(API, {"month": "2026-13"}), 400, "invalid", {"month"})
    assert body["fields"]["month"] == ["Enter a month as YYYY-MM, e.g. 2026-11."]
    assert_error(client.get(API, {"month": "11/2026"}), 400, "invalid", {"month"})


def test_fb_7_parse_month_reads_only_year_and_month():
    assert parse_month("2026-11") == NOVEMBER
    assert parse_month(" 2026-01 ") == date(2026, 1, 1)
    assert [parse_month(text) for text in ("", "2026-00", "2026-13", "26-11", "2026-11-01", "9999-12")] == [
        None
    ] * 6


# --- the project filter and scoping ------------------------------------------------------------------------


@pytest.fixture
def three_projects(world):
    """Two items of project A, one of A2 (same branch), three of B (another branch), all in November."""
    for day in (2, 3):
        register(world, registered_at=local(2026, 11, day, 9, 0))
    elsewhere(world, world.project_a2, local(2026, 11, 4, 9, 0))
    for day in (5, 6, 7):
        elsewhere(world, world.project_b, local(2026, 11, day, 9, 0))
    return world


def test_fb_7_project_filter(three_projects):
    client = api_for(three_projects.branch_manager)

    assert client.get(API).json()["total"] == 3
    assert [client.get(API, {"project": code}).json()["total"] for code in ("QD-A", "QD-B")] == [2, 1]
    assert client.get(API, {"project": "QD-B"}).json()["project"] == "QD-B"


def test_fb_7_agent_of_a_counts_only_a_and_hq_counts_every_project(three_projects, staff):
    world = three_projects
    totals = {
        persona: api_for(world.users[persona]).get(API).json()["total"]
        for persona in ("agent_a", "supervisor_a", "branch_manager", "hq", "outsider")
    }
    assert totals == {"agent_a": 2, "supervisor_a": 2, "branch_manager": 3, "hq": 6, "outsider": 3}
    assert staff(world.agent_a).get(PAGE).context["stats"].total == 2
    assert staff(world.hq).get(PAGE).context["stats"].total == 6
    assert staff(world.hq).get(PAGE, {"project": "JN-C"}).context["stats"].total == 3
    assert [
        code for code, _label in staff(world.agent_a).get(PAGE).context["form"].fields["project"].choices
    ] == [
        "",
        "QD-A",
    ]


def test_fb_7_outsider_is_refused_project_a_on_the_page(three_projects, staff):
    client = staff(three_projects.outsider)
    assert client.get(PAGE, {"project": "QD-A"}).status_code == 404
    own = client.get(PAGE)
    assert own.status_code == 200
    assert own.context["stats"].total == 3  # project B's, nothing of A


def test_fb_7_outsider_is_refused_project_a_by_the_api(three_projects):
    client = api_for(three_projects.outsider)
    assert_error(client.get(API, {"project": "QD-A"}), 404, "not_found")
    assert client.get(API).json()["total"] == 3


def test_fb_7_a_staff_member_s_own_item_as_a_resident_is_not_counted(world, staff):
    # given the outsider (staff of B) lives in project A and raised an item there as a customer
    resident = Resident.objects.create(name="外人家", user=world.outsider)
    Occupancy.objects.create(resident=resident, unit=world.unit_a_neighbour, relation=Relation.TENANT)
    register(world, resident=resident, registered_at=local(2026, 11, 2, 9, 0))

    assert api_for(world.outsider).get(API).json()["total"] == 0
    assert_error(api_for(world.outsider).get(API, {"project": "QD-A"}), 404, "not_found")
    client = staff(world.outsider)
    assert client.get(PAGE, {"project": "QD-A"}).status_code == 404
    assert [code for code, _label in client.get(PAGE).context["form"].fields["project"].choices] == [
        "",
        "JN-C",
    ]


def test_fb_7_unknown_project_is_a_404(world, staff):
    assert staff(world.hq).get(PAGE, {"project": "NOPE"}).status_code == 404
    assert_error(api_for(world.hq).get(API, {"project": "NOPE"}), 404, "not_found")


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_fb_7_owners_and_people_without_a_role_are_refused_the_page(world, staff, persona):
    register(world, resident=Resident.objects.get(user=world.owner_a), registered_at=local(2026, 11, 2, 9, 0))
    assert staff(world.users[persona]).get(PAGE).status_code == 403


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_fb_7_owners_and_people_without_a_role_are_refused_by_the_api(world, persona):
    register(world, resident=Resident.objects.get(user=world.owner_a), registered_at=local(2026, 11, 2, 9, 0))
    assert_error(api_for(world.users[persona]).get(API), 403, "permission_denied")


def test_fb_7_signed_out_visitors_are_sent_to_sign_in(world, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert APIClient().get(API).status_code == 401


# --- languages --------------------------------------------------------------------------------------------


def test_fb_7_labels_in_english_on_request_and_in_chinese_by_default(world, login, staff):
    register(world, registered_at=local(2026, 11, 2, 9, 0))

    english = api_for(world.agent_a, "en").get(API).json()
    chinese = api_for(world.agent_a, language=None).get(API).json()

    assert (english["by_kind"][0]["label"], chinese["by_kind"][0]["label"]) == ("Complaint", "投诉")
    assert (english["by_category"][0]["label"], chinese["by_category"][0]["label"]) == (
        "Engineering and repairs",
        "工程维修",
    )
    assert (english["clocks"][0]["label"], chinese["clocks"][0]["label"]) == (
        "Contact the supervisor",
        "联系主管",
    )
    assert table_row(staff(world.agent_a).get(PAGE).content.decode(), "kind", "complaint")[0] == "Complaint"
    assert table_row(login(world.agent_a).get(PAGE).content.decode(), "kind", "complaint")[0] == "投诉"


# --- cost ---------------------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"month": "2026-11"}).status_code == 200
    return len(queries)


def test_statistics_queries_of_page_and_api_are_bounded_and_do_not_grow_with_items(world, staff):
    def add(number: int) -> None:
        for index in range(number):
            register(
                world,
                kind=Kind.values[index % len(Kind.values)],
                category=Category.values[index % len(Category.values)],
                registered_at=local(2026, 11, 1 + index % 25, 9, 0),
            )
            elsewhere(world, world.project_b, local(2026, 11, 2, 9, 0))

    add(2)
    page_small, api_small = _queries(staff(world.hq), PAGE), _queries(api_for(world.hq), API)
    add(30)
    page_large, api_large = _queries(staff(world.hq), PAGE), _queries(api_for(world.hq), API)

    assert api_for(world.hq).get(API).json()["total"] == 64
    assert (page_large, api_large) == (page_small, api_small)
    # page: session, user, the scope (residences, roles), the projects, the figures, the header's unread count
    assert page_large <= 7
    assert api_large <= 3  # the scope (residences, roles), the figures


# --- where it is found -------------------------------------------------------------------------------------


def test_fb_7_statistics_is_in_the_navigation_and_linked_from_the_list(world, staff):
    client = staff(world.agent_a)
    page = client.get(PAGE)
    active = [item["key"] for item in page.context["nav_items"] if item["active"]]
    assert active == ["feedback_statistics"]
    listing = client.get(reverse("feedback:item_list"))
    assert [item["key"] for item in listing.context["nav_items"] if item["active"]] == ["feedback"]
    assert f'href="{PAGE}" data-testid="statistics-link"' in listing.content.decode()
    assert reverse("feedback:statistics") == PAGE
    owner_keys = {
        item["key"] for item in staff(world.owner_a).get(reverse("owners:portal")).context["nav_items"]
    }
    assert "feedback_statistics" not in owner_keys


def test_fb_7_statistics_api_is_in_the_schema(world, client):
    client.force_login(world.agent_a)
    text = client.get("/api/schema/").content.decode()
    assert API in text
    assert "MonthStatisticsOutput" in text
