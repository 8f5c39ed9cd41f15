"""make demo loads the demo data; a second run adds nothing; every account sees exactly its scope."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from estatedesk.common.scoping import scope_for
from estatedesk.demo.seeding import ACCOUNTS, DEMO_PASSWORD, seed_demo
from estatedesk.feedback.models import Escalation, FeedbackItem, SlaPolicy, StaffTalk, TimelineEvent
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import Role
from estatedesk.org.models import Membership, Project, Unit
from estatedesk.owners.models import Occupancy, Resident


@pytest.fixture
def seeded(demo_seeded, db):
    """The demo, seeded once for the package (conftest.py)."""
    return demo_seeded


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Project,
            Unit,
            Resident,
            Occupancy,
            Membership,
            get_user_model(),
            FeedbackItem,
            TimelineEvent,
            Escalation,
            StaffTalk,
            SlaPolicy,
            Notification,
        )
    }


def test_seed_twice_adds_nothing(seeded):
    """The whole demo (the organisation, accounts, feedback and what follows it) is made once."""
    before = counts()
    seed_demo()
    assert counts() == before
    assert before["Project"] == 3


def test_there_is_a_demo_account_for_every_role(seeded):
    roles = {account.role for account in ACCOUNTS}
    assert set(Role.values) | {"owner"} <= roles


def test_every_demo_account_logs_in_and_sees_its_scope(seeded):
    for account in ACCOUNTS:  # one seeding for all accounts: seeding takes seconds
        assert_account_sees_its_scope(account)


def assert_account_sees_its_scope(account):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": account.username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, account.username
    user = get_user_model().objects.get(username=account.username)
    visible = set(Project.objects.visible_to(user).values_list("code", flat=True))
    if account.role == "owner" or account.level == "project":
        assert visible == {account.node}
    elif account.level == "branch":
        assert visible == {"QD-HJ", "QD-LX"}
    else:
        assert visible == {"QD-HJ", "QD-LX", "JN-QC"}
    assert scope_for(user).is_owner == (account.role == "owner")
    page = client.get(reverse("home"), follow=True)
    assert page.status_code == 200
