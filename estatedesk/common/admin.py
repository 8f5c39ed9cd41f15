from __future__ import annotations

from typing import Any

from django.contrib import admin

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.models import AuditEntry, ScheduledRun


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
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

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
