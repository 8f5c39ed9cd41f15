"""Acknowledgements go only to addresses we know (issue 10, item 5): nobody can make the system mail an
arbitrary address by typing it in.

An item's customer email (`customer_email_for`) is
- the resident's archived email (`Resident.email`), or
- the sender of the email that made the item: an item of the email channel that no staff member registered
  was made by the complaint mailbox (owners register on the portal or by QR code; staff are the registrar
  of whatever they type, on any channel), and its contact email is the message's From address; or
- a typed-in `contact_email` (hotline or walk-in form, the API) once its owner confirmed it.

A typed-in address that is none of these gets one email, once per item (`contact_email_confirmation_sent_at`
is claimed with a conditional UPDATE): "is this your request <reference>?", naming only the reference and
the project, never what was reported, with a signed link (django.core.signing, salt CONFIRM_SALT, valid
FEEDBACK_CONTACT_EMAIL_CONFIRM_DAYS days). The link opens a page whose button confirms
(`contact_email_confirm`), so a mail scanner following links confirms nothing; after the click,
acknowledgements and results go there. Until then the customer hears through the archived email, if any,
and in the portal. Anonymous QR submissions take a phone number only (portal/forms.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import email_send

CONFIRM_SALT = "estatedesk.feedback.contact-email.confirm"
DEFAULT_VALID_DAYS = 14


def confirmation_valid_for() -> timedelta:
    return timedelta(days=int(getattr(settings, "FEEDBACK_CONTACT_EMAIL_CONFIRM_DAYS", DEFAULT_VALID_DAYS)))


def _same(first: str, second: str) -> bool:
    return bool(first.strip()) and first.strip().lower() == second.strip().lower()


def is_mail_sender(item: FeedbackItem) -> bool:
    """Whether the item's contact email is the From address of the message that made it."""
    return item.channel == Channel.EMAIL and item.registered_by_id is None and bool(item.contact_email)


def contact_email_is_known(item: FeedbackItem) -> bool:
    """Whether the typed-in contact email may be written to: archived, the mail's sender, or confirmed."""
    archived = item.resident.email if item.resident is not None else ""
    return (
        _same(item.contact_email, archived)
        or is_mail_sender(item)
        or item.contact_email_confirmed_at is not None
    )


def customer_email_for(item: FeedbackItem) -> str:
    """Where the customer's emails go: the contact email when it is known (`contact_email_is_known`), else
    the resident's archived email; "" when there is neither."""
    if item.contact_email.strip() and contact_email_is_known(item):
        return item.contact_email.strip()
    return (item.resident.email if item.resident is not None else "").strip()


def _link(token: str) -> str:
    base = (getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or "").rstrip("/")
    return base + reverse("feedback:contact_email_confirm", args=[token])


def contact_email_confirmation_ask(*, item: FeedbackItem) -> bool:
    """Ask a typed-in, unknown contact email once whether the request is theirs; True when asked now.
    Call inside the caller's transaction (the email is queued in the outbox with it)."""
    address = item.contact_email.strip()
    if not address or contact_email_is_known(item):
        return False
    now = timezone.now()
    claimed = FeedbackItem.objects.filter(pk=item.pk, contact_email_confirmation_sent_at__isnull=True).update(
        contact_email_confirmation_sent_at=now
    )
    if not claimed:
        return False  # asked before: never a second time
    item.contact_email_confirmation_sent_at = now
    token = signing.dumps({"item": item.pk, "email": address.lower()}, salt=CONFIRM_SALT)
    preferred = item.resident.preferred_language if item.resident is not None else ""
    language = preferred or settings.LANGUAGE_CODE
    with translation.override(language):
        email_send(
            to=address,
            subject=_("Is this your request %(reference)s?") % {"reference": item.reference},
            body=_(
                "This address was given for the request %(reference)s at %(project)s. If the request is "
                "yours, confirm the address here and we will email you about it:\n\n%(link)s\n\n"
                "If it is not yours, please ignore this email: we will not write to you again."
            )
            % {"reference": item.reference, "project": item.project.name, "link": _link(token)},
        )
    return True


def _invalid_link() -> DomainError:
    return DomainError(
        "feedback.contact_email_link_invalid",
        _("This link is not valid or has expired. Please call your service centre."),
        status=404,
    )


def contact_email_item(*, token: str) -> FeedbackItem:
    """The item a confirmation link names; DomainError when the link is forged, expired, or names an address
    that is no longer the item's contact email."""
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=confirmation_valid_for())
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        raise _invalid_link() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("item"), int):
        raise _invalid_link()
    item = FeedbackItem.objects.select_related("project").filter(pk=payload["item"]).first()
    if item is None or not _same(item.contact_email, str(payload.get("email", ""))):
        raise _invalid_link()
    return item


@transaction.atomic
def contact_email_confirm(*, token: str) -> FeedbackItem:
    """The owner of the address clicked: from now on the item's emails go there. Confirming again changes
    nothing."""
    item = contact_email_item(token=token)
    now = timezone.now()
    FeedbackItem.objects.filter(pk=item.pk, contact_email_confirmed_at__isnull=True).update(
        contact_email_confirmed_at=now
    )
    item.refresh_from_db(fields=["contact_email_confirmed_at"])
    return item
