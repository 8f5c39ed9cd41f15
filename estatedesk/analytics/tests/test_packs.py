"""The monthly pack (issue 15, deliverables 3 and 5; R-FB-7): the figures and lists of a scope's month
frozen, sent once on the 1st at 08:00, made again as the next version, corrected in the next month's pack,
made on demand by the command, and read in the archive by those who may."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from estatedesk.analytics import packs
from estatedesk.analytics.choices import DeliveryStatus, PackTrigger
from estatedesk.analytics.metrics import metrics_report
from estatedesk.analytics.models import MonthlyPack, PackDelivery
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import branch_scope, company_scope
from estatedesk.analytics.tests.conftest import NOVEMBER, NOW, local
from estatedesk.common.errors import DomainError
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Membership
from estatedesk.quality.choices import Stage

FIRST_AT_EIGHT = local(2026, 12, 1, 8, 0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _worker_inside_the_test_transaction(monkeypatch):
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_queued_tasks() -> None:
    """What the worker process does: run every queued task once, then stop."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    assert not DBTaskResult.objects.failed().exists()


def pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils"
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def general_manager(month_world, django_user_model, *, email="gm@example.invalid"):
    user = django_user_model.objects.create_user(username="gm", password="x", display_name="gm", email=email)
    Membership.objects.create(
        user=user, role=Role.GENERAL_MANAGER, level=ScopeLevel.COMPANY, company=month_world.company
    )
    return user


def qd_pack(month_world, **extra):
    return packs.pack_generate(
        scope=branch_scope(month_world.branch_a),
        month=NOVEMBER,
        trigger=extra.pop("trigger", PackTrigger.SCHEDULE),
        now=extra.pop("now", NOW),
        **extra,
    )


# --- what a pack holds -------------------------------------------------------------------------------------


def test_fb_7_the_pack_holds_the_figures_of_metrics_for_its_scope_and_month(month_world):
    # given November's items, visits, nonconformities and reports of the company
    scope = company_scope(month_world.company)
    # when the company's pack is made at NOW
    pack = packs.pack_generate(scope=scope, month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW)
    # then its figures are metrics' for that scope and month, with the month before and a year earlier
    expected = metrics_report(scope=scope, period=Period.month(NOVEMBER), now=NOW).to_dict()
    for part in ("current", "previous", "year_earlier"):
        assert pack.figures[part]["figures"] == expected[part]["figures"]
        assert pack.figures[part]["breakdowns"] == expected[part]["breakdowns"]
        assert pack.figures[part]["units"] == expected[part]["units"]
    assert pack.figures["current"]["figures"]["feedback.total"]["value"] == 11
    assert pack.figures["current"]["figures"]["feedback.contact.on_time"]["text"] == "60.00%"
    assert (pack.version, pack.trigger, pack.scope_key, pack.month) == (1, "schedule", "company", NOVEMBER)
    assert pack.pdf.name.endswith(".pdf")
    assert pack.workbook.name.endswith(".xlsx")


def test_fb_7_the_pack_lists_major_incidents_hot_complaints_overdue_items_c_visits_and_scores(month_world):
    pack = packs.pack_generate(
        scope=company_scope(month_world.company), month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW
    )
    lists = pack.lists
    assert [r["reference"] for r in lists["major"]["rows"]] == ["MW-QD-A-A1", "MW-QD-B-B2"]
    assert lists["major"]["total"] == 2
    assert {r["reference"] for r in lists["hot"]["rows"]} == {"MW-QD-A-A3", "MW-JN-C-C1"}
    assert all(set(r) >= {"status_label", "reported_to_hq"} for r in lists["major"]["rows"])
    assert lists["overdue"]["total"] == 3
    c_visits = {r["visit"]: r for r in lists["c_visits"]["rows"]}
    assert set(c_visits) == {month_world.visits["V4"].pk, month_world.visits["V9"].pk}
    nc = c_visits[month_world.visits["V4"].pk]["nonconformities"]
    assert [n["reference"] for n in nc] == ["MW-NC-1"]
    assert nc[0]["stage"] == Stage.IN_PROGRESS
    assert c_visits[month_world.visits["V9"].pk]["nonconformities"] == []
    assert lists["scorecard"]["headline"]["expected"] == 3
    assert lists["scorecard"]["headline"]["on_time"] == 1
    assert sorted(r["code"] for r in lists["scorecard"]["rows"]) == ["JN", "QD"]


def test_fb_7_a_list_keeps_the_limit_and_its_total(month_world):
    from estatedesk.analytics.models import PackRules

    PackRules.objects.create(company=month_world.company, list_limit=5)
    pack = packs.pack_generate(
        scope=company_scope(month_world.company), month=NOVEMBER, trigger=PackTrigger.COMMAND, now=NOW
    )
    assert pack.lists["major"]["total"] == 2
    assert len(pack.lists["major"]["rows"]) == 2
    assert pack.lists["major"]["more"] == 0


@pytest.mark.real_pdf
def test_fb_7_a_branch_managers_pack_holds_nothing_of_another_branch(month_world, tmp_path):
    # given the other branch's (JN) items and visits of the month
    others = [item for name, item in month_world.items.items() if name.startswith("C")]
    assert others
    # when QD's pack is made
    pack = qd_pack(month_world)
    # then neither its JSON nor its PDF names any of them, nor the other branch's project
    stored = json.dumps([pack.figures, pack.lists, pack.corrections], ensure_ascii=False)
    with pack.pdf.open("rb") as handle:
        text = pdf_text(handle.read(), tmp_path)
    for item in others:
        assert item.reference not in stored
        assert item.title not in stored
        assert item.reference not in text
    assert month_world.project_b.name not in stored
    assert month_world.project_b.name not in text
    assert month_world.project_b.code not in stored
    assert "青岛分公司" in text
    assert pack.figures["current"]["figures"]["feedback.total"]["value"] == 8


# --- the scheduled run -------------------------------------------------------------------------------------


def test_fb_7_nothing_is_made_before_0800_on_the_1st(month_world):
    with time_machine.travel(local(2026, 12, 1, 7, 59), tick=False):
        assert packs.monthly_packs_make() == []
    assert not MonthlyPack.objects.exists()


def test_fb_7_the_run_at_0800_on_the_1st_makes_each_pack_once_even_run_twice(
    month_world, django_user_model, django_capture_on_commit_callbacks
):
    gm = general_manager(month_world, django_user_model)
    month_world.branch_manager.email = "bm@example.invalid"
    month_world.branch_manager.save(update_fields=["email"])
    # when the job runs at 08:00 on the 1st, and again an hour later
    with time_machine.travel(FIRST_AT_EIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        made = packs.monthly_packs_make()
    with (
        time_machine.travel(local(2026, 12, 1, 9, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = packs.monthly_packs_make()
    # then last month's packs of the company and each branch were made once
    assert sorted(p.scope_key for p in made) == ["branch:JN", "branch:QD", "company"]
    assert again == []
    assert MonthlyPack.objects.filter(month=NOVEMBER).count() == 3
    assert set(MonthlyPack.objects.values_list("version", flat=True)) == {1}
    # and each recipient has one delivery of their pack: the GM the company's, the branch manager QD's
    deliveries = {(d.user_id, d.pack.scope_key) for d in PackDelivery.objects.select_related("pack")}
    assert deliveries == {(gm.pk, "company"), (month_world.branch_manager.pk, "branch:QD")}
    run_queued_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == ["bm@example.invalid", "gm@example.invalid"]


def test_fb_7_a_run_missed_on_the_1st_is_caught_up_at_the_next_tick(month_world):
    with time_machine.travel(local(2026, 12, 3, 14, 0), tick=False):
        made = packs.monthly_packs_make()
    assert {p.month for p in made} == {NOVEMBER}
    assert len(made) == 3


def test_fb_7_two_workers_at_once_make_version_1_once(month_world, monkeypatch, caplog):
    # given another worker's pack, committed between this worker's checks and its insert: the checks
    # (the first two reads of the month's packs) do not see it yet
    scope = branch_scope(month_world.branch_a)
    other = packs.pack_generate(scope=scope, month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW)
    real_packs_of = packs.packs_of
    reads = []

    def packs_of_before_the_other_commits(**kwargs):
        reads.append(kwargs)
        return MonthlyPack.objects.none() if len(reads) <= 2 else real_packs_of(**kwargs)

    monkeypatch.setattr(packs, "packs_of", packs_of_before_the_other_commits)
    # when this worker makes its scheduled pack
    pack = packs.pack_generate(scope=scope, month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW)
    # then its insert failed on the unique constraint, and the other worker's pack is the one
    assert "made by another worker meanwhile" in caplog.text
    assert pack.pk == other.pk
    assert MonthlyPack.objects.filter(scope_key="branch:QD", month=NOVEMBER).count() == 1


def test_fb_7_the_unique_constraint_refuses_a_second_version_1(month_world):
    pack = qd_pack(month_world)
    with pytest.raises(IntegrityError):
        MonthlyPack.objects.create(
            company=pack.company,
            scope_kind=pack.scope_kind,
            scope_key=pack.scope_key,
            scope_label=pack.scope_label,
            month=NOVEMBER,
            version=1,
            trigger=PackTrigger.SCHEDULE,
            generated_at=NOW,
        )


def test_fb_7_the_job_is_registered_hourly_on_the_periodic_queue():
    from estatedesk.common.scheduling import periodic_jobs

    job = periodic_jobs()["analytics.monthly_packs"]
    assert job.task.queue_name == "periodic"


# --- regeneration and corrections --------------------------------------------------------------------------


def test_fb_7_a_regeneration_is_version_2_with_a_change_note(month_world):
    first = qd_pack(month_world)
    item = month_world.items["A4"]
    item.is_major = True
    item.save(update_fields=["is_major"])
    # when the CS supervisor of HQ (here: HQ) makes it again with a note
    second = packs.pack_regenerate(
        scope=branch_scope(month_world.branch_a),
        month=NOVEMBER,
        actor=month_world.hq,
        note="A4 was a major incident",
        now=NOW,
    )
    assert second.version == 2
    assert second.trigger == PackTrigger.REGENERATE
    assert second.generated_by == month_world.hq
    assert "2 → 3" in second.change_note  # the major incidents (figure and list)
    assert "A4 was a major incident" in second.change_note
    first.refresh_from_db()
    assert first.lists["major"]["total"] == 2  # the sent version is as it was


def test_fb_7_a_regeneration_needs_the_capability_and_a_note(month_world):
    qd_pack(month_world)
    scope = branch_scope(month_world.branch_a)
    with pytest.raises(PermissionDenied):
        packs.pack_regenerate(
            scope=scope, month=NOVEMBER, actor=month_world.branch_manager, note="x", now=NOW
        )
    with pytest.raises(DomainError) as error:
        packs.pack_regenerate(scope=scope, month=NOVEMBER, actor=month_world.hq, note="  ", now=NOW)
    assert error.value.code == "analytics.pack_note_required"


def test_fb_7_a_late_correction_leaves_the_sent_pack_and_is_a_line_of_the_next_months_pack(month_world):
    # given November's pack of QD, sent
    november = qd_pack(month_world)
    with november.pdf.open("rb") as handle:
        sent_pdf = handle.read()
    sent_figures = json.dumps(november.figures, sort_keys=True)
    # when an item of November is marked hot afterwards
    item = month_world.items["A2"]
    item.is_hot = True
    item.save(update_fields=["is_hot"])
    # then the sent pack is unchanged
    november.refresh_from_db()
    assert json.dumps(november.figures, sort_keys=True) == sent_figures
    with november.pdf.open("rb") as handle:
        assert handle.read() == sent_pdf
    # and December's pack carries the correction line
    december = packs.pack_generate(
        scope=branch_scope(month_world.branch_a),
        month=date(2026, 12, 1),
        trigger=PackTrigger.SCHEDULE,
        now=local(2027, 1, 1, 8, 0),
    )
    hot = [line for line in december.corrections if line["key"] == "feedback.hot"]
    assert [(line["month"], line["was"], line["now"]) for line in hot] == [("2026-11", "1", "2")]
    assert not [line for line in december.corrections if line["key"] == "feedback.open"]  # as of now
    # and a later pack does not report it again
    january = packs.pack_generate(
        scope=branch_scope(month_world.branch_a),
        month=date(2027, 1, 1),
        trigger=PackTrigger.SCHEDULE,
        now=local(2027, 2, 1, 8, 0),
    )
    assert not [line for line in january.corrections if line["key"] == "feedback.hot"]


# --- email -------------------------------------------------------------------------------------------------


def test_fb_7_each_recipient_gets_the_pdf_attached_and_one_without_address_is_marked(
    month_world, django_user_model, django_capture_on_commit_callbacks
):
    general_manager(month_world, django_user_model, email="")
    month_world.branch_manager.email = "bm@example.invalid"
    month_world.branch_manager.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        company = packs.pack_generate(
            scope=company_scope(month_world.company), month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW
        )
        branch = qd_pack(month_world)
    run_queued_tasks()
    assert company.deliveries.get().status == DeliveryStatus.NO_EMAIL
    delivery = branch.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bm@example.invalid"]
    assert "2026-11" in message.subject
    [(name, content, mimetype)] = message.attachments
    assert name.endswith(".pdf")
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    # a duplicated task sends nothing more
    assert packs.pack_delivery_send(delivery_id=delivery.pk) is False
    assert len(mail.outbox) == 1


# --- the command -------------------------------------------------------------------------------------------


@pytest.mark.real_pdf
def test_fb_7_the_command_writes_a_pdf_with_chinese_text_and_a_workbook(month_world, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "out"
    stdout = StringIO()
    call_command("monthly_pack", "--month", "2026-11", "--scope", "QD", "--out", str(out), stdout=stdout)
    printed = stdout.getvalue().splitlines()
    assert printed[0] == str(out)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["pack-2026-11-branch-QD-v1.pdf", "pack-2026-11-branch-QD-v1.xlsx"]
    assert all(f"  {name}" in printed for name in files)
    text = pdf_text((out / files[0]).read_bytes(), tmp_path)
    assert "月度报告" in text
    assert "青岛分公司" in text
    assert "MW-QD-A-A1" in text
    workbook = load_workbook(out / files[1])
    assert len(workbook.sheetnames) > 5
    pack = MonthlyPack.objects.get()
    assert pack.trigger == PackTrigger.COMMAND
    # and again: the next version
    call_command("monthly_pack", "--month", "2026-11", "--scope", "QD", "--out", str(out), stdout=StringIO())
    assert list(MonthlyPack.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_fb_7_the_command_makes_the_company_and_every_branch_by_default(month_world, tmp_path):
    call_command("monthly_pack", "--month", "2026-11", "--out", str(tmp_path), stdout=StringIO())
    assert sorted(MonthlyPack.objects.values_list("scope_key", flat=True)) == [
        "branch:JN",
        "branch:QD",
        "company",
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--month", "2026-13"], "not a month"),
        (["--month", "2026"], "not a month"),
        (["--month", "2026-11", "--scope", "XX"], "no branch or project"),
    ],
)
def test_fb_7_the_command_refuses_a_bad_month_or_an_unknown_scope(month_world, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("monthly_pack", *arguments)
    assert not MonthlyPack.objects.exists()


# --- pages -------------------------------------------------------------------------------------------------


def pack_urls(pack):
    return [
        reverse("analytics:pack_detail", args=[pack.pk]),
        reverse("analytics:pack_pdf", args=[pack.pk]),
        reverse("analytics:pack_workbook", args=[pack.pk]),
    ]


def test_fb_7_an_outsider_gets_404_on_each_pack_url(month_world, login):
    pack = qd_pack(month_world)
    client = login(month_world.outsider)
    for url in pack_urls(pack):
        assert client.get(url).status_code == 404
    response = client.post(reverse("analytics:pack_regenerate"), {"pack": pack.pk, "note": "x"})
    assert response.status_code == 404


def test_fb_7_a_branch_manager_cannot_download_another_branchs_pack(month_world, login):
    other = packs.pack_generate(
        scope=branch_scope(month_world.branch_b), month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW
    )
    client = login(month_world.branch_manager)
    for url in pack_urls(other):
        assert client.get(url).status_code == 404


def test_fb_7_the_archive_lists_the_users_packs_and_the_pack_page_records_the_first_opening(
    month_world, login
):
    mine = qd_pack(month_world)
    packs.pack_generate(
        scope=branch_scope(month_world.branch_b), month=NOVEMBER, trigger=PackTrigger.SCHEDULE, now=NOW
    )
    client = login(month_world.branch_manager)
    page = client.get(reverse("analytics:pack_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="pack-row"') == 1
    assert f'data-pack="{mine.pk}"' in html
    delivery = mine.deliveries.get(user=month_world.branch_manager)
    assert delivery.opened_at is None
    detail = client.get(reverse("analytics:pack_detail", args=[mine.pk]))
    assert detail.status_code == 200
    assert "MW-QD-A-A1" in detail.content.decode()
    delivery.refresh_from_db()
    assert delivery.opened_at is not None
    pdf = client.get(reverse("analytics:pack_pdf", args=[mine.pk]))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_fb_7_the_archive_title_is_the_menu_label(month_world, login):
    from django.utils import translation

    client = login(month_world.hq)
    html = client.get(reverse("analytics:pack_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("en"):
        assert '<h1 class="page-title" data-testid="pack-list-title">Monthly packs</h1>' in html


def test_fb_7_someone_without_the_capability_is_refused_the_archive(month_world, login):
    assert login(month_world.agent_a).get(reverse("analytics:pack_list")).status_code == 403


def test_fb_7_the_regenerate_form_makes_version_2(month_world, login):
    pack = qd_pack(month_world)
    client = login(month_world.hq)
    assert client.post(reverse("analytics:pack_regenerate"), {"pack": pack.pk, "note": ""}).status_code == 302
    assert MonthlyPack.objects.count() == 1
    response = client.post(reverse("analytics:pack_regenerate"), {"pack": pack.pk, "note": "corrected A4"})
    second = MonthlyPack.objects.get(version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:pack_detail", args=[second.pk])
    assert "corrected A4" in second.change_note


def test_fb_7_the_archive_reads_a_bounded_number_of_queries(
    month_world, login, django_assert_max_num_queries
):
    for scope in (company_scope(month_world.company), branch_scope(month_world.branch_a)):
        packs.pack_generate(
            scope=scope, month=NOVEMBER, trigger=PackTrigger.COMMAND, now=NOW, send_email=False
        )
        packs.pack_generate(
            scope=scope, month=NOVEMBER, trigger=PackTrigger.COMMAND, now=NOW, send_email=False
        )
    client = login(month_world.hq)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("analytics:pack_list"))
    assert response.content.decode().count('data-testid="pack-row"') == 2


def test_fb_7_the_command_mails_nobody_unless_asked(
    month_world, tmp_path, django_capture_on_commit_callbacks
):
    """A pack made by hand to look at is not mailed to the general manager; --send mails it."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "monthly_pack", "--month", "2026-11", "--scope", "QD", "--out", str(tmp_path), stdout=StringIO()
        )
    assert not PackDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "monthly_pack",
            "--month",
            "2026-11",
            "--scope",
            "QD",
            "--send",
            "--out",
            str(tmp_path),
            stdout=StringIO(),
        )
    assert PackDelivery.objects.filter(pack__version=2).exists()
