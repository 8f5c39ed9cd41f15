"""Changing the email of a resident who has a portal account (R-OA-1, issue 16).

A resident's email is also where their sign-in codes go: whoever can change it can sign in as them. So for
a resident linked to a user account, a new email does not take effect when staff type it in, when an
import brings it, or when staff confirm an owner's own correction. Instead:

- an `EmailChange` is recorded (pending; a newer one replaces it) and audited in the resident's history;
- the new address gets a link to confirm, which works only for the account holder, signed in (their old
  email still signs them in), within OWNER_EMAIL_CHANGE_VALID_DAYS (default 3) days;
- the old address gets a notice with a link to report a change they did not ask for: the change is then
  cancelled and the project's CS supervisors and project managers are told;
- until it is confirmed the old email stays on file and signs in; the pending change shows on the
  resident's page and on the owner's own contact-details page.

The links carry signed, timestamped tokens (`django.core.signing`, one salt per purpose) naming the
change, the account and the new address; the change's status makes each link work once. Residents with
no portal account change email directly, as before. Removing a linked resident's email is direct too (it
gives nobody a way in); the old address is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.notifications.services import email_send, notify
from estatedesk.org.permissions import ARCHIVE_KEEPERS
from estatedesk.org.selectors import memberships_at
from estatedesk.owners.choices import EmailChangeStatus
from estatedesk.owners.models import EmailChange, Occupancy, Resident

logger = logging.getLogger(__name__)

CONFIRM_SALT = "estatedesk.owners.email-change.confirm"
REPORT_SALT = "estatedesk.owners.email-change.report"
DEFAULT_VALID_DAYS = 3


def email_change_valid_for() -> timedelta:
    return timedelta(days=int(getattr(settings, "OWNER_EMAIL_CHANGE_VALID_DAYS", DEFAULT_VALID_DAYS)))


def needs_confirmation(resident: Resident) -> bool:
    """A resident with a portal account: their email is a sign-in address."""
    return resident.user_id is not None


# --- tokens ---------------------------------------------------------------------------------------------


def _token(change: EmailChange, *, salt: str) -> str:
    return signing.dumps({"change": change.pk, "user": change.user_id, "email": change.new_email}, salt=salt)


def _invalid_link() -> DomainError:
    return DomainError(
        "owners.email_change_link_invalid",
        _("This link is not valid or has expired. Please ask the service centre to send a new one."),
        status=404,
    )


def _change_for_token(token: str, *, salt: str, for_update: bool = False) -> EmailChange:
    """The change a token names; DomainError when the token is forged, altered, expired or names a change
    that no longer matches it (another account, another address)."""
    try:
        payload = signing.loads(token, salt=salt, max_age=email_change_valid_for())
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        raise _invalid_link() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("change"), int):
        raise _invalid_link()
    changes = EmailChange.objects.select_related("resident", "user", "requested_by")
    if for_update:
        changes = changes.select_for_update(of=("self",))
    change = changes.filter(pk=payload["change"]).first()
    if change is None or change.user_id != payload.get("user") or change.new_email != payload.get("email"):
        raise _invalid_link()
    return change


def _is_open(change: EmailChange) -> bool:
    return change.status == EmailChangeStatus.PENDING and change.expires_at > timezone.now()


def _not_open() -> DomainError:
    return DomainError(
        "owners.email_change_closed",
        _(
            "This change is no longer waiting: it has been confirmed, withdrawn or replaced, or it has "
            "expired. If something is wrong, please call your service centre."
        ),
        status=409,
    )


# --- asking for a change -----------------------------------------------------------------------------


def _link(path: str, base_url: str) -> str:
    base = (getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or base_url).rstrip("/")
    return f"{base}{path}"


def _language(change: EmailChange) -> str:
    return change.user.preferred_language or change.resident.preferred_language or settings.LANGUAGE_CODE


def _project_id(resident: Resident) -> int | None:
    return (
        Occupancy.objects.filter(resident=resident, ended_on__isnull=True)
        .order_by("id")
        .values_list("unit__project_id", flat=True)
        .first()
    )


def _old_address(resident: Resident) -> str:
    return resident.email or (resident.user.email if resident.user else "")


def email_change_request(
    *, actor: Any, resident: Resident, new_email: str, base_url: str = ""
) -> EmailChange | None:
    """Record a new email for a resident with a portal account and send both emails; the resident's email
    stays as it is. Call inside the caller's transaction, after the caller has checked that `actor` may
    change this resident. Returns the pending change; None when `new_email` is the email on file. Asking
    again for the address already waiting sends nothing more."""
    account = resident.user
    if account is None:
        raise ValueError("only the email of a resident with a portal account waits for confirmation")
    new_email = new_email.strip()
    if not new_email or new_email.lower() == resident.email.lower():
        return None
    now = timezone.now()
    pending = (
        EmailChange.objects.select_for_update()
        .filter(resident=resident, status=EmailChangeStatus.PENDING)
        .first()
    )
    if pending is not None and _is_open(pending) and pending.new_email.lower() == new_email.lower():
        return pending
    if pending is not None:
        pending.status = EmailChangeStatus.REPLACED
        pending.decided_at = now
        pending.save(update_fields=["status", "decided_at", "updated_at"])
    change = EmailChange.objects.create(
        resident=resident,
        user=account,
        old_email=resident.email,
        new_email=new_email,
        requested_by=actor if getattr(actor, "pk", None) else None,
        expires_at=now + email_change_valid_for(),
    )
    audit_record(
        actor=actor,
        action="update",
        obj=resident,
        before={"pending_email": pending.new_email if pending is not None else ""},
        after={"pending_email": new_email, "pending_email_valid_until": change.expires_at.isoformat()},
        project_id=_project_id(resident),
    )
    _send_request_emails(change, base_url=base_url)
    return change


def _send_request_emails(change: EmailChange, *, base_url: str) -> None:
    days = email_change_valid_for().days
    confirm_url = _link(
        reverse("owners:portal_email_confirm", args=[_token(change, salt=CONFIRM_SALT)]), base_url
    )
    report_url = _link(
        reverse("owners:portal_email_report", args=[_token(change, salt=REPORT_SALT)]), base_url
    )
    old_address = _old_address(change.resident)
    with translation.override(_language(change)):
        email_send(
            to=change.new_email,
            subject=_("Confirm your new email address"),
            body=_(
                "The service centre has been asked to use this address, %(new)s, as the email of your "
                "EstateDesk owner account, where your sign-in codes are sent.\n\n"
                "To confirm, open this link within %(days)s days and sign in with your account as usual "
                "(your current email still works until you confirm):\n%(url)s\n\n"
                "If you did not ask for this, ignore this email: nothing changes."
            )
            % {"new": change.new_email, "days": days, "url": confirm_url},
        )
        if old_address:
            email_send(
                to=old_address,
                subject=_("Somebody asked to change the email of your account"),
                body=_(
                    "The service centre has been asked to change the email of your EstateDesk owner "
                    "account to %(new)s. Nothing changes unless you confirm it from the new address, "
                    "signed in with your own account, within %(days)s days; until then this address "
                    "stays in use.\n\n"
                    "If you did not ask for this, report it here and the change is cancelled:\n%(url)s"
                )
                % {"new": change.new_email, "days": days, "url": report_url},
            )
        else:
            logger.info("email change %s: the account has no old address to tell", change.pk)


def email_removal_notice(*, resident: Resident, old_email: str) -> None:
    """Tell the old address that the email of a resident with a portal account was removed (direct: a
    removed address gives nobody a way in)."""
    if not old_email or resident.user is None:
        return
    language = resident.user.preferred_language or resident.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        email_send(
            to=old_email,
            subject=_("The email of your account was removed"),
            body=_(
                "The service centre has removed this address from your EstateDesk owner account: "
                "sign-in codes are no longer sent here. If you did not ask for this, please call your "
                "service centre."
            ),
        )


# --- confirming and reporting --------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailChangeView:
    """What the link pages show: the change, and whether it still waits."""

    change: EmailChange
    is_open: bool


def _require_account_holder(change: EmailChange, actor: Any) -> None:
    if getattr(actor, "pk", None) != change.user_id:
        raise DomainError(
            "owners.email_change_not_account_holder",
            _(
                "Only the account holder can confirm this change. Sign out, then sign in with the "
                "account this email is for."
            ),
            status=403,
        )


def email_change_confirm_link(*, actor: Any, token: str) -> EmailChangeView:
    """Read the change a confirmation link names, for its account holder only (nothing is written)."""
    change = _change_for_token(token, salt=CONFIRM_SALT)
    _require_account_holder(change, actor)
    return EmailChangeView(change=change, is_open=_is_open(change))


def email_change_report_link(*, token: str) -> EmailChangeView:
    """Read the change a report link names (nothing is written); whoever holds the link may read it."""
    change = _change_for_token(token, salt=REPORT_SALT)
    return EmailChangeView(change=change, is_open=_is_open(change))


@transaction.atomic
def email_change_confirm(*, actor: Any, token: str) -> EmailChange:
    """The account holder, signed in, confirms the new email: it goes on file and signs in from now on."""
    change = _change_for_token(token, salt=CONFIRM_SALT, for_update=True)
    _require_account_holder(change, actor)
    if not _is_open(change):
        raise _not_open()
    resident = Resident.objects.select_for_update().get(pk=change.resident_id)
    if resident.user_id != change.user_id:
        raise _invalid_link()
    now = timezone.now()
    old_email = resident.email
    resident.email = change.new_email
    resident.save(update_fields=["email", "updated_at"])
    change.status = EmailChangeStatus.CONFIRMED
    change.decided_at = now
    change.save(update_fields=["status", "decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=resident,
        before={"email": old_email, "pending_email": change.new_email},
        after={"email": change.new_email, "pending_email": "", "email_confirmed_by_account_holder": True},
        project_id=_project_id(resident),
    )
    return change


@transaction.atomic
def email_change_report(*, token: str) -> EmailChange:
    """Whoever reads the old address reports a change they did not ask for: it is cancelled, audited, and
    the project's archive keepers are told."""
    change = _change_for_token(token, salt=REPORT_SALT, for_update=True)
    if not _is_open(change):
        raise _not_open()
    change.status = EmailChangeStatus.REPORTED
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_at", "updated_at"])
    resident = change.resident
    project_id = _project_id(resident)
    audit_record(
        actor=None,
        action="update",
        obj=resident,
        before={"pending_email": change.new_email},
        after={"pending_email": "", "email_change_reported_from_old_address": True},
        project_id=project_id,
    )
    _tell_archive_keepers(change)
    return change


def _tell_archive_keepers(change: EmailChange) -> None:
    occupancies = Occupancy.objects.filter(resident=change.resident, ended_on__isnull=True).select_related(
        "unit__project__branch"
    )
    keepers: dict[int, Any] = {}
    for occupancy in occupancies:
        for membership in memberships_at(
            project=occupancy.unit.project, roles=ARCHIVE_KEEPERS
        ).select_related("user"):
            keepers[membership.user_id] = membership.user
    asked_by = str(change.requested_by) if change.requested_by else _("the import or the system")
    notify(
        users=keepers.values(),
        title=_("An owner reported an email change they did not ask for"),
        body=_(
            "%(resident)s reported from their old address that they did not ask for the change of their "
            "email to %(new)s (asked for by %(by)s). The change has been cancelled."
        )
        % {"resident": change.resident.name, "new": change.new_email, "by": asked_by},
        url=reverse("owners:resident_detail", args=[change.resident_id]),
    )
