from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from estatedesk.accounts.models import User
from estatedesk.accounts.services import user_password_changed


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "phone", "email", "is_active", "is_staff", "last_login")
    search_fields = ("username", "display_name", "phone", "email")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("EstateDesk"), {"fields": ("display_name", "phone", "preferred_language")}),
    )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's page, and when it changed (or removed) the password, the user's API tokens go too."""
        with transaction.atomic():
            user = self.get_object(request, unquote(id))  # None for an unknown or malformed id: Django 404s
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None:
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    user_password_changed(actor=request.user, user=user)
        return response
