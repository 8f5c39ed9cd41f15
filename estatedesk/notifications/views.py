"""The signed-in user's in-app notifications, and the failed outbox for those who manage it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estatedesk.common.access import has_capability
from estatedesk.notifications import outbox, selectors, services
from estatedesk.notifications.models import Notification

OUTBOX_CAPABILITY = "notifications.outbox"
FAILED_SHOWN = 200


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = list(selectors.notification_list(user=request.user)[:100])
    context = {
        "notifications": notifications,
        "manages_outbox": has_capability(request.user, OUTBOX_CAPABILITY),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one as read and go to what it is about (only the user's own; others 404 alike)."""
    notification = selectors.notification_list(user=request.user).filter(pk=pk).first()
    if notification is None:
        return redirect("notifications:list")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    target = notification.url if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) else ""
    return redirect(target or "notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    selectors.notification_list(user=request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:list")


@login_required
def outbox_failed(request: HttpRequest) -> HttpResponse:
    """Failed outbox emails, newest first, with a resend button (system administrators and HQ only)."""
    if not has_capability(request.user, OUTBOX_CAPABILITY):
        raise PermissionDenied(OUTBOX_CAPABILITY)
    failed = selectors.outbound_email_failed_list()
    context = {
        "emails": list(failed[:FAILED_SHOWN]),
        "total": failed.count(),
        "shown": FAILED_SHOWN,
        "max_attempts": outbox.MAX_ATTEMPTS,
    }
    return render(request, "notifications/outbox_failed.html", context)


@login_required
@require_POST
def outbox_resend(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_capability(request.user, OUTBOX_CAPABILITY):
        raise PermissionDenied(OUTBOX_CAPABILITY)
    if services.outbound_email_resend(actor=request.user, outbound_email_id=pk):
        messages.success(request, _("The email is queued again and will be sent shortly."))
    else:
        messages.info(request, _("That email is no longer failed: it was already queued again or sent."))
    return redirect("notifications:outbox_failed")


def unread_count(request: HttpRequest) -> dict[str, int]:
    """Context processor: the unread count for the header (one indexed COUNT)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    unread = selectors.notification_list(user=user).filter(read_at__isnull=True)
    return {"unread_notifications": unread.count()}
