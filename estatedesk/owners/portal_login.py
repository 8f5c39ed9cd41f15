"""One-time sign-in codes for the owner portal (R-OA-1): an owner who has no password at hand types their
email or phone, receives a 6-digit code by email (printed to the console in the demo), and types it in.

- The answer is the same whether or not the identifier belongs to anybody: nothing tells an outsider which
  emails or phones have accounts (an unknown identifier even costs the same password hash).
- Codes come from `secrets`, are stored hashed (`make_password`) and compared with `check_password`.
- A code is valid for CODE_VALID_FOR, can be tried MAX_ATTEMPTS times and works once; a newer code
  replaces the older ones. At most MAX_CODES_PER_HOUR codes per account: counted from the LoginCode rows
  while the account's row is locked, so several web processes cannot exceed it together.
- The email goes out from a task queued in the same transaction as the code row (`owners.tasks`). The task
  draws the code itself and stores only its hash, so the plain code is never written to the database (not
  even in the task queue's arguments); until the task has run the row has no hash and matches nothing.
- Only owners (users linked to a resident record) get codes; staff sign in with their password.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from estatedesk.common.audit import audit_record
from estatedesk.owners.auth import phone_number_of, user_for_phone
from estatedesk.owners.models import LoginCode

logger = logging.getLogger(__name__)

CODE_LENGTH = 6
CODE_VALID_FOR = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
KEEP_USED_CODES = timedelta(days=1)


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
    when it names nobody, a staff-only account, or several accounts (a shared family email or landline)."""
    email = _email_of(identifier)
    if email:
        candidates = list(
            get_user_model()
            .objects.filter(Q(email__iexact=email) | Q(resident__email__iexact=email), resident__isnull=False)
            .select_related("resident")
            .distinct()
            .order_by("pk")[:2]
        )
        user = candidates[0] if len(candidates) == 1 else None
    else:
        user = user_for_phone(number=phone_number_of(identifier), owners_only=True)
    if user is None or not user.is_active:
        return None
    resident = user.resident
    if email:
        address = resident.email if resident.email.lower() == email.lower() else user.email
    else:
        address = resident.email or user.email
    return Recipient(user=user, email=address)


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


@sensitive_variables("code")
def login_code_issue(*, identifier: str) -> None:
    """Send a sign-in code to the owner named by `identifier`. Answers nothing, whatever happens."""
    recipient = owner_for_identifier(identifier=identifier)
    make_password(_new_code())  # the cost of hashing a code, paid even for nobody: the answer takes as long
    if recipient is None:
        logger.info("sign-in code requested for an identifier that names no single owner account")
        return
    if not recipient.email:
        logger.info("sign-in code not sent: account %s has no email on file", recipient.user.pk)
        return
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=recipient.user.pk)
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
        from estatedesk.owners.tasks import login_code_send

        login_code_send.enqueue(login_code_id=login_code.pk, email=recipient.email)


def login_code_draw(*, login_code_id: int) -> str | None:
    """Draw the code of a pending LoginCode and store its hash; once only (a conditional UPDATE), so a
    retried send task never mails a second code. None when the row is gone, used, expired or drawn."""
    code = _new_code()
    drawn = LoginCode.objects.filter(
        pk=login_code_id, code_hash="", used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(code_hash=make_password(code))
    return code if drawn else None


@sensitive_variables("code")
def login_code_verify(*, identifier: str, code: str) -> Any | None:
    """The owner's account when `code` is their newest, unexpired, unused code; otherwise None.

    Each try uses up one of the code's attempts (claimed with a conditional UPDATE, so parallel tries
    cannot exceed them); a correct code is marked used in the same way, so it signs in once.
    """
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
        used = LoginCode.objects.filter(pk=login_code.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        if not used:
            return None
        # the account's other codes are of no more use
        LoginCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        audit_record(actor=user, action="login", obj=user, after={"method": "sign-in code"})
    return user


def login_code_prune(*, now: datetime | None = None) -> int:
    """Delete codes that can no longer be used nor count towards the hourly limit."""
    now = now or timezone.now()
    keep_after = now - max(KEEP_USED_CODES, timedelta(hours=1) + CODE_VALID_FOR)
    deleted, _ = LoginCode.objects.filter(expires_at__lt=keep_after).delete()
    return deleted
