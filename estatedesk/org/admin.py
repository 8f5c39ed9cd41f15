from django.contrib import admin

from estatedesk.common.admin import AuditedAdmin
from estatedesk.org.models import (
    Branch,
    Building,
    Company,
    Department,
    Membership,
    Project,
    PublicHoliday,
    Unit,
    WorkingCalendar,
)


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ("code", "name")


@admin.register(Branch)
class BranchAdmin(AuditedAdmin):
    list_display = ("code", "name", "city", "company")
    search_fields = ("code", "name")


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ("code", "name", "branch", "hotline_1", "complaint_email", "is_active")
    list_filter = ("branch", "is_active")
    search_fields = ("code", "name")


@admin.register(Building)
class BuildingAdmin(AuditedAdmin):
    list_display = ("project", "code", "name", "kind")
    list_filter = ("kind", "project")
    search_fields = ("name", "code")


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ("project", "label", "building", "floor", "floor_area")
    list_filter = ("project",)
    search_fields = ("label",)
    list_select_related = ("project", "building")


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("name", "kind", "company", "branch", "project")
    list_filter = ("kind",)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "role", "level", "branch", "project", "department", "is_active")
    list_filter = ("role", "level", "is_active")
    search_fields = ("user__username", "user__display_name")
    raw_id_fields = ("user",)
    list_select_related = ("user", "branch", "project", "department")


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "is_24_hours", "opens_at", "closes_at", "working_weekdays")


@admin.register(PublicHoliday)
class PublicHolidayAdmin(AuditedAdmin):
    list_display = ("day", "name", "kind", "company")
    list_filter = ("kind",)
    date_hierarchy = "day"
