"""The metrics tests' data set: WORLD's `month_world` (conftest.py; November 2026, counted by hand in its
docstring) with what the metrics layer needs beside it, also counted by hand here:

SURVEYS: the analysis tests' hand-computed campaign (surveys/tests/test_figures.hand_computed) of QD-A for
  November 2026, closed: 14 forms handed out, 12 returned (85.71%); answers of the returned forms: 23
  qualified, 9 unsatisfied, 16 unrated → 23 ÷ 32 = 71.875 → 71.88% (a mean of the per-item or per-area
  rates would differ; the unrated are left out). A cancelled campaign of JN-C in November with 3 returned
  forms (all unsatisfied) and a closed QD-A campaign of October (1 form, satisfied) are left out of November.

DEPARTMENTS (for a project scope's breakdown): QD-A's customer service department (the world's) handles A1
  and A2 and graded V1; a QA department of QD-A made here (empty: still listed); a branch-level engineering
  department of QD (project empty) handles A3; the other QD-A items and visits name none.
  QD-A by department: customer service: items 2 (A1, A2), contact 1 ÷ 2 = 50.00%, handling (24 + 36) ÷ 2 =
  30.0 h, visits V1 A → 100.00%; QD engineering: items 1 (A3), contact 1 ÷ 1 = 100.00%, 48.0 h; QA: 0;
  no department: items 3 (A4, A5, A6), contact 1 ÷ 2 = 50.00% (A5 met, A4 overdue, A6 cancelled: neither),
  visits V2 A, V3 B, V4 C → 66.67%, C 1, nonconformity NC1 open 1; the campaign names no department:
  71.88%.

REPORTS: month_world's, their references prefixed "RP-" (RP-MW-R-ONTIME, …) as reporting's URLs expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from estatedesk.analytics.tests.conftest import MonthWorld
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department
from estatedesk.reporting.models import ReportSubmission
from estatedesk.surveys.choices import CampaignStatus
from estatedesk.surveys.models import Campaign
from estatedesk.surveys.tests.test_figures import add_forms, hand_computed, make_campaign, ratings
from estatedesk.visits.models import ReturnVisit


@dataclass
class Dataset:
    month: MonthWorld
    campaign: Campaign
    cs: Department
    qa: Department
    engineering: Department

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["month"], name)


@pytest.fixture
def dataset(month_world: MonthWorld) -> Dataset:
    mw = month_world
    built = hand_computed(mw.world)
    Campaign.objects.filter(pk=built.campaign.pk).update(status=CampaignStatus.CLOSED)
    cancelled = make_campaign(
        mw.world,
        reference="SV-JN-C-202611-01",
        project=mw.project_b,
        status=CampaignStatus.CANCELLED,
        area_names=["1号楼"],
    )
    add_forms(cancelled, cancelled.areas[0], {0: ratings(unsatisfied=3)})
    october = make_campaign(
        mw.world,
        reference="SV-QD-A-202610-01",
        period=(date(2026, 10, 1), date(2026, 10, 31)),
        status=CampaignStatus.CLOSED,
        area_names=["1号楼"],
    )
    add_forms(october, october.areas[0], {0: ratings(satisfied=1)})

    cs = Department.objects.get(project=mw.project_a, kind=DepartmentKind.CUSTOMER_SERVICE)
    qa = Department.objects.create(
        company=mw.company, project=mw.project_a, kind=DepartmentKind.QUALITY, name="海景花园品质部"
    )
    engineering = Department.objects.create(
        company=mw.company, branch=mw.branch_a, kind=DepartmentKind.ENGINEERING, name="青岛工程部"
    )
    FeedbackItem.objects.filter(pk__in=[mw.items["A1"].pk, mw.items["A2"].pk]).update(department=cs)
    FeedbackItem.objects.filter(pk=mw.items["A3"].pk).update(department=engineering)
    ReturnVisit.objects.filter(pk=mw.visits["V1"].pk).update(handler_department=cs)
    # references as reporting makes them (RP-…), so that their pages' URLs resolve
    for report in ReportSubmission.objects.filter(reference__startswith="MW-R-"):
        ReportSubmission.objects.filter(pk=report.pk).update(reference=f"RP-{report.reference}")
    return Dataset(mw, built.campaign, cs, qa, engineering)
