"""The signed-in user's in-app notifications, and the failed outbox for those who manage it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estatedesk.common.access import has_capability
from estatedesk.notifications import outbox, selectors, services

OUTBOX_CAPABILITY = "notifications.outbox"
FAILED_SHOWN = 200


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """One row per thing the notifications are about (an item…), the latest first."""
    context = {
        "groups": selectors.notification_groups(user=request.user),
        "shown": selectors.GROUPS_SHOWN,
        "manages_outbox": has_capability(request.user, OUTBOX_CAPABILITY),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark what the notification is about as read (all its notifications) and go there. Only the user's
    own: another user's, or one that does not exist, changes nothing and leads back to the list."""
    notification = selectors.notification_list(user=request.user).filter(pk=pk).first()
    if notification is None:
        return redirect("notifications:list")
    services.notifications_mark_read(user=request.user, group_key=notification.group_key)
    target = notification.url if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) else ""
    return redirect(target or "notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all as read; with htmx the list and the bell are redrawn in place."""
    services.notifications_mark_all_read(user=request.user)
    if request.headers.get("HX-Request") == "true":
        context = {
            "groups": selectors.notification_groups(user=request.user),
            "shown": selectors.GROUPS_SHOWN,
        }
        return render(request, "notifications/_read_all.html", context)
    messages.success(request, _("All notifications are marked as read."))
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
    """Context processor: the bell's number, things with unread notifications (one COUNT)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_notifications": selectors.unread_group_count(user=user)}
