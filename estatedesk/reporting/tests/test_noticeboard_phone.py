"""The noticeboard, documents and activity pages on a phone (R-IR-6, R-CS-3): each page fits a 390 px
screen without sideways scrolling, loads every stylesheet, script and picture it asks for, and breaks no
Content-Security-Policy rule. Playwright drives Debian's chromium against the live server (as
tests/browser does)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from estatedesk.org.choices import DepartmentKind, Role, ScopeLevel
from estatedesk.org.models import Department, Membership
from estatedesk.reporting import activities, noticeboard

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh", pytrace=False)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def phone_page(browser: Any, live_server: Any, user: Any) -> tuple[Any, list[str]]:
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.url} ({response.status})") if response.status >= 400 else None
        ),
    )
    return page, problems


def test_ir_6_and_cs_3_pages_fit_a_phone(world, browser, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hq_department = Department.objects.create(
        company=world.company, kind=DepartmentKind.HQ_PROPERTY, name="物业管理部"
    )
    Membership.objects.filter(user=world.hq).update(department=hq_department)
    doc_admin = world.hq
    Membership.objects.create(
        user=doc_admin, role=Role.DOC_ADMIN, level=ScopeLevel.COMPANY, company=world.company
    )
    notice = noticeboard.notice_page_create(
        actor=world.hq,
        department=hq_department,
        data=noticeboard.NoticeInput(
            title="关于加强节假日期间安全管理工作的通知（很长的标题，用来检查手机上的换行）",
            body="各项目部：\n请于节前完成安全检查。",
            is_published=True,
        ),
    )
    document = noticeboard.document_send_to_projects(
        actor=doc_admin,
        company=world.company,
        data=noticeboard.DocumentInput(
            title="关于开展消防演练的通知", file=SimpleUploadedFile("通知.pdf", b"%PDF-1.4")
        ),
        projects=[world.project_a],
    )
    activity = activities.activity_plan(
        actor=world.supervisor_a,
        plan=activities.ActivityPlan(
            project=world.project_a, title="中秋游园会", planned_on=date(2026, 9, 25), with_client=True
        ),
    )
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "orange").save(buffer, format="JPEG")
    activities.activity_photos_add(
        actor=world.supervisor_a,
        activity=activity,
        photos=[SimpleUploadedFile("a.jpg", buffer.getvalue(), content_type="image/jpeg")],
    )
    pages = {
        world.hq: [
            "/reporting/noticeboard/",
            f"/reporting/noticeboard/departments/{hq_department.pk}/",
            f"/reporting/noticeboard/pages/{notice.pk}/",
            f"/reporting/noticeboard/pages/{notice.pk}/edit/",
            "/reporting/documents/",
            "/reporting/documents/new/",
            "/reporting/documents/new/?to=projects",
            f"/reporting/documents/{document.pk}/",
        ],
        world.pm_a: ["/reporting/documents/?box=inbox", f"/reporting/documents/{document.pk}/"],
        world.supervisor_a: [
            "/reporting/activities/",
            "/reporting/activities/new/",
            f"/reporting/activities/{activity.pk}/",
        ],
    }
    for user, urls in pages.items():
        page, problems = phone_page(browser, live_server, user)
        for url in urls:
            response = page.goto(url)
            page.wait_for_load_state("networkidle")
            assert response is not None
            assert response.status == 200, url
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        assert problems == []
        page.context.close()
