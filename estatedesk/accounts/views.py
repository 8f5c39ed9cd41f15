from __future__ import annotations

import contextlib

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from estatedesk.accounts.forms import LoginForm
from estatedesk.accounts.services import user_set_language
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # the user's own memberships through the reverse relation: accounts imports nothing of org
    memberships = (
        request.user.memberships.filter(is_active=True)  # type: ignore[union-attr]
        .select_related("company", "branch", "project", "department")
        .order_by("level", "role")
    )
    return render(
        request, "accounts/profile.html", {"memberships": memberships, "scope": scope_for(request.user)}
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and the signed-in user's preference is remembered for next time."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        with contextlib.suppress(DomainError):  # an unknown language is ignored, as set_language does
            user_set_language(actor=request.user, language=language)
    return set_language(request)
