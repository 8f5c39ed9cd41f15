"""The rows behind a figure (issue 15): the dashboard's drill-down, the pack's lists and the API read them
here. Each drill lists the rows of one named condition of the metrics layer (`metrics.CONDITIONS`), the very
condition its count is counted with, so a count figure's drill lists exactly the rows counted (the number on
the dashboard is the drill's `count`). A rate's drill lists the rows a manager wants to see behind it
(`FigureDefinition.drill`): contact on time → the breached items, 回访满意率 → the C visits, survey
satisfaction → the campaigns, reporting timeliness → the late reports, …

Rows are read through `visible_to(reader(scope))`, narrowed to one unit of the breakdown when asked
(`branch:QD`, `project:QD-A`, `department:12`, `department:none`), newest first, with what a list needs
selected alongside (the project; for an overdue action its nonconformity's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.analytics import metrics
from estatedesk.analytics.choices import ScopeKind
from estatedesk.analytics.metrics import CONDITIONS, FIGURES, NO_DEPARTMENT, POPULATIONS, Population, Window
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import MetricScope, Unit, reader
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import NO_ROWS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Branch, Department, Project
from estatedesk.quality.choices import OPEN_STAGES, Stage
from estatedesk.quality.models import Nonconformity, NonconformityAction
from estatedesk.reporting.models import ReportSubmission
from estatedesk.surveys.models import Campaign, SurveyAnswer, SurveyForm
from estatedesk.visits.models import ReturnVisit


@dataclass(frozen=True)
class DrillDefinition:
    key: str
    label: Any  # lazy translation
    source: str  # "feedback", "visits", "quality", "surveys", "reporting"
    condition: str  # the metrics.CONDITIONS name whose rows it lists


def _labels() -> dict[str, Any]:
    """Labels of the drills that are no figure of their own."""
    lazy = gettext_lazy
    labels: dict[str, Any] = {
        "visits.not_graded": lazy("Return visits due, not made"),
        "surveys.not_returned": lazy("Forms handed out, not returned"),
        "reporting.late": lazy("Reports late or missing"),
        "reporting.received": lazy("Reports received"),
        "reporting.missing": lazy("Reports not received"),
        "reporting.complete": lazy("Reports complete"),
        "reporting.incomplete": lazy("Reports incomplete or missing"),
        "reporting.scored": lazy("Reports scored by HQ"),
    }
    stage_labels = dict(Stage.choices)
    for stage in OPEN_STAGES:
        labels[f"quality.open.{stage}"] = format_lazy(
            "{}: {}", lazy("Nonconformities open"), stage_labels[stage]
        )
    return labels


def _drills() -> dict[str, DrillDefinition]:
    extra = _labels()
    result = {}
    for name, (population, _condition) in CONDITIONS.items():
        label = FIGURES[name].label if name in FIGURES else extra.get(name, name)
        result[name] = DrillDefinition(name, label, POPULATIONS[population].source, name)
    return result


DRILLS: dict[str, DrillDefinition] = _drills()


@dataclass(frozen=True)
class Drill:
    figure: str  # the figure asked for (or a drill's own key)
    key: str  # the drill listed (DRILLS)
    source: str
    label: str
    queryset: QuerySet[Any]  # the rows, newest first
    count: int
    unit: Unit | None = None


def unit_key(unit: Unit) -> str:
    """How a unit is named in a drill-down's URL: `branch:QD`, `project:QD-A`, `department:12`,
    `department:none`."""
    return metrics.unit_key(unit)


def unit_from_key(scope: MetricScope, key: str) -> Unit | None:
    """The unit of the scope that `key` names; None when it names none (or one outside the scope)."""
    kind, _sep, code = (key or "").strip().partition(":")
    if kind == "branch" and code:
        branch = Branch.objects.filter(company_id=scope.company_id, code=code).first()
        if branch is None or (scope.kind != ScopeKind.COMPANY and branch.pk != scope.branch_id):
            return None
        ids = Project.objects.filter(branch=branch, pk__in=sorted(scope.project_ids)).values_list(
            "pk", flat=True
        )
        return Unit("branch", branch.pk, branch.code, branch.name, frozenset(ids))
    if kind == "project" and code:
        project = Project.objects.filter(branch__company_id=scope.company_id, code=code).first()
        if project is None or project.pk not in scope.project_ids:
            return None
        return Unit("project", project.pk, project.code, project.name, frozenset({project.pk}))
    if kind == "department" and code:
        project_ids = frozenset({scope.project_id}) if scope.project_id else scope.project_ids
        if code in ("none", str(NO_DEPARTMENT)):
            return Unit("department", NO_DEPARTMENT, "", _("No department"), project_ids)
        department = (
            Department.objects.filter(pk=int(code), company_id=scope.company_id).first()
            if code.isdigit()
            else None
        )
        if department is None:
            return None
        return Unit("department", department.pk, department.kind, department.name, project_ids)
    return None


def unit_q(population: Population, unit: Unit) -> Q:
    """The rows of a population that belong to the unit (as metrics rolls its counts up)."""
    if unit.kind == "branch":
        condition = Q(**{f"{population.project}__in": sorted(unit.project_ids)})
        if population.branch:
            condition |= Q(**{population.branch: unit.pk, f"{population.project}__isnull": True})
        return condition
    if unit.kind == "project":
        return Q(**{population.project: unit.pk})
    if population.department is None:
        return NO_ROWS
    if unit.pk == NO_DEPARTMENT:
        return Q(**{f"{population.department}__isnull": True})
    return Q(**{population.department: unit.pk})


# a breakdown's share (drill_rows(figure=<breakdown>, value=<share's value>)): the drill of its population and
# the column the share counts; visits by grade count graded visits only (as visits.a|b|c do)
BREAKDOWN_DRILLS: dict[str, tuple[str, str, Any]] = {
    "feedback.by_channel": ("feedback.total", "channel", FeedbackItem._meta.get_field("channel")),
    "feedback.by_kind": ("feedback.total", "kind", FeedbackItem._meta.get_field("kind")),
    "feedback.by_category": ("feedback.total", "category", FeedbackItem._meta.get_field("category")),
    "feedback.by_status": ("feedback.total", "status", FeedbackItem._meta.get_field("status")),
    "visits.by_grade": ("visits.graded", "grade", ReturnVisit._meta.get_field("grade")),
    "quality.open_by_stage": ("quality.open", "stage", Nonconformity._meta.get_field("stage")),
}


def _unknown_figure() -> DomainError:
    return DomainError(
        "analytics.unknown_figure",
        _("There is no list behind this figure."),
        fields={"figure": [_("Unknown figure.")]},
    )


def drill_rows(  # noqa: PLR0913 - the filters of a drill-down, keyword-only
    *,
    scope: MetricScope,
    period: Period,
    figure: str,
    unit_key: str = "",
    value: str = "",
    now: datetime | None = None,
) -> Drill:
    """The rows behind `figure` (a FIGURES key, or a DRILLS key) of the scope in the period, of one unit when
    `unit_key` is given; for a breakdown (`feedback.by_channel`, …, BREAKDOWN_DRILLS) the rows of its share
    `value`. Raises DomainError analytics.unknown_figure / analytics.unknown_unit."""
    definition = FIGURES.get(figure)
    share: tuple[str, str] | None = None
    drill_key: str | None
    if figure in BREAKDOWN_DRILLS:
        drill_key, column, _field = BREAKDOWN_DRILLS[figure]
        if not value:
            raise _unknown_figure()
        share = (column, value)
    else:
        drill_key = definition.drill if definition is not None else figure if figure in DRILLS else None
    if drill_key is None:
        raise _unknown_figure()
    unit = None
    if unit_key:
        unit = unit_from_key(scope, unit_key)
        if unit is None:
            raise DomainError(
                "analytics.unknown_unit",
                _("This scope has no such unit."),
                fields={"unit": [_("Unknown unit.")]},
            )
    drill = DRILLS[drill_key]
    population = POPULATIONS[CONDITIONS[drill.condition][0]]
    window = Window.of(scope, period, now or timezone.now())
    rows = metrics.condition_rows(name=drill.condition, user=reader(scope), window=window)
    if unit is not None:
        rows = rows.filter(unit_q(population, unit))
    label = str(drill.label)
    if share is not None:
        rows = rows.filter(**{share[0]: share[1]})
        choices = dict(BREAKDOWN_DRILLS[figure][2].flatchoices)
        label = f"{label}: {choices.get(share[1], share[1])}"
    rows = rows.select_related(*population.related).order_by(*population.newest_first)
    return Drill(
        figure=figure,
        key=drill_key,
        source=drill.source,
        label=label,
        queryset=rows,
        count=rows.count(),
        unit=unit,
    )


# --- a row as every list shows it (the drill-down page, the API, the pack's lists) --------------------------


def drill_row(obj: Any) -> dict[str, Any]:  # noqa: C901 - one branch per model a drill lists
    """One row of a drill-down: reference, title, when, project (or branch), state and its own page. The
    drills' querysets select what this reads, so a page of rows costs one query."""
    if isinstance(obj, FeedbackItem):
        return {
            "reference": obj.reference,
            "title": obj.title,
            "when": obj.registered_at,
            "project": obj.project,
            "state": obj.get_status_display(),
            "url": reverse("feedback:item_detail", args=[obj.reference]),
        }
    if isinstance(obj, ReturnVisit):
        return {
            "reference": f"#{obj.pk}",
            "title": str(obj),
            "when": obj.due_at,
            "project": obj.project,
            "state": " · ".join(filter(None, [obj.get_status_display(), obj.get_grade_display()])),
            "url": reverse("visits:visit_detail", args=[obj.pk]),
        }
    if isinstance(obj, Nonconformity):
        return {
            "reference": obj.reference,
            "title": obj.title,
            "when": obj.raised_at,
            "project": obj.project,
            "state": obj.get_stage_display(),
            "url": reverse("quality:detail", args=[obj.reference]),
        }
    if isinstance(obj, NonconformityAction):
        nonconformity = obj.nonconformity
        return {
            "reference": nonconformity.reference,
            "title": f"{obj.get_kind_display()}: {obj.description}",
            "when": obj.due_on,
            "project": nonconformity.project,
            "state": _("Done") if obj.done_at else _("Overdue"),
            "url": reverse("quality:detail", args=[nonconformity.reference]),
        }
    if isinstance(obj, Campaign):
        return _campaign_row(obj, obj.title, obj.period_start, obj.get_status_display())
    if isinstance(obj, SurveyForm):
        state = _("Returned") if obj.returned_at else _("Handed out") if obj.handed_out_at else ""
        title = f"{obj.campaign.title} · {obj.area.area.name} · {_serial(obj)}"
        return _campaign_row(obj.campaign, title, obj.returned_at or obj.handed_out_at, state)
    if isinstance(obj, SurveyAnswer):
        form = obj.form
        title = f"{form.campaign.title} · {_serial(form)} · {obj.item.label}"
        return _campaign_row(form.campaign, title, form.returned_at, obj.get_rating_display())
    if isinstance(obj, ReportSubmission):
        return {
            "reference": obj.reference,
            "title": obj.title or str(obj.information_type),
            "when": obj.due_at,
            "project": obj.project or obj.branch,
            "state": obj.get_status_display(),
            "url": reverse("reporting:submission_detail", kwargs={"reference": obj.reference}),
        }
    return {
        "reference": str(obj.pk),
        "title": str(obj),
        "when": None,
        "project": None,
        "state": "",
        "url": "",
    }


def _serial(form: SurveyForm) -> str:
    return _("Form No. %(serial)s") % {"serial": form.serial}


def _campaign_row(campaign: Campaign, title: str, when: Any, state: Any) -> dict[str, Any]:
    return {
        "reference": campaign.reference,
        "title": title,
        "when": when,
        "project": campaign.project,
        "state": state,
        "url": reverse("surveys:campaign_detail", kwargs={"reference": campaign.reference}),
    }
