"""Hostile text on the pages (issue 10, item 4): every string of the corpus, typed into the archive and into
feedback items, comes back on the staff pages (item list and page with its timeline and execution record,
the archive list, the resident page and its edit form, the caller lookup, notifications) and on the owner's
portal pages: every page answers 200, autoescaping keeps the markup as the templates wrote it (no element,
attribute or template code comes from the text), and a bidirectional control is isolated: the text that
holds it is inside an element that app.css isolates (`unicode-bidi: isolate`), or nothing follows it in its
block, and inside the page's <title> it sits between FSI and PDI (base.html)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from estatedesk.common.testing import response_text
from estatedesk.notifications.choices import OutboxStatus
from estatedesk.notifications.models import OutboundEmail
from estatedesk.notifications.services import email_send
from estatedesk.org.models import Building
from estatedesk.owners.models import Resident
from tests.hostile.corpus import (
    CORPUS,
    NUL,
    Page,
    has_bidi_control,
    isolating_selectors,
    page_problems,
    unisolated_bidi,
)


def _client(login: Any, user: Any) -> Client:
    client = login(user)
    client.cookies["django_language"] = "en"
    return client


def _check(client: Client, url: str, css: str, failures: list[str], *, status: int = 200) -> str:
    """GET the page; add to `failures` a wrong status and every problem of its markup (each problem once,
    with the first page that shows it: many pages share a template)."""
    response = client.get(url)
    if response.status_code != status:
        failures.append(f"GET {url} answered {response.status_code}, not {status}")
        return ""
    html = response_text(response)
    problems = page_problems(html, css)
    seen = {failure.split(": ", 1)[-1] for failure in failures}
    failures += [f"GET {url}: {problem}" for problem in dict.fromkeys(problems) if problem not in seen]
    return html


def _pages(client: Client, first_url: str, css: str, failures: list[str]) -> str:
    """All pages of a paginated list, joined."""
    html, page = "", 1
    while True:
        separator = "&" if "?" in first_url else "?"
        text = _check(client, f"{first_url}{separator}page={page}", css, failures)
        html += text
        if 'rel="next"' not in text and f"page={page + 1}" not in text:
            return html
        page += 1


def test_sec_hostile_staff_item_pages_answer_200_and_stay_inert(hostile, login, app_css):
    # given: a signed-in CS supervisor of project A
    client = _client(login, hostile.world.supervisor_a)
    failures: list[str] = []
    # when: each item's page (details, timeline with the comment, execution record) and the list
    for name, item in hostile.items.items():
        html = _check(client, reverse("feedback:item_detail", args=[item.reference]), app_css, failures)
        # then: the description is there, escaped
        value = hostile.values[name].strip()
        if html and "\n" not in value and "\r" not in value and escape(value) not in html:
            failures.append(f"{name}: the description is not shown as typed (escaped)")
    listing = _pages(client, reverse("feedback:item_list"), app_css, failures)
    # then
    assert failures == [], "\n".join(failures)
    assert escape("<script>alert(1)</script>") in listing
    assert "{{7*7}}" in listing
    assert "{% debug %}" in listing


def test_sec_hostile_archive_pages_answer_200_and_stay_inert(hostile, login, app_css):
    # given
    client = _client(login, hostile.world.supervisor_a)
    failures: list[str] = []
    # when: the archive, each resident's page (with its history) and edit form, and the caller lookup by
    # each name (the archive's own search shows the same rows as its list)
    _check(client, reverse("owners:archive_home"), app_css, failures)
    listing = _pages(client, reverse("owners:project_archive", args=["QD-A"]), app_css, failures)
    for name, resident in hostile.residents.items():
        _check(client, reverse("owners:resident_detail", args=[resident.pk]), app_css, failures)
        _check(client, reverse("owners:resident_edit", args=[resident.pk]), app_css, failures)
        query = hostile.values[name][:20]
        status = 400 if NUL in query else 200  # a NUL in a query string is refused (common/middleware.py)
        _check(client, reverse("owners:lookup") + "?" + _query(q=query), app_css, failures, status=status)
    # then
    assert failures == [], "\n".join(failures)
    assert escape('"><img src=x onerror=alert(1)>') in listing


def test_sec_hostile_notifications_hotline_and_audit_pages_stay_inert(hostile, login, app_css):
    # given: the CS supervisor was told of every item (its title in the notification); every resident's
    # creation is in the audit trail, with its name and notes; an email that finally failed
    supervisor = _client(login, hostile.world.supervisor_a)
    hq = _client(login, hostile.world.hq)
    for value in hostile.values.values():
        email_send(to="owner@example.com", subject=value, body=value)
    OutboundEmail.objects.update(status=OutboxStatus.FAILED, attempts=6, last_error=hostile.values["script"])
    failures: list[str] = []
    # when
    _pages(supervisor, reverse("notifications:list"), app_css, failures)
    _check(supervisor, reverse("feedback:hotline") + "?phone=13800001234", app_css, failures)
    for item in hostile.items.values():
        _check(supervisor, reverse("feedback:item_reclassify", args=[item.reference]), app_css, failures)
    audit = _check(hq, reverse("org:audit_trail"), app_css, failures)
    _pages(hq, reverse("notifications:outbox_failed"), app_css, failures)
    # then
    assert failures == [], "\n".join(failures)
    assert escape("<script>alert(1)</script>") in audit


def test_sec_hostile_owner_portal_pages_stay_inert(hostile, login, app_css):
    # given: owner_a, whose household and requests hold the corpus
    client = _client(login, hostile.world.owner_a)
    failures: list[str] = []
    # when
    portal = _check(client, reverse("owners:portal"), app_css, failures)
    _check(client, reverse("owners:portal_profile"), app_css, failures)
    mine = _pages(client, reverse("feedback_portal:mine"), app_css, failures)
    # then
    assert failures == [], "\n".join(failures)
    assert escape("<script>alert(1)</script>") in portal
    assert escape("<script>alert(1)</script>") in mine
    assert has_bidi_control(mine)  # the overrides are kept on pages, isolated


def _query(**values: str) -> str:
    from urllib.parse import urlencode

    return urlencode(values)


def test_sec_hostile_the_isolation_check_finds_an_override_that_reorders_the_page(app_css):
    # given: an override in typed text, in the shapes a template can give it
    rlo = CORPUS["rlo_file_name"]
    shapes = {
        "alone in its block": (f"<p>{rlo}</p>", []),
        "before a line break": (f"<dd>{rlo}<br><span>signed</span></dd>", []),
        "in an isolating element": (f"<li><a href='/x'>{rlo}</a> · 1-1-101</li>", []),
        "inside <bdi>": (f"<td><bdi>{rlo}</bdi> more</td>", []),
        "followed by words in its block": (f"<td>{rlo} <b>Major</b></td>", ["td"]),
        "followed by the template's words": (f"<p><span>{rlo} · Engineering</span></p>", ["span"]),
        "a title without FSI/PDI": (f"<title>{rlo} · EstateDesk</title>", ["<title>"]),
        "a title with FSI/PDI": (f"<title>\u2068{rlo}\u2069 · EstateDesk</title>", []),
    }
    # when
    found = {
        name: unisolated_bidi(Page(html), "b { color: red; } a, span { unicode-bidi: isolate; }")
        for name, (html, _) in shapes.items()
    }
    # then
    for name, (_, expected) in shapes.items():
        assert len(found[name]) == len(expected), name
        assert all(any(where in problem for problem in found[name]) for where in expected), name
    # and the stylesheet isolates the inline elements that show typed text
    assert {"a", "span", "strong", "time", "label"} <= isolating_selectors(app_css)


def test_sec_hostile_qr_sheet_keeps_building_names_and_codes_inert(world, login, app_css):
    # given: buildings whose names and codes (typed in the admin) are from the corpus; the QR code is an
    # <svg> our code marks safe (feedback/intake/qr.py), with the form's address in its <title>
    for number, name in enumerate(("script", "attribute_breakout", "rlo_file_name", "template_expression")):
        Building.objects.create(
            project=world.project_a, code=f"{CORPUS[name][:17]}{number}", name=CORPUS[name]
        )
    failures: list[str] = []
    # when
    html = _check(
        _client(login, world.supervisor_a),
        reverse("feedback_portal:qr_sheet", args=["QD-A"]),
        app_css,
        failures,
    )
    # then
    assert failures == [], "\n".join(failures)
    assert escape(CORPUS["script"]) in html


def test_sec_hostile_a_long_chinese_name_fits_its_pinyin_initials(world, login):
    # given: the edit form of a resident, and a 60-character Chinese name (the most the form takes)
    resident = Resident.objects.get(name="邻居")
    name = "长" * 60
    client = _client(login, world.supervisor_a)
    # when
    response = client.post(
        reverse("owners:resident_edit", args=[resident.pk]),
        {"name": name, "preferred_language": "zh-hans", "contact_preference": "phone"},
    )
    # then: saved, and the initials fit their column
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.name == name
    assert len(resident.name_initials) <= Resident._meta.get_field("name_initials").max_length
