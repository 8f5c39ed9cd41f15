"""Background work of the owner archive. Tasks load rows by id and call the owners' services."""

from __future__ import annotations

import logging
from datetime import time

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.scheduling import Daily, periodic
from estatedesk.owners.auth import is_staff_account
from estatedesk.owners.login_codes import CODE_VALID_FOR, login_code_draw, login_code_prune
from estatedesk.owners.models import LoginCode

logger = logging.getLogger(__name__)


@task()
def login_code_send(*, login_code_id: int, email: str) -> bool:
    """Draw and email a sign-in code (printed to the console by the default mail backend). A code that was
    used, replaced or has expired by the time the worker gets to it is not sent; a retried task sends
    nothing more; nor is a code for an account that holds staff rights by then (issue 16). Returns
    whether it was sent."""
    login_code = (
        LoginCode.objects.filter(pk=login_code_id, used_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("user__resident")
        .first()
    )
    if login_code is None:
        return False
    if is_staff_account(login_code.user):
        logger.warning("sign-in code not sent: account %s holds staff rights", login_code.user_id)
        return False
    code = login_code_draw(login_code_id=login_code_id)
    if code is None:
        return False
    user = login_code.user
    resident = getattr(user, "resident", None)
    language = user.preferred_language or (resident.preferred_language if resident else "") or None
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _("Your sign-in code: %(code)s") % {"code": code}
        body = _(
            "Your EstateDesk sign-in code is %(code)s.\n\n"
            "It is valid for %(minutes)s minutes and can be used once. "
            "If you did not ask for it, you can ignore this email: nobody can sign in without the code."
        ) % {"code": code, "minutes": minutes}
        send_mail(subject, body, None, [email])
    if settings.DEBUG:
        logger.info("sign-in code for %s: %s", user, code)
    return True


@periodic(name="owners.prune_login_codes", at=Daily(time(3, 10)))
@task(queue_name="periodic")
def prune_login_codes() -> int:
    """Delete old sign-in codes (daily, 03:10 in Asia/Shanghai)."""
    return login_code_prune()


@periodic(name="owners.completeness_snapshot", at=Daily(time(1, 30)))
@task(queue_name="periodic")
def completeness_snapshot() -> int:
    """Record each project's owner-archive completeness (daily, 01:30 in Asia/Shanghai) for the trend."""
    from estatedesk.owners.selectors import completeness_snapshot_take

    return completeness_snapshot_take()
