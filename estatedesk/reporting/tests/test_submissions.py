"""Submitting and reviewing a periodic report (issue 14, deliverable 3; R-IR-1, R-IR-5): the draft in the
template's version, the required-field and attachment check, HQ returning (the first submission time
stays, the resubmission is recorded) and accepting (the report is locked); scoping of the list."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.notifications.models import Notification
from estatedesk.reporting import submissions
from estatedesk.reporting.choices import SubmissionStatus, UpdateKind
from estatedesk.reporting.models import ReportTemplate
from estatedesk.reporting.selectors import submission_get_for_user
from estatedesk.reporting.tests.test_submissions_helpers import (
    expected,
    field,
    hq_setup,
    local,
)

COMPLETE = {"managed_area": "125000.5", "operations": "11月共受理投诉12件，已处理11件。"}


@pytest.fixture(autouse=True)
def english():
    """Messages and notifications in English, as the assertions read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def hq_world(world):
    return hq_setup(world)


def draft(world, submission, values=None, *, actor=None):
    return submissions.submission_draft(
        actor=actor or world.doc_admin_a,
        submission=submission,
        values=COMPLETE if values is None else values,
        title="青岛分公司11月业务动态",
        body="见各项。",
    )


def test_ir_5_the_draft_keeps_the_template_version_it_was_filled_in(hq_world):
    world = hq_world
    submission = expected(world)
    draft(world, submission, {"operations": "部分内容"})
    submission.refresh_from_db()
    first = submission.template
    assert (first.version, submission.status, submission.values) == (
        1,
        SubmissionStatus.DRAFT,
        {"operations": "部分内容"},
    )
    ReportTemplate.objects.create(information_type=world.monthly, version=2, fields=[field("x", "新字段")])
    draft(world, submission, {"managed_area": "100"})
    submission.refresh_from_db()
    assert submission.template == first  # HQ's new version is for new reports
    assert submission.values == {"operations": "部分内容", "managed_area": "100"}  # left out: kept
    draft(world, submission, {"operations": ""})  # posted blank: emptied
    submission.refresh_from_db()
    assert submission.values == {"managed_area": "100"}


def test_ir_5_values_are_checked_against_the_field_types(hq_world):
    world = hq_world
    submission = expected(world)
    with pytest.raises(DomainError) as refused:
        draft(world, submission, {"managed_area": "很多"})
    assert refused.value.code == "reporting.invalid_values"
    assert set(refused.value.fields) == {"managed_area"}
    litigation = submissions.clean_values(
        submissions.catalogue.current_template(world.litigation), {"stage": "已立案", "ignored": "x"}
    )
    assert litigation == {"stage": "已立案"}
    with pytest.raises(DomainError):
        submissions.clean_values(submissions.catalogue.current_template(world.litigation), {"stage": "胜诉"})


def test_ir_1_submitting_is_refused_until_every_required_field_and_attachment_is_there(
    hq_world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    monthly = expected(world)
    draft(world, monthly, {"operations": "只写了一项"})
    with pytest.raises(DomainError) as refused:
        submissions.submission_submit(actor=world.doc_admin_a, submission=monthly)
    assert refused.value.code == "reporting.incomplete"
    assert set(refused.value.fields) == {"managed_area"}
    assert "Managed area" in str(refused.value.message)
    monthly.refresh_from_db()
    assert (monthly.status, monthly.first_submitted_at) == (SubmissionStatus.DRAFT, None)

    finance = submissions.submission_draft(
        actor=world.doc_admin_a,
        submission=expected(world, itype=world.finance),
        values={"revenue": "1234567.8"},
        title="",
        body="",
    )
    assert submissions.completeness(finance) == ["1 attachment(s) required, 0 given"]
    with pytest.raises(DomainError):
        submissions.submission_submit(actor=world.doc_admin_a, submission=finance)
    attachment = submissions.attachment_add(
        actor=world.doc_admin_a,
        submission=finance,
        file=SimpleUploadedFile(
            "11月财务报表.xlsx", b"PK\x03\x04 sheet", content_type="application/vnd.ms-excel"
        ),
    )
    assert (attachment.name, attachment.size) == ("11月财务报表.xlsx", 10)
    assert attachment.file.read() == b"PK\x03\x04 sheet"
    assert submissions.completeness(finance) == []
    with time_machine.travel(local(2026, 12, 8, 16, 0), tick=False):
        submitted = submissions.submission_submit(actor=world.doc_admin_a, submission=finance)
    assert (submitted.status, submitted.is_complete, submitted.first_submitted_at) == (
        SubmissionStatus.SUBMITTED,
        True,
        local(2026, 12, 8, 16, 0),
    )
    assert submitted.values == {"revenue": "1234567.80"}
    assert Notification.objects.filter(user=world.hq, url=submissions.submission_url(finance)).count() == 1


def test_attachments_refuse_other_kinds_of_files(hq_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    finance = expected(world, itype=world.finance)
    with pytest.raises(DomainError) as refused:
        submissions.attachment_add(
            actor=world.doc_admin_a, submission=finance, file=SimpleUploadedFile("run.exe", b"MZ")
        )
    assert refused.value.code == "reporting.file_type"
    with pytest.raises(PermissionDenied):
        submissions.attachment_add(
            actor=world.outsider, submission=finance, file=SimpleUploadedFile("a.pdf", b"%PDF")
        )
    assert finance.attachments.count() == 0


def test_ir_1_a_returned_report_keeps_its_first_submission_time_and_the_resubmission_is_recorded(hq_world):
    world = hq_world
    monthly = expected(world)
    draft(world, monthly)
    with time_machine.travel(local(2026, 12, 9, 10, 0), tick=False):
        submissions.submission_submit(actor=world.doc_admin_a, submission=monthly)
    with pytest.raises(DomainError) as no_reason:
        submissions.submission_return(actor=world.hq, submission=monthly, reason="  ")
    assert (no_reason.value.code, set(no_reason.value.fields)) == ("reporting.reason_required", {"reason"})
    with pytest.raises(PermissionDenied):  # the branch does not review its own report
        submissions.submission_return(actor=world.branch_manager, submission=monthly, reason="x")
    with time_machine.travel(local(2026, 12, 11, 9, 0), tick=False):
        returned = submissions.submission_return(
            actor=world.hq, submission=monthly, reason="管理面积与上月不符"
        )
    assert (returned.status, returned.returned_reason) == (SubmissionStatus.RETURNED, "管理面积与上月不符")
    assert Notification.objects.filter(user=world.doc_admin_a, title__contains="returned").count() == 1
    with pytest.raises(DomainError) as under_review:
        submissions.submission_accept(actor=world.hq, submission=monthly, quality_level=world.good)
    assert under_review.value.code == "reporting.not_submitted"

    draft(world, monthly, {**COMPLETE, "managed_area": "126000"})
    with time_machine.travel(local(2026, 12, 12, 9, 0), tick=False):
        again = submissions.submission_submit(actor=world.doc_admin_a, submission=monthly)
    assert again.first_submitted_at == local(2026, 12, 9, 10, 0)  # timeliness: before the 10th
    assert again.submitted_at == local(2026, 12, 12, 9, 0)
    assert again.resubmissions == 1
    assert submissions.is_on_time(again) is True
    assert list(again.updates.values_list("kind", flat=True)) == [
        UpdateKind.SUBMITTED,
        UpdateKind.RETURNED,
        UpdateKind.RESUBMITTED,
    ]
    assert again.updates.get(kind=UpdateKind.RESUBMITTED).values["values"]["managed_area"] == "126000"


def test_ir_1_an_accepted_report_is_locked(hq_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = hq_world
    monthly = expected(world)
    draft(world, monthly)
    submissions.submission_submit(actor=world.doc_admin_a, submission=monthly)
    with pytest.raises(DomainError) as under_review:
        draft(world, monthly)
    assert under_review.value.code == "reporting.under_review"
    with time_machine.travel(local(2026, 12, 10, 15, 0), tick=False):
        accepted = submissions.submission_accept(actor=world.hq, submission=monthly, quality_level=world.good)
    assert (accepted.status, accepted.quality_score, accepted.accepted_by, accepted.is_locked) == (
        SubmissionStatus.ACCEPTED,
        world.good.score,
        world.hq,
        True,
    )
    for attempt in (
        lambda: draft(world, monthly),
        lambda: submissions.submission_submit(actor=world.doc_admin_a, submission=monthly),
        lambda: submissions.submission_return(actor=world.hq, submission=monthly, reason="x"),
        lambda: submissions.attachment_add(
            actor=world.doc_admin_a, submission=monthly, file=SimpleUploadedFile("a.pdf", b"%PDF")
        ),
        lambda: submissions.class_confirm(actor=world.hq, submission=monthly, chosen="class_1", reason="x"),
    ):
        with pytest.raises((DomainError, PermissionDenied)) as refused:
            attempt()
        if isinstance(refused.value, DomainError):
            assert refused.value.code == "reporting.locked"
    monthly.refresh_from_db()
    assert monthly.values["managed_area"] == "125000.5"
    assert monthly.attachments.count() == 0


def test_ir_1_a_quality_level_of_another_company_is_refused(hq_world):
    from estatedesk.org.models import Company
    from estatedesk.reporting.models import QualityLevel

    world = hq_world
    monthly = expected(world)
    draft(world, monthly)
    submissions.submission_submit(actor=world.doc_admin_a, submission=monthly)
    other = QualityLevel.objects.create(
        company=Company.objects.create(code="XX", name="别家"), label="优", score=100
    )
    with pytest.raises(DomainError) as refused:
        submissions.submission_accept(actor=world.hq, submission=monthly, quality_level=other)
    assert refused.value.code == "reporting.quality_level"


def test_ir_1_who_fills_who_submits(hq_world):
    world = hq_world
    monthly = expected(world)
    draft(world, monthly, actor=world.branch_manager)  # the branch manager may fill and submit too
    with pytest.raises(PermissionDenied):
        draft(world, monthly, actor=world.doc_admin_b)  # another branch's document administrator
    with pytest.raises(PermissionDenied):
        draft(world, monthly, actor=world.hq)  # HQ reviews, it does not fill in
    with pytest.raises(PermissionDenied):
        submissions.submission_submit(actor=world.supervisor_a, submission=monthly)
    project_report = expected(world, project=world.project_a)
    submissions.submission_draft(
        actor=world.supervisor_a, submission=project_report, values=COMPLETE, title="", body=""
    )
    with pytest.raises(PermissionDenied):  # a CS supervisor fills the project's report; the manager submits
        submissions.submission_submit(actor=world.supervisor_a, submission=project_report)
    submissions.submission_submit(actor=world.pm_a, submission=project_report)


# --- scoping ---------------------------------------------------------------------------------------------


def test_ir_1_a_branch_sees_its_own_and_its_projects_reports_hq_all(hq_world):
    world = hq_world
    own = expected(world)
    project = expected(world, project=world.project_a)
    other_project = expected(world, project=world.project_a2)
    other_branch = expected(world, branch=world.branch_b)

    def seen(user):
        return set(submissions.submission_list(user=user).values_list("reference", flat=True))

    everything = {own.reference, project.reference, other_project.reference, other_branch.reference}
    assert seen(world.doc_admin_a) == seen(world.branch_manager) == everything - {other_branch.reference}
    assert seen(world.hq) == seen(world.leader) == everything
    assert seen(world.pm_a) == {project.reference}  # a project sees its own
    assert seen(world.doc_admin_b) == {other_branch.reference}
    assert seen(world.outsider) == set()
    assert seen(world.owner_a) == seen(world.nobody) == set()
    with pytest.raises(Http404):
        submission_get_for_user(user=world.doc_admin_a, reference=other_branch.reference)
    assert submission_get_for_user(user=world.hq, reference=other_branch.reference) == other_branch


def test_the_list_filters_by_period_type_status_and_unit(hq_world):
    world = hq_world
    november = expected(world)
    october = expected(world, month=date(2026, 10, 1))
    finance = expected(world, itype=world.finance)
    project = expected(world, project=world.project_a)
    draft(world, november)

    def listed(**filters):
        rows = submissions.submission_list(user=world.hq, filters=submissions.SubmissionFilters(**filters))
        return {row.reference for row in rows}

    assert listed(period=date(2026, 10, 1)) == {october.reference}
    assert listed(type_code="monthly_finance") == {finance.reference}
    assert listed(status=SubmissionStatus.DRAFT) == {november.reference}
    assert listed(unit_key=f"P{world.project_a.pk}") == {project.reference}
