from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles of REQUIREMENTS.md "Who uses it". A membership gives one role at one org node."""

    CS_AGENT = "cs_agent", _("CS agent")
    CS_SUPERVISOR = "cs_supervisor", _("CS supervisor")
    DEPT_SUPERVISOR = "dept_supervisor", _("Department supervisor")
    EXECUTOR = "executor", _("Executor")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    QA_MANAGER = "qa_manager", _("QA manager")
    QA_STAFF = "qa_staff", _("QA staff")
    ADMIN_DEPT = "admin_dept", _("Admin department")
    DOC_ADMIN = "doc_admin", _("Document administrator")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    HQ_PROPERTY = "hq_property", _("HQ property management")
    GENERAL_MANAGER = "general_manager", _("General manager")
    LEADER = "leader", _("Leader in charge")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class ScopeLevel(models.TextChoices):
    COMPANY = "company", _("Company")
    BRANCH = "branch", _("Branch company")
    PROJECT = "project", _("Project")


class DepartmentKind(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer service department")
    QUALITY = "quality", _("QA department")
    ADMIN = "admin", _("Admin department")
    ENGINEERING = "engineering", _("Engineering")
    ORDER = "order", _("Order and security")
    CLEANING = "cleaning", _("Cleaning")
    GREENING = "greening", _("Greening")
    HQ_PROPERTY = "hq_property", _("HQ property management department")
    GENERAL_MANAGEMENT = "general_management", _("General management")


class BuildingKind(models.TextChoices):
    BUILDING = "building", _("Building")
    AREA = "area", _("Common area")


class CalendarKind(models.TextChoices):
    SERVICE_CENTRE = "service_centre", _("Customer service centre")
    HOTLINE = "hotline", _("Complaint hotline")
    OFFICE = "office", _("Office")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day")


class UnitStatus(models.TextChoices):
    VACANT = "vacant", _("Vacant")
    OCCUPIED = "occupied", _("Occupied")
    DECORATING = "decorating", _("Under decoration")
