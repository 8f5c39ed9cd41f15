"""The home page's queues of reports to HQ (issue 14, item 10): the document administrator's reports to
fill in and submit, HQ's reports awaiting review and open class-1 emergencies, the branch manager's
missing and late reports; nothing for who has no queue (and no query for them)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from estatedesk.common.navigation import register_home_section
from estatedesk.reporting import home, submissions
from estatedesk.reporting.emergencies import Facts
from estatedesk.reporting.tests.test_submissions_helpers import expected, hq_setup, local


@pytest.fixture(autouse=True)
def english():
    """Messages and notifications in English, as the assertions read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def hq_world(world):
    register_home_section("reporting_queues", 45, home.home_section)  # as ReportingConfig.ready does
    return hq_setup(world)


def section(user):
    request = RequestFactory().get("/")
    request.user = user
    return home.home_section(request)


def queues(user):
    found = section(user)
    return (
        {queue.key: [row.reference for row in queue.rows] for queue in found.context["queues"]}
        if found
        else {}
    )


def event(world, facts, title, occurred_at):
    return submissions.instant_report_make(
        actor=world.pm_a,
        report=submissions.EventReport(
            information_type=world.emergency,
            project=world.project_a,
            occurred_at=occurred_at,
            title=title,
            facts=facts,
        ),
    )


def test_queues_of_the_document_administrator_hq_and_the_branch_manager(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 8, 9, 0), tick=False):
        due_soon = expected(world)  # November's, due 10 December
        later = expected(world, month=date(2026, 12, 1))  # due 10 January: not yet
        overdue = expected(world, month=date(2026, 10, 1))  # due 10 November: missing
        other_branch = expected(world, branch=world.branch_b)
        submitted = expected(world, itype=world.finance)
        submissions.submission_draft(
            actor=world.doc_admin_a, submission=submitted, values={"revenue": "1"}, title="", body=""
        )
        submitted.attachments.create(name="a.pdf", file="reporting/a.pdf", size=1)
        submissions.submission_submit(actor=world.doc_admin_a, submission=submitted)
        fire = event(world, Facts(fire_or_explosion=True), "起火", local(2026, 12, 8, 8, 0))
        leak = event(world, Facts(prevented=True), "漏水", local(2026, 12, 8, 7, 0))
        mine = queues(world.doc_admin_a)
        hq = queues(world.hq)
        manager = queues(world.branch_manager)
        late = section(world.branch_manager).context["queues"][0].extra
        other = queues(world.doc_admin_b)
    assert mine == {"reporting_to_submit": [overdue.reference, due_soon.reference]}
    assert later.reference not in mine["reporting_to_submit"]
    assert hq == {
        "reporting_to_review": [submitted.reference, fire.reference],  # not the class-2 leak
        "reporting_class_1": [fire.reference],
    }
    assert leak.reference not in str(hq)
    assert manager == {"reporting_missing": [overdue.reference]}
    assert late == 0
    assert other_branch.reference not in str([mine, hq, manager])
    assert other == {"reporting_to_submit": [other_branch.reference]}


def test_the_branch_manager_sees_reports_submitted_late(hq_world):
    world = hq_world
    report = expected(world)
    submissions.submission_draft(
        actor=world.doc_admin_a,
        submission=report,
        values={"managed_area": "1", "operations": "x"},
        title="",
        body="",
    )
    with time_machine.travel(local(2026, 12, 11, 0, 0, 1), tick=False):
        submissions.submission_submit(actor=world.doc_admin_a, submission=report)
        found = section(world.branch_manager)
    assert found is not None
    assert (found.context["queues"][0].count, found.context["queues"][0].extra) == (0, 1)


def test_nothing_and_no_query_for_who_has_no_queue(hq_world):
    world = hq_world
    expected(world, project=world.project_a)
    for persona in ("agent_a", "supervisor_a", "outsider", "leader", "nobody", "owner_a"):
        user = world.users[persona]
        section(user)  # the scope, once (cached on the user for the request)
        with CaptureQueriesContext(connection) as captured:
            assert section(user) is None, persona
        assert len(captured) == 0, persona


def test_the_home_page_shows_the_queues(hq_world, login):
    world = hq_world
    with time_machine.travel(local(2026, 12, 8, 9, 0), tick=False):
        report = expected(world)
        page = login(world.doc_admin_a).get(reverse("home")).content.decode()
        outsider = login(world.outsider).get(reverse("home")).content.decode()
    assert 'data-queue="reporting_to_submit"' in page
    assert report.reference in page
    assert "reporting-queues" not in outsider
