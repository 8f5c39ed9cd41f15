"""Pages of the monthly packs (issue 15, R-FB-7). Thin: they read stored packs and call `packs` to make one.

- the archive (/analytics/packs/): the packs of the scopes the user may open, by month, the versions of a
  (scope, month) together, with the user's own delivery (sent, read) and how many recipients read it;
- a pack (/analytics/packs/<pk>/): its stored figures and lists (from its JSON, never recomputed: the same
  tables as its PDF and workbook), the corrections to earlier months, the change note, the downloads and,
  for those who may, the form to make it again; opening it records the recipient's first reading;
- the PDF and the workbook, as stored when the pack was made;
- a regeneration (POST /analytics/packs/regenerate/, with a required note).

Who: `analytics.pack` at the pack's scope (HQ, the general manager and leaders every pack of the company; a
branch manager their branch's and its projects'; a project's managers their project's), over
`MonthlyPack.objects.visible_to(user)`; a pack out of reach is 404, whether missing or not.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from estatedesk.analytics.choices import DeliveryStatus
from estatedesk.analytics.models import MonthlyPack, PackDelivery
from estatedesk.analytics.pack_lists import pack_tables
from estatedesk.analytics.pack_pdf import pack_charts
from estatedesk.analytics.packs import pack_delivery_open, pack_regenerate
from estatedesk.analytics.scopes import scope_from_key
from estatedesk.analytics.selectors import ARCHIVE_LIMIT, PACK, may_open, may_regenerate, pack_get_for_user
from estatedesk.common.errors import DomainError
from estatedesk.common.svgcharts import fluid
from estatedesk.org.permissions import can_anywhere


class RegenerateForm(forms.Form):
    pack = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Why it is made again"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The note is written in the new version's change note and its email."),
    )


@login_required
@require_GET
def pack_list(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, PACK):
        raise PermissionDenied
    user = request.user
    packs = [
        pack
        for pack in MonthlyPack.objects.visible_to(user)
        .select_related("generated_by")
        .annotate(
            recipients=Count("deliveries"),
            sent=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
            read=Count("deliveries", filter=Q(deliveries__opened_at__isnull=False)),
        )
        .order_by("-month", "scope_kind", "scope_key", "-version")[:ARCHIVE_LIMIT]
        if may_open(user, pack)
    ]
    mine = {
        row.pack_id: row
        for row in PackDelivery.objects.filter(user_id=user.pk or 0, pack_id__in=[p.pk for p in packs])
    }
    months = []
    for month, in_month in groupby(packs, key=lambda p: p.month):
        scopes = []
        for _key, versions in groupby(in_month, key=lambda p: p.scope_key):
            rows = [{"pack": p, "mine": mine.get(p.pk)} for p in versions]
            scopes.append({"latest": rows[0], "earlier": rows[1:]})
        months.append({"month": month, "scopes": scopes})
    return render(request, "analytics/pack_list.html", {"months": months, "limit": ARCHIVE_LIMIT})


@login_required
@require_GET
def pack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pack = pack_get_for_user(user=request.user, pk=pk)
    pack_delivery_open(pack=pack, user=request.user)
    tables = pack_tables(figures=pack.figures, lists=pack.lists, corrections=pack.corrections)
    versions = list(
        MonthlyPack.objects.visible_to(request.user)
        .filter(company_id=pack.company_id, scope_key=pack.scope_key, month=pack.month)
        .order_by("-version")
        .only("id", "version", "generated_at", "trigger")
    )
    context = {
        "pack": pack,
        "tables": tables,
        "figures": next(t for t in tables if t.key == "figures"),
        "others": [t for t in tables if t.key not in ("figures", "corrections")],
        "corrections": next(t for t in tables if t.key == "corrections"),
        "charts": {name: mark_safe(fluid(svg)) for name, svg in pack_charts(pack.figures).items()},  # noqa: S308 - svgcharts escapes every text
        "versions": versions,
        "latest": versions[0] if versions else pack,
        "overdue_as_of": (pack.lists.get("overdue") or {}).get("as_of", ""),
        "form": RegenerateForm(initial={"pack": pack.pk}) if may_regenerate(request.user, pack) else None,
    }
    return render(request, "analytics/pack_detail.html", context)


def _download(stored: Any, filename: str, content_type: str) -> HttpResponseBase:
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except (OSError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _filename(pack: MonthlyPack, suffix: str) -> str:
    return f"月度报告-{pack.month:%Y-%m}-{pack.scope_label}-v{pack.version}.{suffix}".replace("/", "-")


@login_required
@require_GET
def pack_pdf_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    pack = pack_get_for_user(user=request.user, pk=pk)
    return _download(pack.pdf, _filename(pack, "pdf"), "application/pdf")


@login_required
@require_GET
def pack_workbook_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    pack = pack_get_for_user(user=request.user, pk=pk)
    return _download(
        pack.workbook,
        _filename(pack, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_POST
def pack_regenerate_view(request: HttpRequest) -> HttpResponse:
    form = RegenerateForm(request.POST)
    pack_id = request.POST.get("pack", "")
    if not pack_id.isdigit():
        raise Http404
    pack = pack_get_for_user(user=request.user, pk=int(pack_id))
    if not may_regenerate(request.user, pack):
        raise PermissionDenied
    if not form.is_valid():
        messages.error(request, _("Say why the pack is made again."))
        return redirect("analytics:pack_detail", pk=pack.pk)
    scope = scope_from_key(pack.scope_key, company=pack.company)
    if scope is None:
        raise Http404
    try:
        new = pack_regenerate(
            scope=scope, month=pack.month, actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("analytics:pack_detail", pk=pack.pk)
    messages.success(
        request, _("Version %(version)d of the pack is made and sent.") % {"version": new.version}
    )
    return redirect("analytics:pack_detail", pk=new.pk)


urlpatterns = [
    path("packs/", pack_list, name="pack_list"),
    path("packs/<int:pk>/", pack_detail, name="pack_detail"),
    path("packs/<int:pk>/pdf/", pack_pdf_download, name="pack_pdf"),
    path("packs/<int:pk>/workbook/", pack_workbook_download, name="pack_workbook"),
    path("packs/regenerate/", pack_regenerate_view, name="pack_regenerate"),
]
