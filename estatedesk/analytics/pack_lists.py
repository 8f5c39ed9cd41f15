"""The lists of a monthly pack (issue 15, R-FB-7): what the general manager's 月结例会 goes through item by
item, for one scope and one month, read through `visible_to(reader(scope))` so that nothing of another
branch can enter a branch's pack (scopes.py).

- `major`: the month's major incidents (重大, registered in the month) with their status and whether and
  when they were reported to HQ;
- `hot`: the month's hot complaints (热点), the same columns;
- `overdue`: open items (registered any time) with an SLA clock past due at `now` (when the pack is made),
  the clocks past due named;
- `c_visits`: return visits graded C that fell due in the month, each with the nonconformities raised from
  it (the visit's own, or its item's opened without a visit: R-RV-4 opens one for a C rating and a C visit
  of one item) and their stage;
- `scorecard`: the month's reporting scorecard of the scope's units (`reporting.scoring.scorecard` read as
  the scope, R-IR-1).

Each list keeps at most `limit` rows and its total count ("and 12 more"). Every value is JSON-safe: texts
(labels translated in the language active when the pack is made), ISO dates, numbers as strings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from estatedesk.analytics.choices import ScopeKind
from estatedesk.analytics.periods import Period
from estatedesk.analytics.scopes import MetricScope, reader
from estatedesk.feedback.choices import OPEN_STATUSES, SlaClock, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS
from estatedesk.feedback.models import FeedbackItem
from estatedesk.quality.choices import Stage
from estatedesk.quality.models import Nonconformity
from estatedesk.reporting import scoring
from estatedesk.visits.choices import Grade, VisitStatus
from estatedesk.visits.models import ReturnVisit

LIST_KEYS = ("major", "hot", "overdue", "c_visits", "scorecard")
ITEM_FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "registered_at",
    "closed_at",
    "reported_to_hq_at",
    "is_major",
    "is_hot",
    "project__code",
    "project__name",
    *(column for pair in CLOCK_COLUMNS.values() for column in pair),
)


@dataclass(frozen=True)
class ListOptions:
    scope: MetricScope
    period: Period
    limit: int
    now: datetime


def _when(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: Decimal | int | None) -> str | None:
    return None if value is None else str(value)


def _capped(rows: list[dict[str, Any]], total: int, limit: int) -> dict[str, Any]:
    return {"rows": rows[:limit], "total": total, "more": max(0, total - limit)}


def _items(options: ListOptions) -> QuerySet[FeedbackItem]:
    """The scope's items as the scope sees them as staff (not items its people raised as residents)."""
    return FeedbackItem.objects.visible_to(reader(options.scope)).filter(
        project_id__in=sorted(options.scope.project_ids)
    )


def _item_row(row: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    status = row["status"]
    overdue = [
        str(SlaClock(clock).label)
        for clock, (due, done) in CLOCK_COLUMNS.items()
        if row[due] is not None and row[done] is None and row[due] < now and status in OPEN_STATUSES
    ]
    dues = [
        row[due]
        for due, done in CLOCK_COLUMNS.values()
        if row[due] is not None and row[done] is None and row[due] < now
    ]
    return {
        "reference": row["reference"],
        "title": row["title"],
        "project": row["project__code"],
        "project_name": row["project__name"],
        "status": status,
        "status_label": str(Status(status).label) if status in Status.values else status,
        "registered_at": _when(row["registered_at"]),
        "closed_at": _when(row["closed_at"]),
        "reported_to_hq": row["reported_to_hq_at"] is not None,
        "reported_to_hq_at": _when(row["reported_to_hq_at"]),
        "is_major": row["is_major"],
        "is_hot": row["is_hot"],
        "overdue_clocks": overdue,
        "due_at": _when(min(dues)) if dues else "",
    }


def _flagged(options: ListOptions, flag: str) -> dict[str, Any]:
    start, end = options.period.bounds()
    items = _items(options).filter(**{flag: True}, registered_at__gte=start, registered_at__lt=end)
    total = items.count()
    rows = items.order_by("registered_at", "id").values(*ITEM_FIELDS)[: options.limit]
    return _capped([_item_row(row, now=options.now) for row in rows], total, options.limit)


def overdue_condition(now: datetime) -> Q:
    """Open, with a clock past due at `now` (the work list's "overdue" filter)."""
    late = Q()
    for due, done in CLOCK_COLUMNS.values():
        late |= Q(**{f"{due}__lt": now, f"{done}__isnull": True})
    return Q(status__in=OPEN_STATUSES) & late


def _overdue(options: ListOptions) -> dict[str, Any]:
    items = _items(options).filter(overdue_condition(options.now))
    total = items.count()
    rows = items.order_by("registered_at", "id").values(*ITEM_FIELDS)[: options.limit]
    return _capped([_item_row(row, now=options.now) for row in rows], total, options.limit)


def _c_visits(options: ListOptions) -> dict[str, Any]:
    start, end = options.period.bounds()
    visits = ReturnVisit.objects.visible_to(reader(options.scope)).filter(
        project_id__in=sorted(options.scope.project_ids),
        status=VisitStatus.GRADED,
        grade=Grade.C,
        due_at__gte=start,
        due_at__lt=end,
    )
    total = visits.count()
    chosen = list(
        visits.order_by("due_at", "id").values(
            "id",
            "due_at",
            "visited_on",
            "customer_said",
            "project__code",
            "project__name",
            "item_id",
            "item__reference",
            "item__title",
            "handler_department__name",
        )[: options.limit]
    )
    visit_ids = [row["id"] for row in chosen]
    item_ids = [row["item_id"] for row in chosen if row["item_id"]]
    raised: dict[int, list[dict[str, Any]]] = {}
    if visit_ids:
        ncs = (
            Nonconformity.objects.visible_to(reader(options.scope))
            .filter(Q(visit_id__in=visit_ids) | Q(visit__isnull=True, item_id__in=item_ids))
            .order_by("raised_at", "id")
            .values("reference", "title", "stage", "visit_id", "item_id")
        )
        by_item = {row["item_id"]: row["id"] for row in chosen if row["item_id"]}
        for nc in ncs:
            owner = nc["visit_id"] if nc["visit_id"] in visit_ids else by_item.get(nc["item_id"])
            if owner is None:
                continue
            raised.setdefault(owner, []).append(
                {
                    "reference": nc["reference"],
                    "title": nc["title"],
                    "stage": nc["stage"],
                    "stage_label": str(Stage(nc["stage"]).label) if nc["stage"] in Stage.values else "",
                }
            )
    rows = [
        {
            "visit": row["id"],
            "project": row["project__code"],
            "project_name": row["project__name"],
            "due_at": _when(row["due_at"]),
            "visited_on": _day(row["visited_on"]),
            "item_reference": row["item__reference"] or "",
            "item_title": row["item__title"] or "",
            "department": row["handler_department__name"] or "",
            "customer_said": (row["customer_said"] or "")[:200],
            "nonconformities": raised.get(row["id"], []),
        }
        for row in chosen
    ]
    return _capped(rows, total, options.limit)


def _score(score: scoring.Score) -> dict[str, Any]:
    return {
        "expected": score.counts.expected,
        "on_time": score.counts.on_time,
        "complete": score.counts.complete,
        "scored": score.counts.scored,
        "timeliness": _number(score.timeliness),
        "completeness": _number(score.completeness),
        "quality": _number(score.quality),
        "total": _number(score.total),
    }


def _scorecard(options: ListOptions) -> dict[str, Any]:
    scope = options.scope
    branch_code = scope.code if scope.kind == ScopeKind.BRANCH else ""
    try:
        card = scoring.scorecard(
            user=reader(scope), period=scoring.Period.month(options.period.start), branch_code=branch_code
        )
    except scoring.ScopeError:
        return {"headline": None, "label": "", **_capped([], 0, options.limit)}
    units = card.branches if scope.kind == ScopeKind.COMPANY else card.units
    if scope.kind == ScopeKind.PROJECT:
        units = [unit for unit in card.units if unit.code == scope.code]
    rows = [
        {"rank": unit.rank, "kind": unit.kind, "code": unit.code, "name": unit.name, **_score(unit.score)}
        for unit in units
    ]
    headline = units[0].score if scope.kind == ScopeKind.PROJECT and units else card.headline
    return {
        "headline": _score(headline),
        "label": scope.label,
        **_capped(rows, len(rows), options.limit),
    }


def pack_lists(*, scope: MetricScope, period: Period, limit: int, now: datetime) -> dict[str, Any]:
    """Every list of the pack of `scope` for `period` (the module's docstring), JSON-safe."""
    options = ListOptions(scope=scope, period=period, limit=limit, now=now)
    return {
        "major": _flagged(options, "is_major"),
        "hot": _flagged(options, "is_hot"),
        "overdue": {**_overdue(options), "as_of": _when(now)},
        "c_visits": _c_visits(options),
        "scorecard": _scorecard(options),
    }


# --- the tables of a made pack (read from its stored JSON, never recomputed) -----------------------------
# The PDF, the workbook and the pack's page all show these: one reading of the stored figures, so the three
# show the same values. Headers are translated in the language active when they are read.

PARTS = ("current", "previous", "year_earlier")
SLA_CLOCKS = ("contact", "arrange", "action", "resolution")
LIST_TITLES: dict[str, Any] = {
    "major": gettext_lazy("Major incidents of the month"),
    "hot": gettext_lazy("Hot complaints of the month"),
    "overdue": gettext_lazy("Items past a deadline, open"),
    "c_visits": gettext_lazy("C visits of the month and their nonconformities"),
    "scorecard": gettext_lazy("Reporting to HQ: scorecard of the month"),
}
BREAKDOWN_TITLES: dict[str, Any] = {
    "feedback.by_channel": gettext_lazy("Items by channel"),
    "feedback.by_kind": gettext_lazy("Items by kind"),
    "feedback.by_category": gettext_lazy("Items by category"),
    "feedback.by_status": gettext_lazy("Items by status"),
    "visits.by_grade": gettext_lazy("Return visits by grade"),
    "quality.open_by_stage": gettext_lazy("Open nonconformities by stage"),
}


@dataclass(frozen=True)
class Table:
    key: str  # a stable name: figures, breakdown:<name>, units, list:<name>, corrections
    title: str
    headers: list[str]
    rows: list[list[Any]]
    total: int | None = None  # a list's total count (rows are capped)
    more: int = 0

    @property
    def labelled_rows(self) -> list[list[tuple[str, Any]]]:
        """Each row's cells with their column's header (a phone's stacked table labels each cell)."""
        return [list(zip(self.headers, row, strict=False)) for row in self.rows]


def figure_text(figure: dict[str, Any] | None, unit: str = "") -> str:
    """A stored figure as every surface prints it: its own text when stored, else 1,234 / 93.33% / —."""
    if not figure:
        return "—"
    if figure.get("text") not in (None, ""):
        return str(figure["text"])
    value = figure.get("value")
    if value is None:
        return "—"
    unit = unit or str(figure.get("unit") or "")
    if unit == "percent":
        return f"{value}%"
    if unit == "count":
        try:
            return f"{int(value):,}"
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def figure_catalogue(stored: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, unit) of every stored figure in the catalogue's order: labels as stored with the figures
    when they are, else from the catalogue (metrics.FIGURES)."""
    from estatedesk.analytics.metrics import FIGURES

    current = (stored.get("current") or {}).get("figures") or {}
    keys = [key for key in FIGURES if key in current] + [key for key in current if key not in FIGURES]
    result = []
    for key in keys:
        figure = current.get(key) or {}
        definition = FIGURES.get(key)
        label = figure.get("label") or (str(definition.label) if definition else key)
        unit = figure.get("unit") or (definition.unit if definition else "")
        result.append((key, str(label), str(unit)))
    return result


def stored_figure(stored: dict[str, Any], part: str, key: str) -> dict[str, Any] | None:
    figures = (stored.get(part) or {}).get("figures") or {}
    value = figures.get(key)
    return value if isinstance(value, dict) else None


def _unit_name(row: dict[str, Any]) -> str:
    nested = row.get("unit")
    unit: dict[str, Any] = nested if isinstance(nested, dict) else row
    code, name = str(unit.get("code") or ""), str(unit.get("name") or "")
    return f"{code} · {name}" if code and name and unit.get("kind") != "department" else name or code


def _list_rows(name: str, rows: list[dict[str, Any]]) -> list[list[Any]]:
    yes, no = str(_("Yes")), str(_("No"))
    if name in ("major", "hot"):
        return [
            [
                r["reference"],
                r["title"],
                r["project_name"],
                r["status_label"],
                r["registered_at"],
                yes if r["reported_to_hq"] else no,
                r["reported_to_hq_at"],
            ]
            for r in rows
        ]
    if name == "overdue":
        return [
            [
                r["reference"],
                r["title"],
                r["project_name"],
                r["status_label"],
                r["registered_at"],
                "、".join(r["overdue_clocks"]),
                r["due_at"],
            ]
            for r in rows
        ]
    if name == "c_visits":
        return [
            [
                r["project_name"],
                r["item_reference"],
                r["item_title"],
                r["due_at"],
                r["visited_on"],
                r["department"],
                "; ".join(
                    f"{nc['reference']} {nc['title']} ({nc['stage_label']})" for nc in r["nonconformities"]
                )
                or "—",
            ]
            for r in rows
        ]
    return [
        [
            "—" if r["rank"] is None else r["rank"],
            r["name"],
            r["expected"],
            "—" if r["timeliness"] is None else f"{r['timeliness']}%",
            "—" if r["completeness"] is None else f"{r['completeness']}%",
            "—" if r["quality"] is None else r["quality"],
            "—" if r["total"] is None else r["total"],
        ]
        for r in rows
    ]


def _list_headers(name: str) -> list[str]:
    if name in ("major", "hot"):
        return [
            _("Reference"),
            _("Title"),
            _("Project"),
            _("Status"),
            _("Registered at"),
            _("Reported to HQ"),
            _("Reported to HQ at"),
        ]
    if name == "overdue":
        return [
            _("Reference"),
            _("Title"),
            _("Project"),
            _("Status"),
            _("Registered at"),
            _("Deadlines passed"),
            _("Earliest deadline"),
        ]
    if name == "c_visits":
        return [
            _("Project"),
            _("Item"),
            _("Title"),
            _("Visit by"),
            _("Visit date"),
            _("Department"),
            _("Nonconformities (stage)"),
        ]
    return [
        _("Rank"),
        pgettext("organisational unit", "Unit"),
        _("Expected"),
        _("Timeliness"),
        _("Completeness"),
        _("Quality"),
        _("Total"),
    ]


def pack_tables(
    *, figures: dict[str, Any], lists: dict[str, Any], corrections: list[dict[str, Any]]
) -> list[Table]:
    """Every table of a pack from its stored JSON, in the order the PDF prints them."""
    from estatedesk.analytics.metrics import UNIT_FIGURES

    catalogue = figure_catalogue(figures)
    units = {key: (label, unit) for key, label, unit in catalogue}
    tables = [
        Table(
            "figures",
            str(_("Key figures")),
            [_("Figure"), _("This month"), _("Previous month"), _("Same month last year")],
            [
                [label, *(figure_text(stored_figure(figures, part, key), unit) for part in PARTS)]
                for key, label, unit in catalogue
            ],
        )
    ]
    breakdowns = (figures.get("current") or {}).get("breakdowns") or {}
    for name, shares in breakdowns.items():
        tables.append(
            Table(
                f"breakdown:{name}",
                str(BREAKDOWN_TITLES.get(name, name)),
                [_("Value"), _("Count"), _("Share")],
                [
                    [
                        str(share.get("label") or share.get("value") or ""),
                        share.get("count", 0),
                        "—" if share.get("percent") is None else f"{share['percent']}%",
                    ]
                    for share in shares or []
                ],
            )
        )
    unit_rows = (figures.get("current") or {}).get("units") or []
    tables.append(
        Table(
            "units",
            str(pgettext("organisational unit", "Units compared")),
            [
                pgettext("organisational unit", "Unit"),
                *(units.get(key, (key, ""))[0] for key in UNIT_FIGURES),
            ],
            [
                [
                    _unit_name(row),
                    *(
                        figure_text((row.get("figures") or {}).get(key), units.get(key, ("", ""))[1])
                        for key in UNIT_FIGURES
                    ),
                ]
                for row in unit_rows
            ],
        )
    )
    for name in LIST_KEYS:
        block = lists.get(name) or {}
        tables.append(
            Table(
                f"list:{name}",
                str(LIST_TITLES[name]),
                [str(h) for h in _list_headers(name)],
                _list_rows(name, block.get("rows") or []),
                total=block.get("total", 0),
                more=block.get("more", 0),
            )
        )
    tables.append(
        Table(
            "corrections",
            str(_("Corrections to earlier months")),
            [_("Month"), _("Figure"), _("Was"), _("Now")],
            [[c["month"], c["label"], c["was"], c["now"]] for c in corrections],
        )
    )
    return [replace(table, headers=[str(h) for h in table.headers]) for table in tables]
