"""A refusal (403) is logged as one line, never a traceback (issue 11); /favicon.ico is not a 404."""

from __future__ import annotations

import logging

from django.urls import reverse


def forbidden_records(caplog):
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "Forbidden" in r.getMessage()]


def test_403_is_logged_as_one_line_with_method_path_user_and_reason(world, login, caplog):
    # given an owner, who may not open the staff's audit trail
    client = login(world.owner_a)

    # when they try
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("org:audit_trail"))

    # then they get the 403 page, and the log has one line for it: no traceback, no second line
    assert response.status_code == 403
    records = forbidden_records(caplog)
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None
    assert record.exc_text is None
    line = record.getMessage()
    assert "\n" not in line
    assert line == f"Forbidden: GET /org/audit/ user={world.owner_a.pk} reason=-"
    formatted = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "Traceback" not in formatted
    assert "\n" not in formatted


def test_403_log_line_cannot_be_split_by_a_crafted_path(world, login, caplog):
    # given a path with an encoded newline that reaches a refusing view
    client = login(world.owner_a)
    with caplog.at_level(logging.WARNING):
        response = client.get("/org/audit/?x=1", PATH_INFO="/org/audit/\nFAKE")
    # then whatever the answer, no log line holds a raw newline
    assert response.status_code in (403, 404)
    assert all("\n" not in r.getMessage() for r in caplog.records)


def test_403_page_in_chinese_without_traceback(world, login):
    body = login(world.owner_a).get(reverse("org:audit_trail"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert body.status_code == 403
    assert "Traceback" not in body.content.decode()


def test_favicon_ico_is_answered_and_linked_from_every_page(client, db):
    # when a browser asks for /favicon.ico by itself
    response = client.get("/favicon.ico")

    # then it is sent to the static icon, not a 404; and pages link the icon themselves
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.ico")
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="icon"' in login_page
    assert "favicon.svg" in login_page
