from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from estatedesk.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "phone", "email", "is_active", "is_staff", "last_login")
    search_fields = ("username", "display_name", "phone", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("EstateDesk"), {"fields": ("display_name", "phone", "preferred_language")}),
    )
