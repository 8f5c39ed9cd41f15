"""Online answers (issue 13, item 3; R-SV-6): the QR code of a form without signing in, and the owner portal.
One answer per serial; one per unit where the campaign says so; closed campaigns take none."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.surveys import entry
from estatedesk.surveys.choices import CampaignStatus, Channel
from estatedesk.surveys.models import SurveyAnswer, SurveyForm
from estatedesk.surveys.tests.test_entry_setup import form_for_unit, make_campaign, owner_user


def answer(setup, *values, comment=""):
    data = {"comment": comment}
    for item, value in zip(setup.items, values, strict=True):
        if value is not None:
            data[f"item_{item.pk}"] = str(value)
    return data


def public_url(form):
    return reverse("surveys_public:answer", args=[form.token])


# --- the QR code --------------------------------------------------------------------------------------------


def test_qr_page_shows_the_bilingual_form_without_signing_in(world, client):
    setup = make_campaign(world.project_a)
    response = client.get(public_url(setup.form(3)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "客户服务 Customer service" in html
    assert "很满意 Very satisfied" in html
    assert "未表态 No answer" in html
    assert 'data-testid="public-serial">0003<' in html


def test_qr_answer_is_taken_once_per_serial(world, client):
    # given form 3's QR code
    setup = make_campaign(world.project_a)
    form = setup.form(3)
    # when someone answers it, leaving the third item out
    response = client.post(public_url(form), answer(setup, 1, 4, None, comment="垃圾清运不及时"))
    # then it is returned by QR, the third item 未表态
    assert response.status_code == 200
    assert 'data-state="thanks"' in response.content.decode()
    form = setup.form(3)
    assert form.channel == Channel.QR
    assert form.returned_at is not None
    assert form.respondent is None
    assert form.comment == "垃圾清运不及时"
    assert dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating")) == setup.ratings(
        1, 4, 0
    )
    # when the same form is submitted again
    again = client.post(public_url(form), answer(setup, 4, 4, 4))
    # then a friendly page says it was answered, and nothing changed
    assert again.status_code == 200
    assert 'data-state="answered"' in again.content.decode()
    assert dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating")) == setup.ratings(
        1, 4, 0
    )
    assert client.get(public_url(form)).content.decode().count('data-state="answered"') == 1


def test_qr_answer_with_nothing_rated_and_no_comment_is_refused(world, client):
    setup = make_campaign(world.project_a)
    response = client.post(public_url(setup.form(1)), answer(setup, None, None, None))
    assert response.status_code == 400
    assert setup.form(1).returned_at is None


@pytest.mark.parametrize("status", [CampaignStatus.CLOSED, CampaignStatus.CANCELLED, CampaignStatus.DRAFT])
def test_a_campaign_that_does_not_run_takes_no_online_answer(world, client, status):
    setup = make_campaign(world.project_a, status=status)
    form = setup.form(1)
    page = client.get(public_url(form))
    assert page.status_code == 200
    assert 'data-state="closed"' in page.content.decode()
    client.post(public_url(form), answer(setup, 1, 1, 1))
    assert setup.form(1).returned_at is None
    with pytest.raises(DomainError) as refused:
        entry.form_answer_online(form=form, ratings=setup.ratings(1, 1, 1), channel=Channel.QR)
    assert refused.value.code in ("surveys.campaign_closed", "surveys.campaign_not_started")


def test_an_unknown_token_is_a_friendly_404(world, client):
    make_campaign(world.project_a)
    response = client.get(reverse("surveys_public:answer", args=["not-a-real-token-123"]))
    assert response.status_code == 404
    assert 'data-state="unknown"' in response.content.decode()


def test_a_paper_form_keyed_in_cannot_be_answered_by_qr_afterwards(world, client):
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(2, 2, 2))
    response = client.post(public_url(setup.form(2)), answer(setup, 4, 4, 4))
    assert 'data-state="answered"' in response.content.decode()
    assert setup.form(2).channel == Channel.PAPER


# --- one answer per unit ------------------------------------------------------------------------------------


def test_one_answer_per_unit_refuses_a_second_form_of_the_unit(world, client):
    # given a campaign taking one answer per unit, and two forms left at unit_a's door
    setup = make_campaign(world.project_a, one_answer_per_unit=True)
    first = form_for_unit(setup, world.unit_a)
    second = form_for_unit(setup, world.unit_a)
    # when both are answered by QR
    client.post(public_url(first), answer(setup, 1, 1, 1))
    response = client.post(public_url(second), answer(setup, 4, 4, 4))
    # then the second gets the friendly page and stays unanswered
    assert 'data-state="answered"' in response.content.decode()
    assert SurveyForm.objects.get(pk=first.pk).unit_lock == world.unit_a
    second = SurveyForm.objects.get(pk=second.pk)
    assert second.returned_at is None
    assert second.unit_lock is None
    assert SurveyAnswer.objects.filter(form=second).count() == 0


def test_one_answer_per_unit_holds_in_a_race_through_the_unique_constraint(world):
    # given two forms of unit_a, both read as unanswered by two requests at once
    setup = make_campaign(world.project_a, one_answer_per_unit=True)
    first = form_for_unit(setup, world.unit_a)
    second = form_for_unit(setup, world.unit_a)
    second_seen = setup.form(second.serial)
    entry.form_answer_online(
        form=setup.form(first.serial), ratings=setup.ratings(1, 1, 1), channel=Channel.QR
    )
    # when the second request writes after the first
    with pytest.raises(DomainError) as refused:
        entry.form_answer_online(form=second_seen, ratings=setup.ratings(2, 2, 2), channel=Channel.QR)
    # then the database's constraint refuses it with the friendly code
    assert refused.value.code == "surveys.unit_already_answered"
    assert SurveyForm.objects.get(pk=second.pk).returned_at is None


def test_without_one_answer_per_unit_two_forms_of_a_unit_both_count(world, client):
    setup = make_campaign(world.project_a, one_answer_per_unit=False)
    first = form_for_unit(setup, world.unit_a)
    second = form_for_unit(setup, world.unit_a)
    client.post(public_url(first), answer(setup, 1, 1, 1))
    client.post(public_url(second), answer(setup, 2, 2, 2))
    assert SurveyForm.objects.filter(pk__in=[first.pk, second.pk], returned_at__isnull=False).count() == 2


# --- the owner portal -------------------------------------------------------------------------------------


def test_owner_sees_the_running_campaigns_of_the_areas_of_their_units(world, login):
    # given a running campaign over 1号楼 (owner_a's building), one over 中心花园 only, a closed one, and one
    # of project B
    running = make_campaign(world.project_a)
    make_campaign(world.project_a, reference="SV-QD-A-202611-02", areas=("中心花园",))
    make_campaign(world.project_a, reference="SV-QD-A-202610-01", status=CampaignStatus.CLOSED)
    make_campaign(world.project_b, reference="SV-JN-C-202611-01", areas=("1号楼",))
    # when owner_a opens their surveys
    response = login(world.owner_a).get(reverse("surveys:mine"))
    # then only the running campaign of 1号楼 is listed, for unit_a
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row.campaign.reference, row.unit.pk, row.is_answered) for row in rows] == [
        (running.campaign.reference, world.unit_a.pk, False)
    ]


def test_owner_answers_in_the_portal_on_a_form_made_for_their_unit(world, login):
    # given a running campaign with 5 forms handed out in 1号楼
    setup = make_campaign(world.project_a)
    client = login(world.owner_a)
    url = reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk])
    assert client.get(url).status_code == 200
    # when owner_a answers
    response = client.post(url, answer(setup, 1, 2, 3, comment="保安很负责"))
    # then a form handed out now for unit_a is returned, online, with owner_a as respondent
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:mine")
    form = SurveyForm.objects.get(campaign=setup.campaign, unit=world.unit_a)
    assert form.serial == 11
    assert form.area == setup.areas["1号楼"]
    assert form.channel == Channel.ONLINE
    assert form.respondent == world.owner_a
    assert form.handed_out_at is not None
    assert form.returned_at is not None
    assert dict(SurveyAnswer.objects.filter(form=form).values_list("item_id", "rating")) == setup.ratings(
        1, 2, 3
    )
    # and the list shows it answered; a second answer changes nothing
    rows = client.get(reverse("surveys:mine")).context["rows"]
    assert [row.is_answered for row in rows] == [True]
    again = client.post(url, answer(setup, 4, 4, 4))
    assert again.status_code == 200
    assert 'data-testid="portal-already"' in again.content.decode()
    assert SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False).count() == 1


def test_the_portal_takes_the_unanswered_form_printed_for_the_unit(world, login):
    setup = make_campaign(world.project_a)
    printed = form_for_unit(setup, world.unit_a)
    login(world.owner_a).post(
        reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk]),
        answer(setup, 1, 1, 1),
    )
    assert SurveyForm.objects.get(pk=printed.pk).returned_at is not None
    assert SurveyForm.objects.filter(campaign=setup.campaign).count() == 11


def test_one_answer_per_unit_in_the_portal_after_a_qr_answer_for_the_unit(world, login, client):
    setup = make_campaign(world.project_a, one_answer_per_unit=True)
    client.post(public_url(form_for_unit(setup, world.unit_a)), answer(setup, 1, 1, 1))
    owner = login(world.owner_a)
    assert [row.is_answered for row in owner.get(reverse("surveys:mine")).context["rows"]] == [True]
    response = owner.post(
        reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk]),
        answer(setup, 4, 4, 4),
    )
    assert 'data-testid="portal-already"' in response.content.decode()
    assert SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False).count() == 1


def test_a_portal_race_for_one_unit_ends_in_one_answer(world, login):
    # given two requests of the household that both saw the survey unanswered
    setup = make_campaign(world.project_a, one_answer_per_unit=True)
    survey = entry.portal_survey_get(
        user=world.owner_a, reference=setup.campaign.reference, unit_id=world.unit_a.pk
    )
    entry.portal_answer(user=world.owner_a, survey=survey, ratings=setup.ratings(1, 1, 1))
    # when the second writes
    with pytest.raises(DomainError) as refused:
        entry.portal_answer(user=world.owner_a, survey=survey, ratings=setup.ratings(2, 2, 2))
    # then it is refused as answered, and no form was left behind
    assert refused.value.code == "surveys.unit_already_answered"
    assert SurveyForm.objects.filter(campaign=setup.campaign, unit=world.unit_a).count() == 1


def test_a_constraint_violation_while_answering_rolls_back_the_form_made(world):
    setup = make_campaign(world.project_a, one_answer_per_unit=True)
    survey = entry.portal_survey_get(
        user=world.owner_a, reference=setup.campaign.reference, unit_id=world.unit_a.pk
    )
    with (
        mock.patch.object(SurveyAnswer.objects, "bulk_create", side_effect=IntegrityError("race")),
        pytest.raises(DomainError) as refused,
    ):
        entry.portal_answer(user=world.owner_a, survey=survey, ratings=setup.ratings(1, 1, 1))
    assert refused.value.code == "surveys.unit_already_answered"
    assert SurveyForm.objects.filter(campaign=setup.campaign).count() == 10


def test_another_owners_form_token_works_only_as_a_token(world, login, django_user_model):
    # given an owner of project B and a form of project A
    setup = make_campaign(world.project_a)
    owner_b = owner_user(django_user_model, world.unit_b, "owner_b")
    client = login(owner_b)
    # then the portal shows them nothing of project A, and its answer page is 404
    assert client.get(reverse("surveys:mine")).context["rows"] == []
    url = reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, answer(setup, 1, 1, 1)).status_code == 404
    # and the staff pages of the campaign are 404
    assert client.get(reverse("surveys:entry", args=[setup.campaign.reference])).status_code == 404
    # but a form's QR code works for whoever holds it, as the token of that one form
    client.post(public_url(setup.form(2)), answer(setup, 2, 2, 2))
    form = setup.form(2)
    assert form.channel == Channel.QR
    assert form.respondent == owner_b
    assert SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False).count() == 1


@pytest.mark.parametrize("persona", ["outsider", "nobody", "agent_a"])
def test_staff_and_people_without_a_unit_see_no_survey_in_the_portal(world, login, persona):
    setup = make_campaign(world.project_a)
    client = login(getattr(world, persona))
    response = client.get(reverse("surveys:mine"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    url = reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, answer(setup, 1, 1, 1)).status_code == 404
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


def test_the_portal_needs_signing_in(world, client):
    setup = make_campaign(world.project_a)
    for url in (
        reverse("surveys:mine"),
        reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_unit_the_owner_moved_out_of_is_not_theirs(world, login):
    setup = make_campaign(world.project_a)
    world.unit_a.occupancies.update(ended_on="2025-01-01")
    client = login(world.owner_a)
    assert client.get(reverse("surveys:mine")).context["rows"] == []
    url = reverse("surveys:mine_answer", args=[setup.campaign.reference, world.unit_a.pk])
    assert client.get(url).status_code == 404


def test_staff_trying_a_qr_code_are_not_recorded_as_the_respondent(world, login):
    setup = make_campaign(world.project_a)
    login(world.agent_a).post(public_url(setup.form(4)), answer(setup, 2, 2, 2))
    form = setup.form(4)
    assert form.channel == Channel.QR
    assert form.respondent is None
