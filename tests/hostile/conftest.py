"""The hostile corpus in the database: for every string of `corpus.CORPUS`, a member of owner_a's household
whose name and notes are the string (the name cut to 30 characters: see
test_hostile_pages.test_sec_hostile_a_long_chinese_name_fits_its_pinyin_initials), and a
feedback item of owner_a whose title, description, place and contact name are the string, with a public
comment and an execution record (QA's opinion, the office's record and executor) saying it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from estatedesk.conftest import _fast_password_hashing, login, world  # noqa: F401 - the shared personas
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.services import execution_record_update, feedback_comment_add
from estatedesk.feedback.tests.helpers import add_member, register
from estatedesk.org.choices import Role
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Resident
from estatedesk.owners.services import resident_create
from tests.hostile.corpus import CORPUS, NUL

APP_CSS = Path(__file__).resolve().parents[2] / "estatedesk" / "static" / "css" / "app.css"
NAME_CHARACTERS = 30  # the forms allow 60, but a longer Chinese name has more initials than the column holds
OWNER_EMAIL = "shen.owner@example.com"
SUPERVISOR_EMAIL = "supervisor.a@example.com"


def corpus_for_database() -> dict[str, str]:
    """The corpus as the database can store it: PostgreSQL refuses NUL in text (pages, forms and the API
    answer 400 for it before, estatedesk/common/middleware.py and api/parsers.py), SQLite takes it."""
    if connection.vendor == "postgresql":
        return {name: value for name, value in CORPUS.items() if NUL not in value}
    return dict(CORPUS)


@dataclass
class Hostile:
    world: Any
    qa: Any
    owner: Resident
    residents: dict[str, Resident] = field(default_factory=dict)
    items: dict[str, FeedbackItem] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def app_css() -> str:
    return APP_CSS.read_text(encoding="utf-8")


@pytest.fixture
def hostile(world: Any) -> Hostile:  # noqa: F811 - the shared fixture
    """Every string of the corpus as a resident of unit 1-1-101 and as a feedback item of owner_a."""
    qa = add_member(world, "qa_a", Role.QA_STAFF, project=world.project_a)
    world.supervisor_a.email = SUPERVISOR_EMAIL
    world.supervisor_a.save(update_fields=["email"])
    owner = Resident.objects.get(user=world.owner_a)
    Resident.objects.filter(pk=owner.pk).update(email=OWNER_EMAIL)
    owner.refresh_from_db()
    dataset = Hostile(world=world, qa=qa, owner=owner, values=corpus_for_database())
    for name, value in dataset.values.items():
        dataset.residents[name] = resident_create(
            actor=world.supervisor_a,
            unit=world.unit_a,
            name=value[:NAME_CHARACTERS],
            relation=Relation.MEMBER,
            notes=value,
        )
        item = register(
            world,
            title=value,
            description=value,
            contact_name=value,
            location_note=value,
            resident=owner,
            unit=world.unit_a,
        )
        feedback_comment_add(actor=world.agent_a, item=item, message=value, is_public=True)
        execution_record_update(actor=qa, item=item, qa_opinion=value)
        execution_record_update(actor=world.pm_a, item=item, office_record=value, executor_name=value[:60])
        item.refresh_from_db()
        dataset.items[name] = item
    return dataset
