from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from estatedesk.common.ratelimit import Refusal


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or mobile phone"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. "
            "Accounts are locked for a while after repeated failures."
        ),
        "inactive": _("This account is disabled."),
    }


class NotificationSettingsForm(forms.Form):
    """The user's own notification settings on the profile page."""

    daily_digest = forms.BooleanField(
        label=_("Daily digest email at 08:00"),
        required=False,
        help_text=_(
            "One email a day with the items you have unread notifications about; none when there are none."
        ),
    )


class PasswordChangeForm(BasePasswordChangeForm):
    """Django's form; when the view was refused another old-password check (`refusal`), the old password is
    not checked at all and the form says how long to wait."""

    def __init__(self, *args: Any, refusal: Refusal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def clean_old_password(self) -> str:
        if self.refusal is not None:
            minutes = self.refusal.retry_after_minutes
            raise ValidationError(
                ngettext(
                    "Too many password attempts. Try again in %(minutes)d minute.",
                    "Too many password attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="too_many_attempts",
            )
        return str(super().clean_old_password())
