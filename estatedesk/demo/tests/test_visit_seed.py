"""The demo's return visits (demo/visit_seeding.py): last month's list made for the demo projects, visits
graded A, B and C (a C's separate visit arranged), attempts, some due and one late; made once."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from estatedesk.demo.visit_seeding import seed_visits
from estatedesk.org.models import Company
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt, VisitEscalation, VisitRules


@pytest.fixture
def seeded(demo_seeded: Any, db: Any) -> dict[str, int]:
    """The demo (conftest.py), which seeds the visits after the feedback."""
    return {"visits": ReturnVisit.objects.filter(purpose=Purpose.MONTHLY).count()}


def test_r_fb_6_the_demo_has_last_months_list_worked_in_part(seeded):
    monthly = ReturnVisit.objects.filter(purpose=Purpose.MONTHLY)
    grades = set(monthly.filter(status=VisitStatus.GRADED).values_list("grade", flat=True))

    assert seeded["visits"] == monthly.count() > 20
    assert set(monthly.values_list("project__code", flat=True)) == {"JN-QC", "QD-HJ", "QD-LX"}
    assert grades == {"A", "B", "C"}
    assert VisitAttempt.objects.exists()
    assert monthly.filter(status=VisitStatus.DUE).exists()
    assert VisitEscalation.objects.exists()  # one late visit, escalated
    # R-RV-3: every C of the demo's lists (the visit seeding's and the analytics seeding's month before)
    # has its separate visit
    c_visits = monthly.filter(status=VisitStatus.GRADED, grade="C")
    assert c_visits.count() >= 2
    serious = ReturnVisit.objects.filter(purpose=Purpose.SERIOUS, parent__in=c_visits)
    assert serious.count() == c_visits.count()
    assert VisitRules.objects.filter(company__code="AJ").exists()


def test_the_demo_visits_are_made_once(seeded):
    before = ReturnVisit.objects.count()

    again = seed_visits(company=Company.objects.get(code="AJ"), now=timezone.now())

    assert again == {"visits": 0, "graded": 0, "escalations": 0}
    assert ReturnVisit.objects.count() == before
