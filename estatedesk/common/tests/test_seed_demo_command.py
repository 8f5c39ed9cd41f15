"""`seed_demo --organisation-only`: the demo's organisation and accounts alone (the connection-cut smoke test
starts from it). Outside estatedesk/demo/tests, whose tests read the whole demo seeded once."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from estatedesk.demo.seeding import ACCOUNTS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from estatedesk.owners.models import Resident


def test_seed_demo_organisation_only_makes_the_organisation_and_accounts_without_feedback(db):
    """`seed_demo --organisation-only` (the connection-cut smoke test starts from it): the projects, their
    residents and every demo account, and none of the feedback, visits, surveys or packs."""
    from django.core.management import call_command

    from estatedesk.analytics.models import MonthlyPack
    from estatedesk.surveys.models import Campaign
    from estatedesk.visits.models import ReturnVisit

    call_command("seed_demo", "--organisation-only", verbosity=0)
    assert Project.objects.count() == 3
    assert Resident.objects.exists()
    assert set(get_user_model().objects.values_list("username", flat=True)) >= {a.username for a in ACCOUNTS}
    assert not FeedbackItem.objects.exists()
    assert not ReturnVisit.objects.exists()
    assert not Campaign.objects.exists()
    assert not MonthlyPack.objects.exists()
