"""Owner-facing feedback (R-CH-2, R-FB-5), phone first, under /f/:

- `qr_form`: the form a QR code posted in a building opens, with the place filled in; anyone may use it,
  signed in or not (a phone number is then required, and submissions are limited per address);
- `new`: a signed-in owner reports a problem about one of their own units;
- `mine` and `rate`: the owner's own items with their public timeline, and the A/B/C rating once done;
- `item`: one of the owner's own items (issue 11): its steps in words, the department, the technician and
  the appointment; add information or photos, chase (催办), withdraw;
- `qr_sheet`: the printable sheet of a project's QR codes, one card per building and common area, for staff.

Thin views: the rules live in `services` / `services_portal`, the reads in `selectors_portal`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from estatedesk.common.clientip import client_ip
from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.feedback import notices, services
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import Channel
from estatedesk.feedback.intake import qr
from estatedesk.feedback.intake.registration import ItemInput
from estatedesk.feedback.portal import selectors as selectors_portal
from estatedesk.feedback.portal import services as services_portal
from estatedesk.feedback.portal.forms import AddInformationForm, FeedbackReportForm, RatingForm, WithdrawForm
from estatedesk.notifications.services import notifications_mark_read
from estatedesk.org.permissions import can
from estatedesk.owners.selectors_portal import portal_resident

ITEMS_PER_PAGE = 20


@require_http_methods(["GET", "POST"])
def qr_form(request: HttpRequest, project: str, building: str) -> HttpResponse:
    """The form behind a building's QR code. A signed-in owner of the project reports as themselves;
    anyone else leaves a phone number."""
    location = selectors_portal.qr_location_get(project_code=project, building_code=building)
    resident = (
        selectors_portal.owner_resident_at(user=request.user, project=location.project)
        if request.user.is_authenticated
        else None
    )
    form = FeedbackReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        phone_required=resident is None,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        if resident is None and not services_portal.anonymous_submission_allowed(
            client_address=client_ip(request)
        ):
            form.add_error(
                None,
                _(
                    "Several reports have been sent from your network in the last few minutes. Please try "
                    "again in %(minutes)s minutes, or call the hotline."
                )
                % {"minutes": services_portal.ANONYMOUS_WINDOW_SECONDS // 60},
            )
            status = 429
        else:
            try:
                item = services_portal.feedback_portal_submit(
                    actor=request.user if resident else None,
                    data=ItemInput(
                        project=location.project,
                        channel=Channel.QR,
                        kind=form.cleaned_data["kind"],
                        category=form.cleaned_data["category"],
                        description=form.cleaned_data["description"],
                        building=location,
                        resident=resident,
                        contact_name=form.cleaned_data["contact_name"],
                        contact_phone=form.cleaned_data["contact_phone"],
                    ),
                    photos=form.cleaned_data["photos"],
                    idempotency_key=form.cleaned_data["form_token"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                _thank(request, reference=item.reference, signed_in=resident is not None)
                if resident is not None:
                    return redirect("feedback_portal:mine")
                return redirect("feedback_portal:qr_form", project=project, building=building)
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "feedback/portal_form.html",
        {
            "form": form,
            "mode": "qr",
            "location": location,
            "project": location.project,
            "resident": resident,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """A signed-in owner reports a problem about one of their own units (channel "portal")."""
    resident = portal_resident(user=request.user)
    units = selectors_portal.owner_units(user=request.user)
    if resident is None or not units.exists():
        return render(request, "feedback/portal_form.html", {"mode": "portal", "form": None}, status=403)
    form = FeedbackReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        units=units,
    )
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            item = services_portal.feedback_portal_submit(
                actor=request.user,
                data=ItemInput(
                    project=unit.project,
                    channel=Channel.PORTAL,
                    kind=form.cleaned_data["kind"],
                    category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"],
                    unit=unit,
                    resident=resident,
                ),
                photos=form.cleaned_data["photos"],
                idempotency_key=form.cleaned_data["form_token"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _thank(request, reference=item.reference, signed_in=True)
            return redirect("feedback_portal:mine")
    return render(
        request,
        "feedback/portal_form.html",
        {"form": form, "mode": "portal", "resident": resident},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The owner's own requests, newest first, each with its status and public timeline."""
    resident = portal_resident(user=request.user)
    if resident is None:
        return render(request, "feedback/portal_mine.html", {"resident": None}, status=403)
    page = selectors_portal.owner_items_page(
        user=request.user, page_number=request.GET.get("page"), per_page=ITEMS_PER_PAGE
    )
    return render(request, "feedback/portal_mine.html", {"resident": resident, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def item(request: HttpRequest, reference: str) -> HttpResponse:
    """One of the owner's own requests (404 for anyone else's). POST `action`: "add" (information or
    photos), "chase" or "withdraw"; each answers with the page again (a redirect when it worked)."""
    detail = selectors_portal.owner_item_detail(user=request.user, reference=reference)
    notifications_mark_read(user=request.user, group_key=notices.item_group_key(detail))  # issue 11: opened
    action = request.POST.get("action", "") if request.method == "POST" else ""
    add_form = AddInformationForm(
        request.POST if action == "add" else None, request.FILES if action == "add" else None
    )
    withdraw_form = WithdrawForm(request.POST if action == "withdraw" else None)
    status = 200
    if request.method == "POST":
        try:
            if action == "add" and add_form.is_valid():
                feedback_item_add_information(
                    actor=request.user,
                    item=detail,
                    text=add_form.cleaned_data["text"],
                    via=Channel.PORTAL,
                    photos=add_form.cleaned_data["photos"],
                )
                messages.success(request, _("Thank you. We have added it to your request."))
                return redirect("feedback_portal:item", reference=reference)
            if action == "chase":
                services_portal.feedback_item_chase(actor=request.user, item=detail)
                messages.success(request, _("We have reminded the supervisor of your request."))
                return redirect("feedback_portal:item", reference=reference)
            if action == "withdraw" and withdraw_form.is_valid():
                services_portal.feedback_item_withdraw(
                    actor=request.user, item=detail, reason=withdraw_form.cleaned_data["reason"]
                )
                messages.success(request, _("Your request is withdrawn."))
                return redirect("feedback_portal:item", reference=reference)
            status = 400
        except DomainError as error:
            status = error.status
            if action == "add" and add_form.is_valid():
                add_domain_error(add_form, error)
            else:
                messages.error(request, error.message)
        if status == 400 and not add_form.errors and not withdraw_form.errors:
            messages.error(request, _("Choose what to do."))
        detail = selectors_portal.owner_item_detail(user=request.user, reference=reference)
    return render(
        request,
        "feedback/portal_item.html",
        {"item": detail, "add_form": add_form, "withdraw_form": withdraw_form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer rates the handling A/B/C once they have been told the result (R-FB-5)."""
    item = selectors_portal.owner_item_get(user=request.user, reference=reference)
    rateable = selectors_portal.item_is_rateable(item)
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_item_rate(
                actor=request.user,
                item=item,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("feedback_portal:mine")
    return render(
        request,
        "feedback/portal_rate.html",
        {"item": item, "form": form, "rateable": rateable},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def qr_sheet(request: HttpRequest, project: str) -> HttpResponse:
    """A printable sheet: one card per building and common area with its QR code and the hotlines."""
    project_obj = selectors_portal.qr_sheet_project_get(user=request.user, project_code=project)
    if not can(request.user, "feedback.view", project=project_obj):
        raise PermissionDenied
    base_url = getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or request.build_absolute_uri("/")
    cards = qr.qr_cards(
        base_url=base_url, buildings=list(selectors_portal.qr_sheet_locations(project=project_obj))
    )
    return render(request, "feedback/portal_qr_sheet.html", {"project": project_obj, "cards": cards})


# --- helpers -------------------------------------------------------------------------------------------


def _thank(request: HttpRequest, *, reference: str, signed_in: bool) -> None:
    if signed_in:
        text = _("Thank you. Your request %(reference)s is registered; you can follow it under My requests.")
    else:
        text = _(
            "Thank you. Your report %(reference)s is registered; we will call you on the number you left."
        )
    messages.success(request, text % {"reference": reference})
