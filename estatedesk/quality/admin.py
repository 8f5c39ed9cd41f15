from django.contrib import admin

from estatedesk.quality.models import QualityRules


@admin.register(QualityRules)
class QualityRulesAdmin(admin.ModelAdmin):
    list_display = ("company", "remind_working_days_before", "recurrence_days")
