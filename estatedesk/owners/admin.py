from django.contrib import admin

from estatedesk.owners.models import Occupancy, Resident


class OccupancyInline(admin.TabularInline):
    model = Occupancy
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email", "user")
    search_fields = ("name", "phone", "email")
    inlines = [OccupancyInline]
    raw_id_fields = ["user"]
