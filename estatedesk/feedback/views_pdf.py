"""The execution record (附表二, R-FB-8) of an item as a PDF, for staff of the item's project."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from estatedesk.feedback import selectors
from estatedesk.feedback.pdf import execution_record_pdf as render_execution_record
from estatedesk.org.permissions import can


@login_required
@require_GET
def execution_record_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    item = selectors.item_get_for_user(user=request.user, reference=reference)  # 404 outside the scope
    if not can(request.user, "feedback.view", project=item.project):
        raise PermissionDenied  # the customer sees their own item, but not the internal record
    response = HttpResponse(render_execution_record(item=item), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.reference}-execution-record.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
