"""R-IR-8: a major or hot complaint handed over from its feedback item becomes one instant report at HQ,
with the item's facts and progress, HQ told; the item links to it and back; later progress arrives as
follow-ups (each event once), never as a second report; the feedback page says "sent" only when the
report was stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.feedback import followups
from estatedesk.feedback.choices import EventKind
from estatedesk.feedback.services import feedback_comment_add, feedback_item_hand_to_hq, feedback_item_step
from estatedesk.feedback.tests.helpers import register
from estatedesk.notifications.models import Notification
from estatedesk.reporting import handoff
from estatedesk.reporting.choices import SubmissionStatus, UpdateKind
from estatedesk.reporting.models import InformationType, ReportSubmission
from estatedesk.reporting.tests.test_submissions_helpers import hq_setup, local


@pytest.fixture(autouse=True)
def english():
    """Messages and notifications in English, as the assertions read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def hq_world(world):
    return hq_setup(world)


@pytest.fixture
def connected(hq_world):
    """HQ reporting listening to feedback, as ReportingConfig.ready wires it."""
    handoff.connect()
    return hq_world


def major_item(world, **values):
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        item = register(
            world, is_major=True, title="电梯困人40分钟", description="3号楼电梯困人，业主报警。", **values
        )
    with time_machine.travel(local(2026, 12, 2, 9, 10), tick=False):
        feedback_item_step(actor=world.agent_a, item=item, step="contact_supervisor", version=item.version)
    item.refresh_from_db()
    return item


def test_ir_8_a_major_complaint_becomes_one_report_with_its_facts_and_progress(connected):
    world = connected
    item = major_item(world)
    with time_machine.travel(local(2026, 12, 2, 10, 0), tick=False):
        content, receipt = feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    report = ReportSubmission.objects.get(feedback_item=item)
    assert receipt == followups.HqReport(
        reference="IR-QD-A-20261202-001",
        url=reverse("reporting:submission_detail", args=["IR-QD-A-20261202-001"]),
        title="电梯困人40分钟",
        created=True,
    )
    assert (report.reference, report.information_type, report.project, report.status) == (
        "IR-QD-A-20261202-001",
        world.complaint,
        world.project_a,
        SubmissionStatus.SUBMITTED,
    )
    assert (report.occurred_at, report.due_at, report.first_submitted_at, report.submitted_by) == (
        local(2026, 12, 2, 9, 0),
        local(2026, 12, 3, 9, 0),
        local(2026, 12, 2, 10, 0),
        world.supervisor_a,
    )
    assert report.values["cause"] == "3号楼电梯困人，业主报警。"
    assert report.values["feedback_reference"] == item.reference
    assert report.values["is_hot"] is False
    progress = report.values["progress"].splitlines()
    assert progress[0].startswith("2026-12-02 09:00 · ")
    assert progress[-1].startswith("2026-12-02 09:10 · ")
    assert len(progress) == len(content["progress"]) == item.events.exclude(kind=EventKind.HQ_REPORT).count()
    assert report.is_complete is True
    first = report.updates.get()
    assert (first.kind, first.values["feedback_item"]) == (UpdateKind.FIRST, item.reference)
    # HQ told; the item marked and linked
    assert Notification.objects.filter(user=world.hq, url=receipt.url).count() == 1
    item.refresh_from_db()
    assert item.reported_to_hq_at == local(2026, 12, 2, 10, 0)
    event = item.events.get(kind=EventKind.HQ_REPORT)
    assert event.data == {"reference": item.reference, "report": report.reference, "url": receipt.url}


def test_ir_8_later_progress_arrives_as_follow_ups_each_event_once(connected):
    world = connected
    item = major_item(world)
    feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    item.refresh_from_db()
    with time_machine.travel(local(2026, 12, 2, 11, 0), tick=False):
        comment = feedback_comment_add(
            actor=world.pm_a, item=item, message="已联系电梯维保单位", is_public=False
        )
    report = ReportSubmission.objects.get(feedback_item=item)
    follow_ups = report.updates.filter(kind=UpdateKind.FOLLOW_UP)
    assert follow_ups.count() == 1
    update = follow_ups.get()
    assert (update.source_event_id, update.at, update.actor) == (
        comment.pk,
        local(2026, 12, 2, 11, 0),
        world.pm_a,
    )
    assert update.text.endswith("已联系电梯维保单位")
    handoff.progress_of_item(item, comment)  # told twice: recorded once
    assert report.updates.filter(kind=UpdateKind.FOLLOW_UP).count() == 1
    assert ReportSubmission.objects.filter(feedback_item=item).count() == 1


def test_ir_8_a_second_hand_off_makes_no_second_report(connected):
    world = connected
    item = major_item(world)
    feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    item.refresh_from_db()
    _content, receipt = feedback_item_hand_to_hq(actor=world.pm_a, item=item)
    assert receipt.created is False
    assert ReportSubmission.objects.filter(feedback_item=item).count() == 1
    assert item.events.filter(kind=EventKind.HQ_REPORT).count() == 1
    assert Notification.objects.filter(user=world.hq, url=receipt.url).count() == 1


def test_ir_8_a_non_major_item_is_refused(connected):
    world = connected
    ordinary = register(world)
    with pytest.raises(DomainError) as refused:
        feedback_item_hand_to_hq(actor=world.supervisor_a, item=ordinary)
    assert refused.value.code == "feedback.not_reportable"
    assert not ReportSubmission.objects.exists()


def test_ir_8_a_hot_complaint_is_reported_too(connected):
    world = connected
    item = register(world, is_hot=True, title="停车费上涨引发业主聚集")
    _content, receipt = feedback_item_hand_to_hq(actor=world.pm_a, item=item)
    report = ReportSubmission.objects.get(reference=receipt.reference)
    assert report.values["is_hot"] is True
    assert (
        Notification.objects.get(user=world.hq, url=receipt.url).title
        == "Hot complaint at 海景花园: 停车费上涨引发业主聚集"
    )


def test_ir_8_nothing_is_sent_when_nothing_stored_it(hq_world, monkeypatch):
    world = hq_world
    item = major_item(world)
    monkeypatch.setattr(followups, "_handoff_listeners", {})
    with pytest.raises(DomainError) as refused:
        feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    assert (refused.value.code, refused.value.status) == ("feedback.hq_not_stored", 503)
    handoff.connect()
    InformationType.objects.filter(code="major_complaint").update(is_active=False)  # HQ has no such type
    with pytest.raises(DomainError):
        feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    item.refresh_from_db()
    assert item.reported_to_hq_at is None
    assert not item.events.filter(kind=EventKind.HQ_REPORT).exists()
    assert not ReportSubmission.objects.exists()


def test_ir_8_a_company_without_a_catalogue_gets_the_seed(world):
    handoff.connect()
    item = register(world, is_major=True)
    _content, receipt = feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    report = ReportSubmission.objects.get(reference=receipt.reference)
    assert report.information_type.code == "major_complaint"
    assert report.due_at == item.registered_at + timedelta(hours=24)


# --- the pages ---------------------------------------------------------------------------------------------


def in_english(client):
    client.cookies["django_language"] = "en"
    return client


def test_ir_8_the_item_page_says_sent_only_when_stored_and_links_to_the_report(connected, login, monkeypatch):
    world = connected
    item = major_item(world)
    client = in_english(login(world.supervisor_a))
    url = reverse("feedback:item_report_to_hq", args=[item.reference])

    monkeypatch.setattr(followups, "_handoff_listeners", {})
    refused = client.post(url, follow=True)
    text = refused.content.decode()
    assert "HQ reporting did not store the report, so nothing was sent." in text
    assert "Reported to HQ as an instant report." not in text
    assert 'data-testid="hq-report"' not in text

    handoff.connect()
    sent = client.post(url, follow=True)
    text = sent.content.decode()
    report = ReportSubmission.objects.get(feedback_item=item)
    assert "Reported to HQ as an instant report." in text
    assert sent.context["hq_report"]["reference"] == report.reference
    assert f'href="/reporting/{report.reference}/"' in text
    page = client.get(reverse("feedback:item_detail", args=[item.reference])).content.decode()
    assert 'data-testid="hq-report-link"' in page
    assert 'data-testid="report-hq"' not in page  # no second hand-off offered
    # and back: the report shows its item
    report_page = in_english(login(world.hq)).get(
        reverse("reporting:submission_detail", args=[report.reference])
    )
    assert f'href="/feedback/{item.reference}/"' in report_page.content.decode()

    again = client.post(url, follow=True)
    assert f"Already reported to HQ as {report.reference}" in again.content.decode()
    assert ReportSubmission.objects.filter(feedback_item=item).count() == 1


def test_ir_8_outsiders_cannot_hand_over_or_see_the_report(connected, login):
    world = connected
    item = major_item(world)
    for persona in ("outsider", "owner_a", "nobody"):
        response = login(world.users[persona]).post(
            reverse("feedback:item_report_to_hq", args=[item.reference])
        )
        assert response.status_code in (403, 404), persona
    assert (
        login(world.agent_a).post(reverse("feedback:item_report_to_hq", args=[item.reference])).status_code
        == 403
    )
    assert not ReportSubmission.objects.exists()
    _content, receipt = feedback_item_hand_to_hq(actor=world.supervisor_a, item=item)
    for persona in ("outsider", "doc_admin_b"):
        assert login(world.users[persona]).get(receipt.url).status_code == 404, persona
