"""The outbox (issue 16, item 6): queued → sending → sent, or failed and retried, or listed for system
administrators and HQ, who may resend; nobody else sees the list. The faults (a worker killed mid-send, a
server that refuses) are in tests/faults/test_outbox_faults.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from estatedesk.common.models import AuditEntry
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.notifications import outbox
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import OutboundEmail
from estatedesk.notifications.services import email_send, outbound_email_resend
from estatedesk.notifications.tasks import outbox_sweep, send_email

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
FAILED_PAGE = reverse("notifications:outbox_failed")


def tasks_for(email: OutboundEmail) -> int:
    return DBTaskResult.objects.filter(args_kwargs__kwargs__outbound_email_id=email.pk).count()


def failed_email(n: int = 1, *, to: str = "owner@example.invalid", given_up: bool = True) -> OutboundEmail:
    return OutboundEmail.objects.create(
        to=to,
        subject=f"Repair {n:03d} done",
        body="Done.",
        status=OutboxStatus.FAILED,
        attempts=outbox.MAX_ATTEMPTS,
        last_error=f"SMTPRecipientsRefused: mailbox {n:03d} unavailable",
        next_attempt_at=None if given_up else NOW + timedelta(minutes=4),
    )


# --- the life of an email -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_is_queued_with_its_own_message_id_and_one_task():
    with time_machine.travel(NOW, tick=False):
        first = email_send(to="a@example.invalid", subject="One", body="1")
        second = email_send(to="b@example.invalid", subject="Two", body="2")

    assert (first.status, first.attempts, first.sent_at) == (OutboxStatus.QUEUED, 0, None)
    assert first.next_attempt_at == NOW + outbox.REQUEUE_AFTER  # the net, should its task be lost
    assert first.message_id.startswith("<")
    assert first.message_id.endswith("@estatedesk.invalid>")
    assert first.message_id != second.message_id
    assert (tasks_for(first), tasks_for(second)) == (1, 1)


@pytest.mark.django_db
def test_an_accepted_email_is_sent_once_with_its_message_id():
    email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")

    with time_machine.travel(NOW, tick=False):
        assert send_email.call(outbound_email_id=email.pk) is True
    assert send_email.call(outbound_email_id=email.pk) is False  # a duplicated task sends nothing

    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at, email.next_attempt_at) == (
        OutboxStatus.SENT,
        1,
        NOW,
        None,
    )
    (message,) = mail.outbox
    assert message.message()["Message-ID"] == email.message_id
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_a_queued_email_whose_task_was_lost_is_enqueued_again_once_by_the_sweep():
    with time_machine.travel(NOW, tick=False):
        email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")
    DBTaskResult.objects.all().delete()  # the task is gone (a restored backup, a hand-made row)

    with time_machine.travel(NOW + outbox.REQUEUE_AFTER - timedelta(seconds=1), tick=False):
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 0}
    with time_machine.travel(NOW + outbox.REQUEUE_AFTER, tick=False):
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 1}
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 0}  # a second sweep: not again

    assert tasks_for(email) == 1
    assert send_email.call(outbound_email_id=email.pk) is True


def test_retry_delays_double_from_a_minute_up_to_an_hour():
    assert [outbox.retry_delay(n) for n in range(1, 9)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


@pytest.mark.django_db
def test_an_email_left_sending_on_its_last_attempt_is_failed_for_good():
    email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, attempts=outbox.MAX_ATTEMPTS, claimed_at=NOW - timedelta(hours=1)
    )

    with time_machine.travel(NOW, tick=False):
        assert outbox_sweep.call() == {"reclaimed": 1, "enqueued": 0}

    email.refresh_from_db()
    assert (email.status, email.next_attempt_at, email.last_error) == (
        OutboxStatus.FAILED,
        None,
        outbox.WORKER_DIED_LAST,
    )


# --- the failed list and resending --------------------------------------------------------------------------


@pytest.mark.django_db
def test_system_administrators_and_hq_see_failed_emails_and_nobody_else(world, login):
    failed_email(1)
    failed_email(2, given_up=False)
    OutboundEmail.objects.create(to="sent@example.invalid", subject="Sent one", body="x", status="sent")

    for who in ("hq", "sysadmin"):
        response = login(world.users[who]).get(FAILED_PAGE)
        page = response.content.decode()
        assert response.status_code == 200, who
        assert page.count('data-testid="failed-email"') == 2
        assert "owner@example.invalid" in page
        assert "SMTPRecipientsRefused: mailbox 001 unavailable" in page
        assert "sent@example.invalid" not in page
    for who in ("agent_a", "supervisor_a", "pm_a", "branch_manager", "outsider", "owner_a", "nobody"):
        response = login(world.users[who]).get(FAILED_PAGE)
        assert response.status_code == 403, who
        assert "owner@example.invalid" not in response.content.decode()
    assert login(world.hq).get(reverse("notifications:list")).content.decode().count(FAILED_PAGE) == 1
    assert FAILED_PAGE not in login(world.agent_a).get(reverse("notifications:list")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(FAILED_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_hq_resends_a_failed_email_and_it_is_sent(world, login):
    email = failed_email()

    response = login(world.hq).post(reverse("notifications:outbox_resend", args=[email.pk]), follow=True)

    assert response.redirect_chain == [(FAILED_PAGE, 302)]
    assert 'data-testid="failed-email"' not in response.content.decode()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.QUEUED, 0)
    assert tasks_for(email) == 1
    entry = AuditEntry.objects.get(object_type="notifications.outboundemail")
    assert (entry.actor, entry.action, entry.changes) == (
        world.hq,
        "update",
        {"status": ["failed", "queued"]},
    )
    assert send_email.call(outbound_email_id=email.pk) is True
    assert [m.to for m in mail.outbox] == [["owner@example.invalid"]]


@pytest.mark.django_db
def test_an_outsider_cannot_resend_and_a_second_resend_changes_nothing(world, login):
    email = failed_email()

    assert (
        login(world.outsider).post(reverse("notifications:outbox_resend", args=[email.pk])).status_code == 403
    )
    assert (
        login(world.outsider).get(reverse("notifications:outbox_resend", args=[email.pk])).status_code == 405
    )
    email.refresh_from_db()
    assert email.status == OutboxStatus.FAILED

    assert outbound_email_resend(actor=world.hq, outbound_email_id=email.pk) is True
    assert outbound_email_resend(actor=world.hq, outbound_email_id=email.pk) is False
    assert tasks_for(email) == 1
    assert AuditEntry.objects.filter(object_type="notifications.outboundemail").count() == 1


@pytest.mark.django_db
def test_failed_list_queries_do_not_grow_with_rows(world, login):
    failed_email(900)
    assert_queries_do_not_grow(
        login(world.hq),
        FAILED_PAGE,
        lambda: [failed_email(n, to=f"owner{n}@example.invalid").to for n in range(20)],
        ceiling=10,
    )


# --- the migration of the old rows --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_old_rows_get_a_status_from_sent_at_and_last_error_and_a_message_id_each():
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0001_initial")])
    old_apps = executor.loader.project_state([("notifications", "0001_initial")]).apps
    OldEmail = old_apps.get_model("notifications", "OutboundEmail")
    sent = OldEmail.objects.create(to="a@example.invalid", subject="s", body="b", sent_at=NOW, attempts=1)
    failed = OldEmail.objects.create(
        to="b@example.invalid", subject="s", body="b", attempts=1, last_error="x"
    )
    waiting = OldEmail.objects.create(to="c@example.invalid", subject="s", body="b")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.pk: row for row in OutboundEmail.objects.all()}
    assert [rows[pk].status for pk in (sent.pk, failed.pk, waiting.pk)] == ["sent", "failed", "queued"]
    assert rows[failed.pk].next_attempt_at is None  # listed, not retried on its own
    assert rows[waiting.pk].next_attempt_at is not None  # due: the sweep enqueues it
    assert len({row.message_id for row in rows.values()}) == 3
