from django.contrib import admin

from estatedesk.surveys.models import (
    Questionnaire,
    QuestionnaireItem,
    ReportRoute,
    SurveyItem,
    SurveyRules,
)


class QuestionnaireItemInline(admin.TabularInline):
    model = QuestionnaireItem
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "company", "is_active")
    inlines = [QuestionnaireItemInline]


@admin.register(SurveyItem)
class SurveyItemAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "department_kind", "position", "is_active", "company")


admin.site.register(SurveyRules)
admin.site.register(ReportRoute)
