"""The complaint mailbox's rules, one raw message at a time (R-CH-2, R-CH-4, R-FB-1): decoding of Chinese
charsets, one item per message, replies threaded for the right sender only, auto-replies and bounces
ignored, malformed mail quarantined. Polling over IMAP is tested against Dovecot in tests/mail."""

from __future__ import annotations

import base64
import io
import quopri
import re
import socket
import threading
from datetime import time, timedelta
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
import time_machine
from django.core import signing
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult
from PIL import Image

from estatedesk.common.models import AuditEntry
from estatedesk.common.scheduling import Daily, periodic_jobs
from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.feedback.choices import Category, Channel, EventKind, Kind, Status
from estatedesk.feedback.events import describe
from estatedesk.feedback.intake.confirmation import CONFIRM_SALT, customer_email_for
from estatedesk.feedback.intake.followup import MAX_ATTEMPTS, notify_reply_watchers
from estatedesk.feedback.intake.mailbox import (
    SALVAGED,
    inbound_message_process,
    inbound_messages_retry,
    mailbox_poll,
)
from estatedesk.feedback.intake.mime import (
    filename_safe,
    header_decode,
    html_to_text,
    message_key,
    message_read,
    reply_text,
    text_decode,
    text_salvage,
)
from estatedesk.feedback.intake.quarantine import quarantine_list, quarantined_message_read
from estatedesk.feedback.intake.rawmail import raw_read
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox, TimelineEvent
from estatedesk.feedback.notices import tell_customer
from estatedesk.feedback.portal.forms import FeedbackReportForm
from estatedesk.feedback.tasks import mail_raw_prune, mail_retry
from estatedesk.feedback.tests.helpers import local, register
from estatedesk.notifications.models import Notification, OutboundEmail
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


# --- new items (R-FB-1) -----------------------------------------------------------------------------------


def test_fb_1_a_new_message_registers_an_email_complaint_at_once(world, mailbox, owner):
    inbound = inbound_message_process(mailbox=mailbox, raw=mail(), uid="7:12")

    item = inbound.item
    assert (inbound.outcome, inbound.message_id, inbound.uid, bytes(inbound.raw)) == (
        Outcome.CREATED,
        "<m1@example.com>",
        "7:12",
        mail(),  # the raw copy of every message (R-CH-4)
    )
    assert (inbound.error, inbound.retry_at, inbound.notified_at is not None) == ("", None, True)
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

    assert (inbound.outcome, inbound.item, bytes(inbound.raw)) == (Outcome.IGNORED, None, raw)
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


# --- files that come by mail (R-CH-2) -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Stored files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def rfc2231(text: str, charset: str) -> str:
    return f"{charset}''" + "".join(f"%{byte:02X}" for byte in text.encode(charset))


def multipart(*parts: bytes, message_id: str = "<files@example.com>") -> bytes:
    """A multipart/mixed message from 沈业主, written by hand as Chinese clients write names."""
    head = (
        f"From: {Header('沈业主', 'utf-8').encode()} <{OWNER_EMAIL}>\r\n"
        f"Subject: {Header('墙面开裂', 'utf-8').encode()}\r\nMessage-ID: {message_id}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=-b"\r\n\r\n'
    )
    body = b"".join(b"--=-b\r\n" + part + b"\r\n" for part in parts) + b"--=-b--\r\n"
    return head.encode("ascii") + body


def text_part(text: str = "见附件照片。", charset: str = "utf-8") -> bytes:
    return (
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + base64.encodebytes(text.encode(charset)).replace(b"\n", b"\r\n")
    )


def file_part(data: bytes, disposition: bytes, content_type: bytes = b"application/octet-stream") -> bytes:
    return (
        b"Content-Type: " + content_type + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n")
    )


def test_ch_2_chinese_file_names_are_decoded_however_the_client_wrote_them():
    gbk_word = base64.b64encode("照片.png".encode("gbk")).decode()
    raw = multipart(
        text_part(),
        # RFC 2231, labelled gb2312 although 喆 is GBK only
        file_part(
            PDF,
            f"attachment; filename*={rfc2231('喆园发票.pdf', 'gbk').replace('gbk', 'gb2312', 1)}".encode(),
        ),
        # RFC 2231 continuations in UTF-8
        file_part(PDF, b"attachment; filename*0*=utf-8''%E5%90%88; filename*1*=%E5%90%8C.pdf"),
        # an RFC 2047 word in the Content-Type's name (no Content-Disposition filename)
        file_part(png_bytes(), b"inline", f'image/png; name="=?GBK?B?{gbk_word}?="'.encode()),
        # raw 8-bit GBK bytes in a quoted filename
        file_part(PDF, b'attachment; filename="' + "收据.pdf".encode("gbk") + b'"'),
        # raw 8-bit UTF-8
        file_part(PDF, b'attachment; filename="' + "报价单.pdf".encode() + b'"'),
    )

    parsed = message_read(raw=raw)

    assert parsed.attachment_names == ["喆园发票.pdf", "合同.pdf", "照片.png", "收据.pdf", "报价单.pdf"]
    assert parsed.body == "见附件照片。"


def test_ch_2_file_names_are_made_safe():
    assert filename_safe("invoice\u202egpj.exe") == "invoicegpj.exe"  # no right-to-left override
    assert filename_safe("\u2066照片\u2069\u200b.png") == "照片.png"  # no isolates, no zero-width space
    assert filename_safe("a\r\nb\x00c.pdf") == "abc.pdf"
    assert filename_safe("../../etc/passwd") == "_.._etc_passwd"
    assert filename_safe('x<y>:"z"|?*.txt') == "x_y___z____.txt"
    assert filename_safe(" . ") == "attachment"
    long_name = filename_safe("长" * 300 + ".pdf")
    assert (len(long_name), long_name[-4:]) == (120, ".pdf")


def test_ch_2_pictures_and_documents_are_stored_on_the_item_and_the_rest_refused_on_its_timeline(
    world, mailbox, owner, settings
):
    # given caps of 2,000 bytes per file and 2,048 per message
    settings.FEEDBACK_MAIL_ATTACHMENT_MAX_BYTES = 2000
    settings.FEEDBACK_MAIL_MESSAGE_ATTACHMENTS_MAX_BYTES = 2048
    picture = png_bytes()
    raw = multipart(
        text_part(),
        file_part(picture, f"attachment; filename*={rfc2231('裂缝.png', 'utf-8')}".encode(), b"image/png"),
        file_part(PDF, f"attachment; filename*={rfc2231('报告.pdf', 'utf-8')}".encode(), b"application/pdf"),
        file_part(b"MZ\x90\x00 not a picture", b"attachment; filename*=utf-8''invoice%E2%80%AEgpj.exe"),
        file_part(b"MZ fake pdf", b'attachment; filename="fake.pdf"', b"application/pdf"),
        file_part(b"%PDF-" + b"x" * 2100, b'attachment; filename="big.pdf"', b"application/pdf"),
        file_part(b"%PDF-" + b"y" * 1995, b'attachment; filename="over.pdf"', b"application/pdf"),
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    item = inbound.item
    assert inbound.outcome == Outcome.CREATED
    assert item.description == "见附件照片。"  # no note about files in the owner's words
    stored = list(item.attachments.order_by("pk").values_list("name", "content_type", "size", "uploaded_by"))
    assert stored == [
        ("裂缝.png", "image/png", len(picture), None),
        ("报告.pdf", "application/pdf", len(PDF), None),
    ]
    for attachment in item.attachments.all():
        stored_name = attachment.file.name.rsplit("/", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{32}\.(png|pdf)", stored_name)  # a random name in storage
    event = item.events.get(kind=EventKind.ATTACHMENT)
    assert event.data == {
        "files": ["裂缝.png", "报告.pdf"],
        "refused": [
            {"name": "invoicegpj.exe", "size": 18, "reason": "type", "limit": 0},
            {"name": "fake.pdf", "size": 11, "reason": "type", "limit": 0},
            {"name": "big.pdf", "size": 2105, "reason": "too_large", "limit": 2000},
            {"name": "over.pdf", "size": 2000, "reason": "message_too_large", "limit": 2048},
        ],
        "by_mail": True,
    }
    with translation.override("en"):
        described = describe(event)
    assert described.who == "Customer"
    assert described.details == [
        "裂缝.png, 报告.pdf",
        "Refused: invoicegpj.exe (18\xa0bytes), not a picture or a document",
        "Refused: fake.pdf (11\xa0bytes), not a picture or a document",
        "Refused: big.pdf (2.1\xa0KB), larger than 2.0\xa0KB, the limit for one file",
        "Refused: over.pdf (2.0\xa0KB), the message's files together exceed 2.0\xa0KB",
    ]


def test_ch_2_a_reply_stores_its_files_on_its_item(world, mailbox, owner):
    first = inbound_message_process(mailbox=mailbox, raw=mail())
    message = EmailMessage()
    message["From"] = f"<{OWNER_EMAIL}>"
    message["Subject"] = "Re: 三号楼电梯坏了"
    message["Message-ID"] = "<reply-files@example.com>"
    message["In-Reply-To"] = "<m1@example.com>"
    message.set_content("补充照片。")
    message.add_attachment(png_bytes("blue"), maintype="image", subtype="png", filename="电梯.png")

    inbound = inbound_message_process(mailbox=mailbox, raw=message.as_bytes())

    assert (inbound.outcome, inbound.item) == (Outcome.THREADED, first.item)
    assert list(first.item.attachments.values_list("name", flat=True)) == ["电梯.png"]
    reply = first.item.events.get(kind=EventKind.EMAIL_REPLY)
    assert (reply.message, reply.data["attachments"]) == ("补充照片。", ["电梯.png"])
    assert first.item.events.get(kind=EventKind.ATTACHMENT).data["files"] == ["电梯.png"]


def test_ch_2_mail_files_are_served_under_their_names_only_to_those_who_may_see_the_item(
    world, mailbox, owner, login
):
    raw = multipart(
        text_part(),
        file_part(
            png_bytes(), f"attachment; filename*={rfc2231('裂缝 照片.png', 'gbk')}".encode(), b"image/png"
        ),
        file_part(PDF, f"attachment; filename*={rfc2231('报告.pdf', 'utf-8')}".encode(), b"application/pdf"),
    )
    item = inbound_message_process(mailbox=mailbox, raw=raw).item
    picture, document = item.attachments.order_by("pk")

    def url(attachment):
        return reverse("feedback:attachment_download", args=[item.reference, attachment.pk])

    shown = login(world.agent_a).get(url(picture))
    downloaded = login(world.owner_a).get(url(document))  # the owner who wrote (their email is on file)

    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    assert (
        shown["Content-Disposition"] == "inline; filename*=UTF-8''%E8%A3%82%E7%BC%9D%20%E7%85%A7%E7%89%87.png"
    )
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == png_bytes()
    assert (downloaded.status_code, downloaded["Content-Type"]) == (200, "application/pdf")
    assert downloaded["Content-Disposition"] == "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
    assert login(world.outsider).get(url(picture)).status_code == 404
    assert login(world.nobody).get(url(document)).status_code == 404


def test_ch_4_text_on_both_sides_of_an_inline_picture_is_kept_whole(world, mailbox, owner):
    # given a message as a phone's mail app writes it: text, the picture in line, more text
    raw = multipart(
        text_part("客厅墙面开裂，见图："),
        file_part(png_bytes(), b'inline; filename="IMG_0001.png"', b"image/png"),
        text_part("裂缝已有一米长。"),
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert inbound.item.description == "客厅墙面开裂，见图：\n\n裂缝已有一米长。"
    assert list(inbound.item.attachments.values_list("name", flat=True)) == ["IMG_0001.png"]


# --- damaged mail: nothing the owner wrote is lost (R-CH-4) -------------------------------------------------

OWNER_TEXT = "三号楼电梯停在5楼两天了，请尽快修理。"


def damaged(*, header_boundary: str, body: bytes, sender: str = f"<{OWNER_EMAIL}>", message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nSubject: =?UTF-8?B?{base64.b64encode('电梯坏了'.encode()).decode()}?=\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{header_boundary}"\r\n\r\n'
    ).encode() + body


def test_ch_4_a_broken_boundary_still_makes_an_item_with_all_the_owner_wrote(world, mailbox, owner):
    # given a message whose parts use another boundary than its header names: the parser sees no part
    body = (
        b"This is a multi-part message in MIME format.\r\n--other\r\n"
        + text_part(OWNER_TEXT, "gbk").replace(b"charset=gbk", b"charset=gb2312")
        + b"\r\n--other\r\n"
        + file_part(png_bytes(), b'attachment; filename="crack.png"', b"image/png")
        + b"\r\n--other--\r\n"
    )
    raw = damaged(header_boundary="declared", body=body, message_id="<broken@example.com>")

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert inbound.outcome == Outcome.CREATED
    assert (inbound.item.title, inbound.item.description) == ("电梯坏了", OWNER_TEXT)
    assert list(inbound.item.attachments.values_list("name", flat=True)) == ["crack.png"]
    assert inbound.error == SALVAGED
    assert bytes(inbound.raw) == raw


def test_ch_4_truncated_base64_and_a_missing_end_boundary_keep_what_arrived(world, mailbox, owner):
    whole = base64.b64encode(OWNER_TEXT.encode()).decode()
    cut = whole[:45]  # in the middle of a character, and of a base64 group
    body = (
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + cut.encode()
    )  # and no closing boundary
    raw = damaged(header_boundary="b", body=body, message_id="<cut@example.com>")

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert inbound.outcome == Outcome.CREATED
    assert inbound.item.description == "三号楼电梯停在5楼两天"  # every whole character that arrived


def test_ch_4_salvage_reads_html_and_quoted_printable_in_their_charsets():
    body = (
        b"--x\r\nContent-Type: text/html; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring("<p>花园没人修剪</p><p>已经一个月</p>".encode("gbk"))
        + b"\r\n--x--\r\n"
    )

    assert text_salvage(raw=damaged(header_boundary="y", body=body, message_id="<h@x>")) == (
        "花园没人修剪\n\n已经一个月"
    )


def test_ch_4_a_damaged_message_without_a_sender_is_quarantined_whole_and_readable(world, mailbox):
    body = b"--other\r\n" + text_part(OWNER_TEXT) + b"\r\n--other--\r\n"
    raw = damaged(
        header_boundary="declared", body=body, sender="undisclosed-recipients:;", message_id="<q@x>"
    )

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    assert (inbound.outcome, inbound.item, bytes(inbound.raw)) == (Outcome.QUARANTINED, None, raw)
    assert inbound.error == "MalformedMessage: no valid sender address in From: 'undisclosed-recipients:;'"
    assert inbound.retry_at is None  # a person decides
    shown = quarantined_message_read(inbound=inbound)
    assert (shown.parsed.subject, shown.parsed.body, shown.parsed.salvaged) == ("电梯坏了", OWNER_TEXT, True)


# --- one line where one line belongs (R-CH-4) ---------------------------------------------------------------


def word(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def test_ch_4_line_breaks_in_encoded_words_never_reach_a_title_a_name_or_a_header(world, mailbox, owner):
    raw = (
        f"From: {word('沈业主' + chr(13) + chr(10) + 'Bcc: x@evil.example')} <{OWNER_EMAIL}>\r\n"
        f"Subject: {word('电梯坏了' + chr(13) + chr(10) + 'Bcc: victim@example.net' + chr(0))}\r\n"
        "Message-ID: <crlf@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "三号楼电梯坏了。\r\n"
    ).encode()

    inbound = inbound_message_process(mailbox=mailbox, raw=raw)

    item = inbound.item
    assert (item.title, item.contact_name) == (
        "电梯坏了 Bcc: victim@example.net",
        "沈业主 Bcc: x@evil.example",
    )
    assert inbound.subject == "电梯坏了 Bcc: victim@example.net"
    assert header_decode(value=word("a\r\nb")) == "a\r\nb"  # decoding keeps them; the reader removes them
    # and the notification of a reply, whose title carries the item's title, is one line too
    reply = inbound_message_process(
        mailbox=mailbox,
        raw=mail(
            subject=word("Re: x\r\nBcc: y@z"),
            message_id="<crlf2@x>",
            headers={"In-Reply-To": "<crlf@example.com>"},
        ),
    )
    assert reply.outcome == Outcome.THREADED
    assert reply_watchers_told(reply) is True
    titles = list(Notification.objects.values_list("title", flat=True))
    assert all("\n" not in title and "\r" not in title for title in titles)
    assert list(Notification.objects.filter(title__contains="邮件回复").values_list("title", flat=True)) == [
        f"{reply.item.reference} 收到邮件回复：电梯坏了 Bcc: victim@example.net"
    ]
    assert all("\n" not in email.subject for email in OutboundEmail.objects.all())


# --- a failing notification is retried and reported (R-CH-4) ------------------------------------------------


def reply_watchers_told(inbound: InboundMessage) -> bool:
    """What the worker does with the task queued with the reply."""
    task = DBTaskResult.objects.get(args_kwargs__kwargs__inbound_message_id=inbound.pk)
    assert task.task_path == "estatedesk.feedback.intake.followup.notify_reply_watchers"
    return notify_reply_watchers.call(inbound_message_id=inbound.pk)


def test_ch_4_a_reply_is_kept_when_telling_the_supervisors_fails_and_they_are_told_later(
    world, mailbox, owner, monkeypatch
):
    first = inbound_message_process(mailbox=mailbox, raw=mail())
    Notification.objects.all().delete()

    def failing_notify(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("estatedesk.feedback.intake.followup.notify", failing_notify)
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        inbound = inbound_message_process(
            mailbox=mailbox,
            raw=mail(message_id="<m2@example.com>", headers={"In-Reply-To": "<m1@example.com>"}),
        )
        # the reply is on the timeline at once; the notification is a task queued with it
        assert (inbound.outcome, inbound.item) == (Outcome.THREADED, first.item)
        assert first.item.events.filter(kind=EventKind.EMAIL_REPLY).count() == 1
        assert inbound.retry_at == local(2026, 11, 24, 9, 10)  # should the task be lost

        told = reply_watchers_told(inbound)

    inbound.refresh_from_db()
    assert told is False
    assert (inbound.error, inbound.attempts, inbound.notified_at) == (
        "notification: RuntimeError: outbox unavailable",
        1,
        None,
    )
    assert inbound.retry_at == local(2026, 11, 24, 9, 1)
    assert not Notification.objects.exists()
    # when the retry is due and telling works again
    monkeypatch.undo()
    with time_machine.travel(local(2026, 11, 24, 9, 1), tick=False):
        result = inbound_messages_retry()
    inbound.refresh_from_db()
    assert (result.notified, result.pending) == (1, 0)
    assert (inbound.notified_at, inbound.retry_at) == (local(2026, 11, 24, 9, 1), None)
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["supervisor_a"]
    assert reply_watchers_told(inbound) is False  # the task, run late, tells nobody twice


def test_ch_4_a_message_whose_registration_fails_is_set_aside_whole_and_tried_again(
    world, mailbox, owner, monkeypatch
):
    def failing_notify(**kwargs):
        raise RuntimeError("notifications table locked")

    monkeypatch.setattr("estatedesk.feedback.intake.registration.notify", failing_notify)
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        inbound = inbound_message_process(mailbox=mailbox, raw=mail())

    assert (inbound.outcome, inbound.item, bytes(inbound.raw)) == (Outcome.QUARANTINED, None, mail())
    assert (inbound.error, inbound.attempts) == ("RuntimeError: notifications table locked", 1)
    assert inbound.retry_at == local(2026, 11, 24, 9, 1)
    assert (inbound.sender, FeedbackItem.objects.count()) == (OWNER_EMAIL, 0)
    # a retry before it is due does nothing; once due, the message becomes its item
    monkeypatch.undo()
    with time_machine.travel(local(2026, 11, 24, 9, 0) + timedelta(seconds=30), tick=False):
        assert inbound_messages_retry().processed == 0
    with time_machine.travel(local(2026, 11, 24, 9, 1), tick=False):
        assert mail_retry.call() == {"notified": 0, "processed": 1, "pending": 0}
    inbound.refresh_from_db()
    assert (inbound.outcome, inbound.item.title, inbound.retry_at) == (
        Outcome.CREATED,
        "三号楼电梯坏了",
        None,
    )
    assert FeedbackItem.objects.count() == 1


def test_ch_4_after_the_last_attempt_the_message_waits_for_a_person(world, mailbox, monkeypatch):
    def failing_register(**kwargs):
        raise RuntimeError("still broken")

    monkeypatch.setattr("estatedesk.feedback.intake.mailbox.feedback_item_register", failing_register)
    start = local(2026, 11, 24, 9, 0)
    with time_machine.travel(start, tick=False):
        inbound = inbound_message_process(mailbox=mailbox, raw=mail())
    waits = []
    while inbound.retry_at is not None:
        waits.append(int((inbound.retry_at - start).total_seconds() // 60))
        with time_machine.travel(inbound.retry_at, tick=False):
            inbound_messages_retry()
        inbound.refresh_from_db()

    assert waits == [1, 3, 7, 15, 31]  # 1, 2, 4, 8, 16 minutes apart
    assert (inbound.outcome, inbound.attempts, inbound.error) == (
        Outcome.QUARANTINED,
        MAX_ATTEMPTS,
        "RuntimeError: still broken",
    )
    assert list(quarantine_list(user=world.supervisor_a)) == [inbound]


def test_ch_4_the_retries_and_the_prune_are_periodic_jobs():
    jobs = periodic_jobs()

    assert jobs["feedback.mail_retry"].every == timedelta(minutes=1)
    assert str(jobs["feedback.mail_raw_prune"].at) == str(Daily(time(4, 15)))


# --- raw copies and their retention (R-CH-4) ----------------------------------------------------------------


def test_ch_4_a_raw_copy_of_every_message_is_kept_for_the_retention_period(world, mailbox, owner, settings):
    settings.FEEDBACK_MAIL_RAW_INLINE_MAX_BYTES = 2000
    settings.FEEDBACK_MAIL_RAW_RETENTION_DAYS = 180
    large = mail(message_id="<large@x>", body="很长的投诉。" * 400)
    with time_machine.travel(local(2026, 5, 1, 9, 0), tick=False):
        created = inbound_message_process(mailbox=mailbox, raw=mail())
        ignored = inbound_message_process(
            mailbox=mailbox, raw=AUTOMATIC["x-autoreply"].replace(b"m1@", b"auto@")
        )
        quarantined = inbound_message_process(mailbox=mailbox, raw=MALFORMED["no sender"])
        big = inbound_message_process(mailbox=mailbox, raw=large)
    stored_name = big.raw_file.name

    assert (bytes(big.raw), big.raw_size, raw_read(big)) == (b"", len(large), large)  # a file, not the row
    assert [raw_read(row) for row in (created, ignored)] == [
        mail(),
        AUTOMATIC["x-autoreply"].replace(b"m1@", b"auto@"),
    ]
    with time_machine.travel(local(2026, 10, 28, 9, 0), tick=False):  # 180 days later: still kept
        assert mail_raw_prune.call() == 0
    with time_machine.travel(local(2026, 10, 28, 9, 1), tick=False):
        assert mail_raw_prune.call() == 3

    for row in (created, ignored, quarantined, big):
        row.refresh_from_db()
    assert [raw_read(row) for row in (created, ignored, big)] == [b"", b"", b""]
    assert raw_read(quarantined) == MALFORMED["no sender"]  # waits for a person: kept
    assert not default_storage.exists(stored_name)
    assert created.raw_pruned_at == local(2026, 10, 28, 9, 1)
    # and the message is still known: fetched again, it makes nothing
    assert inbound_message_process(mailbox=mailbox, raw=mail()).pk == created.pk
    assert FeedbackItem.objects.count() == 2


# --- the quarantine page (R-CH-4) ---------------------------------------------------------------------------


def quarantine_urls(pk: int) -> dict[str, str]:
    return {
        "detail": reverse("feedback:mail_quarantine_detail", args=[pk]),
        "raw": reverse("feedback:mail_quarantine_raw", args=[pk]),
        "release": reverse("feedback:mail_quarantine_release", args=[pk]),
        "discard": reverse("feedback:mail_quarantine_discard", args=[pk]),
    }


def test_ch_4_only_the_projects_supervisors_and_managers_see_its_quarantine(world, mailbox, login):
    inbound = inbound_message_process(mailbox=mailbox, raw=MALFORMED["no sender"])
    other = Mailbox.objects.create(project=world.project_b, host="127.0.0.1", username="jn-c", password="x")
    elsewhere = inbound_message_process(mailbox=other, raw=MALFORMED["nothing to read"])
    urls = quarantine_urls(inbound.pk)

    for user in (world.agent_a, world.owner_a, world.hq, world.nobody, world.outsider):
        client = login(user)
        assert client.get(reverse("feedback:mail_quarantine")).status_code == (
            200 if user == world.outsider else 404
        )
        assert [client.get(urls[name]).status_code for name in ("detail", "raw")] == [404, 404]
        assert client.post(urls["release"]).status_code == 404
        assert client.post(urls["discard"], {"reason": "spam"}).status_code == 404
    inbound.refresh_from_db()
    assert inbound.outcome == Outcome.QUARANTINED
    page = login(world.pm_a).get(reverse("feedback:mail_quarantine"))
    assert [row.pk for row in page.context["inbound_messages"]] == [inbound.pk]
    assert login(world.supervisor_a).get(quarantine_urls(elsewhere.pk)["detail"]).status_code == 404


def test_ch_4_the_quarantine_list_makes_as_many_queries_for_many_messages_as_for_one(world, mailbox, login):
    inbound_message_process(mailbox=mailbox, raw=mail(sender="", message_id="<first@x>"))

    def add_rows() -> list[str]:
        for number in range(12):
            inbound_message_process(
                mailbox=mailbox, raw=mail(sender="", subject=f"隔离{number}号", message_id=f"<q{number}@x>")
            )
        return [f"隔离{number}号" for number in range(12)]

    assert_queries_do_not_grow(
        login(world.supervisor_a), reverse("feedback:mail_quarantine"), add_rows, ceiling=7
    )


def test_ch_4_a_quarantined_message_is_released_with_its_files_and_audited(world, mailbox, staff):
    raw = damaged(
        header_boundary="declared",
        body=b"--other\r\n"
        + text_part(OWNER_TEXT)
        + b"\r\n--other\r\n"
        + file_part(png_bytes(), b'attachment; filename="crack.png"', b"image/png")
        + b"\r\n--other--\r\n",
        message_id="<rel@x>",
    )
    inbound = inbound_message_process(mailbox=mailbox, raw=raw)
    # given the registration failed for good (a fault since mended), the message waits in the quarantine
    InboundMessage.objects.filter(pk=inbound.pk).update(
        outcome=Outcome.QUARANTINED, item=None, error="RuntimeError: gone", retry_at=None
    )
    FeedbackItem.objects.all().delete()
    OutboundEmail.objects.all().delete()
    client = staff(world.supervisor_a)  # reading the pages in English
    urls = quarantine_urls(inbound.pk)

    detail = client.get(urls["detail"])
    raw_download = client.get(urls["raw"])
    released = client.post(urls["release"])

    assert detail.status_code == 200
    page = detail.content.decode()
    for shown in (OWNER_TEXT, "RuntimeError: gone", "crack.png", OWNER_EMAIL):
        assert shown in page
    assert (raw_download["Content-Type"], raw_download.content) == ("message/rfc822", raw)
    assert raw_download["Content-Disposition"] == f'attachment; filename="message-{inbound.pk}.eml"'
    item = FeedbackItem.objects.get()
    assert released.url == reverse("feedback:item_detail", args=[item.reference])
    assert (item.channel, item.contact_email, item.description, item.registered_by) == (
        Channel.EMAIL,
        OWNER_EMAIL,
        OWNER_TEXT,
        None,
    )
    assert list(item.attachments.values_list("name", flat=True)) == ["crack.png"]
    assert item.events.filter(kind=EventKind.COMMENT, actor=world.supervisor_a).exists()
    assert list(OutboundEmail.objects.filter(to=OWNER_EMAIL).values_list("subject", flat=True)) == [
        acknowledgement(item)
    ]  # the sender gets the acknowledgement, in the default language (the mailbox's), not the page's
    inbound.refresh_from_db()
    assert (inbound.outcome, inbound.item, inbound.handled_by) == (Outcome.CREATED, item, world.supervisor_a)
    audit = list(
        AuditEntry.objects.filter(object_type="feedback.inboundmessage", object_id=str(inbound.pk))
        .order_by("pk")
        .values_list("action", "changes")
    )
    assert audit == [
        (AuditEntry.Action.EXPORT, {"raw_message": [None, f"{len(raw)} bytes"]}),
        (AuditEntry.Action.UPDATE, {"outcome": ["quarantined", "created"], "item": [None, item.reference]}),
    ]
    # released once: the page is gone, a second release does nothing
    assert client.post(urls["release"]).status_code == 404
    assert FeedbackItem.objects.count() == 1


def test_ch_4_a_quarantined_message_is_discarded_only_with_a_reason(world, mailbox, staff):
    inbound = inbound_message_process(mailbox=mailbox, raw=MALFORMED["not an email"])
    client = staff(world.pm_a)
    urls = quarantine_urls(inbound.pk)

    without = client.post(urls["discard"], {"reason": "  "})
    released = client.post(urls["release"], follow=True)
    discarded = client.post(urls["discard"], {"reason": "垃圾数据，不是邮件"})

    assert without.status_code == 400
    assert "This field is required." in without.content.decode()
    assert "no sender address" in released.content.decode()  # nobody to answer: register by hand
    assert discarded.url == reverse("feedback:mail_quarantine")
    inbound.refresh_from_db()
    assert (inbound.outcome, inbound.discard_reason, inbound.handled_by) == (
        Outcome.DISCARDED,
        "垃圾数据，不是邮件",
        world.pm_a,
    )
    assert bytes(inbound.raw) == MALFORMED["not an email"]  # kept for the retention period
    entry = AuditEntry.objects.get(object_type="feedback.inboundmessage", action=AuditEntry.Action.UPDATE)
    assert entry.changes == {"outcome": ["quarantined", "discarded"], "reason": [None, "垃圾数据，不是邮件"]}
    assert FeedbackItem.objects.count() == 0


# --- acknowledgements only to addresses we know (issue 10, item 5) ------------------------------------------

TYPED = "typed@example.net"


def acknowledgement(item: FeedbackItem) -> str:
    """The acknowledgement's subject, in the default language (background work and tests use it)."""
    with translation.override("zh-hans"):
        return gettext("We have registered your %(kind)s %(reference)s") % {
            "kind": item.get_kind_display(),
            "reference": item.reference,
        }


def asked(item: FeedbackItem) -> str:
    with translation.override("zh-hans"):
        return gettext("Is this your request %(reference)s?") % {"reference": item.reference}


def emails_to(address: str) -> list[str]:
    return list(OutboundEmail.objects.filter(to=address).order_by("pk").values_list("subject", flat=True))


def test_ch_4_a_typed_in_address_is_asked_once_and_written_to_only_after_the_click(world, client, settings):
    settings.ESTATEDESK_PUBLIC_URL = "https://desk.example.com"
    item = register(world, contact_email=TYPED)  # the agent typed it on the hotline form

    # then no acknowledgement, one confirmation request naming only the reference and the project
    request = OutboundEmail.objects.get(to=TYPED)
    assert request.subject == asked(item)
    assert item.description not in request.body
    assert "stairwell" not in request.body
    link = re.search(r"https://desk\.example\.com(/feedback/contact/\S+/)", request.body).group(1)
    # telling the customer again asks nobody twice and writes to nobody
    tell_customer(item=item, subject="Handled", body="Done.")
    assert emails_to(TYPED) == [request.subject]

    shown = client.get(link)  # a link scanner, or the owner reading the page
    item.refresh_from_db()
    assert (shown.status_code, item.contact_email_confirmed_at) == (200, None)
    confirmed = client.post(link)
    item.refresh_from_db()
    assert confirmed.status_code == 200
    assert item.contact_email_confirmed_at is not None

    tell_customer(item=item, subject="Handled", body="Done.")
    assert emails_to(TYPED) == [request.subject, "Handled"]


def test_ch_4_the_archived_email_and_the_mail_sender_are_known_addresses(world, mailbox, owner):
    archived = register(world, resident=owner, contact_email=OWNER_EMAIL.upper())
    both = register(world, resident=owner, contact_email=TYPED)
    from_mail = inbound_message_process(
        mailbox=mailbox, raw=mail(sender=STRANGER_EMAIL, message_id="<s@x>")
    ).item

    assert emails_to(OWNER_EMAIL.upper()) == [acknowledgement(archived)]
    # an archived email and a different typed one: the archive is written to, the typed one asked
    assert emails_to(OWNER_EMAIL) == [acknowledgement(both)]
    assert emails_to(TYPED) == [asked(both)]
    assert emails_to(STRANGER_EMAIL) == [acknowledgement(from_mail)]
    assert [customer_email_for(item) for item in (archived, both, from_mail)] == [
        OWNER_EMAIL.upper(),
        OWNER_EMAIL,
        STRANGER_EMAIL,
    ]


def test_ch_4_staff_typing_an_address_on_an_email_item_do_not_make_it_the_senders(world):
    item = register(world, channel=Channel.EMAIL, contact_email=TYPED)

    assert emails_to(TYPED) == [asked(item)]


def test_ch_4_an_address_typed_in_through_the_api_is_asked_first(world, login):
    response = login(world.agent_a).post(
        reverse("api-feedback-item-create"),
        {
            "project": world.project_a.code,
            "channel": Channel.WALK_IN,
            "kind": Kind.COMPLAINT,
            "category": Category.CLEANING,
            "description": "楼道垃圾没清。",
            "contact_email": TYPED,
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    assert emails_to(TYPED) == [asked(FeedbackItem.objects.get(reference=response.json()["reference"]))]


def test_ch_4_a_forged_expired_or_stale_confirmation_link_confirms_nothing(world, client):
    item = register(world, contact_email=TYPED)
    token = signing.dumps({"item": item.pk, "email": TYPED}, salt=CONFIRM_SALT)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert client.post(reverse("feedback:contact_email_confirm", args=[forged])).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert client.post(reverse("feedback:contact_email_confirm", args=[token])).status_code == 404
    FeedbackItem.objects.filter(pk=item.pk).update(contact_email="other@example.net")
    assert client.post(reverse("feedback:contact_email_confirm", args=[token])).status_code == 404
    item.refresh_from_db()
    assert item.contact_email_confirmed_at is None


def test_ch_4_anonymous_qr_reports_cannot_give_an_email():
    fields = FeedbackReportForm(phone_required=True).fields

    assert not [name for name in fields if "email" in name]


def test_ch_4_the_mailbox_password_is_stored_encrypted_and_never_shown_back(world, client):
    from django.db import connection

    from estatedesk.feedback.models import Mailbox

    # given a complaint mailbox saved with its IMAP password
    box = Mailbox.objects.create(
        project=world.project_b,
        host="127.0.0.1",
        username="complaints@example.invalid",
        password="s3cret-IMAP",
    )
    # then the database holds no clear text, the code reads it back, and the admin never shows it
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM feedback_mailbox WHERE id = %s", [box.pk])
        stored = cursor.fetchone()[0]
    assert "s3cret-IMAP" not in stored
    assert stored.startswith("fernet:")
    assert Mailbox.objects.get(pk=box.pk).password == "s3cret-IMAP"
    client.force_login(world.sysadmin)
    page = client.get(f"/admin/feedback/mailbox/{box.pk}/change/")
    assert page.status_code == 200
    assert "s3cret-IMAP" not in page.content.decode()
    assert stored not in page.content.decode()
