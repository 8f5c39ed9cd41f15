"""Secrets at rest (issue 16, item 2d): `common.fields.EncryptedTextField` stores Fernet tokens with a key
from FIELD_ENCRYPTION_KEY, refuses to run without one in production, and never shows a secret back in a
form or the admin (a blank password box keeps the one on file)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.test import RequestFactory
from django.test.utils import isolate_apps

from estatedesk.common import fields
from estatedesk.common.audit import model_changes
from estatedesk.common.fields import EncryptedTextField, SecretFormField, SecretInput

KEY = Fernet.generate_key().decode()
OLD_KEY = Fernet.generate_key().decode()
PASSWORD = "imap-pass 2026!"  # noqa: S105 - a test value


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(fields.KEY_VARIABLE, KEY)
    return KEY


def _mailbox_model() -> Any:
    class Mailbox(models.Model):
        username = models.CharField(max_length=50)
        password = EncryptedTextField(max_length=200)

        class Meta:
            app_label = "common"

        def __str__(self) -> str:
            return self.username

    return Mailbox


def test_sec_a_secret_is_stored_as_a_fernet_token_and_read_back(key):
    # given the password field of a model
    field = EncryptedTextField()
    # when a password is prepared for the database and read back from it
    stored = field.get_prep_value(PASSWORD)
    # then the column holds a token under the key, never the password, and reads back as the password
    assert stored.startswith(fields.PREFIX)
    assert PASSWORD not in stored
    assert Fernet(KEY.encode()).decrypt(stored.removeprefix(fields.PREFIX).encode()).decode() == PASSWORD
    assert field.from_db_value(stored, None, connection) == PASSWORD
    # and an empty secret stays empty, a value stored before encryption reads as it was
    assert field.get_prep_value("") == ""
    assert field.from_db_value("plain-before", None, connection) == "plain-before"


def test_sec_keys_rotate_the_first_encrypts_every_one_decrypts(monkeypatch):
    # given a value stored under the old key
    monkeypatch.setenv(fields.KEY_VARIABLE, OLD_KEY)
    stored = fields.encrypt(PASSWORD)
    # when a new key is put first, the old one kept after it
    monkeypatch.setenv(fields.KEY_VARIABLE, f"{KEY},{OLD_KEY}")
    # then the old value still reads, and new values are written under the new key
    assert fields.decrypt(stored) == PASSWORD
    again = fields.encrypt(PASSWORD)
    assert Fernet(KEY.encode()).decrypt(again.removeprefix(fields.PREFIX).encode()).decode() == PASSWORD
    # and without the old key the old value is refused clearly, not read as garbage
    monkeypatch.setenv(fields.KEY_VARIABLE, KEY)
    with pytest.raises(ImproperlyConfigured, match=fields.KEY_VARIABLE):
        fields.decrypt(stored)


def test_sec_production_refuses_to_run_without_a_key(monkeypatch, settings):
    # given no key in the environment, DEBUG off
    monkeypatch.delenv(fields.KEY_VARIABLE, raising=False)
    settings.DEBUG = False
    # when a secret is written
    # then the error names the variable and how to make a key
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY is not set"):
        fields.encrypt(PASSWORD)


def test_sec_a_development_machine_derives_a_key_from_the_secret_key(monkeypatch, settings):
    # given no key, DEBUG on
    monkeypatch.delenv(fields.KEY_VARIABLE, raising=False)
    settings.DEBUG = True
    # when a secret is written and read
    stored = fields.encrypt(PASSWORD)
    # then it is encrypted all the same, and reads back (the derived key is stable)
    assert PASSWORD not in stored
    assert fields.decrypt(stored) == PASSWORD


def test_sec_a_key_that_is_not_a_fernet_key_is_refused(monkeypatch):
    # given a key that is not 32 urlsafe-base64 bytes
    monkeypatch.setenv(fields.KEY_VARIABLE, "not-a-key")
    # when a secret is written
    # then the error says what the key must be
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        fields.encrypt(PASSWORD)


@isolate_apps("estatedesk.common")
def test_sec_a_form_never_shows_the_secret_and_a_blank_box_keeps_it(key):
    # given a mailbox with a password on file, and its model form
    mailbox_model = _mailbox_model()
    mailbox = mailbox_model(username="qd-a", password=PASSWORD)
    form_class = forms.modelform_factory(mailbox_model, fields=["username", "password"])
    # when the form is shown
    html = str(form_class(instance=mailbox))
    # then the password box is empty
    assert isinstance(form_class.base_fields["password"], SecretFormField)
    assert 'type="password"' in html
    assert PASSWORD not in html
    # and submitted blank, the password on file is kept; submitted filled, it is replaced
    kept = form_class({"username": "qd-a", "password": ""}, instance=mailbox)
    assert kept.is_valid(), kept.errors
    assert kept.save(commit=False).password == PASSWORD
    replaced = form_class({"username": "qd-a", "password": "new secret"}, instance=mailbox)
    assert replaced.is_valid(), replaced.errors
    assert replaced.save(commit=False).password == "new secret"


@isolate_apps("estatedesk.common")
def test_sec_the_admin_shows_a_password_box_that_renders_nothing(key, world):
    # given the mailbox in a model admin, as the Django admin builds its form (its text widgets included)
    mailbox_model = _mailbox_model()
    model_admin = admin.ModelAdmin(mailbox_model, admin.site)
    request = RequestFactory().get("/admin/")
    request.user = world.sysadmin
    form_class = model_admin.get_form(request)
    # when the change form is rendered for a mailbox with a password
    html = str(form_class(instance=mailbox_model(username="qd-a", password=PASSWORD)))
    # then the field is a password input that does not render the value
    widget = form_class.base_fields["password"].widget
    assert isinstance(widget, SecretInput)
    assert widget.render_value is False
    assert PASSWORD not in html
    # and the audit trail records that it changed, never the value
    assert model_changes(mailbox_model(username="qd-a", password=PASSWORD))["password"] == "***"
