"""Staff side of owner accounts (issue 11): invite a resident to the owner portal from the resident page (a
printable letter with a QR code, on screen, or by email), and review owners' account requests. Thin views:
the rules live in `invitations`."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.permissions import can_anywhere
from estatedesk.owners import invitations, selectors
from estatedesk.owners.forms_portal import InvitationForm
from estatedesk.owners.models import AccountRequest


def _base_url(request: HttpRequest) -> str:
    return getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or request.build_absolute_uri("/")


def _qr_svg(url: str) -> SafeString:
    code = segno.make(url, error="m", micro=False, boost_error=False)
    svg = code.svg_inline(scale=4, border=2, omitsize=True, svgclass="letter__qr", title=url)
    return mark_safe(svg)  # noqa: S308 - segno builds the markup; the URL is escaped in its <title>


def _issued_page(request: HttpRequest, issued: invitations.Issued) -> HttpResponse:
    """The letter (printable, and on screen), or the note that the link was emailed. The code is shown
    only here, once: printing again means a new invitation."""
    context: dict[str, Any] = {"invitation": issued.invitation, "resident": issued.invitation.resident}
    if issued.code:
        url = invitations.activation_url(base_url=_base_url(request), code=issued.code)
        context.update(
            code=invitations.code_for_display(issued.code),
            activation_url=url,
            activation_page=invitations.activation_url(base_url=_base_url(request), code=""),
            qr=_qr_svg(url),
        )
    response = render(request, "owners/invitation_letter.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite a resident (the archive edit capability at a project they live in)."""
    if not can_anywhere(request.user, "owners.view"):
        raise PermissionDenied
    resident = selectors.resident_get_for_user(user=request.user, pk=pk)
    form = InvitationForm(request.POST)
    by_email = form.is_valid() and form.cleaned_data["by_email"]
    try:
        issued = invitations.invitation_issue(
            actor=request.user, resident=resident, by_email=by_email, base_url=_base_url(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("owners:resident_detail", pk=resident.pk)
    return _issued_page(request, issued)


@login_required
@require_GET
def account_request_list(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, "owners.edit"):
        raise PermissionDenied
    rows = [
        (account_request, invitations.account_request_candidates(account_request=account_request))
        for account_request in invitations.account_request_list(user=request.user)[:200]
    ]
    return render(request, "owners/account_requests.html", {"rows": rows})


@login_required
@require_POST
def account_request_review(request: HttpRequest, pk: int) -> HttpResponse:
    account_request = get_for_user_or_404(
        AccountRequest.objects.select_related("project"), user=request.user, pk=pk
    )
    try:
        if request.POST.get("decision") == "confirm":
            form = InvitationForm(request.POST)
            issued = invitations.account_request_confirm(
                actor=request.user,
                account_request=account_request,
                by_email=form.is_valid() and form.cleaned_data["by_email"],
                base_url=_base_url(request),
            )
            return _issued_page(request, issued)
        invitations.account_request_decline(
            actor=request.user, account_request=account_request, reason=request.POST.get("reason", "")[:200]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Declined."))
    return redirect("owners:account_request_list")
