"""Project A's satisfaction survey (issue 13) for the security tests: one campaign of A made and run through
the surveys services, with everything the surveys routes name (a schedule, the campaign's area, a returned
form keyed in twice with a mismatch, a form still out, a checked import, a report distributed to a reader of
A), and the texts that must never reach anybody outside A (`SurveysOfA.markers`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Department, Membership
from estatedesk.surveys import campaigns, catalogue, entry, importing, reports
from estatedesk.surveys.choices import Frequency, ImportStatus, ReportStatus, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    CampaignReport,
    Questionnaire,
    ReportRoute,
    SurveyForm,
    SurveyImport,
    SurveyItem,
    SurveySchedule,
)

SURVEY_TITLE = "QD-A survey title marker"
RESPONDENT = "QD-A respondent marker"
SURVEY_COMMENT = "QD-A survey comment marker"
WAIVER_REASON = "QD-A waiver reason marker"
REPORT_SUMMARY = "QD-A report summary marker"
REVIEW_NOTE = "QD-A review note marker"
IMPORT_FILENAME = "qd-a-survey-import.xlsx"
IMPORT_RESPONDENT = "QD-A import respondent marker"
IMPORT_COMMENT = "QD-A import comment marker"
READER = "survey_reader_a"  # the member of A's customer service department the report went to


@dataclass
class SurveysOfA:
    """Project A's survey: its objects, by what the routes name them."""

    schedule: SurveySchedule
    campaign: Campaign
    area: CampaignArea  # 1号楼, its low return rate waived
    returned: SurveyForm  # keyed in by agent_a, keyed again by supervisor_a: one item differs
    out: SurveyForm  # handed out, not returned: its QR code still takes an answer
    survey_import: SurveyImport  # checked (clean), not imported: it answers the form still out
    report: CampaignReport  # distributed to the reader
    reader: Any
    item: SurveyItem  # of the company's catalogue (shared by every project of the company)
    questionnaire: Questionnaire
    route: ReportRoute
    markers: list[str] = field(default_factory=list)

    def objects(self) -> list[Any]:
        return [
            self.schedule,
            self.campaign,
            self.area,
            self.returned,
            self.survey_import,
            self.report,
            self.item,
            self.questionnaire,
            self.route,
        ]


def _import_upload(campaign: Campaign, form: SurveyForm) -> io.BytesIO:
    """The campaign's own template with the row of `form` answered: a clean file."""
    workbook = load_workbook(io.BytesIO(importing.template_workbook(campaign=campaign)))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if str(r[1].value or "").lstrip("0") == str(form.serial))
    items = len(headers) - 5
    for offset in range(items):
        row[2 + offset].value = "满意"
    row[2 + items].value = IMPORT_RESPONDENT
    row[3 + items].value = "2026-09-10"
    row[4 + items].value = IMPORT_COMMENT
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    return upload


def surveys_of_a(world: Any) -> SurveysOfA:
    """Make project A's survey through the services, as its staff would."""
    company, project = world.company, world.project_a
    supervisor, manager, agent = world.supervisor_a, world.pm_a, world.agent_a
    catalogue.catalogue_ensure(company=company)
    questionnaire = Questionnaire.objects.filter(company=company).order_by("id").first()
    assert questionnaire is not None
    building = world.unit_a.building
    schedule = campaigns.schedule_create(
        actor=supervisor,
        data=campaigns.ScheduleData(
            project=project,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=questionnaire,
            frequency=Frequency.MONTHLY,
            next_period_start=date(2026, 12, 1),
            areas=[building],
        ),
    )
    campaign = campaigns.campaign_create(
        actor=supervisor,
        data=campaigns.CampaignData(
            project=project,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=questionnaire,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 9, 30),
            title=SURVEY_TITLE,
            areas=[building],
            double_entry_percent=100,  # every paper form keyed in twice: the first makes a mismatch
        ),
    )
    campaign = campaigns.campaign_open(actor=supervisor, campaign=campaign)
    area = CampaignArea.objects.get(campaign=campaign)
    campaigns.forms_make(actor=supervisor, campaign=campaign, area=area, count=2)
    campaigns.forms_hand_out(actor=supervisor, campaign=campaign, area=area, count=2)
    returned, out = SurveyForm.objects.filter(campaign=campaign).order_by("serial")
    SurveyForm.objects.filter(pk=returned.pk).update(unit=world.unit_a)  # handed to owner_a
    items = entry.campaign_items(campaign)
    returned = entry.form_key_in(
        actor=agent,
        campaign=campaign,
        serial=returned.serial,
        ratings={item.pk: 1 for item in items},
        respondent_name=RESPONDENT,
        answered_on=date(2026, 9, 8),
        comment=SURVEY_COMMENT,
    )
    returned = entry.form_second_entry(
        actor=supervisor,
        form=returned,
        ratings={item.pk: 4 if index == 0 else 1 for index, item in enumerate(items)},
    )
    assert returned.mismatch_items == [items[0].pk]
    survey_import = importing.survey_import_check(
        actor=supervisor, campaign=campaign, upload=_import_upload(campaign, out), filename=IMPORT_FILENAME
    )
    assert survey_import.status == ImportStatus.CHECKED, survey_import.problems
    area = campaigns.area_waive(actor=manager, area=area, reason=WAIVER_REASON)  # 1 of 2 returned
    reader = get_user_model().objects.create_user(username=READER, display_name=READER)
    Membership.objects.create(
        user=reader,
        role=Role.CS_AGENT,
        level=ScopeLevel.PROJECT,
        company=company,
        project=project,
        department=Department.objects.get(project=project, kind=DepartmentKind.CUSTOMER_SERVICE),
    )
    report = reports.report_draft(actor=supervisor, campaign=campaign, summary=REPORT_SUMMARY)
    report = reports.report_submit(actor=supervisor, report=report)
    report = reports.report_review(actor=manager, report=report, approve=True, note=REVIEW_NOTE)
    report = reports.report_distribute(actor=supervisor, report=report)
    assert report.status == ReportStatus.DISTRIBUTED
    assert list(report.recipients.values_list("user__username", flat=True)) == [READER]
    campaign.refresh_from_db()
    out.refresh_from_db()
    surveys = SurveysOfA(
        schedule=schedule,
        campaign=campaign,
        area=area,
        returned=returned,
        out=out,
        survey_import=survey_import,
        report=report,
        reader=reader,
        item=SurveyItem.objects.filter(company=company).order_by("position", "id")[:1].get(),
        questionnaire=questionnaire,
        route=ReportRoute.objects.get(company=company, runner=Runner.CUSTOMER_SERVICE),
    )
    surveys.markers = [
        campaign.reference,
        SURVEY_TITLE,
        RESPONDENT,
        SURVEY_COMMENT,
        WAIVER_REASON,
        REPORT_SUMMARY,
        REVIEW_NOTE,
        IMPORT_FILENAME,
        IMPORT_RESPONDENT,
        IMPORT_COMMENT,
        READER,
        returned.token,
        out.token,
    ]
    return surveys
