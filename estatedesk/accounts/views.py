from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from estatedesk.accounts.forms import LoginForm, NotificationSettingsForm, PasswordChangeForm
from estatedesk.accounts.services import (
    password_check_hit,
    user_password_changed,
    user_set_daily_digest,
    user_set_language,
)
from estatedesk.common.clientip import client_ip
from estatedesk.common.errors import DomainError
from estatedesk.common.ratelimit import Refusal
from estatedesk.common.scoping import scope_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Each attempt checks the old password: attempts are counted per user and per client address, and
    beyond the allowance answer 429 without a check. A changed password revokes the user's API tokens."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")
    form_class = PasswordChangeForm
    refusal: Refusal | None = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.refusal = password_check_hit(user=request.user, client_address=client_ip(request))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "refusal": self.refusal}

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if self.refusal is not None:
            response.status_code = 429
            response["Retry-After"] = str(self.refusal.retry_after_seconds)
        return response

    @transaction.atomic
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user_password_changed(actor=self.request.user, user=form.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's account, scope and roles; POST saves their notification settings (the daily digest)."""
    if request.method == "POST":
        settings_form = NotificationSettingsForm(request.POST)
        if settings_form.is_valid():
            user_set_daily_digest(actor=request.user, enabled=settings_form.cleaned_data["daily_digest"])
            messages.success(request, _("Your notification settings are saved."))
            return redirect("accounts:profile")
    else:
        settings_form = NotificationSettingsForm(
            initial={"daily_digest": request.user.daily_digest}  # type: ignore[union-attr]
        )
    # the user's own memberships through the reverse relation: accounts imports nothing of org
    memberships = (
        request.user.memberships.filter(is_active=True)  # type: ignore[union-attr,misc]
        .select_related("company", "branch", "project", "department")
        .order_by("level", "role")
    )
    context = {"memberships": memberships, "scope": scope_for(request.user), "settings_form": settings_form}
    return render(request, "accounts/profile.html", context)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and the signed-in user's preference is remembered for next time."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        with contextlib.suppress(DomainError):  # an unknown language is ignored, as set_language does
            user_set_language(actor=request.user, language=language)
    return set_language(request)
