"""Forms of the owner portal: input shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from estatedesk.org.models import Project
from estatedesk.owners.choices import ContactPreference

MIN_PHONE_FIELDS = 3


class CodeRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Email or mobile phone"),
        max_length=254,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


class CodeVerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=12,
        help_text=_("The 6 digits from the email."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"[0-9 ]*",
                "maxlength": "12",
            }
        ),
    )


class ContactDetailsForm(forms.Form):
    """An owner's own contact details: phones (one per box), email, language and contact preference."""

    email = forms.EmailField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    preferred_language = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    contact_preference = forms.ChoiceField(
        label=_("How should we contact you?"), choices=ContactPreference.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, phone_count: int = MIN_PHONE_FIELDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phone_fields = {
            f"phone_{index}": forms.CharField(
                label=_("Phone %(number)s") % {"number": index},
                max_length=30,
                required=index == 1,
                widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
            )
            for index in range(1, max(phone_count, MIN_PHONE_FIELDS) + 1)
        }
        self.fields = {**phone_fields, **self.fields}

    @property
    def phone_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("phone_")]

    @property
    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("phone_")]

    def requested(self) -> dict[str, Any]:
        """The cleaned values in the shape `contact_change_request_submit` takes."""
        data = self.cleaned_data
        return {
            "phones": [data[name] for name in self.fields if name.startswith("phone_") and data.get(name)],
            "email": data["email"].strip(),
            "preferred_language": data["preferred_language"],
            "contact_preference": data["contact_preference"],
        }

    @staticmethod
    def initial_from(values: dict[str, Any]) -> dict[str, Any]:
        initial = {key: values.get(key, "") for key in ("email", "preferred_language", "contact_preference")}
        for index, number in enumerate(values.get("phones", []), start=1):
            initial[f"phone_{index}"] = number
        return initial


class ActivationForm(forms.Form):
    """Activating an owner account: the code from the invitation, the phone on file, a new password."""

    code = forms.CharField(
        label=_("Activation code"),
        max_length=30,
        help_text=_("The 12 letters and digits on your invitation, e.g. ABCD-EFGH-JKLM."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        help_text=_("The number the service centre has on file for you."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class AccountRequestForm(forms.Form):
    """An owner asks for a portal account: the project, the unit, the phone on file and the name."""

    project = forms.ModelChoiceField(
        label=_("Residential community"), queryset=Project.objects.none(), empty_label="—"
    )
    unit_label = forms.CharField(
        label=_("Unit"), max_length=40, help_text=_("Building-entrance-room, e.g. 1-1-101.")
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        help_text=_("The number the service centre has on file for you."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]


class InvitationForm(forms.Form):
    """Staff: invite by a printed letter (and on screen) or by email to the archived email."""

    by_email = forms.BooleanField(required=False)
