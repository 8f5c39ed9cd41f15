"""Demo client visits (R-CS-1): done, planned, cancelled and overdue-follow-up visits per demo project, one
feedback item raised per project on the client-visit channel; a second run adds nothing."""

from __future__ import annotations

from estatedesk.demo.client_visit_seeding import seed_client_visits
from estatedesk.demo.feedback_seeding import _stand_in_teams
from estatedesk.demo.seeding import seed_demo
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Project
from estatedesk.visits import clients
from estatedesk.visits.choices import ClientVisitStatus
from estatedesk.visits.models import ClientVisit


def test_r_cs_1_demo_client_visits_per_project_and_idempotent(db, settings):
    # given the demo organisation, its accounts and the stand-in teams of the other projects
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(feedback=False)
    _stand_in_teams({p.code: p for p in Project.objects.all()})
    # when the client visits are seeded twice
    first = seed_client_visits()
    second = seed_client_visits()
    # then every project has done and planned visits, the second run adding nothing
    assert second == {"client_visits": 0}
    assert first["client_visits"] == ClientVisit.objects.count() == 16  # 13 + the next regular visits planned
    statuses = set(ClientVisit.objects.values_list("project__code", "status").distinct())
    for code in ("QD-HJ", "QD-LX", "JN-QC"):
        assert (code, ClientVisitStatus.DONE) in statuses
        assert (code, ClientVisitStatus.PLANNED) in statuses
    assert ClientVisit.objects.filter(status=ClientVisitStatus.CANCELLED).count() == 1
    # one feedback item per project raised from a visit, on the client-visit channel, linked to it
    items = FeedbackItem.objects.filter(client_visits__isnull=False)
    assert sorted(items.values_list("project__code", flat=True)) == ["JN-QC", "QD-HJ", "QD-LX"]
    assert set(items.values_list("channel", flat=True)) == {Channel.CLIENT_VISIT}
    # 海景花园's CS supervisor has one overdue follow-up; nobody sees another branch's visits
    supervisor = ClientVisit.objects.filter(project__code="QD-HJ").first().visitor
    overdue = clients.client_visit_follow_ups_overdue(user=supervisor)
    assert [v.project.code for v in overdue] == ["QD-HJ"]
    assert {v.project.code for v in clients.client_visit_list(user=supervisor)} == {"QD-HJ"}
