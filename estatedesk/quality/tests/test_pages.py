"""Nonconformity pages, the printable record and the API: who sees what (outsiders 404, anonymous to the
login or 401/403), the stage's forms only for who may act, and the PDF in Chinese."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from estatedesk.feedback.tests.helpers import api_for, assert_error, register
from estatedesk.quality.choices import Stage
from estatedesk.quality.models import Nonconformity
from estatedesk.quality.tests.helpers import manual, rated_c, walk_to


@pytest.fixture
def nc(visiting):
    return walk_to(visiting, manual(visiting), Stage.IN_PROGRESS)


def page_urls(nc):
    ref = nc.reference
    return [
        reverse("quality:list"),
        reverse("quality:figures"),
        reverse("quality:detail", args=[ref]),
        reverse("quality:pdf", args=[ref]),
        reverse("quality:evidence", args=[ref]),
    ]


POSTS = [
    "take_up",
    "analyse",
    "action_add",
    "start",
    "to_verification",
    "verify",
    "verification_visit",
    "cancel",
    "reopen",
]


def test_r_rv_4_outsider_gets_404_on_the_record_its_pdf_and_every_operation(visiting, login, nc):
    outsider = login(visiting.outsider)
    for url in page_urls(nc)[2:]:
        assert outsider.get(url).status_code == 404, url
    for name in POSTS:
        assert (
            outsider.post(reverse(f"quality:{name}", args=[nc.reference]), {"reason": "x"}).status_code == 404
        ), name
    action = nc.actions.get()
    assert (
        outsider.post(reverse("quality:action_done", args=[nc.reference, action.pk]), {}).status_code == 404
    )
    item = register(visiting)
    assert outsider.get(reverse("quality:create") + f"?item={item.reference}").status_code == 404


def test_r_rv_4_outsider_sees_none_of_a_in_the_list_and_figures(visiting, login, nc):
    outsider = login(visiting.outsider)
    page = outsider.get(reverse("quality:list"))
    assert page.status_code == 200
    assert nc.reference not in page.content.decode()
    figures = outsider.get(reverse("quality:figures"))
    assert figures.status_code == 200
    assert figures.context["figures"].open_total == 0


def test_r_rv_4_anonymous_is_sent_to_login(client, nc):
    for url in page_urls(nc):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url
    response = client.post(reverse("quality:cancel", args=[nc.reference]), {"reason": "x"})
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_r_rv_4_an_owner_sees_no_nonconformity(visiting, login, nc):
    owner = login(visiting.owner_a)
    assert owner.get(reverse("quality:list")).status_code == 403
    assert owner.get(reverse("quality:detail", args=[nc.reference])).status_code == 403


def test_r_rv_4_the_stage_forms_only_for_who_may_act(visiting, login, nc):
    # the action's owner records it done; the CS agent sees the record with nothing to do
    owner_page = login(visiting.executor_a).get(reverse("quality:detail", args=[nc.reference]))
    assert 'data-testid="done-form-' in owner_page.content.decode()
    agent_page = login(visiting.agent_a).get(reverse("quality:detail", args=[nc.reference])).content.decode()
    assert 'data-testid="done-form-' not in agent_page
    assert 'data-testid="no-steps"' in agent_page
    assert (
        'data-testid="cancel-form"'
        in login(visiting.pm_a).get(reverse("quality:detail", args=[nc.reference])).content.decode()
    )


def test_r_rv_4_verifier_who_owns_an_action_gets_no_verify_form(visiting, login):
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION, owner=visiting.qa_a)
    page = login(visiting.qa_a).get(reverse("quality:detail", args=[nc.reference])).content.decode()
    assert 'data-testid="verify-form"' not in page
    assert 'data-testid="verify-refusal"' in page
    other = login(visiting.qa_manager_a).get(reverse("quality:detail", args=[nc.reference])).content.decode()
    assert 'data-testid="verify-form"' in other


def test_r_rv_4_verify_without_evidence_on_the_page_is_refused(visiting, login):
    nc = walk_to(visiting, manual(visiting), Stage.VERIFICATION)
    client = login(visiting.qa_a)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("quality:verify", args=[nc.reference]), {"evidence": "", "result": "effective"}
    )
    assert response.status_code == 400
    assert "no close without evidence" in response.content.decode().lower()
    assert Nonconformity.objects.get(pk=nc.pk).stage == Stage.VERIFICATION


def test_r_rv_4_the_walk_on_the_pages(visiting, login):
    item = rated_c(visiting)
    nc = Nonconformity.objects.get(item=item)
    pm = login(visiting.pm_a)
    url = reverse("quality:detail", args=[nc.reference])
    assert (
        pm.post(
            reverse("quality:analyse", args=[nc.reference]),
            {"cause_category": "people", "severity": "minor", "cause": "未试水"},
        ).status_code
        == 302
    )
    assert pm.post(reverse("quality:start", args=[nc.reference])).status_code == 302
    assert Nonconformity.objects.get(pk=nc.pk).stage == Stage.ACTION_PLAN  # refused: no action yet
    response = pm.post(
        reverse("quality:action_add", args=[nc.reference]),
        {
            "kind": "corrective",
            "description": "重新维修",
            "owner": visiting.executor_a.pk,
            "due_on": "2099-01-01",
        },
    )
    assert response.status_code == 302
    assert pm.post(reverse("quality:start", args=[nc.reference])).status_code == 302
    assert Nonconformity.objects.get(pk=nc.pk).stage == Stage.IN_PROGRESS
    assert pm.get(url).status_code == 200


def test_r_rv_4_create_from_an_item_page_link(visiting, login):
    item = rated_c(visiting)
    client = login(visiting.qa_manager_a)
    url = reverse("quality:create") + f"?item={item.reference}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="existing"' in page.content.decode()
    response = client.post(
        url,
        {
            "origin": "item",
            "title": "维修质量",
            "description": "试水不到位",
            "survey_reference": "",
            "area": "",
        },
    )
    assert response.status_code == 302
    assert Nonconformity.objects.filter(item=item).count() == 2


def _pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils"
    path = tmp_path / "nc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_r_rv_4_the_record_prints_in_chinese(visiting, login, tmp_path):
    nc = walk_to(visiting, manual(visiting), Stage.CLOSED)
    response = login(visiting.pm_a).get(reverse("quality:pdf", args=[nc.reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(_pdf_text(response.content, tmp_path).split())
    for words in (
        "不合格项处理记录",
        "不合格事实",
        "原因分析",
        "维修工未按规程试水",
        "纠正措施",
        "效果验证",
        "现场复查无渗漏",
        "品质部验证签字",
        nc.reference,
    ):
        assert words in text, words


# --- API ------------------------------------------------------------------------------------------------


def api_urls(nc):
    ref = nc.reference
    return [reverse("api-quality-detail", args=[ref])] + [
        reverse(f"api-quality-{name}", args=[ref])
        for name in (
            "take-up",
            "analyse",
            "action-add",
            "start",
            "to-verification",
            "verify",
            "verification-visit",
            "cancel",
            "reopen",
        )
    ]


def test_r_rv_4_api_outsider_gets_404_and_anonymous_401(visiting, nc):
    outsider = api_for(visiting.outsider)
    assert_error(outsider.get(reverse("api-quality-detail", args=[nc.reference])), 404, "not_found")
    for url in api_urls(nc)[1:]:
        assert_error(outsider.post(url, {}, format="json"), 404, "not_found")
    action = nc.actions.get()
    assert_error(
        outsider.post(
            reverse("api-quality-action-done", args=[nc.reference, action.pk]), {"result": "x"}, format="json"
        ),
        404,
        "not_found",
    )
    listed = outsider.get(reverse("api-quality-list"))
    assert listed.status_code == 200
    assert listed.json()["count"] == 0
    assert outsider.get(reverse("api-quality-figures")).json()["open_total"] == 0
    from rest_framework.test import APIClient

    anonymous = APIClient()
    for url in [reverse("api-quality-list"), reverse("api-quality-figures"), api_urls(nc)[0]]:
        assert anonymous.get(url).status_code in (401, 403), url
    assert anonymous.post(api_urls(nc)[-1], {}, format="json").status_code in (401, 403)


def test_r_rv_4_api_walk_and_the_gates(visiting):
    qa = api_for(visiting.qa_manager_a)
    created = qa.post(
        reverse("api-quality-create"),
        {"project": "QD-A", "origin": "manual", "title": "保洁不到位", "description": "大堂地面有污渍"},
        format="json",
    )
    assert created.status_code == 201, created.content
    ref = created.json()["reference"]
    pm = api_for(visiting.pm_a)
    assert (
        pm.post(
            reverse("api-quality-analyse", args=[ref]),
            {"cause_category": "process", "severity": "minor", "cause": "排班缺漏"},
            format="json",
        ).status_code
        == 200
    )
    assert_error(
        pm.post(reverse("api-quality-start", args=[ref]), {}, format="json"), 409, "quality.no_action_plan"
    )
    action = pm.post(
        reverse("api-quality-action-add", args=[ref]),
        {"kind": "preventive", "description": "修订排班", "owner": visiting.qa_a.pk, "due_on": "2099-01-01"},
        format="json",
    )
    assert action.status_code == 201
    assert (
        pm.post(reverse("api-quality-start", args=[ref]), {}, format="json").json()["stage"] == "in_progress"
    )
    done = api_for(visiting.qa_a).post(
        reverse("api-quality-action-done", args=[ref, action.json()["id"]]),
        {"result": "已修订"},
        format="json",
    )
    assert done.status_code == 200
    assert (
        pm.post(reverse("api-quality-to-verification", args=[ref]), {}, format="json").json()["stage"]
        == "verification"
    )
    assert_error(
        api_for(visiting.qa_a).post(
            reverse("api-quality-verify", args=[ref]), {"evidence": "ok"}, format="json"
        ),
        403,
        "quality.verifier_owns_action",
    )
    assert_error(
        qa.post(reverse("api-quality-verify", args=[ref]), {"evidence": ""}, format="json"),
        400,
        "quality.invalid",
        {"evidence"},
    )
    closed = qa.post(reverse("api-quality-verify", args=[ref]), {"evidence": "抽查三次均合格"}, format="json")
    assert (closed.json()["stage"], closed.json()["verification_result"]) == ("closed", "effective")
    reopened = qa.post(
        reverse("api-quality-reopen", args=[ref]), {"reason": "再次发现"}, format="json"
    ).json()
    assert (reopened["stage"], reopened["closed_at"], reopened["reopen_count"]) == ("in_progress", None, 1)
    assert [row["kind"] for row in reopened["history"]][-1] == "reopened"


def test_api_schema_has_the_quality_operations(visiting):
    schema = api_for(visiting.pm_a).get(reverse("api-schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/quality/nonconformities/{reference}/verification/" in paths
    assert "/api/quality/figures/" in paths
