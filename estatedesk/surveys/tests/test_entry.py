"""Paper forms keyed in (issue 13, item 3): the service, the keyboard screen's save endpoint (JSON and plain
form), double entry and its mismatches, and who may do it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.surveys import entry
from estatedesk.surveys.choices import CampaignStatus, Channel
from estatedesk.surveys.models import SurveyAnswer, SurveyForm
from estatedesk.surveys.tests.test_entry_setup import make_campaign

JSON = {"HTTP_ACCEPT": "application/json"}


def post_data(setup, serial, *values, **extra):
    data = {"serial": str(serial), **extra}
    for item, value in zip(setup.items, values, strict=True):
        data[f"item_{item.pk}"] = str(value)
    return data


# --- reading the serial -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "serial"),
    [
        ("12", 12),
        ("0012", 12),
        ("０１２", 12),
        (" No. 12 ", 12),
        ("#7", 7),
        ("编号 0031", 31),
        ("SV-QD-A-202611-01-0012", 12),
    ],
)
def test_serial_read_accepts_the_number_as_typed(typed, serial):
    assert entry.serial_read(typed) == entry.TypedSerial(serial=serial)


def test_serial_read_takes_the_token_of_a_scanned_qr_address():
    assert entry.serial_read("https://desk.example/s/AbC_de-123456789/") == entry.TypedSerial(
        token="AbC_de-123456789"
    )


@pytest.mark.parametrize("typed", ["", "   ", "abc", "12a", "-"])
def test_serial_read_refuses_what_names_no_form(typed):
    assert entry.serial_read(typed) is None


# --- the service --------------------------------------------------------------------------------------------


def test_key_in_marks_the_form_returned_with_an_answer_per_item(world):
    # given a running campaign with forms handed out
    setup = make_campaign(world.project_a)
    # when agent_a keys in form 3
    form = entry.form_key_in(
        actor=world.agent_a,
        campaign=setup.campaign,
        serial=3,
        ratings=setup.ratings(1, 4, 0),
        respondent_name="张先生",
        comment="楼道灯坏了",
    )
    # then it is returned, on paper, by agent_a, with the three answers as keyed
    assert form.returned_at is not None
    assert form.channel == Channel.PAPER
    assert form.entered_by == world.agent_a
    assert form.respondent_name == "张先生"
    assert form.comment == "楼道灯坏了"
    assert form.needs_second_entry is False
    answers = dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating"))
    assert answers == setup.ratings(1, 4, 0)
    assert AuditEntry.objects.filter(object_type="surveys.surveyform", object_id=str(form.pk)).count() == 1


def test_key_in_sets_handed_out_when_the_form_was_not_marked_handed_out(world):
    setup = make_campaign(world.project_a, handed_out=False)
    form = entry.form_key_in(
        actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(2, 2, 2)
    )
    assert form.handed_out_at is not None
    assert form.handed_out_at == form.returned_at


def test_a_returned_form_cannot_be_keyed_in_again(world):
    # given form 2 keyed in
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(1, 1, 1))
    # when it is keyed in again, with other ratings
    with pytest.raises(DomainError) as refused:
        entry.form_key_in(
            actor=world.supervisor_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(4, 4, 4)
        )
    # then it is refused with 409, the serial named, and the first answers kept
    assert refused.value.code == "surveys.already_entered"
    assert refused.value.status == 409
    assert "0002" in str(refused.value.message)
    assert sorted(SurveyAnswer.objects.filter(form__serial=2).values_list("rating", flat=True)) == [1, 1, 1]


def test_a_serial_that_does_not_exist_is_an_error_that_says_so(world):
    setup = make_campaign(world.project_a)
    with pytest.raises(DomainError) as refused:
        entry.form_key_in(
            actor=world.agent_a, campaign=setup.campaign, serial=99, ratings=setup.ratings(1, 1, 1)
        )
    assert refused.value.code == "surveys.unknown_serial"
    assert "0099" in str(refused.value.message)
    assert list(refused.value.fields) == ["serial"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (CampaignStatus.DRAFT, "surveys.campaign_not_started"),
        (CampaignStatus.CLOSED, "surveys.campaign_closed"),
        (CampaignStatus.CANCELLED, "surveys.campaign_closed"),
    ],
)
def test_only_a_running_campaign_takes_keyed_in_forms(world, status, code):
    setup = make_campaign(world.project_a, status=status)
    with pytest.raises(DomainError) as refused:
        entry.form_key_in(
            actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 1, 1)
        )
    assert refused.value.code == code
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


def test_every_item_needs_a_rating_from_0_to_4(world):
    setup = make_campaign(world.project_a)
    first, second, third = setup.items
    with pytest.raises(DomainError) as refused:
        entry.form_key_in(
            actor=world.agent_a, campaign=setup.campaign, serial=1, ratings={first.pk: 1, second.pk: 5}
        )
    assert refused.value.code == "surveys.ratings_invalid"
    assert sorted(refused.value.fields) == [f"item_{second.pk}", f"item_{third.pk}"]
    assert SurveyAnswer.objects.count() == 0


def test_key_in_needs_the_enter_capability_at_the_project(world):
    setup = make_campaign(world.project_a)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        entry.form_key_in(
            actor=world.outsider, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 1, 1)
        )


# --- the save endpoint --------------------------------------------------------------------------------------


def test_entry_save_answers_json_with_the_serial_and_the_progress(world, login):
    setup = make_campaign(world.project_a)
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    response = client.post(url, post_data(setup, "０００４", 1, 2, 3), **JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["serial"] == "0004"
    assert body["area"] == "1号楼"
    assert body["progress"]["returned"] == 1
    assert body["progress"]["handed_out"] == 10
    assert body["progress"]["rate"] == "10.00%"
    assert body["progress"]["areas"][0]["returned"] == 1
    assert setup.form(4).returned_at is not None


def test_entry_save_takes_a_scanned_qr_address_for_the_serial(world, login):
    setup = make_campaign(world.project_a)
    target = setup.form(7)
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    response = client.post(url, post_data(setup, f"http://testserver/s/{target.token}/", 2, 2, 2), **JSON)
    assert response.status_code == 201
    assert response.json()["serial"] == "0007"


def test_entry_save_refuses_a_qr_code_of_another_campaign(world, login):
    setup = make_campaign(world.project_a)
    other = make_campaign(world.project_a, reference="SV-QD-A-202611-02")
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    response = client.post(url, post_data(setup, f"/s/{other.form(1).token}/", 2, 2, 2), **JSON)
    assert response.status_code == 400
    assert response.json()["code"] == "surveys.other_campaign"
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


def test_entry_save_twice_answers_409_already_entered_with_the_serial(world, login):
    setup = make_campaign(world.project_a)
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    assert client.post(url, post_data(setup, 5, 1, 1, 1), **JSON).status_code == 201
    response = client.post(url, post_data(setup, 5, 2, 2, 2), **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "surveys.already_entered"
    assert "0005" in body["message"]
    assert "serial" in body["fields"]


def test_entry_save_without_javascript_redirects_to_the_screen_with_a_message(world, login):
    setup = make_campaign(world.project_a)
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    response = client.post(url, post_data(setup, 1, 1, 2, 0))
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:entry", args=[setup.campaign.reference])
    page = client.get(response["Location"])
    assert "0001" in page.content.decode()
    assert [str(m) for m in page.context["messages"]] != []


def test_entry_save_without_javascript_keeps_what_was_typed_on_an_error(world, login):
    setup = make_campaign(world.project_a)
    client = login(world.agent_a)
    url = reverse("surveys:entry_save", args=[setup.campaign.reference])
    response = client.post(url, post_data(setup, 77, 3, 2, 1, respondent_name="李女士"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.data["serial"] == "77"
    assert form.data["respondent_name"] == "李女士"
    assert "serial" in form.errors
    html = response.content.decode()
    assert 'value="李女士"' in html
    assert '<option value="3" selected>' in html


def test_entry_screen_shows_the_items_the_progress_and_the_forms_saved(
    world, login, django_assert_max_num_queries
):
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(1, 1, 1))
    client = login(world.agent_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("surveys:entry", args=[setup.campaign.reference]))
    assert response.status_code == 200
    assert response.context["progress"]["returned"] == 1
    assert response.context["progress"]["handed_out"] == 10
    assert [saved["serial"] for saved in response.context["recent"]] == ["0002"]
    html = response.content.decode()
    assert html.count('data-testid="entry-item"') == 3
    assert 'data-testid="progress-returned">1<' in html
    assert "surveys/entry.js" in html


def test_entry_screen_of_a_closed_campaign_has_no_form(world, login):
    setup = make_campaign(world.project_a, status=CampaignStatus.CLOSED)
    response = login(world.agent_a).get(reverse("surveys:entry", args=[setup.campaign.reference]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="entry-closed"' in html
    assert 'data-testid="entry-form"' not in html


# --- double entry -------------------------------------------------------------------------------------------


def test_double_entry_share_is_deterministic_and_follows_the_percent():
    chosen = [
        entry.double_entry_chosen(campaign_id=7, serial=serial, percent=30) for serial in range(1, 1001)
    ]
    again = [entry.double_entry_chosen(campaign_id=7, serial=serial, percent=30) for serial in range(1, 1001)]
    assert chosen == again
    assert 200 < sum(chosen) < 400
    assert not any(entry.double_entry_chosen(campaign_id=7, serial=s, percent=0) for s in range(1, 1001))
    assert all(entry.double_entry_chosen(campaign_id=7, serial=s, percent=100) for s in range(1, 1001))


def test_a_form_drawn_for_double_entry_is_flagged(world):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    form = entry.form_key_in(
        actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3)
    )
    assert form.needs_second_entry is True


def test_the_second_entry_must_be_by_another_user(world):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    form = entry.form_key_in(
        actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3)
    )
    with pytest.raises(DomainError) as refused:
        entry.form_second_entry(actor=world.agent_a, form=form, ratings=setup.ratings(1, 2, 3))
    assert refused.value.code == "surveys.second_entry_same_user"
    assert setup.form(1).second_entry_at is None


def test_a_form_not_drawn_takes_no_second_entry(world):
    setup = make_campaign(world.project_a, double_entry_percent=0)
    form = entry.form_key_in(
        actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3)
    )
    with pytest.raises(DomainError) as refused:
        entry.form_second_entry(actor=world.supervisor_a, form=form, ratings=setup.ratings(1, 2, 3))
    assert refused.value.code == "surveys.no_second_entry"


def test_second_entry_lists_the_items_that_differ_and_a_supervisor_settles_them(world, login):
    # given form 1 keyed in by agent_a as 1, 2, 3
    setup = make_campaign(world.project_a, double_entry_percent=100)
    first, second, third = setup.items
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3))
    # when supervisor_a keys it again as 1, 4, 0 on the second-entry screen
    reference = setup.campaign.reference
    supervisor = login(world.supervisor_a)
    response = supervisor.post(
        reverse("surveys:second_entry", args=[reference]), post_data(setup, 1, 1, 4, 0), **JSON
    )
    assert response.status_code == 201
    form = setup.form(1)
    # then the two differing items are listed, the answers unchanged
    assert form.mismatch_items == [second.pk, third.pk]
    assert form.second_entry_by == world.supervisor_a
    page = supervisor.get(reverse("surveys:mismatches", args=[reference]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="mismatch-item"') == 2
    assert 'data-serial="0001"' in html
    # when the supervisor chooses the second keying's 4 for the second item
    response = supervisor.post(
        reverse("surveys:mismatch_resolve", args=[reference, 1]), {f"item_{second.pk}": "4"}
    )
    assert response.status_code == 302
    # then that answer is corrected, audited, and only the third item is left
    answers = dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating"))
    assert answers == {first.pk: 1, second.pk: 4, third.pk: 3}
    assert setup.form(1).mismatch_items == [third.pk]
    audit = (
        AuditEntry.objects.filter(object_id=str(form.pk), actor=world.supervisor_a).order_by("-id").first()
    )
    assert audit.changes == {f"item_{second.pk}": [2, 4]}
    # and the last one settled to the first keying's value empties the list
    supervisor.post(reverse("surveys:mismatch_resolve", args=[reference, 1]), {f"item_{third.pk}": "3"})
    assert setup.form(1).mismatch_items == []
    assert (
        'data-testid="no-mismatches"'
        in supervisor.get(reverse("surveys:mismatches", args=[reference])).content.decode()
    )


def test_second_entry_that_agrees_leaves_no_mismatch(world):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    form = entry.form_key_in(
        actor=world.agent_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3)
    )
    form = entry.form_second_entry(actor=world.supervisor_a, form=form, ratings=setup.ratings(1, 2, 3))
    assert form.mismatch_items == []
    assert form.second_ratings == {
        str(item.pk): value for item, value in zip(setup.items, (1, 2, 3), strict=True)
    }
    with pytest.raises(DomainError) as refused:
        entry.form_second_entry(actor=world.pm_a, form=setup.form(1), ratings=setup.ratings(1, 2, 3))
    assert refused.value.code == "surveys.second_entry_done"


def test_a_keyer_without_the_run_capability_cannot_settle_mismatches(world, login):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    form = entry.form_key_in(
        actor=world.supervisor_a, campaign=setup.campaign, serial=1, ratings=setup.ratings(1, 2, 3)
    )
    entry.form_second_entry(actor=world.agent_a, form=form, ratings=setup.ratings(2, 2, 3))
    agent = login(world.agent_a)
    reference = setup.campaign.reference
    page = agent.get(reverse("surveys:mismatches", args=[reference]))
    assert page.status_code == 200
    assert 'data-testid="mismatch-resolve"' not in page.content.decode()
    response = agent.post(
        reverse("surveys:mismatch_resolve", args=[reference, 1]), {f"item_{setup.items[0].pk}": "1"}
    )
    assert response.status_code == 403
    assert setup.form(1).mismatch_items == [setup.items[0].pk]


# --- who may -----------------------------------------------------------------------------------------------


def staff_pages(reference):
    return [
        ("get", reverse("surveys:entry", args=[reference])),
        ("post", reverse("surveys:entry_save", args=[reference])),
        ("get", reverse("surveys:second_entry", args=[reference])),
        ("post", reverse("surveys:second_entry", args=[reference])),
        ("get", reverse("surveys:mismatches", args=[reference])),
        ("post", reverse("surveys:mismatch_resolve", args=[reference, 1])),
        ("get", reverse("surveys:import", args=[reference])),
        ("post", reverse("surveys:import", args=[reference])),
        ("get", reverse("surveys:import_template", args=[reference])),
        ("get", reverse("surveys:import_detail", args=[reference, 1])),
        ("post", reverse("surveys:import_commit", args=[reference, 1])),
    ]


@pytest.mark.parametrize("persona", ["outsider", "nobody", "owner_a"])
def test_outsiders_get_404_from_every_entry_page(world, login, persona):
    setup = make_campaign(world.project_a, double_entry_percent=100)
    client = login(getattr(world, persona))
    for method, url in staff_pages(setup.campaign.reference):
        response = getattr(client, method)(url, post_data(setup, 1, 1, 1, 1) if method == "post" else None)
        assert response.status_code == 404, (persona, url)
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    setup = make_campaign(world.project_a)
    for method, url in staff_pages(setup.campaign.reference):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_staff_without_the_enter_capability_get_403(world, login):
    # given a leader of the company (surveys.view, never surveys.enter)
    setup = make_campaign(world.project_a)
    Membership.objects.create(
        user=world.nobody, role=Role.LEADER, level=ScopeLevel.COMPANY, company=world.company
    )
    client = login(world.nobody)
    for method, url in staff_pages(setup.campaign.reference):
        response = getattr(client, method)(url, post_data(setup, 1, 1, 1, 1) if method == "post" else None)
        assert response.status_code == 403, url
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0
