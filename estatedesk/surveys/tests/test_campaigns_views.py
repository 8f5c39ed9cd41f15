"""Survey campaign pages (R-SV-1, R-SV-2, R-SV-6): the list every staff member opens from the menu, the
campaign with its areas' return rates and the flag at the threshold, each step for who may take it, the
printed forms, the schedules and the catalogue; and the outsider, an owner and `nobody` see nothing."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow, response_text
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Building, Membership, Project
from estatedesk.surveys import campaigns, checks
from estatedesk.surveys.choices import CampaignStatus, Frequency, Runner
from estatedesk.surveys.models import (
    Campaign,
    CampaignArea,
    Questionnaire,
    ReportRoute,
    SurveyForm,
    SurveyItem,
    SurveyRules,
    SurveySchedule,
)
from estatedesk.surveys.tests.test_campaigns import area_named, make_campaign, questionnaire_of, set_returns


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _detail(campaign: Campaign) -> str:
    return reverse("surveys:campaign_detail", args=[campaign.reference])


def _rows(html: str) -> dict[str, str]:
    """The areas' table: {area name: the row's HTML}."""
    rows = re.findall(r'<tr data-testid="area-row".*?</tr>', html, flags=re.S)
    return {re.search(r'class="table__lead">([^<]+)<', row).group(1): row for row in rows}  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _no_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "survey_checks_arrange", lambda *, actor, campaign: [])


@pytest.fixture
def login(login: Any) -> Any:
    """The shared `login`, with the pages in English (the messages are compared word for word)."""

    def _login(user: Any) -> Any:
        client = login(user)
        client.cookies["django_language"] = "en"
        return client

    return _login


# --- the list ---------------------------------------------------------------------------------------------


def test_campaign_list_shows_the_campaigns_in_scope_with_their_returns(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=10, returned=9)
    response = login(world.agent_a).get(reverse("surveys:campaign_list"))
    assert response.status_code == 200
    html = response_text(response)
    assert campaign.reference in html
    assert "9 / 10 · 90.00%" in html
    assert 'data-testid="new-campaign-link"' not in html  # the agent keys in forms, runs no campaign
    assert 'data-testid="new-campaign-link"' in response_text(
        login(world.supervisor_a).get(reverse("surveys:campaign_list"))
    )


def test_campaign_list_filters(world: Any, login: Any) -> None:
    running = make_campaign(world, open_it=True)
    draft = make_campaign(world, runner=Runner.QUALITY)
    client = login(world.supervisor_a)
    html = response_text(client.get(reverse("surveys:campaign_list") + "?status=running"))
    assert running.reference in html
    assert draft.reference not in html
    html = response_text(client.get(reverse("surveys:campaign_list") + "?runner=quality&project=QD-A"))
    assert draft.reference in html
    assert running.reference not in html


def test_campaign_list_is_every_staff_members_menu_page_even_when_empty(world: Any, login: Any) -> None:
    make_campaign(world)
    response = login(world.outsider).get(reverse("surveys:campaign_list"))
    assert response.status_code == 200
    assert 'data-testid="no-campaigns"' in response_text(response)
    assert "SV-QD-A" not in response_text(response)


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_campaign_list_refuses_people_who_are_not_staff(world: Any, login: Any, persona: str) -> None:
    make_campaign(world)
    response = login(world.users[persona]).get(reverse("surveys:campaign_list"))
    assert response.status_code == 403
    assert "SV-QD-A" not in response_text(response)


def test_campaign_list_needs_a_sign_in(world: Any, client: Any) -> None:
    response = client.get(reverse("surveys:campaign_list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_campaign_list_queries_do_not_grow(world: Any, login: Any) -> None:
    make_campaign(world, open_it=True)

    def add_rows() -> list[str]:
        made = [make_campaign(world, runner=Runner.QUALITY, title=f"专项调查 {n}") for n in range(5)]
        return [campaign.reference for campaign in made]

    assert_queries_do_not_grow(
        login(world.supervisor_a), reverse("surveys:campaign_list"), add_rows, ceiling=15
    )


# --- a new campaign ----------------------------------------------------------------------------------------


def test_sv_1_supervisor_makes_and_opens_a_campaign_from_the_page(world: Any, login: Any) -> None:
    client = login(world.supervisor_a)
    page = client.get(reverse("surveys:campaign_new"))
    assert page.status_code == 200
    assert "海景花园" in response_text(page)
    garden = Building.objects.get(project=world.project_a, name="中心花园")
    response = client.post(
        reverse("surveys:campaign_new"),
        {
            "runner": "customer_service",
            "questionnaire": questionnaire_of(world.company).pk,
            "frequency": "monthly",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "areas": [garden.pk],
            "double_entry_percent": "10",
            "open_now": "on",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(campaign)
    assert (campaign.status, campaign.double_entry_percent) == (CampaignStatus.RUNNING, 10)
    assert list(campaign.areas.values_list("area__name", flat=True)) == ["中心花园"]


def test_new_campaign_form_shows_the_services_refusal(world: Any, login: Any) -> None:
    response = login(world.supervisor_a).post(
        reverse("surveys:campaign_new"),
        {
            "runner": "customer_service",
            "questionnaire": questionnaire_of(world.company).pk,
            "frequency": "monthly",
            "period_start": "2026-11-30",
            "period_end": "2026-11-01",
            "double_entry_percent": "0",
        },
    )
    assert response.status_code == 400
    assert "The period cannot end before it starts." in response_text(response)
    assert not Campaign.objects.exists()


def test_a_user_of_several_projects_chooses_the_project_first(world: Any, login: Any) -> None:
    qa = world.users["branch_manager"].__class__.objects.create_user(username="qa_branch", password="x" * 12)
    Membership.objects.create(
        user=qa, role=Role.QA_MANAGER, level=ScopeLevel.BRANCH, company=world.company, branch=world.branch_a
    )
    client = login(qa)
    page = response_text(client.get(reverse("surveys:campaign_new")))
    assert 'data-testid="choose-project"' in page
    assert "海景花园" in page
    assert "绿溪苑" in page
    assert "泉城公馆" not in page
    assert client.get(reverse("surveys:campaign_new") + "?project=QD-B").status_code == 200
    assert client.get(reverse("surveys:campaign_new") + "?project=JN-C").status_code == 404


@pytest.mark.parametrize("persona", ["agent_a", "owner_a", "nobody"])
def test_new_campaign_page_refuses_who_runs_no_survey(world: Any, login: Any, persona: str) -> None:
    assert login(world.users[persona]).get(reverse("surveys:campaign_new")).status_code == 403


def test_outsider_cannot_make_a_campaign_of_project_a(world: Any, login: Any) -> None:
    client = login(world.outsider)
    assert client.get(reverse("surveys:campaign_new") + "?project=QD-A").status_code == 404
    response = client.post(
        reverse("surveys:campaign_new") + "?project=QD-A",
        {"runner": "customer_service", "frequency": "monthly", "period_start": "2026-11-01"},
    )
    assert response.status_code == 404
    assert not Campaign.objects.filter(project=world.project_a).exists()


# --- the campaign page: returns, flag, steps ----------------------------------------------------------


def test_sv_2_campaign_page_shows_each_areas_rate_and_flags_below_the_threshold(
    world: Any, login: Any
) -> None:
    # given 1号楼 at 8,999 of 10,000 and the garden at 9 of 10
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=999, returned=899)
    set_returns(area_named(campaign, "中心花园"), handed_out=10, returned=9)
    # when the supervisor opens the campaign
    response = login(world.supervisor_a).get(_detail(campaign))
    assert response.status_code == 200
    html = response_text(response)
    rows = _rows(html)
    # then the counts and the exact rate, and the flag on 1号楼 only: exactly 90.00% passes
    assert '<span data-testid="rate">89.99%</span>' in rows["1号楼"]
    assert 'data-testid="below-threshold"' in rows["1号楼"]
    assert 'data-passes="0"' in rows["1号楼"]
    assert '<span data-testid="rate">90.00%</span>' in rows["中心花园"]
    assert 'data-testid="below-threshold"' not in rows["中心花园"]
    assert 'data-passes="1"' in rows["中心花园"]
    assert 'data-testid="handed-out">999<' in rows["1号楼"]
    assert 'data-testid="returned">899<' in rows["1号楼"]
    assert 'data-testid="blocking"' in html
    assert "at least 90.00% of the forms" in html


def test_sv_2_campaign_page_at_90_01_percent_has_no_flag(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=1011, returned=910)
    row = _rows(response_text(login(world.supervisor_a).get(_detail(campaign))))["1号楼"]
    assert '<span data-testid="rate">90.01%</span>' in row
    assert 'data-testid="below-threshold"' not in row


def test_sv_2_rate_is_a_dash_when_no_form_was_handed_out(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    row = _rows(response_text(login(world.supervisor_a).get(_detail(campaign))))["中心花园"]
    assert '<span data-testid="rate">—</span>' in row
    assert "none handed out" in row


def test_campaign_page_shows_each_step_only_to_who_may_take_it(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    supervisor = response_text(login(world.supervisor_a).get(_detail(campaign)))
    for testid in ("hand-out-form", "make-form", "close-form", "cancel-form"):
        assert f'data-testid="{testid}"' in supervisor
    assert 'data-testid="waiver-form"' not in supervisor  # a CS supervisor does not waive
    assert 'data-testid="waiver-form"' in response_text(login(world.pm_a).get(_detail(campaign)))
    agent = response_text(login(world.agent_a).get(_detail(campaign)))
    assert 'data-testid="no-steps"' in agent
    assert 'data-testid="hand-out-form"' not in agent


def test_campaign_page_links_to_the_other_survey_pages(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    ref = campaign.reference
    html = response_text(login(world.agent_a).get(_detail(campaign)))
    for name, testid in (
        ("surveys:entry", "entry-link"),
        ("surveys:import", "import-link"),
        ("surveys:analysis", "analysis-link"),
        ("surveys:report", "report-link"),
    ):
        assert f'href="{reverse(name, args=[ref])}" data-testid="{testid}"' in html
    # keying in is for a running campaign
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    html = response_text(login(world.agent_a).get(_detail(campaign)))
    assert 'data-testid="entry-link"' not in html
    assert 'data-testid="analysis-link"' in html


def test_sv_2_returns_fragment_refreshes_while_running(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=4, returned=3)
    url = reverse("surveys:campaign_returns", args=[campaign.reference])
    response = login(world.agent_a).get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response_text(response)
    assert f'hx-get="{url}"' in html
    assert 'hx-trigger="every 20s"' in html
    assert '<span data-testid="rate">75.00%</span>' in html
    assert "<html" not in html
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    assert 'hx-trigger="every 20s"' not in response_text(login(world.agent_a).get(url))


def test_steps_from_the_page_open_make_hand_out_waive_close(world: Any, login: Any) -> None:
    campaign = make_campaign(world)
    supervisor, manager = login(world.supervisor_a), login(world.pm_a)
    building, garden = area_named(campaign, "1号楼"), area_named(campaign, "中心花园")
    # open
    response = supervisor.post(reverse("surveys:campaign_open", args=[campaign.reference]))
    assert response.status_code == 302
    # make 3 forms for 1号楼, hand out 10 there (7 more made) and 2 in the garden
    response = supervisor.post(
        reverse("surveys:forms_make", args=[campaign.reference]), {"make-area": building.pk, "make-count": 3}
    )
    assert _messages(response)[-1] == "3 forms made for 1号楼 (No. 0001–0003): print them."
    for area, count in ((building, 10), (garden, 2)):
        supervisor.post(
            reverse("surveys:forms_hand_out", args=[campaign.reference]),
            {"hand-area": area.pk, "hand-count": count},
        )
    assert SurveyForm.objects.filter(campaign=campaign, handed_out_at__isnull=False).count() == 12
    SurveyForm.objects.filter(area=building, serial__lte=9).update(returned_at=campaign.created_at)
    SurveyForm.objects.filter(area=garden).update(returned_at=campaign.created_at)
    # 9 of 10 and 2 of 2: closes
    response = supervisor.post(reverse("surveys:campaign_close", args=[campaign.reference]))
    assert _messages(response)[-1] == "The campaign is closed."
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED
    # nothing more can be done to it
    html = response_text(manager.get(_detail(campaign)))
    assert 'data-testid="no-steps"' in html


def test_sv_2_close_refused_below_the_threshold_is_a_message_then_a_waiver_lets_it_close(
    world: Any, login: Any
) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=999, returned=899)
    set_returns(area_named(campaign, "中心花园"), handed_out=10, returned=9)
    supervisor, manager = login(world.supervisor_a), login(world.pm_a)
    close = reverse("surveys:campaign_close", args=[campaign.reference])
    response = supervisor.post(close)
    assert response.status_code == 302
    assert response["Location"] == _detail(campaign)
    assert "1号楼: 89.99% (899 of 999)" in _messages(response)[0]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RUNNING
    # the CS supervisor may not waive; the project manager may, with a reason
    waive = reverse("surveys:area_waive", args=[campaign.reference])
    building = area_named(campaign, "1号楼")
    assert supervisor.post(waive, {"waiver-area": building.pk, "waiver-reason": "空置"}).status_code == 403
    response = manager.post(waive, {"waiver-area": building.pk, "waiver-reason": ""})
    assert response.status_code == 400
    response = manager.post(waive, {"waiver-area": building.pk, "waiver-reason": "二期空置房多"})
    assert _messages(response) == ["Waiver recorded for 1号楼."]
    html = response_text(supervisor.get(_detail(campaign)))
    assert 'data-testid="waiver"' in _rows(html)["1号楼"]
    assert "二期空置房多" in html
    assert 'data-testid="blocking"' not in html
    assert _messages(supervisor.post(close)) == ["The campaign is closed."]


def test_waiver_withdrawn_from_the_page(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    area = campaigns.area_waive(actor=world.pm_a, area=area_named(campaign, "1号楼"), reason="维修")
    url = reverse("surveys:waiver_withdraw", args=[campaign.reference, area.pk])
    assert login(world.supervisor_a).post(url).status_code == 403
    assert _messages(login(world.pm_a).post(url)) == ["Waiver withdrawn for 1号楼."]
    assert CampaignArea.objects.get(pk=area.pk).has_waiver is False


def test_cancel_from_the_page_needs_a_reason(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    client = login(world.supervisor_a)
    url = reverse("surveys:campaign_cancel", args=[campaign.reference])
    assert client.post(url, {"cancel-reason": ""}).status_code == 400
    client.post(url, {"cancel-reason": "重复建立"})
    assert Campaign.objects.get(pk=campaign.pk).cancelled_reason == "重复建立"


def test_hand_out_beyond_the_limit_is_shown_on_the_form(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    response = login(world.supervisor_a).post(
        reverse("surveys:forms_hand_out", args=[campaign.reference]),
        {"hand-area": area_named(campaign, "1号楼").pk, "hand-count": 2001},
    )
    assert response.status_code == 400
    assert 'data-testid="hand-out-form"' in response_text(response)
    assert not SurveyForm.objects.exists()


# --- printing ----------------------------------------------------------------------------------------------


def test_sv_6_forms_pdf_of_an_area(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    building = area_named(campaign, "1号楼")
    campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=building, count=2)
    url = reverse("surveys:forms_pdf", args=[campaign.reference])
    page = response_text(login(world.supervisor_a).get(_detail(campaign)))
    assert f"{url}?area={building.pk}&amp;unprinted=1" in page
    response = login(world.supervisor_a).get(url, {"area": building.pk, "unprinted": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert SurveyForm.objects.filter(area=building, printed_at__isnull=True).count() == 0
    # nothing left to print as new: back to the page with a message
    again = login(world.supervisor_a).get(url, {"area": building.pk, "unprinted": "1"})
    assert again.status_code == 302
    assert login(world.supervisor_a).get(url, {"area": "999999"}).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"), [("agent_a", 403), ("outsider", 404), ("owner_a", 403), ("nobody", 403)]
)
def test_sv_6_forms_pdf_is_for_who_runs_the_campaign(
    world: Any, login: Any, persona: str, status: int
) -> None:
    campaign = make_campaign(world, open_it=True)
    building = area_named(campaign, "1号楼")
    campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=building, count=1)
    url = reverse("surveys:forms_pdf", args=[campaign.reference])
    response = login(world.users[persona]).get(url, {"area": building.pk})
    assert response.status_code == status
    assert SurveyForm.objects.filter(printed_at__isnull=False).count() == 0


# --- outsiders see and change nothing --------------------------------------------------------------------


def _campaign_urls(campaign: Campaign) -> list[tuple[str, str, dict[str, Any]]]:
    area = CampaignArea.objects.filter(campaign=campaign).first()
    assert area is not None
    ref = campaign.reference
    return [
        ("get", reverse("surveys:campaign_detail", args=[ref]), {}),
        ("get", reverse("surveys:campaign_returns", args=[ref]), {}),
        ("get", reverse("surveys:forms_pdf", args=[ref]) + f"?area={area.pk}", {}),
        ("post", reverse("surveys:campaign_open", args=[ref]), {}),
        ("post", reverse("surveys:forms_make", args=[ref]), {"make-area": area.pk, "make-count": 1}),
        ("post", reverse("surveys:forms_hand_out", args=[ref]), {"hand-area": area.pk, "hand-count": 1}),
        ("post", reverse("surveys:area_waive", args=[ref]), {"waiver-area": area.pk, "waiver-reason": "x"}),
        ("post", reverse("surveys:waiver_withdraw", args=[ref, area.pk]), {}),
        ("post", reverse("surveys:campaign_close", args=[ref]), {}),
        ("post", reverse("surveys:campaign_cancel", args=[ref]), {"cancel-reason": "x"}),
    ]


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("owner_a", 403), ("nobody", 403)])
def test_outsiders_see_and_change_nothing_of_a_campaign(
    world: Any, login: Any, persona: str, status: int
) -> None:
    campaign = make_campaign(world)
    campaigns.forms_make(
        actor=world.supervisor_a, campaign=campaign, area=area_named(campaign, "1号楼"), count=1
    )
    client = login(world.users[persona])
    for method, url, data in _campaign_urls(campaign):
        response = getattr(client, method)(url, data)
        assert response.status_code == status, url
        html = response_text(response)
        assert campaign.title not in html, url
        assert 'data-testid="area-table"' not in html, url
    campaign.refresh_from_db()
    assert (campaign.status, campaign.last_serial) == (CampaignStatus.DRAFT, 1)
    assert SurveyForm.objects.filter(printed_at__isnull=False).count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(world: Any, client: Any) -> None:
    campaign = make_campaign(world)
    for method, url, data in _campaign_urls(campaign):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url


def test_campaign_addresses_do_not_take_other_survey_pages(world: Any) -> None:
    from django.urls import resolve

    for path in ("/surveys/mine/", "/surveys/reports/", "/surveys/catalogue/", "/surveys/schedules/"):
        assert resolve(path).url_name != "campaign_detail"
    assert resolve("/surveys/SV-QD-A-202611-01/").url_name == "campaign_detail"


# --- schedules ----------------------------------------------------------------------------------------------


def test_sv_1_schedule_made_from_the_page_and_stopped(world: Any, login: Any) -> None:
    client = login(world.supervisor_a)
    assert client.get(reverse("surveys:schedule_new")).status_code == 200
    response = client.post(
        reverse("surveys:schedule_new"),
        {
            "runner": "customer_service",
            "questionnaire": questionnaire_of(world.company).pk,
            "frequency": "quarterly",
            "next_period_start": "2027-01-01",
            "double_entry_percent": "0",
        },
    )
    assert response.status_code == 302
    schedule = SurveySchedule.objects.get()
    assert (schedule.frequency, schedule.next_period_start) == (Frequency.QUARTERLY, date(2027, 1, 1))
    html = response_text(client.get(reverse("surveys:schedule_list")))
    assert 'data-testid="schedule-row"' in html
    assert "2027-01-01" in html
    client.post(reverse("surveys:schedule_active", args=[schedule.pk]), {"is_active": "0"})
    assert SurveySchedule.objects.get().is_active is False


def test_schedules_are_scoped(world: Any, login: Any) -> None:
    schedule = campaigns.schedule_create(
        actor=world.supervisor_a,
        data=campaigns.ScheduleData(
            project=world.project_a,
            runner=Runner.CUSTOMER_SERVICE,
            questionnaire=questionnaire_of(world.company),
            frequency=Frequency.MONTHLY,
            next_period_start=date(2026, 12, 1),
        ),
    )
    outsider = login(world.outsider)
    listed = outsider.get(reverse("surveys:schedule_list"))
    assert listed.status_code == 200
    assert 'data-testid="no-schedules"' in response_text(listed)
    assert (
        outsider.post(reverse("surveys:schedule_active", args=[schedule.pk]), {"is_active": "0"}).status_code
        == 404
    )
    for persona in ("owner_a", "nobody"):
        assert login(world.users[persona]).get(reverse("surveys:schedule_list")).status_code == 403
        assert login(world.users[persona]).get(reverse("surveys:schedule_new")).status_code == 403
    assert (
        login(world.agent_a)
        .post(reverse("surveys:schedule_active", args=[schedule.pk]), {"is_active": "0"})
        .status_code
        == 403
    )
    assert SurveySchedule.objects.get().is_active is True


# --- the catalogue ----------------------------------------------------------------------------------------


def test_catalogue_is_read_only_for_staff_and_editable_by_hq(world: Any, login: Any) -> None:
    staff = login(world.supervisor_a).get(reverse("surveys:catalogue"))
    assert staff.status_code == 200
    html = response_text(staff)
    assert 'data-testid="read-only"' in html
    assert "物业服务质量意见征询表" in html
    assert "收费管理" in html
    assert 'data-testid="rules-form"' not in html
    assert "90.00%" in html
    hq = response_text(login(world.hq).get(reverse("surveys:catalogue")))
    assert 'data-testid="rules-form"' in hq
    assert 'data-testid="item-new-form"' in hq
    assert login(world.outsider).get(reverse("surveys:catalogue")).status_code == 200  # company-wide data


@pytest.mark.parametrize("persona", ["owner_a", "nobody"])
def test_catalogue_refuses_people_who_are_not_staff(world: Any, login: Any, persona: str) -> None:
    assert login(world.users[persona]).get(reverse("surveys:catalogue")).status_code == 403


def test_hq_edits_items_questionnaires_rules_and_routes(world: Any, login: Any) -> None:
    client = login(world.hq)
    client.get(reverse("surveys:catalogue"))
    # a new item
    response = client.post(
        reverse("surveys:catalogue_item_new"),
        {
            "new-code": "parking",
            "new-name": "停车管理",
            "new-name_en": "Parking",
            "new-department_kind": "order",
            "new-position": "90",
            "new-is_active": "on",
        },
    )
    assert response.status_code == 302
    parking = SurveyItem.objects.get(code="parking")
    # an item deactivated
    fees = SurveyItem.objects.get(code="fees")
    client.post(
        reverse("surveys:catalogue_item", args=[fees.pk]),
        {f"item{fees.pk}-code": "fees", f"item{fees.pk}-name": "收费管理", f"item{fees.pk}-position": "80"},
    )
    assert SurveyItem.objects.get(pk=fees.pk).is_active is False
    # a questionnaire: parking first, then cleaning
    cleaning = SurveyItem.objects.get(code="cleaning")
    response = client.post(
        reverse("surveys:questionnaire_new"),
        {
            "name": "停车专项调查表",
            "kind": "questionnaire",
            "greeting": "您好",
            "greeting_en": "Hello",
            "is_active": "on",
            f"item_{cleaning.pk}": "2",
            f"item_{parking.pk}": "1",
        },
    )
    assert response.status_code == 302
    questionnaire = Questionnaire.objects.get(name="停车专项调查表")
    assert [e.item.code for e in questionnaire.entries.select_related("item")] == ["parking", "cleaning"]
    # the rules and a route
    client.post(
        reverse("surveys:catalogue_rules"),
        {
            "rules-return_rate_threshold": "92.50",
            "rules-small_sample_below": "30",
            "rules-check_share_percent": "10",
            "rules-check_minimum_per_area": "1",
            "rules-report_reminder_days": "2",
        },
    )
    assert str(SurveyRules.objects.get(company=world.company).return_rate_threshold) == "92.50"
    route = ReportRoute.objects.get(company=world.company, runner="quality")
    client.post(
        reverse("surveys:catalogue_route", args=[route.pk]),
        {f"route{route.pk}-reviewer_roles": ["qa_manager"], f"route{route.pk}-audience": "departments"},
    )
    assert ReportRoute.objects.get(pk=route.pk).audience == "departments"


def test_questionnaire_without_items_is_refused_on_the_page(world: Any, login: Any) -> None:
    response = login(world.hq).post(
        reverse("surveys:questionnaire_new"),
        {"name": "空表", "kind": "questionnaire", "greeting": "您好", "greeting_en": "Hello"},
    )
    assert response.status_code == 400
    assert "Choose at least one item." in response_text(response)


def test_staff_read_a_questionnaire_but_cannot_change_the_catalogue(world: Any, login: Any) -> None:
    questionnaire = questionnaire_of(world.company)
    client = login(world.supervisor_a)
    page = client.get(reverse("surveys:questionnaire_edit", args=[questionnaire.pk]))
    assert page.status_code == 200
    assert 'data-testid="greeting"' in response_text(page)
    assert client.get(reverse("surveys:questionnaire_new")).status_code == 403
    assert (
        client.post(reverse("surveys:questionnaire_edit", args=[questionnaire.pk]), {"name": "x"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("surveys:catalogue_item_new"), {"new-code": "x", "new-name": "x", "new-position": "1"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("surveys:catalogue_rules"), {"rules-return_rate_threshold": "1"}).status_code
        == 403
    )
    assert not SurveyItem.objects.filter(code="x").exists()
    assert str(SurveyRules.objects.get(company=world.company).return_rate_threshold) == "90.00"


def test_owner_and_nobody_cannot_post_to_the_catalogue(world: Any, login: Any) -> None:
    questionnaire_of(world.company)
    for persona in ("owner_a", "nobody"):
        client = login(world.users[persona])
        assert (
            client.post(reverse("surveys:catalogue_item_new"), {"new-code": "y", "new-name": "y"}).status_code
            == 403
        )
    assert not SurveyItem.objects.filter(code="y").exists()
    assert Project.objects.count() == 3


def test_campaign_page_queries_do_not_grow_with_its_areas(world: Any, login: Any) -> None:
    campaign = make_campaign(world, open_it=True)
    set_returns(area_named(campaign, "1号楼"), handed_out=3, returned=2)
    campaigns.area_waive(actor=world.pm_a, area=area_named(campaign, "中心花园"), reason="施工")

    def add_rows() -> list[str]:
        names = []
        for number in range(2, 8):
            building = Building.objects.create(
                project=world.project_a, code=f"B{number}", name=f"{number}号楼"
            )
            area = CampaignArea.objects.create(campaign=campaign, area=building, position=number + 10)
            set_returns(area, handed_out=number, returned=1)
            campaigns.area_waive(actor=world.branch_manager, area=area, reason=f"原因{number}")
            names.append(f"{number}号楼")
        return names

    assert_queries_do_not_grow(login(world.pm_a), _detail(campaign), add_rows, ceiling=30)


def test_sv_6_a_big_area_prints_in_parts_by_serial(world: Any, login: Any) -> None:
    # given 1号楼 with 450 forms whose serials the garden's interrupt (1–250, then 261–460)
    campaign = make_campaign(world, open_it=True)
    building, garden = area_named(campaign, "1号楼"), area_named(campaign, "中心花园")
    for area, count in ((building, 250), (garden, 10), (building, 200)):
        campaigns.forms_make(actor=world.supervisor_a, campaign=campaign, area=area, count=count)
    client = login(world.supervisor_a)
    # then its runs of 200 start at No. 0001, 0201 and 0411
    row = _rows(response_text(client.get(_detail(campaign))))["1号楼"]
    assert re.findall(r'<option value="(\d)">from No\. (\d{4})</option>', row) == [
        ("1", "0001"),
        ("2", "0201"),
        ("3", "0411"),
    ]
    # and the third part is the last 50 forms, a page each
    response = client.get(
        reverse("surveys:forms_pdf", args=[campaign.reference]), {"area": building.pk, "part": 3}
    )
    assert response.status_code == 200
    printed = SurveyForm.objects.filter(printed_at__isnull=False)
    assert sorted(printed.values_list("serial", flat=True)) == list(range(411, 461))
