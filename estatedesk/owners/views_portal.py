"""The owner portal (R-OA-1, R-CH-3): the owner's home, their own contact details, signing in with a
one-time code, and the links of an email change (confirm from the new address, report from the old one).
Thin views: the rules live in `portal_login`, `email_change` and `services`, the reads in
`selectors_portal`.

Signing in with phone and password goes through the ordinary login page (`accounts:login`, with
`owners.auth.PhoneBackend`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from estatedesk.common.clientip import client_ip
from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.org.models import Project
from estatedesk.owners import email_change, invitations, portal_login, selectors, selectors_portal, services
from estatedesk.owners.auth import is_staff_account
from estatedesk.owners.choices import ChangeRequestStatus, ContactPreference
from estatedesk.owners.forms_portal import (
    AccountRequestForm,
    ActivationForm,
    CodeRequestForm,
    CodeVerifyForm,
    ContactDetailsForm,
)

CODE_IDENTIFIER_SESSION_KEY = "owners.portal_code_identifier"
CODE_NEXT_SESSION_KEY = "owners.portal_code_next"
CODE_PURPOSE_SESSION_KEY = "owners.portal_code_purpose"
PASSWORD_RESET_SESSION_KEY = "owners.password_reset_at"  # noqa: S105 - a session key, not a password
PASSWORD_RESET_VALID_SECONDS = 15 * 60
CODE_BACKEND = "django.contrib.auth.backends.ModelBackend"


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    """The owner's home: their units, their household, and how to reach the service centre (R-CH-3)."""
    resident = selectors_portal.portal_resident(user=request.user)
    occupancies = list(selectors_portal.portal_occupancies(user=request.user)) if resident else []
    household = list(selectors_portal.portal_household(user=request.user)) if occupancies else []
    projects = {o.unit.project.pk: o.unit.project for o in occupancies}
    change_requests = selectors_portal.portal_change_requests(resident=resident, limit=1) if resident else []
    return render(
        request,
        "owners/portal.html",
        {
            "resident": resident,
            "occupancies": occupancies,
            "household": household,
            "projects": sorted(projects.values(), key=lambda p: p.code),
            "pending_request": next(
                (c for c in change_requests if c.status == ChangeRequestStatus.PENDING), None
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def portal_profile(request: HttpRequest) -> HttpResponse:
    """The owner's own contact details; a correction waits for the service centre to confirm it."""
    resident = selectors_portal.portal_resident(user=request.user)
    if resident is None:
        return render(request, "owners/portal_profile.html", {"resident": None}, status=403)
    change_requests = selectors_portal.portal_change_requests(resident=resident)
    pending = next((c for c in change_requests if c.status == ChangeRequestStatus.PENDING), None)
    latest_reviewed = None
    if change_requests and change_requests[0].status != ChangeRequestStatus.PENDING:
        latest_reviewed = change_requests[0]
    pending_email = selectors.email_change_pending(resident=resident)
    on_file = {
        "phones": [phone.number for phone in resident.phone_list],  # type: ignore[attr-defined]
        "email": resident.email,
        "preferred_language": resident.preferred_language,
        "contact_preference": resident.contact_preference,
    }
    initial = ContactDetailsForm.initial_from({**on_file, **(pending.requested if pending else {})})
    phone_count = len([key for key in initial if key.startswith("phone_")]) + 1
    form = ContactDetailsForm(request.POST or None, initial=initial, phone_count=phone_count)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_change_request_submit(actor=request.user, **form.requested())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you. The service centre will confirm your new contact details shortly."),
            )
            return redirect("owners:portal_profile")
    return render(
        request,
        "owners/portal_profile.html",
        {
            "resident": resident,
            "on_file": _rows(on_file),
            "pending": pending,
            "pending_rows": _rows(pending.requested) if pending else [],
            "latest_reviewed": latest_reviewed,
            "pending_email": pending_email,
            "form": form,
        },
    )


def _rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Contact details as (label, text) rows for people to read."""
    labels = {
        "phones": _("Phones"),
        "email": _("Email"),
        "preferred_language": _("Language"),
        "contact_preference": _("Contact preference"),
    }
    languages = dict(settings.LANGUAGES)
    preferences = dict(ContactPreference.choices)
    rows = []
    for field, label in labels.items():
        if field not in values:
            continue
        value = values[field]
        if field == "phones":
            text = " / ".join(value)
        elif field == "preferred_language":
            text = str(languages.get(value, value))
        elif field == "contact_preference":
            text = str(preferences.get(value, value))
        else:
            text = str(value or "")
        rows.append((str(label), text))
    return rows


@require_http_methods(["GET", "POST"])
def portal_code_request(request: HttpRequest) -> HttpResponse:
    """Step 1 of signing in with a code: the owner's email or phone. The answer is always the same."""
    if request.user.is_authenticated:
        return redirect("owners:portal")
    form = CodeRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"].strip()
        try:
            portal_login.login_code_issue(identifier=identifier, client_address=client_ip(request))
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            return _code_requested(request, identifier)
    return render(
        request,
        "owners/portal_code_request.html",
        {
            "form": form,
            "next": request.POST.get("next", "") or request.GET.get("next", ""),
            "valid_minutes": _minutes(),
            "codes_per_hour": portal_login.MAX_CODES_PER_HOUR,
        },
        status=status,
    )


def _code_requested(request: HttpRequest, identifier: str, *, purpose: str = "sign_in") -> HttpResponse:
    request.session[CODE_IDENTIFIER_SESSION_KEY] = identifier
    request.session[CODE_PURPOSE_SESSION_KEY] = purpose
    next_url = request.POST.get("next", "") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[CODE_NEXT_SESSION_KEY] = next_url
    return redirect("owners:portal_code_verify")


@require_http_methods(["GET", "POST"])
def portal_code_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the email signs the owner in (never an account with staff rights: the
    service refuses those, and the check is repeated here before the session is opened)."""
    if request.user.is_authenticated:
        return redirect("owners:portal")
    identifier = request.session.get(CODE_IDENTIFIER_SESSION_KEY, "")
    if not identifier:
        return redirect("owners:portal_code_request")
    form = CodeVerifyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = portal_login.login_code_verify(
                identifier=identifier,
                code=form.cleaned_data["code"],
                client_address=client_ip(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            if user is None or is_staff_account(user):
                form.add_error(
                    "code",
                    _(
                        "This code is not valid. A code works once, for %(minutes)s minutes, and can be "
                        "tried %(attempts)s times; you can ask for a new one."
                    )
                    % {"minutes": _minutes(), "attempts": portal_login.MAX_ATTEMPTS},
                )
            else:
                next_url = request.session.get(CODE_NEXT_SESSION_KEY, "")
                purpose = request.session.get(CODE_PURPOSE_SESSION_KEY, "sign_in")
                login(request, user, backend=CODE_BACKEND)
                request.session.pop(CODE_IDENTIFIER_SESSION_KEY, None)
                request.session.pop(CODE_NEXT_SESSION_KEY, None)
                if purpose == "reset":
                    request.session[PASSWORD_RESET_SESSION_KEY] = int(timezone.now().timestamp())
                    return redirect("owners:portal_password_set")
                if next_url and url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    return redirect(next_url)
                return redirect("owners:portal")
    return render(
        request,
        "owners/portal_code_verify.html",
        {"form": form, "identifier": identifier, "valid_minutes": _minutes()},
        status=status,
    )


def _minutes() -> int:
    return int(portal_login.CODE_VALID_FOR.total_seconds() // 60)


# --- the links of an email change (issue 16) --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def portal_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a new address: the account holder, signed in, confirms their new email. Opening
    the link changes nothing (mail scanners open links); the button does."""
    context: dict[str, Any] = {"purpose": "confirm", "token": token}
    try:
        link = email_change.email_change_confirm_link(actor=request.user, token=token)
        if request.method == "POST":
            email_change.email_change_confirm(actor=request.user, token=token)
            context["done"] = True
    except DomainError as error:
        return _email_change_page(request, {**context, "error": error}, status=error.status)
    return _email_change_page(request, {**context, "change": link.change, "is_open": link.is_open})


@require_http_methods(["GET", "POST"])
def portal_email_report(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to the old address: report a change nobody asked for; it is cancelled."""
    context: dict[str, Any] = {"purpose": "report", "token": token}
    try:
        link = email_change.email_change_report_link(token=token)
        if request.method == "POST":
            email_change.email_change_report(token=token)
            context["done"] = True
    except DomainError as error:
        return _email_change_page(request, {**context, "error": error}, status=error.status)
    return _email_change_page(request, {**context, "change": link.change, "is_open": link.is_open})


def _email_change_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "owners/portal_email_change.html", context, status=status)


# --- accounts for owners (issue 11): activation, requests, a lost password ---------------------------------


@require_http_methods(["GET", "POST"])
def portal_activate(request: HttpRequest) -> HttpResponse:
    """The page an invitation names (its QR code, or the emailed link): the code, the phone on file and a
    password make the owner's account, and sign them in."""
    if request.user.is_authenticated:
        return redirect("owners:portal")
    form = ActivationForm(request.POST or None, initial={"code": request.GET.get("code", "")[:30]})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = invitations.invitation_activate(
                    code=form.cleaned_data["code"],
                    phone=form.cleaned_data["phone"],
                    password=form.cleaned_data["password1"],
                    client_address=client_ip(request),
                )
            except DomainError as error:
                if "password" in error.fields:
                    error.fields["password1"] = error.fields.pop("password")
                add_domain_error(form, error)
                status = error.status
            else:
                login(request, user, backend=CODE_BACKEND)
                messages.success(request, _("Welcome! Your account is active."))
                return redirect("owners:portal")
    return render(request, "owners/portal_activate.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def portal_account_request(request: HttpRequest) -> HttpResponse:
    """An owner without an invitation asks for an account; the service centre confirms it."""
    if request.user.is_authenticated:
        return redirect("owners:portal")
    projects = Project.objects.filter(is_active=True).order_by("name", "code")
    form = AccountRequestForm(request.POST or None, projects=projects)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                invitations.account_request_submit(
                    project=form.cleaned_data["project"],
                    unit_label=form.cleaned_data["unit_label"],
                    phone=form.cleaned_data["phone"],
                    name=form.cleaned_data["name"],
                    client_address=client_ip(request),
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                return render(request, "owners/portal_account_request.html", {"done": True})
    return render(request, "owners/portal_account_request.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def portal_password_forgot(request: HttpRequest) -> HttpResponse:
    """A lost password: a one-time code to the email on file (as for signing in), then a new password."""
    if request.user.is_authenticated:
        return redirect("owners:portal")
    form = CodeRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            identifier = form.cleaned_data["identifier"].strip()
            try:
                portal_login.login_code_issue(identifier=identifier, client_address=client_ip(request))
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                return _code_requested(request, identifier, purpose="reset")
    return render(
        request,
        "owners/portal_password_forgot.html",
        {"form": form, "valid_minutes": _minutes()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def portal_password_set(request: HttpRequest) -> HttpResponse:
    """The new password, right after signing in with a code from the "forgot password" page (within
    PASSWORD_RESET_VALID_SECONDS); anyone else changes their password with the old one."""
    owner: Any = request.user
    started = request.session.get(PASSWORD_RESET_SESSION_KEY)
    fresh = isinstance(started, int) and timezone.now().timestamp() - started < PASSWORD_RESET_VALID_SECONDS
    if not fresh or is_staff_account(owner):
        return render(request, "owners/portal_password_set.html", {"form": None}, status=403)
    form = SetPasswordForm(owner, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        request.session.pop(PASSWORD_RESET_SESSION_KEY, None)
        messages.success(request, _("Your new password is saved."))
        return redirect("owners:portal")
    return render(
        request, "owners/portal_password_set.html", {"form": form}, status=400 if form.errors else 200
    )
