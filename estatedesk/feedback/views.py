"""Staff pages of customer feedback (lists, the item with its timeline and steps)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from estatedesk.feedback import selectors
from estatedesk.org.permissions import can_anywhere


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, "feedback.view"):
        raise PermissionDenied
    page = Paginator(selectors.item_list(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "feedback/item_list.html", {"page": page})


@login_required
def item_detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = selectors.item_get_for_user(user=request.user, reference=reference)
    return render(
        request,
        "feedback/item_detail.html",
        {
            "item": item,
            "timeline": selectors.item_timeline(user=request.user, item=item),
            "steps": selectors.item_steps(user=request.user, item=item),
            "clocks": selectors.clock_states(item=item),
        },
    )
