"""Output serializers of the organisation API (read-only for now)."""

from rest_framework import serializers

from estatedesk.org.models import Branch, Building, Department, Project, PublicHoliday, Unit, WorkingCalendar


class BranchOutput(serializers.ModelSerializer):
    project_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Branch
        fields = ["id", "code", "name", "city", "project_count"]


class CalendarOutput(serializers.ModelSerializer):
    class Meta:
        model = WorkingCalendar
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "is_24_hours",
            "opens_at",
            "closes_at",
            "working_weekdays",
            "observes_public_holidays",
        ]


class ProjectOutput(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    building_count = serializers.IntegerField(read_only=True)
    unit_count = serializers.IntegerField(read_only=True)
    service_calendar = serializers.CharField(source="service_calendar.code", read_only=True, default=None)
    hotline_calendar = serializers.CharField(source="hotline_calendar.code", read_only=True, default=None)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "branch",
            "address",
            "hotline_1",
            "hotline_2",
            "complaint_email",
            "service_calendar",
            "hotline_calendar",
            "building_count",
            "unit_count",
        ]


class BuildingOutput(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = Building
        fields = ["id", "project", "code", "name", "kind"]


class UnitOutput(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    building = serializers.CharField(source="building.code", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "project",
            "building",
            "entrance",
            "floor",
            "number",
            "label",
            "floor_area",
            "status",
            "handover_on",
        ]


class DepartmentOutput(serializers.ModelSerializer):
    level = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "kind", "name", "level", "branch_id", "project_id"]


class HolidayOutput(serializers.ModelSerializer):
    class Meta:
        model = PublicHoliday
        fields = ["id", "day", "kind", "name"]
