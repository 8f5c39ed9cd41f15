"""HQ's noticeboard (R-IR-6, 物业管理部信息网页): each HQ department writes its own pages (HQ's property
management department any), every staff member of the company reads the published ones, a draft only its
writers; nobody outside the company's staff sees anything."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from estatedesk.common.testing import assert_queries_do_not_grow, response_text
from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Company, Department, Membership
from estatedesk.reporting import noticeboard
from estatedesk.reporting.models import NoticePage

PASSWORD = "persona-pass-2026"  # noqa: S105 - test personas only


def member(world: Any, django_user_model: Any, username: str, role: str, **node: Any) -> Any:
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, display_name=username)
    level = (
        ScopeLevel.PROJECT
        if node.get("project")
        else ScopeLevel.BRANCH
        if node.get("branch")
        else ScopeLevel.COMPANY
    )
    Membership.objects.create(user=user, role=role, level=level, company=world.company, **node)
    return user


@pytest.fixture
def board(world: Any, django_user_model: Any) -> SimpleNamespace:
    """HQ's QA and admin departments, each with a member; a page of each (one published, one draft)."""
    qa = Department.objects.create(company=world.company, kind=DepartmentKind.QUALITY, name="品质部")
    admin = Department.objects.create(company=world.company, kind=DepartmentKind.ADMIN, name="行政部")
    qa_member = member(world, django_user_model, "qa_member", Role.QA_MANAGER, department=qa)
    admin_member = member(world, django_user_model, "admin_member", Role.ADMIN_DEPT, department=admin)
    qa_page = NoticePage.objects.create(
        department=qa, title="品质检查通知", body="本月检查安排", is_published=True, author=qa_member
    )
    admin_draft = NoticePage.objects.create(
        department=admin, title="行政部草稿", body="尚未发布", is_published=False, author=admin_member
    )
    return SimpleNamespace(
        qa=qa,
        admin=admin,
        qa_member=qa_member,
        admin_member=admin_member,
        qa_page=qa_page,
        admin_draft=admin_draft,
    )


def page_url(page: NoticePage) -> str:
    return reverse("reporting:notice_page", args=[page.pk])


def test_ir_6_a_department_member_writes_and_publishes_a_page_of_their_department(world, login, board):
    client = login(board.qa_member)
    response = client.post(
        reverse("reporting:notice_new", args=[board.qa.pk]),
        {"title": "季度品质报告", "body": "第一行\n第二行", "is_published": "on"},
    )
    page = NoticePage.objects.get(title="季度品质报告")
    assert response.status_code == 302
    assert response["Location"] == page_url(page)
    assert page.department == board.qa
    assert page.author == board.qa_member
    assert page.is_published is True
    assert page.published_at is not None
    assert "第二行" in response_text(login(world.agent_a).get(page_url(page)))


def test_ir_6_each_department_writes_only_its_own_pages(world, login, board):
    client = login(board.qa_member)
    new_admin_page = reverse("reporting:notice_new", args=[board.admin.pk])
    assert client.get(new_admin_page).status_code == 403
    assert client.post(new_admin_page, {"title": "x", "body": "y"}).status_code == 403
    admin_page = NoticePage.objects.create(
        department=board.admin, title="行政通知", body="正文", is_published=True
    )
    edit = reverse("reporting:notice_edit", args=[admin_page.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "改了", "body": "改了"}).status_code == 403
    admin_page.refresh_from_db()
    assert admin_page.title == "行政通知"
    # another department's draft is not even known to them
    assert client.get(reverse("reporting:notice_edit", args=[board.admin_draft.pk])).status_code == 404
    assert NoticePage.objects.filter(department=board.admin).count() == 2


def test_ir_6_hq_property_writes_any_departments_page(world, login, board):
    client = login(world.hq)
    response = client.post(
        reverse("reporting:notice_edit", args=[board.admin_draft.pk]),
        {"title": "行政部通知", "body": "由物业管理部维护", "is_published": "on"},
    )
    assert response.status_code == 302
    board.admin_draft.refresh_from_db()
    assert board.admin_draft.title == "行政部通知"
    assert board.admin_draft.is_published is True
    assert client.get(reverse("reporting:notice_new", args=[board.qa.pk])).status_code == 200
    assert noticeboard.notice_writable_department_ids(user=world.hq) == {board.qa.pk, board.admin.pk}
    assert noticeboard.notice_writable_department_ids(user=world.branch_manager) == set()


def test_ir_6_every_staff_member_reads_published_pages_and_drafts_only_their_writers(world, login, board):
    for reader in (world.agent_a, world.pm_a, world.branch_manager, world.hq, board.qa_member):
        client = login(reader)
        assert client.get(page_url(board.qa_page)).status_code == 200
        text = response_text(client.get(reverse("reporting:noticeboard")))
        assert "品质检查通知" in text
    for stranger in (world.agent_a, world.branch_manager, board.qa_member):
        assert login(stranger).get(page_url(board.admin_draft)).status_code == 404
        assert "行政部草稿" not in response_text(login(stranger).get(reverse("reporting:noticeboard")))
    for writer in (board.admin_member, world.hq):
        assert login(writer).get(page_url(board.admin_draft)).status_code == 200
        assert "行政部草稿" in response_text(login(writer).get(reverse("reporting:noticeboard")))
    department_page = response_text(
        login(world.agent_a).get(reverse("reporting:notice_department", args=[board.admin.pk]))
    )
    assert "行政部草稿" not in department_page


def test_ir_6_publishing_dates_the_page_and_withdrawing_makes_it_a_draft_again(world, login, board):
    client = login(board.admin_member)
    edit = reverse("reporting:notice_edit", args=[board.admin_draft.pk])
    client.post(edit, {"title": "行政部通知", "body": "正文", "is_published": "on"})
    board.admin_draft.refresh_from_db()
    first_published_at = board.admin_draft.published_at
    assert first_published_at is not None
    client.post(edit, {"title": "行政部通知", "body": "正文二", "is_published": "on"})
    board.admin_draft.refresh_from_db()
    assert board.admin_draft.published_at == first_published_at
    client.post(edit, {"title": "行政部通知", "body": "正文二"})
    board.admin_draft.refresh_from_db()
    assert board.admin_draft.is_published is False
    assert login(world.agent_a).get(page_url(board.admin_draft)).status_code == 404


def test_ir_6_a_page_needs_a_title_and_text(world, login, board):
    response = login(board.qa_member).post(
        reverse("reporting:notice_new", args=[board.qa.pk]), {"title": "  ", "body": ""}
    )
    assert response.status_code == 400
    assert NoticePage.objects.filter(department=board.qa).count() == 1


def test_ir_6_outsider_reads_published_pages_only_and_writes_none(world, login, board):
    """The outsider (CS supervisor of project B in branch B) is staff of the same company: the portal is
    the whole company's, so they read what is published, and nothing more."""
    client = login(world.outsider)
    assert client.get(page_url(board.qa_page)).status_code == 200
    assert client.get(page_url(board.admin_draft)).status_code == 404
    assert client.get(reverse("reporting:notice_new", args=[board.qa.pk])).status_code == 403
    assert client.get(reverse("reporting:notice_edit", args=[board.qa_page.pk])).status_code == 403
    assert (
        client.post(
            reverse("reporting:notice_edit", args=[board.admin_draft.pk]), {"title": "x", "body": "y"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["nobody", "owner_a"])
def test_ir_6_nobody_and_an_owner_see_no_noticeboard_page(world, login, board, persona):
    client = login(getattr(world, persona))
    urls = [
        reverse("reporting:noticeboard"),
        reverse("reporting:notice_department", args=[board.qa.pk]),
        reverse("reporting:notice_page", args=[board.qa_page.pk]),
        reverse("reporting:notice_new", args=[board.qa.pk]),
        reverse("reporting:notice_edit", args=[board.qa_page.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "品质检查通知" not in response_text(response)


def test_ir_6_staff_of_another_company_see_none_of_its_pages(world, login, board, django_user_model):
    other = Company.objects.create(code="XX", name="别家物业")
    stranger = django_user_model.objects.create_user(username="stranger", password=PASSWORD)
    Membership.objects.create(user=stranger, role=Role.HQ_PROPERTY, level=ScopeLevel.COMPANY, company=other)
    client = login(stranger)
    assert client.get(page_url(board.qa_page)).status_code == 404
    assert client.get(reverse("reporting:notice_department", args=[board.qa.pk])).status_code == 404
    assert client.get(reverse("reporting:notice_edit", args=[board.qa_page.pk])).status_code == 404
    assert "品质检查通知" not in response_text(client.get(reverse("reporting:noticeboard")))


def test_ir_6_anonymous_visitors_are_sent_to_sign_in(world, client, board):
    url = reverse("reporting:noticeboard")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_ir_6_noticeboard_queries_do_not_grow(world, login, board):
    client = login(world.agent_a)

    def add_rows() -> list[str]:
        titles = []
        for number in range(6):
            department = Department.objects.create(
                company=world.company, kind=f"kind{number}", name=f"新部门{number}"
            )
            for page_number in range(3):
                title = f"新页面{number}-{page_number}"
                NoticePage.objects.create(department=department, title=title, body="正文", is_published=True)
                titles.append(title)
        return titles

    assert_queries_do_not_grow(client, reverse("reporting:noticeboard"), add_rows, ceiling=20)
