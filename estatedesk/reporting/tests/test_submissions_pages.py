"""The report pages: a monthly report walked from draft to accepted through the pages, a return and its
correction, files, an event report with its live class proposal; who sees what (outsiders 404 on every
page and operation, no account or an owner nothing, anonymous to the login); the list's queries."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.reporting import submissions
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus
from estatedesk.reporting.models import ReportSubmission
from estatedesk.reporting.tests.test_submissions_helpers import expected, hq_setup, local


@pytest.fixture
def hq_world(world):
    return hq_setup(world)


@pytest.fixture
def staff(login):
    def _staff(user):
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _staff


def url(name, submission=None, *args):
    return reverse(
        f"reporting:{name}", args=[submission.reference, *args] if submission is not None else args
    )


def text(response):
    return response.content.decode()


FILLED = {
    "title": "青岛分公司11月业务动态",
    "body": "本月运行平稳。",
    "f_managed_area": "125000",
    "f_operations": "受理投诉12件，已处理11件。",
    "f_class2_events_note": "",
}


def test_ir_1_a_monthly_report_from_draft_to_accepted_through_the_pages(hq_world, staff):
    world = hq_world
    report = expected(world)
    admin = staff(world.doc_admin_a)
    page = admin.get(url("submission_detail", report))
    assert page.status_code == 200
    assert 'data-testid="edit-form"' in text(page)
    assert "Managed area" in text(page)  # the template's fields, in English for an English reader
    partial = admin.post(url("submission_save", report), {**FILLED, "f_managed_area": ""}, follow=True)
    assert "Draft saved." in text(partial)
    refused = admin.post(url("submission_submit", report), follow=True)
    assert "The report is not complete: Managed area." in text(refused)
    assert ReportSubmission.objects.get(pk=report.pk).status == SubmissionStatus.DRAFT

    admin.post(url("submission_save", report), FILLED)
    with time_machine.travel(local(2026, 12, 10, 23, 59, 59), tick=False):
        sent = staff(world.doc_admin_a).post(url("submission_submit", report), follow=True)
    assert "Submitted to HQ." in text(sent)
    assert 'data-on-time="1"' in text(sent)
    assert 'data-testid="edit-form"' not in text(sent)

    hq = staff(world.hq)
    review = hq.get(url("submission_detail", report))
    assert 'data-testid="accept-form"' in text(review)
    assert 'data-testid="return-form"' in text(review)
    missing_level = hq.post(url("submission_accept", report), {})
    assert missing_level.status_code == 400
    accepted = hq.post(url("submission_accept", report), {"quality_level": world.good.pk}, follow=True)
    assert "Accepted; the report is locked." in text(accepted)
    assert 'data-testid="locked"' in text(accepted)
    report.refresh_from_db()
    assert (report.status, report.quality_score) == (SubmissionStatus.ACCEPTED, world.good.score)
    locked = admin.post(url("submission_save", report), {**FILLED, "f_managed_area": "1"})
    assert locked.status_code == 409
    assert "can no longer be changed" in text(locked)
    report.refresh_from_db()
    assert report.values["managed_area"] == "125000"
    assert 'data-testid="edit-form"' not in text(admin.get(url("submission_detail", report)))


def test_ir_1_a_return_with_its_reason_and_the_resubmission(hq_world, staff):
    world = hq_world
    report = expected(world)
    admin = staff(world.doc_admin_a)
    admin.post(url("submission_save", report), FILLED)
    with time_machine.travel(local(2026, 12, 9, 10, 0), tick=False):
        staff(world.doc_admin_a).post(url("submission_submit", report))
    with time_machine.travel(local(2026, 12, 11, 9, 0), tick=False):
        hq = staff(world.hq)
        no_reason = hq.post(url("submission_return", report), {"reason": ""})
        assert no_reason.status_code == 400
        hq.post(url("submission_return", report), {"reason": "请补充投诉处理明细"})
        page = staff(world.doc_admin_a).get(url("submission_detail", report))
    assert "请补充投诉处理明细" in text(page)
    assert 'data-testid="edit-form"' in text(page)
    with time_machine.travel(local(2026, 12, 12, 10, 0), tick=False):
        later = staff(world.doc_admin_a)
        later.post(url("submission_save", report), {**FILLED, "body": "已补充明细"})
        again = later.post(url("submission_submit", report), follow=True)
    assert 'data-testid="resubmissions"' in text(again)
    assert "2026-12-09 10:00:00" in text(again)  # the first submission time, for timeliness
    assert 'data-on-time="1"' in text(again)
    assert [update.kind for update in again.context["history"]] == ["submitted", "returned", "resubmitted"]


def test_files_are_added_downloaded_in_scope_and_removed(hq_world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    report = expected(world, itype=world.finance)
    admin = staff(world.doc_admin_a)
    added = admin.post(
        url("submission_attachment_add", report),
        {"file": SimpleUploadedFile("财务报表.pdf", b"%PDF-1.4 report")},
        follow=True,
    )
    assert "File added." in text(added)
    attachment = report.attachments.get()
    download = admin.get(url("submission_attachment", report, attachment.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 report"
    assert download["Content-Disposition"].startswith("attachment;")
    assert staff(world.hq).get(url("submission_attachment", report, attachment.pk)).status_code == 200
    for persona in ("outsider", "doc_admin_b"):
        assert (
            staff(world.users[persona]).get(url("submission_attachment", report, attachment.pk)).status_code
            == 404
        )
    other = expected(world, itype=world.monthly)
    assert admin.get(url("submission_attachment", other, attachment.pk)).status_code == 404  # not its file
    wrong = admin.post(url("submission_attachment_add", report), {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert wrong.status_code == 400
    removed = admin.post(url("submission_attachment_remove", report, attachment.pk), follow=True)
    assert "File removed." in text(removed)
    assert not report.attachments.exists()


def test_ir_4_an_event_report_with_its_facts_and_the_class_proposed_live(hq_world, staff):
    world = hq_world
    supervisor = staff(world.supervisor_a)
    choose = supervisor.get(url("instant_new"))
    assert choose.status_code == 200
    assert 'data-code="emergency_class1"' in text(choose)
    assert 'data-code="monthly_business"' not in text(choose)  # made by the system per period
    page = supervisor.get(url("instant_new") + "?type=emergency_class1")
    assert 'data-testid="class-proposal"' in text(page)
    assert 'data-testid="emergency"' in text(page)
    assert page.context["class_form"] is None  # the CS supervisor reports; the project manager classifies

    fragment = supervisor.get(url("instant_class"), {"facts-theft": "on", "facts-theft_attempted_only": "on"})
    assert 'data-class="class_2"' in text(fragment)
    assert "an attempted theft only" in text(fragment)
    fragment = supervisor.get(url("instant_class"), {"facts-loss_yuan": "3000"})
    assert 'data-class="class_1"' in text(fragment)
    assert "property loss of 3,000 yuan or more" in text(fragment)

    with time_machine.travel(local(2026, 12, 2, 10, 0), tick=False):
        made = supervisor.post(
            url("instant_new") + "?type=emergency_class1",
            {
                "unit": f"P{world.project_a.pk}",
                "occurred_at": "2026-12-02T08:30",
                "place": "地下车库",
                "title": "车辆被盗",
                "body": "B2层一辆电动车被盗。",
                "f_what_happened": "监控显示凌晨被盗",
                "facts-theft": "on",
            },
            follow=True,
        )
    report = ReportSubmission.objects.get(title="车辆被盗")
    assert made.redirect_chain[-1][0] == url("submission_detail", report)
    assert (report.proposed_class, report.confirmed_class, report.occurred_at, report.due_at) == (
        EmergencyClass.CLASS_1,
        "",
        local(2026, 12, 2, 8, 30),
        local(2026, 12, 3, 8, 30),
    )
    assert report.values == {"what_happened": "监控显示凌晨被盗"}
    pm = staff(world.pm_a)
    assert 'data-testid="class-form"' in text(pm.get(url("submission_detail", report)))
    override = pm.post(url("submission_class", report), {"chosen": "class_2", "reason": ""})
    assert override.status_code == 400
    assert "Give the reason" in text(override)
    pm.post(url("submission_class", report), {"chosen": "class_1"})
    report.refresh_from_db()
    assert report.confirmed_class == EmergencyClass.CLASS_1
    follow = supervisor.post(
        url("submission_follow_up", report), {"kind": "follow_up", "text": "已报警"}, follow=True
    )
    assert "Added to the report." in text(follow)


def test_ir_4_who_classifies_gives_the_class_when_reporting(hq_world, staff):
    world = hq_world
    pm = staff(world.pm_a)
    page = pm.get(url("instant_new") + "?type=emergency_class1")
    assert page.context["class_form"] is not None
    data = {
        "unit": f"P{world.project_a.pk}",
        "occurred_at": "2026-12-02T08:30",
        "title": "未遂盗窃",
        "facts-theft": "on",
        "facts-theft_attempted_only": "on",
        "chosen": "class_1",
        "class_reason": "",
    }
    with time_machine.travel(local(2026, 12, 2, 10, 0), tick=False):
        refused = pm.post(url("instant_new") + "?type=emergency_class1", data)
        assert refused.status_code == 400
        assert not ReportSubmission.objects.exists()
        pm.post(url("instant_new") + "?type=emergency_class1", {**data, "class_reason": "嫌疑人持械"})
    report = ReportSubmission.objects.get()
    assert (report.proposed_class, report.confirmed_class, report.class_reason) == (
        "class_2",
        "class_1",
        "嫌疑人持械",
    )


# --- who sees what ----------------------------------------------------------------------------------------


POSTS = [
    "submission_save",
    "submission_submit",
    "submission_return",
    "submission_accept",
    "submission_follow_up",
    "submission_class",
    "submission_attachment_add",
]


def test_outsiders_get_404_on_every_report_page_and_operation(hq_world, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    report = expected(world, itype=world.finance)
    attachment = submissions.attachment_add(
        actor=world.doc_admin_a, submission=report, file=SimpleUploadedFile("a.pdf", b"%PDF")
    )
    event = submissions.instant_report_make(
        actor=world.supervisor_a,
        report=submissions.EventReport(
            information_type=world.emergency,
            project=world.project_a,
            occurred_at=local(2026, 1, 2),
            title="火情",
        ),
    )
    for persona in ("outsider", "doc_admin_b", "branch_manager_b"):
        client = staff(world.users[persona])
        for target in (report, event):
            assert client.get(url("submission_detail", target)).status_code == 404, persona
            for name in POSTS:
                assert client.post(url(name, target), {"reason": "x", "text": "x"}).status_code == 404, name
        assert client.get(url("submission_attachment", report, attachment.pk)).status_code == 404
        assert client.post(url("submission_attachment_remove", report, attachment.pk)).status_code == 404
        listed = client.get(url("submission_list"))
        assert listed.status_code == 200
        assert report.reference not in text(listed)
        assert event.reference not in text(listed)
    for persona in ("nobody", "owner_a"):
        client = staff(world.users[persona])
        for target in (
            url("submission_list"),
            url("submission_detail", report),
            url("instant_new"),
            url("instant_class"),
        ):
            assert client.get(target).status_code == 403, (persona, target)
        assert client.post(url("submission_submit", report)).status_code == 403
    report.refresh_from_db()
    assert (report.status, report.attachments.count()) == (SubmissionStatus.EXPECTED, 1)


def test_anonymous_is_sent_to_login(hq_world, client):
    report = expected(hq_world)
    for target in (
        url("submission_list"),
        url("submission_detail", report),
        url("instant_new"),
        url("instant_class"),
        url("submission_attachment", report, 1),
    ):
        response = client.get(target)
        assert response.status_code == 302, target
        assert "login" in response["Location"], target
    response = client.post(url("submission_submit", report))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_every_staff_member_opens_the_list_and_a_branch_sees_its_own(hq_world, staff):
    world = hq_world
    own = expected(world)
    project = expected(world, project=world.project_a)
    other = expected(world, branch=world.branch_b)
    for persona in ("agent_a", "supervisor_a", "pm_a", "branch_manager", "doc_admin_a", "hq", "leader"):
        assert staff(world.users[persona]).get(url("submission_list")).status_code == 200, persona
    branch = text(staff(world.doc_admin_a).get(url("submission_list")))
    assert own.reference in branch
    assert project.reference in branch
    assert other.reference not in branch
    everything = text(staff(world.hq).get(url("submission_list")))
    assert all(row.reference in everything for row in (own, project, other))
    filtered = text(staff(world.hq).get(url("submission_list"), {"unit": f"B{world.branch_b.pk}"}))
    assert other.reference in filtered
    assert own.reference not in filtered
    assert staff(world.hq).get(url("submission_list"), {"period": "November"}).status_code == 200


def test_the_list_makes_as_many_queries_with_many_rows(hq_world, staff):
    world = hq_world
    expected(world)
    expected(world, project=world.project_a)

    def add_rows():
        from datetime import date

        rows = [expected(world, month=date(2025, month, 1)) for month in range(1, 9)]
        rows += [
            expected(world, project=world.project_a2, month=date(2025, month, 1)) for month in range(1, 4)
        ]
        return [row.reference for row in rows]

    assert_queries_do_not_grow(staff(world.hq), url("submission_list"), add_rows, ceiling=16)


def test_the_page_of_a_business_report_lists_the_class_2_events_of_its_month(hq_world, staff):
    world = hq_world
    with time_machine.travel(local(2026, 11, 20, 10, 0), tick=False):
        event = submissions.instant_report_make(
            actor=world.pm_a,
            report=submissions.EventReport(
                information_type=world.emergency,
                project=world.project_a,
                occurred_at=local(2026, 11, 20, 9, 0),
                title="水管爆裂，及时关阀",
                facts=submissions.emergencies.Facts(prevented=True),
            ),
        )
    page = text(staff(world.doc_admin_a).get(url("submission_detail", expected(world))))
    assert 'data-testid="class-2-events"' in page
    assert event.reference in page
    event_page = text(staff(world.doc_admin_a).get(url("submission_detail", event)))
    assert "In the monthly business report of its month (class 2)" in event_page


def test_the_pages_read_in_chinese(hq_world, login):
    world = hq_world
    report = expected(world)
    page = login(world.doc_admin_a).get(url("submission_detail", report)).content.decode()
    assert "填写报告" in page
    assert "报送总部" in page
    assert "管理面积" in page
    event = login(world.supervisor_a).get(url("instant_new") + "?type=emergency_class1").content.decode()
    assert "突发事件情况" in event
    assert "二类突发事件在当月的物业公司月报中报告。" in event
