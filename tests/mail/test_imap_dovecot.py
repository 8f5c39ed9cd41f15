"""The complaint mailbox against a real IMAP server (R-CH-2, R-CH-4): Dovecot, started by conftest.py on
127.0.0.1. Messages are APPENDed to INBOX as a mail server would deliver them, then polled."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage, Message

import pytest
from django.core.management import call_command

from estatedesk.feedback.choices import Channel, EventKind
from estatedesk.feedback.mailbox import inbound_message_process, mailbox_poll, mailbox_poll_all
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox
from estatedesk.feedback.tasks import poll_mailboxes

Outcome = InboundMessage.Outcome
SEEN = "\\Seen"


@pytest.fixture
def mailbox(world, imap):
    return Mailbox.objects.create(
        project=world.project_a,
        host=imap.host,
        port=imap.port,
        use_ssl=False,
        username=imap.username,
        password=imap.password,
    )


def mail(*, subject: str, body: str, message_id: str, sender: str = "业主 <owner@example.com>", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "qd-a@complaints.invalid"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def legacy_mail(
    *, subject: str, body: str, encoding: str, label: str, message_id: str, name: str = "业主"
) -> bytes:
    def word(text: str) -> str:
        return f"=?{label}?B?{base64.b64encode(text.encode(encoding)).decode()}?="

    message = Message()
    message["From"] = f"{word(name)} <owner@example.com>"
    message["Subject"] = word(subject)
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f"text/plain; charset={label}"
    message["Content-Transfer-Encoding"] = "base64"
    message.set_payload(base64.encodebytes(body.encode(encoding)).decode("ascii"))
    return message.as_bytes()


def titles() -> list[str]:
    return list(FeedbackItem.objects.order_by("pk").values_list("title", flat=True))


def test_ch_4_mail_in_each_charset_becomes_an_item_and_is_marked_seen(world, imap, mailbox):
    # given four messages as Chinese and current mail clients send them
    uids = imap.deliver(
        legacy_mail(
            subject="电梯故障", body="三号楼电梯坏了。", encoding="gb2312", label="gb2312", message_id="<1@x>"
        ),
        legacy_mail(
            subject="喆园漏水", body="镕字是GBK。", encoding="gbk", label="gb2312", message_id="<2@x>"
        ),
        legacy_mail(
            subject="社區噪音",
            body="樓上裝修。",
            encoding="big5",
            label="big5",
            message_id="<3@x>",
            name="業主",
        ),
        mail(subject="停车 🚗", body="车位被占。", message_id="<4@x>"),
    )
    assert all(SEEN not in flags for flags in imap.flags().values())

    # when the mailbox is polled
    result = mailbox_poll(mailbox=mailbox)

    # then each is an email item, decoded, and every message is flagged \Seen
    assert (result.error, result.fetched, result.created, result.remaining) == ("", 4, 4, 0)
    assert titles() == ["电梯故障", "喆园漏水", "社區噪音", "停车 🚗"]
    assert list(FeedbackItem.objects.order_by("pk").values_list("description", flat=True)) == [
        "三号楼电梯坏了。",
        "镕字是GBK。",
        "樓上裝修。",
        "车位被占。",
    ]
    assert set(FeedbackItem.objects.values_list("channel", flat=True)) == {Channel.EMAIL}
    assert all(SEEN in flags for flags in imap.flags().values())
    validity = InboundMessage.objects.values_list("uid", flat=True).first().split(":")[0]
    assert sorted(InboundMessage.objects.values_list("uid", flat=True)) == sorted(
        f"{validity}:{uid}" for uid in uids
    )
    mailbox.refresh_from_db()
    assert (mailbox.last_error, mailbox.last_polled_at is not None) == ("", True)


def test_ch_4_polling_twice_makes_no_duplicates(world, imap, mailbox):
    imap.deliver(mail(subject="一", body="第一封", message_id="<a@x>"))
    mailbox_poll(mailbox=mailbox)
    # the same message delivered again (to a second address of the mailbox), and a new one
    imap.deliver(
        mail(subject="一", body="第一封", message_id="<a@x>"),
        mail(subject="二", body="第二封", message_id="<b@x>"),
    )

    second = mailbox_poll(mailbox=mailbox)
    third = mailbox_poll(mailbox=mailbox)

    assert (second.fetched, second.created, second.duplicates) == (1, 1, 0)  # the copy known by Message-ID
    assert (third.fetched, third.created, third.duplicates) == (0, 0, 0)
    assert titles() == ["一", "二"]
    assert all(SEEN in flags for flags in imap.flags().values())


def test_ch_4_seen_mail_is_still_processed_and_committed_mail_is_flagged(world, imap, mailbox):
    # given a message someone read in a mail client before the poll, and one whose worker was killed after
    # its commit and before the \Seen flag was stored
    read_uid, committed_uid = imap.deliver(
        mail(subject="已读", body="有人先看过", message_id="<read@x>"),
        mail(subject="已提交", body="进程被杀", message_id="<done@x>"),
    )
    with imap.connect() as box:
        box.client.uid("STORE", read_uid, "+FLAGS", r"(\Seen)")
        validity = box.folder.status("INBOX", ["UIDVALIDITY"])["UIDVALIDITY"]
    inbound_message_process(
        mailbox=mailbox,
        raw=mail(subject="已提交", body="进程被杀", message_id="<done@x>"),
        uid=f"{validity}:{committed_uid}",
    )

    result = mailbox_poll(mailbox=mailbox)

    assert (result.fetched, result.created) == (1, 1)
    assert titles() == ["已提交", "已读"]
    assert SEEN in imap.flags()[committed_uid]


def test_ch_4_a_reply_threads_onto_its_item(world, imap, mailbox):
    imap.deliver(mail(subject="楼道灯坏了", body="二单元楼道灯不亮。", message_id="<q@x>"))
    mailbox_poll(mailbox=mailbox)
    item = FeedbackItem.objects.get()
    imap.deliver(
        mail(
            subject=f"回复：我们已登记您的投诉 {item.reference}",
            body="今晚还是不亮。\n\n-----原始邮件-----\n我们已登记",
            message_id="<r@x>",
        ),
        mail(subject="Re: 楼道灯坏了", body="补充：三楼也不亮。", message_id="<r2@x>", in_reply_to="<q@x>"),
    )

    result = mailbox_poll(mailbox=mailbox)

    assert (result.threaded, result.created) == (2, 0)
    assert list(item.events.filter(kind=EventKind.EMAIL_REPLY).values_list("message", flat=True)) == [
        "今晚还是不亮。",
        "补充：三楼也不亮。",
    ]


def test_ch_4_a_malformed_message_is_quarantined_and_later_mail_still_flows(world, imap, mailbox):
    broken = b"Subject: no sender at all\r\nMessage-ID: <broken@x>\r\n\r\n\xff\xfe garbage"
    imap.deliver(
        broken,
        mail(
            subject="自动回复：休假中", body="我在休假", message_id="<auto@x>", auto_submitted="auto-replied"
        ),
        mail(subject="垃圾没清", body="三天没清垃圾了。", message_id="<good@x>"),
    )

    result = mailbox_poll(mailbox=mailbox)

    assert (result.quarantined, result.ignored, result.created) == (1, 1, 1)
    quarantined = InboundMessage.objects.get(outcome=Outcome.QUARANTINED)
    assert quarantined.error == "MalformedMessage: no valid sender address in From: ''"
    assert bytes(quarantined.raw).replace(b"\r\n", b"\n") == broken.replace(b"\r\n", b"\n")
    assert titles() == ["垃圾没清"]
    assert all(SEEN in flags for flags in imap.flags().values())


def test_ch_4_fetch_limit_leaves_the_rest_for_the_next_poll(world, imap, mailbox):
    imap.deliver(*(mail(subject=f"第{n}封", body="内容", message_id=f"<n{n}@x>") for n in range(3)))

    first = mailbox_poll(mailbox=mailbox, fetch_limit=2)
    second = mailbox_poll(mailbox=mailbox, fetch_limit=2)

    assert (first.created, first.remaining, second.created, second.remaining) == (2, 1, 1, 0)
    assert titles() == ["第0封", "第1封", "第2封"]  # oldest first


def test_ch_4_a_wrong_password_is_kept_on_the_mailbox(world, imap, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")
    mailbox.refresh_from_db()

    result = mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert result.error.startswith("MailboxLoginError")
    assert mailbox.last_error == result.error


def test_ch_4_the_task_and_the_command_poll_every_active_mailbox(world, imap, mailbox):
    Mailbox.objects.create(
        project=world.project_b, host=imap.host, port=imap.port, username="x", password="y", is_active=False
    )
    imap.deliver(mail(subject="命令行", body="来自命令", message_id="<cli@x>"))
    output = io.StringIO()

    call_command("poll_mailboxes", stdout=output)
    totals = poll_mailboxes.call()

    assert output.getvalue() == (
        f"QD-A {mailbox}: 1 fetched, 1 new items, 0 replies threaded, 0 ignored, 0 quarantined, "
        "0 already recorded\n"
    )
    assert totals == {
        "mailboxes": 1,
        "failed": 0,
        "fetched": 0,
        "created": 0,
        "threaded": 0,
        "ignored": 0,
        "quarantined": 0,
        "duplicates": 0,
    }
    assert len(mailbox_poll_all()) == 1
    assert titles() == ["命令行"]
