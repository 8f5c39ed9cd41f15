"""Formal documents (R-IR-6): HQ's document administrator registers what a branch, a project or someone
outside sent and forwards it to leaders or departments (a delivery per person, who forwarded it and when);
HQ sends documents to projects' managers or document administrators; each recipient's first reading is
kept; the unread are reminded once a day at most; nobody else sees the document or its file."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow, response_text
from estatedesk.notifications.models import Notification
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Department, Membership
from estatedesk.reporting import noticeboard
from estatedesk.reporting.choices import DocumentDirection
from estatedesk.reporting.models import Document, DocumentDelivery

PASSWORD = "persona-pass-2026"  # noqa: S105 - test personas only
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def member(world: Any, django_user_model: Any, username: str, role: str, **node: Any) -> Any:
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if node.get("project"):
        level = ScopeLevel.PROJECT
    elif node.get("branch"):
        level = ScopeLevel.BRANCH
    else:
        level = ScopeLevel.COMPANY
    Membership.objects.create(user=user, role=role, level=level, company=world.company, **node)
    return user


@pytest.fixture
def hq(world: Any, django_user_model: Any, settings: Any, tmp_path: Any) -> SimpleNamespace:
    """HQ's document administrator, two leaders and a third one, HQ's QA department with two members, a
    branch document administrator (of branch A, not HQ's)."""
    settings.MEDIA_ROOT = tmp_path
    qa = Department.objects.create(company=world.company, kind=DepartmentKind.QUALITY, name="品质部")
    return SimpleNamespace(
        doc_admin=member(world, django_user_model, "doc_admin", Role.DOC_ADMIN),
        gm=member(world, django_user_model, "gm", Role.GENERAL_MANAGER),
        leader=member(world, django_user_model, "leader", Role.LEADER),
        other_leader=member(world, django_user_model, "other_leader", Role.LEADER),
        qa=qa,
        qa_one=member(world, django_user_model, "qa_one", Role.QA_MANAGER, department=qa),
        qa_two=member(world, django_user_model, "qa_two", Role.QA_STAFF, department=qa),
        branch_doc_admin=member(
            world, django_user_model, "branch_doc_admin", Role.DOC_ADMIN, branch=world.branch_a
        ),
    )


def pdf(name: str = "关于安全检查的通知.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 formal document", content_type="application/pdf")


def register(client: Client, hq: SimpleNamespace, **extra: Any) -> Any:
    data = {
        "title": "青岛分公司关于台风应急的报告",
        "sender": "青岛分公司",
        "summary": "台风期间的应急安排",
        "file": pdf(),
        "users": [hq.gm.pk, hq.leader.pk],
        "departments": [hq.qa.pk],
        "note": "请阅示",
        **extra,
    }
    return client.post(reverse("reporting:document_new"), data)


def detail(document: Document) -> str:
    return reverse("reporting:document_detail", args=[document.pk])


def file_url(document: Document) -> str:
    return reverse("reporting:document_file", args=[document.pk])


def test_ir_6_a_document_forwarded_to_two_leaders_and_a_department_is_one_delivery_per_person(
    world, login, hq
):
    moment = at(2026, 12, 2, 9, 30)
    with time_machine.travel(moment, tick=False):
        response = register(login(hq.doc_admin), hq, from_branch=world.branch_a.pk)
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(document)
    assert document.direction == DocumentDirection.INBOUND
    assert document.registered_by == hq.doc_admin
    assert document.from_branch == world.branch_a
    deliveries = {d.user.username: d for d in DocumentDelivery.objects.select_related("user", "department")}
    assert sorted(deliveries) == ["gm", "leader", "qa_one", "qa_two"]
    for delivery in deliveries.values():
        assert delivery.forwarded_by == hq.doc_admin
        assert delivery.forwarded_at == moment
        assert delivery.read_at is None
        assert delivery.note == "请阅示"
    assert deliveries["qa_one"].department == hq.qa
    assert deliveries["gm"].department is None
    assert Notification.objects.filter(url=detail(document)).count() == 4


def test_ir_6_forwarding_again_adds_only_the_people_who_do_not_have_it(world, login, hq):
    register(login(hq.doc_admin), hq, users=[hq.gm.pk], departments=[])
    document = Document.objects.get()
    response = login(hq.doc_admin).post(
        reverse("reporting:document_forward", args=[document.pk]),
        {"users": [hq.gm.pk, hq.leader.pk], "departments": [hq.qa.pk]},
    )
    assert response.status_code == 302
    assert sorted(document.deliveries.values_list("user__username", flat=True)) == [
        "gm",
        "leader",
        "qa_one",
        "qa_two",
    ]
    # a leader who is also in a chosen department gets it once
    Membership.objects.filter(user=hq.other_leader).update(department=hq.qa)
    rows = noticeboard.document_forward(
        actor=hq.doc_admin,
        document=document,
        recipients=noticeboard.Recipients(users=[hq.other_leader], departments=[hq.qa]),
    )
    assert [row.user for row in rows] == [hq.other_leader]
    assert document.deliveries.filter(user=hq.other_leader).count() == 1


def test_ir_6_a_recipients_first_opening_is_kept_and_nobody_elses_counts(world, login, hq):
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    first = at(2026, 12, 3, 8, 0)
    with time_machine.travel(first, tick=False):
        assert login(hq.doc_admin).get(detail(document)).status_code == 200  # the registrar: no delivery
        assert login(world.hq).get(detail(document)).status_code == 200
        assert not DocumentDelivery.objects.filter(read_at__isnull=False).exists()
        assert login(hq.gm).get(detail(document)).status_code == 200
    with time_machine.travel(first + timedelta(hours=5), tick=False):
        page = login(hq.gm).get(detail(document))
        assert login(hq.gm).get(file_url(document)).status_code == 200
    assert DocumentDelivery.objects.get(user=hq.gm).read_at == first
    assert "2026-12-03 08:00" in response_text(page)
    unread = DocumentDelivery.objects.filter(read_at__isnull=True).values_list("user__username", flat=True)
    assert sorted(unread) == ["leader", "qa_one", "qa_two"]
    # opening the file counts as reading it
    with time_machine.travel(first + timedelta(hours=6), tick=False):
        login(hq.leader).get(file_url(document))
    assert DocumentDelivery.objects.get(user=hq.leader).read_at == first + timedelta(hours=6)


def test_ir_6_the_keeper_sees_each_recipients_forwarding_and_reading(world, login, hq):
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    with time_machine.travel(at(2026, 12, 3, 10, 15), tick=False):
        login(hq.leader).get(detail(document))
    text = response_text(login(hq.doc_admin).get(detail(document)))
    assert text.count('data-testid="delivery-row"') == 4
    assert "2026-12-03 10:15" in text
    assert "品质部" in text
    # a recipient does not see who else got it, nor their reading times
    assert 'data-testid="delivery-row"' not in response_text(login(hq.gm).get(detail(document)))
    listing = response_text(login(hq.doc_admin).get(reverse("reporting:document_list")))
    assert "2/4" in listing  # the leader and the general manager opened it


def test_ir_6_someone_not_forwarded_the_document_gets_404(world, login, hq, django_user_model):
    register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    api = reverse("api-reporting-document", args=[document.pk])
    for persona in (hq.other_leader, hq.branch_doc_admin, world.pm_a, world.branch_manager, world.outsider):
        client = login(persona)
        assert client.get(detail(document)).status_code == 404
        assert client.get(file_url(document)).status_code == 404
        assert client.get(api).status_code == 404
        assert (
            client.post(
                reverse("reporting:document_forward", args=[document.pk]), {"users": [persona.pk]}
            ).status_code
            == 404
        )
        assert "台风" not in response_text(client.get(reverse("reporting:document_list")))
        assert client.get(reverse("api-reporting-documents")).json()["results"] == []
    for persona in (world.nobody, world.owner_a):
        client = login(persona)
        for url in (
            detail(document),
            file_url(document),
            reverse("reporting:document_list"),
            reverse("reporting:document_new"),
        ):
            response = client.get(url)
            assert response.status_code == 403, url
            assert "台风" not in response_text(response)
        assert client.get(api).status_code in (403, 404)
        assert client.get(reverse("api-reporting-documents")).status_code == 403
    assert Client().get(api).status_code == 401
    assert not DocumentDelivery.objects.filter(read_at__isnull=False).exists()


def test_ir_6_only_hqs_document_administrator_registers_forwards_and_sends(world, login, hq):
    for persona in (hq.branch_doc_admin, world.pm_a, world.branch_manager, hq.gm, world.outsider):
        client = login(persona)
        assert client.get(reverse("reporting:document_new")).status_code == 403
        assert register(client, hq).status_code == 403
    assert not Document.objects.exists()
    assert login(world.hq).get(reverse("reporting:document_new")).status_code == 200
    assert login(hq.doc_admin).get(reverse("reporting:document_new") + "?to=projects").status_code == 200
    register(login(hq.doc_admin), hq, users=[hq.gm.pk], departments=[])
    document = Document.objects.get()
    # a recipient may read it but not forward it
    response = login(hq.gm).post(
        reverse("reporting:document_forward", args=[document.pk]), {"users": [hq.leader.pk]}
    )
    assert response.status_code == 403
    assert document.deliveries.count() == 1


def test_ir_6_a_department_without_members_or_nobody_chosen_is_refused_by_name(world, login, hq):
    empty = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    response = register(login(hq.doc_admin), hq, users=[], departments=[empty.pk])
    assert response.status_code == 400
    assert "行政部" in response_text(response)
    assert not Document.objects.exists()
    document = noticeboard.document_register(
        actor=hq.doc_admin, company=world.company, data=noticeboard.DocumentInput(title="只登记")
    )
    response = login(hq.doc_admin).post(reverse("reporting:document_forward", args=[document.pk]), {})
    assert response.status_code == 400
    assert not document.deliveries.exists()


def test_ir_6_the_file_is_served_only_through_the_view(world, login, hq):
    register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    response = login(hq.qa_one).get(file_url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 formal document"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E5%85%B3%E4%BA%8E" in response["Content-Disposition"]  # 关于…, its own name
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response_text(login(hq.qa_one).get(detail(document)))
    assert file_url(document) in page
    assert "/media/" not in page
    assert document.file.name not in page


def test_ir_6_hq_sends_documents_to_the_chosen_projects_managers_or_document_administrators(
    world, login, hq, django_user_model
):
    doc_admin_a2 = member(world, django_user_model, "doc_admin_a2", Role.DOC_ADMIN, project=world.project_a2)
    response = login(hq.doc_admin).post(
        reverse("reporting:document_new") + "?to=projects",
        {
            "title": "关于开展消防演练的通知",
            "summary": "各项目部于月底前完成",
            "file": pdf("消防演练.pdf"),
            "projects": [world.project_a.pk, world.project_a2.pk],
        },
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert document.direction == DocumentDirection.OUTBOUND
    recipients = sorted(document.deliveries.values_list("user__username", flat=True))
    assert recipients == ["doc_admin_a2", "pm_a"]
    assert login(world.supervisor_a).get(detail(document)).status_code == 404
    assert login(world.branch_manager).get(detail(document)).status_code == 404
    assert login(world.pm_a).get(detail(document)).status_code == 200
    assert DocumentDelivery.objects.get(user=world.pm_a).read_at is not None
    assert DocumentDelivery.objects.get(user=doc_admin_a2).read_at is None
    text = response_text(login(hq.doc_admin).get(detail(document)))
    assert "绿溪苑" in text  # which project each recipient is of
    assert "海景花园" in text


def test_ir_6_a_project_with_neither_a_manager_nor_a_document_administrator_is_refused(world, login, hq):
    response = login(hq.doc_admin).post(
        reverse("reporting:document_new") + "?to=projects",
        {"title": "通知", "projects": [world.project_a.pk, world.project_b.pk]},
    )
    assert response.status_code == 400
    assert "泉城公馆" in response_text(response)
    assert not Document.objects.exists()
    assert not DocumentDelivery.objects.exists()


def test_ir_6_the_unread_are_reminded_once_a_day_at_most_and_readers_never(world, login, hq):
    forwarded = at(2026, 12, 1, 10, 0)
    with time_machine.travel(forwarded, tick=False):
        register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    with time_machine.travel(forwarded + timedelta(hours=2), tick=False):
        login(hq.gm).get(detail(document))
    notified = Notification.objects.filter(url=detail(document))
    assert notified.count() == 4  # the forwarding
    # not yet a day after it was forwarded
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 2, 9, 0)) == 0
    # the next morning's job, run twice (a second worker, a retry), and again that night
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 2, 10, 0)) == 3
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 2, 10, 0)) == 0
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 2, 23, 59)) == 0
    assert notified.count() == 7
    rows = {d.user.username: d for d in DocumentDelivery.objects.select_related("user")}
    assert rows["gm"].reminders == 0
    assert rows["gm"].reminded_at is None
    assert [rows[name].reminders for name in ("leader", "qa_one", "qa_two")] == [1, 1, 1]
    # a reader stops being reminded; the others are reminded again the next day, once
    with time_machine.travel(at(2026, 12, 3, 8, 0), tick=False):
        login(hq.leader).get(detail(document))
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 3, 9, 0)) == 2
    assert noticeboard.delivery_reminders_send(now=at(2026, 12, 3, 9, 0)) == 0
    rows = {d.user.username: d for d in DocumentDelivery.objects.select_related("user")}
    assert [rows[name].reminders for name in ("gm", "leader", "qa_one", "qa_two")] == [0, 1, 2, 2]
    assert Notification.objects.filter(user=hq.gm, url=detail(document)).count() == 1  # the forwarding only


def test_ir_6_the_api_lists_what_was_forwarded_and_reading_it_records_the_receipt(world, login, hq):
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        register(login(hq.doc_admin), hq)
    document = Document.objects.get()
    client = login(hq.leader)
    rows = client.get(reverse("api-reporting-documents")).json()["results"]
    assert [row["id"] for row in rows] == [document.pk]
    assert rows[0]["read_by_me_at"] is None
    assert rows[0]["forwarded_to_me_at"] is not None
    assert rows[0]["recipients"] is None  # only the keepers see how many got it
    assert rows[0]["file_url"] == file_url(document)
    assert client.get(reverse("api-reporting-documents"), {"unread": "true"}).json()["count"] == 1
    with time_machine.travel(at(2026, 12, 4, 9, 0), tick=False):
        body = login(hq.leader).get(reverse("api-reporting-document", args=[document.pk])).json()
    assert body["my_delivery"]["read_at"] == "2026-12-04T09:00:00+08:00"
    assert body["my_delivery"]["forwarded_by"]["id"] == hq.doc_admin.pk
    assert body["deliveries"] == []
    assert client.get(reverse("api-reporting-documents"), {"unread": "true"}).json()["count"] == 0
    keeper = login(hq.doc_admin).get(reverse("api-reporting-documents")).json()["results"][0]
    assert (keeper["recipients"], keeper["readers"]) == (4, 1)
    keeper_detail = login(hq.doc_admin).get(reverse("api-reporting-document", args=[document.pk])).json()
    assert len(keeper_detail["deliveries"]) == 4
    assert keeper_detail["my_delivery"] is None


def test_ir_6_document_lists_queries_do_not_grow(world, login, hq):
    register(login(hq.doc_admin), hq)

    def add_rows() -> list[str]:
        titles = []
        for number in range(8):
            title = f"文件{number}号"
            noticeboard.document_register(
                actor=hq.doc_admin,
                company=world.company,
                data=noticeboard.DocumentInput(title=title, sender=f"单位{number}"),
                recipients=noticeboard.Recipients(users=[hq.gm, hq.leader], departments=[hq.qa]),
            )
            titles.append(title)
        return titles

    assert_queries_do_not_grow(login(hq.gm), reverse("reporting:document_list"), add_rows, ceiling=15)


def test_ir_6_document_keeper_list_and_api_queries_do_not_grow(world, login, hq):
    register(login(hq.doc_admin), hq)
    counter = iter(range(100))

    def add_rows() -> list[str]:
        titles = []
        for _ in range(8):
            title = f"登记文件{next(counter)}号"
            noticeboard.document_register(
                actor=hq.doc_admin,
                company=world.company,
                data=noticeboard.DocumentInput(title=title),
                recipients=noticeboard.Recipients(users=[hq.gm], departments=[hq.qa]),
            )
            titles.append(title)
        return titles

    client = login(hq.doc_admin)
    assert_queries_do_not_grow(
        client, reverse("reporting:document_list") + "?box=registered", add_rows, ceiling=15
    )
    assert_queries_do_not_grow(client, reverse("api-reporting-documents"), add_rows, ceiling=15)


def test_ir_6_a_document_from_a_project_names_its_branch_and_a_mismatch_is_refused(world, login, hq):
    document = noticeboard.document_register(
        actor=hq.doc_admin,
        company=world.company,
        data=noticeboard.DocumentInput(title="海景花园月度汇报", from_project=world.project_a),
    )
    assert (document.from_branch, document.from_project) == (world.branch_a, world.project_a)
    response = register(
        login(hq.doc_admin), hq, from_branch=world.branch_b.pk, from_project=world.project_a.pk
    )
    assert response.status_code == 400
    assert Document.objects.count() == 1
