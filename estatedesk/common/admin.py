from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from estatedesk.common.audit import audit_entries_for_viewer, audit_record, model_changes
from estatedesk.common.models import AuditEntry, ScheduledRun

_viewer: ContextVar[Any] = ContextVar("audit_admin_viewer", default=None)


class AuditedAdmin(admin.ModelAdmin):
    """Django admin edits leave the same audit rows as the services do."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = model_changes(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="update" if change else "create",
            obj=obj,
            before=before,
            after=model_changes(obj),
            project_id=getattr(obj, "project_id", None),
        )

    def delete_model(self, request: Any, obj: Any) -> None:
        audit_record(
            actor=request.user,
            action="delete",
            obj=obj,
            before=model_changes(obj),
            project_id=getattr(obj, "project_id", None),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id")
    # the stored `changes` never shows: `shown_changes` is masked for the viewer
    readonly_fields = (*(f.name for f in AuditEntry._meta.fields if f.name != "changes"), "shown_changes")
    fields = readonly_fields

    @admin.display(description=_("changes"))
    def shown_changes(self, obj: AuditEntry) -> Any:
        """The changes as the viewer may see them: phones and ID numbers masked as on the pages."""
        shown = audit_entries_for_viewer(viewer=_viewer.get(), entries=[obj])[0]
        return getattr(shown, "shown_changes", {})

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        _viewer.set(request.user)  # the admin instance is shared: the viewer travels in a context variable
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job_name", "period_start", "enqueued_at", "task_result_id")
    list_filter = ("job_name",)
