"""Owners get portal accounts (issue 11, R-OA-1): staff invite a resident from the archive, or an owner asks
for an account from the portal and staff confirm it; the owner activates the account with the one-time code.

- An invitation carries a one-time activation code drawn from `secrets` (12 letters and digits without the
  look-alikes 0/O, 1/I), stored as its SHA-256 hash (the code has 60 bits of chance, so the hash is looked up
  directly), valid for OWNER_INVITATION_VALID_DAYS days (14), used once; a newer invitation revokes the
  older ones. Staff print it as a letter with a QR code of the activation page, show it on screen, or have
  it emailed to the archived email (the send task draws the code, as for sign-in codes: the plain code is
  never written to the database, not even in the task queue).
- Activating asks for the code and one of the resident's phone numbers on file (a letter found by someone
  else opens nothing), then a password: a new account is made and linked to the resident, never an existing
  one, so no staff account can be made or taken over this way (issue 16, `auth.is_staff_account`); a
  resident already linked to an account is not invited.
- Account requests from the portal (phone, unit, name) are limited per client address, per phone and
  company-wide (`common.ratelimit`) and answered alike whatever exists; staff confirm one only when exactly
  one resident of that unit has that phone.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.ratelimit import Limit, limits_hit
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, require
from estatedesk.org.selectors import project_staff
from estatedesk.owners.auth import is_staff_account, phone_number_of
from estatedesk.owners.choices import AccountRequestStatus
from estatedesk.owners.models import AccountRequest, Occupancy, PortalInvitation, Resident

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12

# Settings (with these defaults): how long an invitation is valid, and the rate limits of activation tries
# and account requests (per client address, per phone, company-wide) in windows of the given minutes.
DEFAULTS = {
    "OWNER_INVITATION_VALID_DAYS": 14,
    "OWNER_ACTIVATION_TRIES_PER_IP": 20,
    "OWNER_ACCOUNT_REQUESTS_PER_IP": 10,
    "OWNER_ACCOUNT_REQUESTS_PER_PHONE": 3,
    "OWNER_ACCOUNT_REQUESTS_TOTAL": 500,
    "OWNER_INVITATION_RATE_WINDOW_MINUTES": 60,
}


def _setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def valid_for() -> timedelta:
    return timedelta(days=max(1, _setting("OWNER_INVITATION_VALID_DAYS")))


def new_activation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_for_display(code: str) -> str:
    """ABCD-EFGH-JKLM: easier to read out and to type."""
    return "-".join(code[index : index + 4] for index in range(0, len(code), 4))


def normalized_code(typed: str) -> str:
    """What people type: any case, spaces and dashes, O for 0 and I for 1 (the code has neither)."""
    text = "".join(ch for ch in str(typed or "").upper() if ch.isalnum())
    return text.replace("0", "O").replace("1", "I")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalized_code(code).encode()).hexdigest()


def activation_path(code: str = "") -> str:
    from django.urls import reverse

    path = reverse("owners:portal_activate")
    return f"{path}?code={code_for_display(code)}" if code else path


def activation_url(*, base_url: str, code: str) -> str:
    base = getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or base_url
    return base.rstrip("/") + activation_path(code)


def _too_many(minutes: int) -> DomainError:
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


def _window() -> int:
    return max(1, _setting("OWNER_INVITATION_RATE_WINDOW_MINUTES")) * 60


# --- invitations --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    invitation: PortalInvitation
    code: str  # the plain code to print or show; "" when it goes by email (the task draws it)


def _resident_projects(resident: Resident) -> list[Project]:
    return list(
        Project.objects.filter(
            units__occupancies__resident=resident, units__occupancies__ended_on__isnull=True
        )
        .distinct()
        .order_by("id")
    )


def may_invite(*, actor: Any, resident: Resident) -> bool:
    """Staff with the archive edit capability at a project the resident lives in now."""
    return any(can(actor, "owners.edit", project=project) for project in _resident_projects(resident))


@sensitive_variables("code")
@transaction.atomic
def invitation_issue(*, actor: Any, resident: Resident, by_email: bool = False, base_url: str = "") -> Issued:
    """Invite `resident` to the owner portal: a new one-time activation code (older ones revoked). By email
    to the archived email (`by_email`), or returned to print and show on screen."""
    if not may_invite(actor=actor, resident=resident):
        raise PermissionDenied("owners.edit")
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.user_id is not None:
        raise DomainError(
            "owners.has_account",
            _(
                "This resident already has a portal account. They sign in with their phone and password, or "
                "with a code sent to their email, and can reset a lost password the same way."
            ),
            status=409,
        )
    if not resident.phones.exists():
        raise DomainError(
            "owners.no_phone",
            _("Add the resident's phone number first: the owner confirms it when activating the account."),
            status=409,
        )
    if by_email and not resident.email:
        raise DomainError(
            "owners.no_email",
            _("There is no email on file for this resident: print the letter instead."),
            status=409,
        )
    now = timezone.now()
    revoked = PortalInvitation.objects.filter(
        resident=resident, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    code = "" if by_email else new_activation_code()
    invitation = PortalInvitation.objects.create(
        resident=resident,
        code_hash=code_hash(code) if code else "",
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=now + valid_for(),
        emailed_to=resident.email if by_email else "",
    )
    audit_record(
        actor=actor,
        action="create",
        obj=invitation,
        after={
            "resident": resident.pk,
            "expires_at": invitation.expires_at.isoformat(),
            "by_email": by_email,
            "revoked": revoked,
        },
    )
    if by_email:
        invitation_send.enqueue(invitation_id=invitation.pk, base_url=base_url)
    return Issued(invitation=invitation, code=code)


def invitation_draw(*, invitation_id: int) -> str | None:
    """Draw the code of an emailed invitation and store its hash; once only (a conditional UPDATE), so a
    retried task never mails a second code. None when it is gone, used, revoked, expired or drawn."""
    code = new_activation_code()
    drawn = PortalInvitation.objects.filter(
        pk=invitation_id,
        code_hash="",
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(code_hash=code_hash(code))
    return code if drawn else None


@task()
def invitation_send(*, invitation_id: int, base_url: str = "") -> bool:
    """Email the activation link of an invitation to the archived email. Returns whether it was sent."""
    invitation = PortalInvitation.objects.filter(pk=invitation_id).select_related("resident").first()
    if invitation is None or not invitation.emailed_to:
        return False
    resident = invitation.resident
    if resident.user_id is not None:
        return False  # activated some other way in the meantime
    code = invitation_draw(invitation_id=invitation_id)
    if code is None:
        return False
    link = activation_url(base_url=base_url or "http://127.0.0.1:8000/", code=code)
    with translation.override(resident.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Your invitation to the owner portal")
        body = _(
            "Dear %(name)s,\n\n"
            "the service centre invites you to the owner portal, where you report problems and follow "
            "your requests. Open this link to activate your account:\n\n%(link)s\n\n"
            "Your activation code is %(code)s. It is valid until %(until)s and can be used once. You will be "
            "asked for your phone number on file and a password of your choice."
        ) % {
            "name": resident.name,
            "link": link,
            "code": code_for_display(code),
            "until": f"{timezone.localtime(invitation.expires_at):%Y-%m-%d}",
        }
        send_mail(subject, body, None, [invitation.emailed_to])
    if settings.DEBUG:
        logger.info("activation link for resident %s: %s", resident.pk, link)
    return True


def _invalid_activation() -> DomainError:
    message = _(
        "This activation code is not valid: it may have expired, been used or replaced by a newer one, or "
        "the phone number is not the one on file. Ask the service centre for a new invitation."
    )
    return DomainError("owners.activation_invalid", message, status=400, fields={"code": [message]})


@sensitive_variables("code", "password")
def invitation_activate(*, code: str, phone: str, password: str, client_address: str = "") -> Any:
    """Activate the owner's account: the code of a valid invitation and one of the resident's phones on file;
    the password is checked by Django's validators. Returns the new account (linked to the resident)."""
    refusal = limits_hit(
        [
            Limit(
                "owners.activation.ip",
                client_address or "unknown",
                _setting("OWNER_ACTIVATION_TRIES_PER_IP"),
                _window(),
            )
        ]
    )
    if refusal is not None:
        raise _too_many(refusal.retry_after_minutes)
    typed = normalized_code(code)
    number = phone_number_of(phone)
    now = timezone.now()
    invitation = None
    if len(typed) == CODE_LENGTH:
        invitation = (
            PortalInvitation.objects.filter(
                code_hash=code_hash(typed), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            )
            .select_related("resident")
            .first()
        )
    if invitation is None or not number or not invitation.resident.phones.filter(number=number).exists():
        raise _invalid_activation()
    resident = invitation.resident
    try:
        validate_password(password, user=get_user_model()(username=resident.name, email=resident.email))
    except ValidationError as error:
        raise DomainError(
            "owners.weak_password", _("Choose another password."), fields={"password": list(error.messages)}
        ) from error
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.user_id is not None:
            raise _invalid_activation()
        claimed = PortalInvitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise _invalid_activation()
        user = _new_owner_account(resident=resident, password=password)
        if is_staff_account(user):  # pragma: no cover - a new account holds no rights; kept as the rule
            raise PermissionDenied("staff account")
        resident.user = user
        resident.save(update_fields=["user", "updated_at"])
        PortalInvitation.objects.filter(
            resident=resident, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        audit_record(
            actor=user, action="update", obj=resident, before={"user": None}, after={"user": user.pk}
        )
    return user


def _new_owner_account(*, resident: Resident, password: str) -> Any:
    users = get_user_model()
    base = f"owner{resident.pk}"
    username = base
    while users.objects.filter(username=username).exists():
        username = f"{base}-{secrets.token_hex(2)}"
    user = users(
        username=username,
        email=resident.email,
        display_name=resident.name,
        preferred_language=resident.preferred_language or "",
    )
    user.set_password(password)
    user.save()
    return user


# --- account requests from the portal -----------------------------------------------------------------------


def account_request_submit(
    *, project: Project, unit_label: str, phone: str, name: str = "", client_address: str = ""
) -> None:
    """An owner asks for an account: recorded for the project's service centre, answered alike whatever
    exists (nothing is looked up for the answer). Too many requests raise DomainError(429)."""
    number = phone_number_of(phone)
    if not number:
        raise DomainError(
            "owners.invalid_phone",
            _("Enter a mobile number or a landline with its area code."),
            fields={"phone": [_("Enter a mobile number or a landline with its area code.")]},
        )
    window = _window()
    refusal = limits_hit(
        [
            Limit(
                "owners.account_request.ip",
                client_address or "unknown",
                _setting("OWNER_ACCOUNT_REQUESTS_PER_IP"),
                window,
            ),
            Limit(
                "owners.account_request.phone", number, _setting("OWNER_ACCOUNT_REQUESTS_PER_PHONE"), window
            ),
            Limit("owners.account_request.total", "", _setting("OWNER_ACCOUNT_REQUESTS_TOTAL"), window),
        ]
    )
    if refusal is not None:
        raise _too_many(refusal.retry_after_minutes)
    with transaction.atomic():
        account_request = AccountRequest.objects.create(
            project=project, unit_label=unit_label.strip()[:40], phone=number, name=name.strip()[:60]
        )
        staff = project_staff(project=project, roles={Role.CS_SUPERVISOR, Role.CS_AGENT})
        notify(
            users=staff,
            title=_("Request for an owner portal account: %(project)s %(unit)s")
            % {"project": project.name, "unit": account_request.unit_label},
            url=account_requests_path(),
            email=False,
        )


def account_requests_path() -> str:
    from django.urls import reverse

    return reverse("owners:account_request_list")


def account_request_list(*, user: Any) -> QuerySet[AccountRequest]:
    """The pending requests of the user's projects, oldest first."""
    return (
        AccountRequest.objects.visible_to(user)
        .filter(status=AccountRequestStatus.PENDING)
        .select_related("project")
        .order_by("created_at", "id")
    )


def account_request_candidates(*, account_request: AccountRequest) -> list[Resident]:
    """The residents who live now in the unit named, in that project, with that phone on file."""
    resident_ids = Occupancy.objects.filter(
        unit__project_id=account_request.project_id,
        unit__label=account_request.unit_label,
        ended_on__isnull=True,
    ).values("resident_id")
    return list(
        Resident.objects.filter(pk__in=resident_ids, phones__number=account_request.phone)
        .distinct()
        .order_by("id")[:5]
    )


def _review_locked(*, actor: Any, account_request: AccountRequest) -> AccountRequest:
    require(actor, "owners.edit", project=account_request.project)
    locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if locked.status != AccountRequestStatus.PENDING:
        raise DomainError("owners.request_reviewed", _("This request has already been reviewed."), status=409)
    return locked


@transaction.atomic
def account_request_confirm(
    *, actor: Any, account_request: AccountRequest, by_email: bool = False, base_url: str = ""
) -> Issued:
    """Confirm a request: the one resident of that unit with that phone is invited (`invitation_issue`)."""
    locked = _review_locked(actor=actor, account_request=account_request)
    candidates = account_request_candidates(account_request=locked)
    if len(candidates) != 1:
        raise DomainError(
            "owners.request_unmatched",
            _(
                "No single resident of this unit has this phone number on file. Correct the archive first, "
                "or decline the request."
            ),
            status=409,
        )
    issued = invitation_issue(actor=actor, resident=candidates[0], by_email=by_email, base_url=base_url)
    locked.status = AccountRequestStatus.CONFIRMED
    locked.resident = candidates[0]
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["status", "resident", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(actor=actor, action="update", obj=locked, after={"status": locked.status})
    return issued


@transaction.atomic
def account_request_decline(*, actor: Any, account_request: AccountRequest, reason: str) -> AccountRequest:
    locked = _review_locked(actor=actor, account_request=account_request)
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "owners.reason_required",
            _("Give the reason for declining."),
            fields={"reason": [_("Give the reason for declining.")]},
        )
    locked.status = AccountRequestStatus.DECLINED
    locked.review_note = reason[:200]
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(actor=actor, action="update", obj=locked, after={"status": locked.status, "note": reason})
    return locked
