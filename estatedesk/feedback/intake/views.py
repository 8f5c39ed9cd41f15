"""Pages of the complaint mailbox (R-CH-4) and of contact-email confirmation (issue 10, item 5). Thin: the
rules live in `quarantine.py` and `confirmation.py`.

- `/feedback/mail/quarantine/`: the quarantine of the user's projects, one message per row (a card on a
  phone); each message's page shows its decoded text, sender, subject, error and files, with its raw .eml
  to download and the release and discard actions. Anyone without the capability gets 404.
- `/feedback/contact/<token>/`: the link of the one confirmation email a typed-in address gets; its page
  asks to confirm with a button (a link scanner that follows it confirms nothing).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.feedback.intake import confirmation, quarantine

LIST_SHOWN = 100


class DiscardForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it discarded?"),
        max_length=quarantine.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _require_quarantine(request: HttpRequest) -> None:
    if not quarantine.quarantine_allowed(user=request.user):
        raise Http404


@login_required
@require_GET
def quarantine_list(request: HttpRequest) -> HttpResponse:
    _require_quarantine(request)
    rows = quarantine.quarantine_list(user=request.user)
    context = {"inbound_messages": list(rows[:LIST_SHOWN]), "total": rows.count(), "shown": LIST_SHOWN}
    return render(request, "feedback/mail_quarantine_list.html", context)


def _detail(request: HttpRequest, pk: int, *, form: DiscardForm, status: int = 200) -> HttpResponse:
    inbound = quarantine.quarantined_message_get_for_user(user=request.user, pk=pk)
    context = {"message": quarantine.quarantined_message_read(inbound=inbound), "discard_form": form}
    return render(request, "feedback/mail_quarantine_detail.html", context, status=status)


@login_required
@require_GET
def quarantine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_quarantine(request)
    return _detail(request, pk, form=DiscardForm())


@login_required
@require_GET
def quarantine_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The raw message as an .eml file, to open in a mail client (audited)."""
    _require_quarantine(request)
    inbound, raw = quarantine.quarantine_raw_download(actor=request.user, pk=pk)
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{inbound.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def quarantine_release(request: HttpRequest, pk: int) -> HttpResponse:
    _require_quarantine(request)
    try:
        item = quarantine.quarantine_release(actor=request.user, pk=pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("feedback:mail_quarantine_detail", pk=pk)
    messages.success(request, _("Released as %(reference)s.") % {"reference": item.reference})
    return redirect("feedback:item_detail", reference=item.reference)


@login_required
@require_POST
def quarantine_discard(request: HttpRequest, pk: int) -> HttpResponse:
    _require_quarantine(request)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            quarantine.quarantine_discard(actor=request.user, pk=pk, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The message was discarded."))
            return redirect("feedback:mail_quarantine")
    return _detail(request, pk, form=form, status=400)


@require_http_methods(["GET", "POST"])
def contact_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding the link: GET shows what is confirmed, POST confirms it."""
    try:
        if request.method == "POST":
            item = confirmation.contact_email_confirm(token=token)
        else:
            item = confirmation.contact_email_item(token=token)
    except DomainError as error:
        return render(
            request, "feedback/contact_email_confirm.html", {"error": error.message}, status=error.status
        )
    context = {
        "reference": item.reference,
        "project": item.project.name,
        "confirmed": request.method == "POST",
    }
    return render(request, "feedback/contact_email_confirm.html", context)
