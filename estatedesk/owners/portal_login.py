"""One-time sign-in codes for the owner portal (R-OA-1): an owner who has no password at hand types their
email or phone, receives a 6-digit code by email (printed to the console in the demo), and types it in.

- The answer is the same whether or not the identifier belongs to anybody: nothing tells an outsider which
  emails or phones have accounts (an unknown identifier even costs the same password hash).
- Codes come from `secrets`, are stored hashed (`make_password`) and compared with `check_password`.
- A code is valid for CODE_VALID_FOR, can be tried MAX_ATTEMPTS times and works once; a newer code
  replaces the older ones. At most MAX_CODES_PER_HOUR codes per account: counted from the LoginCode rows
  while the account's row is locked, so several web processes cannot exceed it together.
- Asking for codes is also limited per identifier, per client address and company-wide, and typing codes
  per client address (`common.ratelimit`, settings OWNER_CODE_*). These limits are counted before anybody
  is looked up, so a refusal ("too many requests, try again in N minutes") tells nothing about accounts.
- The email goes out from a task queued in the same transaction as the code row (`owners.tasks`). The task
  draws the code itself and stores only its hash, so the plain code is never written to the database (not
  even in the task queue's arguments); until the task has run the row has no hash and matches nothing.
- Only owners get codes: an account linked to a resident record that holds no staff rights (no org
  membership, not is_staff, not is_superuser; `auth.is_staff_account`). Staff sign in with their password.
  This is checked when a code is asked for, again when the task sends it, and again when it is typed in
  (issue 16: a resident record linked to a staff account must never open an owner's door to it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.ratelimit import Limit, Refusal, limits_hit
from estatedesk.owners.auth import is_staff_account, phone_number_of, staff_account_q, user_for_phone
from estatedesk.owners.login_codes import (
    CODE_LENGTH,
    CODE_VALID_FOR,
    MAX_ATTEMPTS,
    MAX_CODES_PER_HOUR,
    new_code,
)
from estatedesk.owners.models import LoginCode
from estatedesk.owners.tasks import login_code_send

logger = logging.getLogger(__name__)

# Settings (with these defaults): how many code requests a window allows per identifier, per client
# address and company-wide, how many code tries per client address, and how long a window lasts.
RATE_LIMIT_DEFAULTS = {
    "OWNER_CODE_REQUESTS_PER_IDENTIFIER": 10,
    "OWNER_CODE_REQUESTS_PER_IP": 30,
    "OWNER_CODE_REQUESTS_TOTAL": 1000,
    "OWNER_CODE_TRIES_PER_IP": 50,
    "OWNER_CODE_RATE_WINDOW_MINUTES": 60,
}


def _setting(name: str) -> int:
    return int(getattr(settings, name, RATE_LIMIT_DEFAULTS[name]))


def _window_seconds() -> int:
    return max(1, _setting("OWNER_CODE_RATE_WINDOW_MINUTES")) * 60


def _identifier_key(identifier: str) -> str:
    """Every spelling of an identifier counts as one: emails in lower case, phones normalized."""
    return phone_number_of(identifier) or identifier.strip().lower()


def _too_many_requests(refusal: Refusal) -> DomainError:
    minutes = refusal.retry_after_minutes
    return DomainError(
        "owners.too_many_requests",
        ngettext(
            "Too many requests. Please try again in %(minutes)s minute.",
            "Too many requests. Please try again in %(minutes)s minutes.",
            minutes,
        )
        % {"minutes": minutes},
        status=429,
    )


def _request_allowed(*, identifier: str, client_address: str) -> None:
    """Count one code request per client address, per identifier and company-wide (in that order: a
    request refused for its address spends nothing of the others); DomainError(429) when refused."""
    window = _window_seconds()
    refusal = limits_hit(
        [
            Limit(
                "owners.code.ip", client_address or "unknown", _setting("OWNER_CODE_REQUESTS_PER_IP"), window
            ),
            Limit(
                "owners.code.identifier",
                _identifier_key(identifier),
                _setting("OWNER_CODE_REQUESTS_PER_IDENTIFIER"),
                window,
            ),
            Limit("owners.code.total", "", _setting("OWNER_CODE_REQUESTS_TOTAL"), window),
        ]
    )
    if refusal is not None:
        logger.warning("sign-in code request refused: limit %s reached", refusal.name)
        raise _too_many_requests(refusal)


def _try_allowed(*, client_address: str) -> None:
    refusal = limits_hit(
        [
            Limit(
                "owners.code.tries.ip",
                client_address or "unknown",
                _setting("OWNER_CODE_TRIES_PER_IP"),
                _window_seconds(),
            )
        ]
    )
    if refusal is not None:
        logger.warning("sign-in code try refused: limit %s reached", refusal.name)
        raise _too_many_requests(refusal)


@dataclass(frozen=True)
class Recipient:
    user: Any
    email: str  # where the code goes; "" when the account has no email on file


def _email_of(identifier: str) -> str:
    text = identifier.strip()
    if "@" not in text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        return ""
    return text


def owner_for_identifier(*, identifier: str) -> Recipient | None:
    """The one active owner account that `identifier` (an email or a phone number) names, or None
    when it names nobody, several accounts (a shared family email or landline), or an account that holds
    staff rights (even one linked to a resident record: staff never sign in by an owner's code)."""
    email = _email_of(identifier)
    if email:
        candidates = list(
            get_user_model()
            .objects.filter(Q(email__iexact=email) | Q(resident__email__iexact=email), resident__isnull=False)
            .exclude(staff_account_q())
            .select_related("resident")
            .distinct()
            .order_by("pk")[:2]
        )
        user = candidates[0] if len(candidates) == 1 else None
    else:
        user = user_for_phone(number=phone_number_of(identifier), owners_only=True)
    if user is None or not user.is_active or is_staff_account(user):
        return None
    resident = user.resident
    if email:
        address = resident.email if resident.email.lower() == email.lower() else user.email
    else:
        address = resident.email or user.email
    return Recipient(user=user, email=address)


@sensitive_variables("code")
def login_code_issue(*, identifier: str, client_address: str = "") -> None:
    """Send a sign-in code to the owner named by `identifier`. Answers nothing, whatever happens; only
    too many requests (from this address, for this identifier, or company-wide) raise DomainError(429),
    counted before anybody is looked up."""
    _request_allowed(identifier=identifier, client_address=client_address)
    recipient = owner_for_identifier(identifier=identifier)
    make_password(new_code())  # the cost of hashing a code, paid even for nobody: the answer takes as long
    if recipient is None:
        logger.info("sign-in code requested for an identifier that names no single owner account")
        return
    if not recipient.email:
        logger.info("sign-in code not sent: account %s has no email on file", recipient.user.pk)
        return
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=recipient.user.pk)
        if is_staff_account(user):  # checked again under the lock: a membership granted a moment ago
            logger.warning("sign-in code not sent: account %s holds staff rights", user.pk)
            return
        now = timezone.now()
        recent = LoginCode.objects.filter(user=user, created_at__gt=now - timedelta(hours=1)).count()
        if recent >= MAX_CODES_PER_HOUR:
            logger.warning("sign-in code not sent: account %s asked for too many codes", user.pk)
            return
        login_code = LoginCode.objects.create(user=user, code_hash="", expires_at=now + CODE_VALID_FOR)
        audit_record(
            actor=None,
            action="create",
            obj=login_code,
            after={"user": user.pk, "expires_at": login_code.expires_at.isoformat()},
        )
        login_code_send.enqueue(login_code_id=login_code.pk, email=recipient.email)


@sensitive_variables("code")
def login_code_verify(*, identifier: str, code: str, client_address: str = "") -> Any | None:
    """The owner's account when `code` is their newest, unexpired, unused code; otherwise None.

    Each try uses up one of the code's attempts (claimed with a conditional UPDATE, so parallel tries
    cannot exceed them); a correct code is marked used in the same way, so it signs in once. An account
    that holds staff rights is never returned, whatever the code. Too many tries from one client address
    raise DomainError(429).
    """
    _try_allowed(client_address=client_address)
    typed = "".join(str(code or "").split())
    recipient = owner_for_identifier(identifier=identifier)
    now = timezone.now()
    login_code = None
    if recipient is not None and typed.isdigit() and len(typed) == CODE_LENGTH:
        login_code = (
            LoginCode.objects.filter(user=recipient.user, used_at__isnull=True, expires_at__gt=now)
            .exclude(code_hash="")
            .order_by("-created_at", "-id")
            .first()
        )
    if recipient is None or login_code is None:
        make_password(typed)  # the same cost as a real check
        return None
    claimed = LoginCode.objects.filter(
        pk=login_code.pk, used_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        make_password(typed)
        return None
    if not check_password(typed, login_code.code_hash):
        return None
    user = recipient.user
    with transaction.atomic():
        if is_staff_account(user):  # defence in depth: the door stays shut even for a correct code
            logger.warning("sign-in by code refused: account %s holds staff rights", user.pk)
            return None
        used = LoginCode.objects.filter(pk=login_code.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        if not used:
            return None
        # the account's other codes are of no more use
        LoginCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        audit_record(actor=user, action="login", obj=user, after={"method": "sign-in code"})
    return user
