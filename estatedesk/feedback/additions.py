"""What a customer adds to an item already on file (issue 11): the caller who rings again about the same
leak, the owner who sends more words or photos from the portal. Recorded on that item's timeline instead
of registering a second item (the hotline's "add to that item", R-FB-1), and the people working on the item
hear of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.feedback import events, notices
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.models import FeedbackItem, TimelineEvent
from estatedesk.feedback.photos import photos_check, photos_save
from estatedesk.notifications.services import notify
from estatedesk.org.choices import Role
from estatedesk.org.permissions import can
from estatedesk.org.selectors import project_staff

MAX_INFORMATION_CHARS = 4000


def _is_customer(actor: Any, item: FeedbackItem) -> bool:
    return (
        item.resident is not None and item.resident.user_id is not None and item.resident.user_id == actor.pk
    )


def _check_may_add(*, actor: Any, item: FeedbackItem) -> None:
    """Staff who may register feedback at the item's project (on the customer's behalf); the customer on
    their own item. Anyone else is refused (views look the item up in the actor's scope first, so an
    outsider gets a 404 before reaching here)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("sign in")
    if can(actor, "feedback.register", project=item.project) or _is_customer(actor, item):
        return
    raise PermissionDenied("feedback.register")


@transaction.atomic
def feedback_item_add_information(
    *,
    actor: Any,
    item: FeedbackItem,
    text: str,
    via: str,
    photos: Sequence[UploadedFile] = (),
) -> TimelineEvent:
    """Record the customer's new words (and photos) on an open item: one `info_added` timeline event, shown
    to the customer too; the item's supervisor and executor are told (the project's CS supervisors while
    nobody is assigned yet). `via` is the channel they came by (Channel: hotline, portal, …)."""
    _check_may_add(actor=actor, item=item)
    item = (
        FeedbackItem.objects.select_for_update(of=("self",))
        .select_related("project", "resident")
        .get(pk=item.pk)
    )
    if not item.is_open:
        raise DomainError(
            "feedback.closed",
            _("This item is closed; register a new one instead."),
            status=409,
        )
    text = (text or "").strip()
    fields: dict[str, list[Any]] = {}
    if via not in Channel.values:
        fields["via"] = [_("Choose how the customer told us.")]
    if not text and not photos:
        fields["text"] = [_("Write what the customer added.")]
    elif len(text) > MAX_INFORMATION_CHARS:
        fields["text"] = [
            _("Write at most %(count)s characters.") % {"count": MAX_INFORMATION_CHARS},
        ]
    if fields:
        raise DomainError("feedback.invalid", _("Some fields are not valid."), fields=fields)
    names = photos_save(item=item, photos=photos_check(photos=list(photos)), uploader=actor) if photos else []
    event = events.information_added(item=item, actor=actor, text=text, via=via, photos=names)
    _tell_workers(item=item, actor=actor, text=text, photos=len(names))
    return event


def _tell_workers(*, item: FeedbackItem, actor: Any, text: str, photos: int) -> None:
    users = [person for person in (item.supervisor, item.executor) if person is not None]
    if not users:
        users = project_staff(project=item.project, roles={Role.CS_SUPERVISOR})
    users = [user for user in users if user.pk != actor.pk]  # who typed it knows already
    if not users:
        return
    body = text[:500]
    if photos:
        body = (body + "\n" if body else "") + _("%(count)s photo(s) added.") % {"count": photos}
    notify(
        users=users,
        title=_("%(reference)s: the customer added information") % {"reference": item.reference},
        body=body,
        url=notices.item_url(item),
    )
