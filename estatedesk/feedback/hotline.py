"""The hotline screen (R-FB-1, issue 11): one page where the agent finds the caller and registers what they
say. A phone system pops it with `?phone=`; the agent types in the search box (live results through htmx)
a full number (+86 and spaces do not matter), the last four digits, a name, pinyin initials or a unit
(owners.selectors.lookup_condition). Picking a caller shows their units, their feedback and the short
form; when the chosen unit already has an open item of the same category, the form warns and offers to
add the caller's words to that item (additions.py) instead of registering a second one.

Also the resident's feedback history, the fragment the archive's resident page loads (the owners app
does not import feedback). Views only: the lookup, the registration and the additions are the selectors'
and services'."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.feedback import selectors
from estatedesk.feedback.additions import feedback_item_add_information
from estatedesk.feedback.choices import Category, Channel
from estatedesk.feedback.forms import HotlineRegisterForm
from estatedesk.feedback.intake import registration
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.owners import selectors as owner_selectors
from estatedesk.owners.contacts import normalize_phone
from estatedesk.owners.models import Resident
from estatedesk.owners.privacy import full_phone_policy, phones_for_display

QUERY_MAX = 50


def _require(request: HttpRequest, capability: str) -> None:
    if not can_anywhere(request.user, capability):
        raise PermissionDenied


def _is_full_number(query: str) -> bool:
    """A whole phone number as a phone system passes it or an agent types it (not four digits)."""
    text = re.sub(r"[\s\-+()]", "", query)
    return text.isdigit() and len(normalize_phone(query)) >= 7


def _is_last_four(query: str) -> bool:
    """The last four digits of the caller's number, as the agent types them."""
    text = query.strip()
    return len(text) == 4 and text.isdigit()


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


def _picked(*, user: Any, query: str, residents: list[Resident], resident_id: int | None) -> list[Resident]:
    """The callers the screen registers for: the one the agent picked (from the results, or from the
    archive's lookup: 404 out of scope); everyone on a full number (a household sharing a landline); the
    only match of any other search. Several matches of a search: none until the agent picks."""
    if resident_id is not None:
        chosen = [resident for resident in residents if resident.pk == resident_id]
        return chosen or [owner_selectors.resident_get_for_user(user=user, pk=resident_id)]
    if _is_full_number(query) or len(residents) == 1:
        return residents
    return []


def _contact_phone(*, query: str, resident: Resident) -> str:
    """The number the caller rang from: the one searched for, or the resident's number ending in the four
    digits typed; else none (the resident's own numbers stay on file)."""
    if _is_full_number(query):
        return normalize_phone(query)
    digits = re.sub(r"\D", "", query)
    if _is_last_four(query):
        phones = getattr(resident, "phone_list", [])
        return next((phone.number for phone in phones if phone.number.endswith(digits)), "")
    return ""


def _cards(user: Any, residents: list[Resident]) -> list[dict[str, Any]]:
    full = full_phone_policy(user)
    return [
        {
            "resident": resident,
            "phones": phones_for_display(resident, full=full(resident)),
            "occupancies": getattr(resident, "current_occupancies", []),
        }
        for resident in residents
    ]


def _results(user: Any, *, query: str, residents: list[Resident]) -> list[dict[str, Any]]:
    """The matches to pick from, each with the screen's address for that caller."""
    cards = _cards(user, residents)
    for card in cards:
        card["pick_url"] = "?" + urlencode({"q": query, "resident": card["resident"].pk})
    return cards


def _callers(user: Any, picked: list[Resident]) -> list[tuple[Resident, Any]]:
    """(resident, unit) pairs the user may register for: units of active projects where the user holds
    feedback.register (the occupancies come with their projects, and the scope is the request's: no
    query)."""
    return [
        (resident, occupancy.unit)
        for resident in picked
        for occupancy in getattr(resident, "current_occupancies", [])
        if occupancy.unit.project.is_active and can(user, "feedback.register", project=occupancy.unit.project)
    ]


@login_required
def hotline(request: HttpRequest) -> HttpResponse:
    """GET: the screen (?phone= from a phone system, ?q= from the search box, &resident= once picked);
    with htmx, the results part only. POST: register the item, or (`add_to`) add the caller's words to
    that open item."""
    _require(request, "feedback.register")
    user = request.user
    phone = (request.GET.get("phone") or "").strip()[:QUERY_MAX]
    query = (phone or request.GET.get("q") or "").strip()[:QUERY_MAX]
    resident_id = _int(request.GET.get("resident"))
    registering = request.method == "POST"
    # a registration needs the callers' phones only for a search by the last four digits (_contact_phone),
    # or to show the page again
    phones = not registering or _is_last_four(query)
    residents = owner_selectors.resident_lookup(user=user, query=query, phones=phones) if query else []
    picked = _picked(user=user, query=query, residents=residents, resident_id=resident_id)
    callers = _callers(user, picked)
    live = bool(getattr(request, "htmx", False))
    form = HotlineRegisterForm(request.POST or None, callers=callers, autofocus=not live)
    if registering and callers:
        if request.POST.get("add_to"):
            done = _add_to_item(request, form, reference=request.POST["add_to"])
        else:
            done = _register(request, form, query=query)
        if done is not None:
            return done
    if not phones:
        owner_selectors.resident_phones_attach(residents)
    unit_id, category = form.chosen()
    number = normalize_phone(query) if _is_full_number(query) else ""
    context = {
        "phone": phone,
        "query": query,
        "here": request.GET.urlencode(),
        "results": [] if picked else _results(user, query=query, residents=residents),
        "cards": _cards(user, picked),
        "recent": selectors.caller_recent_items(user=user, residents=picked, phone=number)
        if picked or number
        else [],
        "form": form if callers else None,
        "duplicates": selectors.likely_duplicates(user=user, unit_id=unit_id, category=category),
        "limit": owner_selectors.LOOKUP_LIMIT,
        "register_url": reverse("feedback:item_register")
        + "?"
        + urlencode({"channel": Channel.HOTLINE, "contact_phone": number}),
    }
    status = 400 if registering else 200
    template = "feedback/_hotline_caller.html" if live else "feedback/hotline.html"
    return render(request, template, context, status=status)


def _register(request: HttpRequest, form: HotlineRegisterForm, *, query: str) -> HttpResponse | None:
    if not form.is_valid():
        return None
    resident, unit = form.caller()
    try:
        item = registration.feedback_item_register(
            actor=request.user,
            data=registration.ItemInput(
                project=unit.project,
                channel=Channel.HOTLINE,
                resident=resident,
                unit=unit,
                contact_phone=_contact_phone(query=query, resident=resident),
                **form.service_values(),
            ),
            idempotency_key=form.cleaned_data["form_token"],
        )
    except DomainError as error:
        add_domain_error(form, error)
        return None
    messages.success(request, _("Registered as %(reference)s.") % {"reference": item.reference})
    return redirect("feedback:item_detail", reference=item.reference)


def _add_to_item(request: HttpRequest, form: HotlineRegisterForm, *, reference: str) -> HttpResponse | None:
    """The "add to that item" button: the caller's words (the description typed) go on the open item."""
    item = selectors.item_get_for_user(user=request.user, reference=reference)
    try:
        feedback_item_add_information(
            actor=request.user,
            item=item,
            text=request.POST.get("description", ""),
            via=Channel.HOTLINE,
        )
    except DomainError as error:
        form.is_valid()  # show the form as posted, with the service's reason (alone) beside the description
        form.errors["description"] = form.error_class(error.fields.get("text") or [error.message])
        return None
    messages.success(request, _("Added to %(reference)s.") % {"reference": item.reference})
    return redirect("feedback:item_detail", reference=item.reference)


@login_required
@require_GET
def hotline_duplicates(request: HttpRequest) -> HttpResponse:
    """The likely-duplicate warning for the unit and category chosen on the hotline form (htmx, as the
    category or the caller changes): open items of that unit and category the user sees."""
    _require(request, "feedback.register")
    unit_id = _int(str(request.GET.get("caller_unit", "")).partition(":")[2])
    category = request.GET.get("category", "")
    duplicates = selectors.likely_duplicates(
        user=request.user, unit_id=unit_id, category=category if category in Category.values else ""
    )
    return render(request, "feedback/_hotline_duplicates.html", {"duplicates": duplicates})


@login_required
@require_GET
def resident_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's feedback, newest first, as the user may see it: the section the archive's resident
    page loads (htmx), or a page of its own without JavaScript. 404 for a resident out of scope."""
    _require(request, "feedback.view")
    resident = owner_selectors.resident_get_for_user(user=request.user, pk=pk)
    context = {
        "resident": resident,
        "items": selectors.resident_feedback_history(user=request.user, resident=resident),
        "limit": selectors.RESIDENT_HISTORY_SHOWN,
    }
    live = bool(getattr(request, "htmx", False))
    template = "feedback/_resident_history.html" if live else "feedback/resident_history.html"
    return render(request, template, context)
