"""The daily digest email (issue 11): at 08:00, for those who chose it, the items they have unread
notifications about from the last day, through the outbox, once a day however often the job runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from estatedesk.common.models import ScheduledRun
from estatedesk.common.scheduling import Daily, periodic_jobs, scheduler_tick
from estatedesk.notifications import digest
from estatedesk.notifications.models import DailyDigest, Notification, OutboundEmail
from estatedesk.notifications.services import notifications_mark_read, notify
from estatedesk.notifications.tasks import daily_digest, send_email


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    """The digest is a day's: these tests run at 10:00 company time, so that "now" and "an hour later" are
    the same day whenever the suite runs (between 23:00 and midnight in Shanghai they were not)."""
    with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


def daily_digest_send(*, now):
    return digest.daily_digest_send(now=now, enqueue=lambda pk: send_email.enqueue(outbound_email_id=pk))


ITEM_1 = "/feedback/QD-A-20261126-0001/"
ITEM_2 = "/feedback/QD-A-20261126-0002/"


def opt_in(user, *, email: str = "agent@example.invalid", language: str = "en") -> None:
    user.email = email
    user.daily_digest = True
    user.preferred_language = language
    user.save()


def tell(user, title: str, url: str = ITEM_1, *, age: timedelta | None = None, at=None) -> None:
    notify(users=[user], title=title, url=url, email=False)
    if age is not None or at is not None:
        Notification.objects.filter(pk=Notification.objects.latest("id").pk).update(
            created_at=at or timezone.now() - age
        )


def soon():
    return timezone.now() + timedelta(minutes=1)


def test_the_digest_lists_each_item_with_unread_notifications_of_the_last_day(world, settings):
    # given an opted-in agent with unread notifications about two items, an old one and a read one
    settings.ESTATEDESK_PUBLIC_URL = "https://estatedesk.example.com/"
    opt_in(world.agent_a)
    tell(world.agent_a, "New complaint 0001")
    tell(world.agent_a, "0001 overdue")
    tell(world.agent_a, "0002 reply", url=ITEM_2)
    tell(world.agent_a, "0003 long ago", url="/feedback/QD-A-20261120-0003/", age=timedelta(days=2))
    tell(world.agent_a, "0004 already read", url="/feedback/QD-A-20261126-0004/")
    notifications_mark_read(user=world.agent_a, group_key="/feedback/QD-A-20261126-0004/")
    # when the digest runs
    assert daily_digest_send(now=soon()) == 1
    # then one email through the outbox lists the two items, the latest message of each, with links
    email = OutboundEmail.objects.get()
    assert email.to == "agent@example.invalid"
    assert email.subject == "EstateDesk daily digest: 2 items with unread notifications"
    link = "https://estatedesk.example.com/feedback/QD-A-20261126-0001/"
    assert f"- 0001 overdue (2 new)\n  {link}" in email.body
    assert "- 0002 reply (1 new)" in email.body
    assert "New complaint 0001" not in email.body
    assert "long ago" not in email.body
    assert "already read" not in email.body
    assert "https://estatedesk.example.com" + reverse("notifications:list") in email.body
    assert DailyDigest.objects.get(user=world.agent_a).items == 2
    # and it is sent by the outbox's task
    assert send_email.call(outbound_email_id=email.pk) is True
    assert [m.to for m in mail.outbox] == [["agent@example.invalid"]]


def test_the_digest_is_in_the_users_language(world):
    opt_in(world.agent_a, language="zh-hans")
    tell(world.agent_a, "新反馈 0001")
    daily_digest_send(now=soon())
    email = OutboundEmail.objects.get()
    assert "每日摘要" in email.subject
    assert "新反馈 0001" in email.body


def test_the_digest_goes_out_once_a_day_however_often_it_runs(world):
    # given an opted-in agent with something unread
    opt_in(world.agent_a)
    tell(world.agent_a, "0001 overdue")
    now = soon()
    # when the digest runs twice that day, and the task is run again
    first = daily_digest_send(now=now)
    second = daily_digest_send(now=now + timedelta(hours=1))
    again = daily_digest.call()
    # then one email was queued
    assert (first, second, again) == (1, 0, 0)
    assert OutboundEmail.objects.count() == 1
    # and the next day, with a new notification, another
    tell(world.agent_a, "0002 new", url=ITEM_2, at=now + timedelta(hours=12))
    assert daily_digest_send(now=now + timedelta(days=1)) == 1
    assert OutboundEmail.objects.count() == 2


def test_the_digest_job_is_enqueued_once_at_0800_however_many_schedulers_tick(world):
    # given the registered job
    job = periodic_jobs()["notifications.daily_digest"]
    assert job.at == Daily(time(8, 0))
    eight = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    # when two schedulers tick at 08:00 and one at 08:01
    ticks = (eight, eight, eight + timedelta(minutes=1))
    runs = [scheduler_tick(now=at, jobs={job.name: job}) for at in ticks]
    # then it was enqueued once
    assert runs == [[job.name], [], []]
    assert ScheduledRun.objects.filter(job_name=job.name).count() == 1


def test_no_digest_for_those_who_did_not_choose_it_have_no_address_or_nothing_unread(world):
    # given unread notifications for the agent (opted out), the supervisor (opted in, no address), and the
    # project manager (opted in, everything read)
    world.agent_a.email = "agent@example.invalid"
    world.agent_a.save()
    tell(world.agent_a, "0001 a")
    opt_in(world.supervisor_a, email="")
    tell(world.supervisor_a, "0001 b")
    opt_in(world.pm_a, email="pm@example.invalid")
    tell(world.pm_a, "0001 c")
    notifications_mark_read(user=world.pm_a, group_key=ITEM_1)
    # when the digest runs
    sent = daily_digest_send(now=soon())
    # then nobody gets one
    assert sent == 0
    assert not OutboundEmail.objects.exists()
    assert not DailyDigest.objects.exists()


def test_a_user_chooses_the_digest_on_their_profile(world, login):
    # given the agent, without the digest (the default)
    assert world.agent_a.daily_digest is False
    client = login(world.agent_a)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="daily-digest"' in page
    assert 'data-testid="digest-no-email"' in page  # no address yet: told so
    # when they tick it and save
    response = client.post(reverse("accounts:profile"), {"daily_digest": "on"})
    # then it is on; unticking turns it off again
    assert response.status_code == 302
    world.agent_a.refresh_from_db()
    assert world.agent_a.daily_digest is True
    client.post(reverse("accounts:profile"), {})
    world.agent_a.refresh_from_db()
    assert world.agent_a.daily_digest is False


def test_a_users_profile_choice_changes_only_their_own_setting(world, login):
    login(world.outsider).post(reverse("accounts:profile"), {"daily_digest": "on"})
    world.agent_a.refresh_from_db()
    world.outsider.refresh_from_db()
    assert (world.agent_a.daily_digest, world.outsider.daily_digest) == (False, True)
