"""The API of answers coming in (issue 13, item 3): key in, list, second keying, settle, import, template;
errors {code, message, fields}; scoped (404 outside the user's projects, 403 without the capability)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from estatedesk.surveys import entry
from estatedesk.surveys.choices import ImportStatus
from estatedesk.surveys.models import SurveyAnswer, SurveyForm, SurveyImport
from estatedesk.surveys.tests.test_entry_setup import make_campaign


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def base(setup):
    return f"/api/surveys/campaigns/{setup.campaign.reference}"


def ratings(setup, *values):
    return {str(item.pk): value for item, value in zip(setup.items, values, strict=True)}


def xlsx(*rows):
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_key_in_by_api_returns_the_form_with_its_ratings(world):
    setup = make_campaign(world.project_a)
    response = api(world.agent_a).post(
        f"{base(setup)}/forms/",
        {
            "serial": "0003",
            "ratings": ratings(setup, 1, 4, 0),
            "respondent_name": "张先生",
            "answered_on": "2026-11-05",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["serial"] == 3
    assert body["serial_text"] == "0003"
    assert body["channel"] == "paper"
    assert body["area"] == "1号楼"
    assert body["answered_on"] == "2026-11-05"
    assert body["ratings"] == ratings(setup, 1, 4, 0)


def test_key_in_twice_by_api_is_409_already_entered(world):
    setup = make_campaign(world.project_a)
    client = api(world.agent_a)
    client.post(f"{base(setup)}/forms/", {"serial": "1", "ratings": ratings(setup, 1, 1, 1)}, format="json")
    response = client.post(
        f"{base(setup)}/forms/", {"serial": "1", "ratings": ratings(setup, 2, 2, 2)}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "surveys.already_entered"
    assert "0001" in body["message"]
    assert set(body) == {"code", "message", "fields"}


def test_key_in_by_api_validates_the_ratings(world):
    setup = make_campaign(world.project_a)
    client = api(world.agent_a)
    response = client.post(
        f"{base(setup)}/forms/",
        {"serial": "1", "ratings": {**ratings(setup, 1, 1, 1), "x": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    response = client.post(
        f"{base(setup)}/forms/", {"serial": "1", "ratings": ratings(setup, 1, 7, 1)}, format="json"
    )
    assert response.status_code == 400
    missing = client.post(
        f"{base(setup)}/forms/", {"serial": "1", "ratings": {str(setup.items[0].pk): 1}}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "surveys.ratings_invalid"
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


def test_list_of_forms_filters_returned_ones(world, django_assert_max_num_queries):
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(1, 1, 1))
    client = api(world.supervisor_a)
    with django_assert_max_num_queries(12):
        response = client.get(f"{base(setup)}/forms/")
    assert response.status_code == 200
    assert response.json()["count"] == 10
    returned = client.get(f"{base(setup)}/forms/?returned=true").json()
    assert [row["serial"] for row in returned["results"]] == [2]
    assert returned["results"][0]["channel"] == "paper"


def test_second_entry_and_resolve_by_api(world):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    first, second, third = setup.items
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3))
    same = api(world.agent_a).post(
        f"{base(setup)}/forms/1/second-entry/", {"ratings": ratings(setup, 1, 2, 3)}, format="json"
    )
    assert same.status_code == 409
    assert same.json()["code"] == "surveys.second_entry_same_user"
    waiting = api(world.supervisor_a).get(f"{base(setup)}/forms/?second_entry=true").json()
    assert [row["serial"] for row in waiting["results"]] == [1]
    response = api(world.supervisor_a).post(
        f"{base(setup)}/forms/1/second-entry/", {"ratings": ratings(setup, 1, 3, 3)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["mismatch_items"] == [second.pk]
    refused = api(world.agent_a).post(
        f"{base(setup)}/forms/1/resolve/", {"choices": {str(second.pk): 3}}, format="json"
    )
    assert refused.status_code == 403
    settled = api(world.supervisor_a).post(
        f"{base(setup)}/forms/1/resolve/", {"choices": {str(second.pk): 3}}, format="json"
    )
    assert settled.status_code == 200
    assert settled.json()["mismatch_items"] == []
    assert settled.json()["ratings"] == ratings(setup, 1, 3, 3)
    wrong = api(world.supervisor_a).post(
        f"{base(setup)}/forms/1/resolve/", {"choices": {str(first.pk): 3}}, format="json"
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "surveys.mismatch_invalid"


def test_import_check_and_commit_by_api(world):
    setup = make_campaign(world.project_a)
    client = api(world.agent_a)
    upload = SimpleUploadedFile(
        "answers.xlsx", xlsx(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, "满意", "很满意", None))
    )
    response = client.post(f"{base(setup)}/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == ImportStatus.CHECKED
    assert (body["rows_total"], body["rows_ok"], body["problems"]) == (1, 1, [])
    assert client.get(f"{base(setup)}/imports/{body['id']}/").json()["status"] == ImportStatus.CHECKED
    committed = client.post(f"{base(setup)}/imports/{body['id']}/commit/")
    assert committed.status_code == 200
    assert committed.json()["status"] == ImportStatus.COMMITTED
    assert SurveyAnswer.objects.filter(form__serial=1).count() == 3
    again = client.post(f"{base(setup)}/imports/{body['id']}/commit/")
    assert again.status_code == 409
    assert again.json()["code"] == "surveys.import_done"


def test_import_of_a_bad_file_by_api_lists_the_problem(world):
    setup = make_campaign(world.project_a)
    upload = SimpleUploadedFile("answers.xlsx", b"not a workbook")
    response = api(world.agent_a).post(f"{base(setup)}/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == ImportStatus.REJECTED
    assert [problem["row"] for problem in body["problems"]] == [0]
    commit = api(world.agent_a).post(f"{base(setup)}/imports/{body['id']}/commit/")
    assert commit.status_code == 409
    assert commit.json()["code"] == "surveys.import_has_problems"


def test_import_template_by_api(world):
    setup = make_campaign(world.project_a)
    response = api(world.agent_a).get(f"{base(setup)}/import-template/")
    assert response.status_code == 200
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert book.worksheets[0]["A2"].value == "1号楼"


def endpoints(setup, import_id):
    return [
        ("get", f"{base(setup)}/forms/", None),
        ("post", f"{base(setup)}/forms/", {"serial": "1", "ratings": ratings(setup, 1, 1, 1)}),
        ("post", f"{base(setup)}/forms/1/second-entry/", {"ratings": ratings(setup, 1, 1, 1)}),
        ("post", f"{base(setup)}/forms/1/resolve/", {"choices": {}}),
        ("post", f"{base(setup)}/imports/", None),
        ("get", f"{base(setup)}/imports/{import_id}/", None),
        ("post", f"{base(setup)}/imports/{import_id}/commit/", None),
        ("get", f"{base(setup)}/import-template/", None),
    ]


def checked_import(world, setup):
    from estatedesk.surveys.importing import survey_import_check

    return survey_import_check(
        actor=world.agent_a,
        campaign=setup.campaign,
        upload=BytesIO(xlsx(("编号", "客户服务", "保洁卫生", "绿化养护"), (2, 1, 1, 1))),
        filename="a.xlsx",
    )


@pytest.mark.parametrize("persona", ["outsider", "nobody", "owner_a"])
def test_outsiders_get_404_from_every_endpoint(world, persona):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    survey_import = checked_import(world, setup)
    client = api(getattr(world, persona))
    for method, url, data in endpoints(setup, survey_import.pk):
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 404, (persona, url, response.status_code)
        assert response.json()["code"] == "not_found"
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0
    assert SurveyImport.objects.get().status == ImportStatus.CHECKED


def test_anonymous_callers_get_401(world):
    setup = make_campaign(world.project_a)
    for method, url, data in endpoints(setup, 1):
        response = getattr(api(), method)(url, data, format="json")
        assert response.status_code == 401, url


def test_staff_without_the_capability_get_403(world):
    from estatedesk.org.choices import Role, ScopeLevel
    from estatedesk.org.models import Membership

    setup = make_campaign(world.project_a)
    survey_import = checked_import(world, setup)
    Membership.objects.create(
        user=world.nobody, role=Role.LEADER, level=ScopeLevel.COMPANY, company=world.company
    )
    client = api(world.nobody)
    for method, url, data in endpoints(setup, survey_import.pk)[1:]:
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 403, url
    assert client.get(f"{base(setup)}/forms/").status_code == 200
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0
