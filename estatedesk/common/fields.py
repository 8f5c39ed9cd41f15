"""Secrets stored encrypted (issue 16): `EncryptedTextField` keeps a value such as the complaint mailbox's
IMAP password encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`), and the admin
never shows it back.

The key comes from the environment, `FIELD_ENCRYPTION_KEY`: a urlsafe-base64 32-byte Fernet key
(`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`). Several keys,
comma-separated, rotate: the first encrypts, every one decrypts. Without it a development machine
(`DEBUG=1`) uses a key derived from `SECRET_KEY`; anywhere else reading or writing an encrypted value
raises `ImproperlyConfigured`.

In a form (and so in the admin) the field is a password input that never renders the stored value; a
blank submission keeps what is stored.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_VARIABLE = "FIELD_ENCRYPTION_KEY"
GENERATE = 'python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
PREFIX = "fernet:"  # stored values start with it; a value without it is a plain text written before


def _configured_keys() -> tuple[str, ...]:
    raw = os.environ.get(KEY_VARIABLE, "") or str(getattr(settings, KEY_VARIABLE, "") or "")
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def _development_key(secret: str) -> bytes:
    digest = hashlib.sha256(f"estatedesk.common.fields:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet_for(keys: tuple[str, ...], development_secret: str | None) -> MultiFernet:
    if not keys:
        if development_secret is None:
            raise ImproperlyConfigured(
                f"{KEY_VARIABLE} is not set: encrypted fields (such as the complaint mailbox's password) "
                f"need a Fernet key in the environment. Generate one with\n    {GENERATE}\n"
                f"and set it ({KEY_VARIABLE}=...), or set DEBUG=1 on a development machine."
            )
        return MultiFernet([Fernet(_development_key(development_secret))])
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{KEY_VARIABLE} must be urlsafe-base64 32-byte Fernet keys, comma-separated: {error}"
        ) from None


def fernet() -> MultiFernet:
    """The keys in use now (read from the environment on every call, so tests and rotations see changes)."""
    return _fernet_for(_configured_keys(), str(settings.SECRET_KEY) if settings.DEBUG else None)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain text of a stored value; a value stored before encryption (no prefix) is returned as it
    is, so a column can be switched to this field and re-saved by a data migration."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return fernet().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            f"An encrypted value cannot be read with the keys in {KEY_VARIABLE}: was the key changed "
            "without keeping the old one after it (comma-separated)?"
        ) from None


class SecretInput(forms.PasswordInput):
    """A password input that never sends the stored value back to the browser."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class SecretFormField(forms.CharField):
    """A secret in a form: never shown back; left blank, the stored value is kept (the model field's
    `save_form_data`)."""

    widget = SecretInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs["widget"] = SecretInput  # the admin's text widgets would show the value: never
        kwargs["required"] = False
        kwargs.setdefault("strip", False)  # a password's spaces are part of it
        if not kwargs.get("help_text"):
            kwargs["help_text"] = _("Leave blank to keep the one on file.")
        super().__init__(**kwargs)


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet, key from `FIELD_ENCRYPTION_KEY`). Python code reads and writes the
    plain text; the database holds `fernet:<token>`. Not searchable or orderable by its value; `max_length`
    limits the plain text in forms only."""

    description = _("Encrypted text")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def to_python(self, value: Any) -> str | None:
        if value is None or not isinstance(value, str):
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value  # nothing to hide: an empty secret stays empty, so "is one set?" stays cheap
        return encrypt(str(value))

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{**kwargs, "form_class": SecretFormField, "widget": SecretInput})

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        if data in (None, "") and getattr(instance, self.attname, None):
            return  # a blank password box keeps the secret on file
        super().save_form_data(instance, data)

    def value_to_string(self, obj: models.Model) -> str:
        """Serialized (dumpdata) as stored: encrypted, never in clear."""
        value = self.value_from_object(obj)
        return "" if value in (None, "") else encrypt(str(value))
