"""The complaint mailbox's rules, one raw message at a time (R-CH-2, R-CH-4, R-FB-1): decoding of Chinese
charsets, one item per message, replies threaded for the right sender only, auto-replies and bounces
ignored, malformed mail quarantined. Polling over IMAP is tested against Dovecot in tests/mail."""

from __future__ import annotations

import base64
import socket
import threading
from datetime import timedelta
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from estatedesk.common.scheduling import periodic_jobs
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Status
from estatedesk.feedback.intake.mailbox import (
    header_decode,
    html_to_text,
    inbound_message_process,
    mailbox_poll,
    message_key,
    reply_text,
    text_decode,
)
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox, TimelineEvent
from estatedesk.notifications.models import OutboundEmail
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident

Outcome = InboundMessage.Outcome
OWNER_EMAIL = "shen@example.com"
STRANGER_EMAIL = "stranger@example.net"


@pytest.fixture
def mailbox(world):
    return Mailbox.objects.create(
        project=world.project_a, host="127.0.0.1", port=993, username="qd-a", password="secret"
    )


@pytest.fixture
def owner(world):
    """沈业主, owner of 1-1-101 in project A, with an email on file."""
    resident = Resident.objects.get(name="沈业主")
    resident.email = OWNER_EMAIL
    resident.save(update_fields=["email"])
    return resident


def mail(
    *,
    subject: str = "三号楼电梯坏了",
    body: str = "三号楼电梯停在5楼两天了，请尽快修理。",
    sender: str = f"沈业主 <{OWNER_EMAIL}>",
    message_id: str | None = "<m1@example.com>",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A message as a current mail client writes it (UTF-8, RFC 2047 words where needed)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "qd-a@complaints.invalid"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def legacy_mail(*, subject: str, body: str, name: str, encoding: str, label: str, message_id: str) -> bytes:
    """A message as a Chinese mail client writes it: headers in base64 words and a base64 body, all bytes
    in `encoding`, every label saying `label` (which may be wrong). compat32 keeps the headers verbatim."""

    def word(text: str) -> str:
        return f"=?{label}?B?{base64.b64encode(text.encode(encoding)).decode()}?="

    message = Message()
    message["From"] = f"{word(name)} <zhang@example.com>"
    message["To"] = "qd-a@complaints.invalid"
    message["Subject"] = word(subject)
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'text/plain; charset="{label}"'
    message["Content-Transfer-Encoding"] = "base64"
    message.set_payload(base64.encodebytes(body.encode(encoding)).decode("ascii"))
    return message.as_bytes()


# --- decoding ---------------------------------------------------------------------------------------------

CHARSET_CASES = [
    # (encoding used, label written, subject, body, name)
    ("gb2312", "gb2312", "小区电梯坏了", "三号楼电梯停在五楼。", "张三"),
    ("gbk", "gbk", "朱镕基路的喆园漏水", "地下车库漏水，镕、喆两字不在GB2312里。", "王喆"),
    ("gbk", "gb2312", "朱镕基路的喆园漏水", "标成GB2312，实为GBK：镕。", "王喆"),  # mislabelled
    ("gb18030", "gb18030", "𠮷野家门口垃圾", "四字节字符𠮷与欧元符号€。", "𠮷田"),
    ("gb18030", "GB2312", "𠮷野家门口垃圾", "标成GB2312，实为GB18030：𠮷。", "𠮷田"),  # mislabelled
    ("big5", "big5", "社區電梯故障", "三號樓電梯停在五樓兩天了。", "陳大文"),
    ("utf-8", "utf-8", "小区噪音 🙁", "楼上装修噪音，晚上十点还在施工。", "李四"),
]


@pytest.mark.parametrize(("encoding", "label", "subject", "body", "name"), CHARSET_CASES)
def test_ch_4_each_chinese_charset_is_decoded(world, mailbox, encoding, label, subject, body, name):
    raw = legacy_mail(
        subject=subject, body=body, name=name, encoding=encoding, label=label, message_id="<cs@example.com>"
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert inbound.outcome == Outcome.CREATED
    assert (inbound.item.title, inbound.item.description, inbound.item.contact_name) == (subject, body, name)
    assert (inbound.subject, inbound.sender) == (subject, "zhang@example.com")


def test_ch_4_rfc2047_subject_q_words_split_words_and_plain_text_are_joined():
    def word(label: str, data: bytes) -> str:
        return f"=?{label}?B?{base64.b64encode(data).decode()}?="

    gbk = "物业费发票".encode("gbk")
    # a character split across two words, as some clients do; whitespace between words is dropped
    split = f"{word('gb2312', gbk[:3])}\r\n {word('gb2312', gbk[3:])}"

    assert header_decode(value=f"Re: {split}") == "Re: 物业费发票"
    assert header_decode(value="=?utf-8?Q?=E6=8A=95=E8=AF=89_=E7=94=B5=E6=A2=AF?=") == "投诉 电梯"
    assert header_decode(value=f"{word('BIG5', '報修'.encode('big5'))} 123") == "報修 123"
    assert header_decode(value="=?x-unknown?B?5oqV6K+J?=") == "投诉"  # unknown label: read as UTF-8
    assert header_decode(value="=?utf-8?B?not base64!?=") == "=?utf-8?B?not base64!?="


def test_ch_4_eight_bit_headers_and_body_without_words_are_read(world, mailbox):
    # given a client that writes raw GBK bytes into the header and an unlabelled 8-bit body
    raw = (
        "From: 张三 <zhang@example.com>\r\nSubject: 停车位被占\r\nMessage-ID: <8bit@example.com>\r\n"
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n车位天天被外来车辆占用。\r\n"
    ).encode("gbk")

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert (inbound.item.title, inbound.item.description, inbound.item.contact_name) == (
        "停车位被占",
        "车位天天被外来车辆占用。",
        "张三",
    )


def test_ch_4_text_decode_falls_back_and_never_raises():
    assert text_decode(data="电梯".encode("gbk"), charset="utf-8") == "电梯"  # labelled UTF-8, really GBK
    assert text_decode(data="電梯".encode("big5"), charset="x-big5") == "電梯"
    assert text_decode(data="電梯".encode("gb18030"), charset=None) == "電梯"  # unlabelled: mainland first
    assert text_decode(data=b"caf\xe9 \xff\xfe", charset="utf-8").startswith("caf")


def test_ch_4_html_only_message_is_read_as_text(world, mailbox):
    message = EmailMessage()
    message["From"] = f"沈业主 <{OWNER_EMAIL}>"
    message["Subject"] = "绿化"
    message["Message-ID"] = "<html@example.com>"
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>花园的树&amp;草</p>"
        "<p>没人修剪<br>已经一个月</p><script>alert(1)</script></body></html>",
        subtype="html",
        charset="gb2312",
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=message.as_bytes())

    assert inbound.item.description == "花园的树&草\n\n没人修剪\n已经一个月"
    assert html_to_text(html="<div>一</div><div>二</div>") == "一\n\n二"


def test_ch_4_plain_text_is_preferred_to_html(world, mailbox):
    message = MIMEMultipart("alternative")
    message["From"] = f"<{OWNER_EMAIL}>"
    message["Subject"] = "=?utf-8?B?5Zmq6Z+z?="
    message["Message-ID"] = "<alt@example.com>"
    message.attach(MIMEText("纯文本正文", "plain", "utf-8"))
    message.attach(MIMEText("<p>HTML正文</p>", "html", "utf-8"))

    inbound = inbound_message_process(mailbox=mailbox, raw=message.as_bytes())

    assert (inbound.item.title, inbound.item.description) == ("噪音", "纯文本正文")


def test_ch_4_attachments_are_named_but_not_imported(world, mailbox):
    message = EmailMessage()
    message["From"] = f"<{OWNER_EMAIL}>"
    message["Subject"] = "墙面开裂"
    message["Message-ID"] = "<att@example.com>"
    message.set_content("见附件照片。")
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="裂缝.png")

    inbound = inbound_message_process(mailbox=mailbox, raw=message.as_bytes())

    assert inbound.item.description.startswith("见附件照片。\n\n")
    assert inbound.item.description.endswith("裂缝.png")
    assert inbound.item.attachments.count() == 0


# --- new items (R-FB-1) -----------------------------------------------------------------------------------


def test_fb_1_a_new_message_registers_an_email_complaint_at_once(world, mailbox, owner):
    inbound = inbound_message_process(mailbox=mailbox, raw=mail(), uid="7:12")

    item = inbound.item
    assert (inbound.outcome, inbound.message_id, inbound.uid, inbound.raw) == (
        Outcome.CREATED,
        "<m1@example.com>",
        "7:12",
        b"",
    )
    assert (item.project, item.channel, item.kind, item.category, item.status) == (
        world.project_a,
        Channel.EMAIL,
        Kind.COMPLAINT,
        Category.OTHER,
        Status.REGISTERED,
    )
    assert (item.title, item.contact_email, item.contact_name, item.resident) == (
        "三号楼电梯坏了",
        OWNER_EMAIL,
        "沈业主",
        owner,
    )
    assert item.registered_by is None
    assert list(item.events.values_list("kind", flat=True)) == [EventKind.REGISTERED]
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [OWNER_EMAIL]  # the acknowledgement


def test_fb_1_resident_linked_only_when_one_resident_of_the_project_has_the_address(world, mailbox, owner):
    # given the neighbour shares the address, and a resident of project B has another one
    Resident.objects.filter(name="邻居").update(email=OWNER_EMAIL.upper())
    Resident.objects.filter(name="外人").update(email=STRANGER_EMAIL)

    shared = inbound_message_process(mailbox=mailbox, raw=mail(message_id="<a@example.com>"))
    elsewhere = inbound_message_process(
        mailbox=mailbox, raw=mail(sender=STRANGER_EMAIL, message_id="<b@example.com>")
    )

    assert shared.item.resident is None
    assert shared.item.contact_email == OWNER_EMAIL
    assert elsewhere.item.resident is None  # 外人 lives in project B


def test_fb_1_a_former_resident_is_not_linked(world, mailbox, owner):
    Occupancy.objects.filter(resident=owner).update(ended_on="2026-01-31")
    Occupancy.objects.create(resident=owner, unit=world.unit_b, relation=Relation.OWNER)

    inbound = inbound_message_process(mailbox=mailbox, raw=mail())

    assert inbound.item.resident is None


# --- once per message (R-CH-4) ----------------------------------------------------------------------------


def test_ch_4_the_same_message_twice_makes_one_item(world, mailbox):
    first = inbound_message_process(mailbox=mailbox, raw=mail(), uid="7:1")
    again = inbound_message_process(mailbox=mailbox, raw=mail(), uid="7:2")  # fetched again, or re-sent

    assert again.pk == first.pk
    assert (again.outcome, again.uid) == (Outcome.CREATED, "7:1")
    assert FeedbackItem.objects.count() == 1
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ch_4_two_workers_with_the_same_message_at_once_make_one_item(world, mailbox):
    count = 8
    barrier = threading.Barrier(count)
    records: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            records.append(inbound_message_process(mailbox=mailbox, raw=mail()).pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(records) == count
    assert len(set(records)) == 1
    assert FeedbackItem.objects.count() == 1


def test_ch_4_the_same_message_id_in_another_mailbox_is_another_message(world, mailbox):
    other = Mailbox.objects.create(project=world.project_b, host="127.0.0.1", username="jn-c", password="x")

    inbound_message_process(mailbox=mailbox, raw=mail())
    inbound_message_process(mailbox=other, raw=mail())

    assert sorted(FeedbackItem.objects.values_list("project__code", flat=True)) == ["JN-C", "QD-A"]


def test_ch_4_a_message_without_message_id_is_known_by_its_bytes(world, mailbox):
    raw = mail(message_id=None)

    first = inbound_message_process(mailbox=mailbox, raw=raw)
    again = inbound_message_process(mailbox=mailbox, raw=raw)
    other = inbound_message_process(mailbox=mailbox, raw=mail(message_id=None, body="另一件事"))

    assert first.message_id == message_key(raw=raw)
    assert first.message_id.startswith("sha256:")
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert FeedbackItem.objects.count() == 2


def test_ch_4_message_id_is_normalized():
    assert message_key(raw=b"Message-ID:\r\n  <abc@x> (comment)\r\nSubject: x\r\n\r\nbody") == "<abc@x>"
    assert message_key(raw=b"Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n").startswith("sha256:")


# --- threading (R-CH-4) -----------------------------------------------------------------------------------


def test_ch_4_a_reply_threads_by_in_reply_to(world, mailbox, owner):
    first = inbound_message_process(mailbox=mailbox, raw=mail())
    reply = mail(
        subject="Re: 三号楼电梯坏了",
        body="今天还是没修好。\n\n在 2026年11月26日 周四 09:00，物业 写道：\n> 我们已登记\n",
        message_id="<m2@example.com>",
        headers={"In-Reply-To": "<ack-from-us@estatedesk>", "References": "<m1@example.com> <ack@x>"},
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=reply)

    assert (inbound.outcome, inbound.item) == (Outcome.THREADED, first.item)
    assert FeedbackItem.objects.count() == 1
    event = first.item.events.get(kind=EventKind.EMAIL_REPLY)
    assert (event.message, event.is_public, event.actor) == ("今天还是没修好。", True, None)
    assert event.data == {
        "from": OWNER_EMAIL,
        "subject": "Re: 三号楼电梯坏了",
        "message_id": "<m2@example.com>",
        "attachments": [],
    }
    # and a reply to the reply threads onto the same item
    third = inbound_message_process(
        mailbox=mailbox, raw=mail(message_id="<m3@example.com>", headers={"In-Reply-To": "<m2@example.com>"})
    )
    assert (third.outcome, third.item) == (Outcome.THREADED, first.item)


def test_ch_4_a_reply_threads_by_reference_in_subject_for_the_items_customer(world, mailbox, owner):
    # given an item the agent registered from a call by the owner (whose email is on file)
    item = feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            title="漏水",
            description="厨房漏水",
            resident=owner,
        ),
    )
    # when the owner answers our acknowledgement, from another client, in another case
    reply = mail(
        subject=f"回复：我们已登记您的投诉 {item.reference.lower()}",
        body="师傅下午来过了，谢谢。",
        sender=f"<{OWNER_EMAIL.upper()}>",
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=reply)

    assert (inbound.outcome, inbound.item) == (Outcome.THREADED, item)
    assert item.events.get(kind=EventKind.EMAIL_REPLY).message == "师傅下午来过了，谢谢。"


def test_ch_4_a_reply_threads_for_the_contact_email_of_an_anonymous_item(world, mailbox):
    item = feedback_item_register(
        actor=None,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.QR,
            kind=Kind.COMPLAINT,
            category=Category.CLEANING,
            title="垃圾",
            description="垃圾没清",
            contact_email="visitor@example.org",
        ),
    )

    inbound = inbound_message_process(
        mailbox=mailbox, raw=mail(subject=f"Re: {item.reference}", sender="visitor@example.org")
    )

    assert (inbound.outcome, inbound.item) == (Outcome.THREADED, item)


def test_ch_4_a_stranger_quoting_an_owners_reference_gets_a_new_item(world, mailbox, owner):
    first = inbound_message_process(mailbox=mailbox, raw=mail())
    quoting = mail(
        subject=f"Re: {first.item.reference} 我也有意见",
        body="我家也是。",
        sender=f"路人 <{STRANGER_EMAIL}>",
        message_id="<s1@example.net>",
        headers={"In-Reply-To": "<m1@example.com>"},
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=quoting)

    assert inbound.outcome == Outcome.CREATED
    assert inbound.item != first.item
    assert (inbound.item.contact_email, inbound.item.resident) == (STRANGER_EMAIL, None)
    assert not TimelineEvent.objects.filter(item=first.item, kind=EventKind.EMAIL_REPLY).exists()


def test_ch_4_a_reference_of_another_project_is_not_followed(world, mailbox, owner):
    other = feedback_item_register(
        actor=None,
        data=ItemInput(
            project=world.project_b,
            channel=Channel.QR,
            kind=Kind.COMPLAINT,
            category=Category.CLEANING,
            title="垃圾",
            description="垃圾没清",
            contact_email=OWNER_EMAIL,
        ),
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=mail(subject=f"Re: {other.reference}"))

    assert inbound.outcome == Outcome.CREATED
    assert inbound.item.project == world.project_a


def test_ch_4_reply_text_drops_the_quoted_message():
    assert reply_text(body="好的\n\n-----原始邮件-----\n发件人: 物业\n内容") == "好的"
    assert reply_text(body="> 引用\n收到\nOn Tue, 24 Nov 2026, Desk wrote:\n> x") == "收到"
    assert reply_text(body="> 只有引用") == "> 只有引用"


# --- auto-replies and bounces (R-CH-4) --------------------------------------------------------------------


def bounce() -> bytes:
    message = MIMEMultipart("report", report_type="delivery-status")
    message["From"] = "Mail Delivery System <mailer-daemon@mx.example.com>"
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message["Message-ID"] = "<bounce@mx.example.com>"
    message.attach(MIMEText("This is the mail system at host mx.example.com.", "plain"))
    return message.as_bytes()


AUTOMATIC = {
    "auto-submitted": mail(headers={"Auto-Submitted": "auto-replied"}),
    "x-autoreply": mail(headers={"X-Autoreply": "yes"}),
    "x-autorespond": mail(headers={"X-Autorespond": "1"}),
    "precedence bulk": mail(headers={"Precedence": "bulk"}),
    "precedence auto_reply": mail(headers={"Precedence": "auto_reply"}),
    "subject 自动回复": mail(subject="自动回复：我正在休假"),
    "subject auto reply": mail(subject="Auto Reply: out of office"),
    "subject undeliverable": mail(subject="Undeliverable: 三号楼电梯坏了"),
    "subject 退信": mail(subject="【退信】系统退信通知"),
    "postmaster": mail(sender="postmaster@example.com"),
    "bounce": bounce(),
}


@pytest.mark.parametrize("raw", AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_ch_4_auto_replies_and_bounces_are_ignored(world, mailbox, owner, raw):
    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert (inbound.outcome, inbound.item, inbound.raw) == (Outcome.IGNORED, None, b"")
    assert FeedbackItem.objects.count() == 0
    assert OutboundEmail.objects.count() == 0  # no acknowledgement: no mail loop


def test_ch_4_mail_from_our_own_addresses_is_ignored(world, mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "EstateDesk <NoReply@estatedesk.invalid>"

    ours = [
        inbound_message_process(mailbox=mailbox, raw=mail(sender=sender, message_id=f"<own{n}@x>"))
        for n, sender in enumerate(["noreply@estatedesk.invalid", world.project_a.complaint_email])
    ]

    assert [inbound.outcome for inbound in ours] == [Outcome.IGNORED, Outcome.IGNORED]
    assert FeedbackItem.objects.count() == 0


def test_ch_4_auto_submitted_no_is_a_person_writing(world, mailbox):
    inbound = inbound_message_process(mailbox=mailbox, raw=mail(headers={"Auto-Submitted": "no"}))

    assert inbound.outcome == Outcome.CREATED


# --- quarantine (R-CH-4) ----------------------------------------------------------------------------------

MALFORMED = {
    "no sender": mail(sender="", message_id="<nofrom@example.com>"),
    "sender without address": mail(sender="undisclosed-recipients:;", message_id="<group@example.com>"),
    "not an email": b"\x00\x01\xff\xfe garbage \x00",
    "nothing to read": mail(subject="", body="   ", message_id="<empty@example.com>"),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_ch_4_a_malformed_message_is_quarantined_and_the_next_one_processed(world, mailbox, raw):
    quarantined = inbound_message_process(mailbox=mailbox, raw=raw)
    following = inbound_message_process(mailbox=mailbox, raw=mail(message_id="<next@example.com>"))

    assert (quarantined.outcome, quarantined.item, bytes(quarantined.raw)) == (Outcome.QUARANTINED, None, raw)
    assert quarantined.error.startswith("MalformedMessage: ")
    assert following.outcome == Outcome.CREATED
    assert FeedbackItem.objects.count() == 1
    # and fetched again, it stays quarantined without a second record
    assert inbound_message_process(mailbox=mailbox, raw=raw).pk == quarantined.pk


def test_ch_4_a_failure_half_way_leaves_nothing_half_made(world, mailbox, owner, monkeypatch):
    # given the reply's event is written, then telling the supervisors fails (an outbox failure)
    first = inbound_message_process(mailbox=mailbox, raw=mail())

    def failing_notify(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("estatedesk.feedback.intake.mailbox.notify", failing_notify)

    inbound = inbound_message_process(
        mailbox=mailbox, raw=mail(message_id="<m2@example.com>", headers={"In-Reply-To": "<m1@example.com>"})
    )

    assert (inbound.outcome, inbound.item, inbound.error) == (
        Outcome.QUARANTINED,
        None,
        "RuntimeError: outbox unavailable",
    )
    assert inbound.sender == OWNER_EMAIL
    assert not first.item.events.filter(kind=EventKind.EMAIL_REPLY).exists()


# --- polling without a server -----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ch_4_an_unreachable_server_is_recorded_on_the_mailbox(world, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(port=_closed_port(), use_ssl=False)
    mailbox.refresh_from_db()

    result = mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert result.error.startswith("ConnectionRefusedError")
    assert mailbox.last_error == result.error
    assert mailbox.last_polled_at is not None
    with pytest.raises(CommandError, match="1 of 1 mailboxes could not be polled"):
        call_command("poll_mailboxes")


def test_ch_4_the_poll_is_a_periodic_job_every_two_minutes():
    job = periodic_jobs()["feedback.poll_mailboxes"]

    assert job.every == timedelta(minutes=2)
    assert job.task.queue_name == "periodic"


def test_ch_4_each_poll_tells_the_health_check_the_poller_is_alive(world):
    from estatedesk.common.models import Heartbeat
    from estatedesk.feedback.tasks import poll_mailboxes

    poll_mailboxes.call()

    assert Heartbeat.objects.filter(name="mailbox").exists()
