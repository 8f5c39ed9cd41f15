"""The home page's queues of nonconformities: "my actions" for the owner, "to verify" for QA who own no
action; and the list's queries do not grow with its rows."""

from __future__ import annotations

from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow
from estatedesk.quality.choices import Stage
from estatedesk.quality.tests.helpers import manual, walk_to


def test_r_rv_4_home_my_actions_and_to_verify(visiting, login):
    working = walk_to(visiting, manual(visiting), Stage.IN_PROGRESS)
    waiting = walk_to(visiting, manual(visiting, title="绿化枯死"), Stage.VERIFICATION)
    mine = login(visiting.executor_a).get(reverse("home")).content.decode()
    assert 'data-queue="quality_my_actions"' in mine
    assert working.reference in mine
    qa = login(visiting.qa_a).get(reverse("home")).content.decode()
    assert 'data-queue="quality_to_verify"' in qa
    assert waiting.reference in qa
    outsider = login(visiting.outsider).get(reverse("home")).content.decode()
    assert "quality-queues" not in outsider


def test_the_list_makes_as_many_queries_with_many_rows(visiting, login):
    walk_to(visiting, manual(visiting), Stage.IN_PROGRESS)

    def add_rows():
        return [manual(visiting, title=f"新增不合格项{n}").reference for n in range(8)]

    assert_queries_do_not_grow(login(visiting.pm_a), reverse("quality:list"), add_rows, ceiling=20)
