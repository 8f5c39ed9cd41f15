from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from estatedesk.common.scoping import scope_for
from estatedesk.owners import selectors


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    """The owner's home: their units, their household, and how to reach the service centre (R-CH-3)."""
    scope = scope_for(request.user)
    occupancies = list(selectors.my_occupancies(user=request.user)) if scope.is_owner else []
    household = list(selectors.household_of(user=request.user, unit_ids=[o.unit_id for o in occupancies]))
    projects = {o.unit.project for o in occupancies}
    return render(
        request,
        "owners/portal.html",
        {
            "occupancies": occupancies,
            "household": household,
            "projects": sorted(projects, key=lambda p: p.code),
        },
    )
