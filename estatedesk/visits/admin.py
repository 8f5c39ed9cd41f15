from django.contrib import admin

from estatedesk.common.admin import AuditedAdmin
from estatedesk.visits.models import ReturnVisit, VisitPolicy, VisitRules


@admin.register(VisitRules)
class VisitRulesAdmin(AuditedAdmin):
    """Business parameters of return visits (R-FB-6, R-RV-2, R-RV-3): due days, escalation hours."""

    list_display = (
        "company",
        "registrant_may_visit",
        "due_working_days",
        "serious_due_working_days",
        "paid_service_due_working_days",
        "escalation_hours",
    )


@admin.register(VisitPolicy)
class VisitPolicyAdmin(AuditedAdmin):
    """R-FB-6: which of last month's customers of a category are put on the monthly list."""

    list_display = ("company", "category", "rule", "sample_percent")
    list_filter = ("company", "rule")


@admin.register(ReturnVisit)
class ReturnVisitAdmin(admin.ModelAdmin):
    """Read-only: visits are arranged, graded and cancelled through the services (pages and API)."""

    list_display = ("id", "project", "purpose", "status", "customer_name", "visitor", "due_at", "grade")
    list_filter = ("purpose", "status", "grade")
    search_fields = ("customer_name",)
    raw_id_fields = ("item", "parent", "resident", "visitor", "arranged_by", "graded_by", "recorded_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
