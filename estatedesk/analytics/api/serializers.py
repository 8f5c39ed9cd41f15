"""Input and output serializers of the analytics API (/api/analytics/). The figures are the metrics layer's
own dictionaries (`metrics.MetricsReport.to_dict()`, a pack's stored JSON): the serializers below describe
them for the schema; the views answer the dictionaries as they are, so the API's numbers are the page's,
the PDF's and the workbook's to the character (deliverable 5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from estatedesk.analytics import alerts
from estatedesk.analytics.choices import (
    AlertComparison,
    AlertMetric,
    AlertWindow,
    PackTrigger,
    PeriodKind,
    ScopeKind,
)
from estatedesk.analytics.metrics import COUNT, HOURS, PERCENT, SCORE, SOURCES
from estatedesk.analytics.models import AlertBreach, AlertRule, MonthlyPack

FIGURE_UNITS = [COUNT, PERCENT, HOURS, SCORE]
BREAKDOWN_KINDS = ["branch", "project", "department"]
FIGURE_SOURCES = list(SOURCES)


def _absolute(context: Mapping[str, Any], url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


# --- scopes and periods -------------------------------------------------------------------------------------


class AnalyticsScopeOutput(serializers.Serializer):
    key = serializers.CharField(help_text="As `scope=` takes it: company, branch:QD, project:QD-A")
    kind = serializers.ChoiceField(choices=ScopeKind.choices)
    code = serializers.CharField(help_text="The branch's or project's code; empty for the company")
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    child_kind = serializers.ChoiceField(
        choices=BREAKDOWN_KINDS, help_text="What the scope is broken down by in `units`"
    )


class AnalyticsPeriodOutput(serializers.Serializer):
    text = serializers.CharField(
        help_text="As `period=` takes it: 2026-11, 2026-Q4, 2026, 2026-11-03..2026-11-20"
    )
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    kind = serializers.ChoiceField(choices=PeriodKind.choices)
    start = serializers.DateField()
    end = serializers.DateField(help_text="The last day, included")


# --- figures (metrics.Metrics.to_dict) ----------------------------------------------------------------------


class FigureOutput(serializers.Serializer):
    key = serializers.CharField(help_text="Stable figure key, e.g. feedback.contact.on_time")
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    unit = serializers.ChoiceField(choices=FIGURE_UNITS)
    source = serializers.ChoiceField(choices=FIGURE_SOURCES)  # type: ignore[assignment] # a field named "source"
    as_of_now = serializers.BooleanField(
        help_text="Counted as of now (still open, overdue now), not in the period"
    )
    value = serializers.JSONField(
        allow_null=True,
        help_text='A count as an integer, a rate, mean or score as a string with two decimals ("93.33"); '
        "null when undefined (nothing to count)",
    )
    text = serializers.CharField(help_text='As every surface prints it: "1,234", "93.33%", "12.5", "—"')
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)


class FigureShareOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    count = serializers.IntegerField()
    percent = serializers.CharField(allow_null=True, help_text="Of the breakdown's total, two decimals")


class UnitFiguresOutput(serializers.Serializer):
    key = serializers.CharField(help_text="As `unit=` takes it: branch:QD, project:QD-A, department:12")
    kind = serializers.ChoiceField(choices=BREAKDOWN_KINDS)
    code = serializers.CharField()
    name = serializers.CharField()
    figures = serializers.DictField(child=FigureOutput())  # type: ignore[assignment]


class MetricsScopeOutput(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=ScopeKind.choices)
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"


class MetricsOutput(serializers.Serializer):
    scope = MetricsScopeOutput()
    period = AnalyticsPeriodOutput()
    computed_at = serializers.DateTimeField()
    figures = serializers.DictField(child=FigureOutput(), help_text="Every figure, by key")  # type: ignore[assignment]
    breakdowns = serializers.DictField(
        child=FigureShareOutput(many=True), help_text="feedback.by_channel, … visits.by_grade"
    )
    units = UnitFiguresOutput(many=True, help_text="The scope's breakdown with their key figures")


class MetricsReportOutput(serializers.Serializer):
    current = MetricsOutput()
    previous = MetricsOutput(help_text="The period before")
    year_earlier = MetricsOutput(help_text="The same period a year earlier")


class MetricsInput(serializers.Serializer):
    scope = serializers.CharField(
        required=False, max_length=60, help_text="A scope key (default: the widest scope you may view)"
    )
    period = serializers.CharField(
        required=False,
        max_length=40,
        help_text="2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-20 (default: this month)",
    )


# --- drill-down ---------------------------------------------------------------------------------------------


class DrillInput(MetricsInput):
    figure = serializers.CharField(
        max_length=80, help_text="A figure key (or a drill key) of the metrics layer"
    )
    unit = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="One unit of the breakdown, e.g. project:QD-A",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class DrillRowOutput(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    project = serializers.CharField(
        allow_null=True, help_text="The project's (or, for a branch's report, the branch's) code"
    )
    status = serializers.CharField(help_text="The row's state, in words")
    date = serializers.DateField(allow_null=True, help_text="Registered, due or raised on (company time)")
    url = serializers.CharField(help_text="The row's own page")


class DrillOutput(serializers.Serializer):
    figure = serializers.CharField()
    drill = serializers.CharField(help_text="The list shown (a rate lists, e.g., its breached items)")
    source = serializers.ChoiceField(choices=FIGURE_SOURCES)  # type: ignore[assignment] # a field named "source"
    label = serializers.CharField()  # type: ignore[assignment] # a field named "label"
    unit = serializers.CharField(allow_blank=True)
    total = serializers.IntegerField(
        help_text="Every row behind the figure (the dashboard's number for a count)"
    )
    count = serializers.IntegerField(help_text="Rows listed, at most 10,000")
    count_capped = serializers.BooleanField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DrillRowOutput(many=True)


# --- packs --------------------------------------------------------------------------------------------------


class PackOutput(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.CharField(source="scope_key")
    scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
    scope_label = serializers.CharField()
    month = serializers.DateField(format="%Y-%m")
    version = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=PackTrigger.choices)
    generated_at = serializers.DateTimeField()
    generated_by = serializers.CharField(source="generated_by.__str__", allow_null=True, default=None)
    url = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField(help_text="The stored PDF; empty when it has none")
    workbook = serializers.SerializerMethodField(help_text="The stored workbook; empty when it has none")

    def get_url(self, pack: MonthlyPack) -> str:
        return _absolute(self.context, reverse("api-analytics-pack", args=[pack.pk]))

    def get_pdf(self, pack: MonthlyPack) -> str:
        return _absolute(self.context, reverse("api-analytics-pack-pdf", args=[pack.pk])) if pack.pdf else ""

    def get_workbook(self, pack: MonthlyPack) -> str:
        if not pack.workbook:
            return ""
        return _absolute(self.context, reverse("api-analytics-pack-workbook", args=[pack.pk]))


class PackVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=PackTrigger.choices)
    generated_at = serializers.DateTimeField()


class PackDetailOutput(PackOutput):
    figures = serializers.SerializerMethodField(
        help_text="The figures frozen when the pack was made: current, previous, year_earlier"
    )
    lists = serializers.JSONField(
        help_text="The month's lists: major incidents, hot complaints, overdue items, …"
    )
    corrections = serializers.JSONField(
        help_text="Late changes to earlier months' sent figures: month, key, label, was, now"
    )
    change_note = serializers.CharField(help_text="What changed against the version before (version 2 on)")
    versions = serializers.SerializerMethodField(
        help_text="Every version of this scope and month, newest first"
    )

    @extend_schema_field(MetricsReportOutput)
    def get_figures(self, pack: MonthlyPack) -> dict[str, Any]:
        return pack.figures

    @extend_schema_field(PackVersionOutput(many=True))
    def get_versions(self, pack: MonthlyPack) -> list[dict[str, Any]]:
        return PackVersionOutput(self.context.get("versions", []), many=True).data  # type: ignore[return-value]


class PackFilterInput(serializers.Serializer):
    scope = serializers.CharField(required=False, max_length=60, help_text="Only this scope's packs")
    month = serializers.CharField(required=False, max_length=10, help_text="YYYY-MM: only this month's packs")


class PackRegenerateInput(serializers.Serializer):
    scope = serializers.CharField(max_length=60, help_text="The scope key, e.g. branch:QD")
    month = serializers.CharField(max_length=10, help_text="YYYY-MM")
    note = serializers.CharField(
        max_length=2000, help_text="Why it is made again (in the change note and email)"
    )


# --- alerts -------------------------------------------------------------------------------------------------


class AlertRuleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    metric = serializers.ChoiceField(choices=AlertMetric.choices)
    comparison = serializers.ChoiceField(choices=AlertComparison.choices)
    threshold = serializers.DecimalField(max_digits=8, decimal_places=2)
    window = serializers.ChoiceField(choices=AlertWindow.choices)
    minimum_count = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class AlertRuleInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    metric = serializers.ChoiceField(choices=AlertMetric.choices)
    comparison = serializers.ChoiceField(choices=AlertComparison.choices)
    threshold = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)  # type: ignore[arg-type]
    window = serializers.ChoiceField(choices=AlertWindow.choices)
    minimum_count = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    is_active = serializers.BooleanField(default=True)


class AlertRuleSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    metric = serializers.ChoiceField(choices=AlertMetric.choices)
    comparison = serializers.ChoiceField(choices=AlertComparison.choices)
    threshold = serializers.DecimalField(max_digits=8, decimal_places=2)
    window = serializers.ChoiceField(choices=AlertWindow.choices)


class AlertOutput(serializers.Serializer):
    id = serializers.IntegerField()
    rule = AlertRuleSummaryOutput()
    unit_key = serializers.CharField(help_text="project:<id> or building:<id>")
    unit = serializers.SerializerMethodField(help_text="The project (and building), in words")
    project = serializers.CharField(source="project.code")
    building = serializers.CharField(source="building.name", allow_null=True, default=None)
    window_start = serializers.DateField()
    window = serializers.SerializerMethodField(help_text="The window as `period=` takes it (custom dates)")
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    value_text = serializers.SerializerMethodField()
    counted = serializers.IntegerField()
    found_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def get_unit(self, breach: AlertBreach) -> str:
        return alerts.unit_label(breach)

    def get_window(self, breach: AlertBreach) -> str:
        return alerts.breach_window(breach).text

    def get_value_text(self, breach: AlertBreach) -> str:
        return alerts.value_text(breach)


def rule_data(rule: AlertRule) -> dict[str, Any]:
    return AlertRuleOutput(rule).data  # type: ignore[return-value]
