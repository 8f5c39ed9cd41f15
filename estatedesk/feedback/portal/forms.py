"""Forms of the owner-facing feedback pages: input shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from estatedesk.common.forms import OneTimeTokenField
from estatedesk.feedback.choices import Category, Kind, Rating
from estatedesk.feedback.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from estatedesk.org.models import Unit
from estatedesk.owners.contacts import is_valid_phone, normalize_phone


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; always cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # data-downscale: phone photos are made smaller before they are sent (feedback/photo-resize.js)
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/*", "data-downscale": ""}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = []
        for each in files:
            cleaned.append(super().clean(each, initial))
        return cleaned


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.project.name} · {obj.label}"


class FeedbackReportForm(forms.Form):
    """What a customer raises: the kind, the area, what happened, photos, and how to reach them.

    `units` (the owner portal) adds the choice of one of the owner's own units; `phone_required` (someone
    who scanned a QR code without signing in) makes the phone number required."""

    form_token = OneTimeTokenField()
    kind = forms.ChoiceField(
        label=_("What is it?"), choices=Kind.choices, initial=Kind.REPAIR, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    description = forms.CharField(
        label=_("What happened?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where exactly, since when, and anything that helps us to find it."),
    )
    photos = MultipleImageField(
        label=_("Photos"),
        help_text=_("Up to %(count)s photos, %(size)s MB each.")
        % {"count": MAX_PHOTOS, "size": MAX_PHOTO_BYTES // (1024 * 1024)},
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        required=False,
        help_text=_("We call you back on this number and tell you the result."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit] | None = None,
        phone_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            unit_field = UnitChoiceField(label=_("Unit"), queryset=units, empty_label=None)
            self.fields = {"unit": unit_field, **self.fields}
            # the owner is known: the name and phone on file are used
            del self.fields["contact_name"]
            del self.fields["contact_phone"]
        elif phone_required:
            self.fields["contact_phone"].required = True
        else:
            self.fields["contact_phone"].help_text = _(
                "Optional: the phone numbers on file are used otherwise."
            )

    def clean_contact_phone(self) -> str:
        raw = self.cleaned_data.get("contact_phone", "")
        if not raw:
            return ""
        number = normalize_phone(raw)
        if not is_valid_phone(number):
            raise forms.ValidationError(_("Enter a mobile number or a landline with its area code."))
        return number


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label=_("How did we do?"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AddInformationForm(forms.Form):
    """The owner adds words or photos to their open request (issue 11)."""

    text = forms.CharField(
        label=_("What would you like to add?"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleImageField(
        label=_("Photos"),
        help_text=_("Up to %(count)s photos, %(size)s MB each.")
        % {"count": MAX_PHOTOS, "size": MAX_PHOTO_BYTES // (1024 * 1024)},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw it? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
