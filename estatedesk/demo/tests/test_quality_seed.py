"""Demo nonconformities (demo/quality_seeding.py): every stage on the demo project, and a second run adds
nothing."""

from __future__ import annotations

from estatedesk.demo.quality_seeding import MARK, seed_quality
from estatedesk.quality.choices import Stage
from estatedesk.quality.figures import nonconformity_figures
from estatedesk.quality.models import Nonconformity


def test_demo_nonconformities_at_every_stage_once(demo_seeded, db):
    from django.contrib.auth import get_user_model

    # seed_demo made them (the fixture); a second run adds nothing
    demo = Nonconformity.objects.filter(title__startswith=MARK)
    assert set(demo.values_list("stage", flat=True)) == set(Stage.values)
    assert seed_quality() == {"nonconformities": 0}
    assert demo.count() == 9
    figures = nonconformity_figures(user=get_user_model().objects.get(username="qamgr"))
    assert figures.overdue_actions >= 1
    assert figures.recurrences >= 1
    assert figures.reopened >= 1
    assert figures.days_to_close_median is not None
