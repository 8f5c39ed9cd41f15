"""Fault tests of the outbox (issue 16, items 6 and 10b, 10c): an email is marked sent only after the mail
server accepted it; a worker killed mid-send leaves it `sending`, the sweep puts it back and it is sent
again with the same Message-ID; a refused email is failed, retried with back-off, and in the end listed.
Django's locmem mail backend stands in for the SMTP server; the database and the task queue are real."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from estatedesk.common.worker import ResilientWorker
from estatedesk.notifications import outbox
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import OutboundEmail
from estatedesk.notifications.selectors import outbound_email_failed_list
from estatedesk.notifications.services import email_send
from estatedesk.notifications.tasks import outbox_sweep, send_email

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def run_worker() -> None:
    """A real worker runs every queued task, then stops (it never waits: nothing fails here)."""
    ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="host-1-test",
        excluded_queue_names=[],
        sleep=lambda seconds: None,
        clock=lambda: 0.0,
    ).run()


def left_sending(email: OutboundEmail, *, claimed_at: datetime) -> None:
    """What a worker killed during the SMTP call leaves behind: the row claimed, never finished."""
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, claimed_at=claimed_at, attempts=1
    )


def message_ids() -> list[str]:
    return [str(message.message()["Message-ID"]) for message in mail.outbox]


@pytest.fixture
def refusing_server(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The mail server refuses every message until the test lets it accept (`accepting.append(1)`)."""
    accepting: list[int] = []
    real_send = EmailBackend.send_messages

    def send_messages(backend: EmailBackend, messages: list[mail.EmailMessage]) -> int:
        if not accepting:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return accepting


# --- (b) a worker killed mid-send ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_an_email_whose_worker_died_mid_send_is_reclaimed_and_delivered_once_with_its_message_id():
    # given an email whose worker was killed during the SMTP call, 10 minutes ago
    with time_machine.travel(NOW - 2 * outbox.SENDING_TIMEOUT, tick=False):
        email = email_send(to="owner@example.invalid", subject="维修已完成", body="Your repair is done.")
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)  # its task died with the worker
    left_sending(email, claimed_at=NOW - outbox.SENDING_TIMEOUT)

    with time_machine.travel(NOW, tick=False):
        # when the sweep runs at exactly the timeout, the send may still be under way: left alone
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 0}
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        # a second later it is taken for dead: queued again and enqueued
        assert outbox_sweep.call() == {"reclaimed": 1, "enqueued": 1}
        run_worker()
        run_worker()  # a second worker pass finds nothing more to send

    # then it was delivered once, with the Message-ID made when it was queued
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at) == (OutboxStatus.SENT, 2, NOW + timedelta(seconds=1))
    assert len(mail.outbox) == 1
    assert message_ids() == [email.message_id]
    assert email.message_id.endswith("@estatedesk.invalid>")


@pytest.mark.django_db
def test_an_email_accepted_just_before_its_worker_died_is_sent_again_with_the_same_message_id(monkeypatch):
    # given the mail server accepted an email, and the worker was killed before it could mark it sent
    with time_machine.travel(NOW, tick=False):
        email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")
    real_deliver = outbox._deliver

    def deliver_then_die(message: OutboundEmail) -> None:
        real_deliver(message)
        raise SystemExit(-9)

    monkeypatch.setattr(outbox, "_deliver", deliver_then_die)
    with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit):
        send_email.call(outbound_email_id=email.pk)
    monkeypatch.setattr(outbox, "_deliver", real_deliver)
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENDING  # not marked sent: nothing said it was

    # when the sweep finds it after the timeout and a worker sends it again
    with time_machine.travel(NOW + outbox.SENDING_TIMEOUT + MINUTE, tick=False):
        assert outbox_sweep.call() == {"reclaimed": 1, "enqueued": 1}
        assert send_email.call(outbound_email_id=email.pk) is True

    # then it went out twice (at least once), both copies with one Message-ID, so the copy is recognisable
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.SENT, 2)
    assert message_ids() == [email.message_id, email.message_id]


# --- (c) nothing is marked sent without being accepted ------------------------------------------------------


@pytest.mark.django_db
def test_an_email_the_server_refuses_is_failed_not_sent(refusing_server):
    with time_machine.travel(NOW, tick=False):
        email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")

        assert send_email.call(outbound_email_id=email.pk) is False

    email.refresh_from_db()
    assert (email.status, email.sent_at, email.attempts) == (OutboxStatus.FAILED, None, 1)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert email.next_attempt_at == NOW + MINUTE
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_refused_email_is_retried_with_back_off_and_sent_when_the_server_accepts(refusing_server):
    with time_machine.travel(NOW, tick=False):
        email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")
        send_email.call(outbound_email_id=email.pk)

    # a second before its retry is due, the sweep leaves it; at the due minute it is queued and sent
    with time_machine.travel(NOW + MINUTE - timedelta(seconds=1), tick=False):
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 0}
    refusing_server.append(1)
    with time_machine.travel(NOW + MINUTE, tick=False):
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 1}
        assert DBTaskResult.objects.filter(args_kwargs__kwargs__outbound_email_id=email.pk).count() == 2
        assert send_email.call(outbound_email_id=email.pk) is True

    # the error of the failed attempt stays on the row, for the record
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at) == (OutboxStatus.SENT, 2, NOW + MINUTE)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert message_ids() == [email.message_id]


@pytest.mark.django_db
def test_after_the_last_attempt_a_refused_email_stays_failed_and_is_listed(refusing_server):
    # given the server refuses an email every time, at 1, 2, 4, 8 and 16 minutes' distance
    at = NOW
    with time_machine.travel(at, tick=False):
        email = email_send(to="owner@example.invalid", subject="Repair done", body="Done.")
        send_email.call(outbound_email_id=email.pk)
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        email.refresh_from_db()
        waits.append(email.next_attempt_at - at)
        at = email.next_attempt_at
        with time_machine.travel(at, tick=False):
            assert outbox_sweep.call()["enqueued"] == 1
            send_email.call(outbound_email_id=email.pk)

    # then after the sixth attempt it is failed for good: not retried, and listed for staff to resend
    email.refresh_from_db()
    assert waits == [MINUTE * n for n in (1, 2, 4, 8, 16)]
    assert (email.status, email.attempts, email.next_attempt_at) == (OutboxStatus.FAILED, 6, None)
    with time_machine.travel(at + timedelta(days=1), tick=False):
        assert outbox_sweep.call() == {"reclaimed": 0, "enqueued": 0}
    assert list(outbound_email_failed_list()) == [email]  # the staff page's list
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_the_same_task_run_again_after_losing_the_database_mid_send_takes_its_claim_over_at_once():
    # given an email its task claimed a moment ago before the worker lost the database (the claim stays,
    # fresh: the stuck-send timeout is far away)
    email = email_send(to="owner@example.invalid", subject="维修已完成", body="Your repair is done.")
    task_id = str(DBTaskResult.objects.get().id)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, claimed_by=task_id, claimed_at=datetime.now(UTC), attempts=1
    )
    # when another task for it runs, nothing is sent (someone is sending it)
    assert outbox.outbound_email_send(outbound_email_id=email.pk, claimant="another-task") is False
    assert mail.outbox == []
    # and when the worker runs that same task again (the worker puts an interrupted task back)
    run_worker()
    # then it is sent at once, once, under its Message-ID
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.SENT, 2)
    assert message_ids() == [email.message_id]
