"""Work queues (issue 11, feedback/queues.py): each queue's members and order, the counts in one query,
`?queue=` on the API and the staff list, and the outsider who sees nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from estatedesk.common.scoping import forget_scope, scope_for
from estatedesk.feedback import queues
from estatedesk.feedback.choices import EventKind, Kind
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, TimelineEvent
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.tests.helpers import (
    PATH,
    add_member,
    api_for,
    assert_error,
    register,
    step_data,
    walk,
)
from estatedesk.feedback.workflow import STEPS
from estatedesk.org.choices import Role

pytestmark = pytest.mark.django_db


def refs(user, name, now=None):
    return [item.reference for item in queues.queue_items(user=user, queue=queues.QUEUES[name], now=now)]


def advance(world, item, *, until):
    """Take the steps of the R-FB path from where the item is, up to and including `until`."""
    for step, persona, note, data in PATH:
        item = FeedbackItem.objects.get(pk=item.pk)
        if STEPS[step].is_possible(status=item.status, kind=item.kind):
            item = feedback_item_step(
                actor=world.users[persona],
                item=item,
                step=step,
                version=item.version,
                note=note,
                data=step_data(world, data),
            )
        if step == until:
            return item
    raise AssertionError(until)


def due(item, **columns):
    FeedbackItem.objects.filter(pk=item.pk).update(**columns)


# --- membership and order -----------------------------------------------------------------------------


def test_to_dispatch_lists_registered_items_earliest_contact_deadline_first(world, crew):
    # given three new items whose contact clocks run out at different times, and one already dispatched
    now = timezone.now()
    late, soon, middle = register(world), register(world), register(world)
    due(late, contact_due_at=now + timedelta(hours=3))
    due(soon, contact_due_at=now + timedelta(minutes=10))
    due(middle, contact_due_at=now + timedelta(hours=1))
    walk(world, register(world), until="contact_supervisor")

    # when the CS supervisor reads the queue
    # then the most urgent comes first and the dispatched one is not there
    assert refs(world.supervisor_a, "to_dispatch") == [soon.reference, middle.reference, late.reference]


def test_each_step_moves_the_item_to_the_next_roles_queue(world, crew):
    item = register(world)
    assert refs(world.supervisor_a, "to_dispatch") == [item.reference]
    assert refs(world.agent_a, "calls_to_return") == [item.reference]

    item = advance(world, item, until="contact_supervisor")
    assert refs(world.supervisor_a, "to_dispatch") == []
    assert refs(world.supervisor_a, "awaiting_opinion") == [item.reference]
    assert refs(world.dept_supervisor_a, "my_opinions") == [item.reference]

    item = advance(world, item, until="record_opinion")
    assert refs(world.pm_a, "to_arrange") == [item.reference]
    assert refs(world.dept_supervisor_a, "my_opinions") == []

    item = advance(world, item, until="arrange")
    assert refs(world.pm_a, "to_arrange") == []
    assert refs(world.executor_a, "my_jobs") == [item.reference]
    assert refs(world.dept_supervisor_a, "my_jobs") == []  # another's job

    item = advance(world, item, until="inform_cs")
    assert refs(world.executor_a, "my_jobs") == []
    assert refs(world.agent_a, "to_inform") == [item.reference]

    advance(world, item, until="inform_customer")
    assert refs(world.agent_a, "to_inform") == []


def test_my_jobs_put_the_appointment_agreed_with_the_customer_first(world, crew):
    later = walk(world, register(world), until="arrange")
    first = walk(world, register(world), until="arrange")
    no_appointment = walk(world, register(world), until="arrange")
    now = timezone.now()
    due(later, appointment_at=now + timedelta(days=2))
    due(first, appointment_at=now + timedelta(hours=2))

    assert refs(world.executor_a, "my_jobs") == [first.reference, later.reference, no_appointment.reference]


def test_about_to_breach_and_overdue_are_split_by_the_earliest_running_clock(world, crew):
    # given items whose earliest running clock runs out in 30 minutes, 5 hours, or ran out 1 or 3 hours ago
    now = timezone.now()
    soon, later, an_hour, three_hours = (register(world) for _ in range(4))
    due(soon, contact_due_at=now + timedelta(minutes=30), resolution_due_at=now + timedelta(days=3))
    due(later, contact_due_at=now + timedelta(hours=5), resolution_due_at=now + timedelta(days=3))
    due(an_hour, contact_due_at=now - timedelta(hours=1))
    due(three_hours, contact_due_at=now - timedelta(hours=3))
    # a clock met late is no longer running: the item is neither about to breach nor overdue
    met = walk(world, register(world), until="contact_supervisor")
    due(met, contact_due_at=now - timedelta(hours=2), resolution_due_at=now + timedelta(days=3))

    assert refs(world.supervisor_a, "about_to_breach", now=now) == [soon.reference]
    # the longest overdue first
    assert refs(world.supervisor_a, "overdue", now=now) == [three_hours.reference, an_hour.reference]


def test_calls_to_return_hold_a_chase_until_staff_answer_it(world, crew):
    item = walk(world, register(world), until="arrange")
    assert refs(world.agent_a, "calls_to_return") == []

    # the customer chases the item in the portal
    TimelineEvent.objects.create(item=item, at=timezone.now(), kind=EventKind.CHASED, is_public=True)
    assert refs(world.agent_a, "calls_to_return") == [item.reference]

    # the executor starts the work: a step after the chase answers it
    walk_from = FeedbackItem.objects.get(pk=item.pk)
    feedback_item_step(actor=world.executor_a, item=walk_from, step="start", version=walk_from.version)
    assert refs(world.agent_a, "calls_to_return") == []


def test_escalated_to_me_follows_the_level_of_the_users_role(world, crew):
    item = register(world)
    due(item, escalation_level=1)
    assert refs(world.pm_a, "escalated_to_me") == []

    due(item, escalation_level=2)  # level 2: the project manager (escalation.ESCALATION_ROLES)
    assert refs(world.pm_a, "escalated_to_me") == [item.reference]
    assert refs(world.branch_manager, "escalated_to_me") == []

    due(item, escalation_level=3)
    assert refs(world.branch_manager, "escalated_to_me") == [item.reference]


def test_qa_queues_follow_the_execution_record_sign_offs(world, crew):
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    problem = register(world, is_quality_problem=True)
    register(world)  # not a quality problem: QA gives no opinion on it
    assert refs(qa, "qa_opinion") == [problem.reference]
    assert refs(qa, "qa_acceptance") == []

    now = timezone.now()
    record = ExecutionRecord.objects.create(item=problem, qa_opinion="Replace it", qa_opinion_at=now)
    assert refs(qa, "qa_opinion") == []
    assert refs(qa, "qa_acceptance") == []

    record.office_record, record.office_record_at = "Replaced", now
    record.save()
    assert refs(qa, "qa_acceptance") == [problem.reference]


def test_major_hot_and_the_figures_of_hq(world, crew):
    major = register(world, is_major=True)
    hot = register(world, is_hot=True)
    plain = register(world)
    walk(world, plain, until="close")

    assert set(refs(world.hq, "major_hot")) == {major.reference, hot.reference}
    assert set(refs(world.hq, "open_items")) == {major.reference, hot.reference}
    assert set(refs(world.hq, "registered_this_month")) == {major.reference, hot.reference, plain.reference}


# --- which queues, the counts -------------------------------------------------------------------------


def test_each_role_has_its_queues(world, crew):
    def names(user):
        return [queue.name for queue in queues.queues_for(user=user)]

    assert names(world.agent_a) == ["calls_to_return", "to_inform", "registered_today"]
    assert names(world.supervisor_a) == [
        "to_dispatch",
        "awaiting_opinion",
        "about_to_breach",
        "overdue",
        "major_hot",
    ]
    assert names(world.pm_a) == ["major_hot", "to_arrange", "escalated_to_me"]
    assert names(world.dept_supervisor_a) == ["my_opinions", "my_jobs"]
    assert names(world.executor_a) == ["my_jobs"]
    assert names(world.hq) == ["overdue", "major_hot", "open_items", "registered_this_month"]
    assert names(world.owner_a) == []


def test_counts_of_every_queue_come_from_one_query(world, crew, django_assert_num_queries):
    # given items in several queues of the supervisor
    now = timezone.now()
    registered = register(world, is_major=True)
    due(registered, contact_due_at=now - timedelta(minutes=5))
    walk(world, register(world), until="contact_supervisor")
    mine = queues.queues_for(user=world.supervisor_a)
    scope_for(world.supervisor_a)

    # when the counts are read: one query
    with django_assert_num_queries(1):
        counts = queues.queue_counts(user=world.supervisor_a, queues=mine, now=now)

    # then each count is the queue's length, and "to do" counts each item once
    for queue in mine:
        assert counts[queue.name] == len(refs(world.supervisor_a, queue.name, now=now)), queue.name
    assert counts["to_dispatch"] == 1
    assert counts["overdue"] == 1
    assert counts[queues.TO_DO_KEY] == 2


def test_outsider_counts_and_rows_are_zero(world, crew):
    register(world, is_major=True)
    walk(world, register(world), until="contact_supervisor")
    mine = queues.queues_for(user=world.outsider)

    counts = queues.queue_counts(user=world.outsider, queues=mine)

    assert mine
    assert all(value == 0 for value in counts.values()), counts
    assert all(refs(world.outsider, queue.name) == [] for queue in mine)


def test_a_queue_counts_only_the_projects_the_user_covers(world, crew):
    forget_scope(world.supervisor_a)
    register(world, project=world.project_b, actor=world.outsider)  # another branch's project
    mine = register(world)

    assert refs(world.supervisor_a, "to_dispatch") == [mine.reference]


# --- the API and the staff list -------------------------------------------------------------------------


def test_api_list_takes_a_queue_in_its_order(world, crew):
    now = timezone.now()
    later, sooner = register(world), register(world)
    due(later, contact_due_at=now + timedelta(hours=2))
    due(sooner, contact_due_at=now + timedelta(minutes=20))
    walk(world, register(world), until="contact_supervisor")

    response = api_for(world.supervisor_a).get("/api/feedback/items/?queue=to_dispatch")

    assert response.status_code == 200, response.content
    assert [row["reference"] for row in response.json()["results"]] == [sooner.reference, later.reference]


def test_api_refuses_an_unknown_queue_with_a_clear_400(world, crew):
    response = api_for(world.supervisor_a).get("/api/feedback/items/?queue=nonsense")

    assert_error(response, 400, "invalid", fields={"queue"})


def test_api_queue_shows_the_outsider_nothing(world, crew):
    register(world)

    response = api_for(world.outsider).get("/api/feedback/items/?queue=to_dispatch")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_staff_list_with_a_queue_shows_its_items_and_tabs(world, crew, staff):
    waiting = register(world, title="Waiting for dispatch")
    dispatched = walk(world, register(world, title="Already dispatched"), until="contact_supervisor")

    response = staff(world.supervisor_a).get(reverse("feedback:item_list") + "?queue=to_dispatch")

    text = response.content.decode()
    assert response.status_code == 200
    assert waiting.reference in text
    assert dispatched.reference not in text
    assert 'data-queue="to_dispatch"' in text
    assert 'aria-current="page"' in text


def test_staff_list_ignores_an_unknown_queue_and_says_so(world, crew, staff):
    item = register(world)

    response = staff(world.supervisor_a).get(reverse("feedback:item_list") + "?queue=nonsense")

    text = response.content.decode()
    assert response.status_code == 200
    assert item.reference in text
    assert "There is no work queue" in text


def test_inquiry_answered_at_once_leaves_calls_to_return(world, crew):
    item = register(world, kind=Kind.INQUIRY)
    assert refs(world.agent_a, "calls_to_return") == [item.reference]

    feedback_item_step(
        actor=world.agent_a,
        item=item,
        step="answer",
        version=item.version,
        note="Told the opening hours.",
        data={"how": "phone"},
    )
    assert refs(world.agent_a, "calls_to_return") == []


def test_staff_list_queue_shows_the_outsider_nothing(world, crew, staff):
    item = register(world)

    response = staff(world.outsider).get(reverse("feedback:item_list") + "?queue=to_dispatch")

    text = response.content.decode()
    assert response.status_code == 200
    assert item.reference not in text
    assert 'data-testid="feedback-row"' not in text


def test_queue_tabs_keep_the_other_filters(world, crew, staff):
    register(world)

    response = staff(world.supervisor_a).get(reverse("feedback:item_list") + "?project=QD-A&queue=overdue")

    tabs = {tab.name: tab for tab in response.context["queue_tabs"]}
    assert tabs["overdue"].is_current
    assert tabs["to_dispatch"].url == "/feedback/?project=QD-A&queue=to_dispatch"
    assert tabs["overdue"].url == "/feedback/?project=QD-A"  # the current tab takes the queue off


def test_every_queue_holds_open_items_or_this_months_only(world, crew):
    """queue_counts reads only open items and this month's registrations: no queue may hold anything else."""
    # given a finished major item of two months ago, and one closed today
    old = walk(world, register(world, is_major=True, is_hot=True, is_quality_problem=True), until="close")
    FeedbackItem.objects.filter(pk=old.pk).update(
        registered_at=timezone.now() - timedelta(days=62), escalation_level=3
    )
    today = walk(world, register(world), until="close")
    hq_and_all = [world.hq, world.supervisor_a, world.agent_a, world.pm_a, world.branch_manager]

    for user in hq_and_all:
        for queue in queues.queues_for(user=user):
            # then the old one is in no queue, and the counts are the queues' lengths
            assert old.reference not in refs(user, queue.name), queue.name
            counts = queues.queue_counts(user=user, queues=[queue])
            assert counts[queue.name] == len(refs(user, queue.name)), queue.name
    assert today.reference in refs(world.hq, "registered_this_month")


def test_api_lists_the_users_queues_with_their_counts(world, crew):
    register(world)
    walk(world, register(world), until="contact_supervisor")

    response = api_for(world.supervisor_a).get("/api/feedback/queues/")

    assert response.status_code == 200, response.content
    body = response.json()
    counts = {row["name"]: row["count"] for row in body["queues"]}
    assert list(counts) == ["to_dispatch", "awaiting_opinion", "about_to_breach", "overdue", "major_hot"]
    assert counts["to_dispatch"] == 1
    assert counts["awaiting_opinion"] == 1
    assert body["to_do"] == 2


def test_api_queues_show_the_outsider_and_the_owner_nothing(world, crew):
    register(world, is_major=True)

    outsider = api_for(world.outsider).get("/api/feedback/queues/").json()
    owner = api_for(world.owner_a).get("/api/feedback/queues/").json()

    assert outsider["to_do"] == 0
    assert all(row["count"] == 0 for row in outsider["queues"])
    assert owner == {"to_do": 0, "queues": []}
    assert api_for(world.outsider).get("/api/feedback/queues/").status_code == 200


def test_work_queues_hold_open_items_only_so_the_menu_counts_them_among_the_open_items():
    # the menu's number is counted over the open items: a queue that counts as work must be open-only
    assert all(queue.open_only for queue in queues.QUEUES.values() if queue.counts_as_work)


def test_a_company_wide_users_counts_are_the_queues_lengths_in_one_query(
    world, crew, django_assert_num_queries
):
    """HQ's counts (on SQLite read by the open items' ids: its statistics made it read every item): one
    query, each count the queue's length, finished items in none."""
    now = timezone.now()
    late = register(world, is_major=True)
    due(late, contact_due_at=now - timedelta(minutes=5))
    register(world, is_hot=True)
    walk(world, register(world, is_major=True), until="close")
    mine = queues.queues_for(user=world.hq)
    scope_for(world.hq)

    with django_assert_num_queries(1):
        counts = queues.queue_counts(user=world.hq, queues=[q for q in mine if q.open_only], now=now)

    for queue in mine:
        if queue.open_only:
            assert counts[queue.name] == len(refs(world.hq, queue.name, now=now)), queue.name
    assert counts["major_hot"] == 2
    assert counts["overdue"] == 1
    assert counts[queues.TO_DO_KEY] == 2
