"""The SLA sweep (R-FB-2 for the contact clock, R-FB-4 for the arrange and action clocks): once per level
and cycle, even with two sweeps at once; the next level counted on the clock's calendar; a failing item
skipped and retried; a reopened item escalated again; and no starvation behind items escalated long ago
(issue 9, ADR 0010)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.utils import translation

from estatedesk.feedback import clocks, escalation
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, SlaClock, Status
from estatedesk.feedback.escalation import sla_sweep
from estatedesk.feedback.models import Escalation, FeedbackItem, TimelineEvent
from estatedesk.feedback.selectors import ItemFilters, item_list
from estatedesk.feedback.services import feedback_item_step
from estatedesk.feedback.tests.helpers import local, register, walk
from estatedesk.notifications.models import Notification
from estatedesk.org.models import WorkingCalendar

TUESDAY = (2026, 11, 24)
FRIDAY = (2026, 11, 27)
MONDAY = (2026, 11, 30)


@pytest.fixture(autouse=True)
def _english():
    """Titles are compared in English, whatever the catalogue translates."""
    with translation.override("en"):
        yield


def overdue_titles(user) -> list[str]:
    return list(
        # background work speaks the default language (Chinese) unless a test switches to English
        Notification.objects.filter(
            Q(title__startswith="Overdue") | Q(title__startswith="超时"), user=user
        ).values_list("title", flat=True)
    )


def levels(item: FeedbackItem) -> list[tuple[int, str, int]]:
    return sorted(Escalation.objects.filter(item=item).values_list("cycle", "clock", "level"))


def refreshed(item: FeedbackItem) -> FeedbackItem:
    item.refresh_from_db()
    return item


# --- R-FB-2: the contact clock, once per level -------------------------------------------------------------


def test_fb_2_escalates_when_contact_sla_breached_once_per_level(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    assert item.escalation_due_at == local(*TUESDAY, 11, 0)  # registration: the earliest due time
    assert sla_sweep(now=local(*TUESDAY, 11, 0)) == 0  # due at 11:00: not yet breached
    assert sla_sweep(now=local(*TUESDAY, 11, 1)) == 1
    assert refreshed(item).escalation_due_at == local(*TUESDAY, 12, 0)  # the next level
    assert sla_sweep(now=local(*TUESDAY, 11, 30)) == 0  # run again: nothing new
    assert overdue_titles(world.supervisor_a) == [
        f"Overdue (Contact the supervisor): {item.reference} Water leaking in the stairwell"
    ]
    assert overdue_titles(world.pm_a) == []
    assert sla_sweep(now=local(*TUESDAY, 12, 1)) == 1
    assert sla_sweep(now=local(*TUESDAY, 13, 1)) == 1
    assert sla_sweep(now=local(*TUESDAY, 13, 1)) == 0
    assert sla_sweep(now=local(*TUESDAY, 18, 0)) == 0  # level 3 is the last
    assert list(Escalation.objects.order_by("level").values_list("clock", "level", "notified")) == [
        (SlaClock.CONTACT, 1, [world.supervisor_a.pk]),
        (SlaClock.CONTACT, 2, [world.pm_a.pk]),
        (SlaClock.CONTACT, 3, [world.branch_manager.pk]),
    ]
    assert [
        len(overdue_titles(world.users[name])) for name in ("supervisor_a", "pm_a", "branch_manager")
    ] == [1, 1, 1]
    item = refreshed(item)
    assert item.escalation_level == 3
    # the contact clock is done with; the sweep looks again when the resolution clock falls due
    assert item.escalation_due_at == item.resolution_due_at
    assert list(item.events.filter(kind=EventKind.ESCALATED).values_list("data__level", "data__cycle")) == [
        (1, 0),
        (2, 0),
        (3, 0),
    ]


def test_fb_2_a_late_sweep_escalates_every_level_it_missed(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        register(world)
    assert sla_sweep(now=local(*TUESDAY, 12, 30)) == 2  # levels 1 and 2 at once, level 3 not yet due
    assert sorted(Escalation.objects.values_list("level", flat=True)) == [1, 2]


def test_fb_2_contacted_in_time_is_not_escalated(world, crew):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    with time_machine.travel(local(*TUESDAY, 10, 50), tick=False):
        item = walk(world, item, until="contact_supervisor")
    assert sla_sweep(now=local(*TUESDAY, 15, 0)) == 0
    assert Escalation.objects.count() == 0


def test_fb_2_inquiry_answered_at_once_stops_the_contact_clock(world):
    """Fixed: answering an inquiry at once left its contact clock running, so it was listed as overdue and
    escalated although the customer had their answer."""
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world, kind=Kind.INQUIRY, category=Category.FEES)
    with time_machine.travel(local(*TUESDAY, 10, 5), tick=False):
        item = feedback_item_step(
            actor=world.agent_a,
            item=item,
            step="answer",
            version=item.version,
            note="The fee is due on the 5th.",
            data={"how": "phone"},
        )
    assert (item.status, item.contacted_at) == (Status.CUSTOMER_INFORMED, local(*TUESDAY, 10, 5))
    later = local(*TUESDAY, 15, 0)
    assert sla_sweep(now=later) == 0
    assert list(item_list(user=world.agent_a, filters=ItemFilters(overdue=True), now=later)) == []


@pytest.mark.django_db(transaction=True)
def test_fb_2_two_sweeps_at_once_escalate_once(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        register(world)
        register(world)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(sla_sweep(now=local(*TUESDAY, 13, 1)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(results) == 6  # two items × three levels, whichever sweep got each one
    assert Escalation.objects.count() == 6
    assert len(overdue_titles(world.branch_manager)) == 2
    assert TimelineEvent.objects.filter(kind=EventKind.ESCALATED).count() == 6


def test_fb_2_items_at_the_last_level_do_not_fill_the_sweep_batch(world):
    """Fixed: the sweep took the oldest `batch` overdue items every time, including those escalated to the
    last level long ago, so once `batch` of them piled up no newer item was ever escalated."""
    with time_machine.travel(local(*TUESDAY, 9, 0), tick=False):
        oldest = register(world)
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        newer = register(world)
    one_at_a_time = {"batch": 1, "max_batches": 1}
    assert sla_sweep(now=local(*TUESDAY, 12, 30), **one_at_a_time) == 3  # the oldest, to level 3
    assert sla_sweep(now=local(*TUESDAY, 12, 30), **one_at_a_time) == 2  # then the newer one, levels 1, 2
    assert sla_sweep(now=local(*TUESDAY, 12, 30), **one_at_a_time) == 0
    assert sorted(Escalation.objects.values_list("item__reference", "level")) == [
        (oldest.reference, 1),
        (oldest.reference, 2),
        (oldest.reference, 3),
        (newer.reference, 1),
        (newer.reference, 2),
    ]


def test_fb_2_one_sweep_catches_up_a_backlog_batch_after_batch(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        for _ in range(5):
            register(world)
    now = local(*TUESDAY, 11, 1)
    assert sla_sweep(now=now, budget_seconds=0) == 1  # out of time: one item, the rest wait
    assert sla_sweep(now=now, batch=2, max_batches=1) == 2  # out of batches
    assert sla_sweep(now=now, batch=2) == 2  # the rest, batch after batch
    assert sla_sweep(now=now, batch=2) == 0
    assert Escalation.objects.filter(level=1).count() == 5
    assert not FeedbackItem.objects.filter(escalation_due_at__lt=local(*TUESDAY, 11, 1)).exists()


def test_fb_2_a_breach_after_10_000_items_stuck_at_levels_1_and_2_is_escalated_by_one_sweep(world):
    """The starvation of issue 9: the sweep read each clock's overdue items oldest first, 500 at a time,
    and 10,000 contact clocks breached earlier and not yet at their last level filled every batch, so a
    fresh breach waited 20 sweeps or for ever. Made as the engine leaves them (their Escalation rows, the
    next check at their next level, still ahead), they are not even read: one sweep escalates the fresh
    breach."""
    now = local(*TUESDAY, 11, 1)
    hour = timedelta(hours=1)

    def stuck_item(n: int) -> FeedbackItem:
        level = 1 + n % 2  # level 1 breached since 10:02, level 2 since 09:02 (level 2 at 10:02)
        due = local(*TUESDAY, 11 - level, 2) + timedelta(milliseconds=250 * n)
        return FeedbackItem(
            reference=f"QD-A-20261124-{n + 10:05d}",
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT,
            category=Category.ENGINEERING,
            title="Earlier leak",
            description="Earlier leak",
            registered_at=due - hour,
            contact_due_at=due,
            escalation_level=level,
            escalation_due_at=due + level * hour,  # the next level: after 11:01
        )

    stuck = FeedbackItem.objects.bulk_create([stuck_item(n) for n in range(10_000)], batch_size=1000)
    Escalation.objects.bulk_create(
        [
            Escalation(item=item, clock=SlaClock.CONTACT, level=level, at=item.contact_due_at)
            for item in stuck
            for level in range(1, item.escalation_level + 1)
        ],
        batch_size=1000,
    )
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        fresh = register(world)  # due at 11:00, after every stuck one
    before = Escalation.objects.count()

    assert sla_sweep(now=now) == 1

    assert levels(fresh) == [(0, SlaClock.CONTACT, 1)]
    assert Escalation.objects.count() == before + 1 == 15_001
    assert FeedbackItem.objects.filter(escalation_due_at__gt=now).count() == 10_001  # the fresh one too


# --- R-FB-2: the next level is counted on the clock's calendar ----------------------------------------------


def test_fb_2_the_next_level_comes_after_the_allowed_working_time_on_the_clocks_calendar(world):
    """A 60-minute clock on office hours (09:00–18:00, Monday to Friday) breached at 17:50 on Friday: level
    2 comes after 60 more working minutes, 09:50 on Monday, not at 18:50 on Friday."""
    world.project_a.service_calendar = WorkingCalendar.objects.get(company=world.company, code="OFFICE")
    world.project_a.save(update_fields=["service_calendar"])
    with time_machine.travel(local(*FRIDAY, 16, 50), tick=False):
        item = register(world, channel=Channel.WALK_IN)  # counted on the service centre's calendar
    assert item.contact_due_at == local(*FRIDAY, 17, 50)

    assert sla_sweep(now=local(*FRIDAY, 17, 51)) == 1
    assert refreshed(item).escalation_due_at == local(*MONDAY, 9, 50)
    assert sla_sweep(now=local(*FRIDAY, 18, 51)) == 0
    assert sla_sweep(now=local(2026, 11, 29, 12, 0)) == 0  # Sunday
    assert sla_sweep(now=local(*MONDAY, 9, 49)) == 0
    assert sla_sweep(now=local(*MONDAY, 9, 51)) == 1
    assert refreshed(item).escalation_due_at == local(*MONDAY, 10, 50)
    assert sla_sweep(now=local(*MONDAY, 10, 51)) == 1
    assert levels(item) == [(0, "contact", 1), (0, "contact", 2), (0, "contact", 3)]


# --- R-FB-4: the arrange and action clocks, from the handling opinion ---------------------------------------


def test_fb_4_arrange_and_action_clocks_escalate_from_the_handling_opinion(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world, is_quality_problem=True)
    opinion_at = local(*TUESDAY, 10, 20)
    # as the step service sets them when the project manager receives the handling opinion
    item.contacted_at = local(*TUESDAY, 10, 10)
    item.opinion_recorded_at = opinion_at
    item.status = Status.OPINION_RECORDED
    item.arrange_due_at = clocks.due_for(item, SlaClock.ARRANGE, opinion_at)
    item.action_due_at = clocks.due_for(item, SlaClock.ACTION, opinion_at)
    item.escalation_due_at = clocks.first_escalation_check(item)
    item.save()
    assert (item.arrange_due_at, item.action_due_at) == (local(*TUESDAY, 10, 50), local(*TUESDAY, 10, 50))

    assert sla_sweep(now=local(*TUESDAY, 10, 51)) == 2
    assert levels(item) == [(0, "action", 1), (0, "arrange", 1)]
    FeedbackItem.objects.filter(pk=item.pk).update(arranged_at=local(*TUESDAY, 10, 55))
    assert sla_sweep(now=local(*TUESDAY, 11, 21)) == 1  # the action clock still runs; arranging is done
    assert levels(item) == [(0, "action", 1), (0, "action", 2), (0, "arrange", 1)]
    FeedbackItem.objects.filter(pk=item.pk).update(acted_at=local(*TUESDAY, 11, 30))
    assert sla_sweep(now=local(*TUESDAY, 12, 0)) == 0
    assert refreshed(item).escalation_due_at == item.resolution_due_at


# --- a failing item, a reopened item, a finished item -------------------------------------------------------


def test_fb_2_a_failing_item_is_skipped_logged_and_retried(world, monkeypatch, caplog):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        bad = register(world, title="Broken")
        good = register(world, title="Fine")
    notify = escalation.notify

    def failing(*, title: str, **values):
        if bad.reference in title:
            raise RuntimeError("the mail server is down")
        return notify(title=title, **values)

    monkeypatch.setattr(escalation, "notify", failing)
    now = local(*TUESDAY, 11, 1)
    with caplog.at_level(logging.ERROR, logger="estatedesk.feedback.escalation"):
        assert sla_sweep(now=now) == 1

    assert levels(good) == [(0, "contact", 1)]
    assert levels(bad) == []  # nothing of its half-made escalation is left
    assert not bad.events.filter(kind=EventKind.ESCALATED).exists()
    assert refreshed(bad).escalation_due_at == now + escalation.RETRY_DELAY
    assert [record.getMessage().split(" failed")[0] for record in caplog.records] == [
        f"SLA sweep: item {bad.reference}"
    ]
    monkeypatch.setattr(escalation, "notify", notify)
    assert sla_sweep(now=now + timedelta(minutes=1)) == 0  # not before the retry
    assert sla_sweep(now=now + escalation.RETRY_DELAY + timedelta(minutes=1)) == 1
    assert levels(bad) == [(0, "contact", 1)]


def test_fb_2_a_reopened_item_escalates_again_from_level_1_and_keeps_the_old_rows(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    assert sla_sweep(now=local(*TUESDAY, 13, 1)) == 3
    # handled and closed; then reopened on Friday, as the step service does it: a new cycle, level 0, the
    # resolution clock counted again from the reopening
    reopened_at = local(*FRIDAY, 10, 0)
    item = refreshed(item)
    item.contacted_at = local(*TUESDAY, 14, 0)
    item.status = Status.REGISTERED
    item.escalation_cycle += 1
    item.escalation_level = 0
    item.resolution_due_at = clocks.due_for(item, SlaClock.RESOLUTION, reopened_at)
    item.escalation_due_at = clocks.first_escalation_check(item)
    item.save()
    assert item.escalation_due_at == local(2026, 11, 29, 10, 0)  # 48 hours on the 24-hour hotline

    assert sla_sweep(now=local(2026, 11, 29, 10, 1)) == 1
    assert levels(item) == [
        (0, "contact", 1),
        (0, "contact", 2),
        (0, "contact", 3),
        (1, "resolution", 1),
    ]
    assert refreshed(item).escalation_level == 1
    assert list(
        item.events.filter(kind=EventKind.ESCALATED).values_list("data__clock", "data__level", "data__cycle")
    ) == [("contact", 1, 0), ("contact", 2, 0), ("contact", 3, 0), ("resolution", 1, 1)]


def test_fb_2_a_closed_or_cancelled_item_is_not_escalated_and_leaves_the_sweep(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        closed = register(world)
        cancelled = register(world)
    FeedbackItem.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    FeedbackItem.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
    assert sla_sweep(now=local(*TUESDAY, 13, 1)) == 0
    assert Escalation.objects.count() == 0
    assert list(FeedbackItem.objects.values_list("escalation_due_at", flat=True)) == [None, None]


def test_fb_2_an_item_claimed_by_another_sweep_is_left_to_it(world):
    """Another sweep's claim moved the item's check to its lease: this sweep's conditional UPDATE finds the
    value it read no longer there and skips the item."""
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    now = local(*TUESDAY, 11, 1)
    run = escalation._Run(now=now)
    assert escalation._sweep_item(run, item, local(*TUESDAY, 10, 59)) == 0  # not the value in the row
    assert Escalation.objects.count() == 0
    assert escalation._sweep_item(run, item, local(*TUESDAY, 11, 0)) == 1


def test_fb_2_a_level_already_made_is_not_made_again(world):
    with time_machine.travel(local(*TUESDAY, 10, 0), tick=False):
        item = register(world)
    Escalation.objects.create(item=item, clock=SlaClock.CONTACT, level=1, at=local(*TUESDAY, 11, 0))
    assert sla_sweep(now=local(*TUESDAY, 11, 1)) == 0
    assert overdue_titles(world.supervisor_a) == []
    assert refreshed(item).escalation_due_at == local(*TUESDAY, 12, 0)
