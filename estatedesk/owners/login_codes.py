"""The stored sign-in codes of the owner portal (R-OA-1): how long they live, how a code is drawn and its
hash stored, and how old rows are pruned.

Shared by the sign-in service (`portal_login`) and the background tasks (`tasks`), which import this
module and never each other the other way round: `portal_login` queues `tasks.login_code_send`, and the
task draws the code here (issue 16: the import cycle portal_login <-> tasks is gone).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from estatedesk.owners.models import LoginCode

CODE_LENGTH = 6
CODE_VALID_FOR = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
KEEP_USED_CODES = timedelta(days=1)


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def login_code_draw(*, login_code_id: int) -> str | None:
    """Draw the code of a pending LoginCode and store its hash; once only (a conditional UPDATE), so a
    retried send task never mails a second code. None when the row is gone, used, expired or drawn."""
    code = new_code()
    drawn = LoginCode.objects.filter(
        pk=login_code_id, code_hash="", used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(code_hash=make_password(code))
    return code if drawn else None


def login_code_prune(*, now: datetime | None = None) -> int:
    """Delete codes that can no longer be used nor count towards the hourly limit."""
    now = now or timezone.now()
    keep_after = now - max(KEEP_USED_CODES, timedelta(hours=1) + CODE_VALID_FOR)
    deleted, _ = LoginCode.objects.filter(expires_at__lt=keep_after).delete()
    return deleted
