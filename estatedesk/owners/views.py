"""The staff side of the owner archive: project archives with completeness, the hotline's lookup, resident
pages with history, edits, the audited ID reveal and export, and owners' change requests."""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.permissions import can, can_anywhere, require
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners import exporting, selectors, services
from estatedesk.owners.forms import ResidentForm, ReviewForm
from estatedesk.owners.models import ContactChangeRequest
from estatedesk.owners.privacy import full_phone_policy, phones_for_display

PAGE_SIZE = 50


class HtmxHttpRequest(HttpRequest):
    """A request through django-htmx's middleware, which sets `htmx` (for the type checker)."""

    htmx: HtmxDetails


def _require_archive(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "owners.view"):
        raise PermissionDenied


def _cards(user: Any, residents: list[Any]) -> list[dict[str, Any]]:
    full = full_phone_policy(user)
    return [
        {
            "resident": resident,
            "phones": phones_for_display(resident, full=full(resident)),
            "occupancies": resident.current_occupancies,
        }
        for resident in residents
    ]


@login_required
def archive_home(request: HttpRequest) -> HttpResponse:
    _require_archive(request)
    return render(
        request,
        "owners/archive_home.html",
        {
            "projects": selectors.archive_projects(user=request.user),
            "pending_changes": selectors.pending_change_requests(user=request.user).count(),
        },
    )


@login_required
def project_archive(request: HtmxHttpRequest, code: str) -> HttpResponse:
    _require_archive(request)
    project = project_get_for_user(user=request.user, code=code)
    search = request.GET.get("q", "").strip()[:50]
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.ARCHIVE_SORTS else selectors.ARCHIVE_SORTS[0]
    page = Paginator(
        selectors.resident_list(user=request.user, project=project, search=search, sort=sort), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    figure = selectors.completeness_by_project(project_ids=[project.pk])[project.pk]
    trend = selectors.completeness_trend(project=project)
    context = {
        "project": project,
        "search": search,
        "sort": sort,
        "page": page,
        "cards": _cards(request.user, list(page.object_list)),
        "completeness": figure,
        "trend_days": [snapshot.day.isoformat() for snapshot in trend],
        "trend_rates": [snapshot.rate for snapshot in trend],
        "can_import": can(request.user, "owners.import", project=project),
        "can_export": can(request.user, "owners.export", project=project),
        "can_edit": can(request.user, "owners.edit", project=project),
    }
    if request.htmx and request.htmx.target == "resident-rows":
        return render(request, "owners/_resident_rows.html", context)
    if request.GET.get("gaps"):
        context["gaps"] = selectors.completeness_gaps(project=project)
    return render(request, "owners/project_archive.html", context)


@login_required
def lookup(request: HtmxHttpRequest) -> HttpResponse:
    """The hotline's caller lookup: ?q= (or ?phone= from a phone system) over every project in scope."""
    _require_archive(request)
    query = (request.GET.get("phone") or request.GET.get("q") or "").strip()[:50]
    residents = selectors.resident_lookup(user=request.user, query=query) if query else []
    context = {
        "query": query,
        "cards": _cards(request.user, residents),
        "limit": selectors.LOOKUP_LIMIT,
        "can_register": can_anywhere(request.user, "feedback.register"),  # issue 11: on to the hotline
    }
    template = "owners/_lookup_results.html" if request.htmx else "owners/lookup.html"
    return render(request, template, context)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_archive(request)
    resident = selectors.resident_get_for_user(user=request.user, pk=pk)
    former_only = resident.former_only  # type: ignore[attr-defined]
    projects = [o.unit.project for o in selectors.resident_current_occupancies(resident)]
    contacts = selectors.resident_contacts(user=request.user, resident=resident)
    household = [] if former_only else selectors.resident_household(user=request.user, resident=resident)
    return render(
        request,
        "owners/resident_detail.html",
        {
            "resident": resident,
            "contacts": contacts,
            "phones": contacts.phones,
            "id_number": contacts.id_number,
            "past_occupancies": resident.past_occupancies,  # type: ignore[attr-defined]
            "household": household,
            "history": selectors.resident_history(user=request.user, resident=resident),
            "can_reveal": bool(resident.id_number)
            and any(can(request.user, "owners.id.reveal", project=p) for p in projects),
            "can_edit": any(can(request.user, "owners.edit", project=p) for p in projects),
            "pending_email": None if former_only else selectors.email_change_pending(resident=resident),
            "can_see_feedback": can_anywhere(request.user, "feedback.view"),  # issue 11: the history
            "can_register": can_anywhere(request.user, "feedback.register"),
        },
    )


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_archive(request)
    resident = selectors.resident_get_for_user(user=request.user, pk=pk)
    if not any(
        can(request.user, "owners.edit", project=o.unit.project)
        for o in selectors.resident_current_occupancies(resident)
    ):
        raise PermissionDenied
    full = full_phone_policy(request.user)(resident)
    initial = {
        "name": resident.name,
        "phones": " / ".join(phones_for_display(resident, full=True)) if full else "",
        "email": resident.email,
        "id_type": resident.id_type,
        "preferred_language": resident.preferred_language or "zh-hans",
        "contact_preference": resident.contact_preference,
        "notes": resident.notes,
    }
    form = ResidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if not changes["id_number"]:
            changes.pop("id_number")
        if not full and not changes["phones"]:
            changes.pop("phones")  # a masked viewer cannot see the numbers, so an empty field keeps them
        try:
            resident = services.resident_update(
                actor=request.user, resident=resident, base_url=request.build_absolute_uri("/"), **changes
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Saved."))
            pending = selectors.email_change_pending(resident=resident)
            if pending is not None and pending.new_email.lower() == changes.get("email", "").lower():
                messages.info(
                    request,
                    _(
                        "The new email is used once the account holder confirms it from that address; "
                        "until then the current email stays on file and signs in."
                    ),
                )
            return redirect("owners:resident_detail", pk=resident.pk)
    return render(
        request, "owners/resident_edit.html", {"resident": resident, "form": form, "phones_masked": not full}
    )


@login_required
@require_POST
def resident_id_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    _require_archive(request)
    resident = selectors.resident_get_for_user(user=request.user, pk=pk)
    number = services.resident_id_reveal(actor=request.user, resident=resident)
    return render(request, "owners/_id_number.html", {"id_number": number, "revealed": True})


@login_required
def project_export(request: HttpRequest, code: str) -> FileResponse:
    _require_archive(request)
    project = project_get_for_user(user=request.user, code=code)
    require(request.user, "owners.export", project=project)
    path = exporting.project_export(actor=request.user, project=project)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    filename = f"业户档案-{project.code}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


@login_required
def change_request_list(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, "owners.confirm_changes"):
        raise PermissionDenied
    labels = {
        "phones": _("Phones"),
        "email": _("Email"),
        "preferred_language": _("Language"),
        "contact_preference": _("Contact preference"),
    }
    requests = [
        (
            change,
            [
                (labels.get(field, field), " / ".join(value) if isinstance(value, list) else value)
                for field, value in change.requested.items()
            ],
        )
        for change in selectors.pending_change_requests(user=request.user)[:200]
    ]
    return render(request, "owners/change_requests.html", {"requests": requests})


@login_required
@require_POST
def change_request_review(request: HttpRequest, pk: int) -> HttpResponse:
    change_request = get_for_user_or_404(
        ContactChangeRequest.objects.select_related("resident"), user=request.user, pk=pk
    )
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose confirm or reject."))
        return redirect("owners:change_request_list")
    try:
        services.contact_change_request_review(
            actor=request.user,
            change_request=change_request,
            approve=form.cleaned_data["approve"],
            note=form.cleaned_data["note"],
            base_url=request.build_absolute_uri("/"),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Confirmed.") if form.cleaned_data["approve"] else _("Rejected."))
    return redirect("owners:change_request_list")
