"""Account writes: the language preference, API tokens, what a password change revokes, and how often the
old password may be tried.

API tokens (DRF's `authtoken`: one per user, sent as `Authorization: Token <key>`) are made and revoked
with `estatedesk api_token create|revoke USER` (docs/deployment.md). A password change, by the user or by
an administrator, revokes the user's token (issue 16, item 4e): whoever had the old password may have made
one. Each is in the audit trail as a change of the user's `api_token` (never the key itself).

Changing the password checks the old one, so a stolen session could guess it: the checks are limited per
user and per client address (issue 16, item 4f; settings PASSWORD_CHECKS_PER_USER, PASSWORD_CHECKS_PER_IP,
PASSWORD_CHECK_WINDOW_MINUTES).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.common.ratelimit import Limit, Refusal, limits_hit

# Password-change attempts (each checks the old password): per user and per client address in a window.
PASSWORD_CHECK_DEFAULTS = {
    "PASSWORD_CHECKS_PER_USER": 5,
    "PASSWORD_CHECKS_PER_IP": 20,
    "PASSWORD_CHECK_WINDOW_MINUTES": 15,
}


@transaction.atomic
def user_set_language(*, actor: Any, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise DomainError("accounts.invalid_language", "unsupported language")
    if actor.is_authenticated and actor.preferred_language != language:
        actor.preferred_language = language
        actor.save(update_fields=["preferred_language"])


def user_set_daily_digest(*, actor: Any, enabled: bool) -> None:
    """The signed-in user's own choice of the daily digest email (notifications/digest.py)."""
    if actor.is_authenticated and actor.daily_digest != enabled:
        actor.daily_digest = enabled
        actor.save(update_fields=["daily_digest"])


def _audit_token(*, actor: Any, user: Any, before: str, after: str) -> None:
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        before={"api_token": before},
        after={"api_token": after},
    )


@transaction.atomic
def api_token_create(*, actor: Any, user: Any) -> str:
    """A new API token for `user`; returns its key, shown once. A user has at most one: revoke it first."""
    if not user.is_active:
        raise DomainError("accounts.inactive_user", _("This account is disabled."))
    token, created = Token.objects.get_or_create(user=user)
    if not created:
        raise DomainError(
            "accounts.token_exists",
            _("%(user)s already has an API token; revoke it first.") % {"user": user.get_username()},
            status=409,
        )
    _audit_token(actor=actor, user=user, before="", after="***")
    return str(token.key)


@transaction.atomic
def api_tokens_revoke(*, actor: Any, user: Any) -> int:
    """Delete the user's API token; how many were deleted (0 when there was none)."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        _audit_token(actor=actor, user=user, before="***", after="")
    return int(deleted)


def _password_setting(name: str) -> int:
    return int(getattr(settings, name, PASSWORD_CHECK_DEFAULTS[name]))


def password_check_hit(*, user: Any, client_address: str) -> Refusal | None:
    """Count one old-password check; a Refusal (and no check) when the user or the address has used up
    the window's allowance."""
    window = max(1, _password_setting("PASSWORD_CHECK_WINDOW_MINUTES")) * 60
    return limits_hit(
        [
            Limit(
                "accounts.password.user", str(user.pk), _password_setting("PASSWORD_CHECKS_PER_USER"), window
            ),
            Limit(
                "accounts.password.ip",
                client_address or "unknown",
                _password_setting("PASSWORD_CHECKS_PER_IP"),
                window,
            ),
        ]
    )


def user_password_changed(*, actor: Any, user: Any) -> None:
    """After the user's password was changed (by themselves or an administrator): API tokens made with the
    old password no longer work."""
    api_tokens_revoke(actor=actor, user=user)
