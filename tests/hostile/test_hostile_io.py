"""Hostile text through the API and the HTML forms (issue 10, item 4): each string of the corpus comes
back from the API as the JSON string it was stored as (JSON escaping is the renderer's), and typed into
the registration form, a comment, or the API's registration and comment it answers 201, a redirect or
a 400 (a NUL, which PostgreSQL cannot store: common/middleware.py, api/parsers.py), never a 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.tests.helpers import api_for
from tests.hostile.corpus import CORPUS, NAMES, NUL


def _json(response) -> object:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"))


def test_sec_hostile_api_returns_every_string_as_stored(hostile):
    # given
    api = api_for(hostile.world.supervisor_a)
    failures = []
    # when: each item, each resident, and the lists
    for name, item in hostile.items.items():
        response = api.get(reverse("api-feedback-item-detail", args=[item.reference]))
        body = _json(response) if response.status_code == 200 else {}
        if response.status_code != 200 or body.get("description") != item.description:
            failures.append(f"item {name}: {response.status_code}")
    for name, resident in hostile.residents.items():
        response = api.get(reverse("api-resident-detail", args=[resident.pk]))
        body = _json(response) if response.status_code == 200 else {}
        if response.status_code != 200 or body.get("name") != resident.name:
            failures.append(f"resident {name}: {response.status_code}")
    listing = api.get(reverse("api-feedback-item-list"))
    residents = api.get(reverse("api-resident-list", args=["QD-A"]))
    # then
    assert failures == []
    assert listing.status_code == 200
    assert _json(listing)
    assert residents.status_code == 200
    assert _json(residents)


@pytest.mark.parametrize("name", NAMES)
def test_sec_hostile_api_registration_and_comment_never_answer_500(world, name):
    # given: a CS agent of project A on the API
    value = CORPUS[name]
    api = api_for(world.agent_a)
    payload = {
        "project": world.project_a.code,
        "channel": Channel.HOTLINE,
        "kind": Kind.COMPLAINT,
        "category": Category.ENGINEERING,
        "title": value[:120],
        "description": value,
        "location_note": value[:200],
        "contact_name": value[:60],
    }
    # when
    created = api.post(reverse("api-feedback-item-create"), payload, format="json")
    # then: registered, or refused for what no database stores (NUL) or what is empty once trimmed
    assert created.status_code in (201, 400), created.content
    if NUL in value:
        assert created.status_code == 400
    if created.status_code == 400:
        assert set(_json(created)) == {"code", "message", "fields"}
        return
    item = FeedbackItem.objects.get(reference=_json(created)["reference"])
    comment = api.post(
        reverse("api-feedback-item-comment", args=[item.reference]), {"message": value}, format="json"
    )
    assert comment.status_code in (201, 400), comment.content
    detail = api.get(reverse("api-feedback-item-detail", args=[item.reference]))
    assert detail.status_code == 200
    assert _json(detail)["description"] == item.description


def test_sec_hostile_forms_never_answer_500(world, login):
    # given: the CS agent's registration form and an item's comment form
    client = login(world.agent_a)
    item_count = FeedbackItem.objects.count()
    statuses: dict[str, tuple[int, int]] = {}
    for name, value in CORPUS.items():
        # when
        registered = client.post(
            reverse("feedback:item_register"),
            {
                "project": world.project_a.pk,
                "channel": Channel.WALK_IN,
                "kind": Kind.REPAIR,
                "category": Category.ENGINEERING,
                "priority": "normal",
                "description": value,
                "title": value[:120],
                "location_note": value[:200],
                "contact_name": value[:60],
            },
        )
        item = FeedbackItem.objects.order_by("-id").first()
        commented = client.post(reverse("feedback:item_comment", args=[item.reference]), {"message": value})
        statuses[name] = (registered.status_code, commented.status_code)
    # then: a redirect (saved), the form again (200, refused) or 400 (NUL); never a 500
    assert {name: codes for name, codes in statuses.items() if not set(codes) <= {200, 302, 400}} == {}
    assert statuses["nul"] == (400, 400)
    assert FeedbackItem.objects.count() > item_count
    assert TimelineEvent.objects.filter(message=CORPUS["script"]).exists()
