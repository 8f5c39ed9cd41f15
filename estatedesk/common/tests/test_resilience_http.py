"""A busy database answers 503 with Retry-After, an oversized body 413 before it is read, a missing photo
404 (issue 16, item 8). The lock is real: another connection holds it (SQLite's write lock, or a
PostgreSQL table lock with a short lock_timeout), on whichever database the suite runs."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

from estatedesk.common.resilience import database_unavailable, request_body_limit
from estatedesk.config.urls import urlpatterns as site_urlpatterns

MB = 1024 * 1024


def _write(request: HttpRequest) -> HttpResponse:
    """Writes one row's worth (nothing matches): needs the write lock, or the table's lock."""
    from estatedesk.org.models import Company

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '20ms'")
        Company.objects.filter(pk=-1).update(name="x")
    return HttpResponse("written")


def _broken(request: HttpRequest) -> HttpResponse:
    raise OperationalError("no such table: nowhere")


@csrf_exempt
def _echo_length(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.body)))


urlpatterns = [
    path("ops-test/write/", _write),
    path("api/ops-test/write/", _write),
    path("ops-test/broken/", _broken),
    path("ops-test/body/", _echo_length),
    *site_urlpatterns,
]


@contextlib.contextmanager
def _database_locked_elsewhere() -> Iterator[None]:
    """Another connection holds the lock a write needs; this one gives up at once instead of after the
    configured 20 s (SQLite) or waits 20 ms (PostgreSQL's lock_timeout, set by the view)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        holder = sqlite3.connect(settings_dict["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 20000")
        return
    import psycopg

    holder_pg = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
    try:
        holder_pg.execute("LOCK TABLE org_company IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        holder_pg.rollback()
        holder_pg.close()


class Spy(io.BytesIO):
    """A request body that records whether anybody read it."""

    reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(size)

    def readline(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().readline(size)


def _post(client: Client, url: str, body: Any, content_length: str, **extra: Any) -> Any:
    return client.generic(
        "POST",
        url,
        b"",
        content_type="application/octet-stream",
        CONTENT_LENGTH=content_length,
        **{"wsgi.input": body},
        **extra,
    )


# --- 503 ------------------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_sec_a_locked_database_answers_503_with_retry_after_not_500():
    # given another process holding the lock that a write needs
    with _database_locked_elsewhere():
        # when a page writes
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/ops-test/write/")

    # then the answer is a 503 that says to try again in 5 seconds
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The system is busy at the moment. Please try again in 5 seconds." in response.content.decode()


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_sec_a_locked_database_answers_the_api_error_body_with_code_unavailable():
    with _database_locked_elsewhere():
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post("/api/ops-test/write/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "unavailable",
        "message": "系统暂时繁忙，请 5 秒后重试。",
        "fields": {},
    }


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_sec_the_same_write_succeeds_once_the_lock_is_gone():
    with _database_locked_elsewhere():
        pass

    response = Client().post("/ops-test/write/")

    assert (response.status_code, response.content) == (200, b"written")


@pytest.mark.urls(__name__)
def test_sec_other_database_errors_stay_server_errors():
    response = Client(raise_request_exception=False).get("/ops-test/broken/")

    assert response.status_code == 500


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _wrapped(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


def test_sec_which_database_errors_mean_busy_or_away():
    sqlite_error: sqlite3.Error
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM nowhere")
    except sqlite3.OperationalError as error:
        sqlite_error = error

    assert database_unavailable(OperationalError("database is locked"))
    assert database_unavailable(InterfaceError("connection already closed"))
    assert database_unavailable(_wrapped(OperationalError("x"), _DriverError("40001")))  # serialization
    assert database_unavailable(_wrapped(OperationalError("x"), _DriverError("55P03")))  # lock timeout
    assert database_unavailable(_wrapped(OperationalError("x"), _DriverError("08006")))  # connection lost
    assert not database_unavailable(_wrapped(OperationalError("x"), _DriverError("42P01")))  # no such table
    assert not database_unavailable(_wrapped(OperationalError("no such table"), sqlite_error))
    assert not database_unavailable(IntegrityError("UNIQUE constraint failed"))
    assert not database_unavailable(ValueError("database is locked"))


# --- 413 ------------------------------------------------------------------------------------------------


def test_sec_body_limits_follow_the_one_table_in_settings():
    assert request_body_limit("/feedback/QD-A-20261126-0001/photos/") == 55 * MB
    assert request_body_limit("/f/new/") == 55 * MB
    assert request_body_limit("/f/QD-A/1/") == 55 * MB
    assert request_body_limit("/archive/QD-A/import/") == 20 * MB
    assert request_body_limit("/api/feedback/items/create/") == 1 * MB
    assert request_body_limit("/feedback/QD-A-20261126-0001/comment/") == 2 * MB
    assert request_body_limit("/accounts/login/") == 2 * MB
    assert request_body_limit("/no/such/page/") == 2 * MB


@pytest.mark.urls(__name__)
def test_sec_a_body_over_the_limit_answers_413_before_it_is_read():
    # given a body announced as larger than the 2 MB of an ordinary page
    body = Spy(b"x" * 100)

    # when it is posted
    response = _post(Client(HTTP_ACCEPT_LANGUAGE="en"), "/ops-test/body/", body, str(2 * MB + 1))

    # then it is refused with 413 and not a byte of it was read
    assert response.status_code == 413
    assert "The request is too large: at most 2 MB can be sent here at once." in response.content.decode()
    assert body.reads == 0


def test_sec_photo_and_import_routes_take_larger_bodies_but_not_without_end(db):
    client = Client()
    photos = "/feedback/QD-A-20261126-0001/photos/"

    assert _post(client, photos, Spy(), str(56 * MB)).status_code == 413
    assert _post(client, photos, Spy(), str(50 * MB)).status_code == 302  # on to the sign-in page
    assert _post(client, "/archive/QD-A/import/", Spy(), str(21 * MB)).status_code == 413
    assert _post(client, "/archive/QD-A/import/", Spy(), str(19 * MB)).status_code == 302


def test_sec_the_api_refuses_a_large_body_with_its_error_body():
    response = _post(Client(), "/api/feedback/items/create/", Spy(), str(1 * MB + 1))

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.urls(__name__)
def test_sec_a_body_without_content_length_is_counted_while_read_and_refused_at_the_limit():
    # given chunked bodies (no Content-Length): one of 3 MB on a 2 MB route, one of 100 bytes
    chunked = {"HTTP_TRANSFER_ENCODING": "chunked"}

    # when they are posted, then the large one is cut off at the limit with 413
    large = _post(Client(), "/ops-test/body/", io.BytesIO(b"x" * (3 * MB)), "", **chunked)
    small = _post(Client(), "/ops-test/body/", io.BytesIO(b"y" * 100), "", **chunked)

    assert large.status_code == 413
    assert (small.status_code, small.content) == (200, b"100")


def test_sec_a_chunked_form_post_read_by_the_csrf_check_is_refused_with_413_too(db):
    # given a chunked form post of 3 MB to the sign-in page, whose CSRF check reads the form first
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["csrftoken"] = "a" * 32

    # when it is posted
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(b"username=" + b"x" * (3 * MB))},
    )

    # then the answer is 413, not Django's 400 for a body read past its limit
    assert response.status_code == 413
    assert "at most 2 MB" in response.content.decode()


@pytest.mark.urls(__name__)
def test_sec_a_body_within_the_limit_is_read_as_usual():
    response = Client().post("/ops-test/body/", b"z" * 1000, content_type="application/octet-stream")

    assert (response.status_code, response.content) == (200, b"1000")


# --- a missing photo file -------------------------------------------------------------------------------


def test_sec_issue_16_8d_a_photo_whose_file_is_missing_answers_404_not_500(world, login, settings, tmp_path):
    from estatedesk.feedback.choices import Category, Channel, Kind
    from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
    from estatedesk.feedback.photos import feedback_photos_add

    # given an item with a photo whose file has gone from the storage
    settings.MEDIA_ROOT = tmp_path / "media"
    item = feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            description="Lift stuck on floor 3.",
        ),
    )
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    feedback_photos_add(
        actor=world.agent_a, item=item, photos=[SimpleUploadedFile("lift.png", buffer.getvalue())]
    )
    attachment = item.attachments.get()
    default_storage.delete(attachment.file.name)

    # when the agent opens it
    response = login(world.agent_a).get(f"/feedback/{item.reference}/files/{attachment.pk}/")

    # then the answer is "not found", not a server error
    assert response.status_code == 404
