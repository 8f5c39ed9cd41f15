"""The complaint mailbox against a real IMAP server (R-CH-2, R-CH-4): Dovecot, started by conftest.py on
127.0.0.1. Messages are APPENDed to INBOX as a mail server would deliver them, then polled."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage, Message

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from estatedesk.common.models import AuditEntry
from estatedesk.feedback.choices import Channel, EventKind
from estatedesk.feedback.intake.mailbox import inbound_message_process, mailbox_poll, mailbox_poll_all
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


# --- what arrives as it arrives (issue 10, item 3) ----------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def english(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def word(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_ch_4_a_broken_boundary_still_makes_an_item_with_the_owners_text(world, imap, mailbox, media):
    # given a message whose parts do not use the boundary its header names (as a broken gateway writes)
    text = base64.encodebytes("地下车库B2层积水，已经三天没人处理。".encode("gbk")).replace(b"\n", b"\r\n")
    broken = (
        (
            f"From: {word('车主')} <owner@example.com>\r\nSubject: {word('车库积水')}\r\n"
            "Message-ID: <broken-boundary@x>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n'
            "--actual\r\nContent-Type: text/plain; charset=gb2312\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + text
        + b"--actual--\r\n"
    )
    imap.deliver(broken)

    result = mailbox_poll(mailbox=mailbox)

    assert (result.created, result.quarantined) == (1, 0)
    item = FeedbackItem.objects.get()
    assert (item.title, item.description) == ("车库积水", "地下车库B2层积水，已经三天没人处理。")
    inbound = InboundMessage.objects.get()
    assert bytes(inbound.raw).replace(b"\r\n", b"\n") == broken.replace(b"\r\n", b"\n")


def test_ch_4_an_encoded_subject_with_cr_lf_makes_a_one_line_title(world, imap, mailbox):
    imap.deliver(
        (
            f"From: {word('业主' + chr(13) + chr(10) + 'To: x@y')} <owner@example.com>\r\n"
            f"Subject: {word('电梯故障' + chr(13) + chr(10) + 'Bcc: victim@example.net')}\r\n"
            "Message-ID: <crlf@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        ).encode()
        + "电梯停了。\r\n".encode()
    )

    mailbox_poll(mailbox=mailbox)

    item = FeedbackItem.objects.get()
    assert (item.title, item.contact_name) == ("电梯故障 Bcc: victim@example.net", "业主 To: x@y")
    assert InboundMessage.objects.get().subject == "电梯故障 Bcc: victim@example.net"


def test_ch_2_a_chinese_named_attachment_is_stored_and_served_to_the_items_staff(world, imap, mailbox, media):
    message = EmailMessage()
    message["From"] = "业主 <owner@example.com>"
    message["Subject"] = "墙面裂缝"
    message["Message-ID"] = "<photo@x>"
    message.set_content("见照片。")
    message.add_attachment(png(), maintype="image", subtype="png", filename="客厅裂缝.png")  # RFC 2231
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="说明.exe")
    imap.deliver(message.as_bytes())

    mailbox_poll(mailbox=mailbox)

    item = FeedbackItem.objects.get()
    attachment = item.attachments.get()
    assert (attachment.name, attachment.content_type) == ("客厅裂缝.png", "image/png")
    assert item.events.get(kind=EventKind.ATTACHMENT).data["refused"] == [
        {"name": "说明.exe", "size": 4, "reason": "type", "limit": 0}
    ]
    url = reverse("feedback:attachment_download", args=[item.reference, attachment.pk])
    response = english(world.agent_a).get(url)
    assert response["Content-Disposition"] == (
        "inline; filename*=UTF-8''%E5%AE%A2%E5%8E%85%E8%A3%82%E7%BC%9D.png"
    )
    assert b"".join(response.streaming_content) == png()
    assert english(world.outsider).get(url).status_code == 404


def test_ch_4_the_quarantine_page_lets_the_supervisor_release_and_discard(world, imap, mailbox, media):
    # given two messages without a sender address: one the owner wrote with a photo, one of junk
    with_photo = EmailMessage()
    with_photo["From"] = "undisclosed-recipients:;"
    with_photo["Subject"] = "楼顶漏水"
    with_photo["Message-ID"] = "<q-photo@x>"
    with_photo.set_content("顶楼卫生间漏水，请派人来看。")
    with_photo.add_attachment(png(), maintype="image", subtype="png", filename="漏水.png")
    junk = b"Subject: junk\r\nMessage-ID: <q-junk@x>\r\n\r\n\xff\xfe\x00 nothing"
    imap.deliver(with_photo.as_bytes(), junk)
    mailbox_poll(mailbox=mailbox)
    leak, garbage = InboundMessage.objects.order_by("pk")
    # which a person later learns came from owner@example.com: the sender is fixed in the raw message
    fixed = bytes(leak.raw).replace(b"undisclosed-recipients:;", b"owner@example.com")
    InboundMessage.objects.filter(pk=leak.pk).update(raw=fixed)
    supervisor = english(world.supervisor_a)

    # when supervisor_a opens the quarantine, reads the message and releases it
    listing = supervisor.get(reverse("feedback:mail_quarantine"))
    detail = supervisor.get(reverse("feedback:mail_quarantine_detail", args=[leak.pk]))
    eml = supervisor.get(reverse("feedback:mail_quarantine_raw", args=[leak.pk]))
    released = supervisor.post(reverse("feedback:mail_quarantine_release", args=[leak.pk]))
    # and discards the junk with a reason
    discarded = supervisor.post(
        reverse("feedback:mail_quarantine_discard", args=[garbage.pk]), {"reason": "Not a message."}
    )

    # then
    assert [row.pk for row in listing.context["inbound_messages"]] == [garbage.pk, leak.pk]  # newest first
    page = detail.content.decode()
    for shown in ("楼顶漏水", "顶楼卫生间漏水，请派人来看。", "漏水.png", "owner@example.com"):
        assert shown in page
    assert eml.content == fixed
    item = FeedbackItem.objects.get()
    assert released.url == reverse("feedback:item_detail", args=[item.reference])
    assert (item.title, item.contact_email, item.channel) == ("楼顶漏水", "owner@example.com", Channel.EMAIL)
    assert list(item.attachments.values_list("name", flat=True)) == ["漏水.png"]
    assert discarded.status_code == 302
    assert list(InboundMessage.objects.order_by("pk").values_list("outcome", "handled_by")) == [
        (Outcome.CREATED, world.supervisor_a.pk),
        (Outcome.DISCARDED, world.supervisor_a.pk),
    ]
    assert (
        AuditEntry.objects.filter(object_type="feedback.inboundmessage", actor=world.supervisor_a).count()
        == 3
    )
    assert supervisor.get(reverse("feedback:mail_quarantine")).context["inbound_messages"] == []
    # and an outsider sees nothing of it
    outsider = english(world.outsider)
    assert outsider.get(reverse("feedback:mail_quarantine_detail", args=[leak.pk])).status_code == 404
