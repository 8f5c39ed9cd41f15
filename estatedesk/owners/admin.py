from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from estatedesk.common.admin import AuditedAdmin
from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.scoping import scope_for
from estatedesk.org.choices import Role
from estatedesk.owners.models import (
    ContactChangeRequest,
    EmailChange,
    ImportBatch,
    ImportColumnAlias,
    Occupancy,
    Resident,
    ResidentPhone,
)


class OccupancyInline(admin.TabularInline):
    model = Occupancy
    extra = 0
    autocomplete_fields = ["unit"]


class PhoneInline(admin.TabularInline):
    model = ResidentPhone
    extra = 0


@admin.register(Resident)
class ResidentAdmin(AuditedAdmin):
    list_display = ("name", "email", "user")
    search_fields = ("name", "name_initials", "phones__number", "email")
    inlines = [PhoneInline, OccupancyInline]
    raw_id_fields = ["user"]
    exclude = ["id_number"]  # ID numbers are revealed only on the archive page, with an audit row

    # The audit rows of admin edits: every field but the ID number, which the trail never holds in full
    # (ADR 0007); the admin does not show or change it anyway.
    def save_model(self, request: HttpRequest, obj: Resident, form: Any, change: bool) -> None:
        before = _audited_values(Resident.objects.get(pk=obj.pk)) if change and obj.pk else {}
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        audit_record(
            actor=request.user,
            action="update" if change else "create",
            obj=obj,
            before=before,
            after=_audited_values(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Resident) -> None:
        audit_record(actor=request.user, action="delete", obj=obj, before=_audited_values(obj))
        admin.ModelAdmin.delete_model(self, request, obj)


def _audited_values(resident: Resident) -> dict[str, Any]:
    names = [f.attname for f in Resident._meta.concrete_fields if f.attname != "id_number"]
    return model_changes(resident, names)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "filename",
        "project",
        "status",
        "phase",
        "row_count",
        "problem_count",
        "sound_rows_only",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "phase", "sound_rows_only")


ALIAS_EDITORS = frozenset({Role.HQ_PROPERTY, Role.SYSTEM_ADMIN})


def _edits_aliases(request: HttpRequest) -> bool:
    """HQ's property department and system administrators keep the import's column names (company-wide
    roles), besides superusers; the admin itself needs `is_staff`."""
    user = request.user
    return bool(user.is_active and (user.is_superuser or scope_for(user).roles_global & ALIAS_EDITORS))


@admin.register(ImportColumnAlias)
class ImportColumnAliasAdmin(AuditedAdmin):
    """Business data (R-OA-2): the headers people write for each column of the owner import (业主姓名 →
    姓名). Matching ignores case, spaces, full-width forms, punctuation and bracketed remarks."""

    list_display = ("alias", "column", "updated_at")
    list_filter = ("column",)
    search_fields = ("alias",)
    ordering = ("column", "alias")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _edits_aliases(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_aliases(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _edits_aliases(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_aliases(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_aliases(request)


@admin.register(ContactChangeRequest)
class ContactChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("resident", "status", "created_at", "reviewed_by")
    list_filter = ("status",)


@admin.register(EmailChange)
class EmailChangeAdmin(admin.ModelAdmin):
    """Read only: a change is confirmed by the account holder or reported from the old address, never here."""

    list_display = ("resident", "new_email", "status", "requested_by", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("resident__name", "new_email", "old_email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
