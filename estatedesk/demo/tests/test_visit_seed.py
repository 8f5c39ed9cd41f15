"""The demo's return visits (demo/visit_seeding.py): last month's list made for the demo projects, visits
graded A, B and C (a C's separate visit arranged), attempts, some due and one late; made once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from estatedesk.demo.seeding import seed_demo
from estatedesk.demo.visit_seeding import seed_visits
from estatedesk.org.models import Company
from estatedesk.visits.choices import Purpose, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitAttempt, VisitEscalation, VisitRules


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast, django_db_blocker.unblock(), transaction.atomic():
        seed_demo()  # which seeds the visits after the feedback
        yield {"visits": ReturnVisit.objects.filter(purpose=Purpose.MONTHLY).count()}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_r_fb_6_the_demo_has_last_months_list_worked_in_part(seeded):
    monthly = ReturnVisit.objects.filter(purpose=Purpose.MONTHLY)
    grades = set(monthly.filter(status=VisitStatus.GRADED).values_list("grade", flat=True))

    assert seeded["visits"] == monthly.count() > 20
    assert set(monthly.values_list("project__code", flat=True)) == {"JN-QC", "QD-HJ", "QD-LX"}
    assert grades == {"A", "B", "C"}
    assert VisitAttempt.objects.exists()
    assert monthly.filter(status=VisitStatus.DUE).exists()
    assert VisitEscalation.objects.exists()  # one late visit, escalated
    assert ReturnVisit.objects.filter(purpose=Purpose.SERIOUS, parent__grade="C").count() == 2
    assert VisitRules.objects.filter(company__code="AJ").exists()


@pytest.mark.django_db
def test_the_demo_visits_are_made_once(seeded):
    before = ReturnVisit.objects.count()

    again = seed_visits(company=Company.objects.get(code="AJ"), now=timezone.now())

    assert again == {"visits": 0, "graded": 0, "escalations": 0}
    assert ReturnVisit.objects.count() == before
