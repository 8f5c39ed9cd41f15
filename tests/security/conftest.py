"""Security tests (issue 16): the shared personas of estatedesk/conftest.py, an owner of the unit next to
owner_a's, and `qd_a`: one object of every kind in project A (QD-A), with the texts that must never reach
anybody outside A (`Dataset.markers`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from estatedesk.common.models import AuditEntry
from estatedesk.conftest import _fast_password_hashing, login, world  # noqa: F401 - the shared personas
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.feedback.models import Attachment, FeedbackItem, InboundMessage, Mailbox
from estatedesk.feedback.photos import feedback_photos_add
from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.org.choices import DayKind
from estatedesk.org.models import Building, PublicHoliday, WorkingCalendar
from estatedesk.owners import email_change
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.models import ContactChangeRequest, EmailChange, ImportBatch, Resident
from estatedesk.owners.services import contact_change_request_submit, resident_update
from tests.security.walker_reporting import ReportingOfA, reporting_of_a
from tests.security.walker_surveys import SurveysOfA, surveys_of_a

OWNER_A_PHONE = "13800001234"
OWNER_A_ID_NUMBER = "11010519491231002X"
OWNER_A_EMAIL = "shen.qd-a@example.com"
CONTACT_EMAIL = "contact.qd-a@example.com"  # typed in on the hotline: asked to confirm before it is used


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and throttles count in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def neighbour(world: Any) -> Any:  # noqa: F811 - the shared fixture
    """The owner of 1-1-102 in project A (the world's 邻居), given a portal account: an owner of A who
    must see nothing of owner_a's unit."""
    user = get_user_model().objects.create_user(username="owner_neighbour", display_name="owner_neighbour")
    Resident.objects.filter(name="邻居").update(user=user)
    world.users["owner_neighbour"] = user
    return user


@dataclass
class Dataset:
    """One object of each kind in project A, and what must not leak out of A."""

    item: FeedbackItem
    attachment: Attachment
    resident: Resident
    import_batch: ImportBatch
    notification: Notification
    outbound_email: OutboundEmail
    change_request: ContactChangeRequest
    email_change: EmailChange
    confirm_token: str
    report_token: str
    calendar: WorkingCalendar
    holiday: PublicHoliday
    building: Building
    mailbox: Mailbox
    quarantined: InboundMessage
    surveys: SurveysOfA
    reporting: ReportingOfA
    markers: list[str] = field(default_factory=list)

    def by_model(self) -> dict[str, Any]:
        """The object of project A for each model label (the admin's object ids)."""
        objects = [
            self.item,
            self.attachment,
            self.resident,
            self.import_batch,
            self.notification,
            self.outbound_email,
            self.change_request,
            self.email_change,
            self.calendar,
            self.holiday,
            self.building,
            self.mailbox,
            self.quarantined,
            self.building.project,
            self.building.project.branch,
            self.item.unit,
            *self.surveys.objects(),
            *self.reporting.objects(),
        ]
        return {obj._meta.label_lower: obj for obj in objects if obj is not None}


def _png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def qd_a(world: Any, neighbour: Any, settings: Any, tmp_path: Any) -> Dataset:  # noqa: F811
    """Project A with a feedback item of owner_a (and its photo), owner_a's record with an ID number, an
    email and a correction waiting, an import batch, a notification, a calendar, a public holiday, a
    satisfaction survey run to its distributed report (tests/security/walker_surveys.py), and A's reporting
    to HQ (reports, an emergency, a proposal, a document, an activity, a draft issue: walker_reporting.py)."""
    settings.MEDIA_ROOT = tmp_path
    resident = Resident.objects.get(user=world.owner_a)
    Resident.objects.filter(pk=resident.pk).update(email=OWNER_A_EMAIL, id_type="id_card")
    resident.refresh_from_db()
    resident_update(actor=world.supervisor_a, resident=resident, id_number=OWNER_A_ID_NUMBER)
    item = feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT,
            category=Category.ENGINEERING,
            title="Stairwell leak QD-A marker",
            description="Ceiling of entrance 1 drips onto the QD-A marker stairs.",
            resident=resident,
            unit=world.unit_a,
            contact_name="沈业主",
            contact_phone=OWNER_A_PHONE,
            contact_email=CONTACT_EMAIL,
        ),
    )
    feedback_photos_add(actor=world.agent_a, item=item, photos=[_png("qd-a-leak-photo.png")])
    change_request = contact_change_request_submit(actor=world.owner_a, phones=[OWNER_A_PHONE, "13811112222"])
    change = email_change.email_change_request(
        actor=world.supervisor_a, resident=resident, new_email="shen.new-qd-a@example.com"
    )
    assert change is not None
    batch = ImportBatch.objects.create(
        project=world.project_a,
        created_by=world.supervisor_a,
        file=SimpleUploadedFile("qd-a-owners-import.xlsx", b"not really a workbook"),
        filename="qd-a-owners-import.xlsx",
        sha256="0" * 64,
        status=ImportStatus.INVALID,
        problems=[{"row": 2, "column": "phones", "message": "QD-A problem marker"}],
    )
    notification = Notification.objects.create(
        user=world.supervisor_a,
        title=f"New complaint {item.reference}: Stairwell leak QD-A marker",
        body="Ceiling of entrance 1 drips onto the QD-A marker stairs.",
        url=f"/feedback/{item.reference}/",
    )
    mailbox = Mailbox.objects.create(
        project=world.project_a,
        host="imap.qd-a.invalid",
        username="complaints-qd-a",
        password="imap-secret-qd-a",
    )
    quarantined = InboundMessage.objects.create(
        mailbox=mailbox,
        message_id="<qd-a-quarantined@mail.invalid>",
        sender="sender.qd-a@example.com",
        subject="QD-A quarantined subject",
        outcome=InboundMessage.Outcome.QUARANTINED,
        error="QD-A quarantined marker",
        raw=b"From: sender.qd-a@example.com\r\nSubject: QD-A quarantined subject\r\n\r\nQD-A body\r\n",
    )
    AuditEntry.objects.filter(object_type="owners.resident").update(at=timezone.now() - timedelta(minutes=1))
    outbound_email = OutboundEmail.objects.filter(to=OWNER_A_EMAIL).order_by("id").first()
    assert outbound_email is not None  # the mail to owner_a's address about the email change
    dataset = Dataset(
        item=item,
        attachment=Attachment.objects.get(item=item),
        resident=resident,
        import_batch=batch,
        notification=notification,
        outbound_email=outbound_email,
        change_request=change_request,
        email_change=change,
        confirm_token=signing.dumps(
            {"change": change.pk, "user": change.user_id, "email": change.new_email},
            salt=email_change.CONFIRM_SALT,
        ),
        report_token=signing.dumps(
            {"change": change.pk, "user": change.user_id, "email": change.new_email},
            salt=email_change.REPORT_SALT,
        ),
        calendar=world.project_a.service_calendar,
        holiday=PublicHoliday.objects.filter(company=world.company).order_by("id").first()
        or PublicHoliday.objects.create(
            company=world.company, day=timezone.localdate(), kind=DayKind.HOLIDAY, name="QD-A day"
        ),
        building=world.unit_a.building,
        mailbox=mailbox,
        quarantined=quarantined,
        surveys=surveys_of_a(world),
        reporting=reporting_of_a(world),
    )
    dataset.markers = [
        item.reference,
        item.title,
        "QD-A marker stairs",
        "沈业主",
        OWNER_A_PHONE,
        "138****1234",
        OWNER_A_EMAIL,
        "shen.new-qd-a@example.com",
        OWNER_A_ID_NUMBER,
        "110***********002X",
        "13811112222",
        "qd-a-leak-photo.png",
        "qd-a-owners-import.xlsx",
        "QD-A problem marker",
        "supervisor_a",
        "agent_a",
        CONTACT_EMAIL,
        "complaints-qd-a",
        "imap-secret-qd-a",
        "sender.qd-a@example.com",
        "QD-A quarantined",
        *dataset.surveys.markers,
        *dataset.reporting.markers,
    ]
    return dataset
