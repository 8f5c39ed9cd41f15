"""The signed-in user's in-app notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from estatedesk.notifications import selectors
from estatedesk.notifications.models import Notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = list(selectors.notification_list(user=request.user)[:100])
    return render(request, "notifications/list.html", {"notifications": notifications})


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


def unread_count(request: HttpRequest) -> dict[str, int]:
    """Context processor: the unread count for the header (one indexed COUNT)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    unread = selectors.notification_list(user=user).filter(read_at__isnull=True)
    return {"unread_notifications": unread.count()}
