"""Who hears of an item and how: the customer's acknowledgements and results (R-FB-5), the general manager's
alert for a major incident (R-FB-3), and the address of an item's page in notifications."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from estatedesk.feedback import events
from estatedesk.feedback.intake import confirmation
from estatedesk.feedback.models import FeedbackItem
from estatedesk.notifications.services import email_send, notify
from estatedesk.org.choices import Role
from estatedesk.org.selectors import project_staff


def item_url(item: FeedbackItem) -> str:
    return reverse("feedback:item_detail", args=[item.reference])


def item_group_key(item: FeedbackItem) -> str:
    """What notifications about an item are grouped and read by: the address of its staff page (notify's
    key when a link is given), also for the customer's, which link to their own page of it."""
    return item_url(item)


def alert_general_manager(*, item: FeedbackItem, actor: Any) -> None:
    """R-FB-3: a major incident goes to the general manager at once."""
    managers = project_staff(project=item.project, roles={Role.GENERAL_MANAGER})
    notify(
        users=managers,
        title=_("Major incident %(reference)s at %(project)s: %(title)s")
        % {"reference": item.reference, "project": item.project.name, "title": item.title},
        body=item.description[:1000],
        url=item_url(item),
    )
    events.major_alert_sent(item=item, actor=actor, notified=[u.pk for u in managers])


def tell_customer(*, item: FeedbackItem, subject: str, body: str) -> None:
    """Email only an address we know (intake/confirmation.py): the resident's archived email, the sender of
    the mail that made the item, or a typed-in address its owner confirmed; a typed-in address not yet
    confirmed is asked once instead. A customer with a portal account also sees it there."""
    address = confirmation.customer_email_for(item)
    if address:
        email_send(to=address, subject=subject, body=body)
    confirmation.contact_email_confirmation_ask(item=item)
    if item.resident and item.resident.user_id:
        notify(
            users=[item.resident.user],
            title=subject,
            body=body,
            url=reverse("feedback_portal:item", args=[item.reference]),  # their request's page
            group_key=item_group_key(item),
            email=False,
        )
