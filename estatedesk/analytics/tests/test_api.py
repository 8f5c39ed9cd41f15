"""The analytics API (issue 15, deliverable 6; R-FB-7 and the figures' rule IDs): each endpoint for a user
who may and for one who may not (404 for what is out of reach, 403 for a missing capability), and the
metrics endpoint answering exactly `metrics_report(...).to_dict()` for the same scope and period
(deliverable 5, fidelity)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from estatedesk.analytics import packs
from estatedesk.analytics.alerts import alerts_check
from estatedesk.analytics.choices import AlertComparison, AlertMetric, AlertWindow, PackTrigger
from estatedesk.analytics.metrics import metrics_report
from estatedesk.analytics.models import AlertRule, MonthlyPack
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import branch_scope, company_scope
from estatedesk.analytics.tests.conftest import NOVEMBER, NOW, local
from estatedesk.feedback.models import FeedbackItem

API = "/api/analytics/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _json(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# --- scopes -------------------------------------------------------------------------------------------------


def test_scopes_are_those_the_user_may_view(world: Any, login: Any) -> None:
    keys = {
        name: [row["key"] for row in login(world.users[name]).get(f"{API}scopes/").json()]
        for name in ("hq", "branch_manager", "pm_a", "outsider")
    }
    assert keys == {
        "hq": ["company", "branch:JN", "branch:QD", "project:JN-C", "project:QD-A", "project:QD-B"],
        "branch_manager": ["branch:QD", "project:QD-A", "project:QD-B"],
        "pm_a": ["project:QD-A"],
        "outsider": ["project:JN-C"],
    }
    assert login(world.owner_a).get(f"{API}scopes/").status_code == 403
    assert login(world.nobody).get(f"{API}scopes/").status_code == 403


# --- metrics ------------------------------------------------------------------------------------------------


def test_fb_7_the_metrics_endpoint_is_metrics_report_to_dict(
    month_world: Any, login: Any, month_now: Any
) -> None:
    # given the fixed November (clock stopped at NOW, so `computed_at` is the same instant)
    scope = branch_scope(month_world.branch_a)
    expected = metrics_report(scope=scope, period=Period.month(NOVEMBER)).to_dict()
    # when the branch manager asks the API for the same scope and period
    response = login(month_world.branch_manager).get(
        f"{API}metrics/", {"scope": "branch:QD", "period": "2026-11"}
    )
    # then the answer is the metrics layer's dictionary to the character
    assert response.status_code == 200
    assert response.json() == _json(expected)
    assert response.json()["current"]["figures"]["feedback.total"]["value"] == 8  # QD-A 6 + QD-B 2


def test_fb_7_the_company_figures_of_november(month_world: Any, login: Any, month_now: Any) -> None:
    figures = login(month_world.hq).get(f"{API}metrics/", {"scope": "company", "period": "2026-11"}).json()
    current = figures["current"]["figures"]
    assert (current["feedback.total"]["value"], current["feedback.contact.on_time"]["value"]) == (11, "60.00")
    assert current["feedback.contact.on_time"]["text"] == "60.00%"
    assert (figures["previous"]["period"]["text"], figures["year_earlier"]["period"]["text"]) == (
        "2026-10",
        "2025-11",
    )


def test_the_metrics_endpoint_defaults_to_the_widest_scope_and_this_month(
    month_world: Any, login: Any, month_now: Any
) -> None:
    body = login(month_world.branch_manager).get(f"{API}metrics/").json()
    assert (body["current"]["scope"]["key"], body["current"]["period"]["text"]) == ("branch:QD", "2026-12")


@pytest.mark.parametrize("period", ["2026-13", "soon", "2026-11-20..2026-11-03", "2026-Q5"])
def test_a_bad_period_is_400_with_its_code(world: Any, login: Any, period: str) -> None:
    response = login(world.hq).get(f"{API}metrics/", {"scope": "company", "period": period})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("analytics.period_invalid", ["period"])
    assert body["message"]


def test_a_branch_manager_asking_for_another_branch_gets_404(world: Any, login: Any) -> None:
    client = login(world.branch_manager)
    for scope in ("branch:JN", "project:JN-C", "company", "branch:XX"):
        response = client.get(f"{API}metrics/", {"scope": scope, "period": "2026-11"})
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_an_outsider_gets_404_for_project_a(world: Any, login: Any) -> None:
    response = login(world.outsider).get(f"{API}metrics/", {"scope": "project:QD-A", "period": "2026-11"})
    assert response.status_code == 404


def test_someone_who_views_no_scope_gets_403(world: Any, login: Any) -> None:
    assert login(world.agent_a).get(f"{API}metrics/").status_code == 403


# --- drill-down ---------------------------------------------------------------------------------------------


def test_fb_7_the_drilldown_lists_the_items_behind_the_total(
    month_world: Any, login: Any, month_now: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(month_world.branch_manager)
    with django_assert_max_num_queries(20):
        response = client.get(
            f"{API}drilldown/",
            {"scope": "branch:QD", "period": "2026-11", "figure": "feedback.total", "unit": "project:QD-A"},
        )
    assert response.status_code == 200
    body = response.json()
    expected = FeedbackItem.objects.filter(
        project=month_world.project_a, registered_at__gte=local(2026, 11, 1)
    )
    expected = expected.filter(registered_at__lt=local(2026, 12, 1))
    assert (body["figure"], body["source"], body["total"], body["count"]) == (
        "feedback.total",
        "feedback",
        6,
        6,
    )
    assert sorted(row["reference"] for row in body["results"]) == sorted(
        expected.values_list("reference", flat=True)
    )
    row = body["results"][0]
    assert set(row) == {"reference", "title", "project", "status", "date", "url"}
    assert row["project"] == "QD-A"
    assert row["url"].startswith("http://testserver/")


def test_the_drilldown_refuses_an_unknown_figure(world: Any, login: Any) -> None:
    response = login(world.hq).get(
        f"{API}drilldown/", {"scope": "company", "period": "2026-11", "figure": "nope"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "analytics.unknown_figure")


def test_an_outsider_cannot_drill_into_project_a(world: Any, login: Any) -> None:
    response = login(world.outsider).get(
        f"{API}drilldown/", {"scope": "project:QD-A", "period": "2026-11", "figure": "feedback.total"}
    )
    assert response.status_code == 404


# --- packs --------------------------------------------------------------------------------------------------


def _pack(scope: Any) -> MonthlyPack:
    return packs.pack_generate(scope=scope, month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW)


def test_fb_7_a_branch_manager_lists_and_reads_their_branch_pack_only(month_world: Any, login: Any) -> None:
    qd, jn = _pack(branch_scope(month_world.branch_a)), _pack(branch_scope(month_world.branch_b))
    client = login(month_world.branch_manager)
    listed = client.get(f"{API}packs/").json()
    assert [row["id"] for row in listed["results"]] == [qd.pk]
    detail = client.get(f"{API}packs/{qd.pk}/").json()
    assert (detail["scope"], detail["month"], detail["version"]) == ("branch:QD", "2026-11", 1)
    assert detail["figures"] == qd.figures  # stored, never recomputed
    assert (detail["lists"], detail["corrections"]) == (qd.lists, qd.corrections)
    assert detail["pdf"].endswith(f"/api/analytics/packs/{qd.pk}/pdf/")
    assert [v["id"] for v in detail["versions"]] == [qd.pk]
    pdf = client.get(f"{API}packs/{qd.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    workbook = client.get(f"{API}packs/{qd.pk}/workbook/")
    assert workbook.status_code == 200
    assert b"".join(workbook.streaming_content)[:2] == b"PK"
    # and nothing of JN
    for url in (f"{API}packs/{jn.pk}/", f"{API}packs/{jn.pk}/pdf/", f"{API}packs/{jn.pk}/workbook/"):
        assert client.get(url).status_code == 404
    assert client.get(f"{API}packs/", {"scope": "branch:JN"}).status_code == 404


def test_fb_7_packs_filter_by_scope_and_month(month_world: Any, login: Any) -> None:
    qd, jn = _pack(branch_scope(month_world.branch_a)), _pack(branch_scope(month_world.branch_b))
    client = login(month_world.hq)
    assert [r["id"] for r in client.get(f"{API}packs/", {"scope": "branch:JN"}).json()["results"]] == [jn.pk]
    assert {r["id"] for r in client.get(f"{API}packs/", {"month": "2026-11"}).json()["results"]} == {
        qd.pk,
        jn.pk,
    }
    assert client.get(f"{API}packs/", {"month": "2026-10"}).json()["results"] == []
    bad = client.get(f"{API}packs/", {"month": "2026-Q4"})
    assert (bad.status_code, bad.json()["code"]) == (400, "analytics.month_invalid")


def test_fb_7_outsider_and_owner_reach_no_pack(month_world: Any, login: Any) -> None:
    qd = _pack(branch_scope(month_world.branch_a))
    outsider = login(month_world.outsider)
    assert outsider.get(f"{API}packs/").json()["results"] == []
    assert outsider.get(f"{API}packs/{qd.pk}/").status_code == 404
    assert login(month_world.owner_a).get(f"{API}packs/").status_code == 403


def test_fb_7_regenerate_makes_version_2_for_those_who_may(month_world: Any, login: Any) -> None:
    first = _pack(company_scope(month_world.company))
    response = login(month_world.hq).post(
        f"{API}packs/regenerate/",
        {"scope": "company", "month": "2026-11", "note": "补录了一条投诉"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["trigger"]) == (2, "regenerate")
    assert "补录了一条投诉" in body["change_note"]
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert MonthlyPack.objects.get(pk=first.pk).version == 1


def test_fb_7_regenerate_is_refused_out_of_reach_or_without_the_capability(
    month_world: Any, login: Any
) -> None:
    body = {"scope": "branch:JN", "month": "2026-11", "note": "x"}
    response = login(month_world.branch_manager).post(
        f"{API}packs/regenerate/", body, content_type="application/json"
    )
    assert response.status_code == 404  # not a scope the branch manager may view
    mine = {**body, "scope": "branch:QD"}
    response = login(month_world.branch_manager).post(
        f"{API}packs/regenerate/", mine, content_type="application/json"
    )
    assert response.status_code == 403  # the branch manager may not make packs again
    no_note = login(month_world.hq).post(
        f"{API}packs/regenerate/", {**mine, "note": " "}, content_type="application/json"
    )
    assert no_note.status_code == 400
    assert MonthlyPack.objects.count() == 0


# --- alerts -------------------------------------------------------------------------------------------------


def _breach(world: Any, capture: Any) -> Any:
    AlertRule.objects.create(
        company=world.company,
        name="项目本周联系主管及时率低于80%",
        metric=AlertMetric.CONTACT_ON_TIME,
        comparison=AlertComparison.BELOW,
        threshold=Decimal(80),
        window=AlertWindow.WEEK,
        minimum_count=5,
    )
    monday = local(2026, 11, 9, 9)
    for n in range(5):
        due = monday + timedelta(minutes=30 + n)
        FeedbackItem.objects.create(
            reference=f"API-{n}",
            project=world.project_a,
            channel="hotline",
            kind="repair",
            category="engineering",
            title="漏水",
            description="漏水",
            registered_at=monday + timedelta(minutes=n),
            contact_due_at=due,
            contacted_at=due + timedelta(minutes=5 if n < 2 else -5),  # 3 of 5 on time: 60%
        )
    with capture(execute=True):
        (breach,) = alerts_check(now=datetime(2026, 11, 11, 10, tzinfo=monday.tzinfo))
    return breach


def test_alerts_are_listed_to_the_projects_people_only(
    world: Any, login: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    breach = _breach(world, django_capture_on_commit_callbacks)
    client = login(world.pm_a)
    with django_assert_max_num_queries(12):
        body = client.get(f"{API}alerts/").json()
    assert [(r["id"], r["value"], r["value_text"], r["counted"], r["window"]) for r in body["results"]] == [
        (breach.pk, "60.00", "60.00%", 5, "2026-11-09..2026-11-15")
    ]
    assert body["results"][0]["project"] == "QD-A"
    assert login(world.outsider).get(f"{API}alerts/").json()["results"] == []
    assert login(world.owner_a).get(f"{API}alerts/").status_code == 403


def test_alert_rules_are_written_by_those_who_manage_alerts_only(world: Any, login: Any) -> None:
    new = {
        "name": "本月重大事件",
        "metric": "major_incidents",
        "comparison": "at_least",
        "threshold": "1",
        "window": "month",
        "minimum_count": 1,
    }
    for persona in ("branch_manager", "pm_a", "outsider"):
        client = login(world.users[persona])
        assert client.get(f"{API}alert-rules/").status_code == 403
        assert client.post(f"{API}alert-rules/", new, content_type="application/json").status_code == 403
    hq = login(world.hq)
    created = hq.post(f"{API}alert-rules/", new, content_type="application/json")
    assert created.status_code == 201
    rule_id = created.json()["id"]
    assert [r["name"] for r in hq.get(f"{API}alert-rules/").json()] == ["本月重大事件"]
    url = f"{API}alert-rules/{rule_id}/"
    assert (
        login(world.branch_manager)
        .patch(url, {"threshold": "5"}, content_type="application/json")
        .status_code
        == 403
    )
    changed = hq.patch(url, {"threshold": "2", "is_active": False}, content_type="application/json")
    assert (changed.status_code, changed.json()["threshold"], changed.json()["is_active"]) == (
        200,
        "2.00",
        False,
    )
    assert AlertRule.objects.get(pk=rule_id).threshold == Decimal(2)


def test_a_rate_rule_above_100_percent_is_400(world: Any, login: Any) -> None:
    response = login(world.hq).post(
        f"{API}alert-rules/",
        {
            "name": "x",
            "metric": "contact_on_time",
            "comparison": "below",
            "threshold": "120",
            "window": "week",
            "minimum_count": 5,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == (
        "analytics.alert_rule_invalid",
        ["threshold"],
    )


def test_a_missing_rule_is_404(world: Any, login: Any) -> None:
    response = login(world.hq).patch(
        f"{API}alert-rules/999999/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_the_window_is_a_period_the_dashboard_takes(world: Any) -> None:
    from estatedesk.analytics.alerts import window_of
    from estatedesk.analytics.periods import parse_period

    window = window_of(AlertWindow.WEEK, now=local(2026, 11, 15, 23, 59))
    assert (window.start, window.end, parse_period(window.text)) == (
        date(2026, 11, 9),
        date(2026, 11, 16),
        window,
    )
