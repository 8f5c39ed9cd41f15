"""The demo feedback: hundreds of items across the three projects, along the whole path, a few percent
overdue and some escalated (a well-run company with some trouble), some major or hot, some rated with
comments that match the rating; made through the services; a second run adds nothing."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from estatedesk.feedback.choices import Channel, Status
from estatedesk.feedback.models import Escalation, FeedbackItem, SlaPolicy, TimelineEvent
from estatedesk.feedback.selectors import ItemFilters, item_list


@pytest.fixture
def seeded(demo_seeded, db):
    """The demo, seeded once for the package (conftest.py; how long it takes is measured in bench/, never
    asserted here)."""


def test_demo_feedback_covers_projects_channels_and_states(seeded):
    by_project = dict(FeedbackItem.objects.values_list("project__code").annotate(n=Count("id")))
    assert set(by_project) == {"QD-HJ", "QD-LX", "JN-QC"}
    assert sum(by_project.values()) >= 200
    assert set(FeedbackItem.objects.values_list("channel", flat=True)) == set(Channel.values)
    statuses = set(FeedbackItem.objects.filter(project__code="QD-HJ").values_list("status", flat=True))
    assert {Status.REGISTERED, Status.IN_PROGRESS, Status.CUSTOMER_INFORMED, Status.CLOSED} <= statuses
    assert Status.CLOSED in set(
        FeedbackItem.objects.exclude(project__code="QD-HJ").values_list("status", flat=True)
    )
    assert FeedbackItem.objects.filter(is_major=True).exists()
    assert FeedbackItem.objects.filter(is_hot=True).exists()
    assert FeedbackItem.objects.exclude(rating="").exists()
    assert Escalation.objects.filter(level=3).exists()
    assert SlaPolicy.objects.exists()
    oldest = FeedbackItem.objects.order_by("registered_at").first()
    assert (timezone.now() - oldest.registered_at).days <= 60
    assert all(
        re.fullmatch(r"[A-Z]+-[A-Z]+-\d{8}-\d{4}", r)
        for r in FeedbackItem.objects.values_list("reference", flat=True)
    )


def test_demo_history_is_in_the_past_and_in_order(seeded):
    now = timezone.now()
    assert not TimelineEvent.objects.filter(at__gt=now).exists()
    closed = FeedbackItem.objects.filter(status=Status.CLOSED)
    assert closed.count() >= 30
    for item in closed:
        assert item.registered_at < item.contacted_at <= item.customer_informed_at < item.closed_at < now
    contacted = FeedbackItem.objects.filter(contacted_at__isnull=False, contact_due_at__isnull=False)
    met = sum(1 for item in contacted if item.contacted_at <= item.contact_due_at)
    assert 0 < met < contacted.count()  # mostly in time, a few late


def test_demo_feedback_is_seen_by_the_demo_accounts(seeded):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert {i.project.code for i in item_list(user=users["outsider"])} == {"JN-QC"}
    assert item_list(user=users["agent_a"], filters=ItemFilters(overdue=True)).exists()
    own = item_list(user=users["owner_a"])
    assert own.exists()
    assert {i.resident.user_id for i in own} == {users["owner_a"].pk}


PRAISE = ("谢谢", "非常满意", "态度也好")
COMPLAINT = ("不满意", "没有彻底", "态度不好", "有点长")


def test_demo_looks_like_a_well_run_company_with_some_trouble(seeded):
    """One seeding for three checks (seeding takes most of a minute): ratings that match their comments,
    a few percent overdue, and the projects without demo accounts worked by staff who cannot sign in."""
    # given the demo's rated items
    rated = list(FeedbackItem.objects.exclude(rating="").values_list("rating", "rating_comment"))

    # then every rating is there, and no comment contradicts its rating: thanks never come with a C,
    # a complaint never with an A
    assert {rating for rating, _ in rated} == {"A", "B", "C"}
    for rating, comment in rated:
        if rating == "C":
            assert comment
            assert not any(word in comment for word in PRAISE), comment
        if rating == "A":
            assert not any(word in comment for word in COMPLAINT), comment

    # given the demo as HQ and as the project manager of 海景花园 see it
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["hq", "pm_a"])}
    for viewer in ("hq", "pm_a"):
        every = item_list(user=users[viewer]).count()
        overdue = item_list(user=users[viewer], filters=ItemFilters(overdue=True)).count()

        # then some items are overdue (there is trouble to show), but only a few percent of them
        assert every > 100
        assert 0 < overdue <= every * 0.08, (viewer, overdue, every)

    # and the other projects' items are worked by their own staff, who cannot sign in
    stand_ins = get_user_model().objects.filter(username__in=["lx_agent", "lx_pm", "qc_agent", "qc_executor"])
    assert stand_ins.count() == 4
    assert not any(user.has_usable_password() for user in stand_ins)
    assert FeedbackItem.objects.filter(project__code="JN-QC", status=Status.CLOSED).exists()
