from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estatedesk.owners.choices import ContactPreference, IdType
from estatedesk.owners.contacts import split_phones


class ResidentForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    phones = forms.CharField(
        label=_("Phones"), required=False, help_text=_("Several numbers separated by /"), max_length=200
    )
    email = forms.EmailField(label=_("Email"), required=False)
    id_type = forms.ChoiceField(label=_("ID type"), choices=[("", "—"), *IdType.choices], required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=40,
        help_text=_("Leave empty to keep the number on file."),
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    contact_preference = forms.ChoiceField(label=_("Contact preference"), choices=ContactPreference.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_phones(self) -> list[str]:
        return split_phones(self.cleaned_data["phones"])


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Confirm")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
