"""SLA policies and calendars (R-CH-1, R-FB-2, R-FB-4): a policy matches on channel too, and the clock is
counted on the calendar its policy names; the pure arithmetic of `sla.py` without a database, then the
seeded policies on a real project."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from estatedesk.common.workcalendar import Calendar
from estatedesk.feedback import clocks, sla
from estatedesk.feedback.choices import Channel, Kind, Priority, SlaClock
from estatedesk.feedback.models import SlaPolicy
from estatedesk.feedback.services import seed_sla_policies
from estatedesk.feedback.tests.helpers import local, register

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = (2026, 11, 24)
WEDNESDAY = (2026, 11, 25)
CALENDARS = sla.Calendars(
    service=Calendar(tz=SHANGHAI, opens=time(8, 0), closes=time(20, 0)),
    hotline=Calendar(tz=SHANGHAI, is_24_hours=True),
)


def policy(clock="contact", kind="", category="", priority="", minutes=60, hotline=False, channel=""):
    return sla.Policy(clock, kind, category, priority, minutes, hotline, channel)


def pick(policies, **item):
    values = {"clock": "contact", "kind": "complaint", "category": "engineering", "priority": "normal"}
    return sla.pick(policies, **{**values, "channel": "walk_in", **item})


# --- pick: channel is one more thing a policy can name ------------------------------------------------------


def test_ch_1_a_channel_policy_applies_to_that_channel_only():
    anywhere = policy(minutes=60)
    hotline = policy(channel="hotline", minutes=60, hotline=True)
    assert pick([anywhere, hotline], channel="hotline") is hotline
    assert pick([anywhere, hotline], channel="walk_in") is anywhere
    assert pick([hotline], channel="portal") is None
    assert pick([anywhere]) is anywhere  # a blank channel matches any


def test_ch_1_channel_counts_in_specificity_and_loses_ties():
    hotline = policy(channel="hotline", minutes=1)
    complaints = policy(kind="complaint", minutes=2)
    urgent = policy(priority="urgent", minutes=3)
    hotline_complaints = policy(channel="hotline", kind="complaint", minutes=4)
    on_the_hotline = {"channel": "hotline"}
    assert pick([hotline, complaints], **on_the_hotline) is complaints  # one each: kind beats channel
    assert pick([hotline, urgent], priority="urgent", **on_the_hotline) is urgent
    assert pick([complaints, hotline_complaints, urgent], **on_the_hotline) is hotline_complaints  # two
    assert pick([complaints, hotline_complaints], channel="email") is complaints


def test_sla_due_counts_the_policys_minutes_on_the_policys_calendar():
    at_23 = local(*TUESDAY, 23, 0)
    policies = [policy(minutes=60), policy(channel="hotline", minutes=60, hotline=True)]

    def due(channel):
        return sla.due(
            policies,
            clock="contact",
            start=at_23,
            kind="complaint",
            category="",
            priority="normal",
            channel=channel,
            calendars=CALENDARS,
        )

    assert due("hotline") == local(*WEDNESDAY, 0, 0)
    assert due("walk_in") == local(*WEDNESDAY, 9, 0)
    policies.clear()
    assert due("hotline") is None  # no policy: the clock does not run


def test_sla_escalation_levels_fall_one_allowed_period_apart_on_the_calendar():
    evening = sla.Period(calendar=CALENDARS.service, minutes=60)
    times = list(sla.escalation_times(due_at=local(*TUESDAY, 19, 30), allowed=evening, levels=3))
    assert times == [
        (1, local(*TUESDAY, 19, 30)),
        (2, local(*WEDNESDAY, 8, 30)),
        (3, local(*WEDNESDAY, 9, 30)),
    ]


def test_sla_default_policies_count_the_hotline_on_its_24_hour_calendar():
    defaults = sla.default_policies()

    def chosen(clock, **item):
        found = pick(defaults, clock=clock, **item)
        return (found.minutes, found.uses_hotline_calendar) if found else None

    assert chosen("contact", channel="hotline") == (60, True)
    assert chosen("contact", channel="walk_in") == (60, False)
    assert chosen("contact", channel="walk_in", priority="urgent") == (60, True)
    assert chosen("resolution", channel="hotline") == (48 * 60, True)
    assert chosen("resolution", channel="portal") == (48 * 60, False)
    assert chosen("resolution", channel="hotline", priority="urgent") == (4 * 60, True)  # urgent still wins
    assert chosen("resolution", channel="hotline", kind="praise") is None
    assert chosen("arrange") == (30, False)  # R-FB-4 "at once": 30 working minutes
    assert chosen("action") == (30, False)


# --- R-CH-1 on a project: the service centre's 12 hours and the 24-hour hotline -----------------------------


@pytest.mark.parametrize("seeded", [False, True], ids=["defaults", "seeded rows"])
def test_ch_1_hotline_complaint_at_23_00_is_measured_on_the_hotline_calendar(world, seeded):
    if seeded:
        seed_sla_policies(company=world.company)
    with time_machine.travel(local(*TUESDAY, 23, 0), tick=False):
        hotline = register(world, channel=Channel.HOTLINE)
        walk_in = register(world, channel=Channel.WALK_IN)
    assert (hotline.contact_due_at, hotline.resolution_due_at) == (
        local(*WEDNESDAY, 0, 0),  # an hour later: the hotline runs round the clock
        local(2026, 11, 26, 23, 0),  # 48 hours
    )
    assert (walk_in.contact_due_at, walk_in.resolution_due_at) == (
        local(*WEDNESDAY, 9, 0),  # the service centre opens at 08:00: an hour of its time
        local(2026, 11, 28, 20, 0),  # 48 of its hours: four 12-hour days
    )


def test_ch_1_the_hotline_calendar_applies_only_where_the_policy_says_so(world):
    seed_sla_policies(company=world.company)
    SlaPolicy.objects.filter(company=world.company, channel=Channel.HOTLINE).delete()
    with time_machine.travel(local(*TUESDAY, 23, 0), tick=False):
        item = register(world, channel=Channel.HOTLINE)
    assert item.contact_due_at == local(*WEDNESDAY, 9, 0)  # the service centre's calendar


def test_fb_4_clocks_that_start_later_are_counted_by_due_for(world):
    with time_machine.travel(local(*TUESDAY, 19, 50), tick=False):
        item = register(world, kind=Kind.REPAIR, priority=Priority.HIGH)
    opinion_at = local(*TUESDAY, 19, 50)
    assert clocks.due_for(item, SlaClock.ARRANGE, opinion_at) == local(*WEDNESDAY, 8, 20)  # 10 min + 20 min
    assert clocks.due_for(item, SlaClock.ACTION, opinion_at) == local(*WEDNESDAY, 8, 20)
    assert clocks.due_for(item, SlaClock.RESOLUTION, opinion_at) == local(
        2026, 11, 25, 19, 50
    )  # 24 h, hotline
